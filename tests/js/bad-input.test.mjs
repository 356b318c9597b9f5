// Issue 13, item 4 (the JS half): every public entry point of the npm
// package with wrong input. Each case is a row of a table: what is called,
// and either `TypeError` with a pattern that names the argument, or `ok`
// (accepted, as documented). Every request a case could send carries its
// own `/stats` tag, and the server must have seen none of them for a
// rejected case. No promise rejection may go unhandled.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';

import { API, fanout, stats, thrown, uniqueTag } from './support.mjs';

const { Client, FanoutError, FanoutResponse } = fanout;

// Installed before anything runs; checked by the last test and at exit.
const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const client = new Client({ baseUrl: API, retry: false });

/** Values that are no number of milliseconds (or count) at all. */
const NOT_A_NUMBER = [NaN, Infinity, -Infinity, '1000', true, {}, [], 1n, Symbol('s'), () => 1];
/** Out-of-range numbers for a positive duration. */
const BAD_MS = [...NOT_A_NUMBER, -1, 0, 2 ** 31, -0.5];
/** For a count (limit, limitPerHost). */
const BAD_COUNT = [...NOT_A_NUMBER, -1, 0, 1.5, 2 ** 32];

/** The shared options (client and request) with values each must refuse. */
const SHARED_BAD = [
  ...BAD_MS.map((v) => ['timeoutMs', v]),
  ...BAD_MS.map((v) => ['totalTimeoutMs', v]),
  ...[...NOT_A_NUMBER, -1, 1.5].map((v) => ['maxBodySize', v]),
  ...['false', 0, 1, {}].map((v) => ['throwHttpErrors', v]),
  ...['all', '', 'OMIT', 42].map((v) => ['credentials', v]),
  ...['none', 'DEFAULT', 1].map((v) => ['cache', v]),
  ...['FOLLOW', 'follow-me', true].map((v) => ['redirect', v]),
  ...[NaN, Infinity, -1, 1.5, 1001, '2', [], () => 1].map((v) => ['retry', v]),
  ['retry', { limit: NaN }, /retry\.limit/],
  ['retry', { limit: -1 }, /retry\.limit/],
  ['retry', { limit: Infinity }, /retry\.limit/],
  ['retry', { backoffMs: NaN }, /retry\.backoffMs/],
  ['retry', { backoffMs: -5 }, /retry\.backoffMs/],
  ['retry', { maxBackoffMs: Infinity }, /retry\.maxBackoffMs/],
  ['retry', { maxRetryAfterMs: -1 }, /retry\.maxRetryAfterMs/],
  ['retry', { jitter: 'yes' }, /retry\.jitter/],
  ['retry', { retryOnTimeout: 1 }, /retry\.retryOnTimeout/],
  ['retry', { statuses: '500' }, /retry\.statuses/],
  ['retry', { statuses: [NaN] }, /retry\.statuses/],
  ['retry', { statuses: [99] }, /retry\.statuses/],
  ['retry', { statuses: [600] }, /retry\.statuses/],
  ['retry', { statuses: [500.5] }, /retry\.statuses/],
  ['retry', { limits: 2 }, /unknown option "limits"/],
];

/** Header inputs that are never valid. */
const BAD_HEADERS = [
  [42, /headers must be an object/],
  ['x-a: 1', /headers must be an object/],
  [[['x-a']], /\[name, value\] pairs/],
  [[['x-a', '1', '2']], /\[name, value\] pairs/],
  [['x-a'], /\[name, value\] pairs/],
  [{ 'x-a': {} }, /headers\.x-a must be a string/],
  [{ 'x-a': Symbol('s') }, /headers\.x-a must be a string/],
  [{ 'x-a': NaN }, /headers\.x-a must be a string/],
  [{ 'x-a': null }, /headers\.x-a must be a string/],
  [{ 'bad name': 'v' }, /invalid header name/],
  [{ '': 'v' }, /invalid header name/],
  [{ 'é': 'v' }, /invalid header name/],
  [{ 'x-a\r\nx-b': 'v' }, /invalid header name/],
  [{ 'x-a': 'a\r\nx-b: b' }, /invalid value for header "x-a"/],
  [{ 'x-a': 'a\nb' }, /invalid value for header "x-a"/],
  [{ 'x-a': 'a\0b' }, /invalid value for header "x-a"/],
  // Beyond Latin-1: no byte for it (the Fetch API's Headers take a ByteString).
  [{ 'x-a': 'snow ☃' }, /invalid value for header "x-a"/],
  [{ 'x-a': '😀' }, /invalid value for header "x-a"/],
];

