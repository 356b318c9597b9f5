//! fanout's JavaScript API: the crate (`fanout-js`) behind the npm package
//! `fanout`. `cargo xtask build` builds it with wasm-pack into `pkg/web`,
//! `pkg/bundler` and `pkg/nodejs`, each with `fanout.js`, `fanout_bg.wasm`
//! and `fanout.d.ts`. It uses only the public API of the `fanout` crate.
//!
//! It is shaped for JS habits rather than mirroring the Rust builders:
//! camelCase names, options objects, Promises, errors that are JS `Error`s
//! with a `name`, and bodies handed over as plain JS values (`json()` parses
//! with the platform's `JSON.parse`; `text()` and `bytes()` never copy the
//! body into wasm memory). Every option is checked: a wrong type or an
//! unknown name is a `TypeError` that names it, never a panic.
//!
//! Errors are instances of exported classes (`FanoutError` and its
//! subclasses, see `js_error`), and a 4xx or 5xx is turned into an
//! `HTTPError` here rather than by the library, so that it can carry the
//! body as `data` (`raise_for_status`): the library's `error_for_status`
//! is always off under this binding. The promise of a request has
//! `json()`, `text()` and `bytes()` (`response_promise`); `dedupe` and
//! `auth` map onto `ClientBuilder::dedupe` and [`fanout::auth::Refresh`].
//!
//! The settings a client and a request share are [`fanout::Options`], read
//! from JS by one parser (`parse_options`, whose keys are `OPTION_KEYS`)
//! and declared once in TypeScript (`SharedOptions`): adding a shared
//! option touches the library's option list, that parser and that
//! declaration.
// The bindings exist only in wasm: natively this crate is empty (the
// library's native side is `Send`, and JS values are not).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::str::FromStr;
use std::time::Duration;

use fanout::{
    CacheMode, Client as Session, Credentials, Error, Method, Options, Outcome, Progress, Redirect,
    RequestBuilder, Retry,
};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use js_sys::{Array, ArrayBuffer, Function, JsString, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, FormData, UrlSearchParams};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    /// Reports an exception to the host (`window.onerror`, the console)
    /// without throwing it at the caller; missing in Node.js.
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(error: &JsValue);
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** An HTTP method name, in upper or lower case. */
export type HttpMethod =
  | 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'TRACE'
  | 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options' | 'trace';

/** The `name` of every error fanout throws or rejects with. */
export type FanoutErrorName =
  | 'HTTPError' | 'TimeoutError' | 'NetworkError' | 'DecodeError' | 'AbortError' | 'TypeError';

/**
 * The base class of the errors fanout throws and rejects with (it extends
 * `Error`); `name` says what went wrong, and the subclasses below allow
 * `instanceof`. Its constructor is not for calling.
 *
 * - `HTTPError`: a 4xx or 5xx status while `throwHttpErrors` is on (the default).
 * - `TimeoutError`: `timeoutMs` or `totalTimeoutMs` elapsed; the fetch was aborted.
 * - `NetworkError`: no response (connection refused, DNS, CORS, a dropped connection).
 * - `DecodeError`: `json()` met a body that is not JSON.
 * - `AbortError`: your `AbortSignal` fired, or a `failFast` gather cancelled the request.
 * - `TypeError`: a bad argument or option (nothing was sent), or an unreadable body.
 */
export class FanoutError extends Error {
  protected constructor();
  name: FanoutErrorName;
  /** The response status, for an `HTTPError`. */
  status: number | undefined;
  /** The absolute URL of the request, where known. */
  url: string | undefined;
  /** The request method (`'GET'`, ...), where known. */
  method: string | undefined;
  /** How many attempts were made (0 when nothing was sent). */
  attempts: number;
}

/**
 * A 4xx or 5xx status while `throwHttpErrors` is on. `data` is the
 * response body, parsed as JSON when its `content-type` says JSON, else
 * its text (as ky's `error.data`), so an API's message can be shown:
 *
 * ```js
 * try { await client.get('status/404'); }
 * catch (e) { if (e instanceof HTTPError) console.log(e.status, e.data); }
 * ```
 */
export class HTTPError<T = unknown> extends FanoutError {
  name: 'HTTPError';
  status: number;
  /**
   * The response (status, headers; its body already read into `data`).
   * `undefined` when the error came from elsewhere (a stream, a failed
   * token refresh).
   */
  response: FanoutResponse | undefined;
  /** The body: parsed JSON, text, or `undefined` if it could not be read. */
  data: T | undefined;
}

/** `timeoutMs` or `totalTimeoutMs` elapsed; the fetch was aborted. */
export class TimeoutError extends FanoutError {
  name: 'TimeoutError';
}

/** No response: connection refused, DNS, CORS, a dropped connection. */
export class NetworkError extends FanoutError {
  name: 'NetworkError';
}

/** `json()` met a body that is not JSON. */
export class DecodeError extends FanoutError {
  name: 'DecodeError';
}

/**
 * The promise of a response (ky's `ResponsePromise`): `await` it for the
 * `FanoutResponse`, or call a reader on it directly.
 *
 * ```js
 * const post = await client.get('posts/1').json();
 * ```
 */
export interface ResponsePromise extends Promise<FanoutResponse> {
  /** Awaits the response and parses its body as JSON. */
  json<T = unknown>(): Promise<T>;
  /** Awaits the response and reads its body as text. */
  text(): Promise<string>;
  /** Awaits the response and reads its body as bytes. */
  bytes(): Promise<Uint8Array>;
}

/**
 * `auth` of `ClientOptions`: bearer tokens for one origin. `refresh` is
 * called for the first request and after a 401; however many requests get
 * a 401 at once, it runs once, and each is replayed once with the new
 * token. If it fails, each of them rejects with an `HTTPError` 401 saying
 * so. Requests to other origins never get the token.
 */
export interface AuthOptions {
  /** Fetches a new token (async allowed). */
  refresh: () => string | Promise<string>;
  /** The origin the token is for (default: the `baseUrl`'s). */
  origin?: string | URL;
  /** A token to start with, instead of calling `refresh` first. */
  token?: string;
}

/**
 * The retry policy: a number of retries, `false` for none, `true` for the
 * default, or the details. Defaults (ky's): 2 retries, idempotent methods
 * only (never POST or PATCH), on network errors and the statuses 408 413
 * 429 500 502 503 504, waiting 300 ms × 2^(n-1) capped at 10 s, or the
 * server's `Retry-After`.
 */
export type RetrySetting = number | boolean | RetryOptions;

/** The details of a retry policy; every field is optional. */
export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  limit?: number;
  /** The first retry's wait in ms, doubled on each retry (default 300). */
  backoffMs?: number;
  /** The longest wait between attempts in ms (default 10000). */
  maxBackoffMs?: number;
  /** Wait a random time between 0 and the computed delay (default false). */
  jitter?: boolean;
  /** Also retry attempts that timed out (default false). */
  retryOnTimeout?: boolean;
  /** The statuses that are retried (default 408 413 429 500 502 503 504). */
  statuses?: readonly number[];
  /** The longest `Retry-After` honoured, in ms (default 60000). */
  maxRetryAfterMs?: number;
}

/** Headers as an object, or pairs (a `Headers`, a `Map`, an array). */
export type HeadersInput = Record<string, string | number | boolean> | Iterable<readonly [string, string]>;

/** One query value; `undefined` entries are skipped. */
export type QueryValue = string | number | boolean | bigint;

/** Query parameters as an object (an array value repeats the key), or pairs (a `URLSearchParams`). */
export type QueryInput =
  | Record<string, QueryValue | readonly QueryValue[] | undefined>
  | Iterable<readonly [string, QueryValue]>;

/** A request body other than `json`. */
export type BodyInput = string | Uint8Array | ArrayBuffer | FormData | URLSearchParams;

/** The credentials mode of the Fetch API. */
export type CredentialsMode = 'omit' | 'same-origin' | 'include';

/** The cache mode of the Fetch API. */
export type CacheMode = 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache' | 'only-if-cached';

/** The redirect mode of the Fetch API. */
export type RedirectMode = 'follow' | 'error' | 'manual';

/**
 * The settings a client and a request share. On a `Client` they are the
 * defaults of its requests; a request's own value replaces the client's.
 */
export interface SharedOptions {
  /** A timeout for each attempt, from sending until the body is read, in ms. */
  timeoutMs?: number;
  /** A timeout across all attempts and retry waits, in ms. */
  totalTimeoutMs?: number;
  /** The retry policy (default: 2 retries of idempotent requests). */
  retry?: RetrySetting;
  /** The largest body in bytes a reader accepts; a larger one is a `TypeError`. */
  maxBodySize?: number;
  /** Reject a 4xx or 5xx response with an `HTTPError` (default true, like ky). */
  throwHttpErrors?: boolean;
  /** The Fetch API's credentials mode. */
  credentials?: CredentialsMode;
  /** The Fetch API's cache mode. */
  cache?: CacheMode;
  /**
   * The Fetch API's redirect mode (default `'follow'`). A redirect to
   * another origin drops `Authorization` but takes every other header
   * along, the client's `headers` included; `'error'` keeps them home.
   */
  redirect?: RedirectMode;
}

/**
 * The request as a hook sees it. A hook may assign `url` and change
 * `headers`: the request is sent as they then are.
 */
export interface HookRequest {
  /** The method, such as `'GET'`. */
  readonly method: string;
  /** The absolute URL. */
  url: string;
  /** The request's headers (the client's default headers included). */
  headers: Headers;
}

/** What `retry()` returns, for an `afterResponse` hook to ask for a retry. */
export interface RetryMarker {
  readonly retry: true;
}

/**
 * Called before each request is sent (async allowed; it is awaited). A
 * throw rejects the request with what was thrown; nothing is sent.
 * `options` is the request's options object (the client's, for a client's hook).
 */
export type BeforeRequestHook = (request: HookRequest, options: object) => void | Promise<void>;

/**
 * Called with each attempt's response, before retries are decided and
 * before a 4xx or 5xx becomes an `HTTPError`. `response` is a copy, whose
 * body the hook may read. Return nothing to go on, a `Response` or
 * `FanoutResponse` to use instead, or `retry()` to send the request again
 * (counted against the retry limit; POST too).
 */
export type AfterResponseHook = (
  request: HookRequest,
  options: object,
  response: FanoutResponse,
) => AfterResponseResult | Promise<AfterResponseResult>;

/** What an `afterResponse` hook returns. */
export type AfterResponseResult = void | undefined | Response | FanoutResponse | RetryMarker;

/** What a `beforeRetry` hook is told. */
export interface BeforeRetryState {
  /** The request to send again: changes to `url` and `headers` are sent. */
  request: HookRequest;
  /** The request's options object (the client's, for a client's hook). */
  options: object;
  /** What went wrong (for a retried status, an `HTTPError` without `data`). */
  error: FanoutError;
  /** The number of this retry: 1 for the first. */
  retryCount: number;
}

/** Called before each retry (async allowed); a throw ends the request with what was thrown. */
export type BeforeRetryHook = (state: BeforeRetryState) => void | Promise<void>;

/**
 * Called with the error a request rejects with (async allowed); returns
 * the error to reject with instead, or nothing to keep it.
 */
export type BeforeErrorHook = (error: FanoutError) => unknown;

/**
 * Functions called at fixed points of each request, as ky has them (each
 * a function or an array of them). A client's hooks run first, then the
 * request's: a request's hooks add to its client's, never replace them.
 *
 * ```js
 * const client = new Client({ baseUrl, hooks: {
 *   beforeRequest: [async (request) => request.headers.set('x-token', await getToken())],
 *   afterResponse: [(request, options, response) => (response.status === 202 ? retry() : undefined)],
 * } });
 * ```
 */
export interface Hooks {
  beforeRequest?: BeforeRequestHook | BeforeRequestHook[];
  afterResponse?: AfterResponseHook | AfterResponseHook[];
  beforeRetry?: BeforeRetryHook | BeforeRetryHook[];
  beforeError?: BeforeErrorHook | BeforeErrorHook[];
}

/** Options of `new Client(options)`: its own, and the defaults of its requests. */
export interface ClientOptions extends SharedOptions {
  /** An absolute http(s) URL that relative paths are joined onto (its path is a directory). */
  baseUrl?: string | URL;
  /**
   * Headers sent with every request (a request's own header of the same
   * name wins), only to the `baseUrl`'s origin; but a redirect that the
   * platform follows to another origin takes them along (all but
   * `Authorization`): use `redirect: 'error'` to prevent it.
   */
  headers?: HeadersInput;
  /** At most this many requests of this client in flight at once. */
  limit?: number;
  /** At most this many requests in flight per origin. */
  limitPerHost?: number;
  /** Also send the default `headers` to other origins than `baseUrl`'s (default false). */
  allowCrossOriginHeaders?: boolean;
  /**
   * Concurrent identical GET and HEAD requests (same URL and headers)
   * share one fetch; each caller gets its own response (default false). A
   * caller's `signal` aborts that caller alone; the fetch is aborted when
   * every caller has aborted.
   */
  dedupe?: boolean;
  /** Bearer tokens with one refresh for many 401s. */
  auth?: AuthOptions;
  /** Hooks of every request, run before a request's own. */
  hooks?: Hooks;
}

