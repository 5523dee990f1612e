//! The event log: consecutive seqs across restarts, `since`, and pruning
//! by count and by age without ever reusing a seq.

use chatd_api::{ConnectionState, EventBody};

use super::super::{EVENTS_KEEP_COUNT, EVENTS_KEEP_MS};
use super::{Fixture, incoming};

const DAY: i64 = 86_400_000;

fn presence(n: u64) -> EventBody {
    EventBody::Presence {
        user: format!("u{n}"),
        online: n.is_multiple_of(2),
    }
}

fn seqs(events: &[chatd_api::Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

#[test]
fn seqs_start_at_one_and_continue_across_reopen() {
    let mut f = Fixture::new();
    assert_eq!(f.tx(|tx| tx.latest_event_seq()), 0);
    assert_eq!(f.tx(|tx| tx.events_since(0, 10)), vec![]);
    let bodies = [
        EventBody::Message {
            message: incoming("m1", "bob", 5, "hi"),
            focused: false,
        },
        EventBody::Receipt {
            id: "m1".into(),
            status: chatd_api::MessageStatus::Read,
            receipts: None,
            user: None,
        },
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
        EventBody::KeyChanged {
            user: "bob".into(),
            fingerprint: "ab".repeat(32),
        },
        EventBody::Security {
            user: "eve".into(),
            reason: "bad_tag".into(),
            group: None,
        },
    ];
    for (i, body) in bodies.iter().enumerate() {
        let event = f.tx(|tx| tx.append_event(body, 1_000));
        assert_eq!((event.seq, &event.body), (i as u64 + 1, body));
    }
    let mut f = f.reopen();
    assert_eq!(f.tx(|tx| tx.latest_event_seq()), 5);
    let stored = f.tx(|tx| tx.events_since(0, 100));
    assert_eq!(
        stored.iter().map(|e| &e.body).collect::<Vec<_>>(),
        bodies.iter().collect::<Vec<_>>()
    );
    assert_eq!(f.tx(|tx| tx.append_event(&presence(1), 2_000)).seq, 6);
}

#[test]
fn an_event_rolled_back_does_not_consume_a_seq_that_others_see() {
    let mut f = Fixture::new();
    f.tx(|tx| tx.append_event(&presence(1), 1));
    let _ = f.store.transaction(|tx| {
        tx.append_event(&presence(2), 2)?;
        Err::<(), _>(super::super::StoreError::Closed)
    });
    assert_eq!(f.tx(|tx| tx.latest_event_seq()), 1);
    assert_eq!(
        f.tx(|tx| tx.append_event(&presence(3), 3)).seq,
        2,
        "still consecutive"
    );
}

#[test]
fn events_since_is_ascending_and_limited() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        for n in 1..=20 {
            tx.append_event(&presence(n), 1)?;
        }
        Ok(())
    });
    assert_eq!(seqs(&f.tx(|tx| tx.events_since(0, 3))), [1, 2, 3]);
    assert_eq!(seqs(&f.tx(|tx| tx.events_since(17, 100))), [18, 19, 20]);
    assert_eq!(
        seqs(&f.tx(|tx| tx.events_since(20, 100))),
        Vec::<u64>::new()
    );
    assert_eq!(
        seqs(&f.tx(|tx| tx.events_since(u64::MAX, 100))),
        Vec::<u64>::new()
    );
    assert_eq!(f.tx(|tx| tx.events_since(4, 1))[0].body, presence(5));
}

/// Appends `n` events at `ts`, in one transaction.
fn fill(f: &mut Fixture, n: u64, ts: i64) {
    f.tx(|tx| {
        for i in 0..n {
            tx.append_event(&presence(i), ts)?;
        }
        Ok(())
    });
}

#[test]
fn pruning_keeps_the_last_10000_even_when_old() {
    let mut f = Fixture::new();
    fill(&mut f, EVENTS_KEEP_COUNT + 50, 0);
    let now = 365 * DAY;
    assert_eq!(f.tx(|tx| tx.prune_events(now)), 50);
    let left = f.tx(|tx| tx.events_since(0, u32::MAX));
    assert_eq!(left.len() as u64, EVENTS_KEEP_COUNT);
    assert_eq!(left[0].seq, 51);
    assert_eq!(f.tx(|tx| tx.prune_events(now)), 0, "idempotent");
    // Seqs go on from the largest ever used.
    assert_eq!(
        f.tx(|tx| tx.append_event(&presence(0), now)).seq,
        EVENTS_KEEP_COUNT + 51
    );
    assert_eq!(
        seqs(&f.tx(|tx| tx.events_since(0, 1))),
        [51],
        "a gap only at the start"
    );
}

#[test]
fn pruning_keeps_seven_days_even_beyond_10000() {
    let mut f = Fixture::new();
    let now = 100 * DAY;
    fill(&mut f, 30, now - EVENTS_KEEP_MS - 1); // old enough to go
    fill(&mut f, EVENTS_KEEP_COUNT + 50, now - EVENTS_KEEP_MS); // exactly 7 days: kept
    assert_eq!(f.tx(|tx| tx.prune_events(now)), 30);
    let left = f.tx(|tx| tx.events_since(0, u32::MAX));
    assert_eq!(left.len() as u64, EVENTS_KEEP_COUNT + 50);
    // A week later everything but the last 10,000 is old.
    assert_eq!(f.tx(|tx| tx.prune_events(now + EVENTS_KEEP_MS + 1)), 50);
}

#[test]
fn seqs_are_never_reused_after_pruning_and_reopen() {
    let mut f = Fixture::new();
    fill(&mut f, EVENTS_KEEP_COUNT + 5, 0);
    f.tx(|tx| tx.prune_events(30 * DAY));
    // Even with every row gone, the counter stays.
    f.store.conn.execute("DELETE FROM events", []).unwrap();
    let mut f = f.reopen();
    assert_eq!(f.tx(|tx| tx.latest_event_seq()), EVENTS_KEEP_COUNT + 5);
    assert_eq!(
        f.tx(|tx| tx.append_event(&presence(1), 1)).seq,
        EVENTS_KEEP_COUNT + 6
    );
}
