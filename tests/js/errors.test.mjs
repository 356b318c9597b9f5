// Every error name of the JS API, with its fields, from the `nodejs` build.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { API, REFUSED, fanout, rejection, settled, thrown, uniqueTag } from './support.mjs';

const { Client } = fanout;

const client = new Client({ baseUrl: API });

/** The fields every fanout error has. */
function assertFanoutError(e, name) {
  assert.ok(e instanceof Error, 'a JS Error');
  assert.equal(e.name, name);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  assert.ok('status' in e && 'url' in e && 'method' in e && 'attempts' in e);
}

test('HTTPError 404: status, url, method; not retried', async () => {
  const e = await rejection(client.get('status/404'));
  assertFanoutError(e, 'HTTPError');
  assert.equal(e.status, 404);
  assert.equal(e.url, `${API}/status/404`);
  assert.equal(e.method, 'GET');
  assert.equal(e.attempts, 1);
  assert.match(e.message, /^GET http:\/\/127\.0\.0\.1:\d+\/status\/404: HTTP 404 Not Found$/);
});

test('HTTPError 503: retried twice by default, then rejected', async () => {
  const e = await rejection(client.delete('status/503'));
  assertFanoutError(e, 'HTTPError');
  assert.equal(e.status, 503);
  assert.equal(e.url, `${API}/status/503`);
  assert.equal(e.method, 'DELETE');
  assert.equal(e.attempts, 3);
});

test('TimeoutError: /hang with timeoutMs, and totalTimeoutMs', async () => {
  const tag = uniqueTag('timeout');
  const start = performance.now();
  const e = await rejection(client.get('hang', { timeoutMs: 150, query: { tag } }));
  const took = performance.now() - start;
  assertFanoutError(e, 'TimeoutError');
  assert.equal(e.url, `${API}/hang?tag=${tag}`);
  assert.equal(e.method, 'GET');
  assert.equal(e.status, undefined);
  assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
  // The fetch was aborted: the server saw the request go away.
  const s = await settled(tag);
  assert.equal(s.in_flight, 0);
  assert.equal(s.cancelled, 1);

  const c = new Client({ baseUrl: API, totalTimeoutMs: 100 });
  const e2 = await rejection(c.get('hang'));
  assertFanoutError(e2, 'TimeoutError');
  assert.match(e2.message, /total timeout of 100 ms/);
});

test('NetworkError: a refused connection', async () => {
  const e = await rejection(client.get(REFUSED, { retry: false }));
  assertFanoutError(e, 'NetworkError');
  assert.equal(e.url, REFUSED);
  assert.equal(e.method, 'GET');
  assert.equal(e.status, undefined);
  assert.equal(e.attempts, 1);
  // Network errors of idempotent requests are retried.
  const e2 = await rejection(client.get(REFUSED, { retry: { limit: 1, backoffMs: 10 } }));
  assertFanoutError(e2, 'NetworkError');
  assert.equal(e2.attempts, 2);
});