/** Options of one request; each shared setting replaces the client's. */
export interface RequestOptions extends SharedOptions {
  /** Request headers. */
  headers?: HeadersInput;
  /** Query parameters appended to the URL. */
  query?: QueryInput;
  /** A value sent as JSON (`JSON.stringify`), with `content-type: application/json`. */
  json?: unknown;
  /** A body sent as is (not together with `json`). */
  body?: BodyInput;
  /** Aborts the request: it rejects with an `AbortError`. */
  signal?: AbortSignal;
  /**
   * Called as the body is read (by `json()`, `text()`, `bytes()`,
   * `lines()`, `jsonLines()`): on the first chunk, then at most once per
   * 16 ms unless 64 KiB more came, and once at the end with
   * `total === loaded`.
   */
  onDownloadProgress?: (progress: DownloadProgress) => void;
  /** Hooks of this request, run after the client's. */
  hooks?: Hooks;
  /**
   * Called as the body is sent (a string, bytes or `FormData`; with
   * `json`): monotonic, throttled like `onDownloadProgress`, and once at
   * the end with `total === loaded`, the body's size. In browsers (pages
   * and dedicated workers) the request then goes over `XMLHttpRequest`
   * (its upload events are the only real ones over HTTP/1.1; the response
   * body is read before the promise resolves); in Node.js over `fetch`
   * with the body streamed (`duplex: 'half'`), counting the bytes as
   * `fetch` takes them. A retry reports from 0 again.
   */
  onUploadProgress?: (progress: UploadProgress) => void;
}

/** What `onUploadProgress` is told. */
export interface UploadProgress {
  /** Bytes of the body sent so far. */
  loaded: number;
  /** The body's size, when known (it always is in the last call, `=== loaded`). */
  total: number | undefined;
  /** `loaded / total` (0 to 1), when the total is known. */
  percent: number | undefined;
}

/** What `onDownloadProgress` is told. */
export interface DownloadProgress {
  /** Bytes read so far. */
  loaded: number;
  /**
   * The body's size: from `Content-Length` while reading (undefined
   * without one, or for a content-encoded body), and `loaded` in the last call.
   */
  total: number | undefined;
  /** `loaded / total` (0 to 1), when the total is known. */
  percent: number | undefined;
}

/**
 * An async iterator over a body or an event stream: use it with
 * `for await`. Leaving the loop (`break`, `return`, an exception) calls
 * `return()`, which aborts the fetch.
 */
export interface FanoutStream<T> extends AsyncIterableIterator<T> {
  next(): Promise<IteratorResult<T, undefined>>;
  return(): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): FanoutStream<T>;
}

/** Options of `response.jsonLines(options)`. */
export interface JsonLinesOptions {
  /**
   * Called with a `DecodeError` (its message starts with `line N:`) for
   * each line that is not JSON, and the iteration goes on; without it, such
   * a line ends the iteration with that error.
   */
  onBadLine?: (error: FanoutError) => void;
}

/** One server-sent event. */
export interface ServerSentEvent {
  /** The `event:` field, `'message'` when there was none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event ID of the stream (`''` if none): what a reconnection sends as `Last-Event-ID`. */
  id: string;
  /** A `retry:` delay in ms that came with this event. */
  retry: number | undefined;
}

/** What `onReconnect` is told before the stream waits to connect again. */
export interface SseReconnect {
  /** How many reconnections so far, this one included. */
  attempt: number;
  /** The wait before connecting, in ms. */
  delayMs: number;
  /** The `Last-Event-ID` it will send. */
  lastEventId: string;
  /** Why the connection ended (undefined: the server closed it). */
  cause: string | undefined;
}

/** Options of `client.sse(path, options)`: a request's, and the stream's own. */
export interface SseOptions extends RequestOptions {
  /** The method (default `'GET'`); a body is sent again on each reconnection. */
  method?: HttpMethod;
  /** The reconnection delay until the server sends `retry:` (default 3000 ms). */
  retryDelayMs?: number;
  /** The cap of the delay, the server's and with backoff (default 30000 ms). */
  maxRetryDelayMs?: number;
  /** Give up after this many reconnections in a row that fail or bring no event (default: never). */
  maxReconnects?: number;
  /** Resume a stream: the first connection already sends this `Last-Event-ID`. */
  lastEventId?: string;
  /** Called before each reconnection's wait. */
  onReconnect?: (info: SseReconnect) => void;
}

/** One request of a `gather`, as an object. */
export interface GatherRequest extends RequestOptions {
  /** The method (default `'GET'`). */
  method?: HttpMethod;
  /** The URL, joined onto the client's `baseUrl`. */
  path: string | URL;
}

/** One input of a `gather`: a path (a GET) or a request object. */
export type GatherInput = string | URL | GatherRequest;

/** What `onProgress` is told after each input completes. */
export interface GatherProgress {
  /** How many inputs have completed so far, this one included (1, 2, ... total). */
  done: number;
  /** How many inputs the batch has. */
  total: number;
  /** The position of the input that just completed. */
  index: number;
  /** Whether it succeeded. */
  ok: boolean;
}

/** How `gather` reads each body: `'json'` (the default), `'text'`, `'bytes'` or `'response'` (unread). */
export type GatherAs = 'json' | 'text' | 'bytes' | 'response';

/** Options of `client.gather(inputs, options)`. */
export interface GatherOptions<A extends GatherAs = GatherAs> {
  /** At most this many requests of the batch in flight at once. */
  limit?: number;
  /** Stop at the first failure: the rest are aborted or never sent (`AbortError`). */
  failFast?: boolean;
  /** Called after each completion, in completion order. */
  onProgress?: (progress: GatherProgress) => void;
  /** Aborts the whole batch: every unfinished input fails with an `AbortError`. */
  signal?: AbortSignal;
  /** How each body is read (default `'json'`). */
  as?: A;
}

/** An input that succeeded. Times are `performance.now()` milliseconds. */
export interface GatherSuccess<T> {
  ok: true;
  /** The body, read as the `as` option says. */
  value: T;
  /** The input's position. */
  index: number;
  /** How many attempts it took (1 when not retried). */
  attempts: number;
  /** When it started. */
  startMs: number;
  /** When it completed. */
  endMs: number;
}

/** An input that failed, or was cancelled. Times are `performance.now()` milliseconds. */
export interface GatherFailure {
  ok: false;
  /** Why. */
  error: FanoutError;
  /** The input's position. */
  index: number;
  /** When it started, or `null` if it was never sent. */
  startMs: number | null;
  /** When it failed. */
  endMs: number;
}

/** The settled result of one `gather` input. */
export type GatherResult<T> = GatherSuccess<T> | GatherFailure;

export interface Client {
  /**
   * Sends many requests at once and settles each in its place: the result
   * array is in input order, and the promise never rejects for a request
   * failure. Bodies are parsed as JSON unless `as` says otherwise.
   *
   * ```js
   * const results = await client.gather(['posts/1', 'posts/2'], { limit: 4 });
   * for (const r of results) console.log(r.ok ? r.value : r.error.name);
   * ```
   */
  gather<T = unknown>(inputs: Iterable<GatherInput>, options?: GatherOptions<'json'>): Promise<GatherResult<T>[]>;
  gather(inputs: Iterable<GatherInput>, options: GatherOptions<'text'>): Promise<GatherResult<string>[]>;
  gather(inputs: Iterable<GatherInput>, options: GatherOptions<'bytes'>): Promise<GatherResult<Uint8Array>[]>;
  gather(inputs: Iterable<GatherInput>, options: GatherOptions<'response'>): Promise<GatherResult<FanoutResponse>[]>;
  gather(inputs: Iterable<GatherInput>, options?: GatherOptions): Promise<GatherResult<unknown>[]>;
  /**
   * Server-Sent Events over `fetch` (so headers, a body and the client's
   * settings apply): an async iterator of events that reconnects with
   * `Last-Event-ID` after a dropped connection, waiting the server's
   * `retry:` delay (capped, with backoff). The connection opens on the
   * first `next()`. `timeoutMs` covers each connection until its headers,
   * not the open stream. It ends with an error on a response that is not a
   * 200 `text/event-stream` (a 204 is an `HTTPError` with `status` 204),
   * and with an `AbortError` when `signal` fires. Leaving the loop aborts
   * the fetch.
   *
   * ```js
   * for await (const { event, data, id } of client.sse('sse?count=3')) console.log(event, id, data);
   * ```
   */
  sse(path: string | URL, options?: SseOptions): FanoutStream<ServerSentEvent>;
}

export interface FanoutResponse {
  /** The status code, such as `200`. */
  readonly status: number;
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The reason phrase the server sent (often empty over HTTP/2). */
  readonly statusText: string;
  /** The final URL, after redirects. */
  readonly url: string;
  /** The request method, such as `'GET'`. */
  readonly method: string;
  /** How many attempts it took (1 when not retried). */
  readonly attempts: number;
  /**
   * The response headers as a frozen plain object with lowercase names
   * (`response.headers['content-type']`). A cross-origin response shows
   * only the CORS-safelisted headers and those the server exposes.
   */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * One header's value by case-insensitive name, or `undefined`
   * (several values joined by `, `).
   */
  header(name: string): string | undefined;
  /**
   * Whether the body has been read (or is being read), or the response
   * freed. Always `false` for a response without a body (HEAD, 204, 304),
   * which reads as empty.
   */
  readonly bodyUsed: boolean;
  /** Reads the body as text (UTF-8; invalid bytes are replaced). */
  text(): Promise<string>;
  /** Reads the body as bytes. */
  bytes(): Promise<Uint8Array>;
  /**
   * Reads the body and parses it with `JSON.parse`. Rejects with a
   * `DecodeError` (with `url` and `method`) if it is not JSON. `T` is not
   * checked: it only types the result.
   */
  json<T = unknown>(): Promise<T>;
  /**
   * The body's lines (ended by `\n` or `\r\n`, UTF-8 decoded as they
   * arrive) as an async iterator. Leaving the loop aborts the download.
   */
  lines(): FanoutStream<string>;
  /**
   * The body as newline-delimited JSON: an async iterator of the values
   * (`JSON.parse` of each non-blank line). A bad line ends it with a
   * `DecodeError` naming the line, unless `onBadLine` is given.
   */
  jsonLines<T = unknown>(options?: JsonLinesOptions): FanoutStream<T>;
}
"#;

// ---------------------------------------------------------------------------
// Errors and option parsing
// ---------------------------------------------------------------------------

/// A bad argument: `name` `TypeError` on the JS side.
fn type_error(message: impl Into<String>) -> Error {
    Error::builder(message)
}

// The error classes: `FanoutError` (extends `Error`) and its subclasses,
// exported as classes so that `instanceof` works in every build. They are
// wasm-bindgen classes (nothing is evaluated, so a strict CSP is fine)
// whose prototypes are chained at first use: `HTTPError.prototype` →
// `FanoutError.prototype` → `Error.prototype`. An error keeps the JS
// `Error` the library makes (message, stack, fields); only its prototype
// is set. Their constructors are not for calling.

/// The base class of every error fanout throws or rejects with.
#[wasm_bindgen(js_name = FanoutError, skip_typescript)]
pub struct FanoutErrorClass {
    _unused: u8,
}

/// A 4xx or 5xx status while `throwHttpErrors` is on.
#[wasm_bindgen(js_name = HTTPError, skip_typescript)]
pub struct HttpErrorClass {
    _unused: u8,
}

/// `timeoutMs` or `totalTimeoutMs` elapsed.
#[wasm_bindgen(js_name = TimeoutError, skip_typescript)]
pub struct TimeoutErrorClass {
    _unused: u8,
}

/// No response: a refused or dropped connection, DNS, CORS.
#[wasm_bindgen(js_name = NetworkError, skip_typescript)]
pub struct NetworkErrorClass {
    _unused: u8,
}

/// A body that is not the JSON it should be.
#[wasm_bindgen(js_name = DecodeError, skip_typescript)]
pub struct DecodeErrorClass {
    _unused: u8,
}

/// The prototypes of the error classes, chained.
struct ErrorProtos {
    base: Object,
    http: Object,
    timeout: Object,
    network: Object,
    decode: Object,
}

