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
 * response body, parsed as JSON when its `content-type` is a JSON media
 * type (`application/json`, or a `+json` subtype such as
 * `application/problem+json`; parameters allowed), else its text (as ky's
 * `error.data`), so an API's message can be shown:
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
  /**
   * Awaits the response and parses its body as JSON. Called at once (before
   * the request is sent), it sends `Accept: application/json` unless the
   * request or its client sets an `Accept`.
   */
  json<T = unknown>(): Promise<T>;
  /** Awaits the response and reads its body as text (`Accept: text/*` as `json()` does). */
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
 * Called with the error a request rejects with (async allowed); an `Error`
 * it returns is rejected with instead; anything else (nothing, `false`
 * from `e => cond && new X()`) keeps the error.
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
  /**
   * A value sent as JSON (`JSON.stringify`), with `content-type: application/json`.
   * Not on GET or HEAD (a `TypeError`, nothing sent).
   */
  json?: unknown;
  /** A body sent as is (not together with `json`; not on GET or HEAD). */
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
