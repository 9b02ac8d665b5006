//! `--render` and the browser's processes, through the `crawl` binary: a tab whose
//! renderer dies fails its page with reason `render` while the crawl goes on, and no
//! Chromium process outlives crawl after Ctrl-C, SIGTERM, a second Ctrl-C or SIGKILL
//! (checked by process group).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::report_cdp::require;
use crate::support::bin::{reader, wait_status};
use crate::support::{Bin, HANG_GUARD, Reply, Routes, TestServer};

/// Every process now: pid → (parent pid, process group, state, command line).
fn processes() -> HashMap<i32, (i32, i32, char, String)> {
    let mut all = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        let (Some(state), Some(ppid), Some(pgrp)) = (
            fields.first().and_then(|s| s.chars().next()),
            fields.get(1).and_then(|s| s.parse().ok()),
            fields.get(2).and_then(|s| s.parse().ok()),
        ) else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        all.insert(pid, (ppid, pgrp, state, cmdline));
    }
    all
}

/// The live (not zombie) descendants of `root`.
fn descendants(root: i32) -> Vec<(i32, i32, String)> {
    let all = processes();
    let mut found = Vec::new();
    let mut parents = BTreeSet::from([root]);
    loop {
        let before = parents.len();
        for (&pid, (ppid, _, _, _)) in &all {
            if parents.contains(ppid) {
                parents.insert(pid);
            }
        }
        if parents.len() == before {
            break;
        }
    }
    for (&pid, (_, pgrp, state, cmd)) in &all {
        if pid != root && parents.contains(&pid) && *state != 'Z' {
            found.push((pid, *pgrp, cmd.clone()));
        }
    }
    found
}