/** Paths no request may be sent to. */
const BAD_PATH_TYPES = [undefined, null, 42, true, {}, [], Symbol('s'), () => 'posts/1', { href: 42 }, 1n];
const UNSENDABLE_URLS = [
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:,hello',
  'ftp://127.0.0.1/x',
  'http://[::1',
  'http://',
  'http://exa mple.com/',
];

/** A tag, and the `/stats` check that nothing was sent with it. */
const tags = [];
function tagged(name) {
  const tag = uniqueTag(`bad-${name}`);
  tags.push([tag, name]);
  return tag;
}

/** Asserts `e` is the package's TypeError, naming what `pattern` says. */
function assertTypeError(e, pattern, what, attempts = 0) {
  assert.ok(e instanceof Error, `${what}: an Error, got ${String(e)}`);
  assert.equal(e.name, 'TypeError', `${what}: ${e.name}: ${e.message}`);
  assert.ok(e instanceof FanoutError, `${what}: a FanoutError`);
  if (pattern) assert.match(e.message, pattern, what);
  if (attempts !== null) assert.equal(e.attempts, attempts, `${what}: nothing sent`);
}

async function rejectsWithTypeError(promise, pattern, what, attempts = 0) {
  let resolved;
  try {
    resolved = await promise;
  } catch (e) {
    assertTypeError(e, pattern, what, attempts);
    return e;
  }
  assert.fail(`${what}: expected a TypeError, got ${resolved}`);
}

function label(v) {
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

test('new Client(options): every bad option is a TypeError thrown at once, naming it', () => {
  const rows = [
    [42, /Client options must be an object, not 42/],
    ['http://x/', /Client options must be an object/],
    [[], /Client options must be an object, not an array/],
    [true, /Client options must be an object/],
    [{ timeout: 1000 }, /unknown option "timeout" in Client options/],
    [{ baseURL: API }, /unknown option "baseURL"/],
    [{ query: { a: 1 } }, /unknown option "query"/],
    ...[42, {}, [], true].map((v) => [{ baseUrl: v }, /baseUrl must be a string or a URL/]),
    ...['', 'relative/path', '/abs', 'file:///etc', 'javascript:alert(1)', 'data:,x', 'ftp://h/', 'http://[::1', 'http://'].map(
      (v) => [{ baseUrl: v }, /base/i],
    ),
    ...SHARED_BAD.map(([key, v, p]) => [{ [key]: v }, p ?? new RegExp(`Client options\\.${key}`)]),
    ...BAD_COUNT.map((v) => [{ limit: v }, /Client options\.limit must be a positive integer/]),
    ...BAD_COUNT.map((v) => [{ limitPerHost: v }, /Client options\.limitPerHost/]),
    ...BAD_HEADERS.map(([v, p]) => [{ baseUrl: API, headers: v }, p]),
    [{ dedupe: 'yes' }, /dedupe must be a boolean/],
    [{ allowCrossOriginHeaders: 1 }, /allowCrossOriginHeaders must be a boolean/],
    [{ baseUrl: API, auth: 42 }, /auth must be an object/],
    [{ baseUrl: API, auth: {} }, /auth\.refresh must be a function/],
    [{ baseUrl: API, auth: { refresh: 'token' } }, /auth\.refresh must be a function/],
    [{ baseUrl: API, auth: { refresh: () => 't', token: 1 } }, /auth\.token must be a string/],
    [{ baseUrl: API, auth: { refresh: () => 't', extra: 1 } }, /unknown option "extra" in Client options\.auth/],
    [{ baseUrl: API, auth: { refresh: () => 't', origin: 'file:///x' } }, /auth\.origin must be an absolute http\(s\) URL/],
    [{ baseUrl: API, auth: { refresh: () => 't', origin: 42 } }, /auth\.origin must be a string or a URL/],
    [{ auth: { refresh: () => 't' } }, /auth\.origin is needed when there is no baseUrl/],
    [
      {
        get timeoutMs() {
          throw new Error('getter boom');
        },
      },
      /timeoutMs: getter boom/,
    ],
    [
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys boom');
          },
        },
      ),
      /Client options: ownKeys boom/,
    ],
  ];
  for (const [options, pattern] of rows) {
    const what = `new Client(${label(options)})`;
    const e = thrown(() => new Client(options));
    assertTypeError(e, pattern, what);
  }
  // Absent means "not set": null and undefined, for the object and each field.
  for (const options of [undefined, null, {}, { baseUrl: undefined, timeoutMs: null, headers: undefined, retry: null }]) {
    assert.ok(new Client(options) instanceof Client, label(options));
  }
  assert.ok(new Client() instanceof Client);
  // Valid edge values.
  for (const options of [
    { maxBodySize: 0 },
    { timeoutMs: 2 ** 31 - 1 },
    { retry: 0 },
    { retry: 1000 },
    { limit: 2 ** 32 - 1 },
    { retry: { statuses: [] } },
    { baseUrl: new URL(API) },
    { baseUrl: API, headers: { 'x-latin1': 'café' } },
  ]) {
    assert.ok(new Client(options) instanceof Client, label(options));
  }
});

