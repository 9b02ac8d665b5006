//! An HTTPS server on loopback whose certificate no client trusts: a self-signed
//! certificate made by rcgen for `localhost`, so every handshake fails verification.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::server::{Running, bind};

/// A running HTTPS server with a self-signed certificate; it stops when dropped.
#[derive(Debug)]
pub struct UntrustedTlsServer {
    addr: SocketAddr,
    _running: Running,
}

impl UntrustedTlsServer {
    /// Serves a small HTML page over TLS on 127.0.0.1, on a free port.
    pub fn start() -> UntrustedTlsServer {
        let cert = rcgen::generate_simple_self_signed(["localhost".to_owned()])
            .expect("a self-signed certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
        let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = bind("127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let running = Running::spawn(listener, "tls-server", move |stream| {
            let acceptor = acceptor.clone();
            async move {
                // A client that checks the certificate aborts the handshake here.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let body = "<a href=\"/next\">next</a>";
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        });
        UntrustedTlsServer {
            addr,
            _running: running,
        }
    }

    /// `https://localhost:<port><path>`: the name the certificate is for, so the only
    /// thing wrong is that no one signed it. Pair it with `--resolve localhost=127.0.0.1`.
    pub fn url_str(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }
}
