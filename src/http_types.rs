//! Conversions with the [`http`] crate's types (cargo feature `http`), so
//! that code shared with axum, Leptos server functions or hyper uses one
//! set of types.
//!
//! ```
//! # futures::executor::block_on(async {
//! use fanout::mock::{MockTransport, Reply};
//! let mock = MockTransport::new().route(fanout::Method::Post, "/items", Reply::text(201, "made"));
//! let client = fanout::Client::builder().transport(mock).build()?;
//!
//! let req = http::Request::post("http://api.test/items")
//!     .header("x-id", "7")
//!     .body("payload")
//!     .unwrap();
//! let resp = client.execute(fanout::Request::try_from(req)?).await?;
//! assert_eq!(resp.status_code(), http::StatusCode::CREATED);
//! let resp: http::Response<Vec<u8>> = resp.into_http().await?;
//! assert_eq!(resp.body(), b"made");
//! # Ok::<_, fanout::Error>(()) }).unwrap();
//! ```

use crate::error::Error;
use crate::headers::Headers;
use crate::method::Method;
use crate::request::{Body, Request};
use crate::response::Response;

impl TryFrom<http::Method> for Method {
    type Error = Error;

    /// The same method; `CONNECT` and extension methods are builder errors.
    fn try_from(m: http::Method) -> Result<Method, Error> {
        m.as_str().parse().map_err(Error::from)
    }
}

impl From<Method> for http::Method {
    fn from(m: Method) -> http::Method {
        match m {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
            Method::Head => http::Method::HEAD,
            Method::Options => http::Method::OPTIONS,
            Method::Trace => http::Method::TRACE,
        }
    }
}

impl<B: Into<Body>> TryFrom<http::Request<B>> for Request {
    type Error = Error;

    /// The method, URI, headers and body of an `http::Request`. A header
    /// value that is not UTF-8, or a method fanout cannot send, is a
    /// builder error; an empty body is no body.
    fn try_from(req: http::Request<B>) -> Result<Request, Error> {
        let (parts, body) = req.into_parts();
        let mut out = Request::new(Method::try_from(parts.method)?, parts.uri.to_string());
        for (name, value) in &parts.headers {
            let value = value.to_str().map_err(|_| {
                Error::builder(format!("header \"{name}\": the value is not UTF-8"))
            })?;
            out.append_header(name.as_str(), value)?;
        }
        let body = body.into();
        if body.as_bytes() != Some(&[]) {
            out.set_body(Some(body));
        }
        Ok(out)
    }
}

impl Response {
    /// The status as an `http::StatusCode`.
    pub fn status_code(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Reads the body and gives an `http::Response` with the status,
    /// headers and body (within `max_body_size`).
    pub async fn into_http(self) -> Result<http::Response<Vec<u8>>, Error> {
        let mut builder = http::Response::builder().status(self.status_code());
        if let Some(headers) = builder.headers_mut() {
            *headers = self.headers().to_header_map();
        }
        let body = self.bytes().await?;
        builder
            .body(body)
            .map_err(|e| Error::body(format!("http::Response: {e}")))
    }
}

impl Headers {
    /// The headers as an `http::HeaderMap` (names lowercase; a header the
    /// `http` crate rejects is left out).
    pub fn to_header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in self.iter() {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                map.append(n, v);
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_and_connect_is_refused() {
        for m in [Method::Get, Method::Post, Method::Delete, Method::Trace] {
            assert_eq!(Method::try_from(http::Method::from(m)).unwrap(), m);
        }
        assert!(Method::try_from(http::Method::CONNECT)
            .unwrap_err()
            .is_builder());
    }

    #[test]
    fn a_request_keeps_headers_and_body() {
        let req = http::Request::put("http://h/x?q=1")
            .header("x-a", "1")
            .header("x-a", "2")
            .body(vec![1u8, 2])
            .unwrap();
        let req = Request::try_from(req).unwrap();
        assert_eq!(req.method(), Method::Put);
        assert_eq!(req.url(), "http://h/x?q=1");
        assert_eq!(req.headers().len(), 2);
        assert_eq!(req.body().unwrap().as_bytes(), Some(&[1u8, 2][..]));
        let empty = Request::try_from(http::Request::get("http://h/").body("").unwrap()).unwrap();
        assert!(empty.body().is_none());
        let bad = http::Request::get("http://h/")
            .header("x", http::HeaderValue::from_bytes(&[0xff]).unwrap())
            .body("")
            .unwrap();
        assert!(Request::try_from(bad).unwrap_err().is_builder());
    }

    #[test]
    fn a_response_becomes_an_http_response() {
        let resp = Response::new(404, "gone").with_header("X-Why", "moved");
        assert_eq!(resp.status_code(), http::StatusCode::NOT_FOUND);
        let resp = futures::executor::block_on(resp.into_http()).unwrap();
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.headers()["x-why"], "moved");
        assert_eq!(resp.body(), b"gone");
    }
}
