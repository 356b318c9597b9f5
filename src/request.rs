//! [`Request`]: one request as data (method, URL, headers, body, options,
//! hooks), what flows through the pipeline; and its [`Body`].

use std::fmt;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsValue;
#[cfg(target_arch = "wasm32")]
use web_sys::{FormData, ReadableStream};

use crate::error::Error;
use crate::headers;
use crate::method::Method;
use crate::options::Options;
use crate::progress::ProgressFn;

use crate::sync::Shared;
use crate::sys::AbortSignal;

mod hooks;

#[cfg(feature = "hooks")]
pub(crate) use hooks::Hook;
pub use hooks::{Action, Hooks};

/// A request body. Text, bytes and `FormData` can be sent again (on a
/// retry, or by a middleware that calls `next` twice); a stream cannot.
///
/// ```
/// let body = fanout::Body::from("hello");
/// assert_eq!(body.as_bytes(), Some(&b"hello"[..]));
/// ```
#[derive(Clone)]
pub struct Body(Repr);

#[derive(Clone)]
enum Repr {
    Text(Shared<str>),
    Bytes(Shared<[u8]>),
    #[cfg(target_arch = "wasm32")]
    FormData(FormData),
    /// Shared only so that `Clone` can exist for the other kinds:
    /// [`Body::try_clone`] refuses it.
    #[cfg(target_arch = "wasm32")]
    Stream(ReadableStream),
    /// Natively, a Rust stream, taken by the one exchange that sends it.
    #[cfg(not(target_arch = "wasm32"))]
    Stream(Shared<crate::sync::Lock<Option<NativeStream>>>),
}

/// A native streamed body: chunks of bytes, or the error that ends it.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type NativeStream =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = Result<Vec<u8>, Error>> + Send>>;

impl Body {
    /// A body streamed from a `ReadableStream` (sent with
    /// `duplex: "half"`, which the platform may only allow over HTTP/2).
    /// It can be sent once: a request with it is never retried and
    /// [`Request::try_clone`] gives `None`.
    #[cfg(target_arch = "wasm32")]
    pub fn stream(stream: ReadableStream) -> Body {
        Body(Repr::Stream(stream))
    }

    /// A body streamed from a `Stream` of byte chunks (natively; in
    /// browsers a `ReadableStream`). It can be sent once: a request with
    /// it is never retried and [`Request::try_clone`] gives `None`.
    ///
    /// ```
    /// let chunks = futures_util::stream::iter(vec![Ok(b"a".to_vec()), Ok(b"b".to_vec())]);
    /// let body = fanout::Body::stream(chunks);
    /// assert!(body.is_stream() && body.try_clone().is_none());
    /// ```
    #[cfg(not(target_arch = "wasm32"))]
    pub fn stream(
        stream: impl futures_core::Stream<Item = Result<Vec<u8>, Error>> + Send + 'static,
    ) -> Body {
        Body(Repr::Stream(Shared::new(crate::sync::Lock::new(Some(
            Box::pin(stream),
        )))))
    }

