//! A group's members beside its timeline: each with presence, an admin
//! mark and a warning while their key changed; for admins, buttons to
//! remove a member or make them admin (or no longer) and a field to add
//! someone; for every member, "Leave group". What chatd refuses is shown
//! here in its words (such as "make another member admin first").

use chatd_api::{GroupMember, TrustState};
use egui::{RichText, Role, TextEdit, Ui, WidgetInfo};

use super::super::{App, Palette, widgets};
use super::sidebar;
use crate::backend::Command;

/// Width of the panel.
const WIDTH: f32 = 240.0;

/// What a click in the panel asks for.
enum Ask {
    Remove(String),
    Admin(String, bool),
    Add(String),
    Leave,
}

/// Draws the members of group `id` on the right of the conversation.
pub fn show(app: &mut App, ui: &mut Ui, id: &str) {
    let Some(group) = app.model.groups.get(id).cloned() else {
        return;
    };
    let palette = app.palette();
    let me = app.model.account().unwrap_or("").to_string();
    let admin = app.model.is_group_admin(id);
    let busy = app.model.group_action.busy;
    let error = app.model.group_action.error.clone();
    let mut ask = None;
    egui::Panel::right("members")
        .resizable(false)
        .exact_size(WIDTH)
        .frame(
            egui::Frame::NONE
                .fill(palette.sidebar)
                .inner_margin(egui::Margin::symmetric(12, 10)),
        )
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("MEMBERS · {}", group.members.len()))
                    .small()
                    .strong()
                    .color(palette.muted),
            );
            ui.add_space(4.0);
            egui::ScrollArea::vertical()
                .id_salt(("members", id))
                .auto_shrink([false, true])
                .max_height({
                    let below = if group.is_member { 150.0 } else { 20.0 };
                    (ui.available_height() - below).max(60.0)
                })
                .show(ui, |ui| {
                    for m in &group.members {
                        if let Some(a) = member_row(app, ui, &palette, m, &me, admin && !busy) {
                            ask = Some(a);
                        }
                    }
                });
            ui.add_space(8.0);
            if admin {
                ui.horizontal(|ui| {
                    let field = ui
                        .add(
                            TextEdit::singleline(&mut app.view.add_member)
                                .hint_text("Add someone…")
                                .desired_width(WIDTH - 90.0),
                        )
                        .accessible_name(format!("Add a member to {}", group.name));
                    let name = app.view.add_member.trim().to_string();
                    let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let add = ui.add_enabled(!busy && !name.is_empty(), egui::Button::new("Add"));
                    if (add.clicked() || enter) && !name.is_empty() && !busy {
                        ask = Some(Ask::Add(name));
                    }
                });
                ui.add_space(6.0);
            }
            if group.is_member {
                let leave = egui::Button::new(RichText::new("Leave group").color(palette.bad));
                if ui.add_enabled(!busy, leave).clicked() {
                    ask = Some(Ask::Leave);
                }
            }
            if busy {
                ui.spinner();
            }
            if let Some(error) = error {
                widgets::reason(ui, &error, palette.bad);
            }
        });
    let Some(ask) = ask else { return };
    let group_id = id.to_string();
    app.model.group_action.busy = true;
    app.model.group_action.error = None;
    let command = match ask {
        Ask::Remove(user) => Command::GroupRemove {
            group: group_id,
            users: vec![user],
        },
        Ask::Admin(user, admin) => Command::GroupAdmin {
            group: group_id,
            user,
            admin,
        },
        Ask::Add(user) => {
            app.view.add_member.clear();
            Command::GroupAdd {
                group: group_id,
                users: vec![user],
            }
        }
        Ask::Leave => Command::GroupLeave { group: group_id },
    };
    app.command(command);
}

/// One member: avatar with presence, name, admin mark, key warning, and
/// for admins the actions on others.
fn member_row(
    app: &App,
    ui: &mut Ui,
    palette: &Palette,
    m: &GroupMember,
    me: &str,
    actions: bool,
) -> Option<Ask> {
    let mine = m.user == me;
    let changed = m.trust == Some(TrustState::Changed) || app.model.changed_keys.contains(&m.user);
    let presence = if mine {
        None
    } else {
        app.model
            .presence_known()
            .then(|| app.model.is_online(&m.user))
    };
    let mut ask = None;
    ui.horizontal(|ui| {
        sidebar::avatar_widget(ui, &m.user, 11.0);
        let name = if mine {
            format!("{} (you)", m.user)
        } else {
            m.user.clone()
        };
        // Screen readers hear the row as one sentence.
        let mut spoken = format!("Member {name}");
        if m.admin {
            spoken.push_str(", admin");
        }
        if let Some(online) = presence {
            spoken.push_str(if online { ", online" } else { ", offline" });
        }
        if changed {
            spoken.push_str(", safety number changed");
        }
        let label = ui.label(RichText::new(name).strong());
        label.widget_info(|| WidgetInfo::labeled(Role::Label, true, &spoken));
        if m.admin {
            ui.label(RichText::new("admin").small().color(palette.warn));
        }
        if let Some(online) = presence {
            let color = if online { palette.good } else { palette.muted };
            widgets::dot(ui, color, 3.5);
        }
        if changed {
            ui.label(RichText::new("⚠").color(palette.bad))
                .on_hover_text(format!("{}'s safety number changed", m.user));
        }
    });
    if actions && !mine {
        ui.horizontal(|ui| {
            ui.add_space(30.0);
            let remove = ui
                .small_button("Remove")
                .accessible_name(format!("Remove {}", m.user));
            if remove.clicked() {
                ask = Some(Ask::Remove(m.user.clone()));
            }
            let (words, name, to) = if m.admin {
                (
                    "No longer admin",
                    format!("Make {} no longer admin", m.user),
                    false,
                )
            } else {
                ("Make admin", format!("Make {} admin", m.user), true)
            };
            if ui.small_button(words).accessible_name(name).clicked() {
                ask = Some(Ask::Admin(m.user.clone(), to));
            }
        });
    }
    if changed && !mine {
        ui.label(
            RichText::new(format!(
                "{}'s key changed: nothing is sent to {} until you review it",
                m.user, m.user
            ))
            .small()
            .color(palette.bad),
        );
    }
    ui.add_space(4.0);
    ask
}
