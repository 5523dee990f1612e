//! The left panel: who you are, the people search box, your groups (a
//! square avatar, last message with its sender, unread badge, and the
//! "New group" button), your conversations (presence dot, last message,
//! time, unread badge) and who else is online. Every row is a focusable
//! button named for screen readers.

use chatd_api::Chat;
use egui::text::{LayoutJob, TextWrapping};
use egui::{
    Align2, Color32, FontId, Key, Modifiers, Rect, Response, RichText, Sense, TextEdit, Ui,
    WidgetInfo,
};

use super::super::format;
use super::super::{App, Palette, widgets};
use crate::backend::Command;
use crate::cli::Theme;
use crate::model::check_username;
use crate::ui::NewGroupForm;

/// Width of the panel.
const WIDTH: f32 = 290.0;

/// What one row shows.
struct Row<'a> {
    name: &'a str,
    /// `None`: unknown (chatd is not logged in).
    online: Option<bool>,
    /// False for one's own notes and groups, where presence means nothing.
    presence: bool,
    /// A group: a square avatar with a group mark.
    group: bool,
    selected: bool,
    preview: Option<String>,
    time: Option<String>,
    unread: u32,
    /// The accessible name: what activating the row does.
    label: String,
}

/// Draws the panel.
pub fn show(app: &mut App, ui: &mut Ui) {
    let palette = app.palette();
    egui::Panel::left("people")
        .resizable(true)
        .default_size(WIDTH)
        .size_range(220.0..=420.0)
        .frame(
            egui::Frame::NONE
                .fill(palette.sidebar)
                .inner_margin(egui::Margin::symmetric(10, 10)),
        )
        .show(ui, |ui| {
            header(app, ui, &palette);
            ui.add_space(6.0);
            search_box(app, ui);
            ui.add_space(6.0);
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| lists(app, ui, &palette));
        });
}

fn header(app: &mut App, ui: &mut Ui, palette: &Palette) {
    let account = app.model.account().unwrap_or("").to_string();
    ui.horizontal(|ui| {
        avatar_widget(ui, &account, 18.0);
        ui.vertical(|ui| {
            ui.label(RichText::new(&account).strong().size(16.0));
            ui.label(RichText::new("SecureChat").small().color(palette.muted));
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let menu = ui.menu_button(RichText::new("…").size(18.0), |ui| {
                // chatd's setting, for every frontend; an older chatd
                // without settings shows none.
                if let Some(settings) = app.model.settings.clone() {
                    let mut on = settings.read_receipts;
                    if ui
                        .checkbox(&mut on, "Send read receipts")
                        .on_hover_text(
                            "Off: nobody sees when you read their messages (they still see \
                             that they were delivered)",
                        )
                        .changed()
                    {
                        app.command(Command::SetReadReceipts(on));
                    }
                    let mut on = settings.typing_indicators;
                    if ui
                        .checkbox(&mut on, "Send typing indicators")
                        .on_hover_text(
                            "Off: nobody sees when you are typing (you still see when others \
                             are)",
                        )
                        .changed()
                    {
                        app.command(Command::SetTypingIndicators(on));
                    }
                }
                if ui.button("Log out").clicked() {
                    app.view.open = None;
                    app.expect_switch();
                    app.command(Command::Logout);
                    ui.close();
                }
            });
            let _ = menu.response.accessible_name("Account menu");
            let (icon, name, other) = match app.view.theme {
                Theme::Dark => ("☀", "Switch to the light theme", Theme::Light),
                Theme::Light => ("🌙", "Switch to the dark theme", Theme::Dark),
            };
            if widgets::icon_button(ui, icon, name).clicked() {
                app.view.theme = other;
            }
        });
    });
}