test('DecodeError: json() of /malformed', async () => {
  const res = await client.get('malformed');
  assert.equal(res.status, 200);
  const e = await rejection(res.json());
  assertFanoutError(e, 'DecodeError');
  assert.equal(e.url, `${API}/malformed`);
  assert.equal(e.method, 'GET');
  assert.match(e.message, /invalid JSON/);
  // text() of the same endpoint is fine.
  assert.match(await (await client.get('malformed')).text(), /^\{"userId": 1/);
});

test('AbortError: an AbortSignal, fired during the request or before it', async () => {
  const tag = uniqueTag('abort');
  const controller = new AbortController();
  const pending = client.get('hang', { signal: controller.signal, query: { tag } });
  setTimeout(() => controller.abort(), 50);
  const e = await rejection(pending);
  assertFanoutError(e, 'AbortError');
  assert.equal(e.url, `${API}/hang?tag=${tag}`);
  assert.equal(e.method, 'GET');
  assert.equal((await settled(tag)).cancelled, 1);

  const e2 = await rejection(client.post('posts', { json: {}, signal: AbortSignal.abort() }));
  assertFanoutError(e2, 'AbortError');
  assert.equal(e2.method, 'POST');
  // A timeout signal of the platform is an abort too.
  const e3 = await rejection(client.get('hang', { signal: AbortSignal.timeout(50) }));
  assertFanoutError(e3, 'AbortError');
});

test('AbortError: aborting while the body is read', async () => {
  const controller = new AbortController();
  const res = await client.get('drip', { query: { chunks: 20, interval_ms: 50 }, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const e = await rejection(res.text());
  assertFanoutError(e, 'AbortError');
});

test('TypeError: a bad baseUrl or header throws from the constructor', () => {
  const e = thrown(() => new Client({ baseUrl: 'not a url' }));
  assertFanoutError(e, 'TypeError');
  assert.match(e.message, /base URL/);
  assert.equal(e.attempts, 0);
  assert.equal(thrown(() => new Client({ baseUrl: 'ftp://example.test/' })).name, 'TypeError');
  assert.equal(thrown(() => new Client({ headers: { 'bad name': 'x' } })).name, 'TypeError');
  assert.equal(thrown(() => new Client({ headers: { 'x-ok': 'a\nb' } })).name, 'TypeError');
});

test('TypeError: options are checked by name and type', () => {
  const cases = [
    [{ timeout: 1000 }, /unknown option "timeout" in Client options/],
    [{ timeoutMs: -1 }, /timeoutMs must be a positive number of milliseconds \(at most 2147483647\), not -1/],
    [{ timeoutMs: '100' }, /timeoutMs must be a positive number/],
    [{ limit: 0 }, /limit must be a positive integer, not 0/],
    [{ limit: 1.5 }, /limit must be a positive integer/],
    [{ retry: 'yes' }, /retry must be/],
    [{ retry: { limit: 1, tries: 2 } }, /unknown option "tries"/],
    [{ retry: { statuses: [503, 'x'] } }, /statuses must be an array of status codes/],
    [{ retry: { backoffMs: 500, maxBackoffMs: 100 } }, /backoff cap/],
    [{ credentials: 'always' }, /credentials must be 'omit', 'same-origin' or 'include'/],
    [{ throwHttpErrors: 'no' }, /throwHttpErrors must be a boolean/],
    [{ headers: 'x: y' }, /headers must be an object/],
    [{ headers: { 'x-a': {} } }, /headers.x-a must be a string, number or boolean/],
    [{ baseUrl: 42 }, /baseUrl must be a string or a URL/],
    ['http://x.test', /Client options must be an object/],
  ];
  for (const [options, message] of cases) {
    const e = thrown(() => new Client(options));
    assertFanoutError(e, 'TypeError');
    assert.match(e.message, message);
  }
  // null and undefined mean "not set".
  new Client(null).free();
  new Client({ timeoutMs: undefined, retry: null }).free();
});

test('TypeError: bad request arguments reject, and nothing is sent', async () => {
  const cases = [
    [() => client.get('posts/1', { timeout: 5 }), /unknown option "timeout" in request options/],
    [() => client.post('posts', { json: {}, body: 'x' }), /json or body, not both/],
    [() => client.post('posts', { json: 10n }), /BigInt/],
    [() => client.post('posts', { json: undefined, body: 5 }), /body must be a string, Uint8Array/],
    [() => client.get('posts/1', { signal: {} }), /signal must be an AbortSignal/],
    [() => client.get(42), /path must be a string or a URL, not 42/],
    [() => client.request('BREW', 'posts/1'), /unsupported HTTP method "BREW"/],
    [() => new Client().get('posts/1'), /needs a base URL/],
    [() => client.get('posts/1', { headers: { 'bad name': 'x' } }), /invalid header name/],
    [() => client.get('posts/1', { query: 'a=1' }), /query must be an object/],
  ];
  for (const [call, message] of cases) {
    const promise = call();
    assert.ok(promise instanceof Promise, 'bad arguments reject rather than throw');
    const e = await rejection(promise);
    assertFanoutError(e, 'TypeError');
    assert.match(e.message, message);
    assert.equal(e.attempts, 0);
  }
  const e = await rejection(client.get('posts/1', { timeoutMs: 0 }));
  assert.equal(e.url, `${API}/posts/1`);
  assert.equal(e.method, 'GET');
});

test('default headers are not sent to another origin', async () => {
  const c = new Client({ baseUrl: API, headers: { authorization: 'secret' } });
  const e = await rejection(c.get(REFUSED));
  assertFanoutError(e, 'TypeError');
  assert.match(e.message, /refusing to send the client's default headers/);
  const open = new Client({ baseUrl: API, headers: { 'x-a': '1' }, allowCrossOriginHeaders: true });
  assert.equal((await rejection(open.get(REFUSED, { retry: false }))).name, 'NetworkError');
});
