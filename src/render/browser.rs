//! One headless Chromium and the DevTools-protocol connection to it, over
//! `--remote-debugging-pipe`: commands go to the browser's fd 3 and replies and events
//! come from its fd 4, each a JSON message ended by a NUL byte. No port is opened, so
//! no other local process can drive the browser.
//!
//! The browser runs in a process group of its own with a fresh profile in a temporary
//! directory (its configuration and cache directories too, so nothing is written
//! under the user's home). Its crash handler leaves the group and exits when the
//! browser does. Dropping the [`Browser`] kills the whole group and removes the profile;
//! [`kill_all`] does the same for every browser still running (the binary calls it
//! before it exits on a second Ctrl-C). If crawl itself is killed, the pipe closes and
//! Chromium exits on its own.

use std::collections::HashMap;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::{mpsc, oneshot};

/// The longest wait for the reply to a browser-level command: a browser that takes
/// longer is taken for hung and replaced.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Process groups of the browsers running now, for [`kill_all`].
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Kills every headless browser this process started that is still running, with all
/// its processes. For a path that exits without unwinding (`std::process::exit`); a
/// crawl that ends or is dropped kills its browser itself.
pub fn kill_all() {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    for &group in live.iter() {
        kill_group(group);
    }
}

fn kill_group(group: i32) {
    // SAFETY: kill has no memory effects; a negative pid names the process group the
    // browser was started in (its own pid), which only its processes are in.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// An event from the browser, for the page session it belongs to.
pub(super) type Event = (String, Value);

/// What the reader task routes to.
#[derive(Default)]
struct Routes {
    replies: HashMap<u64, oneshot::Sender<Result<Value, String>>>,
    sessions: HashMap<String, mpsc::UnboundedSender<Event>>,
}

/// A running headless Chromium.
pub(super) struct Browser {
    child: Mutex<Child>,
    group: i32,
    to: mpsc::UnboundedSender<Vec<u8>>,
    routes: Arc<Mutex<Routes>>,
    next_id: AtomicU64,
    /// Set when the browser stopped answering or its pipe closed: it is replaced.
    broken: Arc<AtomicBool>,
    /// Pages started in it, to restart it every so many.
    pub pages: AtomicU64,
    _profile: tempfile::TempDir,
}

/// Two pipe ends: (read, write).
fn pipe_fds() -> std::io::Result<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((fds[0], fds[1]))
}

fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: each descriptor came from pipe2 and is owned once, here.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The flags Chromium runs with. The browser's own network is shut: every request a
/// page makes is intercepted and answered by crawl's HTTP client (see `tab`), and
/// anything not intercepted (a popup, a worker, a cross-origin frame in a process of
/// its own) goes to a proxy on a closed loopback port, with no name resolving.
fn args(profile: &Path, user_agent: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-breakpad",
        "--disable-crash-reporter",
        "--disable-dev-shm-usage",
        "--mute-audio",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--blink-settings=imagesEnabled=false",
        // No throttling of the tabs that are not in front: their timers would fire
        // late, past the render wait (as Puppeteer runs Chromium).
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-renderer-backgrounding",
        "--remote-debugging-pipe",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--user-agent={user_agent}"));
    args.push("about:blank".to_owned());
    args
}

