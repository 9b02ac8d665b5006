//! The HTTP/1.1 server: pre-rendered bodies, keep-alive, request counters.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use crate::site::{Route, Site};

const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// What the server has answered, apart from [`crate::site::STATS_PATH`].
#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    get_200: AtomicU64,
    get_404: AtomicU64,
    head: AtomicU64,
    other: AtomicU64,
    body_bytes: AtomicU64,
    connections: AtomicU64,
}

impl Counters {
    /// `name value` lines, the format of the stats page.
    fn report(&self, site: &Site) -> String {
        let mut out = String::new();
        for (name, counter) in [
            ("requests", &self.requests),
            ("get_200", &self.get_200),
            ("get_404", &self.get_404),
            ("head", &self.head),
            ("other", &self.other),
            ("body_bytes", &self.body_bytes),
            ("connections", &self.connections),
        ] {
            let _ = writeln!(out, "{name} {}", counter.load(Relaxed));
        }
        let reach = &site.reach;
        let _ = write!(
            out,
            "site_pages {}\nsite_bytes {}\nreachable_200 {}\nreachable_query_variants {}\n\
             reachable_404 {}\nreachable_depth {}\n",
            site.pages(),
            site.total_bytes,
            reach.ok,
            reach.query_variants,
            reach.not_found,
            reach.depth
        );
        out
    }
}

/// Serves `site` on `listener` until SIGINT or SIGTERM, then prints the
/// counters on stderr.
pub async fn serve(listener: TcpListener, site: Arc<Site>) -> std::io::Result<()> {
    let counters = Arc::new(Counters::default());
    let mut terminate = signal(SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    };
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: keep serving the others.
                    eprintln!("benchsite: accept: {err}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        counters.connections.fetch_add(1, Relaxed);
        let site = Arc::clone(&site);
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let response = respond(&site, &counters, &req);
                async move { Ok::<_, Infallible>(response) }
            });
            // A client closing its connection mid-request is not our error.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    eprintln!(
        "benchsite: served {} requests ({} GET 200, {} GET 404, {} HEAD, {} other), {} body \
         bytes, {} connections",
        counters.requests.load(Relaxed),
        counters.get_200.load(Relaxed),
        counters.get_404.load(Relaxed),
        counters.head.load(Relaxed),
        counters.other.load(Relaxed),
        counters.body_bytes.load(Relaxed),
        counters.connections.load(Relaxed),
    );
    Ok(())
}

fn respond(site: &Site, counters: &Counters, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let route = site.route(req.uri().path());
    if route == Route::Stats {
        return response(StatusCode::OK, TEXT, Bytes::from(counters.report(site)));
    }
    counters.requests.fetch_add(1, Relaxed);
    let (status, body) = match route {
        Route::Index => (StatusCode::OK, site.index()),
        Route::Page(n) => (StatusCode::OK, site.page(n)),
        Route::Stats | Route::NotFound => (StatusCode::NOT_FOUND, site.not_found()),
    };
    match *req.method() {
        // hyper sends the Content-Length of a HEAD response's body, not the body.
        Method::HEAD => {
            counters.head.fetch_add(1, Relaxed);
        }
        Method::GET => {
            let counter = if status == StatusCode::OK {
                &counters.get_200
            } else {
                &counters.get_404
            };
            counter.fetch_add(1, Relaxed);
            counters.body_bytes.fetch_add(body.len() as u64, Relaxed);
        }
        _ => {
            counters.other.fetch_add(1, Relaxed);
            let mut response = response(StatusCode::METHOD_NOT_ALLOWED, TEXT, Bytes::new());
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
    }
    response(status, HTML, body.clone())
}

fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
