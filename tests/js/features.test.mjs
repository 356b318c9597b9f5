// Issue 10's JS API (`pkg/nodejs`) against the dev server: error classes
// with `instanceof` and `error.data`, the ResponsePromise readers
// (`client.get(u).json()`), `dedupe` and `auth` (one token refresh for
// many 401s).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { API, REFUSED, fanout, rejection, settled, stats, thrown, uniqueTag } from './support.mjs';

const { Client, FanoutError, HTTPError, TimeoutError, NetworkError, DecodeError, FanoutResponse } = fanout;

const client = new Client({ baseUrl: API });

test('error classes: exported, chained to Error', () => {
  for (const C of [HTTPError, TimeoutError, NetworkError, DecodeError]) {
    assert.equal(typeof C, 'function');
    assert.equal(Object.getPrototypeOf(C.prototype), FanoutError.prototype);
  }
  assert.equal(Object.getPrototypeOf(FanoutError.prototype), Error.prototype);
});

test('instanceof: each error class, and FanoutError and Error for all', async () => {
  const cases = [
    [() => client.get('status/404'), HTTPError, 'HTTPError'],
    [() => client.get('hang', { timeoutMs: 100 }), TimeoutError, 'TimeoutError'],
    [() => new Client({ baseUrl: REFUSED, retry: false }).get('x'), NetworkError, 'NetworkError'],
  ];
  for (const [p, C, name] of cases) {
    const e = await rejection(p());
    assert.ok(e instanceof C, `${name} instanceof its class`);
    assert.ok(e instanceof FanoutError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, name);
    assert.equal(typeof e.stack, 'string');
    for (const Other of [HTTPError, TimeoutError, NetworkError, DecodeError].filter((o) => o !== C)) {
      assert.ok(!(e instanceof Other));
    }
  }
  const bad = await client.get('ndjson?n=2');
  const d = await rejection(bad.json());
  assert.ok(d instanceof DecodeError && d instanceof FanoutError);
  assert.equal(d.name, 'DecodeError');

  // AbortError and TypeError keep their names, and are FanoutErrors.
  const c = new AbortController();
  c.abort();
  const a = await rejection(client.get('posts/1', { signal: c.signal }));
  assert.equal(a.name, 'AbortError');
  assert.ok(a instanceof FanoutError);
  const t = thrown(() => new Client({ baseUrl: 'nope' }));
  assert.equal(t.name, 'TypeError');
  assert.ok(t instanceof FanoutError);
});

test('HTTPError: data is the parsed JSON body, response has status and headers', async () => {
  const e = await rejection(client.get('status/404'));
  assert.ok(e instanceof HTTPError);
  assert.equal(e.status, 404);
  assert.deepEqual(e.data, { status: 404 });
  assert.ok(e.response instanceof FanoutResponse);
  assert.equal(e.response.status, 404);
  assert.match(e.response.headers['content-type'], /json/);
  assert.equal(e.response.bodyUsed, true);
  assert.match(e.message, /^GET http:\/\/127\.0\.0\.1:\d+\/status\/404: HTTP 404 Not Found$/);
  assert.equal(e.attempts, 1);
  // Retried statuses keep the attempts; gather failures carry data too.
  const r = await client.gather(['status/404'], { as: 'text' });
  assert.equal(r[0].ok, false);
  assert.ok(r[0].error instanceof HTTPError);
  assert.deepEqual(r[0].error.data, { status: 404 });
  // throwHttpErrors: false on a request or a client still resolves.
  const ok = await client.get('status/404', { throwHttpErrors: false });
  assert.equal(ok.status, 404);
  assert.deepEqual(await ok.json(), { status: 404 });
  const lax = new Client({ baseUrl: API, throwHttpErrors: false });
  assert.equal((await lax.get('status/500', { retry: false })).status, 500);
  const e2 = await rejection(lax.get('status/404', { throwHttpErrors: true }));
  assert.ok(e2 instanceof HTTPError);
});

test('ResponsePromise: get(u).json(), text(), bytes(); await still gives the response', async () => {
  const post = await client.get('posts/1').json();
  assert.equal(post.id, 1);
  const text = await client.get('posts/1').text();
  assert.equal(JSON.parse(text).id, 1);
  const bytes = await client.post('posts', { json: { a: 1 } }).bytes();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
  // The readers are the promise's own functions: they work detached.
  const { json } = client.get('posts/3');
  assert.equal((await json()).id, 3);
  const res = await client.request('GET', 'posts/2');
  assert.ok(res instanceof FanoutResponse);
  assert.equal((await res.json()).id, 2);
  // A rejection reaches the reader's promise, typed.
  const e = await rejection(client.get('status/404').json());
  assert.ok(e instanceof HTTPError);
  const m = await rejection(client.request(42, 'posts/1').json());
  assert.equal(m.name, 'TypeError');
});

