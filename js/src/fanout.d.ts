/** An HTTP method name, in upper or lower case. */
export type HttpMethod =
  | 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'TRACE'
  | 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options' | 'trace';

/** The `name` of every error fanout throws or rejects with. */
export type FanoutErrorName =
  | 'HTTPError' | 'TimeoutError' | 'NetworkError' | 'DecodeError' | 'AbortError' | 'TypeError'
  | 'ForceRetryError' | 'OutboxError' | 'ConnectError' | 'ClosedError' | 'BufferFullError' | 'NotSupportedError';

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
 * - `ForceRetryError`: an `afterResponse` hook returned `retry()` when the retry
 *   limit was reached (`status` is the refused response's), as in ky.
 * - `OutboxError`: a durable outbox's failure (`reason` says which).
 * - `ConnectError`: a WebSocket did not open (a refused upgrade, an unreachable server).
 * - `ClosedError`: a WebSocket closed for good (`code`, `reason`); its queued sends fail with it.
 * - `BufferFullError`: a WebSocket's send buffer (`sendBuffer`) was full.
 * - `NotSupportedError`: the platform has no WebSocket (Node.js before 22
 *   without `--experimental-websocket`).
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
  /** The close code, for a WebSocket's `ClosedError` (1006: dropped without a close frame). */
  code?: number;
  /** The close reason, for a WebSocket's `ClosedError`. */
  reason?: string;
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

/** One WebSocket message. */
export interface FanoutMessage {
  /** The text, or the bytes of a binary message. */
  readonly data: string | Uint8Array;
  /** Whether it is a text message. */
  readonly isText: boolean;
  /** The text (a binary message decoded as UTF-8, invalid bytes replaced). */
  text(): string;
  /** The bytes (a text message's UTF-8). */
  bytes(): Uint8Array;
  /** `JSON.parse` of the text; throws a `DecodeError` if it is not JSON. `T` is not checked. */
  json<T = unknown>(): T;
}

/** What `onEvent` is told: a connection opened, dropped (and will be made again), or the socket closed for good. */
export type WebSocketEvent =
  | { type: 'open'; reconnects: number }
  | { type: 'reconnecting'; attempt: number; delayMs: number; code: number; reason: string; resend: number }
  | { type: 'closed'; code: number; reason: string };

/** Where a WebSocket is. */
export type WebSocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Options of `client.websocket(url, options)`. */
export interface WebSocketOptions {
  /** The subprotocols to offer. */
  protocols?: string | string[];
  /**
   * Reconnect after a drop (default: never): `true` (2 reconnections in a
   * row), a number of reconnections in a row, or the retry options
   * (`limit`, `backoffMs`, `maxBackoffMs`, `jitter`).
   */
  reconnect?: RetrySetting;
  /** Close codes from the server that end the socket without a reconnection (1000 always does). */
  finalCodes?: number[];
  /** Send `heartbeatMessage` (default `'ping'`) every this many ms while open. */
  heartbeatMs?: number;
  /** The heartbeat's message: a string or bytes. */
  heartbeatMessage?: string | ArrayBuffer | ArrayBufferView;
  /** Count a connection that brings no message for this many ms as dropped. */
  idleTimeoutMs?: number;
  /** How many sends may wait for the connection (default 1024); past it `send` rejects with a `BufferFullError`. */
  sendBuffer?: number;
  /** Called on each open, drop and the close (a UI shows "reconnecting…" from it). */
  onEvent?: (event: WebSocketEvent) => void;
}

/**
 * A WebSocket from `client.websocket(url, options)`: an async iterator of
 * its messages that reconnects (with `reconnect`), with `send`.
 * Nothing sent is dropped silently: while it reconnects, sends wait in
 * order and go out after the reconnection (each promise resolves when its
 * message was handed to an open connection); what the connection's
 * `bufferedAmount` says never left is sent again. A message that left
 * before a drop may still be lost on the way: acknowledge messages in
 * the application where that matters. The iteration ends (rejects with a
 * `ClosedError` or `ConnectError`) when the socket closes for good;
 * leaving the loop closes it.
 */
export interface FanoutWebSocket extends AsyncIterableIterator<FanoutMessage> {
  next(): Promise<IteratorResult<FanoutMessage, undefined>>;
  /** Ends the iteration and closes the socket (1000). */
  return(): Promise<IteratorResult<FanoutMessage, undefined>>;
  [Symbol.asyncIterator](): FanoutWebSocket;
  /**
   * Queues a message; resolves once it was handed to an open connection.
   * Rejects with a `BufferFullError`, a `ClosedError` (closed for good
   * first) or a `TypeError` (not a string or bytes). Every promise settles.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): Promise<void>;
  /** Sends `JSON.stringify(value)` as a text message. */
  sendJson(value: unknown): Promise<void>;
  /** Closes for good with `code` (1000, or 3000 to 4999) and `reason`; queued sends reject with a `ClosedError`. */
  close(code?: number, reason?: string): void;
  /** Where the socket is. */
  readonly state: WebSocketState;
  /** How many times it has reconnected. */
  readonly reconnects: number;
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
  /**
   * A WebSocket to `url`, joined onto `baseUrl` (`http`/`https` become
   * `ws`/`wss`); it connects at once. Throws a `TypeError` for a bad URL
   * or option and a `NotSupportedError` where there is no WebSocket; a
   * connection that does not open ends the iteration with a
   * `ConnectError`.
   *
   * ```js
   * const ws = client.websocket('ws/echo', { reconnect: { limit: 10 } });
   * await ws.send('hello');
   * for await (const m of ws) console.log(m.text());
   * ```
   */
  websocket(url: string | URL, options?: WebSocketOptions): FanoutWebSocket;
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

/** Why an outbox call failed: `OutboxError.reason`. */
export type OutboxErrorReason = 'unstorable' | 'too_large' | 'quota' | 'bad_url' | 'version' | 'store' | 'unsupported' | 'gone' | 'removed' | 'gave_up' | 'closed';

/**
 * A durable outbox's failure. At `send` nothing was stored:
 * `'unstorable'` (a stream or `FormData` body), `'too_large'` (over
 * `maxBodySize`), `'quota'` (over `quota`, or the browser's storage is
 * full), `'bad_url'`. At `client.outbox`: `'unsupported'` (no IndexedDB,
 * as in Node.js: use `memory: true`), `'version'` (an entry written by a
 * newer fanout), `'store'`. From `handle.response()`: `'gave_up'`
 * (`maxAttempts` reached; the entry stays, failed), `'removed'`, `'gone'`
 * (another tab delivered it), `'closed'` (the outbox was freed).
 */
export class OutboxError extends FanoutError {
  protected constructor();
  name: 'OutboxError';
  reason: OutboxErrorReason;
}

/** The options of `client.outbox(name, options)`. */
export interface OutboxOptions {
  /** Keep the entries in memory only (default: IndexedDB). */
  memory?: boolean;
  /** The largest body `send` stores, in bytes (default 1 MiB). */
  maxBodySize?: number;
  /** The most body bytes stored at once. */
  quota?: number;
  /** Attempts per entry before it is failed (default: no limit). */
  maxAttempts?: number;
  /** The first wait after a failed attempt, doubled after each (default 500). */
  retryDelayMs?: number;
  /** The longest wait between attempts (default 30 000). */
  maxRetryDelayMs?: number;
  /** The longest `Retry-After` honoured as given (default 300 000). */
  maxRetryAfterMs?: number;
  /** Called with each event; an exception is reported, not thrown. */
  onEvent?: (event: OutboxEvent) => void;
}

/** The options of `outbox.send(path, options)`: a request's, and its method. */
export interface OutboxSendOptions extends RequestOptions {
  /** The method (default `'POST'`). */
  method?: HttpMethod;
}

/** One stored request, as `outbox.entries()` lists it. */
export interface OutboxEntry {
  id: number;
  method: string;
  url: string;
  /** Its `Idempotency-Key`. */
  key: string;
  state: 'pending' | 'failed';
  /** For a failed entry: the final status, if there was a response. */
  status: number | undefined;
  /** For a failed entry: why. */
  reason: string | undefined;
  attempts: number;
  bodyLength: number;
}

/** What happened to an entry. */
export type OutboxEvent =
  | { type: 'queued'; id: number }
  | { type: 'attempt'; id: number; attempt: number }
  | { type: 'retrying'; id: number; status: number | undefined; delayMs: number }
  | { type: 'delivered'; id: number; status: number }
  | { type: 'failed'; id: number; status: number | undefined; reason: string };
