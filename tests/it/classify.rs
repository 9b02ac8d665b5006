//! Failures are sorted by what happened, not by the words in the URL: the error's
//! text holds the URL, and a refused connection to `/tls-guide.html` is a refused
//! connection, retried as one (issue 10, defect 3).

use std::time::Duration;

use crawl::FailureKind;

use crate::support::{config, crawl};

#[tokio::test]
async fn a_refused_connection_is_retried_whatever_its_path_says() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let paths = [
        "/tls-guide.html",
        "/certificate-errors",
        "/handshake",
        "/dns%20error",
        "/failed%20to%20lookup%20address",
    ];
    let urls =
        paths.map(|p| url::Url::parse(&format!("http://127.0.0.1:{port}{p}")).expect("test URL"));
    let cfg = config()
        .retries(1)
        .retry_base(Duration::from_millis(1))
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, urls).await;
    let n = paths.len() as u64;
    assert_eq!(done.failures(FailureKind::Connect), n, "{:?}", done.summary);
    assert_eq!(done.failures(FailureKind::Tls), 0);
    assert_eq!(done.failures(FailureKind::Dns), 0);
    assert_eq!(done.summary.retries, n, "each was retried once");
}
