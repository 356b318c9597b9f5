// The options of a client and a request, their hooks and their progress
// callbacks: part of the package's TypeScript declarations, beside
// fanout.d.ts (`js/src/lib.rs` puts both into the generated `fanout.d.ts`).

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
 * (counted against the retry limit; POST too; past the limit the request
 * rejects with a `ForceRetryError`).
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
