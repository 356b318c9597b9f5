// Issue 21, "Behaviour to fix on the way", the fixes that live in the JS
// bindings: where the JS API now does what ky's documentation says.
//   #1 with `throwHttpErrors: false` error responses are not retried;
//   #3 `retry()` from `afterResponse` past the limit is a ForceRetryError;
//   #7 a gather parses each input when its turn comes;
//   #2 a body or json on GET/HEAD is an immediate TypeError naming the
//      option, never sent, never retried;
//   #4 only an `Error` returned by `beforeError` replaces the error;
//   #5 `.json()`/`.text()` on the request promise send `Accept` when the
//      caller set none;
//   #8 `HTTPError#data` is parsed as JSON only for a JSON media type.
// #5 and #8 use a small server of their own (the answer's content type and
// the request's `Accept` are what is tested).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

import { API, fanout, rejection, stats, uniqueTag } from './support.mjs';

const { Client, HTTPError, FanoutError, retry } = fanout;

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** A server that answers `/accept` with the request's `Accept` as JSON, and
 * `/typed?status=&type=` with that status, content type and `{"a":1}`. */
let local;
let base;
before(async () => {
  local = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/accept') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ accept: req.headers.accept ?? null }));
      return;
    }
    res.statusCode = Number(url.searchParams.get('status') || 200);
    const type = url.searchParams.get('type');
    if (type !== null) res.setHeader('content-type', type);
    res.end('{"a":1}');
  });
  await new Promise((resolve) => local.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${local.address().port}/`;
});
after(() => local.close());

// #1 -------------------------------------------------------------------------

test('#1: with throwHttpErrors off an error response is a success, never retried', async () => {
  const fast = { limit: 2, backoffMs: 1, maxBackoffMs: 1 };
  // Off on the request: the 503 is the answer, after one attempt.
  const key = uniqueTag('no-throw-503');
  const client = new Client({ baseUrl: API, retry: fast });
  const resp = await client.get(`flaky/${key}?fail=2&status=503`, { throwHttpErrors: false });
  assert.equal(resp.status, 503);
  assert.equal(resp.attempts, 1);
  const hits = await (await fetch(`${API}/flaky/${key}/count`)).json();
  assert.equal(hits.hits, 1);
  // Off on the client: the same.
  const key2 = uniqueTag('no-throw-client');
  const quiet = new Client({ baseUrl: API, retry: fast, throwHttpErrors: false });
  assert.equal((await quiet.get(`flaky/${key2}?fail=2&status=500`)).status, 500);
  assert.equal((await (await fetch(`${API}/flaky/${key2}/count`)).json()).hits, 1);
  // On (the default): retried until it succeeds.
  const key3 = uniqueTag('throw-503');
  const ok = await client.get(`flaky/${key3}?fail=2&status=503`);
  assert.equal(ok.status, 200);
  assert.equal(ok.attempts, 3);
  assert.deepEqual(unhandled, []);
});

// #3 -------------------------------------------------------------------------

test('#3: retry() from afterResponse past the limit rejects with a ForceRetryError that beforeError sees', async () => {
  const key = uniqueTag('force-retry');
  const seen = [];
  const client = new Client({
    baseUrl: API,
    retry: { limit: 1, backoffMs: 1, maxBackoffMs: 1 },
    hooks: {
      afterResponse: [() => retry()],
      beforeError: [(e) => { seen.push(e.name); return e; }],
    },
  });
  const e = await rejection(client.get(`flaky/${key}?fail=9&status=202`));
  assert.ok(e instanceof FanoutError);
  assert.equal(e.name, 'ForceRetryError');
  assert.equal(e.status, 202);
  assert.match(e.message, /retries are used up/);
  assert.deepEqual(seen, ['ForceRetryError']);
  const hits = await (await fetch(`${API}/flaky/${key}/count`)).json();
  assert.equal(hits.hits, 2, 'the first try and the one retry');
  assert.deepEqual(unhandled, []);
});

// #7 -------------------------------------------------------------------------

test('#7: a gather reads each input when its turn comes, and a bad one fails in its place', async () => {
  const touched = new Set();
  const input = (i) => ({
    get path() {
      touched.add(i);
      return `posts/${i}`;
    },
  });
  const client = new Client({ baseUrl: API });
  const atFirstEnd = [];
  const out = await client.gather([input(1), 42, input(3)], {
    limit: 1,
    onProgress: (p) => {
      if (p.done === 1) atFirstEnd.push(...touched);
    },
  });
  // When the first had finished, the third had not been read yet.
  assert.deepEqual(atFirstEnd, [1]);
  assert.deepEqual([...touched].sort(), [1, 3]);
  assert.equal(out[0].ok, true);
  assert.equal(out[1].ok, false);
  assert.equal(out[1].error.name, 'TypeError');
  assert.equal(out[1].startMs, null, 'never sent');
  assert.equal(out[2].ok, true);
  assert.deepEqual(unhandled, []);
});

// #2 -------------------------------------------------------------------------

test('#2: a body or json on GET or HEAD is a TypeError naming it, and nothing is sent', async () => {
  const tag = uniqueTag('get-body');
  const client = new Client({ baseUrl: API });
  const path = `echo?tag=${tag}`;
  const cases = [
    ['get', { json: { a: 1 } }, /json/],
    ['get', { body: 'text' }, /body/],
    ['head', { json: null }, /json/],
    ['head', { body: new Uint8Array([1]) }, /body/],
  ];
  for (const [method, options, names] of cases) {
    const started = Date.now();
    const e = await rejection(client[method](path, options));
    assert.ok(e instanceof FanoutError, `${method} ${JSON.stringify(options)}`);
    assert.equal(e.name, 'TypeError');
    assert.match(e.message, names);
    assert.match(e.message, new RegExp(method.toUpperCase()));
    assert.equal(e.attempts, 0);
    // Immediate: no retry backoff.
    assert.ok(Date.now() - started < 250);
  }
  const viaRequest = await rejection(client.request('get', path, { json: {} }));
  assert.equal(viaRequest.name, 'TypeError');
  const [outcome] = await client.gather([{ path, body: 'x' }]);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.error.name, 'TypeError');
  assert.match(outcome.error.message, /body/);
  assert.equal(outcome.startMs, null);
  assert.equal((await stats(tag)).requests, 0);
  // A body on the other methods is still sent.
  const ok = await client.post(path, { json: { a: 1 } });
  assert.equal(ok.status, 200);
  await ok.bytes();
  assert.equal((await stats(tag)).requests, 1);
});

// #4 -------------------------------------------------------------------------

test('#4: beforeError replaces the error only with an Error it returns', async () => {
  const client = new Client({ baseUrl: API, retry: false });
  for (const value of [false, 0, '', 'text', null, 42, { message: 'x' }]) {
    const e = await rejection(
      client.get('status/404', { hooks: { beforeError: () => value } }),
    );
    assert.ok(e instanceof HTTPError, `a beforeError returning ${JSON.stringify(value)}`);
    assert.equal(e.status, 404);
  }
  // `e => cond && new X()`: false keeps the error, the Error replaces it.
  const cond = (flag) => (error) => flag && new RangeError(`mapped ${error.status}`);
  assert.ok((await rejection(client.get('status/404', { hooks: { beforeError: cond(false) } }))) instanceof HTTPError);
  const mapped = await rejection(client.get('status/404', { hooks: { beforeError: cond(true) } }));
  assert.ok(mapped instanceof RangeError);
  assert.equal(mapped.message, 'mapped 404');
  // The same in a gather, and a promise of a non-Error keeps it too.
  const [outcome] = await client.gather(['status/500'], {});
  assert.ok(outcome.error instanceof HTTPError);
  const hooked = new Client({ baseUrl: API, retry: false, hooks: { beforeError: async () => 'nope' } });
  const [kept] = await hooked.gather(['status/500']);
  assert.ok(kept.error instanceof HTTPError);
  assert.equal(typeof kept.startMs, 'number');
});

// #5 -------------------------------------------------------------------------

test('#5: .json() and .text() on the request promise send Accept when none is set', async () => {
  const client = new Client({ baseUrl: base });
  assert.deepEqual(await client.get('accept').json(), { accept: 'application/json' });
  assert.equal(await client.get('accept').text(), JSON.stringify({ accept: 'text/*' }));
  // The caller's own Accept (on the request or the client) is kept.
  const own = await client.get('accept', { headers: { Accept: 'application/x-custom' } }).json();
  assert.deepEqual(own, { accept: 'application/x-custom' });
  const withDefault = new Client({ baseUrl: base, headers: { accept: 'application/vnd.api+json' } });
  assert.deepEqual(await withDefault.get('accept').json(), { accept: 'application/vnd.api+json' });
  // Reading the awaited response is not the shortcut: no Accept is added.
  const response = await client.get('accept');
  assert.notEqual((await response.json()).accept, 'application/json');
  // bytes() is not a format choice either.
  const bytes = await client.get('accept').bytes();
  assert.notEqual(JSON.parse(new TextDecoder().decode(bytes)).accept, 'application/json');
});

// #8 -------------------------------------------------------------------------

test('#8: HTTPError#data is JSON only for application/json and */*+json', async () => {
  const client = new Client({ baseUrl: base, retry: false });
  const data = async (type) => {
    const e = await rejection(client.get(`typed?status=422&type=${encodeURIComponent(type)}`));
    assert.ok(e instanceof HTTPError, type);
    return e.data;
  };
  for (const type of [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/problem+json',
    'application/vnd.api+json;charset=UTF-8',
    ' application/json ',
  ]) {
    assert.deepEqual(await data(type), { a: 1 }, type);
  }
  for (const type of [
    'application/json-seq',
    'text/plain; note=json',
    'text/json-ish',
    'application/jsonx',
    'application/x-json-stream',
    'json',
    '+json',
  ]) {
    assert.equal(await data(type), '{"a":1}', type);
  }
});

test('no unhandled rejections', () => {
  assert.deepEqual(unhandled, []);
});
