//! A server that plays one fixed script of writes and pauses on every connection, for
//! responses whose timing is the point: a slow but honest body that arrives in pieces
//! with gaps, which the routed [`TestServer`](super::TestServer) cannot pace.
//!
//! It records the same [`Conn`] as the routed server: how long the connection was
//! held, the body bytes the kernel accepted, and whether the client closed it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::{Conn, Running};

/// One step of a script.
#[derive(Debug, Clone)]
enum Step {
    /// Bytes of the head (not counted as body).
    Head(Vec<u8>),
    /// Body bytes, counted in [`Conn::body_bytes`], flushed at once.
    Body(Vec<u8>),
    /// A pause.
    Pause(Duration),
}

/// What the server writes after reading a request head; built step by step.
#[derive(Debug, Clone, Default)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// `HTTP/1.1 200 OK` with these headers (write `Content-Length` yourself).
    pub fn head(mut self, headers: &[(&str, &str)]) -> Self {
        let mut head = String::from("HTTP/1.1 200 OK\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.steps.push(Step::Head(head.into_bytes()));
        self
    }

    /// A piece of body.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.steps.push(Step::Body(bytes.into()));
        self
    }

    /// A pause before the next step.
    pub fn pause(mut self, gap: Duration) -> Self {
        self.steps.push(Step::Pause(gap));
        self
    }

    /// The body length the script declares if it sends all its pieces.
    pub fn body_len(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Body(b) => b.len(),
                _ => 0,
            })
            .sum()
    }
}

/// A running script server; it stops when dropped.
#[derive(Debug)]
pub struct ScriptServer {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    conns: Arc<Mutex<Vec<Conn>>>,
    _running: Running,
}

impl ScriptServer {
    /// Plays `script` to every request on 127.0.0.1, on a free port. After the script
    /// the connection stays open until the client closes it.
    pub fn start(script: Script) -> ScriptServer {
        let listener = super::server::bind("127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let hits = Arc::new(AtomicU64::new(0));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let (h, c) = (hits.clone(), conns.clone());
        let running = Running::spawn(listener, "script-server", move |stream| {
            play(stream, script.clone(), h.clone(), c.clone())
        });
        ScriptServer {
            addr,
            hits,
            conns,
            _running: running,
        }
    }

    /// `http://<addr><path>` (every path gets the script).
    pub fn url_str(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&self.url_str(path)).expect("test URL")
    }

    /// Requests received.
    pub fn hits(&self) -> u64 {
        self.hits.load(SeqCst)
    }

    /// Waits (up to 10 s) for the first connection to end, and returns it.
    ///
    /// # Panics
    ///
    /// When none has ended after 10 s.
    pub fn wait_conn_end(&self) -> Conn {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(conn) = self.conns.lock().expect("conns").first() {
                return conn.clone();
            }
            assert!(Instant::now() < deadline, "no connection ended within 10 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

async fn play(
    mut stream: TcpStream,
    script: Arc<Script>,
    hits: Arc<AtomicU64>,
    conns: Arc<Mutex<Vec<Conn>>>,
) {
    let opened = Instant::now();
    let _ = stream.set_nodelay(true);
    let mut body_bytes = 0u64;
    let mut paths = Vec::new();
    let client_closed = 'conn: {
        // One request per connection: the head, up to its blank line.
        let mut head = Vec::new();
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break 'conn true,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
        let line = String::from_utf8_lossy(&head).into_owned();
        let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
        paths.push(path);
        hits.fetch_add(1, SeqCst);
        for step in &script.steps {
            match step {
                Step::Head(bytes) => {
                    if stream.write_all(bytes).await.is_err() {
                        break 'conn true;
                    }
                }
                Step::Body(bytes) => {
                    if stream.write_all(bytes).await.is_err() {
                        break 'conn true;
                    }
                    body_bytes += bytes.len() as u64;
                }
                Step::Pause(gap) => tokio::time::sleep(*gap).await,
            }
            let _ = stream.flush().await;
        }
        // Done: hold the connection until the client lets go of it.
        let mut sink = [0u8; 4096];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break 'conn true,
                Ok(_) => {}
            }
        }
    };
    conns.lock().expect("conns").push(Conn {
        paths,
        held: opened.elapsed(),
        body_bytes,
        client_closed,
    });
}
