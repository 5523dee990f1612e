//! The "New group" dialog: a name, and members picked from the people one
//! talks to, who is online, and anyone found by typing a name. Create
//! asks chatd (`group_create`), which checks everything again; its
//! refusal is shown here in its words, and on success the dialog closes
//! and the new group opens.

use std::collections::BTreeSet;

use egui::{RichText, TextEdit, Ui};

use super::super::App;
use crate::backend::Command;
use crate::model::check_username;

/// What is typed and picked in the dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewGroupForm {
    /// The group's name.
    pub name: String,
    /// Narrows the people shown (and looks them up in the directory).
    pub filter: String,
    /// The filter last sent to chatd's directory.
    searched: String,
    /// The members picked.
    pub picked: BTreeSet<String>,
}

/// The longest group name chatd takes, in characters.
const MAX_NAME: usize = 64;

/// Draws the dialog.
pub fn show(app: &mut App, ui: &mut Ui) {
    let palette = app.palette();
    let Some(mut form) = app.view.new_group.take() else {
        return;
    };
    let filter = form.filter.trim().to_string();
    if filter != form.searched {
        form.searched = filter.clone();
        if !filter.is_empty() && check_username(&filter).is_none() {
            app.command(Command::Directory {
                prefix: filter.clone(),
            });
        }
    }
    let people = candidates(app, &form, &filter);
    let busy = app.model.group_action.busy;
    let error = app.model.group_action.error.clone();
    let modal = egui::Modal::new(egui::Id::unique("new_group_dialog")).show(ui.ctx(), |ui| {
        ui.set_width(420.0);
        ui.heading("New group");
        ui.add_space(6.0);
        let caption = ui.label("Name");
        ui.add(
            TextEdit::singleline(&mut form.name)
                .char_limit(MAX_NAME)
                .hint_text("such as: team")
                .desired_width(f32::INFINITY)
                .margin(egui::vec2(8.0, 6.0)),
        )
        .labelled_by(caption.id);
        ui.add_space(8.0);
        let caption = ui.label(format!("Members · {} picked", form.picked.len()));
        ui.add(
            TextEdit::singleline(&mut form.filter)
                .hint_text("🔍 Find people")
                .desired_width(f32::INFINITY)
                .margin(egui::vec2(8.0, 6.0)),
        )
        .labelled_by(caption.id)
        .accessible_name("Find people to add");
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .id_salt("new_group_people")
            .max_height(220.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                if people.is_empty() {
                    ui.label(
                        RichText::new("Nobody to show: type a name to find someone")
                            .color(palette.muted),
                    );
                }
                for user in &people {
                    let mut on = form.picked.contains(user);
                    if ui.checkbox(&mut on, user.as_str()).changed() {
                        if on {
                            form.picked.insert(user.clone());
                        } else {
                            form.picked.remove(user);
                        }
                    }
                }
            });
        ui.add_space(6.0);
        ui.label(
            RichText::new("You are its first member and its admin; you can add people later.")
                .small()
                .color(palette.muted),
        );
        if let Some(error) = &error {
            ui.label(RichText::new(error).color(palette.bad));
        }
        ui.add_space(8.0);
        let mut answer = None;
        ui.horizontal(|ui| {
            let ready = !busy && !form.name.trim().is_empty();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(RichText::new("Create group").strong()),
                )
                .clicked()
            {
                answer = Some(true);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(false);
            }
            if busy {
                ui.spinner();
            }
        });
        answer
    });
    match modal.inner.or(modal.should_close().then_some(false)) {
        Some(true) => {
            app.model.group_action.busy = true;
            app.model.group_action.error = None;
            app.command(Command::GroupCreate {
                name: form.name.trim().to_string(),
                members: form.picked.iter().cloned().collect(),
            });
            app.view.new_group = Some(form);
        }
        // Escape, a click outside, or Cancel: nothing is made.
        Some(false) => app.model.group_action.error = None,
        None => app.view.new_group = Some(form),
    }
}

/// The people to pick from: those picked, those one talks to, who is
/// online, and the directory's matches for the filter; never oneself.
fn candidates(app: &App, form: &NewGroupForm, filter: &str) -> Vec<String> {
    let me = app.model.account().unwrap_or("");
    let q = filter.to_lowercase();
    let mut all: BTreeSet<String> = form.picked.clone();
    all.extend(app.model.threads.keys().cloned());
    all.extend(app.model.online.iter().cloned());
    if let Some((prefix, users)) = &app.model.directory
        && prefix == filter
    {
        all.extend(users.iter().map(|u| u.username.clone()));
    }
    all.into_iter()
        .filter(|u| u != me)
        .filter(|u| form.picked.contains(u) || q.is_empty() || u.to_lowercase().contains(&q))
        .collect()
}