impl ErrorProtos {
    fn new() -> ErrorProtos {
        let proto = |v: JsValue| Object::get_prototype_of(&v);
        let base = proto(FanoutErrorClass { _unused: 0 }.into());
        Object::set_prototype_of(&base, &proto(js_sys::Error::new("").into()));
        let sub = |v: JsValue| {
            let p = proto(v);
            Object::set_prototype_of(&p, &base);
            p
        };
        ErrorProtos {
            http: sub(HttpErrorClass { _unused: 0 }.into()),
            timeout: sub(TimeoutErrorClass { _unused: 0 }.into()),
            network: sub(NetworkErrorClass { _unused: 0 }.into()),
            decode: sub(DecodeErrorClass { _unused: 0 }.into()),
            base,
        }
    }
}

thread_local! {
    static ERROR_PROTOS: ErrorProtos = ErrorProtos::new();
}

/// Chains the error classes' prototypes as the module starts, so that
/// they are in place before the first error.
#[wasm_bindgen(start)]
fn start() {
    ERROR_PROTOS.with(|_| ());
    RESPONSE_CLASS.with(|_| ());
}

/// `wasm_bindgen_futures::future_to_promise`, with the future boxed first:
/// its task keeps the future it is given and the one it awaits side by
/// side, so an unboxed request future (several KB) would be stored twice
/// in every task.
fn promise(
    future: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
) -> Promise {
    wasm_bindgen_futures::future_to_promise(Box::pin(future))
}

/// An [`Error`] as the JS error fanout rejects with: an instance of its
/// class (`HTTPError`, ... or `FanoutError` for `AbortError` and
/// `TypeError`, which keep their `name`).
fn js_error(e: Error) -> JsValue {
    if let Some(thrown) = thrown_value(&e) {
        return thrown;
    }
    let name = e.js_name();
    let value = JsValue::from(e);
    ERROR_PROTOS.with(|p| {
        let proto = match name {
            "HTTPError" => &p.http,
            "TimeoutError" => &p.timeout,
            "NetworkError" => &p.network,
            "DecodeError" => &p.decode,
            _ => &p.base,
        };
        Object::set_prototype_of(value.unchecked_ref::<Object>(), proto);
    });
    value
}

/// The message of a thrown JS value: an `Error`'s `message`, or the value
/// as a string.
fn js_message(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return err.message().into();
    }
    value
        .as_string()
        .or_else(|| json_stringify(value).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown JavaScript error".to_owned())
}

/// A short description of a value for error messages.
fn describe(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if let Some(s) = value.as_string() {
        let short: String = s.chars().take(40).collect();
        format!("{short:?}")
    } else if value.as_f64().is_some() {
        number_string(value)
    } else if let Some(b) = value.as_bool() {
        format!("{b}")
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        match kind.as_str() {
            "object" => "an object".into(),
            "function" | "undefined" => kind.clone(),
            _ => format!("a {kind}"),
        }
    }
}

/// A JS number as JS writes it (`String(n)`), without Rust's float
/// formatting code in the wasm.
fn number_string(value: &JsValue) -> String {
    value
        .unchecked_ref::<js_sys::Number>()
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// The property names of a plain object (string keys only).
fn own_keys(obj: &JsValue, what: &str) -> Result<Vec<String>, Error> {
    let keys =
        Reflect::own_keys(obj).map_err(|e| type_error(format!("{what}: {}", js_message(&e))))?;
    Ok(keys.iter().filter_map(|k| k.as_string()).collect())
}

fn get(obj: &JsValue, key: &str, what: &str) -> Result<JsValue, Error> {
    Reflect::get(obj, &JsValue::from_str(key))
        .map_err(|e| type_error(format!("{what}.{key}: {}", js_message(&e))))
}

/// The fields of an options object. `undefined` and `null` mean "not set"
/// (for the object itself and for each field); an unknown field name is a
/// `TypeError`, so a typo such as `timeout` for `timeoutMs` is not ignored.
struct Fields {
    obj: Option<JsValue>,
    /// What the object is, for messages: `Client options`,
    /// `request options.retry`, ...
    what: String,
}

impl Fields {
    fn new(value: &JsValue, what: impl Into<String>, allowed: &[&[&str]]) -> Result<Fields, Error> {
        let what = what.into();
        if value.is_undefined() || value.is_null() {
            return Ok(Fields { obj: None, what });
        }
        if !value.is_object() || Array::is_array(value) {
            return Err(type_error(format!(
                "{what} must be an object, not {}",
                describe(value)
            )));
        }
        for key in own_keys(value, &what)? {
            if !allowed.iter().any(|names| names.contains(&key.as_str())) {
                return Err(type_error(format!(
                    "unknown option {key:?} in {what} (known: {})",
                    allowed.concat().join(", ")
                )));
            }
        }
        Ok(Fields {
            obj: Some(value.clone()),
            what,
        })
    }

    /// The raw value, `undefined` when absent (`null` is kept).
    fn raw(&self, key: &str) -> Result<JsValue, Error> {
        match &self.obj {
            Some(obj) => get(obj, key, &self.what),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    fn get(&self, key: &str) -> Result<Option<JsValue>, Error> {
        let v = self.raw(key)?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    fn bad(&self, key: &str, expected: &str, got: &JsValue) -> Error {
        type_error(format!(
            "{}.{key} must be {expected}, not {}",
            self.what,
            describe(got)
        ))
    }

    fn function(&self, key: &str) -> Result<Option<Function>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v
                .dyn_into::<Function>()
                .map(Some)
                .map_err(|v| self.bad(key, "a function", &v)),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.bad(key, "a boolean", &v)),
        }
    }

    fn number(
        &self,
        key: &str,
        expected: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<Option<f64>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n.is_finite() && ok(n) => Ok(Some(n)),
                _ => Err(self.bad(key, expected, &v)),
            },
        }
    }

    /// Milliseconds as a `Duration`: positive (or zero if `zero_ok`), at
    /// most 2^31 - 1 (the longest `setTimeout`).
    fn ms(&self, key: &str, zero_ok: bool) -> Result<Option<Duration>, Error> {
        let expected = if zero_ok {
            "a number of milliseconds (0 to 2147483647)"
        } else {
            "a positive number of milliseconds (at most 2147483647)"
        };
        let n = self.number(key, expected, |n| {
            (if zero_ok { n >= 0.0 } else { n > 0.0 }) && n <= 2_147_483_647.0
        })?;
        Ok(n.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok()))
    }

    /// A whole number in `min..=max`.
    fn int(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, Error> {
        let expected = if min >= 1.0 {
            "a positive integer"
        } else {
            "a non-negative integer"
        };
        self.number(key, expected, |n| n.fract() == 0.0 && n >= min && n <= max)
    }

    fn count(&self, key: &str) -> Result<Option<usize>, Error> {
        Ok(self
            .int(key, 1.0, u32::MAX as f64)?
            .map(|n| usize::try_from(n as u32).unwrap_or(usize::MAX)))
    }

    fn bytes(&self, key: &str) -> Result<Option<u64>, Error> {
        Ok(self
            .int(key, 0.0, 9_007_199_254_740_991.0)?
            .map(|n| n as u64))
    }

    /// One of the strings of `choices`, as its value.
    fn one_of<T: Copy>(&self, key: &str, choices: &[(&str, T)]) -> Result<Option<T>, Error> {
        let Some(v) = self.get(key)? else {
            return Ok(None);
        };
        let s = v.as_string();
        if let Some(&(_, value)) = choices.iter().find(|(name, _)| Some(*name) == s.as_deref()) {
            return Ok(Some(value));
        }
        let names: Vec<String> = choices
            .iter()
            .map(|(name, _)| format!("'{name}'"))
            .collect();
        let expected = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => "nothing".into(),
        };
        Err(self.bad(key, &expected, &v))
    }

    /// The name of a field, for a nested object's messages.
    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.what)
    }
}

/// A scalar as the string a header or query value gets.
fn scalar(value: &JsValue, what: &str) -> Result<String, Error> {
    if let Some(s) = value.as_string() {
        return Ok(s);
    }
    if let Some(b) = value.as_bool() {
        return Ok(b.to_string());
    }
    if let Some(n) = value.as_f64() {
        if n.is_finite() {
            return Ok(number_string(value));
        }
    } else if value.is_bigint() {
        if let Ok(s) = value.unchecked_ref::<js_sys::BigInt>().to_string(10) {
            return Ok(String::from(s));
        }
    }
    Err(type_error(format!(
        "{what} must be a string, number or boolean, not {}",
        describe(value)
    )))
}

/// Name/value pairs from an object, or from an iterable of pairs (a
/// `Headers`, `Map`, `URLSearchParams` or array). With `arrays`, an object
/// value that is an array repeats its key; `undefined` values are skipped.
fn pairs(value: &JsValue, what: &str, arrays: bool) -> Result<Vec<(String, String)>, Error> {
    let err = |e: JsValue| type_error(format!("{what}: {}", js_message(&e)));
    if !value.is_object() {
        return Err(type_error(format!(
            "{what} must be an object or an iterable of [name, value] pairs, not {}",
            describe(value)
        )));
    }
    let mut out = Vec::new();
    if let Some(iter) = js_sys::try_iter(value).map_err(err)? {
        for entry in iter {
            let entry = entry.map_err(err)?;
            if !Array::is_array(&entry) {
                return Err(type_error(format!(
                    "{what} must hold [name, value] pairs, not {}",
                    describe(&entry)
                )));
            }
            let entry: Array = entry.unchecked_into();
            if entry.length() != 2 {
                return Err(type_error(format!(
                    "{what} must hold [name, value] pairs, not an array of {}",
                    entry.length()
                )));
            }
            let name = scalar(&entry.get(0), what)?;
            let value = scalar(&entry.get(1), &format!("{what}[{name:?}]"))?;
            out.push((name, value));
        }
        return Ok(out);
    }
    for name in own_keys(value, what)? {
        let v = get(value, &name, what)?;
        let field = format!("{what}.{name}");
        if v.is_undefined() {
            continue;
        }
        if arrays && Array::is_array(&v) {
            for item in v.unchecked_ref::<Array>().iter() {
                out.push((name.clone(), scalar(&item, &field)?));
            }
        } else {
            out.push((name.clone(), scalar(&v, &field)?));
        }
    }
    Ok(out)
}

/// A URL argument: a string, or a `URL` (anything with a string `href`).
fn url_arg(value: &JsValue, what: &str) -> Result<String, Error> {
    if let Some(s) = value.as_string() {
        return Ok(s);
    }
    if value.is_object() {
        if let Some(href) = get(value, "href", what)?.as_string() {
            return Ok(href);
        }
    }
    Err(type_error(format!(
        "{what} must be a string or a URL, not {}",
        describe(value)
    )))
}

const RETRY_KEYS: &[&str] = &[
    "limit",
    "backoffMs",
    "maxBackoffMs",
    "jitter",
    "retryOnTimeout",
    "statuses",
    "maxRetryAfterMs",
];

/// `retry`: a number of retries, a boolean, or a `RetryOptions` object.
fn retry(value: &JsValue, what: &str) -> Result<Retry, Error> {
    if let Some(b) = value.as_bool() {
        return Ok(if b { Retry::new() } else { Retry::none() });
    }
    let n = value.as_f64();
    if let Some(n) = n.filter(|n| n.fract() == 0.0 && (0.0..=1000.0).contains(n)) {
        return Ok(Retry::new().limit(n as u32));
    }
    if n.is_some() || !value.is_object() || Array::is_array(value) {
        return Err(type_error(format!(
            "{what} must be a number of retries (0 to 1000), a boolean or an object, not {}",
            describe(value)
        )));
    }
    let f = Fields::new(value, what, &[RETRY_KEYS])?;
    let mut r = Retry::new();
    if let Some(n) = f.int("limit", 0.0, 1000.0)? {
        r = r.limit(n as u32);
    }
    let base = f.ms("backoffMs", true)?;
    let cap = f.ms("maxBackoffMs", true)?;
    if base.is_some() || cap.is_some() {
        let base = base.unwrap_or(Duration::from_millis(300));
        let cap = cap.unwrap_or_else(|| base.max(Duration::from_secs(10)));
        r = r.backoff(base, cap);
    }
    if let Some(b) = f.bool("jitter")? {
        r = r.jitter(b);
    }
    if let Some(b) = f.bool("retryOnTimeout")? {
        r = r.retry_on_timeout(b);
    }
    if let Some(d) = f.ms("maxRetryAfterMs", true)? {
        r = r.max_retry_after(d);
    }
    if let Some(v) = f.get("statuses")? {
        if !Array::is_array(&v) {
            return Err(f.bad("statuses", "an array of status codes", &v));
        }
        let mut statuses = Vec::new();
        for s in v.unchecked_ref::<Array>().iter() {
            match s.as_f64() {
                Some(n) if n.fract() == 0.0 && (100.0..=599.0).contains(&n) => {
                    statuses.push(n as u16)
                }
                _ => return Err(f.bad("statuses", "an array of status codes (100-599)", &s)),
            }
        }
        r = r.statuses(statuses);
    }
    Ok(r)
}