test('dedupe: 50 concurrent identical GETs are 1 request at the server, 50 bodies', async () => {
  const tag = uniqueTag('dedupe');
  const c = new Client({ baseUrl: API, dedupe: true });
  const bodies = await Promise.all(
    Array.from({ length: 50 }, () => c.get('posts/3', { query: { tag, delay: 50 } }).json()),
  );
  assert.equal(bodies.length, 50);
  for (const b of bodies) assert.equal(b.id, 3);
  const s = await stats(tag);
  assert.equal(s.requests, 1, JSON.stringify(s));
  assert.equal(thrown(() => new Client({ dedupe: 'yes' })).name, 'TypeError');
});

test('dedupe: an AbortSignal detaches its caller alone; when all abort, the fetch is aborted', async () => {
  const c = new Client({ baseUrl: API, dedupe: true, retry: false });
  const tag = uniqueTag('dedupe-signal');
  const controllers = Array.from({ length: 5 }, () => new AbortController());
  const calls = controllers.map((ctl, i) =>
    c.get('posts/6', { query: { tag, delay: 300 }, signal: i < 2 ? ctl.signal : undefined }).json(),
  );
  setTimeout(() => { controllers[0].abort(); controllers[1].abort(); }, 50);
  const settledCalls = await Promise.allSettled(calls);
  assert.deepEqual(settledCalls.map((r) => r.status), ['rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  assert.equal(settledCalls[0].reason.name, 'AbortError');
  for (const r of settledCalls.slice(2)) assert.equal(r.value.id, 6);
  let s = await settled(tag);
  assert.deepEqual([s.requests, s.cancelled], [1, 0], JSON.stringify(s));

  const all = uniqueTag('dedupe-signal-all');
  const ctl = new AbortController();
  const both = [c.get('hang', { query: { tag: all }, signal: ctl.signal }), c.get('hang', { query: { tag: all }, signal: ctl.signal })];
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await stats(all)).in_flight, 1, 'one fetch for both callers');
  ctl.abort();
  for (const r of await Promise.allSettled(both)) assert.equal(r.reason.name, 'AbortError');
  s = await settled(all);
  assert.deepEqual([s.in_flight, s.requests, s.cancelled], [0, 1, 1], JSON.stringify(s));
});

async function authCounts(key) {
  return (await fetch(`${API}/auth/${key}/count`)).json();
}

function refreshing(key, fail) {
  let calls = 0;
  const c = new Client({
    baseUrl: API,
    retry: false,
    auth: {
      token: 'stale',
      refresh: async () => {
        calls += 1;
        const r = await fetch(`${API}/auth/${key}/token${fail ? '?fail=1' : ''}`, { method: 'POST' });
        if (!r.ok) throw new Error(`token endpoint answered ${r.status}`);
        return r.text();
      },
    },
  });
  return { c, calls: () => calls };
}

test('auth: 20 concurrent 401s share one refresh, 20 successes', async () => {
  const key = uniqueTag('refresh');
  const { c, calls } = refreshing(key, false);
  const all = await Promise.all(Array.from({ length: 20 }, (_, i) => c.get(`auth/${key}/data`, { query: { i } }).json()));
  for (const r of all) assert.equal(r.ok, true);
  const counts = await authCounts(key);
  assert.equal(counts.tokens, 1, JSON.stringify(counts));
  assert.equal(calls(), 1);
  assert.ok(counts.requests <= 40, JSON.stringify(counts));
});

test('auth: a failing refresh gives 20 typed errors', async () => {
  const key = uniqueTag('refresh-fail');
  const { c } = refreshing(key, true);
  const all = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => c.get(`auth/${key}/data`, { query: { i } })));
  for (const r of all) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof HTTPError, String(r.reason));
    assert.equal(r.reason.status, 401);
    assert.match(r.reason.message, /token endpoint answered 500/);
  }
  const counts = await authCounts(key);
  assert.equal(counts.tokens, 0);
});

