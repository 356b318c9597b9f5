//! The dedupe layer (feature `dedupe`): identical concurrent GET/HEAD
//! requests share one flight of the layers below, and each caller gets
//! its own copy of the body.

use futures_util::future::{select, Either};

use super::Pipeline;
use crate::error::Error;
use crate::flight::{Flight, WeakFlight};
use crate::headers;
use crate::method::Method;
use crate::request::Request;
use crate::response::Response;
use crate::sync::{Lock, Shared};
use crate::sys;

/// The outcome of a deduplicated request, shared by its callers.
pub(crate) type SharedResult = Result<Shared<Snapshot>, Error>;

/// The requests in flight that identical ones may join, by key.
pub(crate) type Flights = Lock<Vec<(String, WeakFlight<SharedResult>)>>;

impl Pipeline {
    /// Joins the flight of an identical request in progress, or starts one;
    /// each caller gets its own response of the shared body.
    pub(super) async fn deduped(
        &self,
        flights: &Flights,
        mut req: Request,
    ) -> Result<Response, Error> {
        // A caller's signal detaches that caller alone: the shared fetch
        // goes on for the others (it is aborted once every caller is gone).
        let signal = req.signal.take();
        if signal.as_ref().is_some_and(|s| s.aborted()) {
            return Err(Error::aborted("aborted by the caller's AbortSignal"));
        }
        let key = dedupe_key(&req);
        let joined = {
            let mut list = flights.lock();
            list.retain(|(_, f)| f.join().is_some_and(|f| !f.is_done()));
            list.iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, f)| f.join())
        };
        let flight = match joined {
            Some(f) => f,
            None => {
                let me = self.me.upgrade().expect("a pipeline runs inside its Rc");
                let f = Flight::new(async move {
                    let resp = me.retrying(req).await?;
                    Snapshot::read(resp).await.map(Shared::new)
                });
                flights.lock().push((key, f.downgrade()));
                f
            }
        };
        let shared = match signal {
            None => flight.await,
            Some(signal) => match select(flight, sys::until_aborted(&signal)).await {
                Either::Left((r, _)) => r,
                Either::Right(_) => {
                    return Err(Error::aborted("aborted by the caller's AbortSignal"))
                }
            },
        };
        shared.map(|s| s.to_response())
    }
}

/// Whether a request may share a flight: a GET or HEAD without a body.
/// A caller's signal is fine: it detaches that caller alone.
pub(super) fn dedupable(req: &Request) -> bool {
    matches!(req.method, Method::Get | Method::Head) && req.body.is_none()
}

/// What makes requests identical: method, URL and headers (in any order).
fn dedupe_key(req: &Request) -> String {
    let mut headers: Vec<String> = req
        .headers
        .iter()
        .map(|(n, v)| format!("{}:{v}", n.to_ascii_lowercase()))
        .collect();
    headers::small_sort(&mut headers);
    // The headers one a line, pushed rather than `join`ed (`join` is
    // about 1.2 KB of wasm, not otherwise needed).
    let mut key = format!("{} {}\n", req.method, req.url);
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            key.push('\n');
        }
        key.push_str(h);
    }
    key
}

/// A response read whole, to hand a copy to each caller of a flight.
pub(crate) struct Snapshot {
    status: u16,
    status_text: String,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    attempts: u32,
    started_ms: f64,
    body: Vec<u8>,
}

impl Snapshot {
    async fn read(resp: Response) -> Result<Snapshot, Error> {
        let status = resp.status();
        let status_text = resp.status_text();
        let (method, url, attempts) = (resp.method(), resp.url(), resp.attempts());
        let started_ms = resp.started_ms();
        let headers = resp.headers().iter().collect();
        let body = resp.bytes().await?;
        Ok(Snapshot {
            status,
            status_text,
            method,
            url,
            headers,
            attempts,
            started_ms,
            body,
        })
    }

    fn to_response(&self) -> Response {
        let mut resp = Response::new(self.status, self.body.clone())
            .with_status_text(self.status_text.clone())
            .with_url(self.url.clone());
        for (n, v) in &self.headers {
            resp = resp.with_header(n.clone(), v.clone());
        }
        resp.set_request(self.method, &self.url);
        resp.set_attempts(self.attempts);
        resp.set_started_ms(self.started_ms);
        resp
    }
}