// ---------------------------------------------------------------------------
// The shared settings: fanout::Options
// ---------------------------------------------------------------------------

/// The keys of the settings a client and a request share: the fields of
/// [`fanout::Options`], by their JS names. [`parse_options`] reads each;
/// `SharedOptions` in the TypeScript declarations documents them.
const OPTION_KEYS: &[&str] = &[
    "timeoutMs",
    "totalTimeoutMs",
    "retry",
    "maxBodySize",
    "throwHttpErrors",
    "credentials",
    "cache",
    "redirect",
];

/// The shared settings of a `Client`'s options, a request's options or a
/// gather input, as a [`fanout::Options`] for `ClientBuilder::options` or
/// `RequestBuilder::options`. The one place where a JS option name maps
/// onto a library option.
fn parse_options(f: &Fields) -> Result<Options, Error> {
    let mut o = Options::new();
    o.timeout = f.ms("timeoutMs", false)?;
    o.total_timeout = f.ms("totalTimeoutMs", false)?;
    o.retry = match f.get("retry")? {
        Some(v) => Some(retry(&v, &f.field("retry"))?),
        None => None,
    };
    o.max_body_size = f.bytes("maxBodySize")?;
    o.error_for_status = f.bool("throwHttpErrors")?;
    o.credentials = f.one_of(
        "credentials",
        &[
            ("omit", Credentials::Omit),
            ("same-origin", Credentials::SameOrigin),
            ("include", Credentials::Include),
        ],
    )?;
    o.cache = f.one_of(
        "cache",
        &[
            ("default", CacheMode::Default),
            ("no-store", CacheMode::NoStore),
            ("reload", CacheMode::Reload),
            ("no-cache", CacheMode::NoCache),
            ("force-cache", CacheMode::ForceCache),
            ("only-if-cached", CacheMode::OnlyIfCached),
        ],
    )?;
    o.redirect = f.one_of(
        "redirect",
        &[
            ("follow", Redirect::Follow),
            ("error", Redirect::Error),
            ("manual", Redirect::Manual),
        ],
    )?;
    Ok(o)
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// The keys of a request's own options, besides [`OPTION_KEYS`].
const REQUEST_KEYS: &[&str] = &[
    "headers",
    "query",
    "json",
    "body",
    "signal",
    "onDownloadProgress",
    "hooks",
    "onUploadProgress",
];

/// A request body, read from the options when the request is made.
#[derive(Clone)]
enum Payload {
    Json(String),
    Text(String),
    Bytes(Vec<u8>),
    Form(FormData),
    Params(String),
}

/// One request, checked and copied out of its JS options.
struct Spec {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Option<Payload>,
    signal: Option<AbortSignal>,
    /// `onDownloadProgress`.
    on_download: Option<Function>,
    /// `onUploadProgress`.
    on_upload: Option<Function>,
    /// `throwHttpErrors`, checked by the binding (see [`raise_for_status`]).
    throw_http: Option<bool>,
    /// `hooks`: the library's, added after the client's.
    hooks: Option<fanout::Hooks>,
    /// `hooks.beforeError`, run after the client's.
    before_error: Vec<Function>,
    /// The shared settings; those unset fall back to the client's.
    options: Options,
}

impl Spec {
    fn parse(client: &Session, method: Method, path: String, f: &Fields) -> Result<Spec, Error> {
        Spec::parse_fields(method, path.clone(), f).map_err(|e| {
            let url = client.resolve(&path).unwrap_or(path);
            e.with_request(method, &url)
        })
    }

    fn parse_fields(method: Method, path: String, f: &Fields) -> Result<Spec, Error> {
        let what = &f.what;
        let headers = match f.get("headers")? {
            Some(v) => pairs(&v, &f.field("headers"), false)?,
            None => Vec::new(),
        };
        let query = match f.get("query")? {
            Some(v) => pairs(&v, &f.field("query"), true)?,
            None => Vec::new(),
        };
        let json = f.raw("json")?;
        let body = f.get("body")?;
        let body = match (json.is_undefined(), body) {
            (false, Some(_)) => {
                return Err(type_error(format!(
                    "{what} can have json or body, not both"
                )))
            }
            (false, None) => {
                let text = json_stringify(&json)
                    .map_err(|e| type_error(format!("{what}.json: {}", js_message(&e))))?;
                match text.as_string() {
                    Some(s) => Some(Payload::Json(s)),
                    None => return Err(f.bad("json", "a value JSON.stringify can encode", &json)),
                }
            }
            (true, Some(b)) => Some(body_input(&b, f)?),
            (true, None) => None,
        };
        let signal = match f.get("signal")? {
            None => None,
            Some(v) => Some(
                v.dyn_into::<AbortSignal>()
                    .map_err(|v| f.bad("signal", "an AbortSignal", &v))?,
            ),
        };
        let on_download = f.function("onDownloadProgress")?;
        let on_upload = f.function("onUploadProgress")?;
        let mut options = parse_options(f)?;
        let (hooks, before_error) = match f.get("hooks")? {
            None => (None, Vec::new()),
            Some(v) => {
                let options = f.obj.clone().unwrap_or(JsValue::UNDEFINED);
                let h = parse_hooks(&v, &f.field("hooks"), &options)?;
                (Some(h.lib), h.before_error)
            }
        };
        Ok(Spec {
            hooks,
            before_error,
            headers,
            query,
            body,
            signal,
            on_download,
            on_upload,
            throw_http: options.error_for_status.take(),
            options,
            ..Spec::new(method, path)
        })
    }

    /// A request with no options.
    fn new(method: Method, path: String) -> Spec {
        Spec {
            method,
            path,
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
            signal: None,
            on_download: None,
            on_upload: None,
            throw_http: None,
            hooks: None,
            before_error: Vec::new(),
            options: Options::new(),
        }
    }

    /// Attaches `onDownloadProgress` to the response; `true` if it did (the
    /// body must then be read by fanout's Rust readers, which report).
    fn progress(&self, resp: fanout::Response) -> (fanout::Response, bool) {
        match &self.on_download {
            None => (resp, false),
            Some(f) => {
                let f = f.clone();
                (resp.on_progress(move |t| transfer_progress(&f, t)), true)
            }
        }
    }

    /// The absolute URL, for errors that happen outside the request.
    fn url(&self, client: &Session) -> String {
        client
            .resolve(&self.path)
            .unwrap_or_else(|_| self.path.clone())
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn builder(&self, client: &Session) -> RequestBuilder {
        self.apply(client.request(self.method, &self.path))
    }

    /// Everything but the method and the path, onto `b`.
    fn apply(&self, b: RequestBuilder) -> RequestBuilder {
        let mut b = b.headers(self.headers.iter().cloned());
        if !self.query.is_empty() {
            b = b.query(&self.query);
        }
        let typed = |b: RequestBuilder, ct: &str| {
            if self.has_header("content-type") {
                b
            } else {
                b.header("content-type", ct)
            }
        };
        b = match &self.body {
            None => b,
            Some(Payload::Json(s)) => typed(b, "application/json").text(s.as_str()),
            Some(Payload::Text(s)) => b.text(s.as_str()),
            Some(Payload::Bytes(v)) => b.bytes(v.clone()),
            Some(Payload::Form(form)) => b.form_data(form),
            Some(Payload::Params(s)) => {
                typed(b, "application/x-www-form-urlencoded;charset=UTF-8").text(s.as_str())
            }
        };
        if let Some(s) = &self.signal {
            b = b.abort_signal(s);
        }
        if let Some(h) = &self.hooks {
            b = b.hooks(h.clone());
        }
        if let Some(f) = &self.on_upload {
            let f = f.clone();
            b = b.on_upload_progress(move |t| transfer_progress(&f, t));
        }
        // The binding turns a 4xx or 5xx into an `HTTPError` itself, with
        // the body as `data` (see `raise_for_status`).
        let mut options = self.options.clone();
        options.error_for_status = Some(false);
        b.options(options)
    }
}

fn body_input(value: &JsValue, f: &Fields) -> Result<Payload, Error> {
    if let Some(s) = value.as_string() {
        return Ok(Payload::Text(s));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(Payload::Bytes(bytes.to_vec()));
    }
    if let Some(buf) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Payload::Bytes(Uint8Array::new(buf).to_vec()));
    }
    if let Some(form) = value.dyn_ref::<FormData>() {
        return Ok(Payload::Form(form.clone()));
    }
    if let Some(params) = value.dyn_ref::<UrlSearchParams>() {
        return Ok(Payload::Params(params.to_string().into()));
    }
    Err(f.bad(
        "body",
        "a string, Uint8Array, ArrayBuffer, FormData or URLSearchParams",
        value,
    ))
}

/// How a body is handed to JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum As {
    Json,
    Text,
    Bytes,
    Response,
}

/// A body that the client's or request's `maxBodySize` caps is read by
/// fanout's Rust readers, which apply the cap; an uncapped one is handed
/// to JS as the platform reads it, without a copy into wasm memory.
async fn read_text(resp: fanout::Response, rust: bool) -> Result<JsValue, Error> {
    if rust || resp.max_body_size().is_some() {
        return Ok(JsValue::from_str(&resp.text().await?));
    }
    resp.read_with(|raw| raw.text()).await
}

async fn read_bytes(resp: fanout::Response, rust: bool) -> Result<JsValue, Error> {
    if rust || resp.max_body_size().is_some() {
        return Ok(Uint8Array::from(&resp.bytes().await?[..]).into());
    }
    let buf = resp.read_with(|raw| raw.array_buffer()).await?;
    Ok(Uint8Array::new(&buf).into())
}

/// `owner`: the `FanoutResponse` being read, if there is one: the error of
/// a body that does not parse names its request from it (read back only
/// then); without one, the URL is taken from `resp` before the read.
async fn read_json(
    resp: fanout::Response,
    rust: bool,
    owner: Option<JsValue>,
) -> Result<JsValue, Error> {
    let (method, attempts) = (resp.method(), resp.attempts());
    let url = match owner {
        Some(_) => None,
        None => Some(resp.url()),
    };
    let text = read_text(resp, rust).await?;
    json_parse(&text).map_err(|e| {
        let body_start = text
            .dyn_ref::<JsString>()
            .map(|s| String::from(s.slice(0, 120)))
            .unwrap_or_default();
        let error = decode_error(&js_message(&e), body_start);
        match (url, owner) {
            (Some(url), _) => error.with_request(method, &url).with_attempts(attempts),
            (None, owner) => {
                let (_, url, _) = owner_request(&owner.unwrap_or_default());
                error.with_request(method, &url).with_attempts(attempts)
            }
        }
    })
}

fn decode_error(message: &str, body_start: String) -> Error {
    Error::decode(format!("invalid JSON: {message}"), body_start)
}

/// Reads the body as `how` says; `rust`: with fanout's Rust readers
/// (which report download progress).
async fn read_as(
    resp: fanout::Response,
    how: As,
    rust: bool,
    owner: Option<JsValue>,
) -> Result<JsValue, Error> {
    Ok(match how {
        As::Json => read_json(resp, rust, owner).await?,
        As::Text => read_text(resp, rust).await?,
        As::Bytes => read_bytes(resp, rust).await?,
        As::Response => js_response(resp, rust),
    })
}

/// A failed request as JS sees it: the [`Error`], and for an `HTTPError`
/// raised by [`raise_for_status`] its `response` and `data`.
struct Failure {
    error: Error,
    /// `(response, data)`.
    http: Option<(JsValue, JsValue)>,
    /// The JS error already made (and passed through `beforeError`).
    js: Option<JsValue>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            http: None,
            js: None,
        }
    }
}

impl From<fanout::Cancelled> for Failure {
    fn from(c: fanout::Cancelled) -> Failure {
        Error::from(c).into()
    }
}

impl Failure {
    fn into_js(self) -> JsValue {
        if let Some(js) = self.js {
            return js;
        }
        let value = js_error(self.error);
        if let Some((response, data)) = self.http {
            set(value.unchecked_ref(), "response", &response);
            set(value.unchecked_ref(), "data", &data);
        }
        value
    }
}

