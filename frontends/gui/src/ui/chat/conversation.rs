//! The open conversation: a header with the peer's presence and the
//! safety-number button (or the group's name and size, with its members
//! beside the timeline), a warning while a key is unconfirmed, the
//! messages as bubbles with day separators, times and delivery marks (in
//! a group: who wrote each, and "delivered to 3 of 5 · read by alice"
//! under one's own), "bob is typing..." under them, and the composer,
//! with a system line wherever a key changed or was verified or the
//! group changed. The list sticks to the newest message unless the
//! person has scrolled up to read older ones; the last message whose end
//! is on screen is recorded, since only what was shown may be marked
//! read.

use std::time::Instant;

use chatd_api::{Chat, Direction, Message, MessageStatus, Notice, NoticeKind, TrustState};
use egui::{Align, Layout, RichText, Role, Ui, WidgetInfo};

use super::super::format;
use super::super::{App, Palette, widgets};
use super::file::{self, FileAction, FileCtx};
use super::{composer, members, sidebar};
use crate::backend::Command;
use crate::model::{ChangeLine, Thread, typing_line};

/// Draws a conversation.
pub fn show(app: &mut App, ui: &mut Ui, chat: &Chat) {
    let palette = app.palette();
    let title = match chat {
        Chat::Peer(peer) => {
            header(app, ui, peer, &palette);
            if app.model.changed_keys.contains(peer) {
                key_banner(app, ui, peer, &palette);
            }
            peer.clone()
        }
        Chat::Group(id) => {
            let name = app
                .model
                .groups
                .get(id)
                .map_or_else(|| id.clone(), |g| g.name.clone());
            group_header(app, ui, id, &name, &palette);
            members::show(app, ui, id);
            name
        }
    };
    composer::show(app, ui, chat, &title);
    typing(app, ui, chat, &palette);
    messages(app, ui, chat, &title, &palette);
}

/// "bob is typing..." under the timeline, a line high whether shown or
/// not (the timeline does not jump).
fn typing(app: &mut App, ui: &mut Ui, chat: &Chat, palette: &Palette) {
    let now = Instant::now();
    let line = typing_line(&app.model.typing.in_chat(chat, now));
    if let Some(wait) = app.model.typing.next_expiry(chat, now) {
        ui.ctx().request_repaint_after(wait);
    }
    egui::Panel::bottom("typing")
        .frame(
            egui::Frame::NONE
                .fill(palette.background)
                .inner_margin(egui::Margin::symmetric(18, 0)),
        )
        .exact_size(18.0)
        .show_separator_line(false)
        .show(ui, |ui| {
            if let Some(line) = line {
                ui.label(RichText::new(line).small().italics().color(palette.muted));
            }
        });
}

fn group_header(app: &mut App, ui: &mut Ui, id: &str, name: &str, palette: &Palette) {
    let group = app.model.groups.get(id);
    let size = group.map_or(0, |g| g.members.len());
    let member = group.is_some_and(|g| g.is_member);
    egui::Panel::top("conversation_header")
        .frame(
            egui::Frame::NONE
                .fill(palette.background)
                .inner_margin(egui::Margin::symmetric(16, 10)),
        )
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                sidebar::group_avatar_widget(ui, name, 17.0);
                ui.vertical(|ui| {
                    ui.label(RichText::new(name).strong().size(17.0));
                    let words = if member {
                        format!("Group · {size} member{}", if size == 1 { "" } else { "s" })
                    } else {
                        "Group · you are no longer a member".to_string()
                    };
                    ui.label(RichText::new(words).small().color(palette.muted));
                });
            });
        });
}

