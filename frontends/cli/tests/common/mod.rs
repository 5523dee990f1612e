//! Shared by the CLI's binary tests: run the built `chat` the way a script
//! does, with stdin and without a terminal.
#![allow(dead_code, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The `chat` binary cargo built for these tests.
pub const CHAT: &str = env!("CARGO_BIN_EXE_chat");

/// Runs `command` (a `chat` invocation) with `stdin` piped in, and waits.
/// chat may exit (on a usage error) before it reads stdin: a broken pipe is
/// part of the run, not a test failure.
pub fn run(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chat");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait for chat")
}

/// Output bytes as text, for messages and comparisons.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
