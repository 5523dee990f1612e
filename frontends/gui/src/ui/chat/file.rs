//! The file part of a message bubble: the image preview, the name and
//! size, and what can be done with the file where it is: a progress bar
//! (with Cancel) while it moves, Download for a received file not here
//! yet (with why the last try ended), Open and Show in folder once it is
//! here. Buttons are named with the file for screen readers ("Download
//! photo.jpg"); what they ask for is returned, not done, since the bubble
//! is drawn while the model is borrowed.

use std::path::PathBuf;

use chatd_api::domain::file_size;
use chatd_api::{Direction, FileInfo, Message, Transfer, TransferDirection, TransferState};
use egui::{RichText, Ui};

use super::super::Palette;
use super::thumbnail::{self, Thumbnails};
use crate::model::{FileStatus, Transfers, shown_name};

/// The widest a preview is drawn, and the highest.
const PREVIEW_MAX: egui::Vec2 = egui::vec2(240.0, 180.0);
/// The width a file bubble takes at least.
pub const MIN_WIDTH: f32 = 220.0;

/// What the person asked of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAction {
    /// Download the file of this message.
    Download {
        /// The message.
        id: String,
        /// The file's name.
        name: String,
    },
    /// Stop this transfer.
    Cancel {
        /// The transfer's id.
        transfer: String,
    },
    /// Open the local copy, or its folder.
    Open {
        /// The local copy.
        path: PathBuf,
        /// Its folder instead.
        folder: bool,
    },
}

/// What drawing a file needs besides the message.
pub struct FileCtx<'a> {
    /// The transfers chatd reported.
    pub transfers: &'a Transfers,
    /// Decoded previews.
    pub thumbnails: &'a mut Thumbnails,
    /// What the person clicked.
    pub actions: &'a mut Vec<FileAction>,
}

/// Draws `file` (of message `m`) inside its bubble, in `text_color`.
pub fn show(
    ui: &mut Ui,
    m: &Message,
    file: &FileInfo,
    cx: &mut FileCtx<'_>,
    text_color: egui::Color32,
    palette: &Palette,
) {
    let name = &shown_name(&file.name);
    if let Some(b64) = &file.thumbnail
        && let Some(texture) = cx.thumbnails.get(ui.ctx(), &m.id, b64)
    {
        let size = thumbnail::fit(texture.size_vec2(), PREVIEW_MAX);
        ui.add(
            egui::Image::new((texture.id(), size))
                .corner_radius(8)
                .alt_text(format!("Preview of {name}")),
        );
        ui.add_space(4.0);
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new("📄").size(22.0).color(text_color));
        ui.vertical(|ui| {
            ui.add(egui::Label::new(RichText::new(name).strong().color(text_color)).wrap());
            ui.label(
                RichText::new(file_size(file.size))
                    .small()
                    .color(text_color.gamma_multiply(0.75)),
            );
        });
    });
    let Some(status) = cx.transfers.status(m) else {
        return;
    };
    match status {
        FileStatus::Moving { transfer, fraction } => {
            let words = match (transfer.state, transfer.direction) {
                (TransferState::Waiting, _) => "Waiting".to_string(),
                (_, TransferDirection::Upload) => format!("Uploading {:.0}%", fraction * 100.0),
                (_, TransferDirection::Download) => {
                    format!("Downloading {:.0}%", fraction * 100.0)
                }
            };
            ui.horizontal(|ui| {
                let bar = egui::ProgressBar::new(fraction)
                    .desired_width(ui.available_width() - 70.0)
                    .text(words.clone());
                ui.add(bar).accessible_name(format!("{words} of {name}"));
                if ui
                    .button("Cancel")
                    .accessible_name(format!("Cancel {name}"))
                    .clicked()
                {
                    cx.actions.push(FileAction::Cancel {
                        transfer: transfer.id.clone(),
                    });
                }
            });
            if let Some(why) = &transfer.error {
                ui.label(RichText::new(why).small().color(palette.warn));
            }
        }
        FileStatus::Local { path, ended } => {
            if let Some(t) = ended {
                ended_line(ui, t, palette);
            }
            ui.horizontal(|ui| {
                if ui
                    .button("Open")
                    .accessible_name(format!("Open {name}"))
                    .clicked()
                {
                    cx.actions.push(FileAction::Open {
                        path: PathBuf::from(path),
                        folder: false,
                    });
                }
                if ui
                    .button("Show in folder")
                    .accessible_name(format!("Show {name} in its folder"))
                    .clicked()
                {
                    cx.actions.push(FileAction::Open {
                        path: PathBuf::from(path),
                        folder: true,
                    });
                }
            });
        }
        FileStatus::Remote { ended } => {
            if let Some(t) = ended {
                ended_line(ui, t, palette);
            }
            if m.direction == Direction::In
                && ui
                    .button("Download")
                    .accessible_name(format!("Download {name}"))
                    .clicked()
            {
                cx.actions.push(FileAction::Download {
                    id: m.id.clone(),
                    name: name.to_string(),
                });
            }
        }
    }
}

/// Why a transfer ended without success, in red.
fn ended_line(ui: &mut Ui, t: &Transfer, palette: &Palette) {
    let what = match t.direction {
        TransferDirection::Upload => "Upload",
        TransferDirection::Download => "Download",
    };
    let words = match (t.state, &t.error) {
        (TransferState::Cancelled, _) => format!("{what} cancelled"),
        (_, Some(why)) => format!("{what} failed: {why}"),
        _ => format!("{what} failed"),
    };
    ui.add(egui::Label::new(RichText::new(words).small().color(palette.bad)).wrap());
}
