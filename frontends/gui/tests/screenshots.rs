//! The real `chat-gui` binary under Xvfb (Mesa's software OpenGL), against
//! a real server and daemons, saving one PNG per view into the test output
//! (`target/tmp/chat-gui-screenshots/`, or `$CHAT_GUI_SCREENSHOT_DIR`):
//! proof that the window opens and draws on a machine with no GPU, and the
//! pictures in docs/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use test_support::WireClient;
use test_support::fixtures::public_pem;

/// An Xvfb server on a free display; killed on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb, or `None` when it is not installed (outside CI).
    fn start() -> Option<Xvfb> {
        let installed = Command::new("Xvfb")
            .arg("-help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "Xvfb is missing; .ci/packages.d/gui.txt lists it (apt-get install xvfb)"
            );
            eprintln!("skipping: Xvfb is not installed (apt-get install xvfb)");
            return None;
        }
        // The tests of this file start their servers at once: one at a
        // time, or two would pick the same free display, the second Xvfb
        // would exit, and its test would take the first's socket for its
        // own and lose it when the first test ends.
        static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        for n in 90..200 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{n}");
            let mut child = Command::new("Xvfb")
                .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb");
            // Up: its socket exists; or gone: the display was taken after all.
            let up = test_support::wait::Wait::new(&format!("Xvfb on {display} to start or exit"))
                .within(Duration::from_secs(10))
                .until(|| {
                    // Ours only while it runs: a socket of another
                    // server on that display does not count.
                    if child.try_wait().unwrap().is_some() {
                        return Some(false);
                    }
                    Path::new(&format!("/tmp/.X11-unix/X{n}"))
                        .exists()
                        .then_some(true)
                });
            if up {
                return Some(Xvfb { child, display });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start Xvfb on any display from :90 to :199");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the PNGs go.
fn out_dir() -> PathBuf {
    let dir = std::env::var_os("CHAT_GUI_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("chat-gui-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary for one view and checks the PNG it saved.
fn shoot(x: &Xvfb, socket: &Path, view: &str, name: &str, extra: &[&str]) -> PathBuf {
    let path = out_dir().join(format!("gui-{name}.png"));
    let _ = std::fs::remove_file(&path);
    let out = Command::new(env!("CARGO_BIN_EXE_chat-gui"))
        .arg("--socket")
        .arg(socket)
        .args(extra)
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("CHAT_GUI_SCREENSHOT", &path)
        .env("CHAT_GUI_VIEW", view)
        .stdin(Stdio::null())
        .output()
        .expect("run chat-gui");
    assert!(
        out.status.success(),
        "chat-gui for {name} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
    // A frame that drew something is far from blank; a few KiB at least.
    assert!(
        png.len() > 8_000,
        "{name}: suspiciously small ({} bytes)",
        png.len()
    );
    println!("screenshot: {}", path.display());
    path
}

#[test]
fn every_view_of_the_real_binary_renders_under_xvfb() {
    let Some(x) = Xvfb::start() else { return };
    let w = World::new();
    let nowhere = w.dir.path().join("nobody/chatd.sock");
    let fresh = w.daemon("fresh");
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    let (_carol, _) =
        w.rt.block_on(WireClient::logged_in(
            w.server.addr,
            "carol",
            &public_pem("alice"),
        ))
        .unwrap();

    // A little history: carol first (older), then bob, with receipts.
    w.call(
        &mut alice,
        "send",
        json!({"to": "carol", "text": "Are we still on for Friday?"}),
    );
    let lines = [
        (true, "Hi Bob! Did the new build reach you?"),
        (false, "It did, installing it now."),
        (false, "Should we compare safety numbers first?"),
        (
            true,
            "Yes please: open the shield at the top right,\nthen read me your groups.",
        ),
    ];
    for (from_alice, text) in lines {
        let (c, to) = if from_alice {
            (&mut alice, "bob")
        } else {
            (&mut bob, "alice")
        };
        w.call(c, "send", json!({"to": to, "text": text}));
        test_support::wait::elapse_blocking(
            Duration::from_millis(30),
            "each message a later timestamp than the last, so the picture shows them in order",
        );
    }
    w.call(&mut bob, "subscribe", json!({}));
    w.call(&mut bob, "mark_read", json!({"peer": "alice"}));
    w.call(
        &mut alice,
        "send",
        json!({"to": "bob", "text": "Reading them out now."}),
    );
    w.event(&mut bob, "the last message", |e| {
        e["type"] == "message" && e["message"]["text"] == "Reading them out now."
    });

    std::thread::scope(|s| {
        s.spawn(|| shoot(&x, &nowhere, "not-running", "not-running", &[]));
        s.spawn(|| shoot(&x, &fresh.socket, "login", "login", &[]));
        s.spawn(|| shoot(&x, &fresh.socket, "signup", "signup", &[]));
        s.spawn(|| shoot(&x, &ad.socket, "chat", "chat", &[]));
        s.spawn(|| shoot(&x, &ad.socket, "chat", "chat-light", &["--theme", "light"]));
        s.spawn(|| shoot(&x, &ad.socket, "safety", "safety", &[]));
    });

    // carol's key changes: the warning. alice logs in again first so that
    // her chatd watches carol (a first `send` does not, a chatd bug).
    w.call(&mut alice, "logout", json!({}));
    w.call(
        &mut alice,
        "login",
        json!({"username": "alice", "password": PASSWORD}),
    );
    w.call(&mut alice, "subscribe", json!({}));
    let mut again = w.rt.block_on(WireClient::connect(w.server.addr)).unwrap();
    w.rt.block_on(again.login("carol", PASSWORD, &public_pem("bob")))
        .unwrap();
    w.event(&mut alice, "the key change", |e| e["type"] == "key_changed");
    shoot(&x, &ad.socket, "key-changed", "key-changed", &[]);
}

#[test]
fn the_group_view_renders_under_xvfb() {
    let Some(x) = Xvfb::start() else { return };
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    let (_cd, mut carol) = w.user("carol");
    let (_dd, mut dave) = w.user("dave");
    let kinds = json!({"events": ["message", "receipt", "group"]});
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        w.call(c, "subscribe", kinds.clone());
    }
    w.call(
        &mut alice,
        "send",
        json!({"to": "bob", "text": "Can you check the release notes?"}),
    );
    let made = w.call(
        &mut alice,
        "group_create",
        json!({"name": "Release crew", "members": ["bob", "carol", "dave"]}),
    );
    let group = made["group"]["id"].as_str().unwrap().to_string();
    for c in [&mut bob, &mut carol, &mut dave] {
        w.event(c, "joining the group", |e| e["type"] == "group");
    }
    let talk = [
        ("bob", "Shipping 1.4 tonight?"),
        ("dave", "Metrics look calm, I will watch them."),
        (
            "alice",
            "Yes: release notes are in and the tests are green.",
        ),
    ];
    for (who, text) in talk {
        let c = match who {
            "bob" => &mut bob,
            "dave" => &mut dave,
            _ => &mut alice,
        };
        w.call(c, "send", json!({"group": group, "text": text}));
        test_support::wait::elapse_blocking(
            Duration::from_millis(30),
            "each message a later timestamp than the last, so the picture shows them in order",
        );
    }
    // bob and dave read it; carol only has it.
    for c in [&mut bob, &mut carol, &mut dave] {
        w.event(c, "alice's group message", |e| {
            e["type"] == "message"
                && e["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Yes"))
        });
    }
    for c in [&mut bob, &mut dave] {
        w.call(c, "mark_read", json!({"group": group}));
    }
    w.event(&mut alice, "bob and dave reading", |e| {
        e["type"] == "receipt"
            && e["receipts"]["read"]
                .as_array()
                .is_some_and(|r| r.len() == 2)
    });
    shoot(&x, &ad.socket, "group", "group", &[]);
}

/// A conversation with files: a text file still to download, and a
/// photo with its preview, downloaded (Open, Show in folder).
#[test]
fn the_file_view_renders_under_xvfb() {
    let Some(x) = Xvfb::start() else { return };
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    let kinds = json!({"events": ["message", "transfer"]});
    w.call(&mut alice, "subscribe", kinds.clone());
    w.call(&mut bob, "subscribe", kinds);
    w.call(
        &mut alice,
        "send",
        json!({"to": "bob", "text": "How was the hike?"}),
    );
    w.event(&mut bob, "alice's question", |e| e["type"] == "message");
    let notes = w.dir.path().join("route-notes.txt");
    std::fs::write(
        &notes,
        "Start at the car park, left at the lake.\n".repeat(200),
    )
    .unwrap();
    let photo = w.dir.path().join("summit.png");
    write_photo(&photo, 1200, 900);
    let files = [
        (&notes, "The route, if you want to go"),
        (&photo, "The view from the top"),
    ];
    let mut last = Value::Null;
    for (path, caption) in files {
        let name = path.file_name().unwrap().to_str().unwrap();
        w.call(
            &mut bob,
            "send_file",
            json!({"to": "alice", "path": path.display().to_string(), "caption": caption}),
        );
        // One at a time, so that they arrive in this order.
        last = w.event(&mut alice, name, |e| {
            e["type"] == "message" && e["message"]["file"]["name"] == name
        });
    }
    // alice has downloaded the photo; the notes are still on the server.
    w.call(&mut alice, "download", json!({"id": last["message"]["id"]}));
    w.event(&mut alice, "the photo downloaded", |e| {
        e["type"] == "transfer" && e["transfer"]["state"] == "done"
    });
    shoot(&x, &ad.socket, "chat", "files", &[]);
}
