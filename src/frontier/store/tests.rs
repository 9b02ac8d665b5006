use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::frontier::conformance;
use crate::record::Outcome;

fn settings() -> Vec<(&'static str, String)> {
    vec![("--depth", "3".to_owned()), ("--scope", "host".to_owned())]
}

/// A maker of fresh store frontiers, each in its own directory under `root`.
fn maker(root: &Path) -> impl Fn(Policy) -> StoreFrontier + '_ {
    let n = AtomicUsize::new(0);
    move |policy| {
        let dir = root.join(n.fetch_add(1, Ordering::Relaxed).to_string());
        StoreFrontier::open(dir, policy, &settings()).expect("a new state opens")
    }
}

fn u(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn open_policy() -> Policy {
    Policy {
        probe_first: false,
        min_gap: Duration::ZERO,
        ..Policy::default()
    }
}

#[tokio::test]
async fn conformance_without_time() {
    let root = tempfile::tempdir().expect("tempdir");
    conformance::run_untimed(maker(root.path())).await;
}

#[tokio::test(start_paused = true)]
async fn conformance_with_paused_time() {
    let root = tempfile::tempdir().expect("tempdir");
    conformance::run_timed(maker(root.path()), &conformance::PausedClock).await;
}

async fn ready(f: &StoreFrontier) -> Lease {
    match f.pop().await.expect("pop") {
        Pop::Ready(lease) => lease,
        other => panic!("expected a lease, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reopened_state_holds_what_was_committed_and_requeues_what_was_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("open");
        assert!(f.checkpoint().is_none(), "a new crawl");
        let seeds = ["http://a.test/1", "http://a.test/2", "http://a.test/3"]
            .map(|s| Request::seed(u(s)))
            .to_vec();
        f.push(seeds).await.expect("push");
        let one = ready(&f).await;
        let two = ready(&f).await;
        let child = one.request.child(u("http://a.test/4"));
        f.complete(one, Done::with_links(Outcome::Fetched, vec![child]))
            .await
            .expect("complete");
        let cp = Checkpoint {
            outputs: vec![42],
            ..Checkpoint::default()
        };
        f.commit(cp).await.expect("commit");
        // Completed after the commit point: redone on resume.
        f.complete(two, Done::new(Outcome::Fetched))
            .await
            .expect("complete");
        assert!(f.first(&ready(&f).await, "k").await.expect("first"));
    }
    let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("reopen");
    assert_eq!(f.checkpoint().map(|c| c.outputs.clone()), Some(vec![42]));
    assert!(!f.is_finished());
    assert_eq!(
        f.queued_now(),
        3,
        "2 (completed after the commit), 3 (in flight), 4"
    );
    let mut urls = Vec::new();
    for _ in 0..3 {
        let lease = ready(&f).await;
        urls.push(lease.request.url.to_string());
        f.complete(lease, Done::new(Outcome::Fetched))
            .await
            .expect("complete");
    }
    urls.sort();
    assert_eq!(
        urls,
        ["http://a.test/2", "http://a.test/3", "http://a.test/4"]
    );
    let again = ["http://a.test/1", "http://a.test/4"]
        .map(|s| Request::seed(u(s)))
        .to_vec();
    assert_eq!(
        f.push(again).await.expect("push"),
        [Verdict::Seen, Verdict::Seen],
        "the seen-set survived"
    );
    assert!(matches!(f.pop().await.expect("pop"), Pop::Drained));
    f.commit(Checkpoint {
        ended: true,
        ..Checkpoint::default()
    })
    .await
    .expect("commit");
    drop(f);
    let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("reopen");
    assert!(f.is_finished());
}

#[tokio::test]
async fn a_queue_larger_than_the_window_comes_back_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = WINDOW * 2 + 123;
    let urls: Vec<String> = (0..n).map(|i| format!("http://a.test/{i}")).collect();
    {
        let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("open");
        let half = urls.len() / 2;
        f.push(urls[..half].iter().map(|s| Request::seed(u(s))).collect())
            .await
            .expect("push");
        f.commit(Checkpoint::default()).await.expect("commit");
        f.push(urls[half..].iter().map(|s| Request::seed(u(s))).collect())
            .await
            .expect("push");
        assert_eq!(f.queued_now(), n);
        // The first few go, uncommitted.
        for _ in 0..10 {
            let lease = ready(&f).await;
            f.complete(lease, Done::new(Outcome::Fetched))
                .await
                .expect("complete");
        }
        f.commit(Checkpoint::default()).await.expect("commit");
    }
    let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("reopen");
    assert_eq!(f.queued_now(), n - 10);
    let mut got = Vec::new();
    loop {
        match f.pop().await.expect("pop") {
            Pop::Ready(lease) => {
                got.push(lease.request.url.to_string());
                f.complete(lease, Done::new(Outcome::Fetched))
                    .await
                    .expect("complete");
            }
            Pop::Drained => break,
            Pop::Wait(w) => panic!("nothing should wait: {w:?}"),
        }
    }
    assert_eq!(got, urls[10..], "every request once, in push order");
}

#[tokio::test]
async fn other_settings_are_refused_naming_the_setting_and_both_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("open"));
    let other = vec![("--depth", "5".to_owned()), ("--scope", "host".to_owned())];
    let err = StoreFrontier::open(dir.path(), open_policy(), &other).expect_err("mismatch");
    let msg = err.to_string();
    assert!(matches!(err, Error::Mismatch { .. }), "{msg}");
    assert!(
        msg.contains("--depth") && msg.contains("\"3\"") && msg.contains("\"5\""),
        "{msg}"
    );
}

