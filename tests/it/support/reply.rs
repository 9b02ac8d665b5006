//! What a route answers: well-formed responses, and every way of misbehaving at the
//! byte level that a crawler must survive.

use std::time::Duration;

/// One response header.
pub type Header = (String, String);

/// A well-formed response under full control.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers, in order. `Content-Length` is added unless `content_length` is false.
    pub headers: Vec<Header>,
    /// The body.
    pub body: Vec<u8>,
    /// Send `Content-Length` (keep-alive); without it the body ends when the server
    /// closes the connection.
    pub content_length: bool,
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200, `text/html`, the body, `Content-Length`.
    Html(Vec<u8>),
    /// Any well-formed response.
    Full(Response),
    /// These bytes as they are, then close: for "bytes that are not HTTP".
    Raw(Vec<u8>),
    /// Read the request, never answer; hold the connection until the client closes it.
    Silence,
    /// 200 headers with a large `Content-Length`, then nothing until the client closes.
    HeadersThenSilence,
    /// A 200 head with `headers` (no length: the body is close-delimited), then one
    /// body byte per `interval`, forever (until the client closes).
    Trickle {
        /// The response headers.
        headers: Vec<Header>,
        /// Gap between two body bytes.
        interval: Duration,
    },
    /// 200 with `Content-Length: declared`, `sent` bytes of body, then nothing until
    /// the client closes.
    StallMidBody {
        /// The declared length.
        declared: u64,
        /// The part of the body that is sent.
        sent: Vec<u8>,
    },
    /// 200 with `Content-Length: declared`, `sent` bytes of body, then a clean close.
    ShortBody {
        /// The declared length (larger than `sent`).
        declared: u64,
        /// The part of the body that is sent.
        sent: Vec<u8>,
    },
    /// 200 with `Content-Length: declared`, `sent` bytes of body, then an abortive
    /// close (SO_LINGER 0, so the client sees a TCP RST).
    ResetMidBody {
        /// The declared length (larger than `sent`).
        declared: u64,
        /// The part of the body that is sent.
        sent: Vec<u8>,
    },
    /// 200 `text/html` in chunked transfer encoding, one chunk per element, each
    /// flushed on its own.
    Chunked(Vec<Vec<u8>>),
    /// 200 with a body of `total_len` bytes generated on the fly (never held in
    /// memory): a repeated HTML snippet with links.
    Stream {
        /// Body length.
        total_len: u64,
        /// The `Content-Type`.
        content_type: String,
        /// Declare the length; without it the body is close-delimited.
        content_length: bool,
    },
    /// 200 `text/html` with `Content-Encoding: gzip` (whatever the request asked for),
    /// whose body inflates to `expanded_len` zero bytes. Built cheaply and cached.
    GzipBomb {
        /// Size after decompression.
        expanded_len: u64,
    },
    /// A redirect with an optional `Location`.
    Redirect {
        /// 301, 302, 303, 307, 308, or anything else.
        status: u16,
        /// The `Location` header, sent as is.
        location: Option<String>,
    },
    /// The n-th hit of the path gets the n-th reply; the last one repeats.
    Sequence(Vec<Reply>),
    /// Wait, then answer: a slow but honest response.
    Delay(Duration, Box<Reply>),
    /// Hold the request at the gate until the gate opens, then answer.
    Gated(Gate, Box<Reply>),
}

/// Holds requests until `threshold` of them wait at once, then lets every request
/// through from then on: a server that answers only once the client has that many
/// requests in flight, so a test of a concurrency limit sees the limit reached
/// whatever the machine's speed (and a client that never reaches it hangs, which the
/// hang guard turns into a failure naming the gate).
#[derive(Debug, Clone)]
pub struct Gate(std::sync::Arc<GateState>);

#[derive(Debug)]
pub struct GateState {
    threshold: usize,
    waiting: std::sync::Mutex<usize>,
    open: tokio::sync::Notify,
    opened: std::sync::atomic::AtomicBool,
}

impl Gate {
    /// A gate that opens when `threshold` requests wait at it.
    pub fn new(threshold: usize) -> Self {
        Gate(std::sync::Arc::new(GateState {
            threshold,
            waiting: std::sync::Mutex::new(0),
            open: tokio::sync::Notify::new(),
            opened: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// `reply`, held at this gate.
    pub fn hold(&self, reply: Reply) -> Reply {
        Reply::Gated(self.clone(), Box::new(reply))
    }

    /// Whether the gate has opened.
    pub fn is_open(&self) -> bool {
        self.0.opened.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits at the gate (at most 20 s, then lets the request through so the test
    /// fails on its assertion rather than hanging).
    pub async fn pass(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let notified = self.0.open.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.0.opened.load(SeqCst) {
            return;
        }
        {
            let mut waiting = self.0.waiting.lock().expect("gate");
            *waiting += 1;
            if *waiting >= self.0.threshold {
                self.0.opened.store(true, SeqCst);
                self.0.open.notify_waiters();
                return;
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(20), notified).await;
    }
}

impl Reply {
    /// 200 `text/html`.
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Html(body.into())
    }

    /// A page from `fixtures/`, as 200 `text/html`.
    pub fn fixture(path: &str) -> Reply {
        Reply::Html(super::fixture(path))
    }

    /// Any status, `text/html`, the body.
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::full(status, body).header("Content-Type", "text/html")
    }

    /// 200 with this `Content-Type` (with `None`: no `Content-Type` header at all).
    pub fn typed(content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Reply {
        let reply = Reply::full(200, body);
        match content_type {
            Some(t) => reply.header("Content-Type", t),
            None => reply,
        }
    }

    /// A response with no headers yet besides the automatic `Content-Length`.
    pub fn full(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full(Response {
            status,
            headers: Vec::new(),
            body: body.into(),
            content_length: true,
        })
    }

    /// Adds a header to a [`Reply::Full`] (an `Html` becomes a `Full` first).
    ///
    /// # Panics
    ///
    /// On any other variant.
    pub fn header(self, name: &str, value: &str) -> Reply {
        let mut response = self.into_full();
        response.headers.push((name.to_owned(), value.to_owned()));
        Reply::Full(response)
    }

    /// Drops the automatic `Content-Length` of a [`Reply::Full`]: the body is then
    /// delimited by the server closing the connection.
    pub fn without_length(self) -> Reply {
        let mut response = self.into_full();
        response.content_length = false;
        Reply::Full(response)
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Redirect {
            status,
            location: Some(location.to_owned()),
        }
    }

    /// A `text/html` body trickled one byte per `interval`.
    pub fn trickle(interval: Duration) -> Reply {
        Reply::Trickle {
            headers: vec![("Content-Type".to_owned(), "text/html".to_owned())],
            interval,
        }
    }

    /// This reply after `delay`.
    pub fn delayed(delay: Duration, reply: Reply) -> Reply {
        Reply::Delay(delay, Box::new(reply))
    }

    fn into_full(self) -> Response {
        match self {
            Reply::Full(r) => r,
            Reply::Html(body) => Response {
                status: 200,
                headers: vec![("Content-Type".to_owned(), "text/html".to_owned())],
                body,
                content_length: true,
            },
            other => panic!("header() needs Reply::Full or Reply::Html, not {other:?}"),
        }
    }
}
