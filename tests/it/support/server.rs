//! An HTTP/1.1 server on raw tokio TCP, so it can misbehave at the byte level, and
//! that records what it saw: hits per path, each request and when it arrived, requests
//! in flight, and how each connection ended.
//!
//! Each server runs on its own thread with its own runtime, so a test may block (run
//! the binary, sleep) or pause its own clock without starving the server.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::gzip::{Bomb, SEGMENT};
use super::reply::{Reply, Response};

/// Longest request head read before the connection is dropped.
const MAX_HEAD: usize = 64 * 1024;

/// Answers a request for a generated path: the path (with query) → the reply.
pub type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// Path (with query) → reply; and path prefix → [`Handler`], for generated sites.
#[derive(Clone, Default)]
pub struct Routes {
    map: HashMap<String, Reply>,
    dynamic: Vec<(String, Handler)>,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let prefixes: Vec<&str> = self.dynamic.iter().map(|(p, _)| p.as_str()).collect();
        f.debug_struct("Routes")
            .field("map", &self.map)
            .field("dynamic", &prefixes)
            .finish()
    }
}

impl Routes {
    /// No routes: every path is a 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a route.
    pub fn route(mut self, path: impl Into<String>, reply: Reply) -> Self {
        self.map.insert(path.into(), reply);
        self
    }

    /// Answers every path starting with `prefix` (that has no exact route) by calling
    /// `handler` with the path and query: generated sites, spider traps. The longest
    /// matching prefix wins.
    pub fn dynamic(
        mut self,
        prefix: impl Into<String>,
        handler: impl Fn(&str) -> Reply + Send + Sync + 'static,
    ) -> Self {
        self.dynamic.push((prefix.into(), Arc::new(handler)));
        self
    }

    /// The reply for a request target, if any route answers it.
    fn reply_for(&self, path: &str) -> Option<Reply> {
        if let Some(reply) = self.map.get(path) {
            return Some(reply.clone());
        }
        self.dynamic
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, handler)| handler(path))
    }

    /// Serves `fixtures/<file>` as `text/html` at `path`.
    pub fn fixture(self, path: impl Into<String>, file: &str) -> Self {
        self.route(path, Reply::fixture(file))
    }

    /// Serves a robots.txt.
    pub fn robots(self, body: &str) -> Self {
        self.route(
            "/robots.txt",
            Reply::typed(Some("text/plain"), body.as_bytes()),
        )
    }
}

/// How one connection went.
#[derive(Debug, Clone)]
pub struct Conn {
    /// Request targets served on it, in order.
    pub paths: Vec<String>,
    /// From accept to close.
    pub held: Duration,
    /// Response body bytes the kernel accepted, all responses together.
    pub body_bytes: u64,
    /// Whether the client went away (EOF or a write error) rather than the server
    /// closing it.
    pub client_closed: bool,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request target.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// When the request head had been read.
    pub at: Instant,
}

impl Seen {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Requests in flight, possibly shared by several servers (hosts).
#[derive(Debug, Default)]
pub struct Load {
    now: AtomicU64,
    max: AtomicU64,
}

impl Load {
    fn enter(&self) {
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(n, SeqCst);
    }

    fn exit(&self) {
        self.now.fetch_sub(1, SeqCst);
    }
}

#[derive(Debug, Default)]
struct Observed {
    hits: Mutex<HashMap<String, u64>>,
    requests: Mutex<Vec<Seen>>,
    conns: Mutex<Vec<Conn>>,
    /// This server's load, and every server's that shares it.
    load: Arc<Load>,
    /// This server's load alone.
    own: Load,
}

/// A running test server; it stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    observed: Arc<Observed>,
    _running: Running,
}

impl TestServer {
    /// Serves `routes` on 127.0.0.1, on a free port.
    pub fn start(routes: Routes) -> TestServer {
        Self::start_on("127.0.0.1", routes)
    }

    /// Serves `routes` on another loopback address (another host, for politeness and
    /// robots.txt per host), on a free port.
    pub fn start_on(ip: &str, routes: Routes) -> TestServer {
        Self::start_with(ip, routes, Arc::default())
    }