/// `throwHttpErrors`: a 4xx or 5xx response becomes an `HTTPError` with
/// `response` (a `FanoutResponse` whose body was read) and `data`: the body
/// parsed as JSON when its `content-type` says JSON (and it parses), else
/// its text; `undefined` if it could not be read.
async fn raise_for_status(
    resp: fanout::Response,
    throw: bool,
    rust: bool,
) -> Result<fanout::Response, Failure> {
    let status = resp.status();
    if !throw || !(400..600).contains(&status) {
        return Ok(resp);
    }
    let error = Error::from_status(status, &resp.status_text())
        .with_request(resp.method(), &resp.url())
        .with_attempts(resp.attempts());
    let json = resp
        .headers()
        .get("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    // The response the error carries, its body read here (or none).
    let empty = resp.as_raw().is_some() && null_body(&resp);
    let mut head = ResponseHead::of(&resp);
    // No body for the JS side to ask the URL of, if the platform's is empty.
    head.url = resp.url().into();
    let body = if empty {
        JsValue::UNDEFINED
    } else {
        JsValue::NULL
    };
    let response = head.into_js(&body);
    let data = if empty {
        JsValue::UNDEFINED
    } else {
        match read_text(resp, rust).await {
            Ok(text) if json => json_parse(&text).unwrap_or(text),
            Ok(text) => text,
            Err(_) => JsValue::UNDEFINED,
        }
    };
    Err(Failure {
        error,
        http: Some((response, data)),
        js: None,
    })
}

/// A `client.get(...)` promise with `json()`, `text()` and `bytes()` (ky's
/// `ResponsePromise`): each awaits the response and reads its body, so
/// `await client.get(u).json()` is the body and `await client.get(u)` still
/// the response. Works on whatever the promise resolves to that has the
/// method (a `FanoutResponse`, or a platform `Response` a hook returned).
fn response_promise(promise: Promise) -> Promise {
    // The methods are made in JS (`src/response.js`): one call from here.
    response_promise_js(&promise);
    promise
}

// ---------------------------------------------------------------------------
// Hooks: ky's `hooks` option over the library's async hooks
// ---------------------------------------------------------------------------

const HOOK_KEYS: &[&str] = &[
    "beforeRequest",
    "afterResponse",
    "beforeRetry",
    "beforeError",
];

/// A value a hook threw (or its promise rejected with), kept on the JS
/// side until the request's error reaches JS, which then rejects with
/// that very value: ky's behaviour, so nothing about it is lost. The
/// library's `Error` (which must stay `Send`) carries only the key.
#[derive(Debug)]
struct HookThrew(u32);

impl std::fmt::Display for HookThrew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a hook threw")
    }
}

impl std::error::Error for HookThrew {}

thread_local! {
    /// Values hooks threw, by key; the oldest dropped past 256 (an error
    /// that never reaches JS, for example one a Rust hook replaced).
    static THROWN: RefCell<(u32, Vec<(u32, JsValue)>)> = const { RefCell::new((0, Vec::new())) };
    /// What `retry()` returns: an `afterResponse` hook returns it to ask
    /// for a retry.
    static RETRY_MARKER: Object = {
        let marker = Object::new();
        set(&marker, "retry", &JsValue::TRUE);
        Object::freeze(&marker)
    };
}

/// The error a request ends with when hook `name` threw `value`: a
/// `TypeError`-named error whose message says so, which becomes `value`
/// itself when it reaches JS.
fn hook_error(name: &str, value: JsValue) -> Error {
    let message = format!("{name} hook threw: {}", js_message(&value));
    let key = THROWN.with(|t| {
        let (next, list) = &mut *t.borrow_mut();
        *next = next.wrapping_add(1);
        if list.len() >= 256 {
            list.remove(0);
        }
        list.push((*next, value));
        *next
    });
    type_error(message).with_source(HookThrew(key))
}

/// The value a hook threw, if `e` is the error it made (taken out once).
fn thrown_value(e: &Error) -> Option<JsValue> {
    let key = std::error::Error::source(e)?.downcast_ref::<HookThrew>()?.0;
    THROWN.with(|t| {
        let list = &mut t.borrow_mut().1;
        let at = list.iter().position(|(k, _)| *k == key)?;
        Some(list.remove(at).1)
    })
}

/// Asks for a retry when returned by an `afterResponse` hook (ky's
/// `ky.retry()`): the request is sent again like one that got a 503,
/// counted against the retry limit and announced to `beforeRetry`.
///
/// ```js
/// import { Client, retry } from 'fanout';
/// const client = new Client({ hooks: { afterResponse: [
///   async (request, options, response) => (response.status === 202 ? retry() : undefined),
/// ] } });
/// ```
#[wasm_bindgen(js_name = retry, unchecked_return_type = "RetryMarker")]
pub fn retry_marker() -> JsValue {
    RETRY_MARKER.with(|m| m.clone().into())
}

/// Calls hook `f` with `args` and awaits what it returns (a promise or a
/// plain value); a throw or a rejection is the request's error.
async fn call_hook(name: &str, f: &Function, args: &Array) -> Result<JsValue, Error> {
    let out = f
        .apply(&JsValue::UNDEFINED, args)
        .map_err(|e| hook_error(name, e))?;
    if !out.has_type::<Promise>() && !out.is_object() {
        return Ok(out);
    }
    wasm_bindgen_futures::JsFuture::from(Promise::resolve(&out))
        .await
        .map_err(|e| hook_error(name, e))
}

/// The request as a hook sees it: `{ method, url, headers }`, with
/// `headers` a `Headers`. A hook may set `url` and change `headers`;
/// [`read_back`] copies them into the request.
fn hook_request(req: &fanout::Request) -> Result<Object, Error> {
    let obj = Object::new();
    set(&obj, "method", &JsValue::from_str(req.method().as_str()));
    set(&obj, "url", &JsValue::from_str(req.url()));
    let headers = web_sys::Headers::new().map_err(|e| type_error(js_message(&e)))?;
    for (name, value) in req.headers() {
        headers
            .append(name, value)
            .map_err(|e| type_error(format!("header {name:?}: {}", js_message(&e))))?;
    }
    set(&obj, "headers", &headers);
    Ok(obj)
}

/// Copies a hook's changes to `url` and `headers` into the request.
fn read_back(name: &str, obj: &Object, req: &mut fanout::Request) -> Result<(), Error> {
    let what = format!("{name} hook's request");
    let url = get(obj, "url", &what)?;
    match url_arg(&url, &format!("{what}.url")) {
        Ok(u) if u != req.url() => req.set_url(u),
        Ok(_) => {}
        Err(e) => return Err(e),
    }
    let headers = get(obj, "headers", &what)?;
    let pairs = pairs(&headers, &format!("{what}.headers"), false)?;
    let names: Vec<String> = req.headers().iter().map(|(n, _)| n.clone()).collect();
    for n in names {
        req.remove_header(&n);
    }
    for (n, v) in pairs {
        req.append_header(n, v)?;
    }
    Ok(())
}

/// The response an `afterResponse` hook returned, or the action it asked for.
async fn after_response_action(value: JsValue) -> Result<fanout::Action, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(fanout::Action::Continue);
    }
    if RETRY_MARKER.with(|m| Object::is(&value, m)) {
        return Ok(fanout::Action::Retry);
    }
    if let Some(raw) = value.dyn_ref::<web_sys::Response>() {
        // A platform `Response` (`new Response(...)`): read into memory.
        let mut resp =
            fanout::Response::new(raw.status(), Vec::new()).with_status_text(raw.status_text());
        let body = match raw.array_buffer() {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
                .await
                .map_err(|e| hook_error("afterResponse", e))?,
            Err(e) => return Err(hook_error("afterResponse", e)),
        };
        let bytes = Uint8Array::new(&body).to_vec();
        let headers = pairs(
            &raw.headers().into(),
            "afterResponse hook's Response.headers",
            false,
        )?;
        resp = fanout::Response::new(raw.status(), bytes).with_status_text(resp.status_text());
        if !raw.url().is_empty() {
            resp = resp.with_url(raw.url());
        }
        for (n, v) in headers {
            resp = resp.with_header(n, v);
        }
        return Ok(fanout::Action::Replace(resp));
    }
    let body = take_body(&value);
    if body.is_object() {
        return match JsBody::try_from_js_value(body) {
            Ok(b) => match b.take() {
                Some((resp, _)) => Ok(fanout::Action::Replace(resp)),
                None => Err(type_error("the body was already read")),
            },
            Err(_) => Err(type_error(
                "an afterResponse hook's FanoutResponse has no body",
            )),
        };
    }
    if body.is_undefined() {
        // A response without a body (HEAD, 204, 304).
        let get = |k: &'static str| Reflect::get(&value, &key_string(k)).unwrap_or_default();
        let status = get("status").as_f64().unwrap_or(200.0) as u16;
        return Ok(fanout::Action::Replace(
            fanout::Response::new(status, Vec::new())
                .with_status_text(get("statusText").as_string().unwrap_or_default())
                .with_url(get("url").as_string().unwrap_or_default()),
        ));
    }
    if body.is_null() {
        return Err(type_error(
            "an afterResponse hook returned a FanoutResponse whose body was read",
        ));
    }
    if body.as_f64() == Some(2.0) {
        return Err(type_error(
            "an afterResponse hook returned a FanoutResponse that was freed",
        ));
    }
    Err(type_error(format!(
        "an afterResponse hook must return undefined, a Response, a FanoutResponse or \
         retry(), not {}",
        describe(&value)
    )))
}

/// The hooks of a `hooks` option: the library's (`beforeRequest`,
/// `afterResponse`, `beforeRetry`, run in its pipeline) and the
/// `beforeError` functions, which the binding runs on the JS error.
/// `options` is the request's options object, handed to the hooks as ky
/// does.
struct JsHooks {
    lib: fanout::Hooks,
    before_error: Vec<Function>,
}

/// A hook list: a function or an array of functions.
fn hook_list(f: &Fields, key: &str) -> Result<Vec<Function>, Error> {
    let Some(v) = f.get(key)? else {
        return Ok(Vec::new());
    };
    if let Some(func) = v.dyn_ref::<Function>() {
        return Ok(vec![func.clone()]);
    }
    if !Array::is_array(&v) {
        return Err(f.bad(key, "a function or an array of functions", &v));
    }
    v.unchecked_ref::<Array>()
        .iter()
        .map(|h| {
            h.dyn_into::<Function>()
                .map_err(|h| f.bad(key, "an array of functions", &h))
        })
        .collect()
}

fn parse_hooks(value: &JsValue, what: &str, options: &JsValue) -> Result<JsHooks, Error> {
    let f = Fields::new(value, what, &[HOOK_KEYS])?;
    let options = if options.is_object() {
        options.clone()
    } else {
        Object::new().into()
    };
    let mut lib = fanout::Hooks::new();
    for h in hook_list(&f, "beforeRequest")? {
        let options = options.clone();
        lib = lib.before_request_async(move |mut req| {
            let (h, options) = (h.clone(), options.clone());
            async move {
                let obj = hook_request(&req)?;
                let out = call_hook("beforeRequest", &h, &Array::of2(&obj, &options)).await?;
                if !out.is_undefined() {
                    return Err(type_error(format!(
                        "a beforeRequest hook must return undefined (change request.url or \
                         request.headers instead), not {}",
                        describe(&out)
                    )));
                }
                read_back("beforeRequest", &obj, &mut req)?;
                Ok(req)
            }
        });
    }
    for h in hook_list(&f, "afterResponse")? {
        let options = options.clone();
        lib = lib.after_response_async(move |copy| {
            let (h, options) = (h.clone(), options.clone());
            async move {
                let req = fanout::Request::new(copy.method(), copy.url());
                let obj = hook_request(&req)?;
                let resp = js_response(copy, false);
                let out =
                    call_hook("afterResponse", &h, &Array::of3(&obj, &options, &resp)).await?;
                after_response_action(out).await
            }
        });
    }
    for h in hook_list(&f, "beforeRetry")? {
        let options = options.clone();
        lib = lib.before_retry_async(move |mut req, error, n| {
            let (h, options) = (h.clone(), options.clone());
            async move {
                let obj = hook_request(&req)?;
                let state = Object::new();
                set(&state, "request", &obj);
                set(&state, "options", &options);
                set(&state, "error", &js_error(error));
                set(&state, "retryCount", &JsValue::from(n));
                call_hook("beforeRetry", &h, &Array::of1(&state)).await?;
                read_back("beforeRetry", &obj, &mut req)?;
                Ok(req)
            }
        });
    }
    Ok(JsHooks {
        lib,
        before_error: hook_list(&f, "beforeError")?,
    })
}

