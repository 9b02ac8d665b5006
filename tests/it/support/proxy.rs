//! Real proxies on loopback that record what they forwarded: an HTTP forward proxy
//! (absolute-form requests, and `CONNECT` tunnels) and a SOCKS5 proxy (no
//! authentication, `CONNECT` only).
//!
//! They forward only to loopback addresses: a request for anything else is answered
//! 502 (HTTP) or refused (SOCKS), and recorded, so a test can tell it was asked.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::{Running, bind};

/// One request an HTTP proxy received.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// The method.
    pub method: String,
    /// The request target: an absolute URL, or `host:port` for `CONNECT`.
    pub target: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Forwarded {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP forward proxy on 127.0.0.1; it stops when dropped.
#[derive(Debug)]
pub struct HttpProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Forwarded>>>,
    _running: Running,
}

impl HttpProxy {
    /// Starts one on a free port.
    pub fn start() -> HttpProxy {
        let listener = bind("127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let seen: Arc<Mutex<Vec<Forwarded>>> = Arc::default();
        let record = seen.clone();
        let running = Running::spawn(listener, "http-proxy", move |stream| {
            let record = record.clone();
            async move {
                let _ = proxy_http(stream, record).await;
            }
        });
        HttpProxy {
            addr,
            seen,
            _running: running,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received, in order.
    pub fn forwarded(&self) -> Vec<Forwarded> {
        self.seen.lock().expect("proxy log").clone()
    }
}

/// Reads up to the end of a request or response head; `None` on EOF before it.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rest = buf[end + 4..].to_vec();
            return Ok(Some((head, rest)));
        }
        if buf.len() > 64 * 1024 {
            return Ok(None);
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn is_loopback(addr: &SocketAddr) -> bool {
    match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback(),
    }
}

/// One client connection: one request (the answer says `Connection: close`).
async fn proxy_http(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<Forwarded>>>,
) -> std::io::Result<()> {
    let Some((head, _body)) = read_head(&mut client).await? else {
        return Ok(());
    };
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    seen.lock().expect("proxy log").push(Forwarded {
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
    });
    if method == "CONNECT" {
        let upstream = match target.parse::<SocketAddr>() {
            Ok(addr) if is_loopback(&addr) => TcpStream::connect(addr).await.ok(),
            _ => None,
        };
        let Some(mut upstream) = upstream else {
            client
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
                .await?;
            return Ok(());
        };
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return Ok(());
    }
    let upstream = url::Url::parse(&target).ok().and_then(|u| {
        let addr: SocketAddr = format!("{}:{}", u.host_str()?, u.port_or_known_default()?)
            .parse()
            .ok()?;
        let path = u[url::Position::BeforePath..].to_owned();
        is_loopback(&addr).then_some((addr, path))
    });
    let Some((addr, path)) = upstream else {
        client
            .write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    };
    let mut upstream = TcpStream::connect(addr).await?;
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in &headers {
        // Hop-by-hop headers, and the proxy's own credentials, stop here.
        if matches!(
            name.as_str(),
            "proxy-authorization" | "proxy-connection" | "connection" | "keep-alive"
        ) {
            continue;
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    upstream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response).await?;
    // The client must not reuse this connection: say so in the relayed head.
    let line_end = response
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(response.len());
    let mut relayed = response[..line_end].to_vec();
    relayed.extend_from_slice(b"\r\nConnection: close");
    relayed.extend_from_slice(&response[line_end..]);
    client.write_all(&relayed).await?;
    client.shutdown().await
}

/// A SOCKS5 proxy on 127.0.0.1 (RFC 1928, no authentication); it stops when dropped.
#[derive(Debug)]
pub struct Socks5Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    _running: Running,
}

impl Socks5Proxy {
    /// Starts one on a free port.
    pub fn start() -> Socks5Proxy {
        let listener = bind("127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = seen.clone();
        let running = Running::spawn(listener, "socks5-proxy", move |stream| {
            let record = record.clone();
            async move {
                let _ = proxy_socks5(stream, record).await;
            }
        });
        Socks5Proxy {
            addr,
            seen,
            _running: running,
        }
    }

    /// `<scheme>://127.0.0.1:<port>`, e.g. with `socks5` or `socks5h`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// The destination of every CONNECT, as `ip:port` (an address the client
    /// resolved) or `name:port` (a name the proxy was asked to resolve).
    pub fn connects(&self) -> Vec<String> {
        self.seen.lock().expect("proxy log").clone()
    }
}

async fn proxy_socks5(mut client: TcpStream, seen: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    // Greeting: VER NMETHODS METHODS; we take "no authentication" (0).
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).await?;
    if greeting[0] != 5 || !methods.contains(&0) {
        client.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    client.write_all(&[5, 0]).await?;
    // Request: VER CMD RSV ATYP DST.ADDR DST.PORT.
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            IpAddr::from(ip).to_string()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            format!("[{}]", IpAddr::from(ip))
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let destination = format!("{host}:{}", u16::from_be_bytes(port));
    seen.lock().expect("proxy log").push(destination.clone());
    let upstream = match destination.parse::<SocketAddr>() {
        Ok(addr) if request[1] == 1 && is_loopback(&addr) => TcpStream::connect(addr).await.ok(),
        _ => None,
    };
    let Some(mut upstream) = upstream else {
        // 0x02: connection not allowed by ruleset.
        client.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}
