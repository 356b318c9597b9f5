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

impl std::str::FromStr for Method {
    type Err = ParseMethodError;

    /// Parses a method name, case-insensitively. The error converts into
    /// a fanout [`Error`](crate::Error) that
    /// [`is_builder`](crate::Error::is_builder), so `?` works in a
    /// function returning one.
    ///
    /// ```
    /// let m: fanout::Method = "patch".parse().unwrap();
    /// assert_eq!(m, fanout::Method::Patch);
    /// let e = "BREW".parse::<fanout::Method>().unwrap_err();
    /// assert_eq!(e.to_string(), "unsupported HTTP method \"BREW\"");
    /// assert!(fanout::Error::from(e).is_builder());
    /// ```
    fn from_str(s: &str) -> Result<Method, ParseMethodError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            _ => return Err(ParseMethodError { name: s.to_owned() }),
        })
    }
}

/// A method name fanout does not send, from [`Method`]'s `FromStr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMethodError {
    name: String,
}

impl fmt::Display for ParseMethodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported HTTP method \"{}\"", self.name)
    }
}

impl std::error::Error for ParseMethodError {}
