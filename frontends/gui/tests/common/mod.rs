//! Shared setup of chat-gui's tests: a real chat-server and real chatd
//! processes in temp dirs, a raw JSON-RPC client to play the other people,
//! and the real UI in an egui_kittest harness with named waits.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::new_without_default
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub server: ServerProcess,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let bin = test_support::daemon::binary("chat-server").expect("chat-server binary");
        Self {
            rt,
            server: ServerProcess::start(&bin, &[]).expect("server"),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Starts a daemon for `name` (no account yet).
    pub fn daemon(&self, name: &str) -> DaemonProcess {
        self.rt
            .block_on(DaemonProcess::start(
                &self.dir.path().join(name),
                self.server.addr,
                &self.server.fingerprint,
            ))
            .expect("chatd starts")
    }

    /// Starts a daemon and signs `name` up through it.
    pub fn user(&self, name: &str) -> (DaemonProcess, RpcClient) {
        let d = self.daemon(name);
        let mut c = self.rt.block_on(d.client()).unwrap();
        self.wait_state(&mut c, &["connected", "logged_in"]);
        let r = self.call(
            &mut c,
            "signup",
            json!({"username": name, "password": PASSWORD}),
        );
        assert_eq!(r, json!({"username": name}));
        (d, c)
    }

    /// Calls a method and expects success.
    pub fn call(&self, c: &mut RpcClient, method: &str, params: Value) -> Value {
        self.rt.block_on(c.ok(method, params)).unwrap()
    }

    /// Polls `status` until the state is one of `states`.
    pub fn wait_state(&self, c: &mut RpcClient, states: &[&str]) {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let s = self.call(c, "status", json!({}));
            if states.iter().any(|st| s["state"] == *st) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chatd never reached {states:?}: {s}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits for an event matching `pred` on a subscribed client.
    pub fn event(&self, c: &mut RpcClient, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.rt.block_on(c.event_where(what, pred)).unwrap()
    }
}

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
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        h.step();
        if pred(h) {
            // Let the frame that showed it settle (layout uses the last one),
            // then check that every control on screen has a name.
            h.step();
            h.check_accessibility();
            return;
        }
        if Instant::now() > deadline {
            let m = &h.state().model;
            panic!(
                "the window never showed {what}\nlink: {:?}\nstatus: {:?}\nalerts: {:?}\n\
                 notices: {:?}\ndirectory: {:?}\nopen: {:?}",
                m.link,
                m.status,
                m.key_alerts,
                m.notices,
                m.directory,
                h.state().view.open
            );
        }
        std::thread::sleep(Duration::from_millis(15));
    }
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