    /// Like [`TestServer::start_on`], counting requests in flight together with
    /// `other` (for limits across hosts).
    pub fn start_sharing_load(ip: &str, routes: Routes, other: &TestServer) -> TestServer {
        Self::start_with(ip, routes, other.observed.load.clone())
    }

    /// Serves on `ip`, on a free port, the routes `build` makes from the server's base
    /// URL (`http://<addr>`): for pages that must name their own absolute URLs, such as
    /// sitemaps.
    pub fn start_with_base(ip: &str, build: impl FnOnce(&str) -> Routes) -> TestServer {
        let listener = bind(ip);
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        Self::serve_on(listener, build(&base), Arc::default())
    }

    fn start_with(ip: &str, routes: Routes, load: Arc<Load>) -> TestServer {
        Self::serve_on(bind(ip), routes, load)
    }

    fn serve_on(listener: std::net::TcpListener, routes: Routes, load: Arc<Load>) -> TestServer {
        let addr = listener.local_addr().expect("local addr");
        let observed = Arc::new(Observed {
            load,
            ..Observed::default()
        });
        let routes = Arc::new(routes);
        let obs = observed.clone();
        let running = Running::spawn(listener, "test-server", move |stream| {
            serve(stream, routes.clone(), obs.clone())
        });
        TestServer {
            addr,
            observed,
            _running: running,
        }
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&self.url_str(path)).expect("test URL")
    }

    /// `http://<addr><path>` as a string (for URL lists and raw expectations).
    pub fn url_str(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `<ip>:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received for `path` (with query).
    pub fn hits(&self, path: &str) -> u64 {
        let hits = self.observed.hits.lock().expect("hits");
        hits.get(path).copied().unwrap_or(0)
    }

    /// Requests received, robots.txt included.
    pub fn total_hits(&self) -> u64 {
        self.observed.hits.lock().expect("hits").values().sum()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.observed.requests.lock().expect("requests").clone()
    }

    /// The most requests in flight at once, across every server sharing this one's load.
    ///
    /// A request is in flight from when its head is read until the first byte of its
    /// answer is sent. In that window its client is surely still waiting for it, so the
    /// count never overstates how many requests the client had open. (Counting to the
    /// end of the response would: the client may have the whole body, and start another
    /// request, before the server's thread gets to note the end.)
    pub fn max_in_flight(&self) -> u64 {
        self.observed.load.max.load(SeqCst)
    }

    /// The most requests in flight at once on this server alone (one host), even when
    /// it shares its load with others.
    pub fn own_max_in_flight(&self) -> u64 {
        self.observed.own.max.load(SeqCst)
    }

    /// Arrival times of the requests for `path` (with query), in order.
    pub fn arrivals(&self, path: &str) -> Vec<Instant> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| r.at)
            .collect()
    }

    /// Requests in flight now (read and not yet answered).
    pub fn in_flight(&self) -> u64 {
        self.observed.load.now.load(SeqCst)
    }

    /// Connections that have ended so far.
    pub fn closed_conns(&self) -> Vec<Conn> {
        self.observed.conns.lock().expect("conns").clone()
    }

    /// Waits (up to 10 s) for the connection that served `path` to end, and returns it.
    ///
    /// # Panics
    ///
    /// When it is still open after 10 s: the client is holding it.
    pub fn wait_conn_end(&self, path: &str) -> Conn {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self
                .closed_conns()
                .into_iter()
                .find(|c| c.paths.iter().any(|p| p == path));
            if let Some(conn) = found {
                return conn;
            }
            assert!(
                Instant::now() < deadline,
                "the connection that served {path} is still open after 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A server's thread: its own current-thread runtime with an accept loop that
/// hands each connection to `handle`. Dropping it stops the loop, drops every
/// connection task (closing them) and joins the thread.
#[derive(Debug)]
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Serves `listener` (non-blocking) on a new thread named `<name>-<addr>`.
    pub fn spawn<H, F>(listener: std::net::TcpListener, name: &str, handle: H) -> Running
    where
        H: Fn(TcpStream) -> F + Send + 'static,
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{addr}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("listener");
                    let accept = async {
                        loop {
                            let Ok((stream, _)) = listener.accept().await else {
                                continue;
                            };
                            tokio::spawn(handle(stream));
                        }
                    };
                    tokio::select! {
                        _ = stopped => {}
                        () = accept => {}
                    }
                });
                runtime.shutdown_background();
            })
            .expect("spawn server thread");
        Running {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn bind(ip: &str) -> std::net::TcpListener {
    let listener =
        std::net::TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("bind {ip}:0: {e}"));
    listener.set_nonblocking(true).expect("nonblocking");
    listener
}

/// A parsed request head.
struct Request {
    path: String,
    close: bool,
}

/// How a response ended.
enum End {
    /// Completely written, framed: the connection may serve another request.
    KeepAlive,
    /// The server closed the connection (close-delimited body, `Raw`, short body).
    ServerClosed,
    /// The client went away (EOF or a write error).
    ClientGone,
}

struct ConnState {
    stream: TcpStream,
    /// Bytes read past the current request head.
    buf: Vec<u8>,
    body_bytes: u64,
    /// Set while a request is read and not yet answered: it counts as in flight.
    waiting: Option<Arc<Observed>>,
}

impl ConnState {
    /// The request starts being answered (or is dropped): it no longer counts as in
    /// flight.
    fn answering(&mut self) {
        if let Some(obs) = self.waiting.take() {
            obs.own.exit();
            obs.load.exit();
        }
    }
}

async fn serve(stream: TcpStream, routes: Arc<Routes>, obs: Arc<Observed>) {
    let opened = Instant::now();
    let _ = stream.set_nodelay(true);
    let mut conn = ConnState {
        stream,
        buf: Vec::new(),
        body_bytes: 0,
        waiting: None,
    };
    let mut paths = Vec::new();
    let client_closed = loop {
        let request = match read_head(&mut conn, &obs).await {
            Ok(Some(r)) => r,
            // EOF between requests: the client closed an idle connection.
            Ok(None) => break true,
            Err(_) => break true,
        };
        paths.push(request.path.clone());
        let index = {
            let mut hits = obs.hits.lock().expect("hits");
            let n = hits.entry(request.path.clone()).or_insert(0);
            *n += 1;
            *n - 1
        };
        let reply = routes.reply_for(&request.path).unwrap_or_else(|| {
            Reply::status(
                404,
                format!(
                    "<html><body><h1>404</h1><a href=\"/\">home</a> no route for {}</body></html>",
                    request.path
                ),
            )
        });
        obs.load.enter();
        obs.own.enter();
        conn.waiting = Some(obs.clone());
        let end = respond(&mut conn, &reply, index).await;
        conn.answering();
        match end {
            End::KeepAlive if !request.close => {}
            End::KeepAlive | End::ServerClosed => break false,
            End::ClientGone => break true,
        }
    };
    obs.conns.lock().expect("conns").push(Conn {
        paths,
        held: opened.elapsed(),
        body_bytes: conn.body_bytes,
        client_closed,
    });
}

/// Reads one request head (and skips its body, if it declares one).
async fn read_head(conn: &mut ConnState, obs: &Observed) -> io::Result<Option<Request>> {
    let end = loop {
        if let Some(i) = find(&conn.buf, b"\r\n\r\n") {
            break i;
        }
        if conn.buf.len() > MAX_HEAD {
            return Err(io::Error::other("request head too long"));
        }
        let mut chunk = [0u8; 4096];
        let n = conn.stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        conn.buf.extend_from_slice(&chunk[..n]);
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&conn.buf[..end]).into_owned();
    conn.buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let _method = parts.next();
    let path = parts.next().unwrap_or("/").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let close = headers
        .iter()
        .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
    let body_len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while conn.buf.len() < body_len {
        let mut chunk = [0u8; 4096];
        let n = conn.stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        conn.buf.extend_from_slice(&chunk[..n]);
    }
    conn.buf.drain(..body_len);
    obs.requests.lock().expect("requests").push(Seen {
        path: path.clone(),
        headers,
        at,
    });
    Ok(Some(Request { path, close }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn head(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn headers(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect()
}

/// Writes `bytes`; a failure means the client went away.
async fn send(conn: &mut ConnState, bytes: &[u8]) -> Result<(), End> {
    conn.answering();
    conn.stream
        .write_all(bytes)
        .await
        .map_err(|_| End::ClientGone)
}

/// Writes body bytes and counts them.
async fn send_body(conn: &mut ConnState, bytes: &[u8]) -> Result<(), End> {
    send(conn, bytes).await?;
    conn.body_bytes += bytes.len() as u64;
    Ok(())
}

/// Waits until the client closes the connection (reading and dropping anything it
/// sends meanwhile).
async fn until_client_closes(conn: &mut ConnState) -> End {
    let mut sink = [0u8; 4096];
    loop {
        match conn.stream.read(&mut sink).await {
            Ok(0) | Err(_) => return End::ClientGone,
            Ok(_) => {}
        }
    }
}

fn respond<'a>(
    conn: &'a mut ConnState,
    reply: &'a Reply,
    index: u64,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = End> + Send + 'a>> {
    Box::pin(async move {
        match respond_inner(conn, reply, index).await {
            Ok(end) | Err(end) => end,
        }
    })
}

async fn respond_inner(conn: &mut ConnState, reply: &Reply, index: u64) -> Result<End, End> {
    match reply {
        Reply::Html(body) => {
            let hs = headers(&[
                ("Content-Type", "text/html".to_owned()),
                ("Content-Length", body.len().to_string()),
            ]);
            send(conn, &head(200, &hs)).await?;
            send_body(conn, body).await?;
            Ok(End::KeepAlive)
        }
        Reply::Full(Response {
            status,
            headers: hs,
            body,
            content_length,
        }) => {
            let mut hs = hs.clone();
            if *content_length {
                hs.push(("Content-Length".to_owned(), body.len().to_string()));
            } else {
                hs.push(("Connection".to_owned(), "close".to_owned()));
            }
            send(conn, &head(*status, &hs)).await?;
            send_body(conn, body).await?;
            if *content_length {
                Ok(End::KeepAlive)
            } else {
                let _ = conn.stream.shutdown().await;
                Ok(End::ServerClosed)
            }
        }
        Reply::Raw(bytes) => {
            send(conn, bytes).await?;
            let _ = conn.stream.shutdown().await;
            Ok(End::ServerClosed)
        }
        Reply::Silence => Ok(until_client_closes(conn).await),
        Reply::HeadersThenSilence => {
            let hs = headers(&[
                ("Content-Type", "text/html".to_owned()),
                ("Content-Length", "100000".to_owned()),
            ]);
            send(conn, &head(200, &hs)).await?;
            Ok(until_client_closes(conn).await)
        }
        Reply::Trickle {
            headers: hs,
            interval,
        } => {
            let mut hs = hs.clone();
            hs.push(("Connection".to_owned(), "close".to_owned()));
            send(conn, &head(200, &hs)).await?;
            let pattern = b"<html><body><a href=\"/trickled\">x</a> ";
            let mut tick = tokio::time::interval(*interval);
            tick.tick().await;
            for i in 0.. {
                let mut sink = [0u8; 1024];
                tokio::select! {
                    read = conn.stream.read(&mut sink) => {
                        if matches!(read, Ok(0) | Err(_)) {
                            return Ok(End::ClientGone);
                        }
                    }
                    _ = tick.tick() => send_body(conn, &pattern[i % pattern.len()..][..1]).await?,
                }
            }
            unreachable!()
        }
        Reply::StallMidBody { declared, sent } => {
            send_length_head(conn, *declared, "text/html").await?;
            send_body(conn, sent).await?;
            Ok(until_client_closes(conn).await)
        }
        Reply::ShortBody { declared, sent } => {
            send_length_head(conn, *declared, "text/html").await?;
            send_body(conn, sent).await?;
            let _ = conn.stream.shutdown().await;
            Ok(End::ServerClosed)
        }
        Reply::ResetMidBody { declared, sent } => {
            send_length_head(conn, *declared, "text/html").await?;
            send_body(conn, sent).await?;
            // Give the client a moment to read what was sent, then abort: with
            // SO_LINGER 0 the close sends RST instead of FIN.
            tokio::time::sleep(Duration::from_millis(50)).await;
            // The stream is dropped (closed) when `serve` returns right after this.
            #[allow(deprecated)]
            let _ = conn.stream.set_linger(Some(Duration::ZERO));
            Ok(End::ServerClosed)
        }
        Reply::Chunked(chunks) => {
            let hs = headers(&[
                ("Content-Type", "text/html".to_owned()),
                ("Transfer-Encoding", "chunked".to_owned()),
            ]);
            send(conn, &head(200, &hs)).await?;
            for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                send(conn, format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
                send_body(conn, chunk).await?;
                send(conn, b"\r\n").await?;
                conn.stream.flush().await.map_err(|_| End::ClientGone)?;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            send(conn, b"0\r\n\r\n").await?;
            Ok(End::KeepAlive)
        }
        Reply::Stream {
            total_len,
            content_type,
            content_length,
        } => {
            let mut hs = vec![("Content-Type".to_owned(), content_type.clone())];
            if *content_length {
                hs.push(("Content-Length".to_owned(), total_len.to_string()));
            } else {
                hs.push(("Connection".to_owned(), "close".to_owned()));
            }
            send(conn, &head(200, &hs)).await?;
            let block = stream_block();
            let mut left = *total_len;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                send_body(conn, &block[..n]).await?;
                left -= n as u64;
            }
            if *content_length {
                Ok(End::KeepAlive)
            } else {
                let _ = conn.stream.shutdown().await;
                Ok(End::ServerClosed)
            }
        }
        Reply::GzipBomb { expanded_len } => {
            let bomb = Bomb::get();
            assert!(*expanded_len >= SEGMENT, "a bomb is at least one segment");
            let hs = headers(&[
                ("Content-Type", "text/html".to_owned()),
                ("Content-Encoding", "gzip".to_owned()),
                (
                    "Content-Length",
                    bomb.compressed_len(*expanded_len).to_string(),
                ),
            ]);
            send(conn, &head(200, &hs)).await?;
            send_body(conn, &bomb.prefix).await?;
            // Batch steady segments into ~64 KiB writes.
            let per_write = (64 * 1024 / bomb.steady.len()).max(1) as u64;
            let batch = bomb.steady.repeat(per_write as usize);
            let mut left = bomb.repeats(*expanded_len);
            while left > 0 {
                let n = left.min(per_write);
                send_body(conn, &batch[..n as usize * bomb.steady.len()]).await?;
                left -= n;
            }
            send_body(conn, &bomb.end).await?;
            send_body(conn, &bomb.trailer(*expanded_len)).await?;
            Ok(End::KeepAlive)
        }
        Reply::Redirect { status, location } => {
            let body = b"<html><body><a href=\"/redirect-body-link\">moved</a></body></html>";
            let mut hs = headers(&[
                ("Content-Type", "text/html".to_owned()),
                ("Content-Length", body.len().to_string()),
            ]);
            if let Some(location) = location {
                hs.push(("Location".to_owned(), location.clone()));
            }
            send(conn, &head(*status, &hs)).await?;
            send_body(conn, body).await?;
            Ok(End::KeepAlive)
        }
        Reply::Sequence(replies) => {
            let i = (index as usize).min(replies.len().saturating_sub(1));
            match replies.get(i) {
                Some(reply) => Ok(respond(conn, reply, index).await),
                None => Ok(until_client_closes(conn).await),
            }
        }
        Reply::Delay(delay, reply) => {
            tokio::time::sleep(*delay).await;
            Ok(respond(conn, reply, index).await)
        }
        Reply::Gated(gate, reply) => {
            gate.pass().await;
            Ok(respond(conn, reply, index).await)
        }
    }
}

async fn send_length_head(
    conn: &mut ConnState,
    declared: u64,
    content_type: &str,
) -> Result<(), End> {
    let hs = headers(&[
        ("Content-Type", content_type.to_owned()),
        ("Content-Length", declared.to_string()),
    ]);
    send(conn, &head(200, &hs)).await
}

/// 64 KiB of HTML-looking text with links, reused for every streamed body.
fn stream_block() -> &'static [u8] {
    static BLOCK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BLOCK.get_or_init(|| {
        let unit = b"<p><a href=\"/streamed\">streamed</a></p>\n";
        unit.iter().copied().cycle().take(64 * 1024).collect()
    })
}
