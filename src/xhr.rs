//! The upload path of a request that has an upload-progress callback
//! (`RequestBuilder::on_upload_progress` (feature `upload`))
//! where `XMLHttpRequest` exists (browser pages, dedicated workers): its
//! `upload.onprogress` is the only request-body progress a browser gives
//! over HTTP/1.1 and in Firefox. The transport (`transport::fetch`) picks
//! this path for that request only.
//!
//! The request's `AbortGuard` (timeout and the caller's `AbortSignal`) is
//! the same as on the fetch path: its signal's `abort` event calls
//! `xhr.abort()`, and dropping the future aborts the XHR. The response
//! body is read whole (as an `ArrayBuffer`) before the future resolves, so
//! the timeout covers it, and becomes a [`Response::new`] with the XHR's
//! status, status text, headers and final URL.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, ProgressEvent, XmlHttpRequest, XmlHttpRequestResponseType};

use crate::error::{Error, Kind};
use crate::options::Credentials;
use crate::progress::{ProgressFn, Reporter};
use crate::request::{Body, Request};
use crate::response::{classify, Response};
use crate::sys::{self, AbortGuard};

/// How the XHR ended.
#[derive(Clone, Copy, Debug)]
enum End {
    Load,
    Error,
    Abort,
}

#[derive(Default)]
struct State {
    end: Option<End>,
    waker: Option<Waker>,
}

/// The upload's progress, fed by `upload.onprogress` and `upload.onload`.
struct Upload {
    f: ProgressFn,
    /// The body's size, when known before sending (text, bytes).
    size: Option<u64>,
    reporter: Option<Reporter>,
    sent: u64,
}

impl Upload {
    fn event(&mut self, e: &ProgressEvent, last: bool) {
        let loaded = e.loaded() as u64;
        let total = if e.length_computable() {
            Some(e.total() as u64)
        } else {
            self.size
        };
        let f = &self.f;
        let r = self
            .reporter
            .get_or_insert_with(|| Reporter::new(f.clone(), total));
        if loaded > self.sent {
            r.advance(loaded - self.sent, sys::now_ms());
            self.sent = loaded;
        }
        if last {
            r.finish();
        }
    }

    /// The response arrived: the body was sent whole, even where the
    /// platform fired no upload event (an empty or tiny body).
    fn done(&mut self) {
        match (&mut self.reporter, self.size) {
            (Some(r), Some(n)) if self.sent < n => r.loaded_all(n - self.sent),
            (Some(r), _) => r.finish(),
            (None, Some(n)) => Reporter::new(self.f.clone(), Some(n)).loaded_all(n),
            (None, None) => {}
        }
    }
}

type EventFn = Closure<dyn FnMut(ProgressEvent)>;

/// One XHR exchange with its listeners. Dropping it before the end aborts
/// the XHR; the listeners are detached before the closures are freed.
struct Call {
    xhr: XmlHttpRequest,
    state: Rc<RefCell<State>>,
    signal: AbortSignal,
    _ends: [Closure<dyn FnMut()>; 3],
    _upload: [EventFn; 2],
    abort_link: Closure<dyn FnMut()>,
    guard: AbortGuard,
}

impl Drop for Call {
    fn drop(&mut self) {
        let ended = self.state.borrow().end.is_some();
        if !ended {
            let _ = self.xhr.abort();
        }
        self.xhr.set_onload(None);
        self.xhr.set_onerror(None);
        self.xhr.set_onabort(None);
        if let Ok(up) = self.xhr.upload() {
            up.set_onprogress(None);
            up.set_onload(None);
        }
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", self.abort_link.as_ref().unchecked_ref());
        if ended {
            self.guard.finished();
        }
    }
}

fn ender(state: &Rc<RefCell<State>>, end: End) -> Closure<dyn FnMut()> {
    let state = state.clone();
    Closure::<dyn FnMut()>::new(move || {
        let mut s = state.borrow_mut();
        if s.end.is_none() {
            s.end = Some(end);
        }
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    })
}

/// A JS exception while setting the XHR up, as a builder error.
fn js_err(what: &str, e: JsValue) -> Error {
    let cause = sys::js_error(&e);
    Error::builder(format!("{what}: {}", cause.message())).with_source(cause)
}

