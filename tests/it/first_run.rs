//! A first run with nothing reachable: said plainly, with exit code 3.

use crate::support::{Bin, Reply, Routes, TestServer, fixture};

/// A loopback port with nothing listening (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn nothing_reachable_exits_3_and_says_why() {
    let port = closed_port();
    let bin = Bin::new();
    bin.write(
        "urls.txt",
        format!("http://127.0.0.1:{port}/a\nhttp://127.0.0.1:{port}/b\n"),
    );
    let run = bin.run(&["--retries", "0"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("error: nothing could be fetched: all 2 URLs failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no network"), "{}", run.stderr);
    // -q keeps the error and the code.
    let run = bin.run(&["--retries", "0", "-q"]);
    run.assert_code(3);
    assert!(
        run.stderr.starts_with("error: nothing could be fetched"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn some_pages_failing_is_still_exit_0() {
    let server = TestServer::start(
        Routes::new()
            .fixture("/a.html", "site/a.html")
            .route("/gone", Reply::status(404, fixture("site/a.html"))),
    );
    let port = closed_port();
    let bin = Bin::new();
    bin.write(
        "urls.txt",
        format!(
            "{}\n{}\nhttp://127.0.0.1:{port}/\n",
            server.url_str("/a.html"),
            server.url_str("/gone")
        ),
    );
    let run = bin.run(&["--retries", "0", "--ignore-robots"]);
    run.assert_code(0);
    assert!(
        !run.stderr.contains("nothing could be fetched"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_empty_list_is_not_a_failure() {
    let bin = Bin::new();
    bin.write("urls.txt", "# nothing yet\n");
    bin.run(&[]).assert_code(0);
}