/// Runs `beforeError` hooks (the client's, then the request's) on the
/// error a request rejects with; each gets the error so far and returns
/// the next (returning nothing keeps it). A hook that throws rejects with
/// what it threw.
async fn before_error(hooks: &[&[Function]], mut error: JsValue) -> JsValue {
    for h in hooks.iter().flat_map(|l| l.iter()) {
        let out = match h.call1(&JsValue::UNDEFINED, &error) {
            Ok(v) => wasm_bindgen_futures::JsFuture::from(Promise::resolve(&v)).await,
            Err(e) => Err(e),
        };
        error = match out {
            Ok(v) if v.is_undefined() => error,
            Ok(v) | Err(v) => v,
        };
    }
    error
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

/// The keys of a client's own options, besides [`OPTION_KEYS`].
const CLIENT_KEYS: &[&str] = &[
    "baseUrl",
    "headers",
    "limit",
    "limitPerHost",
    "allowCrossOriginHeaders",
    "dedupe",
    "auth",
    "hooks",
];

/// A client, its `throwHttpErrors` (default true) and its
/// `hooks.beforeError`.
fn build_client(options: &JsValue) -> Result<(Session, bool, Vec<Function>), Error> {
    let f = Fields::new(options, "Client options", &[CLIENT_KEYS, OPTION_KEYS])?;
    let mut opts = parse_options(&f)?;
    // Unlike the Rust client, a JS client rejects 4xx and 5xx responses
    // unless told otherwise (like ky); the binding does it, to attach the
    // body (`raise_for_status`).
    let throw_http = opts.error_for_status.take().unwrap_or(true);
    let mut b = Session::builder().error_for_status(false).options(opts);
    let mut base = None;
    if let Some(v) = f.get("baseUrl")? {
        let url = url_arg(&v, &f.field("baseUrl"))?;
        base = Some(url.clone());
        b = b.base_url(url);
    }
    if let Some(on) = f.bool("dedupe")? {
        b = b.dedupe(on);
    }
    if let Some(v) = f.get("auth")? {
        b = b.with(auth_refresh(&v, &f.field("auth"), base.as_deref())?);
    }
    if let Some(v) = f.get("headers")? {
        b = b.default_headers(pairs(&v, &f.field("headers"), false)?);
    }
    if let Some(n) = f.count("limit")? {
        b = b.limit(n);
    }
    if let Some(n) = f.count("limitPerHost")? {
        b = b.limit_per_host(n);
    }
    if let Some(on) = f.bool("allowCrossOriginHeaders")? {
        b = b.allow_cross_origin_default_headers(on);
    }
    let mut before_error = Vec::new();
    if let Some(v) = f.get("hooks")? {
        let h = parse_hooks(&v, &f.field("hooks"), options)?;
        b = b.hooks(h.lib);
        before_error = h.before_error;
    }
    Ok((b.build()?, throw_http, before_error))
}

const AUTH_KEYS: &[&str] = &["refresh", "origin", "token"];

/// `auth: { refresh, origin?, token? }`: bearer tokens for one origin (by
/// default the `baseUrl`'s) from the async function `refresh`, called
/// once for any number of concurrent 401s ([`fanout::auth::Refresh`]).
fn auth_refresh(
    value: &JsValue,
    what: &str,
    base: Option<&str>,
) -> Result<fanout::auth::Refresh, Error> {
    let f = Fields::new(value, what, &[AUTH_KEYS])?;
    let refresh = f
        .function("refresh")?
        .ok_or_else(|| type_error(format!("{what}.refresh must be a function, not undefined")))?;
    let origin = match f.get("origin")? {
        Some(v) => url_arg(&v, &f.field("origin"))?,
        None => base.map(str::to_owned).ok_or_else(|| {
            type_error(format!("{what}.origin is needed when there is no baseUrl"))
        })?,
    };
    // Checked (and normalized) as a base URL first: `Refresh::new` panics
    // on a URL that is not http(s).
    let origin = Session::builder()
        .base_url(&origin)
        .build()
        .ok()
        .and_then(|c| c.base_url().map(str::to_owned))
        .ok_or_else(|| {
            type_error(format!(
                "{what}.origin must be an absolute http(s) URL, not {}",
                describe(&JsValue::from_str(&origin))
            ))
        })?;
    let token = match f.get("token")? {
        None => None,
        Some(v) => Some(
            v.as_string()
                .ok_or_else(|| f.bad("token", "a string", &v))?,
        ),
    };
    let r = fanout::auth::Refresh::new(&origin, move || {
        let called = refresh.call0(&JsValue::UNDEFINED);
        async move {
            let failed =
                |e: JsValue| Error::network(format!("auth.refresh failed: {}", js_message(&e)));
            let mut v = called.map_err(failed)?;
            if let Some(p) = v.dyn_ref::<Promise>() {
                v = wasm_bindgen_futures::JsFuture::from(p.clone())
                    .await
                    .map_err(failed)?;
            }
            v.as_string().ok_or_else(|| {
                type_error(format!(
                    "auth.refresh must resolve to a string token, not {}",
                    describe(&v)
                ))
            })
        }
    });
    Ok(match token {
        Some(t) => r.with_token(t),
        None => r,
    })
}

/// A reusable HTTP session over `fetch`, like aiohttp's `ClientSession` or a
/// ky instance: a base URL, default headers, timeouts, retries and
/// concurrency limits shared by every request it sends. Make one and reuse
/// it.
///
/// ```js
/// const client = new Client({ baseUrl: 'http://127.0.0.1:8080/', timeoutMs: 10_000 });
/// const post = await (await client.get('posts/1')).json();
/// ```
///
/// Call `free()` (or `using`) to release it early; it is also released when
/// garbage collected. Requests still running keep what they need alive.
#[wasm_bindgen(js_name = Client)]
pub struct JsClient {
    inner: Session,
    /// The client's `throwHttpErrors`.
    throw_http: bool,
    /// The client's `hooks.beforeError`.
    before_error: Rc<[Function]>,
}

impl std::fmt::Debug for JsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Makes a client. Throws a `TypeError`-named error for a bad option
    /// (an invalid `baseUrl` or header, an unknown option name, a wrong
    /// type).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<JsClient, JsValue> {
        build_client(&options)
            .map(|(inner, throw_http, before_error)| JsClient {
                inner,
                throw_http,
                before_error: before_error.into(),
            })
            .map_err(js_error)
    }

    /// The base URL, its path ending in `/`, or `undefined`.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> Option<String> {
        self.inner.base_url().map(str::to_owned)
    }

    fn send(&self, method: Method, path: &JsValue, options: &JsValue) -> Promise {
        let client = self.inner.clone();
        let spec = url_arg(path, "path")
            .map_err(|e| e.with_request(method, &describe(path)))
            .and_then(|path| {
                let f = Fields::new(options, "request options", &[REQUEST_KEYS, OPTION_KEYS])
                    .map_err(|e| e.with_request(method, &path))?;
                Spec::parse(&client, method, path, &f)
            });
        let throw = self.throw_http;
        let hooks = self.before_error.clone();
        response_promise(promise(async move {
            let spec = spec.map_err(js_error)?;
            let sent = async {
                let resp = spec.builder(&client).send().await?;
                let (resp, rust) = spec.progress(resp);
                let resp = raise_for_status(resp, spec.throw_http.unwrap_or(throw), rust).await?;
                Ok::<_, Failure>(js_response(resp, rust))
            };
            match sent.await {
                Ok(v) => Ok(v),
                Err(f) if hooks.is_empty() && spec.before_error.is_empty() => Err(f.into_js()),
                Err(f) => Err(before_error(&[&hooks, &spec.before_error], f.into_js()).await),
            }
        }))
    }

    /// Sends a `GET` request. Resolves to the `FanoutResponse` once its headers
    /// arrive; rejects with a `FanoutError` (`HTTPError` for a 4xx or 5xx
    /// status unless `throwHttpErrors` is off).
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Get, &path, &options)
    }

    /// Sends a `POST` request (never retried). Pass the body as `json` or
    /// `body`.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn post(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Post, &path, &options)
    }

    /// Sends a `PUT` request.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn put(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Put, &path, &options)
    }

    /// Sends a `PATCH` request (never retried).
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn patch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Patch, &path, &options)
    }

    /// Sends a `DELETE` request.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Delete, &path, &options)
    }

    /// Sends a `HEAD` request.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn head(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Head, &path, &options)
    }

    /// Sends a request with any method (`'GET'`, `'options'`, ...).
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "HttpMethod")] method: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let parsed = match method.as_string() {
            Some(m) => Method::from_str(&m),
            None => Err(type_error(format!(
                "method must be a string such as 'GET', not {}",
                describe(&method)
            ))),
        };
        match parsed {
            Ok(m) => self.send(m, &path, &options),
            Err(e) => response_promise(Promise::reject(&js_error(e))),
        }
    }

    /// Sends many requests at once; see the `Client` interface for the
    /// typed overloads.
    #[wasm_bindgen(skip_typescript)]
    pub fn gather(&self, inputs: JsValue, options: JsValue) -> Promise {
        let client = self.inner.clone();
        let setup = parse_gather(&client, &inputs, &options);
        let throw = self.throw_http;
        let hooks = self.before_error.clone();
        promise(async move {
            let (specs, opts) = setup.map_err(js_error)?;
            Ok(run_gather(client, throw, hooks, specs, opts).await.into())
        })
    }
}

// ---------------------------------------------------------------------------
// gather
// ---------------------------------------------------------------------------

const GATHER_KEYS: &[&str] = &["limit", "failFast", "onProgress", "signal", "as"];

struct GatherOpts {
    limit: Option<usize>,
    fail_fast: bool,
    on_progress: Option<Function>,
    signal: Option<AbortSignal>,
    how: As,
}

type Input = Result<Spec, Error>;

fn parse_gather(
    client: &Session,
    inputs: &JsValue,
    options: &JsValue,
) -> Result<(Vec<Input>, GatherOpts), Error> {
    let f = Fields::new(options, "gather options", &[GATHER_KEYS])?;
    let on_progress = match f.get("onProgress")? {
        None => None,
        Some(v) => Some(
            v.dyn_into::<Function>()
                .map_err(|v| f.bad("onProgress", "a function", &v))?,
        ),
    };
    let signal = match f.get("signal")? {
        None => None,
        Some(v) => Some(
            v.dyn_into::<AbortSignal>()
                .map_err(|v| f.bad("signal", "an AbortSignal", &v))?,
        ),
    };
    let how = match f.get("as")? {
        None => As::Json,
        Some(v) => match v.as_string().as_deref() {
            Some("json") => As::Json,
            Some("text") => As::Text,
            Some("bytes") => As::Bytes,
            Some("response") => As::Response,
            _ => return Err(f.bad("as", "'json', 'text', 'bytes' or 'response'", &v)),
        },
    };
    let opts = GatherOpts {
        limit: f.count("limit")?,
        fail_fast: f.bool("failFast")?.unwrap_or(false),
        on_progress,
        signal,
        how,
    };
    let not_iterable = || {
        type_error(format!(
            "gather inputs must be an array of paths or request objects, not {}",
            describe(inputs)
        ))
    };
    if !inputs.is_object() {
        return Err(not_iterable());
    }
    let iter = js_sys::try_iter(inputs)
        .map_err(|e| type_error(format!("gather inputs: {}", js_message(&e))))?
        .ok_or_else(not_iterable)?;
    let mut specs = Vec::new();
    for item in iter {
        let item = item.map_err(|e| type_error(format!("gather inputs: {}", js_message(&e))))?;
        specs.push(parse_input(client, &item));
    }
    Ok((specs, opts))
}

/// One input: a path string or URL (a GET), or a `GatherRequest`.
fn parse_input(client: &Session, item: &JsValue) -> Input {
    const WHAT: &str = "gather input";
    if let Some(path) = item.as_string() {
        return Ok(Spec::new(Method::Get, path));
    }
    if !item.is_object() || Array::is_array(item) {
        return Err(type_error(format!(
            "a gather input must be a path, a URL or a request object, not {}",
            describe(item)
        )));
    }
    if get(item, "path", WHAT)?.is_undefined() {
        if let Some(href) = get(item, "href", WHAT)?.as_string() {
            return parse_input(client, &JsValue::from_str(&href));
        }
    }
    let f = Fields::new(
        item,
        WHAT,
        &[&["method", "path"], REQUEST_KEYS, OPTION_KEYS],
    )?;
    let method = match f.get("method")? {
        None => Method::Get,
        Some(v) => match v.as_string() {
            Some(m) => Method::from_str(&m)?,
            None => return Err(f.bad("method", "a method name such as 'GET'", &v)),
        },
    };
    let path = match f.get("path")? {
        Some(v) => url_arg(&v, "gather input.path")?,
        None => {
            return Err(type_error(
                "a gather input must be a path, a URL or an object with a path",
            ))
        }
    };
    Spec::parse(client, method, path, &f)
}

