//! The login and sign-up form: labelled fields (passwords masked), the
//! live password checks when signing up, what went wrong, and chatd's
//! state underneath.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{daemon_line, theme, wrapped_lines};
use crate::app::App;
use crate::app::login::{Field, LoginForm, Mode};
use crate::app::password;
use crate::layout::centered;

/// Columns of the label before each field.
const LABEL: u16 = 12;
/// Mask for password characters.
const MASK: char = '•';

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let form = app.login_form();
    let width = area.width.saturating_sub(2).min(66);
    let inner_width = width.saturating_sub(4);
    let mut lines: Vec<Line<'static>> = vec![Line::default()];
    let first_field_row = lines.len();
    for field in form.fields() {
        lines.push(field_line(form, *field, inner_width));
    }
    lines.push(Line::default());
    if form.mode == Mode::Signup {
        for check in password::checks(form.password.text(), form.repeat.text()) {
            let (mark, style) = if check.ok {
                ("✓ ", theme::good())
            } else {
                ("✗ ", theme::dim())
            };
            lines.push(Line::from(vec![
                Span::styled(mark, style),
                Span::styled(check.text, style),
            ]));
        }
        push_wrapped(
            &mut lines,
            "chatd also refuses common passwords and ones that contain your username.",
            inner_width,
            theme::dim(),
        );
        lines.push(Line::default());
    }
    if form.busy {
        let doing = match form.mode {
            Mode::Login => "Logging in…",
            Mode::Signup => "Creating the account…",
        };
        lines.push(Line::styled(doing, theme::bold()));
    } else if let Some(error) = &form.error {
        push_wrapped(&mut lines, &format!("✗ {error}"), inner_width, theme::bad());
    }
    lines.push(Line::default());
    let (submit, other) = match form.mode {
        Mode::Login => ("Enter: log in", "Ctrl+N: create a new account instead"),
        Mode::Signup => ("Enter: sign up", "Ctrl+N: log in to an existing account"),
    };
    lines.push(Line::styled(
        format!("{submit} · Tab: next field · Ctrl+C: quit"),
        theme::dim(),
    ));
    lines.push(Line::styled(other, theme::dim()));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let boxed = centered(area, width, height.min(area.height.saturating_sub(1)));
    let title = match form.mode {
        Mode::Login => " SecureChat · log in ",
        Mode::Signup => " SecureChat · create an account ",
    };
    let block = Block::bordered()
        .title(Line::styled(title, theme::accent()))
        .border_style(theme::accent());
    let inner = block.inner(boxed).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, boxed);
    frame.render_widget(Paragraph::new(lines), inner);
    if app.switched().is_none() {
        place_cursor(frame, form, inner, first_field_row);
    }
    let below = Rect::new(
        area.x,
        (boxed.y + boxed.height).min(area.bottom().saturating_sub(1)),
        area.width,
        1,
    );
    frame.render_widget(
        Paragraph::new(daemon_line(app))
            .centered()
            .wrap(Wrap { trim: true }),
        below,
    );
}

fn push_wrapped(lines: &mut Vec<Line<'static>>, text: &str, width: u16, style: Style) {
    lines.extend(wrapped_lines(text, usize::from(width), style));
}

fn label(field: Field) -> &'static str {
    match field {
        Field::Username => "Username",
        Field::Password => "Password",
        Field::Repeat => "Again",
    }
}

fn mask(field: Field) -> Option<char> {
    (field != Field::Username).then_some(MASK)
}

/// The visible part of a field: the row holding the cursor.
fn field_text(form: &LoginForm, field: Field, width: u16) -> (String, usize) {
    let wrapped = form
        .input(field)
        .wrapped(usize::from(width.saturating_sub(1).max(1)), mask(field));
    let row = wrapped
        .rows
        .get(wrapped.cursor_row)
        .cloned()
        .unwrap_or_default();
    (row, wrapped.cursor_col)
}

fn field_width(inner_width: u16) -> u16 {
    inner_width.saturating_sub(LABEL + 1).max(1)
}

fn field_line(form: &LoginForm, field: Field, inner_width: u16) -> Line<'static> {
    let focused = form.field == field;
    let width = field_width(inner_width);
    let (text, _) = field_text(form, field, width);
    let pad = usize::from(width).saturating_sub(crate::wrap::width(&text));
    let marker = if focused { "› " } else { "  " };
    let label_style = if focused {
        theme::accent()
    } else {
        theme::bold()
    };
    let label_text = format!("{marker}{:<w$}", label(field), w = usize::from(LABEL) - 2);
    Line::from(vec![
        Span::styled(label_text, label_style),
        Span::raw(" "),
        Span::styled(
            format!("{text}{}", " ".repeat(pad)),
            theme::text().add_modifier(Modifier::UNDERLINED),
        ),
    ])
}

fn place_cursor(frame: &mut Frame<'_>, form: &LoginForm, inner: Rect, first_row: usize) {
    if form.busy {
        return;
    }
    let Some(index) = form.fields().iter().position(|f| *f == form.field) else {
        return;
    };
    let width = field_width(inner.width);
    let (_, col) = field_text(form, form.field, width);
    let y = inner.y + u16::try_from(first_row + index).unwrap_or(0);
    let x = inner.x + LABEL + 1 + u16::try_from(col).unwrap_or(0).min(width);
    if y < inner.bottom() && x < inner.right() {
        frame.set_cursor_position(Position::new(x, y));
    }
}
