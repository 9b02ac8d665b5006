//! The binary on a terminal (a pseudo-terminal): the progress bar never shares a line
//! with the pairs or with the interrupt message.

use std::time::Duration;

use crate::support::pty::{OnTerminal, strip_escapes};
use crate::support::{Bin, Reply, Routes, TestServer, fixture};

/// The lines a reader sees: escape codes removed, and of each line only what follows
/// its last carriage return (a redraw overwrites what was before it).
fn visible_lines(screen: &str) -> Vec<String> {
    strip_escapes(screen)
        .split('\n')
        .map(|line| {
            let line = line.trim_end_matches('\r');
            line.rsplit('\r').next().unwrap_or(line).to_owned()
        })
        .collect()
}

/// `n` pages at `/p/<i>` with one link each, each answered after `delay`.
fn slow_site(n: usize, delay: Duration) -> TestServer {
    let page = fixture("site/a.html");
    let routes = (0..n)
        .fold(Routes::new(), |routes, i| {
            routes.route(
                format!("/p/{i}"),
                Reply::delayed(delay, Reply::html(page.clone())),
            )
        })
        .robots("");
    TestServer::start(routes)
}

fn list(bin: &Bin, server: &TestServer, n: usize) {
    let urls: String = (0..n)
        .map(|i| format!("{}\n", server.url_str(&format!("/p/{i}"))))
        .collect();
    bin.write("urls.txt", urls);
}

#[test]
fn no_progress_bar_when_the_pairs_go_to_the_same_terminal() {
    // Long enough for the bar to be drawn several times if there were one.
    let server = slow_site(4, Duration::from_millis(400));
    let bin = Bin::new();
    list(&bin, &server, 4);
    let term = OnTerminal::spawn(bin.command(&["urls.txt", "-o", "-", "-c", "1"]));
    let (code, screen) = term.finish();
    assert_eq!(code, Some(0), "{screen:?}");
    assert!(
        !screen.contains("requested"),
        "a progress bar on the terminal the pairs go to:\n{screen:?}"
    );
    let lines = visible_lines(&screen);
    let pairs: Vec<&String> = lines.iter().filter(|l| l.contains('\t')).collect();
    assert_eq!(pairs.len(), 4 * 3, "{screen:?}");
    for pair in pairs {
        assert!(pair.starts_with(&server.url_str("/p/")), "{pair:?}");
    }
}

#[test]
fn the_bar_is_drawn_when_the_pairs_go_to_a_file() {
    let server = slow_site(4, Duration::from_millis(400));
    let bin = Bin::new();
    list(&bin, &server, 4);
    let term = OnTerminal::spawn(bin.command(&["urls.txt", "-c", "1"]));
    term.wait_for("requested");
    let (code, screen) = term.finish();
    assert_eq!(code, Some(0), "{screen:?}");
    let summary = visible_lines(&screen)
        .into_iter()
        .find(|l| l.contains("crawl done"));
    assert!(
        summary.is_some_and(|l| l.starts_with("crawl done")),
        "{screen:?}"
    );
}

#[test]
fn the_interrupt_message_gets_a_line_of_its_own() {
    let server = slow_site(100, Duration::from_millis(300));
    let bin = Bin::new();
    list(&bin, &server, 100);
    let term = OnTerminal::spawn(bin.command(&["urls.txt", "-c", "2"]));
    term.wait_for("requested");
    // Well under way (its signal handler long installed), with the bar on screen.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server.total_hits() < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the crawl did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    crate::cli::signal(term.id(), "INT");
    let (code, screen) = term.finish();
    assert_eq!(code, Some(130), "{screen:?}");
    let line = visible_lines(&screen)
        .into_iter()
        .find(|l| l.contains("interrupted:"))
        .unwrap_or_else(|| panic!("no interrupt message: {screen:?}"));
    assert!(
        line.starts_with("interrupted:"),
        "glued to the bar: {line:?}"
    );
    assert!(line.contains("Ctrl-C"), "{line:?}");
}