fn search_box(app: &mut App, ui: &mut Ui) {
    let response = ui
        .add(
            TextEdit::singleline(&mut app.view.search)
                .id_salt("search")
                .hint_text("🔍 Search people  (Ctrl+K)")
                .desired_width(f32::INFINITY)
                .margin(egui::vec2(8.0, 6.0)),
        )
        .accessible_name("Search people");
    if std::mem::take(&mut app.view.focus_search) {
        response.request_focus();
    }
    let query = app.view.search.trim().to_string();
    if query != app.view.searched {
        app.view.searched = query.clone();
        if !query.is_empty() && check_username(&query).is_none() {
            app.command(Command::Directory {
                prefix: query.clone(),
            });
        }
    }
    if response.lost_focus()
        && ui.input(|i| i.key_pressed(Key::Enter))
        && let Some(first) = matches(app, &query).into_iter().next()
    {
        app.view.search.clear();
        app.open(&first);
    }
    if response.has_focus() && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
        app.view.search.clear();
    }
}

/// What matches a search: groups, conversations, then the directory.
fn matches(app: &App, query: &str) -> Vec<Chat> {
    let q = query.to_lowercase();
    let me = app.model.account().unwrap_or("");
    let mut out: Vec<Chat> = app
        .model
        .groups_by_recency()
        .iter()
        .filter(|g| g.name.to_lowercase().contains(&q))
        .map(|g| Chat::group(&g.id))
        .collect();
    out.extend(
        app.model
            .threads_by_recency()
            .iter()
            .filter(|t| t.peer.to_lowercase().contains(&q))
            .map(|t| Chat::peer(&t.peer)),
    );
    if let Some((prefix, users)) = &app.model.directory
        && prefix == query
    {
        for u in users {
            let chat = Chat::peer(&u.username);
            if u.username != me && !out.contains(&chat) {
                out.push(chat);
            }
        }
    }
    out
}

/// The groups section: a row per group (those matching the search while
/// one is typed) under a header with the "New group" button.
fn group_list(app: &mut App, ui: &mut Ui, palette: &Palette, query: &str) -> Option<Chat> {
    let q = query.to_lowercase();
    let me = app.model.account().unwrap_or("").to_string();
    ui.horizontal(|ui| {
        section(ui, palette, "Groups");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let button = ui
                .add(egui::Button::new(RichText::new("+ New group").small()).frame(false))
                .on_hover_text("Make a group with people you choose");
            if button.accessible_name("New group").clicked() {
                app.view.new_group = Some(NewGroupForm::default());
                app.model.group_action.error = None;
            }
        });
    });
    let groups: Vec<chatd_api::Group> = app
        .model
        .groups_by_recency()
        .into_iter()
        .filter(|g| q.is_empty() || g.name.to_lowercase().contains(&q))
        .cloned()
        .collect();
    if groups.is_empty() && query.is_empty() {
        muted(ui, palette, "No groups yet");
    }
    let today = format::today();
    let mut clicked = None;
    for g in &groups {
        let chat = Chat::group(&g.id);
        let thread = app.model.thread(&chat);
        let last = thread.and_then(|t| t.last()).or(g.last.as_ref());
        let preview = match last {
            Some(m) => {
                let who = if m.direction == chatd_api::Direction::Out || m.from == me {
                    "You".to_string()
                } else {
                    m.from.clone()
                };
                Some(format!("{who}: {}", m.text.replace('\n', " ")))
            }
            None if !g.is_member => Some("You are no longer a member".to_string()),
            None => Some(format!("{} members", g.members.len())),
        };
        let unread = thread.map_or(g.unread, |t| t.unread);
        let mut label = format!("Group {}", g.name);
        if unread > 0 {
            label.push_str(&format!(", {unread} unread"));
        }
        let row = Row {
            name: &g.name,
            online: None,
            presence: false,
            group: true,
            selected: app.view.open.as_ref() == Some(&chat),
            preview,
            time: last.map(|m| format::list_time(m.ts, today)),
            unread,
            label,
        };
        if person_row(ui, palette, &row).clicked() {
            clicked = Some(chat);
        }
    }
    ui.add_space(10.0);
    clicked
}