/// The browser's processes under crawl `pid`: their process groups, and its profile
/// directory (Chromium's crash handler leaves the group, but names the directory).
fn browser_of(pid: i32) -> (BTreeSet<i32>, String) {
    let under = descendants(pid);
    let profile = under
        .iter()
        .find_map(|(_, _, cmd)| {
            cmd.split(' ')
                .find_map(|a| a.strip_prefix("--user-data-dir="))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no browser profile among {under:?}"));
    let groups = under.iter().map(|(_, g, _)| *g).collect();
    (groups, profile)
}

/// Live processes in any of `groups`, or naming `profile`.
fn alive_in(groups: &BTreeSet<i32>, profile: &str) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|(_, (_, pgrp, state, cmd))| {
            (groups.contains(pgrp) || cmd.contains(profile)) && *state != 'Z'
        })
        .map(|(pid, (_, _, _, cmd))| format!("{pid}: {cmd}"))
        .collect()
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after the hang guard.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG_GUARD;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "waited {HANG_GUARD:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until crawl `child` has `/hang` in the browser (its script was asked for);
/// gives crawl's stderr reader and its pid.
fn rendering(
    child: &mut std::process::Child,
    server: &TestServer,
) -> (std::thread::JoinHandle<String>, i32) {
    let stderr = reader(child.stderr.take());
    let pid = i32::try_from(child.id()).expect("a pid");
    wait_until("the page's script request", || server.hits("/slow.js") > 0);
    (stderr, pid)
}

/// A site whose `/hang` page waits on a script the server holds for a minute.
fn hanging_site() -> TestServer {
    TestServer::start(
        Routes::new()
            .robots("User-agent: *\nAllow: /\n")
            .route(
                "/hang",
                Reply::html("<a href=/a>a</a><script src=/slow.js></script>"),
            )
            .route(
                "/slow.js",
                Reply::delayed(
                    Duration::from_secs(60),
                    Reply::typed(Some("text/javascript"), "1"),
                ),
            )
            .route(
                "/after",
                Reply::html("<script>document.write('<a href=/made>m</a>')</script>"),
            ),
    )
}

/// A tab's renderer, or the whole browser, killed while a page is in it: the page
/// fails with reason `render`, the next page renders (in a new tab, or a browser
/// started afresh), and when the crawl ends no process of either browser is left.
#[test]
fn a_crashed_tab_fails_its_page_with_render_and_the_crawl_goes_on() {
    let Some(browser) = require("a_crashed_tab_fails_its_page_with_render_and_the_crawl_goes_on")
    else {
        return;
    };
    for whole_browser in [false, true] {
        crash_one(&browser, whole_browser);
    }
}

fn crash_one(browser: &std::path::Path, whole_browser: bool) {
    let server = hanging_site();
    let bin = Bin::new();
    bin.write(
        "urls.txt",
        format!(
            "{}\n{}\n",
            server.url_str("/hang"),
            server.url_str("/after")
        ),
    );
    let browser = browser.to_string_lossy().into_owned();
    let mut child = bin
        .command(&[
            "urls.txt",
            "-o",
            "out.tsv",
            "--pages",
            "pages.jsonl",
            "--render",
            "--browser",
            &browser,
            "--render-concurrency",
            "1",
            "-c",
            "1",
            "--timeout",
            "60s",
        ])
        .spawn()
        .expect("spawn crawl");
    let (stderr, pid) = rendering(&mut child, &server);
    let (groups, profile) = browser_of(pid);
    // The renderers die as an out-of-memory kill would take them; or the browser's
    // own process (the one crawl started: its command line has no --type).
    let victims: Vec<i32> = descendants(pid)
        .into_iter()
        .filter(|(_, _, cmd)| match whole_browser {
            false => cmd.contains("--type=renderer"),
            true => cmd.contains("--remote-debugging-pipe") && !cmd.contains("--type="),
        })
        .map(|(p, _, _)| p)
        .collect();
    assert!(!victims.is_empty(), "{:?}", descendants(pid));
    for p in victims {
        // SAFETY: kill has no memory effects.
        unsafe { libc::kill(p, libc::SIGKILL) };
    }
    let status = wait_status(&mut child, || "crawl hung after the crash".into());
    let stderr = stderr.join().unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let pages = bin.read("pages.jsonl");
    let hang = pages
        .lines()
        .find(|l| l.contains("/hang\""))
        .unwrap_or_else(|| panic!("{pages}"));
    assert!(hang.contains(r#""reason":"render""#), "{hang}");
    let why = if whole_browser { "exited" } else { "crashed" };
    assert!(hang.contains(why), "{hang}");
    let out = bin.read("out.tsv");
    assert_eq!(
        out,
        format!(
            "{}\t{}\n",
            server.url_str("/after"),
            server.url_str("/made")
        ),
        "{stderr}"
    );
    wait_until("the browser's processes to end with crawl", || {
        alive_in(&groups, &profile).is_empty()
    });
}

/// Ctrl-C, SIGTERM, a second Ctrl-C (which exits at once) and SIGKILL while a page is
/// being rendered: crawl exits with the signal's code and every process of the
/// browser's group is gone.
#[test]
fn no_browser_process_outlives_a_signal() {
    let Some(browser) = require("no_browser_process_outlives_a_signal") else {
        return;
    };
    let browser = browser.to_string_lossy().into_owned();
    for (signals, code) in [
        (&[libc::SIGINT][..], Some(130)),
        (&[libc::SIGTERM][..], Some(143)),
        (&[libc::SIGINT, libc::SIGINT][..], Some(130)),
        // No code of crawl's runs: Chromium quits when its end of the pipe closes.
        (&[libc::SIGKILL][..], None),
    ] {
        let server = hanging_site();
        let bin = Bin::new();
        bin.write("urls.txt", format!("{}\n", server.url_str("/hang")));
        let mut child = bin
            .command(&[
                "urls.txt",
                "-o",
                "out.tsv",
                "--render",
                "--browser",
                &browser,
            ])
            .spawn()
            .expect("spawn crawl");
        let (stderr, pid) = rendering(&mut child, &server);
        let (groups, profile) = browser_of(pid);
        assert!(!groups.is_empty() && !groups.contains(&pid), "{groups:?}");
        for &signal in signals {
            // SAFETY: kill has no memory effects.
            unsafe { libc::kill(pid, signal) };
            std::thread::sleep(Duration::from_millis(100));
        }
        let status = wait_status(&mut child, || format!("crawl hung after {signals:?}"));
        let stderr = stderr.join().unwrap_or_default();
        assert_eq!(status.code(), code, "{signals:?}: {stderr}");
        wait_until(
            &format!("the browser's processes to end after {signals:?}"),
            || alive_in(&groups, &profile).is_empty(),
        );
    }
}