fn header(app: &mut App, ui: &mut Ui, peer: &str, palette: &Palette) {
    let presence = app
        .model
        .presence_known()
        .then(|| app.model.is_online(peer));
    let trust = app.model.fingerprints.get(peer).map(|f| f.state);
    egui::Panel::top("conversation_header")
        .frame(
            egui::Frame::NONE
                .fill(palette.background)
                .inner_margin(egui::Margin::symmetric(16, 10)),
        )
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                sidebar::avatar_widget(ui, peer, 17.0);
                ui.vertical(|ui| {
                    ui.label(RichText::new(peer).strong().size(17.0));
                    ui.horizontal(|ui| {
                        let (color, words) = match presence {
                            Some(true) => (palette.good, "online"),
                            Some(false) => (palette.muted, "offline"),
                            None => (palette.muted.gamma_multiply(0.5), "presence unknown"),
                        };
                        widgets::dot(ui, color, 3.5);
                        ui.label(RichText::new(words).small().color(palette.muted));
                        if let Some(state) = trust {
                            let color = match state {
                                TrustState::Verified => palette.good,
                                TrustState::Unverified => palette.muted,
                                TrustState::Changed => palette.bad,
                            };
                            ui.label(RichText::new("·").small().color(palette.muted));
                            ui.label(
                                RichText::new(format::trust_words(state))
                                    .small()
                                    .color(color),
                            );
                        }
                    });
                });
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui.button("🛡 Safety number").clicked() {
                        app.view.safety = Some(peer.to_string());
                        app.command(Command::Fingerprints {
                            peer: peer.to_string(),
                        });
                    }
                });
            });
        });
}

fn key_banner(app: &mut App, ui: &mut Ui, peer: &str, palette: &Palette) {
    egui::Panel::top("key_banner")
        .frame(
            egui::Frame::NONE
                .fill(palette.bad.gamma_multiply(0.18))
                .inner_margin(egui::Margin::symmetric(16, 8)),
        )
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("⚠").color(palette.bad));
                ui.label(format!(
                    "{peer}'s safety number changed. Nothing is sent to {peer} until you review it."
                ));
                if ui.button("Review").clicked() && !app.model.key_alerts.iter().any(|u| u == peer)
                {
                    app.model.key_alerts.push_back(peer.to_string());
                }
            });
        });
}