fn lists(app: &mut App, ui: &mut Ui, palette: &Palette) {
    let query = app.view.search.trim().to_string();
    let today = format::today();
    let mut clicked: Option<Chat> = group_list(app, ui, palette, &query);
    section(ui, palette, "Conversations");
    let me = app.model.account().unwrap_or("").to_string();
    let threads: Vec<_> = app
        .model
        .threads_by_recency()
        .into_iter()
        .filter(|t| query.is_empty() || t.peer.to_lowercase().contains(&query.to_lowercase()))
        .cloned()
        .collect();
    if threads.is_empty() {
        muted(
            ui,
            palette,
            if query.is_empty() {
                "No conversations yet"
            } else {
                "No conversation matches"
            },
        );
    }
    for t in &threads {
        // The conversation with oneself holds notes: no presence (one is
        // obviously online), and it says what it is.
        let notes = t.peer == me;
        let preview = t.last().map(|m| {
            let who = if m.direction == chatd_api::Direction::Out {
                "You: "
            } else {
                ""
            };
            format!("{who}{}", m.text.replace('\n', " "))
        });
        let preview = match (preview, notes) {
            (None, true) => Some("Notes to self".to_string()),
            (preview, _) => preview,
        };
        let online = app
            .model
            .presence_known()
            .then(|| app.model.is_online(&t.peer));
        let unread = t.unread;
        let mut label = if notes {
            "Your notes (a conversation with yourself)".to_string()
        } else {
            format!("Conversation with {}", t.peer)
        };
        if unread > 0 {
            label.push_str(&format!(", {unread} unread"));
        }
        let row = Row {
            name: &t.peer,
            online,
            presence: !notes,
            group: false,
            selected: app.view.open.as_ref() == Some(&Chat::peer(&t.peer)),
            preview,
            time: t.last().map(|m| format::list_time(m.ts, today)),
            unread,
            label,
        };
        if person_row(ui, palette, &row).clicked() {
            clicked = Some(Chat::peer(&t.peer));
        }
    }
    ui.add_space(10.0);
    if query.is_empty() && !app.model.presence_known() {
        section(ui, palette, "Online now");
        muted(ui, palette, "Not connected to the server: presence unknown");
    } else if query.is_empty() {
        // Everyone online but us is counted; those with a conversation
        // are listed above already, so only the rest get a row here.
        let online = app.model.online.iter().filter(|u| **u != me).count();
        let others: Vec<String> = app
            .model
            .online
            .iter()
            .filter(|u| **u != me && !app.model.threads.contains_key(*u))
            .cloned()
            .collect();
        section(ui, palette, &format!("Online now · {online}"));
        if online == 0 {
            muted(ui, palette, "Nobody else is online");
        } else if others.is_empty() {
            muted(ui, palette, "Everyone online is in your conversations");
        }
        for user in &others {
            if user_row(ui, palette, user, Some(true)).clicked() {
                clicked = Some(Chat::peer(user));
            }
        }
    } else {
        section(ui, palette, "People");
        let people: Vec<(String, bool)> = match &app.model.directory {
            Some((prefix, users)) if *prefix == query => users
                .iter()
                .filter(|u| u.username != me && !app.model.threads.contains_key(&u.username))
                .map(|u| (u.username.clone(), u.online))
                .collect(),
            _ => Vec::new(),
        };
        if people.is_empty() {
            // The directory answered for exactly this name and knows
            // nobody by it (a prefix search lists the name itself first).
            let missing = match &app.model.directory {
                Some((prefix, users)) if *prefix == query => {
                    !users.iter().any(|u| u.username == query)
                        && !app.model.threads.contains_key(&query)
                        && query != me
                }
                _ => false,
            };
            let text = if missing && check_username(&query).is_none() {
                format!("No user named {query}")
            } else {
                "Nobody else by that name".to_string()
            };
            muted(ui, palette, &text);
        }
        let known = app.model.presence_known();
        for (user, online) in &people {
            if user_row(ui, palette, user, known.then_some(*online)).clicked() {
                clicked = Some(Chat::peer(user));
            }
        }
    }
    if let Some(chat) = clicked {
        app.view.search.clear();
        app.open(&chat);
    }
}

