//! The HTTPS listener (`tls.rs`) on 127.0.0.1 port 0, with a native client
//! that trusts its self-signed certificate: ALPN picks `h2`; one HTTP/2
//! connection carries 100 `?delay` requests that are all in flight at the
//! server at once (no cap on concurrent streams below 100, no request held
//! behind another on the connection: what workload 3 of the bench needs);
//! a client that offers only `http/1.1` is served over HTTP/1.1.
//!
//! No timing is asserted: the server's own `/stats` says how many requests
//! were in flight together.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Request, StatusCode, Version};
use common::TempDir;
use fanout_devserver::{app, tls, Config};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

struct Server {
    addr: SocketAddr,
    cert: CertificateDer<'static>,
    task: JoinHandle<()>,
    _root: TempDir,
}

impl Server {
    async fn start() -> Server {
        let root = TempDir::new();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tls::SelfSigned { acceptor, cert, .. } = tls::self_signed().unwrap();
        let task = tokio::spawn(tls::serve(
            listener,
            app(Config::new(root.path())),
            acceptor,
        ));
        Server {
            addr,
            cert,
            task,
            _root: root,
        }
    }

    /// A TLS connection offering `alpn`, checking the certificate against
    /// the server's own (for the name `localhost`).
    async fn connect(&self, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .expect("TLS handshake with the self-signed certificate")
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type H2 = hyper::client::conn::http2::SendRequest<Empty<Bytes>>;

/// An HTTP/2 connection (its driver spawned), after checking that ALPN
/// chose `h2`.
async fn h2(server: &Server) -> H2 {
    let tls = server.connect(&[b"h2", b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

/// One GET on `send`: status, version and the whole body.
async fn get(mut send: H2, url: String) -> Result<(StatusCode, Version, Bytes), hyper::Error> {
    let req = Request::get(url).body(Empty::new()).unwrap();
    let res = send.send_request(req).await?;
    let (status, version) = (res.status(), res.version());
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, version, body))
}

#[tokio::test]
async fn one_http2_connection_has_100_delayed_requests_in_flight_at_once() {
    let server = Server::start().await;
    let send = h2(&server).await;
    // 1 s each: ample for a native client to put 100 requests on the
    // connection before the first is answered.
    let all = (0..100).map(|i| {
        let url = server.url(&format!("/posts/{}?tag=h2-100&delay=1000", i + 1));
        tokio::spawn(get(send.clone(), url))
    });
    let replies = futures_util::future::join_all(all).await;
    let failed: Vec<String> = replies
        .iter()
        .filter_map(|r| r.as_ref().unwrap().as_ref().err().map(|e| format!("{e:?}")))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 100 failed, the first: {}",
        failed.len(),
        failed[0]
    );
    for reply in replies {
        let (status, version, body) = reply.unwrap().unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(version, Version::HTTP_2);
        let post: Value = serde_json::from_slice(&body).unwrap();
        assert!(post["id"].as_u64().is_some(), "{post}");
    }
    let (status, _, body) = get(send, server.url("/stats?tag=h2-100")).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let stats: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stats["requests"], 100, "{stats}");
    assert_eq!(
        stats["peak_in_flight"], 100,
        "the 100 delayed requests were not all in flight at once: {stats}"
    );
}

#[tokio::test]
async fn a_client_offering_only_http_1_1_is_served_over_http_1_1() {
    let server = Server::start().await;
    let tls = server.connect(&[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/posts/1")
        .header("host", format!("localhost:{}", server.addr.port()))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.version(), Version::HTTP_11);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let post: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(post["id"], 1);
}