    /// Takes a native stream body's stream (once: `None` after).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn take_stream(&self) -> Option<NativeStream> {
        match &self.0 {
            Repr::Stream(s) => s.lock().take(),
            _ => None,
        }
    }

    /// A `FormData` body (multipart; the browser sets the content type).
    /// Browsers and Node.js only.
    #[cfg(target_arch = "wasm32")]
    pub fn form_data(form: &FormData) -> Body {
        Body(Repr::FormData(form.clone()))
    }

    /// The body's bytes, for text and byte bodies.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Text(s) => Some(s.as_bytes()),
            Repr::Bytes(b) => Some(b),
            #[cfg(target_arch = "wasm32")]
            Repr::FormData(_) => None,
            Repr::Stream(_) => None,
        }
    }

    /// A copy of the body, unless it is a stream.
    pub fn try_clone(&self) -> Option<Body> {
        match &self.0 {
            Repr::Stream(_) => None,
            other => Some(Body(other.clone())),
        }
    }

    /// Whether the body is a stream (sent once, never retried).
    pub fn is_stream(&self) -> bool {
        matches!(self.0, Repr::Stream(_))
    }

    /// The body's size in bytes, for text and byte bodies.
    #[cfg(all(feature = "upload", target_arch = "wasm32"))]
    pub(crate) fn size(&self) -> Option<u64> {
        self.as_bytes().map(|b| b.len() as u64)
    }

    /// The text of a text body.
    #[cfg(all(feature = "upload", target_arch = "wasm32"))]
    pub(crate) fn as_text(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The `FormData` of a form body.
    #[cfg(all(feature = "upload", target_arch = "wasm32"))]
    pub(crate) fn as_form_data(&self) -> Option<&FormData> {
        match &self.0 {
            Repr::FormData(f) => Some(f),
            _ => None,
        }
    }

    /// The JS value `fetch` takes as `body`.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn to_js(&self) -> JsValue {
        match &self.0 {
            Repr::Text(s) => JsValue::from_str(s),
            Repr::Bytes(b) => js_sys::Uint8Array::from(&b[..]).into(),
            Repr::FormData(f) => f.clone().into(),
            Repr::Stream(s) => s.clone().into(),
        }
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body(Repr::Text(s.into()))
    }
}

impl From<&str> for Body {
    fn from(s: &str) -> Body {
        Body(Repr::Text(s.into()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Body {
        Body(Repr::Bytes(b.into()))
    }
}

impl From<&[u8]> for Body {
    fn from(b: &[u8]) -> Body {
        Body(Repr::Bytes(b.into()))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(s) => f.debug_tuple("Text").field(&s.len()).finish(),
            Repr::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            #[cfg(target_arch = "wasm32")]
            Repr::FormData(_) => f.write_str("FormData"),
            Repr::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// One request as data: method, URL, headers, body and its own
/// [`Options`]. [`RequestBuilder::build`](crate::RequestBuilder::build)
/// makes one; [`Client::execute`](crate::Client::execute) sends it through
/// the client's pipeline, where the client's defaults (options and default
/// headers) fill in whatever the request does not set. A
/// `Middleware` (feature `middleware`) receives it and may change it.
///
/// ```
/// # fn run() -> Result<(), fanout::Error> {
/// let client = fanout::Client::builder().base_url("http://127.0.0.1:8080/").build()?;
/// let mut req = client.post("posts").json(&serde_json::json!({"title": "hi"})).build()?;
/// assert_eq!(req.method(), fanout::Method::Post);
/// assert_eq!(req.url(), "http://127.0.0.1:8080/posts");
/// assert_eq!(req.header("content-type"), Some("application/json"));
/// req.set_header("x-trace", "abc")?;
/// let copy = req.try_clone().expect("a JSON body can be cloned");
/// assert_eq!(copy.header("x-trace"), Some("abc"));
/// # Ok(()) }
/// ```
pub struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    /// Whether `url` is known to be a URL a request can go to (the
    /// builder resolved it): the pipeline then checks it no second time.
    /// Cleared by [`set_url`](Request::set_url).
    pub(crate) url_checked: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) options: Options,
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) hooks: Hooks,
    /// Set by `RequestBuilder::on_upload_progress` (feature `upload`):
    /// the transport then takes the upload path (`src/xhr.rs`).
    pub(crate) upload_progress: Option<ProgressFn>,
}

impl Request {
    /// A request with no headers, no body and no options of its own. `url`
    /// may be relative: the client that executes it joins it onto its base
    /// URL.
    ///
    /// ```
    /// let req = fanout::Request::new(fanout::Method::Get, "posts/1");
    /// assert_eq!(req.url(), "posts/1");
    /// ```
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            url_checked: false,
            headers: Vec::new(),
            body: None,
            options: Options::default(),
            signal: None,
            hooks: Hooks::default(),
            upload_progress: None,
        }
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Changes the method.
    pub fn set_method(&mut self, method: Method) {
        self.method = method;
    }

    /// The URL: absolute once built by a client's
    /// [`RequestBuilder`](crate::RequestBuilder).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes the URL (resolved against the client's base URL when
    /// relative).
    pub fn set_url(&mut self, url: impl Into<String>) {
        self.url = url.into();
        self.url_checked = false;
    }

    /// The request's own headers, in order (the client's default headers
    /// are added when it is executed, under these).
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header, by name (case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets a header, replacing every header of that name; a bad name or
    /// value is an error that [`is_builder`](Error::is_builder).
    pub fn set_header(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), Error> {
        let (name, value) = checked(name.into(), value.into())?;
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value));
        Ok(())
    }

