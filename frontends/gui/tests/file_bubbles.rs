//! The file bubbles of the real UI, fed by hand what chatd would report
//! (a received file, its download moving, ending, failing), so every
//! state of a file is looked at by label and role without a transfer to
//! wait for. The window is started on a socket nobody serves, and the
//! model is given chatd's state once the window has said so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;

use base64::Engine as _;
use chat_gui::backend::Update;
use chat_gui::ui::App;
use chatd_api::{
    Chat, Direction, Event, EventBody, FileInfo, Message, MessageStatus, Transfer,
    TransferDirection, TransferState,
};
use common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The window, believing chatd attached with alice logged in, showing
/// the conversation with bob.
fn window(dir: &tempfile::TempDir) -> Harness<'static, App> {
    let mut h = logged_in_window(dir, "alice");
    h.state_mut().view.open = Some(Chat::peer("bob"));
    h
}

fn file_message(id: &str, name: &str, size: u64, thumbnail: Option<String>) -> Message {
    Message {
        id: id.into(),
        from: "bob".into(),
        to: "alice".into(),
        text: "look at this".into(),
        ts: 1_700_000_000_000,
        direction: Direction::In,
        status: MessageStatus::Read,
        group: None,
        receipts: None,
        file: Some(FileInfo {
            name: name.into(),
            size,
            mime: "image/png".into(),
            thumbnail,
            path: None,
            transfer: None,
        }),
    }
}

fn feed(h: &mut Harness<'static, App>, body: EventBody) {
    h.state_mut()
        .model
        .apply(Update::Event(Event { seq: 1, body }));
}

fn download(state: TransferState, bytes: u64) -> Transfer {
    Transfer {
        id: "t1".into(),
        message: "m1".into(),
        direction: TransferDirection::Download,
        peer: Some("bob".into()),
        group: None,
        name: "photo.png".into(),
        size: 3000,
        bytes,
        total: 4000,
        state,
        error: None,
        path: None,
        created: 1,
        updated: 1,
    }
}

/// A `w`×`h` PNG, b64.
fn png(w: u32, h: u32) -> String {
    let image = image::RgbaImage::from_pixel(w, h, image::Rgba([30, 160, 90, 255]));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

#[test]
fn a_received_file_moves_from_download_through_progress_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = window(&dir);
    let message = file_message("m1", "photo.png", 3000, Some(png(64, 40)));
    feed(
        &mut h,
        EventBody::Message {
            message: message.clone(),
            focused: true,
        },
    );
    wait_label(&mut h, "photo.png");
    wait_label(&mut h, "3.0 kB");
    wait_label(&mut h, "look at this");
    assert!(
        h.query_by_role_and_label(Role::Image, "Preview of photo.png")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Download photo.png")
            .is_some()
    );

    // Download asks the worker (which has no chatd here: a notice says
    // so); chatd's events move the bar.
    click(&mut h, "Download photo.png");
    wait_ui(&mut h, "the notice", |h| {
        h.state()
            .model
            .notices
            .iter()
            .any(|n| n.contains("chatd is not running"))
    });
    feed(
        &mut h,
        EventBody::Transfer {
            transfer: Box::new(download(TransferState::Active, 1000)),
            progress: false,
        },
    );
    wait_label(&mut h, "Downloading 25% of photo.png");
    feed(
        &mut h,
        EventBody::Transfer {
            transfer: Box::new(download(TransferState::Active, 3000)),
            progress: true,
        },
    );
    wait_label(&mut h, "Downloading 75% of photo.png");
    assert!(
        h.query_by_role_and_label(Role::Button, "Cancel photo.png")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Download photo.png")
            .is_none()
    );

    // Done: Open and Show in folder instead.
    let mut done = download(TransferState::Done, 4000);
    done.path = Some(dir.path().join("photo.png").display().to_string());
    feed(
        &mut h,
        EventBody::Transfer {
            transfer: Box::new(done),
            progress: false,
        },
    );
    wait_label(&mut h, "Open photo.png");
    assert!(
        h.query_by_role_and_label(Role::Button, "Show photo.png in its folder")
            .is_some()
    );
    wait_gone(&mut h, "Cancel photo.png");
}

#[test]
fn a_failed_download_says_why_and_offers_download_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = window(&dir);
    feed(
        &mut h,
        EventBody::Message {
            message: file_message("m1", "photo.png", 3000, Some("bm90IGFuIGltYWdl".into())),
            focused: true,
        },
    );
    wait_label(&mut h, "photo.png");
    // A preview that is no image is left out, quietly.
    assert!(h.query_all_by_role(Role::Image).next().is_none());
    let mut failed = download(TransferState::Failed, 100);
    failed.error = Some("the file did not match what bob sent".into());
    feed(
        &mut h,
        EventBody::Transfer {
            transfer: Box::new(failed),
            progress: false,
        },
    );
    wait_label(
        &mut h,
        "Download failed: the file did not match what bob sent",
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Download photo.png")
            .is_some()
    );
}

#[test]
fn a_hostile_file_name_is_shown_defused() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = window(&dir);
    feed(
        &mut h,
        EventBody::Message {
            message: file_message("m1", "invoice\u{202e}fdp.exe", 10, None),
            focused: true,
        },
    );
    wait_label(&mut h, "invoice_fdp.exe");
    assert!(
        h.query_by_role_and_label(Role::Button, "Download invoice_fdp.exe")
            .is_some()
    );
}

#[test]
fn hovering_files_says_where_they_go_and_a_drop_takes_the_draft_as_caption() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = window(&dir);
    h.state_mut().view.open = None;
    let doc = dir.path().join("plan.txt");
    std::fs::write(&doc, b"the plan").unwrap();
    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(doc.clone()),
        ..Default::default()
    });
    wait_label(&mut h, "Open a conversation to send files to it");
    h.input_mut().hovered_files.clear();
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(doc.clone())));
    wait_ui(&mut h, "why nothing was sent", |h| {
        h.state()
            .model
            .notices
            .iter()
            .any(|n| n.contains("Open a conversation"))
    });

    feed(
        &mut h,
        EventBody::Message {
            message: file_message("m1", "photo.png", 3000, None),
            focused: true,
        },
    );
    h.state_mut().view.open = Some(Chat::peer("bob"));
    wait_label(&mut h, "Message to bob");
    type_into(&mut h, "Message to bob", "our plan");
    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(doc.clone()),
        ..Default::default()
    });
    wait_label(&mut h, "Drop to send to bob");
    h.input_mut().hovered_files.clear();
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(doc)));
    wait_gone(&mut h, "Drop to send to bob");
    // The words went with the file (to a worker without chatd here).
    assert_eq!(
        h.get_by_label("Message to bob").value().as_deref(),
        Some("")
    );
    // The paper clip is there, named.
    assert!(
        h.query_by_role_and_label(Role::Button, "Attach a file")
            .is_some()
    );
}