fn user_row(ui: &mut Ui, palette: &Palette, user: &str, online: Option<bool>) -> Response {
    let row = Row {
        name: user,
        online,
        presence: true,
        group: false,
        selected: false,
        preview: None,
        time: None,
        unread: 0,
        label: format!("Chat with {user}"),
    };
    person_row(ui, palette, &row)
}

fn section(ui: &mut Ui, palette: &Palette, title: &str) {
    ui.label(
        RichText::new(title.to_uppercase())
            .small()
            .strong()
            .color(palette.muted),
    );
    ui.add_space(2.0);
}

fn muted(ui: &mut Ui, palette: &Palette, text: &str) {
    ui.label(RichText::new(text).color(palette.muted));
}

/// One person: avatar with presence dot, name, time, last message, badge.
fn person_row(ui: &mut Ui, palette: &Palette, row: &Row<'_>) -> Response {
    let height = if row.preview.is_some() { 56.0 } else { 42.0 };
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), height), Sense::click());
    let label = row.label.clone();
    let selected = row.selected;
    response.widget_info(|| WidgetInfo::selected(egui::Role::Button, true, selected, &label));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter();
    let fill = if row.selected {
        palette.selected
    } else if response.hovered() || response.has_focus() {
        palette.selected.gamma_multiply(0.6)
    } else {
        Color32::TRANSPARENT
    };
    painter.rect_filled(rect, 10.0, fill);
    if response.has_focus() {
        painter.rect_stroke(rect, 10.0, (1.5, palette.accent), egui::StrokeKind::Inside);
    }
    let radius = if row.preview.is_some() { 19.0 } else { 15.0 };
    let center = egui::pos2(rect.left() + 8.0 + radius, rect.center().y);
    if row.group {
        paint_group_avatar(painter, center, radius, row.name);
    } else {
        paint_avatar(painter, center, radius, row.name);
    }
    if row.presence {
        let dot = center + egui::vec2(radius * 0.72, radius * 0.72);
        painter.circle_filled(dot, 6.0, palette.sidebar);
        match row.online {
            Some(true) => painter.circle_filled(dot, 4.5, palette.good),
            Some(false) => painter.circle_filled(dot, 4.5, palette.muted.gamma_multiply(0.7)),
            // Unknown: a ring, neither online nor offline.
            None => painter.circle_stroke(dot, 3.5, (1.2, palette.muted)),
        };
    }
    let text_left = center.x + radius + 10.0;
    let right = rect.right() - 10.0;
    let text_color = ui.visuals().text_color();
    let top = if row.preview.is_some() {
        rect.top() + 9.0
    } else {
        rect.center().y - 9.0
    };
    let mut name_right = right;
    if let Some(time) = &row.time {
        let r = painter.text(
            egui::pos2(right, top + 2.0),
            Align2::RIGHT_TOP,
            time,
            FontId::proportional(12.0),
            palette.muted,
        );
        name_right = r.left() - 6.0;
    }
    paint_line(
        painter,
        ui,
        row.name,
        FontId::proportional(15.5),
        text_color,
        Rect::from_min_max(
            egui::pos2(text_left, top),
            egui::pos2(name_right, top + 20.0),
        ),
    );
    if let Some(preview) = &row.preview {
        let mut preview_right = right;
        if row.unread > 0 {
            let text = if row.unread > 99 {
                "99+".to_string()
            } else {
                row.unread.to_string()
            };
            let galley = painter.layout_no_wrap(text, FontId::proportional(11.5), Color32::WHITE);
            let w = (galley.size().x + 12.0).max(20.0);
            let badge = Rect::from_min_size(egui::pos2(right - w, top + 23.0), egui::vec2(w, 18.0));
            painter.rect_filled(badge, 9.0, palette.accent);
            painter.galley(badge.center() - galley.size() / 2.0, galley, Color32::WHITE);
            preview_right = badge.left() - 6.0;
        }
        paint_line(
            painter,
            ui,
            preview,
            FontId::proportional(13.0),
            palette.muted,
            Rect::from_min_max(
                egui::pos2(text_left, top + 24.0),
                egui::pos2(preview_right, top + 42.0),
            ),
        );
    }
    response
}

