//! Shared setup of chat-gui's tests: a real chat-server and real chatd
//! processes in temp dirs, a raw JSON-RPC client to play the other people,
//! and the real UI in an egui_kittest harness with named waits.
#![allow(
    dead_code,
    unused_imports,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::new_without_default
)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chat_gui::ui::{App, Options};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
pub use serde_json::{Value, json};
pub use test_support::{DaemonProcess, RpcClient, ServerProcess};

pub const PASSWORD: &str = "correct horse battery";
/// How long the UI may take to show what a test waits for.
pub const UI_TIMEOUT: Duration = Duration::from_secs(30);

/// One server and a temp dir for daemons, with the runtime the process
/// helpers and raw clients run on.
pub use test_support::BlockingWorld as World;

/// The real app on chatd's socket at `socket`, in a kittest harness.
pub fn gui(socket: &Path) -> Harness<'static, App> {
    let options = Options {
        socket: Some(socket.to_path_buf()),
        ..Options::default()
    };
    // The harness is stepped by the test, which polls; nothing to wake.
    let app = App::new(options, Arc::new(|| {})).unwrap();
    Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .with_max_steps(16)
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// Steps the UI until `pred` holds, failing with `what` after a while.
pub fn wait_ui(
    h: &mut Harness<'static, App>,
    what: &str,
    pred: impl Fn(&Harness<'static, App>) -> bool,
) {
    let what = format!("the window to show {what}");
    test_support::wait::Wait::new(&what)
        .within(UI_TIMEOUT)
        .every(Duration::from_millis(15))
        .until(|| {
            h.step();
            if pred(h) {
                return Ok(());
            }
            let m = &h.state().model;
            Err(format!(
                "link: {:?}\nstatus: {:?}\nalerts: {:?}\n\
                 notices: {:?}\ndirectory: {:?}\nopen: {:?}",
                m.link,
                m.status,
                m.key_alerts,
                m.notices,
                m.directory,
                h.state().view.open
            ))
        });
    // Let the frame that showed it settle (layout uses the last one),
    // then check that every control on screen has a name.
    h.step();
    h.check_accessibility();
}

/// Waits until a node with exactly this label is on screen.
pub fn wait_label(h: &mut Harness<'static, App>, label: &str) {
    let owned = label.to_string();
    wait_ui(h, &format!("{label:?}"), move |h| {
        h.query_all_by_label(&owned).next().is_some()
    });
}

/// Waits until a node whose label contains `part` is on screen.
pub fn wait_label_contains(h: &mut Harness<'static, App>, part: &str) {
    let owned = part.to_string();
    wait_ui(h, &format!("something with {part:?}"), move |h| {
        h.query_all_by_label_contains(&owned).next().is_some()
    });
}

/// Waits until nothing with this label is on screen.
pub fn wait_gone(h: &mut Harness<'static, App>, label: &str) {
    let owned = label.to_string();
    wait_ui(h, &format!("{label:?} gone"), move |h| {
        h.query_all_by_label(&owned).next().is_none()
    });
}

/// Types into the text field with this accessible name.
pub fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

/// Clicks the button with this name.
pub fn click(h: &mut Harness<'static, App>, name: &str) {
    h.get_by_role_and_label(egui::accesskit::Role::Button, name)
        .click();
    h.step();
    h.step();
}
