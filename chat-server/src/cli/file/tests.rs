#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use super::{ParseError, Parsed, parse_from};
use crate::StoreLocation;

/// A config file holding `text`, mode 0600.
fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .unwrap();
    f
}

fn parse(args: &[&str]) -> Result<Parsed, ParseError> {
    parse_from(std::iter::once("chat-server").chain(args.iter().copied()))
}

fn file_error(args: &[&str]) -> String {
    match parse(args) {
        Err(ParseError::File(m)) => m,
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn the_file_sets_the_options_the_command_line_leaves_out() {
    let f = file(
        r#"
listen = "127.0.0.1:7000"
store = "postgres://chat@db.internal:5432/chat"
bus = "nats://bus.internal:4222"
bus_poll_secs = 2
node-timeout-secs = 9
plaintext = true
data_dir = "/srv/chat"
"#,
    );
    let path = f.path().to_str().unwrap();
    let run = parse(&["--config", path]).unwrap().cli.run;
    assert_eq!(run.listen.to_string(), "127.0.0.1:7000");
    assert!(matches!(run.store, StoreLocation::Postgres(ref u) if u.contains("db.internal")));
    let bus = run.bus_options().unwrap();
    assert_eq!(bus.poll.as_secs(), 2);
    assert_eq!(bus.node_timeout.as_secs(), 9);
    assert!(run.plaintext);
    assert_eq!(run.data_dir.unwrap().to_str(), Some("/srv/chat"));
    // Untouched options keep their defaults.
    assert_eq!(run.bcrypt_cost, 12);
}

#[test]
fn the_command_line_wins_over_the_file() {
    let f = file("listen = \"127.0.0.1:7000\"\nbcrypt_cost = 10\nplaintext = false\n");
    let path = f.path().to_str().unwrap();
    let run = parse(&[
        "--listen",
        "127.0.0.1:7001",
        "--config",
        path,
        "--plaintext",
    ])
    .unwrap()
    .cli
    .run;
    assert_eq!(run.listen.to_string(), "127.0.0.1:7001");
    assert_eq!(run.bcrypt_cost, 10);
    assert!(run.plaintext, "a flag given is not undone by `false`");
}

#[test]
fn the_file_comes_before_a_subcommand() {
    let f = file("listen = \"127.0.0.1:7000\"\n");
    let path = f.path().to_str().unwrap();
    let cli = parse(&["--config", path, "fingerprint", "--key", "/k.pem"])
        .unwrap()
        .cli;
    assert!(matches!(
        cli.command,
        Some(crate::cli::Command::Fingerprint { .. })
    ));
    assert_eq!(cli.run.listen.to_string(), "127.0.0.1:7000");
}

#[test]
fn an_unknown_key_is_refused_with_the_keys_there_are() {
    let f = file("lisen = \"127.0.0.1:7000\"\n");
    let path = f.path().to_str().unwrap();
    let m = file_error(&["--config", path]);
    assert!(m.contains(path) && m.contains("`lisen`"), "{m}");
    assert!(m.contains("listen") && m.contains("bus_poll_secs"), "{m}");
    // Nor may a file name another file.
    let f = file("config = \"/etc/other.toml\"\n");
    let m = file_error(&["--config", f.path().to_str().unwrap()]);
    assert!(m.contains("`config`"), "{m}");
}

#[test]
fn a_bad_value_names_the_file_the_key_and_what_is_wrong() {
    let f = file("listen = \"not-an-address\"\n");
    let path = f.path().to_str().unwrap();
    let m = file_error(&["--config", path]);
    assert!(m.contains(path) && m.contains("`listen`"), "{m}");
    assert!(m.contains("not-an-address"), "{m}");

    let f = file("bcrypt_cost = 99\n");
    let m = file_error(&["--config", f.path().to_str().unwrap()]);
    assert!(m.contains("`bcrypt_cost`") && m.contains("99"), "{m}");

    let f = file("bus_poll_secs = 1.5\n");
    let m = file_error(&["--config", f.path().to_str().unwrap()]);
    assert!(
        m.contains("`bus_poll_secs`") && m.contains("whole number"),
        "{m}"
    );

    let f = file("listen = [\"127.0.0.1:1\"]\n");
    let m = file_error(&["--config", f.path().to_str().unwrap()]);
    assert!(m.contains("`listen`") && m.contains("array"), "{m}");

    let f = file("plaintext = \"yes\"\n");
    let m = file_error(&["--config", f.path().to_str().unwrap()]);
    assert!(
        m.contains("`plaintext`") && m.contains("true or false"),
        "{m}"
    );

    let f = file("bus_poll_secs = 2\nbus-poll-secs = 3\n");
    let m = file_error(&["--config", f.path().to_str().unwrap()]);
    assert!(m.contains("set twice"), "{m}");
}

#[test]
fn a_missing_or_broken_file_is_an_error_that_names_it() {
    let m = file_error(&["--config", "/nonexistent/chat-server.toml"]);
    assert!(
        m.contains("/nonexistent/chat-server.toml") && m.contains("cannot read"),
        "{m}"
    );
    let f = file("listen = \n");
    let path = f.path().to_str().unwrap();
    let m = file_error(&["--config", path]);
    assert!(m.contains(path) && m.contains("not valid TOML"), "{m}");
}

#[test]
fn a_password_others_can_read_is_warned_about() {
    let f = file("store = \"postgres://chat:secret@db:5432/chat\"\n");
    let path = f.path().to_str().unwrap();
    assert!(parse(&["--config", path]).unwrap().warnings.is_empty());
    f.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let warnings = parse(&["--config", path]).unwrap().warnings;
    assert!(
        warnings.len() == 1 && warnings[0].contains("chmod 600"),
        "{warnings:?}"
    );
    // Without a password there is nothing to hide.
    let f = file("store = \"postgres://chat@db:5432/chat\"\n");
    f.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let path = f.path().to_str().unwrap();
    assert!(parse(&["--config", path]).unwrap().warnings.is_empty());
}
