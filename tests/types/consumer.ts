// A TypeScript consumer of the npm package: every API with its types, and
// wrong usages that must not compile (`// @ts-expect-error`). Checked with
// `tsc -p tests/types`; never run. The first block is the TypeScript
// example of README.md, verbatim.
import { Client, type FanoutError, type GatherResult } from 'fanout';

interface Post {
  userId: number;
  id: number;
  title: string;
  body: string;
}

const client = new Client({ baseUrl: 'http://127.0.0.1:8080/', retry: { limit: 3, jitter: true } });

export async function firstTitle(): Promise<string> {
  const post = await (await client.get('posts/1')).json<Post>();
  return post.title;
}

export async function titles(ids: number[]): Promise<(string | null)[]> {
  const results: GatherResult<Post>[] = await client.gather<Post>(
    ids.map((id) => `posts/${id}`),
    { limit: 6, onProgress: ({ done, total }) => console.log(`${done}/${total}`) },
  );
  return results.map((r) => (r.ok ? r.value.title : null));
}

export function explain(e: unknown): string {
  const err = e as FanoutError;
  return err.name === 'HTTPError' ? `HTTP ${err.status} from ${err.url}` : `${err.name}: ${err.message}`;
}
// End of the README.md example.

import {
  FanoutResponse,
  type ClientOptions,
  type FanoutErrorName,
  type GatherFailure,
  type GatherInput,
  type GatherOptions,
  type GatherProgress,
  type GatherSuccess,
  type HttpMethod,
  type RequestOptions,
  type RetrySetting,
  type UploadProgress,
} from 'fanout';
import init, { Client as WebClient, type InitOutput } from 'fanout-web';

