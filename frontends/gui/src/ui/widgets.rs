//! Small widgets several views share, each with an accessible name: a
//! labelled text field, an icon button that says what it does, a presence
//! dot, a reason shown under a field.

use egui::{Color32, Response, RichText, Sense, TextEdit, Ui};

/// The names of the log-in and sign-up fields (see [`field_id`]).
pub const FIELD_IDS: [&str; 5] = [
    "login_user",
    "login_password",
    "signup_user",
    "signup_password",
    "signup_confirm",
];

/// A form field's egui id, the same wherever the form sits, so that its
/// state (which includes undo copies of what was typed) can be wiped.
pub fn field_id(name: &str) -> egui::Id {
    egui::Id::unique(("form_field", name))
}

/// A caption above a text field, tied to it for screen readers (the
/// field's accessible name is the caption). `name` is one of
/// [`FIELD_IDS`].
pub fn labelled_field(
    ui: &mut Ui,
    caption: &str,
    text: &mut String,
    password: bool,
    name: &str,
) -> Response {
    debug_assert!(FIELD_IDS.contains(&name), "{name} is not in FIELD_IDS");
    let label = ui.label(caption);
    ui.add(
        TextEdit::singleline(text)
            .id(field_id(name))
            .password(password)
            .desired_width(f32::INFINITY)
            .margin(egui::vec2(8.0, 6.0)),
    )
    .labelled_by(label.id)
}

/// A button showing only an icon, named for screen readers and tooltips.
pub fn icon_button(ui: &mut Ui, icon: &str, name: &str) -> Response {
    let response = ui
        .add(egui::Button::new(RichText::new(icon).size(17.0)).frame(false))
        .on_hover_text(name);
    response.accessible_name(name)
}

/// A reason something is refused, under its field.
pub fn reason(ui: &mut Ui, text: &str, color: Color32) -> Response {
    ui.label(RichText::new(text).small().color(color))
}

/// A filled circle (presence), painted without an accessibility node of
/// its own: the row it belongs to says "online" in words.
pub fn dot(ui: &mut Ui, color: Color32, radius: f32) {
    let (rect, _) =
        ui.allocate_exact_size(egui::vec2(radius * 2.0 + 4.0, radius * 2.0), Sense::hover());
    ui.painter().circle_filled(rect.center(), radius, color);
}
