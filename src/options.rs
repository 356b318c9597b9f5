//! [`Options`]: the settings a client and a request share, defined once,
//! with one merge rule (the request's own value wins over the client's).
//!
//! The list lives in [`for_each_option!`]; it generates the [`Options`]
//! struct, its setters and [`Options::merged_over`] here, and the setters
//! of [`ClientBuilder`](crate::ClientBuilder) and
//! [`RequestBuilder`](crate::RequestBuilder) in their modules. Adding an
//! option is one line in that list (plus a check in
//! [`Options::validate`] if it has invalid values), then its use where the
//! pipeline reads it.

use std::time::Duration;

use crate::error::Error;

/// Whether the browser sends cookies and HTTP auth with a request (the Fetch
/// API's `credentials`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Never send them.
    Omit,
    /// Only to the page's own origin (the browser's default).
    SameOrigin,
    /// Always, also cross-origin (the server must allow it with CORS).
    Include,
}

/// How the request interacts with the browser's HTTP cache (the Fetch API's
/// `cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    /// The browser's normal caching.
    Default,
    /// Bypass the cache entirely.
    NoStore,
    /// Fetch from the network and update the cache.
    Reload,
    /// Revalidate with the server even when fresh.
    NoCache,
    /// Use any cached response, even stale.
    ForceCache,
    /// Only from the cache (same-origin only).
    OnlyIfCached,
}

/// What happens on a redirect (the Fetch API's `redirect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// Follow redirects (the default); [`Response::url`](crate::Response::url)
    /// is the final URL. The platform follows them: on a redirect to another
    /// origin it drops `Authorization` and forwards the request's other
    /// headers (see [redirects and credentials](crate#redirects-and-credentials)).
    Follow,
    /// A redirect is a network error.
    Error,
    /// Return an opaque redirect response.
    Manual,
}

/// Calls `$m! { ... }` with the list of shared settings: each with its
/// doc, name and type. The one place that defines them.
macro_rules! for_each_option {
    ($m:ident) => {
        $m! {
            /// A timeout for each attempt, from sending until the body is
            /// read; when it fires the fetch is aborted and the error
            /// [`is_timeout`](crate::Error::is_timeout).
            timeout: std::time::Duration,
            /// A timeout across all attempts (retries and their waits
            /// included), separate from the per-attempt `timeout`.
            total_timeout: std::time::Duration,
            /// The retry policy (default: [`Retry::new`](crate::Retry::new);
            /// [`Retry::none`](crate::Retry::none) turns retries off).
            /// Feature `retry`.
            #[cfg(feature = "retry")]
            retry: crate::Retry,
            /// The largest body, in bytes, a response reader accepts; a
            /// larger body is an error
            /// ([`is_too_large`](crate::Error::is_too_large)) instead of an
            /// out-of-memory. Feature `chunked`.
            #[cfg(feature = "chunked")]
            max_body_size: u64,
            /// Turn every 4xx and 5xx response into an error
            /// ([`is_status`](crate::Error::is_status)), like aiohttp's
            /// `raise_for_status`.
            error_for_status: bool,
            /// The credentials mode (the Fetch API's `credentials`).
            credentials: crate::Credentials,
            /// The cache mode (the Fetch API's `cache`).
            cache: crate::CacheMode,
            /// The redirect mode (the Fetch API's `redirect`).
            redirect: crate::Redirect,
        }
    };
}
pub(crate) use for_each_option;

macro_rules! define_options {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty, )*) => {
        /// The settings a client and a request share. Every field is
        /// `None` unless set; a request's own value wins over its
        /// client's ([`merged_over`](Options::merged_over)), and what is
        /// unset in both takes the default named on each setter.
        ///
        /// [`ClientBuilder`](crate::ClientBuilder) and
        /// [`RequestBuilder`](crate::RequestBuilder) have a setter of the
        /// same name for each field; [`Request::options`](crate::Request::options)
        /// shows a request's.
        ///
        /// ```
        /// use std::time::Duration;
        /// use fanout::Options;
        /// let client = Options::new().timeout(Duration::from_secs(10)).error_for_status(true);
        /// let own = Options::new().timeout(Duration::from_secs(2));
        /// let merged = own.merged_over(&client);
        /// assert_eq!(merged.timeout, Some(Duration::from_secs(2)));
        /// assert_eq!(merged.error_for_status, Some(true));
        /// assert_eq!(merged.cache, None);
        /// ```
        #[derive(Clone, Debug, Default, PartialEq)]
        #[non_exhaustive]
        pub struct Options {
            $( $(#[$doc])* pub $name: Option<$ty>, )*
        }

        impl Options {
            /// Options with nothing set.
            pub fn new() -> Options {
                Options::default()
            }

            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Options {
                    self.$name = Some(value);
                    self
                }
            )*

            /// These options over `base`: each setting of `self` that is
            /// set wins, the others come from `base` (ky's `mergeOptions`).
            // The doc attributes land on statements here, where they say
            // nothing; a `cfg` among them keeps its meaning.
            #[allow(unused_doc_comments)]
            pub fn merged_over(self, base: &Options) -> Options {
                let mut merged = self;
                $(
                    $(#[$doc])*
                    if merged.$name.is_none() {
                        merged.$name = base.$name.clone();
                    }
                )*
                merged
            }
        }
    };
}

for_each_option!(define_options);

impl Options {
    /// Checks the values that can be wrong: zero timeouts, a retry backoff
    /// whose cap is below its base. A bad value is an error that
    /// [`is_builder`](Error::is_builder).
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = fanout::Options::new().timeout(Duration::ZERO).validate().unwrap_err();
    /// assert!(err.is_builder());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        for (what, d) in [
            ("timeout", self.timeout),
            ("total timeout", self.total_timeout),
        ] {
            if d == Some(Duration::ZERO) {
                return Err(Error::builder(format!("{what} must be greater than zero")));
            }
        }
        #[cfg(feature = "retry")]
        if let Some(retry) = &self.retry {
            retry.validate().map_err(Error::builder)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_value_wins_and_unset_falls_through() {
        let client = Options::new()
            .timeout(Duration::from_secs(10))
            .credentials(Credentials::Include)
            .error_for_status(true);
        let own = Options::new()
            .timeout(Duration::from_secs(1))
            .error_for_status(false);
        let m = own.merged_over(&client);
        assert_eq!(m.timeout, Some(Duration::from_secs(1)));
        assert_eq!(m.credentials, Some(Credentials::Include));
        assert_eq!(m.error_for_status, Some(false));
        assert_eq!(m.cache, None);
        // Merging twice changes nothing.
        assert_eq!(m.clone().merged_over(&client), m);
    }

    #[test]
    #[cfg(feature = "retry")]
    fn validate_names_the_bad_setting() {
        let e = Options::new()
            .total_timeout(Duration::ZERO)
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("total timeout"), "{e}");
        let e = Options::new()
            .retry(crate::Retry::new().backoff(Duration::from_secs(2), Duration::from_secs(1)))
            .validate()
            .unwrap_err();
        assert!(e.is_builder());
        assert!(Options::new().validate().is_ok());
    }
}
