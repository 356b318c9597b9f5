//! [`Method`]: the HTTP method of a request (pure Rust).

use std::fmt;

/// The HTTP method of a request.
///
/// ```
/// assert_eq!(fanout::Method::Get.as_str(), "GET");
/// assert!(fanout::Method::Put.is_idempotent());
/// assert!(!fanout::Method::Post.is_idempotent());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
}

impl Method {
    /// The method's name as sent on the wire.
    ///
    /// ```
    /// assert_eq!(fanout::Method::Delete.as_str(), "DELETE");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
        }
    }

    /// Whether repeating the request has the same effect as sending it once
    /// (RFC 9110 §9.2.2). Only these are ever retried.
    ///
    /// ```
    /// assert!(fanout::Method::Delete.is_idempotent());
    /// ```
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