#[tokio::test]
async fn a_second_user_a_corrupted_and_a_foreign_state_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let held = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("open");
    let err = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect_err("locked");
    assert!(err.to_string().contains("in use"), "{err}");
    drop(held);

    let garbage = tempfile::tempdir().expect("tempdir");
    std::fs::write(garbage.path().join(db::FILE), vec![0x5a; 10_000]).expect("write");
    let err = StoreFrontier::open(garbage.path(), open_policy(), &settings()).expect_err("corrupt");
    let msg = err.to_string();
    assert!(
        msg.contains("corrupted") && msg.contains(&garbage.path().display().to_string()),
        "{msg}"
    );

    let foreign = tempfile::tempdir().expect("tempdir");
    drop(StoreFrontier::open(foreign.path(), open_policy(), &settings()).expect("open"));
    {
        let db = db::open(foreign.path(), &[]).expect("open");
        let tx = db.begin_write().expect("tx");
        tx.open_table(db::META)
            .expect("meta")
            .insert("version", b"crawl-state 99".as_slice())
            .expect("insert");
        tx.commit().expect("commit");
    }
    let err = StoreFrontier::open(foreign.path(), open_policy(), &settings()).expect_err("foreign");
    assert!(err.to_string().contains("another version"), "{err}");
}

#[tokio::test]
async fn learned_gaps_and_budgets_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = Policy {
        max_pages_per_host: Some(2),
        ..open_policy()
    };
    {
        let f = StoreFrontier::open(dir.path(), policy, &settings()).expect("open");
        f.push(vec![Request::seed(u("http://a.test/1"))])
            .await
            .expect("push");
        let lease = ready(&f).await;
        let done = Done {
            hosts: vec![HostNews {
                host: "a.test".into(),
                gap: Some(Duration::from_secs(3600)),
                hold: None,
            }],
            ..Done::new(Outcome::Fetched)
        };
        f.complete(lease, done).await.expect("complete");
        f.commit(Checkpoint::default()).await.expect("commit");
    }
    let f = StoreFrontier::open(dir.path(), policy, &settings()).expect("reopen");
    let verdicts = f
        .push(
            ["http://a.test/2", "http://a.test/3"]
                .map(|s| Request::seed(u(s)))
                .to_vec(),
        )
        .await
        .expect("push");
    assert_eq!(verdicts, [Verdict::Queued, Verdict::HostBudget]);
    match f.pop().await.expect("pop") {
        Pop::Wait(Some(d)) => assert!(d > Duration::from_secs(3000), "{d:?}"),
        other => panic!("the learned gap holds a.test back: {other:?}"),
    }
}

#[tokio::test]
async fn a_retry_and_a_claim_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = u("http://a.test/1");
    {
        let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("open");
        f.push(vec![Request::seed(owner.clone())])
            .await
            .expect("push");
        let lease = ready(&f).await;
        assert!(
            f.claim(&lease, &u("http://a.test/moved"))
                .await
                .expect("claim")
        );
        let done = Done {
            retry_in: Some(Duration::from_millis(1)),
            ..Done::new(Outcome::Fetched)
        };
        f.complete(lease, done).await.expect("complete");
        f.commit(Checkpoint::default()).await.expect("commit");
    }
    let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("reopen");
    let lease = ready(&f).await;
    assert_eq!(lease.request.url, owner);
    assert_eq!(lease.request.attempt, 1, "the retry is one attempt further");
    assert!(
        f.claim(&lease, &u("http://a.test/moved"))
            .await
            .expect("claim"),
        "the same request may fetch the redirect target it claimed"
    );
    let other = Request::seed(u("http://a.test/2"));
    f.push(vec![other]).await.expect("push");
    let second = ready(&f).await;
    assert!(
        !f.claim(&second, &u("http://a.test/moved"))
            .await
            .expect("claim"),
        "another request may not"
    );
}

#[tokio::test]
async fn a_host_on_disk_goes_while_the_hosts_in_memory_are_held_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = StoreFrontier::open(dir.path(), open_policy(), &settings()).expect("open");
    let many: Vec<Request> = (0..WINDOW + 10)
        .map(|i| Request::seed(u(&format!("http://a.test/{i}"))))
        .collect();
    f.push(many).await.expect("push");
    f.push(vec![Request::seed(u("http://b.test/1"))])
        .await
        .expect("push");
    let lease = ready(&f).await;
    assert_eq!(lease.request.host(), "a.test");
    let done = Done {
        hosts: vec![HostNews {
            host: "a.test".into(),
            gap: Some(Duration::from_secs(3600)),
            hold: None,
        }],
        ..Done::new(Outcome::Fetched)
    };
    f.complete(lease, done).await.expect("complete");
    let lease = ready(&f).await;
    assert_eq!(
        lease.request.url.as_str(),
        "http://b.test/1",
        "b.test was on disk behind a.test's window"
    );
}
