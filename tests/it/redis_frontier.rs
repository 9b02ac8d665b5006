//! The shared frontier against real Redis servers (a single one and a 3-master
//! Cluster): the frontier contract, leases that expire when their worker dies, the
//! settings check, `--max-pages` across workers, and a lost server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crawl::Error;
use crawl::frontier::conformance::{self, RealClock};
use crawl::frontier::{Done, Frontier, Policy, Pop, RedisFrontier, Request, Verdict};
use crawl::record::Outcome;
use url::Url;

use crate::support::redis::{RedisCluster, RedisServer};

fn u(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn settings() -> Vec<(&'static str, String)> {
    vec![("--depth", "3".to_owned())]
}

fn open_policy() -> Policy {
    Policy {
        probe_first: false,
        min_gap: Duration::ZERO,
        ..Policy::default()
    }
}

async fn connect(url: &str, id: &str, policy: Policy, ttl: Duration) -> RedisFrontier {
    RedisFrontier::connect(url, id, policy, &settings(), ttl)
        .await
        .expect("connects")
}

/// A maker of fresh crawls (new ids) on one connection.
fn maker(base: &RedisFrontier) -> impl Fn(Policy) -> RedisFrontier + '_ {
    static N: AtomicUsize = AtomicUsize::new(0);
    move |policy| {
        let id = format!("conf-{}", N.fetch_add(1, Ordering::Relaxed));
        base.sibling(&id, policy).expect("a crawl id")
    }
}

async fn conformance_on(url: &str) {
    let base = connect(url, "base", open_policy(), Duration::from_secs(60)).await;
    conformance::run_untimed(maker(&base)).await;
    conformance::run_timed(maker(&base), &RealClock).await;
}

#[tokio::test]
async fn passes_the_conformance_suite_on_one_server() {
    let server = RedisServer::start();
    conformance_on(&server.url()).await;
}

#[tokio::test]
async fn passes_the_conformance_suite_on_a_cluster() {
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .expect("the cluster starts");
    conformance_on(&cluster.url()).await;
    let keys = cluster.keys_per_node();
    assert!(
        keys.iter().all(|&n| n > 0),
        "a crawl's keys spread over every node: {keys:?}"
    );
}

