//! History: duplicates, status rules, paging, conversations, mark_read,
//! peers.

use chatd_api::MessageStatus::{Delivered, Failed, Read, Sending, Sent};

use super::{Fixture, ids, incoming, outgoing};

#[test]
fn a_duplicate_insert_returns_false_and_changes_nothing() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        let first = incoming("m1", "bob", 10, "original");
        assert!(tx.insert_message(&first)?);
        tx.set_status("m1", Read)?;
        let mut again = incoming("m1", "bob", 99, "forged");
        again.status = Delivered;
        assert!(!tx.insert_message(&again)?);
        let stored = tx.message("m1")?.unwrap();
        assert_eq!(
            (stored.text.as_str(), stored.ts, stored.status),
            ("original", 10, Read)
        );
        assert_eq!(ids(&tx.search("forged", None, 10)?), Vec::<&str>::new());
        assert_eq!(tx.history("bob", 10, None)?.len(), 1);
        Ok(())
    });
}

#[test]
fn message_round_trips_every_field() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        let mut m = outgoing("m2", "carol", -5, "héllo ✓ \"quoted\"\n");
        m.status = Failed;
        tx.insert_message(&m)?;
        assert_eq!(tx.message("m2")?, Some(m));
        assert_eq!(tx.message("nope")?, None);
        Ok(())
    });
}

#[test]
fn the_store_moves_statuses_by_the_one_rule_of_chatd_api() {
    // Every pair, through the store: it changes the row exactly when
    // `MessageStatus::may_advance_to` allows (read -> failed is refused).
    let all = [Sending, Sent, Delivered, Read, Failed];
    let mut f = Fixture::new();
    f.tx(|tx| {
        for (i, from) in all.into_iter().enumerate() {
            for (j, to) in all.into_iter().enumerate() {
                let id = format!("m{i}{j}");
                let mut m = outgoing(&id, "bob", 1, "x");
                m.status = from;
                tx.insert_message(&m)?;
                let moved = tx.set_status(&id, to)?;
                assert_eq!(moved, from.may_advance_to(to), "{from:?} -> {to:?}");
                let now = tx.message(&id)?.unwrap().status;
                assert_eq!(now, from.advance(to), "{from:?} -> {to:?}");
            }
        }
        Ok(())
    });
}

#[test]
fn status_only_moves_forward() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&outgoing("a", "bob", 1, "x"))?;
        assert!(tx.set_status("a", Sent)?);
        assert!(!tx.set_status("a", Sent)?, "no change");
        assert!(!tx.set_status("a", Sending)?);
        assert!(!tx.set_status("a", Failed)?, "failed only from sending");
        assert!(
            tx.set_status("a", Read)?,
            "a read receipt may skip delivered"
        );
        assert!(!tx.set_status("a", Delivered)?, "a late delivered receipt");
        assert_eq!(tx.message("a")?.unwrap().status, Read);

        tx.insert_message(&outgoing("b", "bob", 2, "y"))?;
        assert!(tx.set_status("b", Failed)?);
        assert!(!tx.set_status("b", Sending)?);
        assert!(
            tx.set_status("b", Delivered)?,
            "the peer's receipt outranks giving up"
        );
        assert_eq!(tx.message("b")?.unwrap().status, Delivered);

        assert!(!tx.set_status("missing", Sent)?);
        Ok(())
    });
}

#[test]
fn history_pages_backwards_and_returns_oldest_first() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        // Inserted out of order; two share ts 30 and arrive in reverse id
        // order: the id breaks the tie, as in every frontend's timeline.
        for (id, ts) in [
            ("m4", 40),
            ("m1", 10),
            ("m3b", 30),
            ("m3a", 30),
            ("m2", 20),
            ("m5", 50),
        ] {
            if id.len() % 2 == 0 {
                tx.insert_message(&incoming(id, "bob", ts, id))?;
            } else {
                tx.insert_message(&outgoing(id, "bob", ts, id))?;
            }
        }
        tx.insert_message(&incoming("other", "carol", 35, "not bob's"))?;
        assert_eq!(
            ids(&tx.history("bob", 50, None)?),
            ["m1", "m2", "m3a", "m3b", "m4", "m5"]
        );
        assert_eq!(ids(&tx.history("bob", 2, None)?), ["m4", "m5"]);
        assert_eq!(ids(&tx.history("bob", 2, Some(40))?), ["m3a", "m3b"]);
        assert_eq!(ids(&tx.history("bob", 3, Some(30))?), ["m1", "m2"]);
        assert_eq!(ids(&tx.history("bob", 3, Some(10))?), Vec::<&str>::new());
        assert_eq!(ids(&tx.history("bob", 0, None)?), Vec::<&str>::new());
        assert_eq!(ids(&tx.history("carol", 50, None)?), ["other"]);
        assert_eq!(ids(&tx.history("nobody", 50, None)?), Vec::<&str>::new());
        Ok(())
    });
}

