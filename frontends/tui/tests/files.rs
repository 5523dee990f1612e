//! Files in chat-tui without a daemon: a file message in the timeline with
//! its name, size and caption; the gauge of a transfer following its
//! `transfer` events; `/send-file`, `/download` and `/cancel` asking chatd
//! for the right thing; and a transfer's end said once as a notice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_tui::app::notice::Level;
use chat_tui::app::{Answer, Request};
use chatd_api::{
    Chat, Direction, EventBody, FileInfo, FileSent, Message, MessageStatus, Transfer,
    TransferDirection, TransferState, TrustState,
};
use common::*;
use crossterm::event::KeyCode;

/// A file from bob, two minutes ago.
fn photo_from_bob(caption: &str) -> Message {
    let mut m = message(
        "f1",
        Direction::In,
        "bob",
        caption,
        NOW - 2 * MINUTE,
        MessageStatus::Delivered,
    );
    m.file = Some(FileInfo {
        name: "photo.jpg".into(),
        size: 1_234_567,
        mime: "image/jpeg".into(),
        thumbnail: None,
        path: None,
        transfer: None,
    });
    m
}

/// An upload to bob of "report.pdf", `bytes` of 1000 moved.
fn upload(state: TransferState, bytes: u64) -> Transfer {
    Transfer {
        id: "t1".into(),
        message: "o1".into(),
        direction: TransferDirection::Upload,
        peer: Some("bob".into()),
        group: None,
        name: "report.pdf".into(),
        size: 900,
        bytes,
        total: 1000,
        state,
        error: None,
        path: None,
        created: NOW,
        updated: NOW,
    }
}

fn transfer_event(app: &mut chat_tui::app::App, seq: u64, t: Transfer, progress: bool) {
    event(
        app,
        seq,
        EventBody::Transfer {
            transfer: Box::new(t),
            progress,
        },
    );
}

#[test]
fn a_file_shows_its_name_size_and_caption() {
    let mut app = with_bob(TrustState::Verified);
    event(
        &mut app,
        70,
        EventBody::Message {
            message: photo_from_bob("the view from the top"),
            focused: true,
        },
    );
    let shown = draw(&app);
    assert!(shown.contains("bob 📎 photo.jpg (1.2 MB)"), "{shown}");
    assert!(shown.contains("the view from the top"), "{shown}");
}

#[test]
fn a_hostile_file_name_is_cleaned() {
    let mut app = with_bob(TrustState::Verified);
    let mut m = photo_from_bob("");
    if let Some(f) = m.file.as_mut() {
        f.name = "x\x1b]0;owned\x07.jpg".into();
    }
    event(
        &mut app,
        70,
        EventBody::Message {
            message: m,
            focused: true,
        },
    );
    let shown = draw(&app);
    assert!(!shown.contains('\x1b'));
    assert!(shown.contains("📎 x�]0;owned�.jpg"), "{shown}");
}

#[test]
fn the_gauge_follows_progress_and_goes_when_done() {
    let mut app = with_bob(TrustState::Verified);
    assert!(app.transfer_gauge().is_none());
    transfer_event(&mut app, 71, upload(TransferState::Active, 250), false);
    let (label, ratio) = app.transfer_gauge().expect("a gauge");
    assert_eq!(label, "↑ report.pdf (900 bytes) 25%");
    assert!((ratio - 0.25).abs() < 1e-9);
    assert!(draw(&app).contains("↑ report.pdf (900 bytes) 25%"));
    transfer_event(&mut app, 71, upload(TransferState::Active, 750), true);
    let (label, ratio) = app.transfer_gauge().expect("a gauge");
    assert!(label.ends_with("75%"), "{label}");
    assert!((ratio - 0.75).abs() < 1e-9);
    assert!(draw(&app).contains("75%"));
    transfer_event(&mut app, 72, upload(TransferState::Done, 1000), false);
    assert!(app.transfer_gauge().is_none());
    assert!(!draw(&app).contains("report.pdf"));
    // Another conversation's transfer shows no gauge here.
    let mut elsewhere = upload(TransferState::Active, 10);
    elsewhere.id = "t2".into();
    elsewhere.peer = Some("carol".into());
    transfer_event(&mut app, 73, elsewhere, false);
    assert!(app.transfer_gauge().is_none());
}