impl Browser {
    /// Starts `path` headless. Must be called within a tokio runtime.
    pub fn launch(path: &Path, user_agent: &str) -> Result<Arc<Browser>, String> {
        let profile = tempfile::Builder::new()
            .prefix("crawl-chromium-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary profile directory: {e}"))?;
        let pipes = || -> std::io::Result<_> { Ok((pipe_fds()?, pipe_fds()?)) };
        let ((their_read, our_write), (our_read, their_write)) =
            pipes().map_err(|e| format!("cannot make pipes for the browser: {e}"))?;
        let (their_read, our_write) = (owned(their_read), owned(our_write));
        let (our_read, their_write) = (owned(our_read), owned(their_write));
        let mut cmd = Command::new(path);
        cmd.args(args(profile.path(), user_agent))
            // Chromium's crash handler keeps its reports under the config directory,
            // not the profile: both stay in the temporary directory.
            .env("XDG_CONFIG_HOME", profile.path().join("config"))
            .env("XDG_CACHE_HOME", profile.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let (r, w) = (
            std::os::fd::AsRawFd::as_raw_fd(&their_read),
            std::os::fd::AsRawFd::as_raw_fd(&their_write),
        );
        // SAFETY: between fork and exec only fcntl and dup2 run, which are
        // async-signal-safe, on descriptors that are open. They are first moved to 10
        // or above so that placing them on 3 and 4 cannot close one another.
        unsafe {
            cmd.pre_exec(move || {
                let r = libc::fcntl(r, libc::F_DUPFD_CLOEXEC, 10);
                let w = libc::fcntl(w, libc::F_DUPFD_CLOEXEC, 10);
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let group = i32::try_from(child.id()).unwrap_or(i32::MAX);
        LIVE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(group);
        drop((their_read, their_write));
        let broken = Arc::new(AtomicBool::new(false));
        let routes = Arc::new(Mutex::new(Routes::default()));
        let (to, outgoing) = mpsc::unbounded_channel();
        let browser = Arc::new(Browser {
            child: Mutex::new(child),
            group,
            to,
            routes: routes.clone(),
            next_id: AtomicU64::new(1),
            broken: broken.clone(),
            pages: AtomicU64::new(0),
            _profile: profile,
        });
        let writer = pipe::Sender::from_owned_fd(our_write)
            .map_err(|e| format!("cannot use the browser's pipe: {e}"))?;
        let reader = pipe::Receiver::from_owned_fd(our_read)
            .map_err(|e| format!("cannot use the browser's pipe: {e}"))?;
        tokio::spawn(write_loop(writer, outgoing, broken.clone()));
        tokio::spawn(read_loop(reader, routes, broken));
        Ok(browser)
    }

    /// Whether the browser stopped answering or exited.
    pub fn is_broken(&self) -> bool {
        self.broken.load(Relaxed)
    }

    /// Marks the browser broken and kills it: the pages in it fail, and the next page
    /// starts a new one.
    pub fn break_down(&self) {
        self.broken.store(true, Relaxed);
        kill_group(self.group);
    }

    /// Events of `session` go to the returned receiver from now on.
    pub fn subscribe(&self, session: &str) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sessions
            .insert(session.to_owned(), tx);
        rx
    }

    /// Stops routing `session`'s events.
    pub fn unsubscribe(&self, session: &str) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sessions
            .remove(session);
    }

    /// Sends a command (to the page `session`, or to the browser) and waits up to
    /// `wait` for its reply. `Err` names the method and what went wrong.
    pub async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        wait: Duration,
    ) -> Result<Value, CallError> {
        if self.is_broken() {
            return Err(CallError::Gone);
        }
        let id = self.next_id.fetch_add(1, Relaxed);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).map_err(|e| CallError::Failed(e.to_string()))?;
        bytes.push(0);
        let (tx, rx) = oneshot::channel();
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replies
            .insert(id, tx);
        if self.to.send(bytes).is_err() {
            return Err(CallError::Gone);
        }
        let reply = tokio::time::timeout(wait, rx).await;
        match reply {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(message))) => Err(CallError::Failed(format!("{method}: {message}"))),
            Ok(Err(_)) => Err(CallError::Gone),
            Err(_) => {
                self.routes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .replies
                    .remove(&id);
                Err(CallError::TimedOut(method.to_owned()))
            }
        }
    }

    /// Sends a command without waiting for its reply (its reply is dropped).
    pub fn send(&self, session: Option<&str>, method: &str, params: Value) {
        let id = self.next_id.fetch_add(1, Relaxed);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        if let Ok(mut bytes) = serde_json::to_vec(&msg) {
            bytes.push(0);
            let _ = self.to.send(bytes);
        }
    }
}

/// Why a command got no result.
#[derive(Debug)]
pub(super) enum CallError {
    /// The browser exited or was killed.
    Gone,
    /// No reply in time (to this method).
    TimedOut(String),
    /// The browser answered with an error.
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Gone => f.write_str("the browser exited"),
            CallError::TimedOut(method) => write!(f, "the browser did not answer {method}"),
            CallError::Failed(m) => f.write_str(m),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(self.group);
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        // SIGKILL was sent: the wait is short, and reaps the browser.
        let _ = child.wait();
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|&g| g != self.group);
    }
}

async fn write_loop(
    mut pipe: pipe::Sender,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    broken: Arc<AtomicBool>,
) {
    while let Some(bytes) = outgoing.recv().await {
        if pipe.write_all(&bytes).await.is_err() {
            broken.store(true, Relaxed);
            return;
        }
    }
}

/// The largest message read from the browser; a longer one (a page's DOM is capped
/// far below it) means the browser is taken for broken.
const MAX_MESSAGE: usize = 512 << 20;

async fn read_loop(pipe: pipe::Receiver, routes: Arc<Mutex<Routes>>, broken: Arc<AtomicBool>) {
    let mut reader = BufReader::with_capacity(1 << 16, pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_MESSAGE as u64)
            .read_until(0, &mut buf)
            .await;
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) if buf.last() != Some(&0) => break,
            Ok(_) => {}
        }
        buf.pop();
        let Ok(mut msg) = serde_json::from_slice::<Value>(&buf) else {
            continue;
        };
        let mut routes = routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = msg.get("id").and_then(Value::as_u64) {
            if let Some(reply) = routes.replies.remove(&id) {
                let result = match msg.get_mut("error") {
                    Some(e) => Err(e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("error")
                        .to_owned()),
                    None => Ok(msg.get_mut("result").map(Value::take).unwrap_or_default()),
                };
                let _ = reply.send(result);
            }
        } else if let Some(session) = msg.get("sessionId").and_then(Value::as_str)
            && let Some(route) = routes.sessions.get(session)
        {
            let method = msg
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let params = msg.get_mut("params").map(Value::take).unwrap_or_default();
            let _ = route.send((method, params));
        }
    }
    broken.store(true, Relaxed);
    // Every waiting call ends now: its sender is dropped.
    let mut routes = routes.lock().unwrap_or_else(PoisonError::into_inner);
    routes.replies.clear();
    routes.sessions.clear();
}

/// The browser to run: `path` when given, else `chromium`, `chromium-browser` or
/// `google-chrome` on the `PATH`.
pub fn find(path: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = path {
        return if p.is_file() {
            Ok(p.to_owned())
        } else {
            Err(format!("--browser {}: no such file", p.display()))
        };
    }
    const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
    if let Some(dirs) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&dirs) {
            for name in NAMES {
                let p = dir.join(name);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
    }
    Err(format!(
        "--render needs Chromium, and none of {} is on the PATH: install it (Debian: \
         apt-get install chromium) or give its path with --browser",
        NAMES.join(", ")
    ))
}
