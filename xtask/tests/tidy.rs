//! Tidy tests, in the manner of rust-analyzer's: ordinary tests that read
//! the source tree and `cargo metadata` and keep the invariants of
//! docs/ARCHITECTURE.md (and of the test suite) true, failing with the file
//! or the dependency path at fault and what to do about it.
//!
//! - chat-server never reaches chat-e2e.
//! - A frontend (a crate under frontends/) reaches chatd-api and no other
//!   workspace crate, and chatd-api reaches none: so no frontend links
//!   chatd, chat-e2e, chat-server or chat-proto (whose cryptography and
//!   wire types are the daemon's business), nor the RSA/AES crates.
//! - chat-proto and chat-e2e, built with any of their features, reach
//!   neither SQLite nor tokio's runtime: of tokio they may use the I/O
//!   traits (`io-util`) for the frame helpers, nothing that runs tasks,
//!   owns sockets or files, or keeps time.
//! - eframe/egui and the rest of the GUI stack are reached only through
//!   chat-gui, by anything `cargo test -p <member>` builds.
//! - Test code does not sleep to wait: it waits for a condition with
//!   `test_support::wait`, and says why when time itself must pass.
//!
//! "Reaches" is over normal and build dependencies, with the features the
//! crate itself turns on (see tidy/graph.rs).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "tidy/graph.rs"]
mod graph;
#[path = "tidy/source.rs"]
mod source;

use std::path::Path;
use std::sync::OnceLock;

use graph::{Closure, Graph};

fn graph() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| Graph::load(&xtask::repo_root()))
}

/// The packages of `closure` named in `names`, each with its path.
fn reached(graph: &Graph, closure: &Closure, names: &[&str]) -> Vec<String> {
    closure
        .ids()
        .filter(|id| names.contains(&graph.name(id)))
        .map(|id| closure.path_to(graph, id))
        .collect()
}

#[test]
fn chat_server_never_reaches_chat_e2e() {
    let g = graph();
    let server = g.member("chat-server");
    let bad = reached(g, &g.closure(&server, false, &[]), &["chat-e2e"]);
    assert!(
        bad.is_empty(),
        "chat-server must not be able to open or forge a message, yet it links \
         chat-e2e:\n  {}\nMove what it needs into chat-proto (wire, primitives) instead \
         (docs/ARCHITECTURE.md, Invariants).",
        bad.join("\n  ")
    );
}

#[test]
fn frontends_reach_only_chatd_api() {
    let g = graph();
    let frontends = xtask::repo_root().join("frontends");
    let mut bad = Vec::new();
    let mut checked = 0;
    for id in &g.members {
        if !g.manifest_dir(id).starts_with(&frontends) {
            continue;
        }
        checked += 1;
        let closure = g.closure(id, false, &[]);
        for other in closure.ids() {
            if other != id && g.is_member(other) && g.name(other) != "chatd-api" {
                bad.push(closure.path_to(g, other));
            }
        }
        bad.extend(reached(g, &closure, &["rsa", "aes-gcm"]));
    }
    assert!(checked >= 4, "found only {checked} crates under frontends/");
    let api = g.member("chatd-api");
    let closure = g.closure(&api, false, &[]);
    for other in closure.ids() {
        if *other != api && g.is_member(other) {
            bad.push(closure.path_to(g, other));
        }
    }
    assert!(
        bad.is_empty(),
        "frontends talk to chatd through chatd-api only, and chatd-api links no other \
         workspace crate (nor the cryptography), yet:\n  {}\nPut what a frontend needs \
         into chatd-api (types, client) instead (docs/ARCHITECTURE.md, Invariants).",
        bad.join("\n  ")
    );
}

/// tokio features that run tasks, own sockets, files, processes or
/// signals, or keep time: the runtime.
const TOKIO_RUNTIME: &[&str] = &[
    "full",
    "rt",
    "rt-multi-thread",
    "macros",
    "net",
    "fs",
    "process",
    "signal",
    "time",
];

