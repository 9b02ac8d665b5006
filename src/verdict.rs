//! The verdict on a finished crawl that the summary alone does not give: whether
//! nothing at all could be fetched, and the likeliest reason why.

use crawl::{FailureKind, Summary};

/// When every request failed and no page was fetched, a plain sentence saying so with
/// the likeliest cause; `None` when something was fetched, nothing was requested, or
/// the crawl was interrupted.
pub fn nothing_fetched(summary: &Summary) -> Option<String> {
    let failed = summary.failed();
    if summary.interrupted || failed == 0 || summary.pages > 0 || summary.non_html > 0 {
        return None;
    }
    let all = |kinds: &[FailureKind]| summary.failures.iter().all(|(k, _)| kinds.contains(k));
    use FailureKind::{ClientError, Connect, Dns, OtherStatus, ServerError, Timeout, Tls};
    let cause = if all(&[Dns]) {
        "no host name resolved: no network, or no working DNS"
    } else if all(&[Dns, Connect, Timeout]) {
        "no server could be reached: no network, or a firewall or proxy in the way"
    } else if all(&[Tls]) {
        "every TLS handshake failed: missing CA certificates, or a proxy intercepting TLS"
    } else if all(&[ClientError, ServerError, OtherStatus]) {
        "the servers answered, but only with error statuses"
    } else {
        "see the failures above"
    };
    let requests = if failed == 1 {
        "the only URL".to_owned()
    } else {
        format!("all {failed} URLs")
    };
    Some(format!(
        "nothing could be fetched: {requests} failed. Likeliest cause: {cause}"
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crawl::Stats;

    use super::*;

    fn summary(pages: u64, failures: &[(FailureKind, u64)]) -> Summary {
        let mut s = Stats::default().summary(false);
        s.pages = pages;
        s.failures = failures.iter().copied().collect();
        s.elapsed = Duration::from_secs(1);
        s
    }

    #[test]
    fn says_why_when_every_request_failed() {
        use FailureKind::*;
        let cases: [(&[(FailureKind, u64)], &str); 5] = [
            (&[(Dns, 3)], "no working DNS"),
            (&[(Dns, 1), (Connect, 2)], "no server could be reached"),
            (&[(Tls, 1)], "CA certificates"),
            (&[(ClientError, 2), (ServerError, 1)], "error statuses"),
            (&[(Dns, 1), (TooLarge, 1)], "see the failures"),
        ];
        for (failures, cause) in cases {
            let text = nothing_fetched(&summary(0, failures)).expect("nothing fetched");
            assert!(text.starts_with("nothing could be fetched: "), "{text}");
            assert!(text.contains(cause), "{failures:?}: {text}");
        }
        let one = nothing_fetched(&summary(0, &[(Dns, 1)])).expect("one URL");
        assert!(one.contains("the only URL failed"), "{one}");
    }

    #[test]
    fn silent_when_anything_was_fetched_or_nothing_was_tried() {
        assert_eq!(nothing_fetched(&summary(1, &[(FailureKind::Dns, 5)])), None);
        assert_eq!(nothing_fetched(&summary(0, &[])), None);
        let mut interrupted = summary(0, &[(FailureKind::Timeout, 2)]);
        interrupted.interrupted = true;
        assert_eq!(nothing_fetched(&interrupted), None);
    }
}
