//! Full-text search: ranking, prefixes, the peer filter, and queries that
//! would be FTS5 syntax errors if they reached the parser.

use super::super::{StoreError, fts_query};
use super::{Fixture, ids, incoming, outgoing};

fn corpus() -> Fixture {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&incoming(
            "weak",
            "bob",
            1,
            "a long message that mentions pizza once among many other words here",
        ))?;
        tx.insert_message(&incoming("strong", "bob", 2, "pizza pizza pizza"))?;
        tx.insert_message(&outgoing("mine", "carol", 3, "shall we get pizza tonight"))?;
        tx.insert_message(&incoming("meet", "carol", 4, "Meeting at the Café"))?;
        tx.insert_message(&incoming("none", "bob", 5, "nothing relevant"))?;
        tx.insert_message(&incoming(
            "sym",
            "dave",
            6,
            "C++ and \"quotes\" and NEAR(x y) * AND OR",
        ))?;
        tx.insert_message(&incoming("uni", "dave", 7, "日本語 テキスト and Ünïcödé"))?;
        Ok(())
    });
    f
}

#[test]
fn best_match_first() {
    let mut f = corpus();
    let found = f.tx(|tx| tx.search("pizza", None, 10));
    assert_eq!(ids(&found), ["strong", "mine", "weak"]);
    assert_eq!(ids(&f.tx(|tx| tx.search("pizza", None, 1))), ["strong"]);
}

#[test]
fn every_word_must_match() {
    let mut f = corpus();
    assert_eq!(
        ids(&f.tx(|tx| tx.search("pizza tonight", None, 10))),
        ["mine"]
    );
    assert_eq!(
        ids(&f.tx(|tx| tx.search("pizza absent", None, 10))),
        Vec::<&str>::new()
    );
}

#[test]
fn the_peer_filter() {
    let mut f = corpus();
    assert_eq!(
        ids(&f.tx(|tx| tx.search("pizza", Some("carol"), 10))),
        ["mine"]
    );
    assert_eq!(
        ids(&f.tx(|tx| tx.search("pizza", Some("bob"), 10))),
        ["strong", "weak"]
    );
    assert_eq!(
        ids(&f.tx(|tx| tx.search("pizza", Some("nobody"), 10))),
        Vec::<&str>::new()
    );
}

#[test]
fn prefixes_case_and_diacritics() {
    let mut f = corpus();
    assert_eq!(ids(&f.tx(|tx| tx.search("meet", None, 10))), ["meet"]);
    assert_eq!(
        ids(&f.tx(|tx| tx.search("MEETING cafe", None, 10))),
        ["meet"]
    );
    assert_eq!(ids(&f.tx(|tx| tx.search("unicode", None, 10))), ["uni"]);
    assert_eq!(ids(&f.tx(|tx| tx.search("日本語", None, 10))), ["uni"]);
}

#[test]
fn hostile_queries_are_words_not_syntax() {
    let mut f = corpus();
    for q in [
        "\"",
        "\"\"",
        "'",
        "*",
        "**",
        "NEAR(",
        "NEAR(x y)",
        "NEAR(x, 1)",
        "AND OR",
        "OR",
        "NOT",
        "AND",
        "(",
        ")",
        "a)",
        "^",
        "-",
        "+",
        ":",
        "col:pizza",
        "text:pizza",
        "{text}: x",
        "pizza\"",
        "\"pizza",
        "pizza*",
        "\0",
        "a\0b",
        "\u{202e}",
        "\u{0345}",
        "\u{0301}",
        "🍕",
        "ﷺ",
        "x\u{200d}y",
        "C++",
        "\\",
        ";",
        "'); DROP TABLE messages; --",
        "%",
        "_",
    ] {
        let r = f.store.transaction(|tx| tx.search(q, None, 10));
        assert!(r.is_ok(), "{q:?}: {r:?}");
    }
    // The words still match as words.
    assert_eq!(ids(&f.tx(|tx| tx.search("NEAR(x", None, 10))), ["sym"]);
    assert_eq!(ids(&f.tx(|tx| tx.search("AND OR", None, 10))), ["sym"]);
    assert_eq!(ids(&f.tx(|tx| tx.search("\"quotes\"", None, 10))), ["sym"]);
    assert_eq!(
        ids(&f.tx(|tx| tx.search("text:pizza", None, 10))),
        Vec::<&str>::new()
    );
    assert_eq!(
        f.tx(|tx| tx.message("sym")).unwrap().id,
        "sym",
        "the table survived"
    );
}

#[test]
fn empty_and_oversized_queries_are_invalid_with_a_clear_message() {
    let mut f = corpus();
    for q in ["", "   ", "\t\n"] {
        let Err(StoreError::InvalidQuery(msg)) = f.store.transaction(|tx| tx.search(q, None, 10))
        else {
            panic!("{q:?} must be invalid");
        };
        assert!(msg.contains("empty"), "{msg}");
    }
    let many = vec!["w"; 33].join(" ");
    assert!(matches!(
        f.store.transaction(|tx| tx.search(&many, None, 10)),
        Err(StoreError::InvalidQuery(_))
    ));
    let enough = vec!["pizza"; 32].join(" ");
    assert_eq!(f.tx(|tx| tx.search(&enough, None, 10)).len(), 3);
}

#[test]
fn the_fts_query_quotes_every_word() {
    assert_eq!(fts_query("a b").unwrap().unwrap(), "\"a\"* \"b\"*");
    assert_eq!(
        fts_query("say \"hi\"").unwrap().unwrap(),
        "\"say\"* \"\"\"hi\"\"\"*"
    );
    assert_eq!(fts_query("* ( )").unwrap(), None);
}
