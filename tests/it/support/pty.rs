//! Runs the real `crawl` binary with its stdout and stderr on a pseudo-terminal, as on
//! a user's screen, and records every byte the terminal received.

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::HANG_GUARD;

/// A child whose stdout and stderr are one terminal.
#[derive(Debug)]
pub struct OnTerminal {
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl OnTerminal {
    /// Spawns `cmd` (stdin is left as the command sets it) with stdout and stderr on a
    /// new 100x30 terminal, `TERM=xterm`.
    pub fn spawn(mut cmd: Command) -> OnTerminal {
        let (master, slave) = open_pty();
        let stdout = slave.try_clone().expect("dup the terminal");
        cmd.env("TERM", "xterm")
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(slave));
        let child = cmd.spawn().expect("spawn on a terminal");
        // Only the child holds the terminal's far end now: reading ends when it exits.
        drop(cmd);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let reader = std::thread::spawn({
            let screen = screen.clone();
            move || {
                let mut master = File::from(master);
                let mut buf = [0u8; 4096];
                // EIO once the child's side is closed.
                while let Ok(n @ 1..) = master.read(&mut buf) {
                    screen.lock().expect("screen").extend_from_slice(&buf[..n]);
                }
            }
        });
        OnTerminal {
            child,
            screen,
            reader: Some(reader),
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything the terminal received so far, lossily decoded.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().expect("screen")).into_owned()
    }

    /// Waits until the terminal received `needle` (fails the test after [`HANG_GUARD`]).
    pub fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + HANG_GUARD;
        while !self.screen().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared; the terminal got:\n{:?}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the exit (killing the child after [`HANG_GUARD`]) and returns the
    /// exit code and everything the terminal received.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let screen = self.screen.clone();
        let status = super::bin::wait_status(&mut self.child, || {
            let screen = screen.lock().expect("screen");
            format!(
                "crawl hung on the terminal:\n{:?}",
                String::from_utf8_lossy(&screen)
            )
        });
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.code(), self.screen())
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the ints it is given and reads the
    // window size; a null name and termios are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned by no one else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// `text` without ANSI escape sequences (CSI `ESC [ … letter`), as a reader sees it.
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