fn messages(app: &mut App, ui: &mut Ui, chat: &Chat, title: &str, palette: &Palette) {
    let Some(thread) = app.model.thread(chat) else {
        return;
    };
    let group = chat.as_group().is_some();
    let today = format::today();
    let mut actions = Vec::new();
    let mut files = FileCtx {
        transfers: &app.model.transfers,
        thumbnails: &mut app.view.thumbnails,
        actions: &mut actions,
    };
    let mut older = None;
    let mut last_shown = None;
    egui::CentralPanel::default()
        .frame(
            egui::Frame::NONE
                .fill(palette.background)
                .inner_margin(egui::Margin::symmetric(16, 6)),
        )
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt(("messages", chat))
                .stick_to_bottom(true)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if thread.messages.is_empty() {
                        ui.vertical_centered(|ui| {
                            ui.add_space(30.0);
                            let text = if let Some(why) = &thread.load_error {
                                why.clone()
                            } else if thread.loaded {
                                format!("No messages yet. Say hello to {title}.")
                            } else {
                                "Loading…".to_string()
                            };
                            ui.label(RichText::new(text).color(palette.muted));
                        });
                    }
                    if thread.has_older {
                        ui.vertical_centered(|ui| {
                            let label = if thread.loading_older {
                                "Loading earlier messages…"
                            } else {
                                "Load earlier messages"
                            };
                            if ui
                                .add_enabled(!thread.loading_older, egui::Button::new(label))
                                .clicked()
                                && let Some(first) = thread.messages.first()
                            {
                                older = Some(first.ts);
                            }
                        });
                    }
                    let view = ui.clip_rect();
                    let mut last_day = None;
                    let mut day_line = |ui: &mut Ui, ts: i64| {
                        let day = format::day_of(ts);
                        if last_day != Some(day) {
                            last_day = Some(day);
                            day_separator(ui, &format::day_label(day, today), palette);
                        }
                    };
                    let mut notices = thread.notices.iter().peekable();
                    // A change placed at a message's time comes after it.
                    let mut changes = thread.changes.iter().peekable();
                    let mut previous: Option<&Message> = None;
                    for m in &thread.messages {
                        // Notices before the first loaded message belong
                        // to older pages; they come with them.
                        while let Some(n) = notices.next_if(|n| n.ts <= m.ts) {
                            if thread.complete() || n.ts >= first_ts(thread) {
                                day_line(ui, n.ts);
                                system_line(ui, n, palette);
                            }
                        }
                        while let Some(c) = changes.next_if(|c| c.ts < m.ts) {
                            day_line(ui, c.ts);
                            change_line(ui, c, palette);
                        }
                        day_line(ui, m.ts);
                        // A name over the first of a run of messages from
                        // one person in a group.
                        let named = group
                            && m.direction == Direction::In
                            && previous.is_none_or(|p| p.from != m.from);
                        let rect = bubble(ui, m, named, &mut files, palette);
                        previous = Some(m);
                        // Shown: its end is inside the visible part.
                        if rect.bottom() <= view.bottom() + 0.5 && rect.bottom() >= view.top() {
                            last_shown = Some(m.id.clone());
                        }
                    }
                    for n in notices {
                        day_line(ui, n.ts);
                        system_line(ui, n, palette);
                    }
                    for c in changes {
                        day_line(ui, c.ts);
                        change_line(ui, c, palette);
                    }
                    ui.add_space(6.0);
                });
        });
    app.view.shown = last_shown.map(|id| (chat.clone(), id));
    for action in actions {
        let command = match action {
            FileAction::Download { id, name } => Command::Download { id, name },
            FileAction::Cancel { transfer } => Command::CancelTransfer { id: transfer },
            FileAction::Open { path, folder } => Command::Open { path, folder },
        };
        app.command(command);
    }
    if let Some(before) = older {
        app.model.chat_thread_mut(chat).loading_older = true;
        app.command(Command::History {
            chat: chat.clone(),
            before: Some(before),
        });
    }
}

/// The time of the first loaded message (0 when none).
fn first_ts(thread: &Thread) -> i64 {
    thread.messages.first().map_or(0, |m| m.ts)
}

/// A line across a group's conversation saying what changed.
fn change_line(ui: &mut Ui, c: &ChangeLine, palette: &Palette) {
    ui.add_space(4.0);
    ui.vertical_centered(|ui| {
        ui.label(RichText::new(&c.text).small().color(palette.muted));
    });
    ui.add_space(4.0);
}

/// A line across the conversation saying what happened to the peer's key.
fn system_line(ui: &mut Ui, n: &Notice, palette: &Palette) {
    let user = &n.user;
    let time = format::time_of_day(n.ts);
    let (color, text) = match n.kind {
        NoticeKind::KeyChanged => (
            palette.bad,
            format!("⚠ {user}'s safety number changed at {time}. Compare it with {user}."),
        ),
        NoticeKind::KeyAccepted => (
            palette.warn,
            format!("You accepted {user}'s new key at {time}. It is not verified."),
        ),
        NoticeKind::Verified => (
            palette.good,
            format!("✔ You verified {user}'s safety number at {time}."),
        ),
    };
    ui.add_space(4.0);
    ui.vertical_centered(|ui| {
        ui.label(RichText::new(text).small().color(color));
    });
    ui.add_space(4.0);
}

fn day_separator(ui: &mut Ui, text: &str, palette: &Palette) {
    ui.add_space(8.0);
    ui.vertical_centered(|ui| {
        egui::Frame::NONE
            .fill(palette.sidebar)
            .corner_radius(10)
            .inner_margin(egui::Margin::symmetric(10, 3))
            .show(ui, |ui| {
                ui.label(RichText::new(text).small().color(palette.muted));
            });
    });
    ui.add_space(4.0);
}

