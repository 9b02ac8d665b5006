//! What the binary prints on stderr: only crawl's own events unless asked, no colour
//! codes where no terminal reads them.

use crate::support::tls::UntrustedTlsServer;
use crate::support::{Bin, Routes, TestServer};

/// `crawl <extra> -o - --ignore-robots` on a list of two pages: one whose certificate
/// does not verify, and one that is fine (so the crawl as a whole succeeds).
fn untrusted_tls_run(extra: &[&str]) -> crate::support::bin::Run {
    let server = UntrustedTlsServer::start();
    let good = TestServer::start(Routes::new().fixture("/a.html", "site/a.html"));
    let bin = Bin::new();
    bin.write(
        "urls.txt",
        format!("{}\n{}\n", server.url_str("/"), good.url_str("/a.html")),
    );
    let mut args = vec![
        "urls.txt",
        "-o",
        "-",
        "--ignore-robots",
        "--retries",
        "0",
        "--resolve",
        "localhost=127.0.0.1",
    ];
    args.extend(extra);
    bin.run(&args)
}

#[test]
fn quiet_hides_a_dependency_s_error_log() {
    let run = untrusted_tls_run(&["-q"]);
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "-q printed:\n{}", run.stderr);
}

#[test]
fn by_default_only_crawl_s_own_events_are_shown() {
    let run = untrusted_tls_run(&[]);
    run.assert_code(0);
    assert_eq!(run.stdout.lines().count(), 3, "the good page's pairs");
    // crawl's own warning names the URL and the kind of failure, once.
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains("https://localhost:"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("error: failed to verify"),
        "a dependency's log line:\n{}",
        run.stderr
    );
}

/// A site of two pages whose `-vv` run has span fields and debug events to colour.
fn debug_run(env: &[(&str, &str)]) -> crate::support::bin::Run {
    let server = TestServer::start(
        Routes::new()
            .fixture("/a.html", "site/a.html")
            .robots("User-agent: *\nDisallow: /private\n"),
    );
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/a.html")));
    let mut cmd = bin.command(&["-vvv", "-o", "-"]);
    cmd.env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    crate::support::bin::wait(cmd.spawn().expect("spawn crawl"))
}

#[test]
fn no_colour_codes_when_stderr_is_not_a_terminal() {
    let run = debug_run(&[]);
    run.assert_code(0);
    assert!(run.stderr.contains("debug:"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\x1b'),
        "escape codes in a pipe:\n{:?}",
        run.stderr
    );
    // And NO_COLOR is honoured (the terminal case is a unit test of the decision).
    let run = debug_run(&[("NO_COLOR", "1")]);
    assert!(!run.stderr.contains('\x1b'), "{:?}", run.stderr);
}