/// One line of text cut with "…" to fit `rect`.
fn paint_line(
    painter: &egui::Painter,
    _ui: &Ui,
    text: &str,
    font: FontId,
    color: Color32,
    rect: Rect,
) {
    let mut job = LayoutJob::simple_singleline(text.to_string(), font, color);
    job.wrap = TextWrapping::truncate_at_width(rect.width().max(10.0));
    let galley = painter.layout_job(job);
    painter.galley(rect.min, galley, color);
}

/// A circle with the person's initial, coloured by their name.
pub fn paint_avatar(painter: &egui::Painter, center: egui::Pos2, radius: f32, name: &str) {
    painter.circle_filled(center, radius, avatar_color(name));
    let initial: String = name
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    painter.text(
        center,
        Align2::CENTER_CENTER,
        initial,
        FontId::proportional(radius * 0.95),
        Color32::WHITE,
    );
}

/// A group's avatar: a rounded square with the group's initial and a
/// small two-people mark in its corner, so a group never looks like a
/// person.
pub fn paint_group_avatar(painter: &egui::Painter, center: egui::Pos2, radius: f32, name: &str) {
    let rect = Rect::from_center_size(center, egui::vec2(radius * 2.0, radius * 2.0));
    painter.rect_filled(rect, radius * 0.45, avatar_color(name));
    let initial: String = name
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    painter.text(
        center,
        Align2::CENTER_CENTER,
        initial,
        FontId::proportional(radius * 0.95),
        Color32::WHITE,
    );
    let mark = center + egui::vec2(radius * 0.75, radius * 0.75);
    painter.circle_filled(mark, radius * 0.48, Color32::from_black_alpha(150));
    painter.text(
        mark,
        Align2::CENTER_CENTER,
        "👥",
        FontId::proportional(radius * 0.6),
        Color32::WHITE,
    );
}

/// A group's avatar as a widget (decorative: no accessible node).
pub fn group_avatar_widget(ui: &mut Ui, name: &str, radius: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(radius * 2.0, radius * 2.0), Sense::hover());
    paint_group_avatar(ui.painter(), rect.center(), radius, name);
}

/// An avatar as a widget of its own (decorative: no accessible node).
pub fn avatar_widget(ui: &mut Ui, name: &str, radius: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(radius * 2.0, radius * 2.0), Sense::hover());
    paint_avatar(ui.painter(), rect.center(), radius, name);
}

/// A stable colour per name, from a small set that reads well on both
/// themes with white text.
pub fn avatar_color(name: &str) -> Color32 {
    const COLORS: [Color32; 8] = [
        Color32::from_rgb(0x5b, 0x7c, 0xfa),
        Color32::from_rgb(0x12, 0x9e, 0x8e),
        Color32::from_rgb(0xd9, 0x6c, 0x2c),
        Color32::from_rgb(0x9b, 0x59, 0xd0),
        Color32::from_rgb(0xc2, 0x41, 0x7a),
        Color32::from_rgb(0x2f, 0x9e, 0x44),
        Color32::from_rgb(0x1c, 0x7e, 0xd6),
        Color32::from_rgb(0xb0, 0x8a, 0x10),
    ];
    let h = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    COLORS[(h % COLORS.len() as u32) as usize]
}
