//! The database thread: order, rollback of failed jobs, panics, closing,
//! and durability after the handles are gone.

use std::time::Duration;

use super::super::{Db, StoreError};
use super::{ids, incoming};

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::TempDir::new().unwrap();
    let db = Db::open(&dir.path().join("chatd.db")).unwrap();
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_in_submission_order() {
    let (_dir, db) = open();
    // All 200 are queued before the first answer is awaited (each future
    // is polled once: far enough to enqueue its job); the answers and the
    // log show they ran in that order.
    let calls: Vec<_> = (0..200)
        .map(|n| {
            let db = db.clone();
            let fut = async move {
                db.call(move |tx| {
                    let prev = tx.setting("log")?.unwrap_or_default();
                    tx.set_setting("log", Some(&format!("{prev}{n},")))?;
                    Ok(n)
                })
                .await
            };
            // Polled once here, so each job is queued before the next.
            let mut fut = Box::pin(fut);
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(
                fut.as_mut().poll(&mut cx).is_pending(),
                "queued, not answered yet"
            );
            fut
        })
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap(), n);
    }
    let log = db.call(|tx| tx.setting("log")).await.unwrap().unwrap();
    let expected: String = (0..200).map(|n| format!("{n},")).collect();
    assert_eq!(log, expected);
}

#[test]
fn handles_are_shareable_between_tasks() {
    fn shareable<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    shareable::<Db>();
}

#[tokio::test]
async fn a_failed_job_rolls_back_its_writes() {
    let (_dir, db) = open();
    let failed = db
        .call(|tx| {
            tx.insert_message(&incoming("m1", "bob", 1, "lost"))?;
            tx.set_setting("x", Some("1"))?;
            Err::<(), _>(StoreError::InvalidQuery("nope".into()))
        })
        .await;
    assert!(matches!(failed, Err(StoreError::InvalidQuery(_))));
    let (message, setting) = db
        .call(|tx| Ok((tx.message("m1")?, tx.setting("x")?)))
        .await
        .unwrap();
    assert_eq!((message, setting), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_committed_together_keep_their_own_outcome() {
    let (_dir, db) = open();
    // Queued at once, so the thread takes them as one batch (one commit):
    // every third job writes and then fails, one panics; each failure
    // undoes only its own writes, and every other job's writes stand.
    let calls: Vec<_> = (0..60)
        .map(|n| {
            let db = db.clone();
            let mut fut = Box::pin(async move {
                db.call(move |tx| {
                    tx.set_setting(&format!("k{n}"), Some("v"))?;
                    if n == 31 {
                        panic!("a bug in one job of the batch");
                    }
                    if n % 3 == 0 {
                        return Err(StoreError::InvalidQuery(format!("job {n} fails")));
                    }
                    Ok(n)
                })
                .await
            });
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending(), "queued");
            fut
        })
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        match call.await {
            Ok(got) => assert_eq!(got, n),
            Err(StoreError::InvalidQuery(_)) => assert_eq!(n % 3, 0, "job {n}"),
            Err(StoreError::JobPanicked) => assert_eq!(n, 31),
            Err(e) => panic!("job {n}: {e}"),
        }
    }
    let kept = db
        .call(|tx| {
            (0..60)
                .map(|n| tx.setting(&format!("k{n}")))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap();
    for (n, v) in kept.iter().enumerate() {
        let stands = n % 3 != 0 && n != 31;
        assert_eq!(v.is_some(), stands, "job {n}'s write");
    }
}

#[tokio::test]
async fn a_panicking_job_rolls_back_and_the_thread_lives_on() {
    let (_dir, db) = open();
    let r: Result<(), _> = db
        .call(|tx| {
            tx.set_setting("x", Some("1"))?;
            panic!("a bug in a job");
        })
        .await;
    assert!(matches!(r, Err(StoreError::JobPanicked)));
    assert_eq!(db.call(|tx| tx.setting("x")).await.unwrap(), None);
    db.call(|tx| tx.set_setting("y", Some("2"))).await.unwrap();
}

#[tokio::test]
async fn an_open_error_is_reported() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("chatd.db");
    std::fs::create_dir(&path).unwrap(); // a directory where the file should be
    let Err(StoreError::Db(msg)) = Db::open(&path) else {
        panic!("opening a directory must fail");
    };
    assert!(msg.contains("chatd.db"), "{msg}");
}

#[tokio::test]
async fn close_waits_for_queued_jobs_then_refuses() {
    let (dir, db) = open();
    // The thread is held in a first job while a second one is queued and
    // close is asked for.
    let (started, running) = tokio::sync::oneshot::channel();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let other = db.clone();
    let blocker = tokio::spawn(async move {
        other
            .call(move |_| {
                let _ = started.send(());
                let _ = held.recv_timeout(Duration::from_secs(30));
                Ok(())
            })
            .await
    });
    running.await.unwrap();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut queued =
        Box::pin(db.call(|tx| tx.insert_message(&incoming("m1", "bob", 1, "queued before close"))));
    assert!(queued.as_mut().poll(&mut cx).is_pending(), "queued");
    let mut closing = Box::pin(db.close());
    assert!(closing.as_mut().poll(&mut cx).is_pending(), "close waits");
    release.send(()).unwrap();
    closing.await;
    blocker.await.unwrap().unwrap();
    assert!(queued.await.unwrap(), "the queued job ran");
    assert!(matches!(
        db.call(|tx| tx.latest_event_seq()).await,
        Err(StoreError::Closed)
    ));
    db.close().await; // again: returns at once
    // The file is closed and complete: another open sees the message.
    let db = Db::open(&dir.path().join("chatd.db")).unwrap();
    let history = db.call(|tx| tx.history("bob", 10, None)).await.unwrap();
    assert_eq!(ids(&history), ["m1"]);
}

#[tokio::test]
async fn dropping_every_handle_keeps_what_was_committed() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("chatd.db");
    {
        let db = Db::open(&path).unwrap();
        let clone = db.clone();
        clone
            .call(|tx| {
                tx.append_event(
                    &chatd_api::EventBody::Presence {
                        user: "bob".into(),
                        online: true,
                    },
                    1,
                )
            })
            .await
            .unwrap();
        drop(db);
        drop(clone);
    }
    // The thread lets go of the file; reopening (even while it winds down)
    // sees the event.
    let db = Db::open(&path).unwrap();
    assert_eq!(db.call(|tx| tx.latest_event_seq()).await.unwrap(), 1);
}
