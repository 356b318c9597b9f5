// The Client and FanoutResponse of the npm package (`pkg/nodejs`) against the
// dev server: requests, bodies, headers, query strings, options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { inspect, promisify } from 'node:util';

import { API, fanout, rejection, uniqueTag, stats } from './support.mjs';

const { Client, FanoutResponse } = fanout;

const client = new Client({ baseUrl: API });

test('get: status, ok, statusText, url, method, attempts', async () => {
  const res = await client.get('posts/1');
  assert.ok(res instanceof FanoutResponse);
  assert.equal(res.status, 200);
  assert.equal(res.ok, true);
  assert.equal(res.statusText, 'OK');
  assert.equal(res.url, `${API}/posts/1`);
  assert.equal(res.method, 'GET');
  assert.equal(res.attempts, 1);
  assert.equal(res.bodyUsed, false);
  // console.log shows the fields (getters, which Node.js would not list).
  assert.equal(
    inspect(res, { breakLength: Infinity }),
    `FanoutResponse { status: 200, statusText: 'OK', url: '${API}/posts/1', method: 'GET', attempts: 1, bodyUsed: false }`,
  );
  res.free();
  assert.equal(res.bodyUsed, true);
  await assert.rejects(res.json(), /freed/);
});

test('json() gives plain JS values', async () => {
  const res = await client.get('posts/1');
  const post = await res.json();
  assert.equal(Object.getPrototypeOf(post), Object.prototype);
  assert.equal(post.id, 1);
  assert.equal(post.userId, 1);
  assert.equal(typeof post.title, 'string');
  assert.equal(res.bodyUsed, true);
  const list = await (await client.get('posts', { query: { userId: 2 } })).json();
  assert.ok(Array.isArray(list));
  assert.ok(list.length > 0 && list.every((p) => p.userId === 2));
});

test('text() and bytes()', async () => {
  const text = await (await client.get('posts/2')).text();
  assert.equal(typeof text, 'string');
  assert.equal(JSON.parse(text).id, 2);
  const bytes = await (await client.get('bytes', { query: { n: 300 } })).bytes();
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(bytes.length, 300);
  assert.deepEqual([bytes[0], bytes[1], bytes[255], bytes[256], bytes[299]], [0, 1, 255, 0, 43]);
});

test('the body can be read once; a second read is a TypeError', async () => {
  const res = await client.get('posts/3');
  await res.text();
  const e = await rejection(res.json());
  assert.equal(e.name, 'TypeError');
  assert.equal(e.url, `${API}/posts/3`);
  assert.equal(e.method, 'GET');
});

test('headers: a frozen record with lowercase names, and header(name)', async () => {
  const res = await client.get('echo');
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(res.headers['x-echo'], 'yes');
  assert.equal(res.header('X-Echo'), 'yes');
  assert.equal(res.header('x-missing'), undefined);
  assert.ok(Object.isFrozen(res.headers));
  assert.ok(Object.keys(res.headers).every((k) => k === k.toLowerCase()));
  assert.equal(res.headers, res.headers, 'the same object on every access');
  res.free();
});

test('request headers: client defaults, per-request overrides, Headers and pairs', async () => {
  const c = new Client({ baseUrl: API, headers: { 'x-app': 'fanout', 'x-trace': 'default' } });
  const echo = await (await c.get('echo', { headers: { 'X-Trace': 'mine' } })).json();
  assert.equal(echo.headers['x-app'], 'fanout');
  assert.equal(echo.headers['x-trace'], 'mine');
  const h = new Headers({ 'x-from': 'headers' });
  const echo2 = await (await c.get('echo', { headers: h })).json();
  assert.equal(echo2.headers['x-from'], 'headers');
  const echo3 = await (await c.get('echo', { headers: [['x-pair', '1'], ['x-num', '2']] })).json();
  assert.equal(echo3.headers['x-pair'], '1');
  assert.equal(echo3.headers['x-num'], '2');
});

test('options are the object\'s own properties (as ky spreads them): getters and proxies read, inherited ones not', async () => {
  const withGetter = {};
  Object.defineProperty(withGetter, 'headers', { get: () => ({ 'x-own': 'getter' }), enumerable: false });
  assert.equal((await (await client.get('echo', withGetter)).json()).headers['x-own'], 'getter');
  const proxied = new Proxy({ headers: { 'x-own': 'proxy' } }, {});
  assert.equal((await (await client.get('echo', proxied)).json()).headers['x-own'], 'proxy');
  const inherited = Object.create({ headers: { 'x-own': 'inherited' } });
  assert.equal((await (await client.get('echo', inherited)).json()).headers['x-own'], undefined);
});

