//! Group conversations in the history (schema 5, D15): kept out of every
//! 1:1 query, found by search, and the per-member receipts of our own
//! group messages with their aggregate status.

use chatd_api::{GroupRef, Message, MessageStatus};

use super::{Fixture, ids, incoming, outgoing};

const G: &str = "0b4a6c8e-1d2f-4a3b-8c5d-6e7f8a9b0c1d";

fn in_group(mut m: Message) -> Message {
    m.to = G.into();
    m.group = Some(GroupRef {
        id: G.into(),
        name: String::new(),
    });
    m
}

#[test]
fn group_messages_stay_out_of_one_to_one_queries() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&incoming("a1", "bob", 1, "hello bob here"))?;
        tx.insert_message(&in_group(incoming("g1", "bob", 2, "hello group")))?;
        tx.insert_message(&in_group(outgoing("g2", G, 3, "hello from me")))?;
        assert_eq!(ids(&tx.history("bob", 10, None)?), ["a1"]);
        assert_eq!(ids(&tx.group_history(G, 10, None)?), ["g1", "g2"]);
        let convs = tx.conversations()?;
        assert_eq!(convs.len(), 1, "{convs:?}");
        assert_eq!(convs[0].unread, 1);
        assert!(!tx.peers()?.contains(&G.to_string()));
        // Search: everything without a filter, a peer's 1:1 only, a group's.
        assert_eq!(tx.search("hello", None, 10)?.len(), 3);
        assert_eq!(ids(&tx.search("hello", Some("bob"), 10)?), ["a1"]);
        assert_eq!(tx.search_group("hello", G, 10)?.len(), 2);
        let (last, unread) = tx.group_last_and_unread(G)?;
        assert_eq!((last.map(|m| m.id), unread), (Some("g2".into()), 1));
        assert_eq!(tx.group_mark_read(G, None)?, [("g1".into(), "bob".into())]);
        assert_eq!(tx.group_last_and_unread(G)?.1, 0);
        assert_eq!(tx.conversations()?[0].unread, 1, "the 1:1 one stays unread");
        Ok(())
    });
}

#[test]
fn receipts_aggregate_to_the_least_advanced_member() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.insert_message(&in_group(outgoing("g1", G, 1, "hi")))?;
        let members = ["bob".to_string(), "carol".to_string(), "dave".to_string()];
        tx.group_receipts_init("g1", &members)?;
        assert!(tx.group_receipt_set("g1", "bob", MessageStatus::Sent)?);
        assert!(tx.group_receipt_set("g1", "carol", MessageStatus::Read)?);
        assert!(tx.group_receipt_set("g1", "dave", MessageStatus::Failed)?);
        assert!(
            !tx.group_receipt_set("g1", "erin", MessageStatus::Read)?,
            "not a recipient"
        );
        assert!(
            !tx.group_receipt_set("g1", "carol", MessageStatus::Delivered)?,
            "never back"
        );
        let (r, status) = tx.group_receipts("g1")?;
        assert_eq!((r.recipients, status), (3, MessageStatus::Sent));
        assert_eq!(
            (r.delivered, r.read),
            (vec!["carol".into()], vec!["carol".into()])
        );
        assert!(tx.group_receipt_set("g1", "bob", MessageStatus::Delivered)?);
        let m = tx.message("g1")?.unwrap();
        assert_eq!(
            m.status,
            MessageStatus::Delivered,
            "dave failed: not counted"
        );
        let got = m.receipts.unwrap();
        assert_eq!(got.delivered, ["bob", "carol"]);
        // Nobody else in the group: sent once written.
        tx.insert_message(&in_group(outgoing("g2", G, 2, "alone")))?;
        assert_eq!(tx.group_receipts("g2")?.1, MessageStatus::Sent);
        Ok(())
    });
}