/** Request-level cases: [options, pattern]. */
const REQUEST_BAD = [
  [42, /request options must be an object, not 42/],
  ['timeoutMs=5', /request options must be an object/],
  [[], /request options must be an object, not an array/],
  [{ timeout: 5 }, /unknown option "timeout" in request options/],
  [{ baseUrl: API }, /unknown option "baseUrl" in request options/],
  [{ limit: 2 }, /unknown option "limit" in request options/],
  ...SHARED_BAD.map(([key, v, p]) => [{ [key]: v }, p ?? new RegExp(`request options\\.${key}`)]),
  ...BAD_HEADERS.map(([v, p]) => [{ headers: v }, p]),
  [{ query: 42 }, /query must be an object/],
  [{ query: 'a=b' }, /query must be an object/],
  [{ query: { a: {} } }, /query\.a must be a string/],
  [{ query: { a: NaN } }, /query\.a must be a string/],
  [{ query: { a: [1, {}] } }, /query\.a must be a string/],
  [{ query: [['a']] }, /\[name, value\] pairs/],
  [{ json: 1, body: 'x' }, /json or body, not both/],
  [{ json: () => 1 }, /json must be a value JSON\.stringify can encode/],
  [{ json: Symbol('s') }, /json must be a value JSON\.stringify can encode/],
  [{ json: 1n }, /request options\.json: .*BigInt/i],
  [{ json: (() => { const o = {}; o.o = o; return o; })() }, /request options\.json: .*circular/i],
  [{ body: 42 }, /body must be a string, Uint8Array, ArrayBuffer, FormData or URLSearchParams, not 42/],
  [{ body: {} }, /body must be a string, Uint8Array/],
  [{ body: true }, /body must be a string, Uint8Array/],
  [{ body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } }) }, /body must be a string, Uint8Array/],
  [{ body: new Blob(['blob']) }, /body must be a string, Uint8Array/],
  [{ body: new Int16Array(2) }, /body must be a string, Uint8Array/],
  [{ signal: 'abort' }, /signal must be an AbortSignal/],
  [{ signal: new AbortController() }, /signal must be an AbortSignal/],
  [{ signal: {} }, /signal must be an AbortSignal/],
  [{ onDownloadProgress: 'log' }, /onDownloadProgress must be a function/],
];