test('auth: bad options are TypeErrors naming them', () => {
  const bad = [
    [{ auth: {} }, /Client options\.auth\.refresh must be a function/],
    [{ auth: { refresh: () => 't' } }, /Client options\.auth\.origin is needed/],
    [{ baseUrl: API, auth: { refresh: () => 't', origin: 'ftp://x' } }, /Client options\.auth\.origin must be/],
    [{ baseUrl: API, auth: { refresh: () => 't', token: 1 } }, /Client options\.auth\.token must be a string/],
    [{ baseUrl: API, auth: { refresh: () => 't', nope: 1 } }, /unknown option "nope" in Client options\.auth/],
    [{ baseUrl: API, auth: 'x' }, /Client options\.auth must be an object/],
  ];
  for (const [opts, re] of bad) {
    const e = thrown(() => new Client(opts));
    assert.equal(e.name, 'TypeError');
    assert.match(e.message, re);
  }
});

// ---------------------------------------------------------------------------
// hooks: ky's beforeRequest, afterResponse, beforeRetry, beforeError
// ---------------------------------------------------------------------------

const { retry } = fanout;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('hooks: client first, then the request, async awaited; both changes are sent', async () => {
  const log = [];
  const c = new Client({
    baseUrl: API,
    hooks: {
      beforeRequest: [
        async (request, options) => {
          await sleep(5);
          log.push(`client ${request.method} ${typeof options}`);
          request.headers.set('x-client', '1');
        },
      ],
    },
  });
  const echo = await c
    .get('echo', {
      hooks: {
        beforeRequest: (request) => {
          log.push(`request ${request.headers.get('x-client')}`);
          request.headers.set('x-request', '2');
        },
      },
    })
    .json();
  assert.deepEqual(log, ['client GET object', 'request 1']);
  assert.equal(echo.headers['x-client'], '1');
  assert.equal(echo.headers['x-request'], '2');
  // A request without hooks of its own still runs the client's.
  const plain = await c.get('echo').json();
  assert.equal(plain.headers['x-client'], '1');
  assert.equal(plain.headers['x-request'], undefined);
  assert.equal(log.length, 3);
});

test('hooks: beforeRequest may change the URL', async () => {
  const c = new Client({ baseUrl: API });
  const echo = await c
    .get('status/500', {
      hooks: { beforeRequest: (request) => { request.url = `${API}/echo?moved=1`; } },
    })
    .json();
  assert.equal(echo.path, '/echo');
  assert.equal(echo.query.moved, '1');
});

test('hooks: afterResponse reads its copy and asks for a retry; beforeRetry sees it', async () => {
  const key = uniqueTag('hook-retry');
  const retries = [];
  const c = new Client({
    baseUrl: API,
    retry: { limit: 2, backoffMs: 1 },
    hooks: {
      afterResponse: [
        async (request, options, response) => {
          assert.ok(response instanceof FanoutResponse);
          const body = await response.json();
          return body.attempt === 1 ? retry() : undefined;
        },
      ],
      beforeRetry: [
        async ({ request, error, retryCount }) => {
          await sleep(1);
          retries.push([request.url, error.status, retryCount]);
        },
      ],
    },
  });
  const res = await c.get(`flaky/${key}?status=202`);
  assert.equal(res.status, 200);
  assert.equal(res.attempts, 2);
  // The caller reads the original body, which the hook's copy left unread.
  const body = await res.json();
  assert.equal(body.ok, true);
  assert.equal(body.attempts, 2);
  assert.deepEqual(retries, [[`${API}/flaky/${key}?status=202`, 202, 1]]);
});

test('hooks: afterResponse may replace the response, before a 4xx becomes an HTTPError', async () => {
  const c = new Client({
    baseUrl: API,
    hooks: {
      afterResponse: (request, options, response) =>
        response.status === 404
          ? new Response('{"replaced":true}', { status: 200, headers: { 'content-type': 'application/json' } })
          : undefined,
    },
  });
  const res = await c.get('status/404');
  assert.equal(res.status, 200);
  assert.equal(res.header('content-type'), 'application/json');
  assert.deepEqual(await res.json(), { replaced: true });
  // Returning another FanoutResponse works too.
  const other = await c.get('posts/2', { hooks: { afterResponse: () => c.get('posts/3') } }).json();
  assert.equal(other.id, 3);
  // And handing back the response the hook got (a copy, which takes over
  // the fetch from the original).
  const same = await c.get('posts/4', { hooks: { afterResponse: (q, o, r) => r } }).json();
  assert.equal(same.id, 4);
  // One it freed is refused, typed.
  const freed = await rejection(
    c.get('posts/4', {
      hooks: {
        afterResponse: (q, o, r) => {
          r.free();
          return r;
        },
      },
    }),
  );
  assert.equal(freed.name, 'TypeError');
  assert.match(freed.message, /a FanoutResponse that was freed/);
});

