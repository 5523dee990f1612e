//! The two colour themes: the dark one the seed shows (near-black
//! background, the people list in a slightly lighter panel on the left,
//! blue bubbles for what you sent) and a light one with the same layout.
//! Colours that egui's visuals have no slot for live in [`Palette`].

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Visuals};

use crate::cli::Theme;

/// Colours of our own widgets (bubbles, dots, badges).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    /// The conversation's background.
    pub background: Color32,
    /// The side panel's background.
    pub sidebar: Color32,
    /// A selected row in the side panel.
    pub selected: Color32,
    /// Bubbles of received messages.
    pub bubble_in: Color32,
    /// Text on received bubbles.
    pub bubble_in_text: Color32,
    /// Bubbles of sent messages.
    pub bubble_out: Color32,
    /// Text on sent bubbles.
    pub bubble_out_text: Color32,
    /// Secondary text (times, previews).
    pub muted: Color32,
    /// Buttons, badges, links.
    pub accent: Color32,
    /// Online dot, verified marks.
    pub good: Color32,
    /// Connecting, unverified.
    pub warn: Color32,
    /// Offline, errors, key changes.
    pub bad: Color32,
    /// The "read" mark on sent bubbles.
    pub read_mark: Color32,
}

impl Palette {
    /// The palette of a theme.
    pub fn of(theme: Theme) -> Self {
        match theme {
            Theme::Dark => Self {
                background: Color32::from_rgb(0x0f, 0x12, 0x17),
                sidebar: Color32::from_rgb(0x16, 0x1a, 0x21),
                selected: Color32::from_rgb(0x23, 0x2a, 0x36),
                bubble_in: Color32::from_rgb(0x24, 0x2a, 0x35),
                bubble_in_text: Color32::from_rgb(0xe6, 0xe9, 0xef),
                bubble_out: Color32::from_rgb(0x2f, 0x5f, 0xd8),
                bubble_out_text: Color32::WHITE,
                muted: Color32::from_rgb(0x8b, 0x94, 0xa5),
                accent: Color32::from_rgb(0x4c, 0x8d, 0xff),
                good: Color32::from_rgb(0x3f, 0xc8, 0x7a),
                warn: Color32::from_rgb(0xf0, 0xb4, 0x29),
                bad: Color32::from_rgb(0xf0, 0x5a, 0x5a),
                read_mark: Color32::from_rgb(0x7c, 0xf2, 0xc8),
            },
            Theme::Light => Self {
                background: Color32::from_rgb(0xff, 0xff, 0xff),
                sidebar: Color32::from_rgb(0xf2, 0xf4, 0xf7),
                selected: Color32::from_rgb(0xdd, 0xe5, 0xf3),
                bubble_in: Color32::from_rgb(0xe9, 0xec, 0xf1),
                bubble_in_text: Color32::from_rgb(0x14, 0x18, 0x1f),
                bubble_out: Color32::from_rgb(0x25, 0x63, 0xeb),
                bubble_out_text: Color32::WHITE,
                muted: Color32::from_rgb(0x5f, 0x68, 0x78),
                accent: Color32::from_rgb(0x1d, 0x5b, 0xd6),
                good: Color32::from_rgb(0x1f, 0x9d, 0x55),
                warn: Color32::from_rgb(0xb7, 0x79, 0x00),
                bad: Color32::from_rgb(0xc9, 0x2a, 0x2a),
                read_mark: Color32::from_rgb(0x9d, 0xf7, 0xd4),
            },
        }
    }
}

/// Applies a theme to the whole UI.
pub fn apply(ctx: &egui::Context, theme: Theme) {
    let palette = Palette::of(theme);
    let mut visuals = match theme {
        Theme::Dark => Visuals::dark(),
        Theme::Light => Visuals::light(),
    };
    visuals.panel_fill = palette.background;
    visuals.window_fill = palette.sidebar;
    visuals.extreme_bg_color = match theme {
        Theme::Dark => Color32::from_rgb(0x0b, 0x0d, 0x11),
        Theme::Light => Color32::from_rgb(0xf7, 0xf8, 0xfa),
    };
    visuals.hyperlink_color = palette.accent;
    visuals.selection.bg_fill = palette.accent.gamma_multiply(0.55);
    visuals.selection.stroke = Stroke::new(1.0, palette.accent);
    visuals.window_corner_radius = CornerRadius::same(12);
    visuals.menu_corner_radius = CornerRadius::same(8);
    for w in [
        &mut visuals.widgets.inactive,
        &mut visuals.widgets.hovered,
        &mut visuals.widgets.active,
        &mut visuals.widgets.open,
        &mut visuals.widgets.noninteractive,
    ] {
        w.corner_radius = CornerRadius::same(8);
    }
    let egui_theme = match theme {
        Theme::Dark => egui::Theme::Dark,
        Theme::Light => egui::Theme::Light,
    };
    ctx.set_theme(egui_theme);
    ctx.set_visuals_of(egui_theme, visuals);
    ctx.style_mut_of(egui_theme, |style| {
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(12.0, 6.0);
        style.spacing.interact_size.y = 30.0;
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(22.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(15.0, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(15.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Small,
                FontId::new(12.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(15.0, FontFamily::Monospace),
            ),
        ]
        .into();
    });
}