#[test]
fn history_accepts_extreme_timestamps() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&incoming("max", "bob", i64::MAX, "late"))?;
        tx.insert_message(&incoming("min", "bob", i64::MIN, "early"))?;
        assert_eq!(ids(&tx.history("bob", 10, None)?), ["min", "max"]);
        assert_eq!(ids(&tx.history("bob", 10, Some(i64::MAX))?), ["min"]);
        Ok(())
    });
}

#[test]
fn conversations_are_most_recent_first_with_unread_counts() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&incoming("b1", "bob", 10, "1"))?;
        tx.insert_message(&incoming("b2", "bob", 20, "2"))?;
        tx.insert_message(&outgoing("b3", "bob", 25, "3"))?;
        tx.insert_message(&incoming("c1", "carol", 30, "4"))?;
        tx.insert_message(&outgoing("d1", "dave", 5, "5"))?;
        let mut read = incoming("c0", "carol", 1, "already read");
        read.status = Read;
        tx.insert_message(&read)?;
        Ok(())
    });
    let rows = f.tx(|tx| tx.conversations());
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.peer.as_str(),
                r.last.as_ref().map(|m| m.id.as_str()),
                r.unread,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("carol", Some("c1"), 1),
            ("bob", Some("b3"), 2),
            ("dave", Some("d1"), 0)
        ]
    );
    // A new message moves bob to the top; reading clears his count.
    f.tx(|tx| {
        tx.insert_message(&incoming("b4", "bob", 40, "6"))?;
        tx.mark_read("bob", None)
    });
    let rows = f.tx(|tx| tx.conversations());
    assert_eq!((rows[0].peer.as_str(), rows[0].unread), ("bob", 0));
    assert_eq!(rows[0].last.as_ref().unwrap().id, "b4");
}

#[test]
fn conversations_list_pinned_peers_without_messages_last() {
    use chat_e2e::PinStore;
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&incoming("b1", "bob", 10, "1"))?;
        for user in ["zoe", "amy", "bob"] {
            tx.put_pin(&super::e2e::pin(user))?;
        }
        Ok(())
    });
    let rows = f.tx(|tx| tx.conversations());
    let peers: Vec<_> = rows
        .iter()
        .map(|r| (r.peer.as_str(), r.last.is_some()))
        .collect();
    assert_eq!(peers, [("bob", true), ("amy", false), ("zoe", false)]);
    assert_eq!(f.tx(|tx| tx.peers()), ["amy", "bob", "zoe"]);
}

#[test]
fn mark_read_returns_exactly_the_newly_read_ids() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&incoming("b2", "bob", 20, "x"))?;
        tx.insert_message(&incoming("b1", "bob", 10, "x"))?;
        tx.insert_message(&outgoing("o1", "bob", 15, "mine"))?;
        tx.insert_message(&incoming("c1", "carol", 12, "x"))?;
        Ok(())
    });
    assert_eq!(f.tx(|tx| tx.mark_read("bob", None)), ["b1", "b2"]);
    assert_eq!(f.tx(|tx| tx.mark_read("bob", None)), Vec::<String>::new());
    f.tx(|tx| tx.insert_message(&incoming("b3", "bob", 5, "late arrival")));
    assert_eq!(f.tx(|tx| tx.mark_read("bob", None)), ["b3"]);
    f.tx(|tx| {
        assert_eq!(
            tx.message("o1")?.unwrap().status,
            Sending,
            "outgoing untouched"
        );
        assert_eq!(
            tx.message("c1")?.unwrap().status,
            Delivered,
            "other peers untouched"
        );
        assert_eq!(tx.mark_read("nobody", None)?, Vec::<String>::new());
        Ok(())
    });
}

#[test]
fn peers_are_sorted_and_unique() {
    let mut f = Fixture::new();
    assert_eq!(f.tx(|tx| tx.peers()), Vec::<String>::new());
    f.tx(|tx| {
        tx.insert_message(&incoming("1", "carol", 1, "x"))?;
        tx.insert_message(&outgoing("2", "bob", 2, "x"))?;
        tx.insert_message(&incoming("3", "bob", 3, "x"))?;
        Ok(())
    });
    assert_eq!(f.tx(|tx| tx.peers()), ["bob", "carol"]);
}
