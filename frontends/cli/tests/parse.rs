//! Every subcommand parses as documented, and wrong command lines are
//! refused by clap (which exits with 2), checked on the clap definition
//! itself so no daemon is needed.

#![allow(clippy::expect_used)]

use chat_cli::cli::{Cli, Command, GroupCommand, SettingChange, When};
use chatd_api::{Chat, EventKind};
use clap::{CommandFactory, Parser};

fn parse(args: &[&str]) -> Cli {
    let mut argv = vec!["chat"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).expect("parses")
}

fn refused(args: &[&str]) -> clap::error::ErrorKind {
    let mut argv = vec!["chat"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).expect_err("refused").kind()
}

#[test]
fn the_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn status_logout_conversations_take_nothing() {
    assert!(matches!(parse(&["status"]).command, Command::Status));
    assert!(matches!(parse(&["logout"]).command, Command::Logout));
    assert!(matches!(
        parse(&["conversations"]).command,
        Command::Conversations
    ));
    assert_eq!(
        refused(&["status", "extra"]),
        clap::error::ErrorKind::UnknownArgument
    );
}

#[test]
fn signup_and_login_take_an_optional_user() {
    let Command::Signup(a) = parse(&["signup", "alice"]).command else {
        panic!("signup")
    };
    assert_eq!(
        (a.user.as_deref(), a.password_stdin),
        (Some("alice"), false)
    );
    let Command::Login(a) = parse(&["login", "--password-stdin"]).command else {
        panic!("login")
    };
    assert_eq!((a.user, a.password_stdin), (None, true));
    // A password is never a flag: it would end up in `ps` and shell history.
    assert_eq!(
        refused(&["login", "alice", "--password", "x"]),
        clap::error::ErrorKind::UnknownArgument
    );
}

#[test]
fn passwd_reads_stdin_only_when_told() {
    let Command::Passwd(a) = parse(&["passwd"]).command else {
        panic!("passwd")
    };
    assert!(!a.password_stdin);
    let Command::Passwd(a) = parse(&["passwd", "--password-stdin"]).command else {
        panic!("passwd")
    };
    assert!(a.password_stdin);
}

#[test]
fn users_takes_a_prefix_and_filters() {
    let Command::Users(a) = parse(&["users", "al", "--online", "--limit", "5"]).command else {
        panic!("users")
    };
    assert_eq!(
        (a.prefix.as_deref(), a.online, a.limit),
        (Some("al"), true, Some(5))
    );
    let Command::Users(a) = parse(&["users"]).command else {
        panic!("users")
    };
    assert_eq!((a.prefix, a.online, a.limit), (None, false, None));
    assert_eq!(
        refused(&["users", "--limit", "many"]),
        clap::error::ErrorKind::ValueValidation
    );
}

