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

/// Waits for the button with this name and clicks it.
pub fn click_when_shown(h: &mut Harness<'static, App>, name: &str) {
    wait_label(h, name);
    click(h, name);
}

/// A file dropped on the window, as the windowing layer hands it over.
#[derive(Debug)]
pub struct Dropped(pub std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drags `path` over the window, waits for the hint naming where it
/// goes ("Drop to send to bob"), and drops it.
pub fn drop_file(h: &mut Harness<'static, App>, hint: &str, path: &Path) {
    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(path.to_path_buf()),
        ..Default::default()
    });
    wait_label(h, hint);
    h.input_mut().hovered_files.clear();
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    h.step();
}

/// Waits until the model holds the transfer of message `id` in `state`,
/// and returns it.
pub fn wait_transfer(
    h: &mut Harness<'static, App>,
    id: &str,
    state: chatd_api::TransferState,
) -> chatd_api::Transfer {
    wait_ui(h, &format!("the transfer of {id} {state:?}"), |h| {
        h.state()
            .model
            .transfers
            .of(id)
            .is_some_and(|t| t.state == state)
    });
    h.state().model.transfers.of(id).cloned().unwrap()
}

/// Writes a photo-like PNG of `width` x `height` to `path`: a sky, a sun
/// and a hill, with grain in every pixel so that it does not compress
/// (about 3 bytes a pixel: a file big enough to be cut mid-upload).
pub fn write_photo(path: &Path, width: u32, height: u32) {
    let mut x: u32 = 0x9e37_79b9;
    let image = image::RgbImage::from_fn(width, height, |px, py| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let (u, v) = (px as f32 / width as f32, py as f32 / height as f32);
        let sun = ((u - 0.7).powi(2) + (v - 0.35).powi(2)).sqrt() < 0.08;
        let hill = v > 0.7 - 0.12 * (u * 5.0).sin();
        let base = match (sun, hill) {
            (true, _) => [255.0, 214.0, 120.0],
            (_, true) => [40.0 + 40.0 * v, 120.0 - 30.0 * v, 60.0],
            _ => [240.0 - 150.0 * v, 120.0 + 40.0 * v, 90.0 + 120.0 * v],
        };
        let grain = |shift: u32| ((x >> shift) & 0x3f) as f32 - 32.0;
        let c = |i: usize, s: u32| (base[i] + grain(s)).clamp(0.0, 255.0) as u8;
        image::Rgb([c(0, 0), c(1, 8), c(2, 16)])
    });
    image.save(path).unwrap();
}

/// chat-tui (the workspace's binary, built if missing) in a tmux pane on
/// the chatd at `socket`, opened with `args`.
pub fn chat_tui(socket: &Path, state: &Path, args: &[&str]) -> test_support::tmux::Tmux {
    let bin = test_support::daemon::binary("chat-tui").unwrap();
    test_support::tmux::Tmux::chat_tui(&bin, socket, state, args, 100, 30)
}

/// The window on a socket nobody serves, then told by hand that chatd
/// attached with `me` logged in: a test feeds the model what chatd would
/// report and looks at the real UI.
pub fn logged_in_window(dir: &tempfile::TempDir, me: &str) -> Harness<'static, App> {
    use chat_gui::backend::{Link, Update};
    use chatd_api::{ConnectionState, Status};
    let mut h = gui(&dir.path().join("nobody.sock"));
    // Once chatd is reported away, nothing more comes from the worker
    // (it reports the same failure once).
    wait_label(&mut h, "chatd is not running");
    let model = &mut h.state_mut().model;
    model.apply(Update::Link(Link::Attached));
    model.apply(Update::Status(Status {
        state: ConnectionState::LoggedIn,
        username: Some(me.into()),
        server: "127.0.0.1:1".into(),
        server_fingerprint: None,
        version: "0".into(),
        error: None,
        key_changes: Vec::new(),
        resume: true,
    }));
    h
}