test('get/post/put/patch/delete/head/request: bad paths and options reject with a TypeError, nothing sent', async () => {
  const methods = ['get', 'post', 'put', 'patch', 'delete', 'head'];
  for (const m of methods) {
    for (const p of BAD_PATH_TYPES) {
      const what = `client.${m}(${label(p)})`;
      await rejectsWithTypeError(client[m](p), /path must be a string or a URL/, what);
    }
    for (const url of UNSENDABLE_URLS) {
      const what = `client.${m}(${label(url)})`;
      await rejectsWithTypeError(client[m](url, { query: { tag: tagged(what) } }), null, what);
    }
    for (const [options, pattern] of REQUEST_BAD) {
      const what = `client.${m}('echo', ${label(options)})`;
      const e = await rejectsWithTypeError(client[m](`echo?tag=${tagged(what)}`, options), pattern, what);
      assert.equal(e.method, m.toUpperCase(), `${what}: names the method`);
      assert.match(e.url ?? '', /echo\?tag=/, `${what}: names the URL`);
    }
  }
  // A reader called on the promise of a bad request rejects the same way.
  for (const reader of ['json', 'text', 'bytes']) {
    await rejectsWithTypeError(client.get(42)[reader](), /path must be a string or a URL/, `get(42).${reader}()`);
  }
  // request(method, ...): the method too.
  for (const method of [undefined, null, 42, {}, '', 'G ET', 'GET\r\n', 'get\0', 'ÉTÉ']) {
    const what = `client.request(${label(method)}, 'echo')`;
    await rejectsWithTypeError(client.request(method, `echo?tag=${tagged(what)}`), /method/i, what);
  }
  for (const [options, pattern] of REQUEST_BAD.slice(0, 12)) {
    const what = `client.request('PUT', 'echo', ${label(options)})`;
    await rejectsWithTypeError(client.request('PUT', `echo?tag=${tagged(what)}`, options), pattern, what);
  }
});

test('the same requests with good values are sent, as documented', async () => {
  // null/undefined are "not set"; a URL object is a path; extreme but valid values work.
  const tag = uniqueTag('good');
  const ok = [
    () => client.get(`echo?tag=${tag}`, undefined),
    () => client.get(`echo?tag=${tag}`, null),
    () => client.get(new URL(`${API}/echo?tag=${tag}`)),
    () => client.get(`echo?tag=${tag}`, { timeoutMs: null, headers: undefined, query: { skipped: undefined } }),
    () => client.get(`echo?tag=${tag}`, { timeoutMs: 2 ** 31 - 1, totalTimeoutMs: 2 ** 31 - 1 }),
    () => client.post(`echo?tag=${tag}`, { body: new Uint8Array([1, 2]) }),
    () => client.post(`echo?tag=${tag}`, { body: new ArrayBuffer(3) }),
    () => client.post(`echo?tag=${tag}`, { body: new URLSearchParams({ a: '1' }) }),
    () => client.post(`echo?tag=${tag}`, { json: null }),
    () => client.request('options', `echo?tag=${tag}`),
    () => client.get(`echo?tag=${tag}`, { headers: { 'x-latin1': 'café' } }),
    () => client.get(`echo?tag=${tag}`, { query: { n: 1n, b: false, list: [1, 2] } }),
  ];
  for (const f of ok) {
    const res = await f();
    assert.ok(res instanceof FanoutResponse);
    assert.equal(res.status, 200);
  }
  const echoed = await client.get(`echo?tag=${tag}`, { query: { n: 1n, b: false, list: [1, 2] } }).json();
  assert.deepEqual(echoed.query, { tag, n: '1', b: 'false', list: '2' });
  assert.equal((await stats(tag)).requests, ok.length + 1);
});