#[test]
fn send_needs_a_user_and_takes_the_text_optionally() {
    let Command::Send(a) = parse(&["send", "bob", "hello there"]).command else {
        panic!("send")
    };
    assert_eq!(a.target(), Ok((Chat::peer("bob"), Some("hello there"))));
    let Command::Send(a) = parse(&["send", "bob"]).command else {
        panic!("send")
    };
    assert_eq!(a.target(), Ok((Chat::peer("bob"), None)));
    assert_eq!(
        refused(&["send"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn history_pages_with_limit_and_before() {
    let Command::History(a) = parse(&[
        "history",
        "bob",
        "--limit",
        "10",
        "--before",
        "1700000000000",
    ])
    .command
    else {
        panic!("history")
    };
    assert_eq!(
        (a.user.as_deref(), a.limit, a.before),
        (Some("bob"), Some(10), Some(When::At(1_700_000_000_000)))
    );
    let Command::History(a) = parse(&["history", "bob", "-n", "3"]).command else {
        panic!("history")
    };
    assert_eq!(a.limit, Some(3));
    let Command::History(a) = parse(&["history", "bob", "-n", "0"]).command else {
        panic!("history")
    };
    assert_eq!(a.limit, Some(0), "0 is a limit (of nothing), not an error");
    assert_eq!(
        refused(&["history"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn history_before_takes_dates_and_durations() {
    let before = |value: &str| {
        let Command::History(a) = parse(&["history", "bob", "--before", value]).command else {
            panic!("history")
        };
        a.before.expect("--before given")
    };
    assert_eq!(before("2h"), When::Ago(2 * 3_600_000));
    assert_eq!(before("3d"), When::Ago(3 * 86_400_000));
    assert_eq!(before("2023-11-14T22:13:20Z"), When::At(1_700_000_000_000));
    assert!(matches!(before("2026-11-20"), When::At(_)));
    assert!(matches!(before("2026-11-20T14:30"), When::At(_)));
    assert_eq!(
        refused(&["history", "bob", "--before", "yesterday"]),
        clap::error::ErrorKind::ValueValidation
    );
}

#[test]
fn read_trust_take_one_user() {
    let Command::Read(a) = parse(&["read", "bob"]).command else {
        panic!("read")
    };
    assert_eq!(a.chat(), Chat::peer("bob"));
    let Command::Trust(a) = parse(&["trust", "carol"]).command else {
        panic!("trust")
    };
    assert_eq!(a.user, "carol");
    assert_eq!(
        refused(&["trust"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn message_takes_one_id() {
    let Command::Message(a) = parse(&["message", "0b8e-id"]).command else {
        panic!("message")
    };
    assert_eq!(a.id, "0b8e-id");
    assert_eq!(
        refused(&["message"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn search_takes_a_query_peer_and_limit() {
    let Command::Search(a) = parse(&["search", "lunch", "--peer", "bob", "-n", "2"]).command else {
        panic!("search")
    };
    assert_eq!(
        (a.query.as_str(), a.peer.as_deref(), a.limit),
        ("lunch", Some("bob"), Some(2))
    );
    assert_eq!(
        refused(&["search"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn fingerprint_user_is_optional() {
    let Command::Fingerprint(a) = parse(&["fingerprint"]).command else {
        panic!("fingerprint")
    };
    assert_eq!(a.user, None);
    let Command::Fingerprint(a) = parse(&["fingerprint", "bob"]).command else {
        panic!("fingerprint")
    };
    assert_eq!(a.user.as_deref(), Some("bob"));
}

#[test]
fn verify_accepts_the_groups_pasted_unquoted() {
    let Command::Verify(a) = parse(&["verify", "bob", "0123", "4567", "89ab"]).command else {
        panic!("verify")
    };
    assert_eq!(
        (a.user.as_str(), a.fingerprint()),
        ("bob", "0123456789ab".into())
    );
    let Command::Verify(a) = parse(&["verify", "bob", "0123 4567"]).command else {
        panic!("verify")
    };
    assert_eq!(a.fingerprint(), "0123 4567");
    assert_eq!(
        refused(&["verify", "bob"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn watch_takes_since_and_a_list_of_kinds() {
    let Command::Watch(a) =
        parse(&["watch", "--since", "42", "--events", "message,key_changed"]).command
    else {
        panic!("watch")
    };
    assert_eq!(a.since, Some(42));
    assert_eq!(
        a.events,
        Some(vec![EventKind::Message, EventKind::KeyChanged])
    );
    let Command::Watch(a) = parse(&["watch"]).command else {
        panic!("watch")
    };
    assert_eq!((a.since, a.events), (None, None));
    assert_eq!(
        refused(&["watch", "--events", "message,gossip"]),
        clap::error::ErrorKind::ValueValidation
    );
}

#[test]
fn send_to_a_group_takes_the_first_argument_as_the_text() {
    let Command::Send(a) = parse(&["send", "--group", "team", "hi all"]).command else {
        panic!("send")
    };
    assert_eq!(a.target(), Ok((Chat::group("team"), Some("hi all"))));
    let Command::Send(a) = parse(&["send", "-g", "team"]).command else {
        panic!("send")
    };
    assert_eq!(a.target(), Ok((Chat::group("team"), None)));
    // Two words unquoted: a mistake to say, not a recipient to guess.
    let Command::Send(a) = parse(&["send", "--group", "team", "hi", "all"]).command else {
        panic!("send")
    };
    assert!(a.target().expect_err("refused").contains("only the text"));
}

#[test]
fn history_read_search_take_a_group_or_a_user_not_both() {
    let Command::History(a) = parse(&["history", "--group", "team", "-n", "5"]).command else {
        panic!("history")
    };
    assert_eq!((a.chat(), a.limit), (Chat::group("team"), Some(5)));
    let Command::Read(a) = parse(&["read", "-g", "6b1f0c3e"]).command else {
        panic!("read")
    };
    assert_eq!(a.chat(), Chat::group("6b1f0c3e"));
    let Command::Search(a) = parse(&["search", "lunch", "--group", "team"]).command else {
        panic!("search")
    };
    assert_eq!((a.group.as_deref(), a.peer), (Some("team"), None));
    for args in [
        &["history", "bob", "--group", "team"][..],
        &["read", "bob", "--group", "team"][..],
        &["search", "x", "--peer", "bob", "--group", "team"][..],
    ] {
        assert_eq!(
            refused(args),
            clap::error::ErrorKind::ArgumentConflict,
            "{args:?}"
        );
    }
    assert_eq!(
        refused(&["read"]),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn group_subcommands_parse_as_documented() {
    let group = |args: &[&str]| {
        let mut argv = vec!["group"];
        argv.extend_from_slice(args);
        let Command::Group(a) = parse(&argv).command else {
            panic!("group")
        };
        a.command
    };
    let GroupCommand::Create { name, users } = group(&["create", "team", "bob", "carol"]) else {
        panic!("create")
    };
    assert_eq!(
        (name.as_str(), users),
        ("team", vec!["bob".into(), "carol".into()])
    );
    let GroupCommand::Create { users, .. } = group(&["create", "solo"]) else {
        panic!("create")
    };
    assert!(users.is_empty(), "a group of one is allowed");
    let GroupCommand::Add { group: g, users } = group(&["add", "team", "dave"]) else {
        panic!("add")
    };
    assert_eq!((g.as_str(), users), ("team", vec!["dave".to_string()]));
    let GroupCommand::Remove { users, .. } = group(&["remove", "team", "bob", "carol"]) else {
        panic!("remove")
    };
    assert_eq!(users.len(), 2);
    assert!(matches!(
        group(&["leave", "team"]),
        GroupCommand::Leave { .. }
    ));
    assert!(matches!(
        group(&["info", "team"]),
        GroupCommand::Info { .. }
    ));
    assert!(matches!(group(&["list"]), GroupCommand::List));
    let GroupCommand::Admin { user, revoke, .. } = group(&["admin", "team", "bob"]) else {
        panic!("admin")
    };
    assert_eq!((user.as_str(), revoke), ("bob", false));
    for flag in ["--revoke", "--remove"] {
        let GroupCommand::Admin { revoke, .. } = group(&["admin", "team", "bob", flag]) else {
            panic!("admin")
        };
        assert!(revoke, "{flag}");
    }
    assert!(matches!(parse(&["groups"]).command, Command::Groups));
    for args in [
        &["group"][..],
        &["group", "add", "team"][..],
        &["group", "remove", "team"][..],
        &["group", "create"][..],
        &["group", "admin", "team"][..],
        &["group", "leave"][..],
    ] {
        let mut argv = vec!["chat"];
        argv.extend_from_slice(args);
        assert!(Cli::try_parse_from(argv).is_err(), "{args:?} parsed");
    }
}

#[test]
fn settings_change_typing_indicators_beside_read_receipts() {
    let Command::Settings(a) = parse(&["settings", "typing-indicators", "off"]).command else {
        panic!("settings")
    };
    assert!(matches!(
        a.change,
        Some(SettingChange::TypingIndicators { .. })
    ));
}

#[test]
fn watch_shows_typing_only_when_asked_and_always_names_group() {
    let Command::Watch(a) = parse(&["watch"]).command else {
        panic!("watch")
    };
    assert!(!a.kinds().contains(&EventKind::Typing));
    assert!(a.kinds().contains(&EventKind::Group));
    let Command::Watch(a) = parse(&["watch", "--typing"]).command else {
        panic!("watch")
    };
    assert!(a.kinds().contains(&EventKind::Typing));
    // Messages alone: group messages come only to subscribers naming
    // `group`, so it is subscribed to, and group changes are not shown.
    let Command::Watch(a) = parse(&["watch", "--events", "message"]).command else {
        panic!("watch")
    };
    assert_eq!(a.kinds(), vec![EventKind::Message]);
    assert_eq!(a.subscription(), vec![EventKind::Message, EventKind::Group]);
    let Command::Watch(a) = parse(&["watch", "--events", "presence", "--typing"]).command else {
        panic!("watch")
    };
    assert_eq!(
        a.subscription(),
        vec![EventKind::Presence, EventKind::Typing]
    );
}

#[test]
fn demo_can_keep_its_temp_dir() {
    let Command::Demo(a) = parse(&["demo"]).command else {
        panic!("demo")
    };
    assert!(!a.keep);
    let Command::Demo(a) = parse(&["demo", "--keep"]).command else {
        panic!("demo")
    };
    assert!(a.keep);
}

#[test]
fn json_and_socket_are_global() {
    let cli = parse(&["users", "--json", "--socket", "/tmp/x.sock"]);
    assert!(cli.json);
    assert_eq!(
        cli.socket.as_deref(),
        Some(std::path::Path::new("/tmp/x.sock"))
    );
    let cli = parse(&["--json", "status"]);
    assert!(cli.json);
}

#[test]
fn no_subcommand_or_an_unknown_one_is_refused() {
    assert_eq!(
        refused(&[]),
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    assert_eq!(
        refused(&["gossip"]),
        clap::error::ErrorKind::InvalidSubcommand
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let help = Cli::command().render_long_help().to_string();
    for needle in ["Exit codes:", "3  chatd is not running", "4  chatd refused"] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