    /// Adds a header, keeping others of the same name.
    pub fn append_header(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), Error> {
        self.headers.push(checked(name.into(), value.into())?);
        Ok(())
    }

    /// Removes every header of that name.
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// Sets or clears the body.
    pub fn set_body(&mut self, body: Option<Body>) {
        self.body = body;
    }

    /// The request's own options (the client's fill in the rest when it is
    /// executed).
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The request's own options, to change.
    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// The caller's `AbortSignal`, if one was given.
    pub fn abort_signal(&self) -> Option<&AbortSignal> {
        self.signal.as_ref()
    }

    /// Sets the `AbortSignal` that aborts the request.
    pub fn set_abort_signal(&mut self, signal: Option<AbortSignal>) {
        self.signal = signal;
    }

    /// The request's hooks: its own until it is executed, then its
    /// client's followed by its own.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// A copy of the request, unless its body is a stream (which can be
    /// read only once).
    ///
    /// ```
    /// let mut req = fanout::Request::new(fanout::Method::Put, "http://h/x");
    /// req.set_body(Some("v".into()));
    /// assert!(req.try_clone().is_some());
    /// ```
    pub fn try_clone(&self) -> Option<Request> {
        let body = match &self.body {
            Some(b) => Some(b.try_clone()?),
            None => None,
        };
        Some(Request {
            method: self.method,
            url: self.url.clone(),
            url_checked: self.url_checked,
            headers: self.headers.clone(),
            body,
            options: self.options.clone(),
            signal: self.signal.clone(),
            hooks: self.hooks.clone(),
            upload_progress: self.upload_progress.clone(),
        })
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body", &self.body)
            .field("options", &self.options)
            .field("hooks", &self.hooks)
            .field("upload_progress", &self.upload_progress.is_some())
            .finish()
    }
}

/// A header as given, once [`headers::check`] accepts it.
fn checked(name: String, value: String) -> Result<(String, String), Error> {
    headers::check(&name, &value).map_err(Error::builder)?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_clone_copies_text_and_bytes() {
        let mut req = Request::new(Method::Post, "http://h/x");
        req.set_header("X-A", "1").unwrap();
        req.set_body(Some(Body::from(vec![1u8, 2, 3])));
        let copy = req.try_clone().unwrap();
        assert_eq!(copy.body().unwrap().as_bytes(), Some(&[1u8, 2, 3][..]));
        assert_eq!(copy.header("x-a"), Some("1"));
        assert_eq!(copy.method(), Method::Post);
    }

    #[test]
    fn set_header_replaces_and_checks() {
        let mut req = Request::new(Method::Get, "http://h/x");
        req.append_header("x-a", "1").unwrap();
        req.append_header("x-a", "2").unwrap();
        req.set_header("X-A", "3").unwrap();
        assert_eq!(req.headers(), &[("X-A".to_string(), "3".to_string())]);
        assert!(req.set_header("bad name", "x").unwrap_err().is_builder());
        assert!(req.set_header("x", "a\r\nb").unwrap_err().is_builder());
        req.remove_header("x-a");
        assert!(req.headers().is_empty());
    }
}