#[test]
fn a_failed_transfer_is_said_once() {
    let mut app = with_bob(TrustState::Verified);
    transfer_event(&mut app, 71, upload(TransferState::Active, 250), false);
    let mut failed = upload(TransferState::Failed, 250);
    failed.error = Some("the server refused it: too large".into());
    transfer_event(&mut app, 72, failed.clone(), false);
    let notice = app.notice().expect("a notice");
    assert_eq!(notice.level, Level::Error);
    assert_eq!(
        notice.text,
        "the upload of report.pdf failed: the server refused it: too large"
    );
    press(&mut app, KeyCode::Esc);
    // chatd's replay after a reconnect says it again: not shown again.
    transfer_event(&mut app, 72, failed, false);
    assert!(app.notice().is_none(), "{:?}", app.notice());
    assert!(app.transfer_gauge().is_none());
}

#[test]
fn download_asks_for_the_newest_file_and_shows_it_saved() {
    let mut app = with_bob(TrustState::Verified);
    event(
        &mut app,
        70,
        EventBody::Message {
            message: photo_from_bob(""),
            focused: true,
        },
    );
    type_text(&mut app, "/download");
    let effects = press(&mut app, KeyCode::Enter);
    let download = Request::Download {
        id: "f1".into(),
        name: "photo.jpg".into(),
    };
    assert_eq!(calls(&effects), vec![download.clone()]);
    let t = Transfer {
        id: "d1".into(),
        message: "f1".into(),
        direction: TransferDirection::Download,
        name: "photo.jpg".into(),
        size: 1_234_567,
        total: 1_300_000,
        ..upload(TransferState::Active, 0)
    };
    answer(&mut app, download, Ok(Answer::Transfer(t.clone())));
    assert_eq!(app.notice().unwrap().text, "downloading photo.jpg…");
    assert!(draw(&app).contains("↓ photo.jpg (1.2 MB) 0%"));
    let done = Transfer {
        state: TransferState::Done,
        bytes: 1_300_000,
        path: Some("/home/alice/Downloads/photo.jpg".into()),
        ..t
    };
    transfer_event(&mut app, 74, done, false);
    assert_eq!(
        app.notice().unwrap().text,
        "saved photo.jpg as /home/alice/Downloads/photo.jpg"
    );
    assert!(draw(&app).contains("📎 photo.jpg (1.2 MB) · saved"));
    // Asked again: it is here already, chatd is not asked.
    type_text(&mut app, "/download");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(calls(&effects).is_empty(), "{effects:?}");
    assert!(app.notice().unwrap().text.contains("is here already"));
    // No second file.
    type_text(&mut app, "/download 2");
    press(&mut app, KeyCode::Enter);
    assert!(app.notice().unwrap().text.contains("fewer than 2 files"));
}

#[test]
fn send_file_goes_to_the_open_conversation_and_cancel_stops_it() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "/send-file \"~/report.pdf\" the figures");
    let effects = press(&mut app, KeyCode::Enter);
    let send = Request::SendFile {
        chat: Chat::peer("bob"),
        path: "~/report.pdf".into(),
        caption: Some("the figures".into()),
    };
    assert_eq!(calls(&effects), vec![send.clone()]);
    let sent = FileSent {
        id: "o1".into(),
        transfer: upload(TransferState::Waiting, 0),
    };
    answer(&mut app, send, Ok(Answer::FileSent(sent)));
    assert_eq!(
        app.transfer_gauge().map(|g| g.0).as_deref(),
        Some("↑ report.pdf (900 bytes) waiting")
    );
    type_text(&mut app, "/cancel");
    let effects = press(&mut app, KeyCode::Enter);
    let cancel = Request::CancelTransfer { id: "t1".into() };
    assert_eq!(calls(&effects), vec![cancel.clone()]);
    answer(
        &mut app,
        cancel,
        Ok(Answer::Transfer(upload(TransferState::Cancelled, 0))),
    );
    assert!(app.transfer_gauge().is_none());
    assert_eq!(
        app.notice().unwrap().text,
        "the upload of report.pdf was cancelled"
    );
    // A refusal is said.
    type_text(&mut app, "/send-file /nope");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::SendFile {
            chat: Chat::peer("bob"),
            path: "/nope".into(),
            caption: None,
        },
        refused(
            chatd_api::ErrorCode::InvalidInput,
            "cannot read /nope: no such file",
        ),
    );
    assert_eq!(
        app.notice().unwrap().text,
        "cannot send /nope: cannot read /nope: no such file"
    );
}