/// One message: right and blue when sent, left and grey when received,
/// as wide as its text (or its time line) and at most 72% of the view;
/// `named`: the sender's name above it (in a group). Returns where it was
/// drawn.
fn bubble(
    ui: &mut Ui,
    m: &Message,
    named: bool,
    files: &mut FileCtx<'_>,
    palette: &Palette,
) -> egui::Rect {
    let out = m.direction == Direction::Out;
    let (fill, text_color) = if out {
        (palette.bubble_out, palette.bubble_out_text)
    } else {
        (palette.bubble_in, palette.bubble_in_text)
    };
    let layout = if out {
        Layout::top_down(Align::Max)
    } else {
        Layout::top_down(Align::Min)
    };
    let max_width = (ui.available_width() * 0.72).max(160.0);
    let font = egui::TextStyle::Body.resolve(ui.style());
    let text_width = ui
        .painter()
        .layout(m.text.clone(), font, text_color, max_width)
        .size()
        .x;
    let (meta, spoken) = meta_line(ui, m, out, text_color, palette);
    // One point of slack so the label wraps exactly where it was measured.
    let least = if m.file.is_some() {
        file::MIN_WIDTH
    } else {
        0.0
    };
    let width = (text_width.max(meta.size().x).max(least) + 1.0).min(max_width);
    if named {
        ui.add_space(4.0);
        ui.label(
            RichText::new(&m.from)
                .small()
                .strong()
                .color(sidebar::avatar_color(&m.from)),
        );
    }
    let drawn = ui.with_layout(layout, |ui| {
        egui::Frame::NONE
            .fill(fill)
            .corner_radius(egui::CornerRadius {
                nw: 14,
                ne: 14,
                sw: if out { 14 } else { 4 },
                se: if out { 4 } else { 14 },
            })
            .inner_margin(egui::Margin::symmetric(12, 7))
            .show(ui, |ui| {
                ui.set_max_width(width);
                ui.with_layout(Layout::top_down(Align::Min), |ui| {
                    if let Some(f) = &m.file {
                        file::show(ui, m, f, files, text_color, palette);
                    }
                    // A file's caption may be empty.
                    if !m.text.is_empty() {
                        ui.add(egui::Label::new(RichText::new(&m.text).color(text_color)).wrap());
                    }
                    let size = egui::vec2(width, meta.size().y);
                    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
                    let at = egui::pos2(rect.right() - meta.size().x, rect.top());
                    ui.painter().galley(at, meta, text_color);
                    response.widget_info(|| WidgetInfo::labeled(Role::Label, true, &spoken));
                    response.on_hover_text(spoken.clone());
                });
            })
            .response
            .rect
    });
    if out && let Some(receipts) = &m.receipts {
        ui.with_layout(Layout::top_down(Align::Max), |ui| {
            ui.label(
                RichText::new(format::group_receipts(receipts))
                    .small()
                    .color(palette.muted),
            );
        });
    }
    ui.add_space(3.0);
    drawn.inner
}

/// The time and, for sent messages, the delivery mark, laid out small;
/// with the same in words for screen readers ("14:03, delivered").
fn meta_line(
    ui: &Ui,
    m: &Message,
    out: bool,
    text_color: egui::Color32,
    palette: &Palette,
) -> (std::sync::Arc<egui::Galley>, String) {
    let time = format::time_of_day(m.ts);
    let (mark, words) = format::status_mark(m.status);
    let spoken = if out {
        format!("{time}, {words}")
    } else {
        format!("received {time}")
    };
    let faint = text_color.gamma_multiply(0.65);
    let small = egui::FontId::proportional(11.5);
    let mut job = egui::text::LayoutJob::default();
    job.append(&time, 0.0, egui::TextFormat::simple(small.clone(), faint));
    if out {
        let color = match m.status {
            MessageStatus::Read => palette.read_mark,
            MessageStatus::Failed => palette.bad,
            _ => faint,
        };
        job.append(mark, 6.0, egui::TextFormat::simple(small, color));
    }
    (ui.painter().layout_job(job), spoken)
}
