//! `--https-port`: the dev server's app over TLS, with HTTP/2 (ALPN `h2`,
//! falling back to `http/1.1`). Browsers cap HTTP/1.1 at 6 connections per
//! host; over HTTP/2 one connection carries every request at once, so the
//! bench and the tests can show that cap gone.
//!
//! The certificate is self-signed, made at start for `localhost` and
//! `127.0.0.1` (rcgen); a local browser must be told to accept it (the
//! server prints how; see `cargo xtask serve --https`).

use std::io;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A fresh self-signed certificate for `localhost` and `127.0.0.1`, and a
/// TLS acceptor serving it.
pub struct SelfSigned {
    /// Accepts TLS connections with the certificate; ALPN `h2`, then
    /// `http/1.1`.
    pub acceptor: TlsAcceptor,
    /// The base64 SHA-256 of the public key (SubjectPublicKeyInfo): what
    /// Chromium's `--ignore-certificate-errors-spki-list` takes to trust
    /// that one key.
    pub spki: String,
    /// The certificate (DER), for a client's root store (the tests').
    pub cert: CertificateDer<'static>,
}

/// Makes a [`SelfSigned`] certificate and its acceptor.
pub fn self_signed() -> io::Result<SelfSigned> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let cert = CertificateDer::from(cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let spki = ring::digest::digest(&ring::digest::SHA256, &key_pair.public_key_der());
    Ok(SelfSigned {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        spki: base64(spki.as_ref()),
        cert,
    })
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Accepts TLS connections on `listener` and serves `app` on each, over
/// HTTP/2 or HTTP/1.1 as ALPN chose, until the task is dropped.
pub async fn serve(listener: TcpListener, app: Router, acceptor: TlsAcceptor) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                eprintln!("fanout-devserver: https accept: {e}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = TowerToHyperService::new(app);
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(super::base64(input.as_bytes()), want);
        }
    }
}