/** `true` when `A` and `B` are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

export function constructors(): Client[] {
  const everything: ClientOptions = {
    baseUrl: new URL('http://127.0.0.1:8080/api/'),
    headers: { accept: 'application/json', 'x-count': 3 },
    timeoutMs: 10_000,
    totalTimeoutMs: 30_000,
    retry: { limit: 2, backoffMs: 100, maxBackoffMs: 2000, jitter: true, retryOnTimeout: true, statuses: [503], maxRetryAfterMs: 5000 },
    limit: 6,
    limitPerHost: 2,
    throwHttpErrors: false,
    maxBodySize: 1 << 20,
    credentials: 'include',
    allowCrossOriginHeaders: true,
  };
  const retries: RetrySetting[] = [0, 3, false, true, {}];
  const a = new Client(everything);
  const b = new Client();
  const c = new Client({ retry: retries[1]!, headers: new Headers({ a: 'b' }) });
  const d = new Client({ headers: [['x-a', '1']] });
  assertType<Equals<typeof a.baseUrl, string | undefined>>();
  // @ts-expect-error: an unknown option (it is `timeoutMs`)
  new Client({ timeout: 5 });
  // @ts-expect-error: not a credentials mode
  new Client({ credentials: 'always' });
  // @ts-expect-error: retry is a number, a boolean or an object
  new Client({ retry: 'yes' });
  // @ts-expect-error: baseUrl is read-only
  a.baseUrl = 'http://x.test/';
  return [a, b, c, d];
}

export async function requests(signal: AbortSignal, form: FormData): Promise<void> {
  const options: RequestOptions = {
    headers: { 'x-trace': 'abc' },
    query: { userId: 1, draft: false, tags: ['a', 'b'], page: undefined, big: 10n },
    timeoutMs: 5000,
    totalTimeoutMs: 20_000,
    signal,
    retry: false,
    throwHttpErrors: true,
    maxBodySize: 1000,
    credentials: 'omit',
  };
  const res: FanoutResponse = await client.get('posts', options);
  await client.get(new URL('http://127.0.0.1:8080/posts/1'));
  await client.get('posts', { query: new URLSearchParams({ userId: '1' }) });
  await client.post('posts', { json: { title: 'hi', userId: 1 } });
  await client.put('posts/1', { body: 'text' });
  await client.patch('posts/1', { body: new Uint8Array([1, 2]) });
  await client.post('upload', { body: form });
  await client.post('form', { body: new URLSearchParams({ a: '1' }) });
  await client.post('raw', { body: new ArrayBuffer(8) });
  await client.delete('posts/1');
  await client.head('posts/1');
  const methods: HttpMethod[] = ['GET', 'options', 'TRACE'];
  await client.request(methods[1]!, 'posts');

  const status: number = res.status;
  const ok: boolean = res.ok;
  const texts: string[] = [res.statusText, res.url, res.method];
  const attempts: number = res.attempts;
  const used: boolean = res.bodyUsed;
  const type: string | undefined = res.headers['content-type'];
  const header: string | undefined = res.header('Content-Type');
  console.log(status, ok, texts, attempts, used, type, header);

  assertType<Equals<Awaited<ReturnType<FanoutResponse['json']>>, unknown>>();
  const post = await res.json<Post>();
  assertType<Equals<typeof post, Post>>();
  const anything = await res.json();
  assertType<Equals<typeof anything, unknown>>();
  const text: string = await res.text();
  const bytes: Uint8Array = await res.bytes();
  console.log(text, bytes);
  res.free();
  {
    using disposable = await client.get('posts/2');
    console.log(disposable.status);
  }

  // @ts-expect-error: a path is a string or URL
  client.get(42);
  // @ts-expect-error: not an HTTP method
  client.request('BREW', 'posts');
  // @ts-expect-error: an unknown request option
  client.get('posts', { timeout: 5 });
  // @ts-expect-error: a body is not a number
  client.post('posts', { body: 42 });
  // @ts-expect-error: the response is read-only
  res.status = 500;
  // @ts-expect-error: the headers record is read-only
  res.headers['x-a'] = 'b';
  // @ts-expect-error: responses come from requests, not a constructor
  new FanoutResponse();
}

export async function gathers(signal: AbortSignal): Promise<void> {
  const inputs: GatherInput[] = [
    'posts/1',
    new URL('http://127.0.0.1:8080/posts/2'),
    { path: 'posts', method: 'POST', json: { title: 'x' }, timeoutMs: 1000 },
    { path: 'posts/3', query: { full: true }, retry: 1 },
  ];
  const progress: GatherProgress[] = [];
  const options: GatherOptions<'json'> = {
    limit: 4,
    failFast: true,
    signal,
    onProgress: (p) => progress.push(p),
    as: 'json',
  };

  const json = await client.gather(inputs, options);
  assertType<Equals<typeof json, GatherResult<unknown>[]>>();
  const posts = await client.gather<Post>(['posts/1'], { limit: 2 });
  const texts = await client.gather(['posts/1'], { as: 'text' });
  assertType<Equals<typeof texts, GatherResult<string>[]>>();
  const bytes = await client.gather(['photos'], { as: 'bytes' });
  assertType<Equals<typeof bytes, GatherResult<Uint8Array>[]>>();
  const responses = await client.gather(new Set(['posts/1']), { as: 'response' });
  assertType<Equals<typeof responses, GatherResult<FanoutResponse>[]>>();
  const loose: GatherOptions = { as: Math.random() > 0.5 ? 'text' : 'json' };
  const unknowns = await client.gather(['posts/1'], loose);
  assertType<Equals<typeof unknowns, GatherResult<unknown>[]>>();

  for (const r of posts) {
    const index: number = r.index;
    const end: number = r.endMs;
    if (r.ok) {
      const success: GatherSuccess<Post> = r;
      const title: string = r.value.title;
      const start: number = r.startMs;
      console.log(success, title, start, r.attempts, index, end);
    } else {
      const failure: GatherFailure = r;
      const start: number | null = r.startMs;
      const name: FanoutErrorName = r.error.name;
      const status: number | undefined = r.error.status;
      const url: string | undefined = r.error.url;
      const method: string | undefined = r.error.method;
      const attempts: number = r.error.attempts;
      const base: Error = r.error;
      console.log(failure, start, name, status, url, method, attempts, base);
      // @ts-expect-error: status may be undefined
      r.error.status.toFixed();
    }
    // @ts-expect-error: value exists only once `ok` says so
    console.log(r.value);
  }
  for (const r of responses) {
    if (r.ok) await r.value.text();
  }

  // @ts-expect-error: not a way to read bodies
  client.gather(['posts/1'], { as: 'xml' });
  // @ts-expect-error: an unknown gather option
  client.gather(['posts/1'], { concurrency: 2 });
  // @ts-expect-error: progress has no percent
  client.gather(['posts/1'], { onProgress: (p) => p.percent });
  // @ts-expect-error: inputs need a path
  client.gather([{ method: 'GET' }]);
}

export async function web(): Promise<string> {
  const out: InitOutput = await init();
  console.log(out.memory);
  const c = new WebClient({ baseUrl: 'http://127.0.0.1:8080/' });
  return (await c.get('posts/1')).text();
}

export async function streams(signal: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  const res = await client.get('photos', {
    onDownloadProgress: ({ loaded, total, percent }) => {
      const l: number = loaded;
      const t: number | undefined = total;
      const p: number | undefined = percent;
      console.log(l, t, p);
    },
  });
  for await (const line of res.lines()) {
    const s: string = line;
    out.push(s);
  }
  const nd = (await client.get('ndjson')).jsonLines<{ n: number }>({
    onBadLine: (e: FanoutError) => console.log(e.name),
  });
  for await (const v of nd) out.push(String(v.n));
  const r: IteratorResult<{ n: number }, undefined> = await nd.next();
  await nd.return();
  console.log(r.done);
  const events = client.sse('sse', {
    method: 'POST',
    json: { topic: 'posts' },
    signal,
    retryDelayMs: 100,
    maxRetryDelayMs: 5000,
    maxReconnects: 3,
    lastEventId: '7',
    onReconnect: ({ attempt, delayMs, lastEventId, cause }) => console.log(attempt, delayMs, lastEventId, cause),
  });
  for await (const { event, data, id, retry } of events) {
    const e: string = event;
    const n: number | undefined = retry;
    out.push(e, data, id, String(n));
  }
  // @ts-expect-error: the retry delay is in ms, as retryDelayMs
  client.sse('sse', { retryDelay: 100 });
  // @ts-expect-error: an event's data is a string
  for await (const e of client.sse('sse')) e.data.toFixed();
  // @ts-expect-error: progress is an object, not a number
  await client.get('photos', { onDownloadProgress: (n: number) => n });
  return out;
}

// Issue 11: upload progress.
export async function uploads(form: FormData): Promise<number> {
  const seen: UploadProgress[] = [];
  const res = await client.post('upload', {
    body: form,
    onUploadProgress: (p) => {
      const l: number = p.loaded;
      const t: number | undefined = p.total;
      const pc: number | undefined = p.percent;
      console.log(l, t, pc);
      seen.push(p);
    },
  });
  const { received } = await res.json<{ received: number }>();
  await client.put('upload', { json: { a: 1 }, onUploadProgress: ({ loaded }) => console.log(loaded) });
  // @ts-expect-error: progress is an object, not a number
  await client.post('upload', { body: 'x', onUploadProgress: (n: number) => n });
  // @ts-expect-error: loaded is a number
  await client.post('upload', { body: 'x', onUploadProgress: ({ loaded }) => loaded.length });
  // @ts-expect-error: ky's name, not axios's
  await client.post('upload', { body: 'x', onUploadProgressEvent: () => {} });
  return received + seen.length;
}

// Issue 10: error classes, ResponsePromise, dedupe and auth.
import {
  DecodeError,
  FanoutError as FanoutErrorClass,
  HTTPError,
  NetworkError,
  TimeoutError,
  type AuthOptions,
  type ResponsePromise,
} from 'fanout';

export async function issue10(): Promise<string[]> {
  const out: string[] = [];
  const c = new Client({
    baseUrl: 'http://127.0.0.1:8080/',
    dedupe: true,
    auth: { refresh: async () => 'token', origin: new URL('http://127.0.0.1:8080'), token: 'old' },
  });
  const sync: AuthOptions = { refresh: () => 'token' };
  const p: ResponsePromise = c.get('posts/1');
  const post = await p.json<{ id: number }>();
  const n: number = post.id;
  const text: string = await c.post('posts', { json: {} }).text();
  const bytes: Uint8Array = await c.request('GET', 'posts/1').bytes();
  const res: FanoutResponse = await c.get('posts/1');
  out.push(String(n), text, String(bytes.length), String(res.status), String(sync));
  try {
    await c.get('status/404');
  } catch (e) {
    if (e instanceof HTTPError) {
      const status: number = e.status;
      const data: unknown = e.data;
      const r: FanoutResponse | undefined = e.response;
      out.push(String(status), String(data), String(r?.headers['content-type']));
    }
    if (e instanceof FanoutErrorClass) {
      const name: FanoutErrorName = e.name;
      const attempts: number = e.attempts;
      out.push(name, String(attempts));
    }
    const all = [TimeoutError, NetworkError, DecodeError].map((C) => e instanceof C);
    out.push(String(all));
  }
  const typed = new Client().get('x').catch((e: HTTPError<{ message: string }>) => e.data?.message);
  out.push(String(await typed));
  // @ts-expect-error: dedupe is a boolean
  new Client({ dedupe: 'yes' });
  // @ts-expect-error: auth needs refresh
  new Client({ auth: { token: 'x' } });
  // @ts-expect-error: refresh gives a string token
  new Client({ auth: { refresh: async () => 42 } });
  // @ts-expect-error: the error classes are not for constructing
  new HTTPError();
  // @ts-expect-error: json() of a ResponsePromise is a promise, not the body
  (c.get('posts/1').json<{ id: number }>()).id;
  // @ts-expect-error: an HTTPError's status is a number
  ((e: HTTPError) => e.status.toUpperCase())(undefined as unknown as HTTPError);
  return out;
}

// Issue 10: hooks, as ky has them, and retry().
import { retry, type Hooks, type HookRequest, type RetryMarker } from 'fanout';

export async function hooks(): Promise<string[]> {
  const out: string[] = [];
  const h: Hooks = {
    beforeRequest: [
      async (request: HookRequest, options: object) => {
        request.headers.set('x-token', 't');
        request.url = `${request.url}?v=1`;
        out.push(request.method, String(options));
      },
    ],
    afterResponse: (request, options, response) => {
      const marker: RetryMarker = retry();
      if (response.status === 202) return marker;
      if (response.status === 404) return new Response('{}', { status: 200 });
      return undefined;
    },
    beforeRetry: async ({ request, error, retryCount }) => {
      const n: number = retryCount;
      const name: string = error.name;
      out.push(request.url, String(n), name);
    },
    beforeError: [(error) => error],
  };
  const c = new Client({ hooks: h });
  await c.get('posts/1', { hooks: { beforeRequest: (request) => request.headers.delete('x-token') } });
  // @ts-expect-error: an unknown hook
  new Client({ hooks: { onRequest: [] } });
  // @ts-expect-error: the method is read-only
  c.get('x', { hooks: { beforeRequest: (request) => { request.method = 'POST'; } } });
  // @ts-expect-error: afterResponse returns a response, retry() or nothing
  c.get('x', { hooks: { afterResponse: () => 42 } });
  // @ts-expect-error: beforeRetry gets one state object
  c.get('x', { hooks: { beforeRetry: (request: HookRequest, error: FanoutError) => out.push(request.url, error.name) } });
  return out;
}

import {
  OutboxError,
  type Outbox,
  type OutboxEntry,
  type OutboxEvent,
  type OutboxHandle,
  type OutboxOptions,
} from 'fanout';

export async function outboxes(): Promise<number> {
  const events: string[] = [];
  const options: OutboxOptions = {
    memory: true,
    maxBodySize: 1024,
    maxAttempts: 5,
    retryDelayMs: 100,
    onEvent: (e: OutboxEvent) => {
      if (e.type === 'retrying') events.push(`${e.id} in ${e.delayMs}`);
      if (e.type === 'failed') events.push(e.reason);
    },
  };
  const outbox: Outbox = await new Client().outbox('comments', options);
  const handle: OutboxHandle = await outbox.send('posts', { method: 'PUT', json: { a: 1 } });
  const id: number = handle.id;
  const key: string = handle.key;
  const status: number = (await handle.response()).status;
  const entries: OutboxEntry[] = await outbox.entries();
  const state: 'pending' | 'failed' = entries[0]!.state;
  const removed: boolean = await outbox.remove(id);
  await outbox.flush();
  await outbox.clear();
  try {
    await outbox.send('posts', { body: 'x' });
  } catch (e) {
    if (e instanceof OutboxError) events.push(e.reason, e.name);
  }
  // @ts-expect-error: an unknown option
  await new Client().outbox('x', { memroy: true });
  // @ts-expect-error: the name is a string
  await new Client().outbox(1);
  events.push(key, state, String(removed));
  return status + (await outbox.len());
}

// client.websocket: an async iterator of messages with send and close.
import type {
  FanoutMessage,
  FanoutWebSocket,
  WebSocketEvent,
  WebSocketOptions,
  WebSocketState,
} from 'fanout';

export async function webSocket(c: Client): Promise<string[]> {
  const out: string[] = [];
  const options: WebSocketOptions = {
    protocols: ['v1'],
    reconnect: { limit: 10, backoffMs: 200, maxBackoffMs: 5000, jitter: true },
    finalCodes: [4000],
    heartbeatMs: 20_000,
    heartbeatMessage: new Uint8Array([1]),
    idleTimeoutMs: 45_000,
    sendBuffer: 256,
    onEvent: (e: WebSocketEvent) => {
      if (e.type === 'reconnecting') out.push(`${e.attempt} ${e.delayMs} ${e.code} ${e.reason} ${e.resend}`);
      else if (e.type === 'closed') out.push(`${e.code} ${e.reason}`);
      else out.push(String(e.reconnects));
    },
  };
  const ws: FanoutWebSocket = c.websocket(new URL('ws://127.0.0.1:8080/ws/echo'), options);
  const sent: Promise<void> = ws.send('hi');
  await sent;
  await ws.send(new Uint8Array([1, 2]));
  await ws.send(new ArrayBuffer(2));
  await ws.sendJson({ n: 1 });
  const state: WebSocketState = ws.state;
  const n: number = ws.reconnects;
  out.push(state, String(n));
  for await (const m of ws) {
    const message: FanoutMessage = m;
    const data: string | Uint8Array = message.data;
    const text: string = message.text();
    const bytes: Uint8Array = message.bytes();
    const value = message.json<{ n: number }>();
    out.push(String(data), text, String(bytes.length), String(value.n), String(message.isText));
    break;
  }
  ws.close(4000, 'bye');
  ws.close();
  try {
    await ws.send('late');
  } catch (e) {
    const err = e as FanoutError;
    if (err.name === 'ClosedError' || err.name === 'BufferFullError') out.push(String(err.code), err.reason ?? '');
    const name: FanoutErrorName = err.name;
    out.push(name);
  }
  // @ts-expect-error: send takes a string or bytes, not an object
  ws.send({ n: 1 });
  // @ts-expect-error: an unknown option
  c.websocket('ws/echo', { retry: true });
  // @ts-expect-error: the state is read-only
  ws.state = 'open';
  // @ts-expect-error: a message's data is a string or bytes
  const wrong: number = (await ws.next()).value!.data;
  out.push(String(wrong));
  return out;
}
