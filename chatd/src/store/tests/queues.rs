//! The outbox and the pending envelopes: order, removal, de-duplication,
//! pruning by age and per sender.

use super::super::{OutboxItem, PendingEnvelope};
use super::Fixture;

fn item(peer: &str, n: i64) -> OutboxItem {
    OutboxItem {
        peer: peer.into(),
        payload: format!("{{\"n\":{n}}}"),
        message_id: (n % 2 == 0).then(|| format!("m{n}")),
        created_ms: 1_000 - n, // clocks may go back: order is insertion order
        batch: None,
    }
}

fn env(from: &str, server_id: &str, received_ms: i64) -> PendingEnvelope {
    PendingEnvelope {
        from: from.into(),
        server_msg_id: server_id.into(),
        envelope: format!("{{\"kind\":\"msg\",\"id\":\"{server_id}\"}}"),
        reason: "unknown_key".into(),
        key_id: Some("k1".into()),
        received_ms,
    }
}

#[test]
fn the_outbox_is_first_in_first_out_across_reopen() {
    let mut f = Fixture::new();
    let ids = f.tx(|tx| {
        (1..=4)
            .map(|n| tx.outbox_push(&item("bob", n)))
            .collect::<Result<Vec<_>, _>>()
    });
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    f.tx(|tx| tx.outbox_remove(ids[1]));
    f.tx(|tx| tx.outbox_remove(ids[1])); // twice is fine
    let mut f = f.reopen();
    let left = f.tx(|tx| tx.outbox());
    assert_eq!(
        left,
        vec![
            (ids[0], item("bob", 1)),
            (ids[2], item("bob", 3)),
            (ids[3], item("bob", 4))
        ]
    );
    // Ids are never reused, even for the last one removed.
    f.tx(|tx| tx.outbox_remove(ids[3]));
    let next = f.tx(|tx| tx.outbox_push(&item("carol", 5)));
    assert!(next > ids[3]);
}

#[test]
fn pending_is_per_sender_and_oldest_first() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.pending_push(&env("bob", "s1", 30))?;
        tx.pending_push(&env("carol", "s2", 10))?;
        tx.pending_push(&env("bob", "s3", 20))?;
        Ok(())
    });
    let bob = f.tx(|tx| tx.pending_for("bob"));
    let got: Vec<_> = bob.iter().map(|(_, p)| p.server_msg_id.as_str()).collect();
    assert_eq!(got, ["s1", "s3"]);
    assert_eq!(bob[0].1, env("bob", "s1", 30));
    assert_eq!(f.tx(|tx| tx.pending_peers()), ["bob", "carol"]);
    f.tx(|tx| tx.pending_remove(bob[0].0));
    assert_eq!(f.tx(|tx| tx.pending_for("bob")).len(), 1);
    assert_eq!(f.tx(|tx| tx.pending_for("nobody")), vec![]);
}

#[test]
fn a_redelivered_envelope_keeps_its_row_and_place() {
    let mut f = Fixture::new();
    let first = f.tx(|tx| tx.pending_push(&env("bob", "s1", 10)));
    f.tx(|tx| tx.pending_push(&env("bob", "s2", 11)));
    let mut again = env("bob", "s1", 99);
    again.reason = "peer_key_changed".into();
    again.key_id = None;
    assert_eq!(f.tx(|tx| tx.pending_push(&again)), first);
    let rows = f.tx(|tx| tx.pending_for("bob"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, first);
    assert_eq!(
        (rows[0].1.reason.as_str(), rows[0].1.key_id.as_deref()),
        ("peer_key_changed", None)
    );
    assert_eq!(rows[0].1.received_ms, 10, "the first arrival time is kept");
    // The same server id from someone else is another envelope.
    assert_ne!(f.tx(|tx| tx.pending_push(&env("carol", "s1", 12))), first);
}

#[test]
fn prune_pending_by_age_and_per_sender() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        for i in 0..5 {
            tx.pending_push(&env("bob", &format!("b{i}"), 100 + i))?;
        }
        tx.pending_push(&env("carol", "c0", 50))?;
        tx.pending_push(&env("carol", "c1", 200))?;
        Ok(())
    });
    // Age: carol's c0 is before the cutoff. Count: bob keeps his newest 3.
    assert_eq!(f.tx(|tx| tx.prune_pending(60, 3)), 3);
    let bob: Vec<_> = f
        .tx(|tx| tx.pending_for("bob"))
        .into_iter()
        .map(|(_, p)| p.server_msg_id)
        .collect();
    assert_eq!(bob, ["b2", "b3", "b4"]);
    let carol: Vec<_> = f
        .tx(|tx| tx.pending_for("carol"))
        .into_iter()
        .map(|(_, p)| p.server_msg_id)
        .collect();
    assert_eq!(carol, ["c1"]);
    assert_eq!(f.tx(|tx| tx.prune_pending(60, 3)), 0);
    assert_eq!(
        f.tx(|tx| tx.prune_pending(i64::MAX, 100)),
        4,
        "everything is older"
    );
    assert_eq!(f.tx(|tx| tx.prune_pending(0, 0)), 0, "nothing left");
}