test('query: records, numbers, booleans, repeated keys, URLSearchParams, undefined skipped', async () => {
  const res = await client.get('echo', {
    query: { q: 'a b&c', n: 5, f: 1.5, yes: true, id: [1, 2], skip: undefined },
  });
  const echo = await res.json();
  assert.deepEqual(echo.query, { q: 'a b&c', n: '5', f: '1.5', yes: 'true', id: '2' });
  const url = new URL(res.url);
  assert.deepEqual(url.searchParams.getAll('id'), ['1', '2']);
  assert.equal(url.searchParams.has('skip'), false);
  const echo2 = await (await client.get('echo?x=1', { query: new URLSearchParams({ y: '2' }) })).json();
  assert.deepEqual(echo2.query, { x: '1', y: '2' });
});

test('post json: serialized with content-type application/json', async () => {
  const payload = { title: 'hi', userId: 1, tags: ['a'], nested: { ok: true } };
  const res = await client.post('echo', { json: payload });
  const echo = await res.json();
  assert.equal(echo.method, 'POST');
  assert.equal(echo.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(echo.body), payload);
  const created = await client.post('posts', { json: { title: 't', body: 'b', userId: 1 } });
  assert.equal(created.status, 201);
  assert.equal((await created.json()).title, 't');
});

test('bodies: string, Uint8Array, ArrayBuffer, URLSearchParams, FormData', async () => {
  const send = async (body, headers) => (await client.put('echo', { body, headers })).json();
  let echo = await send('plain');
  assert.equal(echo.body, 'plain');
  assert.equal(echo.headers['content-type'], 'text/plain;charset=UTF-8');
  echo = await send(new TextEncoder().encode('bytes!'), { 'content-type': 'application/octet-stream' });
  assert.equal(echo.body, 'bytes!');
  assert.equal(echo.headers['content-type'], 'application/octet-stream');
  echo = await send(new TextEncoder().encode('buffer').buffer);
  assert.equal(echo.body, 'buffer');
  echo = await send(new URLSearchParams({ a: '1', b: 'x y' }));
  assert.equal(echo.body, 'a=1&b=x+y');
  assert.equal(echo.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
  const form = new FormData();
  form.append('field', 'value');
  echo = await send(form);
  assert.match(echo.headers['content-type'], /^multipart\/form-data; boundary=/);
  assert.match(echo.body, /name="field"\r\n\r\nvalue/);
});

test('every method: put, patch, delete, head, request', async () => {
  assert.equal((await (await client.put('echo')).json()).method, 'PUT');
  assert.equal((await (await client.patch('echo', { json: {} })).json()).method, 'PATCH');
  assert.equal((await (await client.delete('echo')).json()).method, 'DELETE');
  const head = await client.head('posts/1');
  assert.equal(head.status, 200);
  assert.equal(head.method, 'HEAD');
  assert.equal(await head.text(), '');
  assert.equal((await (await client.request('options', 'echo')).json()).method, 'OPTIONS');
  assert.equal((await (await client.request('PUT', 'echo')).json()).method, 'PUT');
  const deleted = await client.delete('posts/1');
  assert.equal(deleted.status, 200);
});

test('paths: relative to baseUrl, absolute, and URL objects', async () => {
  const c = new Client({ baseUrl: `${API}/posts` });
  assert.equal(c.baseUrl, `${API}/posts/`);
  assert.equal((await (await c.get('4')).json()).id, 4);
  assert.equal((await (await c.get('/users/1')).json()).id, 1);
  const plain = new Client();
  assert.equal(plain.baseUrl, undefined);
  assert.equal((await (await plain.get(`${API}/posts/5`)).json()).id, 5);
  assert.equal((await (await plain.get(new URL('/posts/6', API))).json()).id, 6);
});

test('throwHttpErrors: false resolves 4xx/5xx responses', async () => {
  const c = new Client({ baseUrl: API, throwHttpErrors: false, retry: false });
  const res = await c.get('status/404');
  assert.equal(res.status, 404);
  assert.equal(res.ok, false);
  assert.deepEqual(await res.json(), { status: 404 });
  // And per request, either way.
  const res2 = await client.get('status/418', { throwHttpErrors: false });
  assert.equal(res2.status, 418);
  const e = await rejection(c.get('status/400', { throwHttpErrors: true }));
  assert.equal(e.name, 'HTTPError');
});

test('retry: flaky endpoints are retried; the attempts are counted', async () => {
  const key = uniqueTag('flaky');
  const res = await client.get(`flaky/${key}`, { query: { fail: 2 }, retry: { limit: 2, backoffMs: 10 } });
  assert.equal(res.status, 200);
  assert.equal(res.attempts, 3);
  const key2 = uniqueTag('flaky');
  const e = await rejection(client.get(`flaky/${key2}`, { query: { fail: 5 }, retry: 1 }));
  assert.equal(e.name, 'HTTPError');
  assert.equal(e.status, 503);
  assert.equal(e.attempts, 2);
  const key3 = uniqueTag('flaky');
  const e3 = await rejection(client.get(`flaky/${key3}`, { retry: false }));
  assert.equal(e3.attempts, 1);
  // POST is never retried.
  const key4 = uniqueTag('flaky');
  const e4 = await rejection(client.post(`flaky/${key4}`, { retry: 3 }));
  assert.equal(e4.attempts, 1);
});

test('limit: a client never has more requests in flight than its limit', async () => {
  const tag = uniqueTag('client-limit');
  const c = new Client({ baseUrl: API, limit: 2 });
  const bodies = await Promise.all(
    Array.from({ length: 6 }, (_, i) => c.get('posts/1', { query: { tag, delay: 60, u: i } }).then((r) => r.json())),
  );
  assert.equal(bodies.length, 6);
  const s = await stats(tag);
  assert.equal(s.requests, 6);
  assert.equal(s.peak_in_flight, 2);
});

test('free(): an unread response gives its place under the limit back', async () => {
  const c = new Client({ baseUrl: API, limit: 1 });
  const first = await c.get('posts/1');
  const second = c.get('posts/2');
  let settled = false;
  second.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(settled, false, 'the second request waits for the first response');
  first.free();
  const res = await second;
  assert.equal((await res.json()).id, 2);
});

test('responses without a body (HEAD, 204) read as empty and hold no place', async () => {
  const c = new Client({ baseUrl: API, limit: 1 });
  const head = await c.head('posts/1');
  const noContent = await c.get('status/204'); // would wait if `head` held the slot
  assert.equal(noContent.status, 204);
  assert.equal(await noContent.text(), '');
  assert.equal((await noContent.bytes()).length, 0);
  assert.equal(noContent.bodyUsed, false);
  const e = await rejection(head.json());
  assert.equal(e.name, 'DecodeError');
  assert.equal(e.method, 'HEAD');
  assert.match(e.message, /the body is empty/);
  // Freed, a response without a body can't be read either.
  head.free();
  assert.equal(head.bodyUsed, true);
  await assert.rejects(head.text(), /the response was freed/);
});

test('a response through a Proxy (as Vue\'s reactive() wraps it), and its class', async () => {
  const res = await client.get('posts/1');
  const p = new Proxy(res, {});
  assert.equal(p.status, 200);
  assert.equal(p.url, `${API}/posts/1`);
  assert.equal(p.header('Content-Type'), 'application/json; charset=utf-8');
  assert.equal(p.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal((await p.json()).id, 1);
  assert.equal(res.bodyUsed, true);
  // One prototype: the exported class's, with every getter and method.
  assert.equal(Object.getPrototypeOf(res), FanoutResponse.prototype);
  assert.equal(res.constructor, FanoutResponse);
  for (const name of ['json', 'text', 'bytes', 'lines', 'jsonLines', 'header', 'free']) {
    assert.equal(typeof FanoutResponse.prototype[name], 'function', name);
  }
  assert.deepEqual(Object.keys(res), [], 'no enumerable own fields');
  // A spy on the prototype (as vi.spyOn or sinon would set) sees the call.
  const text = FanoutResponse.prototype.text;
  let calls = 0;
  FanoutResponse.prototype.text = function spy() {
    calls += 1;
    return text.call(this);
  };
  try {
    assert.equal(JSON.parse(await (await client.get('posts/2')).text()).id, 2);
  } finally {
    FanoutResponse.prototype.text = text;
  }
  assert.equal(calls, 1);
  // console.log of the prototype itself does not throw.
  assert.doesNotThrow(() => inspect(FanoutResponse.prototype));
});

test('garbage collection: a dropped, unread response gives its place back', async () => {
  // A fresh Node.js with --expose-gc: the response of the first request is
  // neither read nor freed; once collected, its finalizer frees it and the
  // second request (limit 1) can go.
  const pkg = new URL('../../pkg/nodejs/fanout.js', import.meta.url).pathname;
  const script = `
    import { createRequire } from 'node:module';
    const { Client } = createRequire(import.meta.url)(${JSON.stringify(pkg)});
    const client = new Client({ baseUrl: ${JSON.stringify(`${API}/`)}, limit: 1 });
    await (async () => { await client.get('posts/1'); })();
    let id;
    client.get('posts/2').then((r) => r.json()).then((post) => (id = post.id));
    for (let i = 0; i < 300 && id === undefined; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(id ?? 'stuck');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    timeout: 20_000,
  });
  assert.equal(stdout.trim(), '2');
});

test('maxBodySize: a larger body is a TypeError, a smaller one reads', async () => {
  const c = new Client({ baseUrl: API, maxBodySize: 100 });
  const e = await rejection(c.get('bytes', { query: { n: 1000 } }).then((r) => r.bytes()));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /larger than the limit of 100 bytes/);
  assert.equal((await (await c.get('bytes', { query: { n: 50 } })).bytes()).length, 50);
  assert.equal((await (await c.get('posts/1', { maxBodySize: 10_000 })).json()).id, 1);
  assert.equal(typeof (await (await c.get('bytes', { query: { n: 60 } })).text()), 'string');
});
