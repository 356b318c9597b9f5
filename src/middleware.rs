//! [`Middleware`]: a user's own layer of the request pipeline, and
//! [`Next`], the rest of the pipeline it hands the request on to.

use std::fmt;

use crate::error::Error;
use crate::request::Request;
use crate::response::Response;
use crate::sync::{dyn_ss, BoxFuture, MaybeSend, MaybeSync, Shared};

/// A layer of a client's request pipeline: it gets each [`Request`] and
/// [`Next`], the rest of the pipeline, and may change the request, answer
/// it itself (short-circuit with its own [`Response`] or error), call
/// `next` more than once (a retry of its own) or change the result.
///
/// Layers added with [`ClientBuilder::with`](crate::ClientBuilder::with)
/// run in the order they were added, the first outermost, between the
/// client's own layers: after the client's defaults are applied and
/// before retries (see [the pipeline](crate#the-pipeline)). So a layer
/// sees each request once, with its final URL and headers, and each
/// response before `error_for_status` turns it into an error.
///
/// On wasm futures are not `Send` (they run on the JS event loop), and
/// natively they are: a middleware is [`MaybeSend`] + [`MaybeSync`] (no
/// bound on wasm, `Send + Sync` natively), and `handle` returns a
/// [`BoxFuture`](crate::BoxFuture) (`LocalBoxFuture` on wasm, `Send`
/// natively), so one middleware builds for both. Write
/// `Box::pin(async move { ... })`.
///
/// ```
/// use fanout::{BoxFuture, Error, Middleware, Next, Request, Response};
///
/// /// Adds a header to every request, and logs each status.
/// struct Tenant(&'static str);
///
/// impl Middleware for Tenant {
///     fn handle<'a>(&'a self, mut req: Request, next: Next<'a>)
///         -> BoxFuture<'a, Result<Response, Error>>
///     {
///         Box::pin(async move {
///             req.set_header("x-tenant", self.0)?;
///             let resp = next.run(req).await?;
///             println!("status {}", resp.status());
///             Ok(resp)
///         })
///     }
/// }
///
/// let client = fanout::Client::builder().with(Tenant("acme")).build().unwrap();
/// ```
pub trait Middleware: MaybeSend + MaybeSync + 'static {
    /// Handles one request: usually changes it and calls
    /// [`next.run(req)`](Next::run).
    fn handle<'a>(&'a self, req: Request, next: Next<'a>)
        -> BoxFuture<'a, Result<Response, Error>>;
}

/// The end of the user's layers: the client's own inner pipeline.
pub(crate) trait Endpoint {
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response, Error>>;
}

/// The rest of the pipeline after a [`Middleware`]: the layers after it,
/// then the client's retries, limits, timeout and transport. It is `Copy`,
/// so a layer can run it more than once.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    rest: &'a [Shared<dyn Middleware>],
    end: &'a dyn_ss!(Endpoint),
}

impl<'a> Next<'a> {
    pub(crate) fn new(rest: &'a [Shared<dyn Middleware>], end: &'a dyn_ss!(Endpoint)) -> Next<'a> {
        Next { rest, end }
    }

    /// Sends `req` through the rest of the pipeline.
    pub fn run(self, req: Request) -> BoxFuture<'a, Result<Response, Error>> {
        match self.rest.split_first() {
            Some((first, rest)) => first.handle(
                req,
                Next {
                    rest,
                    end: self.end,
                },
            ),
            None => self.end.call(req),
        }
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("layers_left", &self.rest.len())
            .finish_non_exhaustive()
    }
}