async fn ready(f: &RedisFrontier) -> crawl::frontier::Lease {
    for _ in 0..2000 {
        match f.pop().await.expect("pop") {
            Pop::Ready(lease) => return lease,
            Pop::Drained => panic!("drained while a request was expected"),
            Pop::Wait(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    panic!("no request came");
}

#[tokio::test]
async fn a_dead_workers_lease_expires_and_another_worker_takes_it() {
    let server = RedisServer::start();
    let ttl = Duration::from_millis(300);
    let a = connect(&server.url(), "dies", open_policy(), ttl).await;
    let b = connect(&server.url(), "dies", open_policy(), ttl).await;
    let verdicts = a
        .push(vec![Request::seed(u("http://a.test/1"))])
        .await
        .expect("push");
    assert_eq!(verdicts, [Verdict::Queued]);
    let lease = ready(&a).await;
    // Worker a dies holding the lease: b waits, and takes the request when it expires.
    drop(a);
    let again = ready(&b).await;
    assert_eq!(again.request.url.as_str(), "http://a.test/1");
    assert!(
        b.complete(lease, Done::new(Outcome::Fetched))
            .await
            .is_err(),
        "the dead worker's lease is no longer held"
    );
    b.complete(again, Done::new(Outcome::Fetched))
        .await
        .expect("complete");
    assert!(matches!(b.pop().await.expect("pop"), Pop::Drained));
    let status = b.status().await.expect("status");
    assert_eq!((status.done, status.expired, status.seen), (1, 1, 1));
}

#[tokio::test]
async fn a_renewed_lease_does_not_expire() {
    let server = RedisServer::start();
    let ttl = Duration::from_millis(300);
    let a = connect(&server.url(), "renew", open_policy(), ttl).await;
    a.push(vec![Request::seed(u("http://a.test/1"))])
        .await
        .expect("push");
    let lease = ready(&a).await;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        a.renew(&lease).await.expect("renew");
        assert!(matches!(a.pop().await.expect("pop"), Pop::Wait(_)));
    }
    a.complete(lease, Done::new(Outcome::Fetched))
        .await
        .expect("the renewed lease is still held");
}

#[tokio::test]
async fn workers_with_other_settings_are_refused() {
    let server = RedisServer::start();
    let _first = connect(&server.url(), "set", open_policy(), Duration::from_secs(9)).await;
    let other = [("--depth", "5".to_owned())];
    let err = RedisFrontier::connect(
        &server.url(),
        "set",
        open_policy(),
        &other,
        Duration::from_secs(9),
    )
    .await
    .expect_err("other settings are refused");
    assert!(
        matches!(&err, Error::SharedMismatch { setting, was, now, .. }
            if setting == "--depth" && was == "3" && now == "5"),
        "{err}"
    );
    // Same settings, another id: a new crawl.
    RedisFrontier::connect(
        &server.url(),
        "set-2",
        open_policy(),
        &other,
        Duration::from_secs(9),
    )
    .await
    .expect("another id is another crawl");
}

#[tokio::test]
async fn max_pages_holds_across_workers() {
    let server = RedisServer::start();
    let policy = Policy {
        max_pages: Some(30),
        ..open_policy()
    };
    let ttl = Duration::from_secs(30);
    let a = connect(&server.url(), "max", policy, ttl).await;
    let b = connect(&server.url(), "max", policy, ttl).await;
    let batch = |from: usize| -> Vec<Request> {
        (from..from + 25)
            .map(|i| Request::seed(u(&format!("http://h{}.test/{i}", i % 5))))
            .collect()
    };
    let (x, y) = tokio::join!(a.push(batch(0)), b.push(batch(100)));
    let queued = x
        .expect("push")
        .into_iter()
        .chain(y.expect("push"))
        .filter(|v| *v == Verdict::Queued)
        .count();
    assert_eq!(queued, 30, "exactly max_pages pages queued by two workers");
    assert_eq!(a.queued().await.expect("queued"), 30);
}

#[tokio::test]
async fn a_lost_server_is_an_error_naming_it_not_a_hang() {
    let mut server = RedisServer::start();
    let a = connect(&server.url(), "lost", open_policy(), Duration::from_secs(9)).await;
    a.push(vec![Request::seed(u("http://a.test/1"))])
        .await
        .expect("push");
    server.kill();
    let err = a.pop().await.expect_err("the server is gone");
    let port = server.port().to_string();
    assert!(
        matches!(&err, Error::Shared { at, .. } if at.contains(&port)),
        "{err}"
    );
    let err = RedisFrontier::connect(
        &server.url(),
        "lost",
        open_policy(),
        &settings(),
        Duration::from_secs(9),
    )
    .await
    .expect_err("nothing to connect to");
    assert!(err.to_string().contains(&port), "{err}");
}

/// Two workers (two crawlers in this process) share one crawl: every page is fetched
/// once, robots.txt once for both, and the two sinks together hold what one crawl
/// writes.
#[tokio::test]
async fn two_workers_share_the_pages_and_robots_txt() {
    use crate::support::{Reply, Routes, TestServer, config, crawl, guard};
    use crawl::{CancellationToken, Crawler, MemorySink, Seeds};

    let site = TestServer::start(
        Routes::new()
            .robots("User-agent: *\nDisallow: /private\n")
            .dynamic("/p/", |path| {
                let n: u32 = path.trim_start_matches("/p/").parse().unwrap_or(0);
                let links: String = [2 * n + 1, 2 * n + 2]
                    .iter()
                    .filter(|&&m| m < 40)
                    .map(|m| format!("<a href=\"/p/{m}\">{m}</a>"))
                    .collect();
                Reply::delayed(
                    Duration::from_millis(40),
                    Reply::html(format!("{links}<a href=\"/private\">x</a>")),
                )
            }),
    );
    let seed = site.url("/p/0");
    // Two requests at a time each, so neither worker can take every slot of the host.
    let cfg = || config().depth(20).concurrency(2).build().expect("config");
    let single = crawl(cfg(), [seed.clone()]).await;
    let mut expected: Vec<(String, String)> = single.pairs();
    expected.sort();
    let robots_alone = site.hits("/robots.txt");
    let pages_alone = site.total_hits();

    let server = RedisServer::start();
    let worker = |sink: MemorySink| {
        let url = server.url();
        let seed = seed.clone();
        async move {
            let crawler = Crawler::new(cfg()).expect("crawler");
            let frontier = RedisFrontier::connect(
                &url,
                "two",
                crawler.policy(),
                &crawler.shared_settings(),
                crawler.lease_ttl(),
            )
            .await
            .expect("connects");
            crawler
                .run(
                    Seeds::from_urls([seed]),
                    frontier,
                    sink,
                    CancellationToken::new(),
                )
                .await
                .expect("the worker's crawl")
        }
    };
    let (a, b) = (MemorySink::new(), MemorySink::new());
    let (sa, sb) = guard(async { tokio::join!(worker(a.clone()), worker(b.clone())) }).await;
    let mut got: Vec<(String, String)> = a.pairs().into_iter().chain(b.pairs()).collect();
    got.sort();
    assert_eq!(
        got, expected,
        "the two workers wrote what one crawl writes, once"
    );
    assert_eq!(
        site.hits("/robots.txt") - robots_alone,
        1,
        "robots.txt is read once for both workers"
    );
    assert_eq!(
        site.total_hits() - pages_alone,
        pages_alone,
        "every page fetched once by one of the workers"
    );
    assert_eq!(sa.pages + sb.pages, single.summary.pages);
    assert!(
        sa.pages > 0 && sb.pages > 0,
        "both workers fetched pages: {} and {}",
        sa.pages,
        sb.pages
    );
}

/// `complete_all` ends several leases in one step per shard, each with its own
/// links and verdicts, as `complete` would one by one.
#[tokio::test]
async fn complete_all_ends_many_leases_with_their_own_verdicts() {
    let server = RedisServer::start();
    let f = connect(
        &server.url(),
        "many",
        open_policy(),
        Duration::from_secs(60),
    )
    .await;
    let seeds = ["http://a.test/1", "http://a.test/2", "http://b.test/1"];
    f.push(seeds.iter().map(|s| Request::seed(u(s))).collect())
        .await
        .expect("push");
    let mut leases = Vec::new();
    for _ in 0..3 {
        leases.push(ready(&f).await);
    }
    leases.sort_by(|x, y| x.request.url.cmp(&y.request.url));
    let copy = leases[0].clone();
    let ended: Vec<(crawl::frontier::Lease, Done)> = leases
        .into_iter()
        .map(|lease| {
            // Each page links to a new page, and to one of the seeds (seen).
            let links = vec![
                lease
                    .request
                    .child(u(&format!("{}-next", lease.request.url))),
                lease.request.child(u("http://a.test/1")),
            ];
            (lease, Done::with_links(Outcome::Fetched, links))
        })
        .collect();
    let verdicts = f.complete_all(ended).await.expect("complete_all");
    assert_eq!(
        verdicts,
        vec![vec![Verdict::Queued, Verdict::Seen]; 3],
        "each lease's links, in order"
    );
    assert_eq!(f.queued().await.expect("queued"), 3);
    assert!(
        f.complete_all(vec![(copy, Done::new(Outcome::Fetched))])
            .await
            .is_err(),
        "a lease is completed once"
    );
    let status = f.status().await.expect("status");
    assert_eq!((status.done, status.leased, status.queued), (3, 0, 3));
}