test('gather: bad inputs and options', async () => {
  // The whole call: inputs that are no iterable, bad options.
  for (const inputs of [undefined, null, 42, 'posts/1', {}, { length: 1, 0: 'posts/1' }, true]) {
    await rejectsWithTypeError(client.gather(inputs), /gather inputs must be an array/, `gather(${label(inputs)})`);
  }
  const boom = function* () {
    yield 'posts/1';
    throw new Error('iterator boom');
  };
  await rejectsWithTypeError(client.gather(boom()), /gather inputs: iterator boom/, 'a throwing iterator');
  const tag = tagged('gather-options');
  const rows = [
    [42, /gather options must be an object/],
    ['fast', /gather options must be an object/],
    [{ concurrency: 4 }, /unknown option "concurrency" in gather options/],
    [{ timeoutMs: 4 }, /unknown option "timeoutMs" in gather options/],
    ...BAD_COUNT.map((v) => [{ limit: v }, /gather options\.limit must be a positive integer/]),
    [{ failFast: 'yes' }, /gather options\.failFast must be a boolean/],
    [{ onProgress: 1 }, /gather options\.onProgress must be a function/],
    [{ signal: {} }, /gather options\.signal must be an AbortSignal/],
    [{ as: 'xml' }, /gather options\.as must be 'json', 'text', 'bytes' or 'response'/],
    [{ as: 1 }, /gather options\.as/],
  ];
  for (const [options, pattern] of rows) {
    await rejectsWithTypeError(client.gather([`echo?tag=${tag}`], options), pattern, `gather options ${label(options)}`);
  }

  // One bad input fails in its own slot (a TypeError); the batch goes on.
  const good = uniqueTag('gather-good');
  const inputs = [
    42,
    null,
    undefined,
    {},
    { path: 42 },
    { path: `echo?tag=${tagged('m')}`, method: 1 },
    { path: `echo?tag=${tagged('m2')}`, method: 'NOT A METHOD' },
    { path: `echo?tag=${tagged('t')}`, timeoutMs: NaN },
    { path: `echo?tag=${tagged('k')}`, bogus: 1 },
    { path: `echo?tag=${tagged('h')}`, headers: { 'x-a': 'a\r\nb' } },
    { path: `echo?tag=${tagged('b')}`, body: new Blob(['x']) },
    'file:///etc/passwd',
    `echo?tag=${good}`,
  ];
  const results = await client.gather(inputs);
  assert.equal(results.length, inputs.length);
  results.forEach((r, i) => {
    assert.equal(r.index, i);
    if (i === inputs.length - 1) {
      assert.equal(r.ok, true, r.error?.message);
    } else {
      assert.equal(r.ok, false, `input ${i}`);
      assertTypeError(r.error, null, `gather input ${i} (${label(inputs[i])})`);
      assert.equal(r.startMs, null, `input ${i} never started`);
    }
  });
  assert.match(results[0].error.message, /a gather input must be a path, a URL or a request object, not 42/);
  assert.match(results[1].error.message, /a gather input must be a path, a URL or a request object, not null/);
  assert.match(results[3].error.message, /a gather input must be a path, a URL or an object with a path/);
  assert.match(results[4].error.message, /gather input\.path must be a string or a URL/);
  assert.match(results[8].error.message, /unknown option "bogus" in gather input/);
  assert.equal((await stats(good)).requests, 1);
});

test('gather of 100,000 inputs: completes in order, typed, without sending what it must not', async () => {
  const N = 100_000;
  // Every input invalid: 100,000 TypeErrors, nothing sent.
  const t0 = performance.now();
  const bad = await client.gather(Array.from({ length: N }, (_, i) => (i % 2 ? i : { path: i })));
  assert.equal(bad.length, N);
  for (let i = 0; i < N; i += 1) {
    const r = bad[i];
    if (r.index !== i || r.ok || r.error.name !== 'TypeError') {
      assert.fail(`input ${i}: ${JSON.stringify({ index: r.index, ok: r.ok, name: r.error?.name })}`);
    }
  }
  const t1 = performance.now();

  // Every input valid, the batch already aborted: 100,000 AbortErrors, nothing sent.
  const tag = tagged('100k-aborted');
  const c = new AbortController();
  c.abort();
  const aborted = await client.gather(
    Array.from({ length: N }, () => `echo?tag=${tag}`),
    { signal: c.signal, limit: 16 },
  );
  assert.equal(aborted.length, N);
  for (let i = 0; i < N; i += 1) {
    const r = aborted[i];
    if (r.index !== i || r.ok || r.error.name !== 'AbortError') {
      assert.fail(`aborted input ${i}: ${JSON.stringify({ index: r.index, ok: r.ok, name: r.error?.name })}`);
    }
  }
  const t2 = performance.now();

  // failFast with the first input invalid: at most `limit` others start,
  // the rest are cancelled without being sent.
  const ff = uniqueTag('100k-failfast');
  const inputs = Array.from({ length: N }, (_, i) => (i === 0 ? 42 : `echo?tag=${ff}&delay=50`));
  const failed = await client.gather(inputs, { failFast: true, limit: 4 });
  assert.equal(failed.length, N);
  assert.equal(failed[0].error.name, 'TypeError');
  let cancelled = 0;
  for (let i = 1; i < N; i += 1) {
    if (!failed[i].ok && failed[i].error.name === 'AbortError') cancelled += 1;
  }
  assert.ok(cancelled >= N - 1 - 4, `cancelled ${cancelled}`);
  const s = await stats(ff);
  assert.ok(s.requests <= 4, `sent ${s.requests}`);
  console.log(
    `100,000 inputs: invalid ${Math.round(t1 - t0)} ms, pre-aborted ${Math.round(t2 - t1)} ms, ` +
      `failFast ${Math.round(performance.now() - t2)} ms (sent ${s.requests})`,
  );
});