test('hooks: beforeRetry may change the request that is sent again', async () => {
  const c = new Client({ baseUrl: API, retry: { limit: 1, backoffMs: 1 } });
  const echo = await c
    .get('status/503', {
      hooks: {
        beforeRetry: ({ request }) => {
          request.url = `${API}/echo`;
          request.headers.set('x-retried', 'yes');
        },
      },
    })
    .json();
  assert.equal(echo.path, '/echo');
  assert.equal(echo.headers['x-retried'], 'yes');
});

test('hooks: a hook that throws rejects with what it threw; nothing sent, nothing unhandled', async () => {
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const tag = uniqueTag('hook-throws');
    const boom = new Error('no session');
    const c = new Client({ baseUrl: API, hooks: { beforeRequest: () => { throw boom; } } });
    assert.equal(await rejection(c.get('posts/1', { query: { tag } })), boom);
    // An async hook's rejection, and a thrown non-Error value.
    const rejecting = new Client({ baseUrl: API, hooks: { beforeRequest: async () => { throw 'nope'; } } });
    assert.equal(await rejection(rejecting.get('posts/1', { query: { tag } })), 'nope');
    assert.equal((await stats(tag)).requests, 0, 'nothing was sent');

    const after = new Client({ baseUrl: API, retry: { limit: 2, backoffMs: 1 } });
    const e = await rejection(after.get('posts/1', { query: { tag }, hooks: { afterResponse: () => { throw boom; } } }));
    assert.equal(e, boom);
    assert.equal((await stats(tag)).requests, 1, 'sent once, not retried');

    const bad = await rejection(after.get('posts/1', { hooks: { afterResponse: () => 42 } }));
    assert.equal(bad.name, 'TypeError');
    assert.match(bad.message, /afterResponse hook must return undefined, a Response, a FanoutResponse or retry\(\), not 42/);

    const stopped = await rejection(
      after.get('status/503', { query: { tag }, hooks: { beforeRetry: () => { throw boom; } } }),
    );
    assert.equal(stopped, boom);
    await sleep(20);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('hooks: beforeError sees the HTTPError with data, client first, and may replace it', async () => {
  const seen = [];
  const c = new Client({
    baseUrl: API,
    hooks: {
      beforeError: (error) => {
        seen.push(['client', error instanceof HTTPError, error.data?.status]);
        error.message = `client: ${error.message}`;
        return error;
      },
    },
  });
  const e = await rejection(
    c.get('status/404', {
      hooks: {
        beforeError: [
          async (error) => {
            seen.push(['request', error.message.startsWith('client: ')]);
            const mapped = new Error(`mapped ${error.status}`);
            mapped.original = error;
            return mapped;
          },
        ],
      },
    }),
  );
  assert.equal(e.message, 'mapped 404');
  assert.ok(e.original instanceof HTTPError);
  assert.deepEqual(seen, [['client', true, 404], ['request', true]]);
  // Returning nothing keeps the error.
  const kept = await rejection(c.get('status/404', { hooks: { beforeError: () => {} } }));
  assert.ok(kept instanceof HTTPError);
});

test('hooks: a gather runs the client hooks for each input, beforeError on failures', async () => {
  let before = 0;
  const c = new Client({
    baseUrl: API,
    retry: false,
    hooks: {
      beforeRequest: () => { before += 1; },
      beforeError: (error) => Object.assign(error, { marked: true }),
    },
  });
  const results = await c.gather(['posts/1', 'status/500', 'posts/2']);
  assert.equal(before, 3);
  assert.deepEqual(results.map((r) => r.ok), [true, false, true]);
  assert.equal(results[1].error.marked, true);
  assert.ok(results[1].error instanceof HTTPError);
});

test('hooks: bad hooks options are TypeErrors naming them', () => {
  const bad = [
    [{ hooks: 'x' }, /Client options\.hooks must be an object/],
    [{ hooks: { beforeRequest: 1 } }, /Client options\.hooks\.beforeRequest must be a function or an array of functions/],
    [{ hooks: { afterResponse: [() => {}, 'x'] } }, /Client options\.hooks\.afterResponse must be an array of functions/],
    [{ hooks: { onRequest: [] } }, /unknown option "onRequest" in Client options\.hooks/],
  ];
  for (const [opts, re] of bad) {
    const e = thrown(() => new Client(opts));
    assert.equal(e.name, 'TypeError');
    assert.match(e.message, re);
  }
});

test('auth: a request to another origin never carries the token', async () => {
  const key = uniqueTag('auth-origin');
  const c = new Client({ baseUrl: API, auth: { token: 'secret', refresh: async () => 'secret2' } });
  const own = await c.get('echo').json();
  assert.equal(own.headers.authorization, 'Bearer secret');
  // The same server under another origin (localhost, not 127.0.0.1).
  const other = API.replace('127.0.0.1', 'localhost');
  assert.notEqual(other, API);
  const away = await c.get(`${other}/echo?key=${key}`).json();
  assert.equal(away.headers.authorization, undefined);
});

// onUploadProgress (issue 11): in Node.js the body goes over fetch as a
// stream, counted as fetch takes it.

/** Monotonic, never past the total, and a last call with `total === loaded === size`. */
function assertUpload(calls, size) {
  assert.ok(calls.length > 0, 'no progress call');
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i - 1].loaded <= calls[i].loaded, JSON.stringify(calls));
  for (const c of calls) if (c.total !== undefined) assert.ok(c.loaded <= c.total, JSON.stringify(c));
  const last = calls.at(-1);
  assert.deepEqual(last, { loaded: size, total: size, percent: 1 });
}

