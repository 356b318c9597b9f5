//! Tests against the real server on 127.0.0.1 port 0, with a raw HTTP/1.1
//! client over a tokio `TcpStream`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::TempDir;
use fanout_devserver::{cli, Config};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    _root: TempDir,
}

impl Server {
    async fn start() -> Server {
        let root = TempDir::new();
        root.write("index.html", b"<!doctype html><title>t</title>");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(cli::serve(listener, Config::new(root.path()), async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task,
            _root: root,
        }
    }

    /// Triggers graceful shutdown and waits for the serve loop to return.
    async fn shutdown(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("server stops")
            .expect("serve task did not panic");
        result.expect("serve returned Ok");
    }

    fn host(&self) -> String {
        self.addr.to_string()
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }

    /// One `Connection: close` GET; returns the raw response.
    async fn get_raw(&self, path: &str) -> Vec<u8> {
        let mut stream = self.connect().await;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        raw
    }

    async fn get(&self, path: &str) -> Parsed {
        Parsed::new(&self.get_raw(path).await)
    }

    async fn tag_stats(&self, tag: &str) -> Value {
        let reply = self.get(&format!("/stats?tag={tag}")).await;
        assert_eq!(reply.status, 200);
        serde_json::from_slice(&reply.body).unwrap()
    }

    /// Polls the tag's stats until `pred` holds (up to 2 s).
    async fn wait_for(&self, tag: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let stats = self.tag_stats(tag).await;
            if pred(&stats) {
                return stats;
            }
            assert!(Instant::now() < deadline, "timed out; last stats: {stats}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A parsed HTTP/1.1 response (content-length or chunked body).
struct Parsed {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parsed {
    fn new(raw: &[u8]) -> Parsed {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of head");
        let head = std::str::from_utf8(&raw[..split]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
        let status = status_line[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let rest = &raw[split + 4..];
        let mut parsed = Parsed {
            status,
            headers,
            body: Vec::new(),
        };
        parsed.body = if parsed.header("transfer-encoding") == Some("chunked") {
            dechunk(rest)
        } else {
            rest.to_vec()
        };
        parsed
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[tokio::test]
async fn real_server_answers_and_counts() {
    let server = Server::start().await;
    let reply = server.get("/posts/1?tag=sock").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-length"),
        Some(reply.body.len().to_string().as_str())
    );
    let post: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(post["id"], 1);

    let stats = server.tag_stats("sock").await;
    assert_eq!(stats["requests"], 1);
    assert_eq!(stats["completed"], 1);
    assert_eq!(stats["in_flight"], 0);
    assert_eq!(stats["peak_in_flight_by_host"][server.host()], 1);

    let all = server.get("/stats").await;
    let all: Value = serde_json::from_slice(&all.body).unwrap();
    assert_eq!(all["by_path"]["/posts/1"], 1);

    let index = server.get("/").await;
    assert_eq!(index.status, 200);
    assert!(index.header("content-security-policy").is_some());

    server.shutdown().await;
}

#[tokio::test]
async fn hang_is_no_longer_in_flight_after_client_closes() {
    let server = Server::start().await;
    let mut stream = server.connect().await;
    let request = format!(
        "GET /hang?tag=hang HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.host()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let stats = server.wait_for("hang", |s| s["in_flight"] == 1).await;
    assert_eq!(stats["requests"], 1);

    drop(stream);
    let stats = server.wait_for("hang", |s| s["in_flight"] == 0).await;
    assert_eq!(stats["cancelled"], 1);
    assert_eq!(stats["completed"], 0);
    assert_eq!(stats["peak_in_flight"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn delayed_request_is_cancelled_when_client_closes() {
    let server = Server::start().await;
    let mut stream = server.connect().await;
    let request = format!(
        "GET /posts/1?delay=30000&tag=slow HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.host()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    server.wait_for("slow", |s| s["in_flight"] == 1).await;
    drop(stream);
    let stats = server.wait_for("slow", |s| s["in_flight"] == 0).await;
    assert_eq!(stats["cancelled"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn an_upload_held_is_no_longer_in_flight_after_client_closes() {
    let server = Server::start().await;
    let mut stream = server.connect().await;
    let body = vec![b'x'; 100_000];
    let head = format!(
        "POST /upload?hold_ms=10000&tag=up HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        server.host(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    server.wait_for("up", |s| s["in_flight"] == 1).await;
    // Held: still in flight a while later.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.tag_stats("up").await["in_flight"], 1);
    drop(stream);
    let stats = server.wait_for("up", |s| s["in_flight"] == 0).await;
    assert_eq!(stats["cancelled"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn drip_streams_chunked() {
    let server = Server::start().await;
    let start = Instant::now();
    let reply = server
        .get("/drip?chunks=4&interval_ms=50&chunk_size=8&tag=drip")
        .await;
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("content-length"), None);
    assert_eq!(reply.body, vec![b'x'; 32]);
    let stats = server.wait_for("drip", |s| s["in_flight"] == 0).await;
    assert_eq!(stats["completed"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn drop_cuts_the_connection() {
    let server = Server::start().await;
    let mut stream = server.connect().await;
    let request = format!(
        "GET /drop?after=100 HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.host()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // Either EOF or a reset: both mean the body ended early.
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .expect("the server closes the connection");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"));
    assert!(head.contains("content-length: 100000"));
    let body_len = raw.len() - split - 4;
    assert!(body_len < 100_000);
    assert_eq!(body_len, 100);
    server.shutdown().await;
}

#[tokio::test]
async fn cors_preflight_over_socket() {
    let server = Server::start().await;
    let mut stream = server.connect().await;
    let request = format!(
        "OPTIONS /posts HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:1234\r\n\
         Access-Control-Request-Method: DELETE\r\nConnection: close\r\n\r\n",
        server.host()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let reply = Parsed::new(&raw);
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:1234")
    );
    assert_eq!(reply.header("access-control-allow-methods"), Some("DELETE"));
    server.shutdown().await;
}

#[test]
fn listening_line_format() {
    let addr: SocketAddr = "127.0.0.1:4321".parse().unwrap();
    assert_eq!(
        cli::listening_line(addr),
        "fanout dev server listening on http://127.0.0.1:4321"
    );
}