test('sse(path, options): bad input throws a TypeError at once, nothing sent', async () => {
  for (const p of BAD_PATH_TYPES) {
    assertTypeError(thrown(() => client.sse(p)), /path must be a string or a URL/, `sse(${label(p)})`);
  }
  const rows = [
    [42, /sse options must be an object/],
    [{ retryDelay: 5 }, /unknown option "retryDelay" in sse options/],
    ...[NaN, -1, Infinity, '5'].map((v) => [{ retryDelayMs: v }, /sse options\.retryDelayMs/]),
    ...[NaN, -1, Infinity].map((v) => [{ maxRetryDelayMs: v }, /sse options\.maxRetryDelayMs/]),
    ...[NaN, -1, 1.5, Infinity].map((v) => [{ maxReconnects: v }, /sse options\.maxReconnects/]),
    [{ lastEventId: 1 }, /sse options\.lastEventId must be a string/],
    [{ onReconnect: 'x' }, /sse options\.onReconnect must be a function/],
    [{ method: 1 }, /sse options\.method/],
    [{ timeoutMs: NaN }, /sse options\.timeoutMs/],
    [{ headers: { 'x-a': '\n' } }, /invalid value for header/],
  ];
  for (const [options, pattern] of rows) {
    const tag = tagged(`sse ${label(options)}`);
    const what = `sse('sse?tag=..', ${label(options)})`;
    let e;
    try {
      const stream = client.sse(`sse?count=1&tag=${tag}`, options);
      // Header values are checked when the stream connects: its first next().
      await stream.next();
    } catch (error) {
      e = error;
    }
    assert.ok(e, `${what}: no error`);
    assertTypeError(e, pattern, what);
  }
  // Unsendable URLs: the first next() rejects, typed.
  for (const url of UNSENDABLE_URLS) {
    const stream = client.sse(url, { maxReconnects: 0 });
    await rejectsWithTypeError(stream.next(), null, `sse(${label(url)}).next()`);
  }
});

test('FanoutResponse: bad reader options, a body read twice', async () => {
  const res = await client.get('ndjson?n=1');
  for (const [options, pattern] of [
    [42, /jsonLines options must be an object/],
    [{ onBadLine: 1 }, /jsonLines options\.onBadLine must be a function/],
    [{ onBad: () => {} }, /unknown option "onBad"/],
  ]) {
    assertTypeError(thrown(() => res.jsonLines(options)), pattern, `jsonLines(${label(options)})`);
  }
  await res.text();
  await rejectsWithTypeError(res.text(), /already read/, 'text() twice', 1);
  await rejectsWithTypeError(res.json(), /already read/, 'json() after text()', 1);
  assertTypeError(thrown(() => res.lines()), /already read/, 'lines() after text()', 1);
});

test('nothing was sent for any rejected case', async () => {
  assert.ok(tags.length > 500, `${tags.length} tagged cases`);
  const sent = [];
  for (const [tag, name] of tags) {
    const s = await stats(tag);
    if (s.requests !== 0) sent.push(`${name}: ${s.requests}`);
  }
  assert.deepEqual(sent, []);
});

test('no promise rejection went unhandled', async () => {
  // Let pending microtasks and timers run, and collect what can be.
  await new Promise((r) => setTimeout(r, 200));
  global.gc?.();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(unhandled.map((e) => `${e?.name}: ${e?.message}`), []);
});

after(() => {
  if (unhandled.length) {
    console.error('unhandled rejections:', unhandled);
    process.exitCode = 1;
  }
});