/// Sends `req` (whose body is `body`) over `xhr`, reporting the upload to
/// `f`; resolves once the whole response body has arrived.
pub(crate) async fn send(
    req: &Request,
    body: &Body,
    xhr: XmlHttpRequest,
    f: ProgressFn,
) -> Result<Response, Error> {
    let guard = AbortGuard::new(req.options.timeout, req.signal.as_ref())
        .map_err(|e| js_err("AbortController", e))?;
    let signal = guard.signal();
    if signal.aborted() {
        return Err(classify(&guard, &JsValue::UNDEFINED, Kind::Network));
    }

    open(&xhr, req)?;
    let state = Rc::new(RefCell::new(State::default()));
    let ends = [
        ender(&state, End::Load),
        ender(&state, End::Error),
        ender(&state, End::Abort),
    ];
    xhr.set_onload(Some(ends[0].as_ref().unchecked_ref()));
    xhr.set_onerror(Some(ends[1].as_ref().unchecked_ref()));
    xhr.set_onabort(Some(ends[2].as_ref().unchecked_ref()));

    let upload = Rc::new(RefCell::new(Upload {
        f,
        size: body.size(),
        reporter: None,
        sent: 0,
    }));
    let (u1, u2) = (upload.clone(), upload.clone());
    let on_progress = EventFn::new(move |e: ProgressEvent| u1.borrow_mut().event(&e, false));
    let on_loaded = EventFn::new(move |e: ProgressEvent| u2.borrow_mut().event(&e, true));
    let up = xhr
        .upload()
        .map_err(|e| js_err("XMLHttpRequest.upload", e))?;
    up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    up.set_onload(Some(on_loaded.as_ref().unchecked_ref()));

    let x = xhr.clone();
    let abort_link = Closure::<dyn FnMut()>::new(move || {
        let _ = x.abort();
    });
    signal
        .add_event_listener_with_callback("abort", abort_link.as_ref().unchecked_ref())
        .map_err(|e| js_err("AbortSignal", e))?;

    let call = Call {
        xhr,
        state,
        signal,
        _ends: ends,
        _upload: [on_progress, on_loaded],
        abort_link,
        guard,
    };

    let started_ms = sys::now_ms();
    if let Err(e) = send_body(&call.xhr, body) {
        return Err(classify(&call.guard, &e, Kind::Network));
    }
    let failure = match until_end(&call.state).await {
        End::Load => None,
        End::Error => Some("XMLHttpRequest failed (network error)"),
        End::Abort => Some("XMLHttpRequest aborted"),
    };
    if let Some(what) = failure {
        return Err(classify(
            &call.guard,
            &JsValue::from_str(what),
            Kind::Network,
        ));
    }
    upload.borrow_mut().done();
    response(&call.xhr, req, started_ms).map_err(|e| classify(&call.guard, &e, Kind::Body))
}

/// Opens `xhr` for `req`: method, URL, headers, credentials, and an
/// `ArrayBuffer` response.
fn open(xhr: &XmlHttpRequest, req: &Request) -> Result<(), Error> {
    xhr.open_with_async(req.method.as_str(), &req.url, true)
        .map_err(|e| js_err("XMLHttpRequest.open", e))?;
    for (name, value) in &req.headers {
        xhr.set_request_header(name, value)
            .map_err(|e| js_err(&format!("header \"{name}\""), e))?;
    }
    if matches!(req.options.credentials, Some(Credentials::Include)) {
        xhr.set_with_credentials(true);
    }
    xhr.set_response_type(XmlHttpRequestResponseType::Arraybuffer);
    Ok(())
}

/// Sends `body` over the opened `xhr`.
fn send_body(xhr: &XmlHttpRequest, body: &Body) -> Result<(), JsValue> {
    if let Some(text) = body.as_text() {
        xhr.send_with_opt_str(Some(text))
    } else if let Some(form) = body.as_form_data() {
        xhr.send_with_opt_form_data(Some(form))
    } else {
        xhr.send_with_opt_u8_array(body.as_bytes())
    }
}

/// Waits for the XHR's `load`, `error` or `abort`.
async fn until_end(state: &RefCell<State>) -> End {
    poll_fn(|cx| {
        let mut s = state.borrow_mut();
        match s.end {
            Some(end) => Poll::Ready(end),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    })
    .await
}

/// The finished XHR as a [`Response`]: status, headers
/// (`getAllResponseHeaders`), final URL and the body as bytes.
fn response(xhr: &XmlHttpRequest, req: &Request, started_ms: f64) -> Result<Response, JsValue> {
    let status = xhr.status()?;
    let raw = xhr.response()?;
    let body = if raw.is_null() || raw.is_undefined() {
        Vec::new()
    } else {
        js_sys::Uint8Array::new(&raw).to_vec()
    };
    let mut resp = Response::new(status, body)
        .with_status_text(xhr.status_text()?)
        .with_url(xhr.response_url());
    let headers = xhr.get_all_response_headers()?;
    for line in headers.split("\r\n") {
        if let Some((name, value)) = line.split_once(':') {
            resp = resp.with_header(name.trim(), value.trim());
        }
    }
    resp.set_request(req.method, &req.url);
    resp.set_started_ms(started_ms);
    Ok(resp)
}