#[test]
fn chat_proto_and_chat_e2e_reach_no_runtime_and_no_sqlite() {
    let g = graph();
    let mut bad = Vec::new();
    for name in ["chat-proto", "chat-e2e"] {
        let closure = g.closure(&g.member(name), false, &[]);
        bad.extend(reached(
            g,
            &closure,
            &["rusqlite", "sqlite-support", "libsqlite3-sys"],
        ));
        for id in closure.ids().filter(|id| g.name(id) == "tokio") {
            let features = closure.features_of(id).unwrap();
            let runtime: Vec<&str> = TOKIO_RUNTIME
                .iter()
                .copied()
                .filter(|f| features.contains(*f))
                .collect();
            if !runtime.is_empty() {
                bad.push(format!(
                    "{} with tokio's {runtime:?}",
                    closure.path_to(g, id)
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "chat-proto and chat-e2e hold no runtime state and do no I/O beyond reading a \
         stream they are given, yet:\n  {}\nDeclare tokio there with \
         `default-features = false, features = [\"io-util\"]` (not `workspace = true`, \
         which brings the runtime), and keep storage in chatd \
         (docs/ARCHITECTURE.md, Invariants).",
        bad.join("\n  ")
    );
}

/// The GUI stack: what `cargo test -p chat-server` must never build.
const GUI_STACK: &[&str] = &[
    "eframe",
    "egui",
    "egui_kittest",
    "egui-winit",
    "egui_glow",
    "winit",
    "glow",
    "wgpu",
];

#[test]
fn the_gui_stack_is_reached_only_through_chat_gui() {
    let g = graph();
    let mut bad = Vec::new();
    for id in &g.members {
        if g.name(id) == "chat-gui" {
            continue;
        }
        // As `cargo test -p <member>` builds it: with its dev-dependencies.
        let closure = g.closure(id, true, &["chat-gui"]);
        bad.extend(reached(g, &closure, GUI_STACK));
    }
    assert!(
        bad.is_empty(),
        "the GUI stack stays inside frontends/gui so that other crates build fast, yet:\n  \
         {}\nDepend on chat-gui (or on nothing graphical) instead \
         (docs/ARCHITECTURE.md, Invariants).",
        bad.join("\n  ")
    );
}

/// The one file of test code allowed to sleep: the named waits.
const WAIT_MODULE: &str = "crates/test-support/src/wait.rs";

/// `path:line: code` of every sleep in test code under `root`.
fn sleeps_in_tests(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let files = source::rust_files(root);
    let mut test_modules = Vec::new();
    let mut scanned = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        let code = source::blank_non_code(&text);
        let parts = source::test_parts(&code);
        for name in &parts.modules {
            test_modules.extend(source::module_file(root, file, name));
        }
        scanned.push((file.clone(), text, code, parts));
    }
    for (file, text, code, parts) in scanned {
        if file == Path::new(WAIT_MODULE) {
            continue;
        }
        let whole = parts.whole || source::is_test_file(&file) || test_modules.contains(&file);
        for line in source::sleep_calls(&code) {
            if whole || parts.lines.contains(&line) {
                let shown = text.lines().nth(line - 1).unwrap_or_default().trim();
                found.push(format!("{}:{line}: {shown}", file.display()));
            }
        }
    }
    found
}

#[test]
fn test_code_does_not_sleep_to_wait() {
    let found = sleeps_in_tests(&xtask::repo_root());
    assert!(
        found.is_empty(),
        "test code sleeps:\n  {}\nWait for the condition instead, with \
         test_support::wait::until / until_async (a name, a deadline, and what it saw \
         last when it fails). If time itself must pass (an expiry, distinct timestamps), \
         say why with test_support::wait::elapse / elapse_blocking.",
        found.join("\n  ")
    );
}

/// The scanner finds sleeps where they are and nowhere else: in strings,
/// comments and production code they do not count.
#[test]
fn the_sleep_scanner_sees_test_code_only() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "a/src/lib.rs",
        "//! Says sleep(1) in prose.\n\
         fn run() { std::thread::sleep(D); }\n\
         fn text() -> &'static str { \"tokio::time::sleep(d)\" }\n\
         #[cfg(test)]\n\
         mod tests {\n\
             fn f() { let s = format!(\"{}\", '}'); }\n\
             async fn g() { tokio::time::sleep(D).await; }\n\
         }\n\
         fn after() { sleep(D) }\n\
         #[cfg(test)]\n\
         mod more;\n",
    );
    write(
        "a/src/more.rs",
        "use std::thread::sleep;\nfn h() { sleep(D); }\n",
    );
    write(
        "a/tests/it.rs",
        "fn i() {\n    r#\"sleep(\"#;\n    sleep_until(t);\n}\n",
    );
    write("crates/test-support/src/wait.rs", "fn w() { sleep(D) }\n");
    write("crates/test-support/src/other.rs", "fn o() { sleep(D) }\n");
    let found = sleeps_in_tests(dir.path());
    assert_eq!(
        found,
        [
            "a/src/lib.rs:7: async fn g() { tokio::time::sleep(D).await; }",
            "a/src/more.rs:2: fn h() { sleep(D); }",
            "a/tests/it.rs:3: sleep_until(t);",
            "crates/test-support/src/other.rs:1: fn o() { sleep(D) }",
        ]
    );
}