test('onUploadProgress: bytes, a string, JSON and FormData end at the size the server counted', async () => {
  const bodies = [
    { body: new Uint8Array(1 << 20).fill(7) },
    { body: 'h\u00e9llo \u2713 '.repeat(10_000) },
    { json: { items: Array.from({ length: 4000 }, (_, i) => ({ i, name: `item ${i}` })) } },
  ];
  const form = new FormData();
  form.append('title', 'x'.repeat(100_000));
  form.append('file', new Blob([new Uint8Array(50_000)]), 'zeros.bin');
  bodies.push({ body: form });
  for (const options of bodies) {
    const calls = [];
    const { received } = await client.post('upload', { ...options, onUploadProgress: (p) => calls.push(p) }).json();
    assert.ok(received > 100_000, `received ${received}`);
    assertUpload(calls, received);
  }
});

test('onUploadProgress: a slow upload reports as it goes; a bad value is a TypeError', async () => {
  const size = 6 << 20;
  const calls = [];
  const { received } = await client
    .post('upload', { query: { slow_ms: 4 }, body: new Uint8Array(size), onUploadProgress: (p) => calls.push(p) })
    .json();
  assert.equal(received, size);
  assertUpload(calls, size);
  assert.ok(calls.filter((c) => c.loaded > 0 && c.loaded < size).length >= 2, JSON.stringify(calls));
  const e = await rejection(client.post('upload', { body: 'x', onUploadProgress: 'no' }));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /onUploadProgress must be a function/);
});

test('onUploadProgress: timeout and abort end the upload at the server', async () => {
  const tag = uniqueTag('upload-timeout');
  const e = await rejection(
    client.post('upload', {
      query: { hold_ms: 10_000, tag },
      body: new Uint8Array(2 << 20),
      timeoutMs: 400,
      onUploadProgress: () => {},
    }),
  );
  assert.ok(e instanceof TimeoutError, `${e.name}: ${e.message}`);
  let s = await settled(tag);
  assert.equal(s.requests, 1);
  assert.equal(s.in_flight, 0);

  const tag2 = uniqueTag('upload-abort');
  const controller = new AbortController();
  const p = client.post('upload', {
    query: { hold_ms: 10_000, tag: tag2 },
    body: new Uint8Array(2 << 20),
    signal: controller.signal,
    onUploadProgress: () => {},
  });
  for (let i = 0; i < 150 && (await stats(tag2)).in_flight !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  controller.abort();
  const a = await rejection(p);
  assert.equal(a.name, 'AbortError');
  s = await settled(tag2);
  assert.equal(s.requests, 1);
  assert.equal(s.in_flight, 0);
});

test('onUploadProgress: a retried PUT sends the body again and reports it again', async () => {
  const key = uniqueTag('upload-retry');
  const body = '0123456789'.repeat(20_000);
  const calls = [];
  const res = await client.put(`flaky/${key}`, {
    body,
    retry: { limit: 2, backoffMs: 1 },
    onUploadProgress: (p) => calls.push(p),
  });
  const data = await res.json();
  assert.equal(data.attempts, 2);
  assert.equal(data.body, body);
  const ends = calls.flatMap((c, i) => (c.total === c.loaded ? [i] : []));
  assert.equal(ends.length, 2, JSON.stringify(calls));
  assertUpload(calls.slice(0, ends[0] + 1), body.length);
  assertUpload(calls.slice(ends[0] + 1), body.length);
});