async fn run_gather(
    client: Session,
    throw: bool,
    hooks: Rc<[Function]>,
    specs: Vec<Input>,
    opts: GatherOpts,
) -> Array {
    // For cancelled inputs, which fail outside their request.
    let targets: Vec<Option<(Method, String)>> = specs
        .iter()
        .map(|s| s.as_ref().ok().map(|s| (s.method, s.url(&client))))
        .collect();
    let GatherOpts {
        limit,
        fail_fast,
        on_progress,
        signal,
        how,
    } = opts;
    let futures = specs.into_iter().map(move |spec| {
        let client = client.clone();
        let signal = signal.clone();
        let hooks = hooks.clone();
        async move {
            let spec = spec?;
            let own = spec.before_error.clone();
            match run_one(client, throw, spec, signal, how).await {
                Err(f) if !(hooks.is_empty() && own.is_empty()) => Err(Failure {
                    js: Some(before_error(&[&hooks, &own], f.into_js()).await),
                    ..Failure::from(Error::builder(""))
                }),
                other => other,
            }
        }
    });
    let mut batch = fanout::gather(futures)
        .limit_opt(limit)
        .fail_fast(fail_fast);
    if let Some(f) = on_progress {
        batch = batch.on_progress(move |p| progress(&f, p));
    }
    let outcomes = batch.detailed().await;
    let out = Array::new();
    for o in outcomes {
        let target = targets.get(o.index).cloned().flatten();
        out.push(&outcome(o, target));
    }
    out
}

/// One gather input: send, read the body, unless the batch's signal fires.
async fn run_one(
    client: Session,
    throw: bool,
    spec: Spec,
    batch: Option<AbortSignal>,
    how: As,
) -> Result<(JsValue, u32), Failure> {
    let (method, url) = (spec.method, spec.url(&client));
    let work = async move {
        let resp = spec.builder(&client).send().await?;
        let attempts = resp.attempts();
        let (resp, rust) = spec.progress(resp);
        let resp = raise_for_status(resp, spec.throw_http.unwrap_or(throw), rust).await?;
        Ok::<_, Failure>((read_as(resp, how, rust, None).await?, attempts))
    };
    let aborted = || -> Failure {
        Error::aborted("aborted by the gather's AbortSignal")
            .with_request(method, &url)
            .into()
    };
    let Some(signal) = batch else {
        return work.await;
    };
    if signal.aborted() {
        return Err(aborted());
    }
    let fired = fanout::until_aborted(&signal);
    let work = std::pin::pin!(work);
    match select(work, fired).await {
        Either::Left((result, _)) => result,
        // Dropping `work` aborts its fetch.
        Either::Right(_) => Err(aborted()),
    }
}

fn set(obj: &Object, key: &'static str, value: &JsValue) {
    let _ = Reflect::set(obj, &key_string(key), value);
}

/// The JS string of a property name the binding uses, made once: a
/// string passed from wasm to JS is decoded on each crossing (a
/// `TextDecoder` call), and some names are set on every response.
fn key_string(key: &'static str) -> JsValue {
    thread_local! {
        static KEYS: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
    }
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        // Names are literals: the same one is (almost always) the same
        // pointer, and there are a few dozen of them.
        let found = keys
            .iter()
            .find(|(k, _)| std::ptr::eq(*k, key) || *k == key)
            .map(|(_, v)| v.clone());
        found.unwrap_or_else(|| {
            let v = JsValue::from_str(key);
            keys.push((key, v.clone()));
            v
        })
    })
}

fn progress(f: &Function, p: Progress) {
    let obj = Object::new();
    set(&obj, "done", &(p.done as f64).into());
    set(&obj, "total", &(p.total as f64).into());
    set(&obj, "index", &(p.index as f64).into());
    set(&obj, "ok", &p.ok.into());
    if let Err(e) = f.call1(&JsValue::UNDEFINED, &obj) {
        // Like an event listener's exception: reported, and the batch goes on.
        if report_error(&e).is_err() {
            console_error(&e);
        }
    }
}

fn outcome(o: Outcome<(JsValue, u32), Failure>, target: Option<(Method, String)>) -> JsValue {
    let obj = Object::new();
    match o.result {
        Ok((value, attempts)) => {
            set(&obj, "ok", &JsValue::TRUE);
            set(&obj, "value", &value);
            set(&obj, "index", &(o.index as f64).into());
            set(&obj, "attempts", &attempts.into());
            set(&obj, "startMs", &o.started_ms.unwrap_or(o.ended_ms).into());
        }
        Err(mut e) => {
            // A bad input (its options, or a URL or header the library
            // refused) was never sent, however early it failed.
            let sent = target.is_some() && !e.error.is_builder();
            if e.error.url().is_none() {
                if let Some((method, url)) = target {
                    e.error = e.error.with_request(method, &url);
                }
            }
            set(&obj, "ok", &JsValue::FALSE);
            set(&obj, "error", &e.into_js());
            set(&obj, "index", &(o.index as f64).into());
            let started = o.started_ms.filter(|_| sent);
            set(
                &obj,
                "startMs",
                &started.map_or(JsValue::NULL, JsValue::from),
            );
        }
    }
    set(&obj, "endMs", &o.ended_ms.into());
    obj.into()
}

// ---------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------

/// A response whose headers have arrived (named `FanoutResponse` so that it
/// does not shadow the Fetch API's global `Response`). Read the body once
/// with `json()`, `text()` or `bytes()`.
///
/// An unread response holds its place under the client's `limit` (and its
/// connection) until its body is read, or it is freed: call `free()` (or
/// `using`) on a response whose body you will not read, rather than waiting
/// for the garbage collector. A response without a body (HEAD, 204, 304)
/// holds nothing.
///
/// A response is a JS object: once its body is read it holds nothing in
/// wasm memory.
// This class names the type and holds the prototype of every response;
// `src/response.js` makes the objects and puts the getters and methods on
// that prototype. Only the unread body (`FanoutBody`) is in wasm memory,
// taken and freed by the reader that reads it.
#[wasm_bindgen(js_name = FanoutResponse)]
pub struct JsResponseClass {
    _unused: u8,
}

#[wasm_bindgen(module = "/src/response.js")]
extern "C" {
    /// A `FanoutResponse` as `src/response.js` makes it.
    type ResponseObject;

    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(constructor)]
    fn new(
        raw: &JsValue,
        body: &JsValue,
        status: u16,
        attempts: u32,
        method: &JsValue,
        url: &JsValue,
        status_text: &JsValue,
        pairs: &JsValue,
    ) -> ResponseObject;

    /// Puts the getters and methods on the exported class's prototype and
    /// hands over the `FanoutBody` class.
    fn install(proto: &JsValue, body: &JsValue);

    /// An `afterResponse` hook's result: `false` if it is not a
    /// `FanoutResponse`, else its body taken (a `FanoutBody`), `undefined`
    /// for a response without a body, `null` for one read, `2` for one
    /// freed.
    #[wasm_bindgen(js_name = takeBody)]
    fn take_body(value: &JsValue) -> JsValue;

    /// Gives a request's promise its `json()`, `text()` and `bytes()`.
    #[wasm_bindgen(js_name = responsePromise)]
    fn response_promise_js(promise: &Promise);
}

thread_local! {
    /// The response classes put together: as the module starts, and
    /// before the first response is made (a test harness may not run the
    /// start function).
    static RESPONSE_CLASS: () = install_response_class();
}

/// Puts the response classes together.
fn install_response_class() {
    let proto = Object::get_prototype_of(&JsResponseClass { _unused: 0 }.into());
    let body = JsValue::from(JsBody {
        inner: RefCell::new(None),
    });
    let body_class = Reflect::get(&body, &key_string("constructor")).unwrap_or_default();
    install(&proto, &body_class);
}

/// Whether a fetch response has no body: a `HEAD` request's, or a status
/// the Fetch standard gives a null body (101, 103, 204, 205, 304).
fn null_body(resp: &fanout::Response) -> bool {
    resp.method() == Method::Head || matches!(resp.status(), 101 | 103 | 204 | 205 | 304)
}

/// A `FanoutResponse` for `resp`, its body unread (`rust`: to be read by
/// fanout's Rust readers, which report download progress).
fn js_response(resp: fanout::Response, rust: bool) -> JsValue {
    let head = ResponseHead::of(&resp);
    if resp.as_raw().is_some() && null_body(&resp) {
        // Nothing to read: the response is dropped here, so it holds no
        // place under the client's limits.
        head.into_js(&JsValue::UNDEFINED)
    } else {
        head.into_js(&JsBody::wrap(resp, rust))
    }
}

/// What a `FanoutResponse` is made of, besides its body.
struct ResponseHead {
    raw: JsValue,
    status: u16,
    attempts: u32,
    method: JsValue,
    url: JsValue,
    status_text: JsValue,
    pairs: JsValue,
}

impl ResponseHead {
    fn of(resp: &fanout::Response) -> ResponseHead {
        let mut head = ResponseHead {
            raw: JsValue::UNDEFINED,
            status: resp.status(),
            attempts: resp.attempts(),
            method: key_string(resp.method().as_str()),
            url: JsValue::UNDEFINED,
            status_text: JsValue::UNDEFINED,
            pairs: JsValue::UNDEFINED,
        };
        match resp.as_raw() {
            // The JS side reads the URL (the platform's, or the body's when
            // that is empty), the status text and the headers from `raw`.
            Some(raw) => {
                head.raw = raw.into();
                if null_body(resp) {
                    head.url = resp.url().into();
                }
            }
            None => {
                head.url = resp.url().into();
                head.status_text = resp.status_text().into();
                let pairs = Array::new();
                for (name, value) in resp.headers().iter() {
                    pairs.push(&Array::of2(&name.into(), &value.into()));
                }
                head.pairs = pairs.into();
            }
        }
        head
    }

    /// The response, with `body`: a `FanoutBody`, `undefined` (no body) or
    /// `null` (read).
    fn into_js(self, body: &JsValue) -> JsValue {
        RESPONSE_CLASS.with(|_| ());
        ResponseObject::new(
            &self.raw,
            body,
            self.status,
            self.attempts,
            &self.method,
            &self.url,
            &self.status_text,
            &self.pairs,
        )
        .into()
    }
}

/// The unread body of a `FanoutResponse`: the only part of it in wasm
/// memory. A reader takes it (the JS side then frees this object), so a
/// response, once read, holds nothing here.
#[wasm_bindgen(js_name = FanoutBody, skip_typescript)]
pub struct JsBody {
    inner: RefCell<Option<(fanout::Response, bool)>>,
}

/// The request a `FanoutResponse` (`owner`) answered, for an error: its
/// method, URL and attempts, read back from JS (on error paths only).
fn owner_request(owner: &JsValue) -> (Method, String, u32) {
    let get = |k: &'static str| Reflect::get(owner, &key_string(k)).unwrap_or_default();
    let method = get("method")
        .as_string()
        .and_then(|m| Method::from_str(&m).ok())
        .unwrap_or(Method::Get);
    let url = get("url").as_string().unwrap_or_default();
    let attempts = get("attempts").as_f64().map_or(1, |n| n as u32);
    (method, url, attempts)
}

fn with_owner(e: Error, owner: &JsValue) -> JsValue {
    let (method, url, attempts) = owner_request(owner);
    js_error(e.with_request(method, &url).with_attempts(attempts))
}

impl JsBody {
    fn wrap(resp: fanout::Response, rust: bool) -> JsValue {
        JsBody {
            inner: RefCell::new(Some((resp, rust))),
        }
        .into()
    }

    fn take(self) -> Option<(fanout::Response, bool)> {
        self.inner.into_inner()
    }

    /// Reads the body as `how` says, as a promise.
    fn read(self, how: As, owner: Option<JsValue>) -> Promise {
        match self.take() {
            Some((resp, rust)) => {
                promise(async move { read_as(resp, how, rust, owner).await.map_err(js_error) })
            }
            // The JS side takes a body once; a second take is a bug there.
            None => Promise::reject(&js_error(type_error("the body was already read"))),
        }
    }

    fn take_lines(
        self,
    ) -> Result<futures_util::stream::LocalBoxStream<'static, Result<String, Error>>, JsValue> {
        match self.take() {
            Some((resp, _)) => Ok(resp.lines().boxed_local()),
            None => Err(js_error(type_error("the body was already read"))),
        }
    }
}

#[wasm_bindgen(js_class = FanoutBody)]
impl JsBody {
    // The readers take `self`: the call frees this object (and the JS side
    // drops it), so all that is left in wasm memory is the read itself.

    /// The URL the response answered, when the platform's `url` is empty.
    #[wasm_bindgen(js_name = requestUrl)]
    pub fn request_url(&self) -> String {
        self.inner
            .borrow()
            .as_ref()
            .map(|(r, _)| r.url())
            .unwrap_or_default()
    }

    /// `owner`: the `FanoutResponse`, for the error of a body that is not
    /// JSON.
    pub fn json(self, owner: JsValue) -> Promise {
        self.read(As::Json, Some(owner))
    }

    pub fn text(self) -> Promise {
        self.read(As::Text, None)
    }

    pub fn bytes(self) -> Promise {
        self.read(As::Bytes, None)
    }

    pub fn lines(self) -> Result<JsValue, JsValue> {
        let lines = self.take_lines()?;
        Ok(JsStream::wrap(
            lines.map(|l| l.map(JsValue::from)).boxed_local(),
            None,
        ))
    }

    /// `onBadLine`: what `lineOptions` returned.
    #[wasm_bindgen(js_name = jsonLines)]
    pub fn json_lines(self, on_bad: JsValue, owner: JsValue) -> Result<JsValue, JsValue> {
        let on_bad = on_bad.dyn_into::<Function>().ok();
        let lines = self.take_lines()?;
        Ok(json_lines(lines, on_bad, owner))
    }

    /// Checks `jsonLines`' options (before the body is taken); returns its
    /// `onBadLine`.
    #[wasm_bindgen(js_name = lineOptions)]
    pub fn line_options(options: JsValue, owner: JsValue) -> Result<JsValue, JsValue> {
        let f = Fields::new(&options, "jsonLines options", &[&["onBadLine"]]).map_err(|e| {
            let (method, url, _) = owner_request(&owner);
            js_error(e.with_request(method, &url))
        })?;
        let on_bad = f.function("onBadLine").map_err(js_error)?;
        Ok(on_bad.map(JsValue::from).unwrap_or_default())
    }

    /// The error of a request promise's `json()`, `text()` or `bytes()`
    /// when what it resolved to has no such method.
    #[wasm_bindgen(js_name = noReader)]
    pub fn no_reader(name: &str) -> JsValue {
        js_error(type_error(format!(
            "the response has no {name}() method to call"
        )))
    }

    /// A reader called on a response whose body is not there: `state` 0
    /// when it has none (HEAD, 204, 304: it reads as empty), 1 when it was
    /// read, 2 when the response was freed; `how`: 0 `json`, 1 `text`,
    /// 2 `bytes`, 3 `lines`, 4 `jsonLines`. The promise readers reject, the
    /// stream readers throw.
    pub fn none(state: u32, how: u32, owner: JsValue) -> Result<JsValue, JsValue> {
        let error = match (state, how) {
            (0, 0) => decode_error("the body is empty", String::new()),
            (0, 1) => return Ok(Promise::resolve(&JsValue::from_str("")).into()),
            (0, 2) => return Ok(Promise::resolve(&Uint8Array::new_with_length(0)).into()),
            (0, _) => {
                return Ok(JsStream::wrap(
                    futures_util::stream::empty().boxed_local(),
                    None,
                ))
            }
            (1, _) => type_error("the body was already read"),
            _ => type_error("the body was already read: the response was freed"),
        };
        let error = with_owner(error, &owner);
        if how < 3 {
            Ok(Promise::reject(&error).into())
        } else {
            Err(error)
        }
    }
}

/// `jsonLines()`: the values of a body's lines.
fn json_lines(
    lines: futures_util::stream::LocalBoxStream<'static, Result<String, Error>>,
    on_bad: Option<Function>,
    owner: JsValue,
) -> JsValue {
    let mut n = 0u64;
    let values = lines.filter_map(move |line| {
        n += 1;
        let out = match line {
            Err(e) => Some(Err(e)),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => match json_parse(&JsValue::from_str(&l)) {
                Ok(v) => Some(Ok(v)),
                Err(e) => {
                    let start: String = l.chars().take(120).collect();
                    let (method, url, _) = owner_request(&owner);
                    let err =
                        Error::decode(format!("line {n}: invalid JSON: {}", js_message(&e)), start)
                            .with_request(method, &url);
                    match &on_bad {
                        None => Some(Err(err)),
                        Some(f) => {
                            call_back(f, &js_error(err));
                            None
                        }
                    }
                }
            },
        };
        std::future::ready(out)
    });
    JsStream::wrap(values.boxed_local(), None)
}

// ---------------------------------------------------------------------------
// Streams: download progress, async iterators, Server-Sent Events
// ---------------------------------------------------------------------------

/// Calls a user's callback; an exception is reported (like an event
/// listener's), never thrown into fanout.
fn call_back(f: &Function, arg: &JsValue) {
    if let Err(e) = f.call1(&JsValue::UNDEFINED, arg) {
        if report_error(&e).is_err() {
            console_error(&e);
        }
    }
}

/// `onDownloadProgress` and `onUploadProgress`: `({ loaded, total, percent })`.
fn transfer_progress(f: &Function, t: fanout::Transfer) {
    let obj = Object::new();
    set(&obj, "loaded", &(t.loaded as f64).into());
    let opt = |v: Option<f64>| v.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
    set(&obj, "total", &opt(t.total.map(|n| n as f64)));
    set(&obj, "percent", &opt(t.fraction()));
    call_back(f, &obj);
}

type JsItems = futures_util::stream::LocalBoxStream<'static, Result<JsValue, Error>>;

enum StreamState {
    Ready(JsItems),
    /// A `next()` is running; it holds the stream.
    Busy,
    Closed,
}

/// An async iterator over a Rust stream (`lines()`, `jsonLines()`,
/// `client.sse()`): `next()`, `return()` and `[Symbol.asyncIterator]`.
/// `return()` (a `break` out of `for await`) or the signal drops the
/// stream, which aborts its fetch.
#[wasm_bindgen(js_name = FanoutStream, skip_typescript)]
pub struct JsStream {
    state: Rc<RefCell<StreamState>>,
    /// Fires when `return()` is called, to end a `next()` in flight.
    closed: web_sys::AbortController,
    signal: Option<AbortSignal>,
}

impl std::fmt::Debug for JsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FanoutStream")
    }
}

fn iter_result(value: &JsValue, done: bool) -> JsValue {
    let obj = Object::new();
    set(&obj, "value", value);
    set(&obj, "done", &done.into());
    obj.into()
}

impl JsStream {
    /// The iterator object for `items`, aborted by `signal` too.
    fn wrap(items: JsItems, signal: Option<AbortSignal>) -> JsValue {
        let it = JsStream {
            state: Rc::new(RefCell::new(StreamState::Ready(items))),
            closed: web_sys::AbortController::new().expect("AbortController"),
            signal,
        };
        let value = JsValue::from(it);
        // `[Symbol.asyncIterator]() { return this }` without evaluating JS
        // (the page's CSP forbids it): `Object.prototype.valueOf` returns
        // its `this` object.
        if let Ok(value_of) = Reflect::get(&Object::new(), &JsValue::from_str("valueOf")) {
            let _ = Reflect::set(&value, &js_sys::Symbol::async_iterator(), &value_of);
        }
        value
    }
}

#[wasm_bindgen(js_class = FanoutStream)]
impl JsStream {
    /// The next item: `{ value, done: false }`, or `{ value: undefined,
    /// done: true }` at the end; rejects with the stream's error (after
    /// which it is done).
    pub fn next(&self) -> Promise {
        let taken = std::mem::replace(&mut *self.state.borrow_mut(), StreamState::Busy);
        let mut items = match taken {
            StreamState::Ready(items) => items,
            StreamState::Closed => {
                *self.state.borrow_mut() = StreamState::Closed;
                return Promise::resolve(&iter_result(&JsValue::UNDEFINED, true));
            }
            StreamState::Busy => {
                return Promise::reject(&js_error(type_error(
                    "next() was called again before the previous call settled",
                )))
            }
        };
        let state = self.state.clone();
        let closed = Some(fanout::until_aborted(&self.closed.signal()));
        let user = self
            .signal
            .as_ref()
            .map(|s| (s.aborted(), Some(fanout::until_aborted(s))));
        promise(async move {
            use futures_util::StreamExt as _;
            let stop = async move {
                match (closed, user) {
                    (_, Some((true, _))) => Some(()),
                    (Some(c), Some((_, Some(u)))) => {
                        let _ = select(c, u).await;
                        Some(())
                    }
                    (Some(c), _) => {
                        c.await;
                        None
                    }
                    (None, Some((_, Some(u)))) => {
                        u.await;
                        Some(())
                    }
                    (None, _) => std::future::pending().await,
                }
            };
            let item = match select(items.next(), std::pin::pin!(stop)).await {
                Either::Left((item, _)) => item,
                Either::Right((by_signal, _)) => {
                    *state.borrow_mut() = StreamState::Closed;
                    drop(items);
                    return match by_signal {
                        Some(()) => Err(js_error(Error::aborted("aborted by the AbortSignal"))),
                        None => Ok(iter_result(&JsValue::UNDEFINED, true)),
                    };
                }
            };
            match item {
                Some(Ok(v)) => {
                    let mut s = state.borrow_mut();
                    if matches!(*s, StreamState::Busy) {
                        *s = StreamState::Ready(items);
                    }
                    Ok(iter_result(&v, false))
                }
                Some(Err(e)) => {
                    *state.borrow_mut() = StreamState::Closed;
                    Err(js_error(e))
                }
                None => {
                    *state.borrow_mut() = StreamState::Closed;
                    Ok(iter_result(&JsValue::UNDEFINED, true))
                }
            }
        })
    }

    /// Ends the iteration (what `break` in `for await` calls): the stream
    /// is dropped and its fetch aborted.
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&self) -> Promise {
        *self.state.borrow_mut() = StreamState::Closed;
        self.closed.abort();
        Promise::resolve(&iter_result(&JsValue::UNDEFINED, true))
    }
}

/// The keys of `client.sse` options, besides the request's.
const SSE_KEYS: &[&str] = &[
    "method",
    "retryDelayMs",
    "maxRetryDelayMs",
    "maxReconnects",
    "lastEventId",
    "onReconnect",
];

/// A server-sent event as `{ event, data, id, retry }`.
fn event_object(e: fanout::Event) -> JsValue {
    let obj = Object::new();
    set(&obj, "event", &JsValue::from_str(&e.event));
    set(&obj, "data", &JsValue::from_str(&e.data));
    set(&obj, "id", &JsValue::from_str(&e.id));
    let retry = e
        .retry
        .map(|d| JsValue::from(d.as_millis() as f64))
        .unwrap_or(JsValue::UNDEFINED);
    set(&obj, "retry", &retry);
    obj.into()
}

fn sse_stream(
    client: &Session,
    path: &JsValue,
    options: &JsValue,
) -> Result<(JsItems, Option<AbortSignal>), Error> {
    let path = url_arg(path, "path").map_err(|e| e.with_request(Method::Get, &describe(path)))?;
    let f = Fields::new(
        options,
        "sse options",
        &[REQUEST_KEYS, OPTION_KEYS, SSE_KEYS],
    )
    .map_err(|e| e.with_request(Method::Get, &path))?;
    let method = match f.get("method")? {
        None => Method::Get,
        Some(v) => match v.as_string() {
            Some(m) => Method::from_str(&m)?,
            None => return Err(f.bad("method", "a method name such as 'GET'", &v)),
        },
    };
    let spec = Spec::parse(client, method, path.clone(), &f)?;
    let mut b = client.sse(&path).method(method).request(|r| spec.apply(r));
    if let Some(d) = f.ms("retryDelayMs", true)? {
        b = b.retry_delay(d);
    }
    if let Some(d) = f.ms("maxRetryDelayMs", true)? {
        b = b.max_retry_delay(d);
    }
    if let Some(n) = f.int("maxReconnects", 0.0, u32::MAX as f64)? {
        b = b.max_reconnects(n as u32);
    }
    if let Some(v) = f.get("lastEventId")? {
        match v.as_string() {
            Some(id) => b = b.last_event_id(id),
            None => return Err(f.bad("lastEventId", "a string", &v)),
        }
    }
    if let Some(cb) = f.function("onReconnect")? {
        b = b.on_reconnect(move |r| {
            let obj = Object::new();
            set(&obj, "attempt", &r.attempt.into());
            set(&obj, "delayMs", &(r.delay.as_millis() as f64).into());
            set(&obj, "lastEventId", &JsValue::from_str(&r.last_event_id));
            let cause = r
                .cause
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::UNDEFINED);
            set(&obj, "cause", &cause);
            call_back(&cb, &obj);
        });
    }
    let signal = spec.signal.clone();
    let items = futures_util::stream::once(b.send())
        .map(|opened| match opened {
            Ok(events) => events.map(|e| e.map(event_object)).left_stream(),
            Err(e) => futures_util::stream::once(std::future::ready(Err(e))).right_stream(),
        })
        .flatten()
        .boxed_local();
    Ok((items, signal))
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Server-Sent Events over `fetch`, as an async iterator; see the
    /// `Client` interface.
    #[wasm_bindgen(skip_typescript)]
    pub fn sse(&self, path: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let (items, signal) = sse_stream(&self.inner, &path, &options).map_err(js_error)?;
        Ok(JsStream::wrap(items, signal))
    }
}
