// client.gather(): limits proven by the server's /stats, progress, results in
// input order with failures in place, failFast, aborting a whole batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { API, fanout, rejection, settled, stats, uniqueTag } from './support.mjs';

const { Client, FanoutResponse } = fanout;

const client = new Client({ baseUrl: API });

/** `count` unique URLs of `path`, tagged for /stats. */
function urls(path, count, tag, extra = '') {
  return Array.from({ length: count }, (_, i) => `${path}?tag=${tag}&u=${i}${extra}`);
}

test('limit: the server never sees more requests in flight than the limit', async () => {
  for (const limit of [1, 3]) {
    const tag = uniqueTag(`gather-limit-${limit}`);
    const inputs = Array.from({ length: 10 }, (_, i) => `posts/${i + 1}?tag=${tag}&delay=40`);
    const results = await client.gather(inputs, { limit });
    assert.equal(results.length, 10);
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual(results.map((r) => r.value.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const s = await stats(tag);
    assert.equal(s.requests, 10);
    assert.ok(s.peak_in_flight <= limit, `peak ${s.peak_in_flight} > limit ${limit}`);
    assert.equal(s.peak_in_flight, limit, 'the limit is reached: requests do run concurrently');
  }
});

test('without a limit every request is in flight at once', async () => {
  const tag = uniqueTag('gather-nolimit');
  const results = await client.gather(urls('posts/1', 8, tag, '&delay=1000'));
  assert.ok(results.every((r) => r.ok));
  assert.equal((await stats(tag)).peak_in_flight, 8);
});

test('onProgress: called total times, done goes 1..total, each index once', async () => {
  const tag = uniqueTag('gather-progress');
  const seen = [];
  const inputs = [
    `posts/1?tag=${tag}&delay=400`,
    `status/404?tag=${tag}`,
    `posts/2?tag=${tag}&delay=60`,
    `posts/3?tag=${tag}`,
    `status/500?tag=${tag}&delay=30`,
  ];
  const results = await new Client({ baseUrl: API, retry: false }).gather(inputs, {
    limit: 5,
    onProgress: (p) => seen.push({ ...p }),
  });
  assert.equal(seen.length, inputs.length);
  assert.deepEqual(seen.map((p) => p.done), [1, 2, 3, 4, 5]);
  assert.ok(seen.every((p) => p.total === 5));
  assert.deepEqual(seen.map((p) => p.index).sort(), [0, 1, 2, 3, 4]);
  for (const p of seen) assert.equal(p.ok, results[p.index].ok);
  // Completion order is not input order: the delayed first input ends last.
  assert.equal(seen.at(-1).index, 0);
});

test('results are in input order, with failures in place', async () => {
  const tag = uniqueTag('gather-order');
  const noRetry = new Client({ baseUrl: API, retry: false });
  const results = await noRetry.gather([
    `posts/1?tag=${tag}&delay=100`,
    `status/404?tag=${tag}`,
    { path: `posts/2?tag=${tag}`, query: { delay: 50 } },
    `malformed?tag=${tag}`,
    { method: 'POST', path: 'echo', json: { n: 1 } },
    `status/503?tag=${tag}`,
    { path: 'hang', timeoutMs: 50 },
    'http://127.0.0.1:9/',
    42,
    new URL(`/posts/3?tag=${tag}`, API),
  ]);
  assert.equal(results.length, 10);
  assert.deepEqual(results.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(results.map((r) => r.ok), [true, false, true, false, true, false, false, false, false, true]);
  assert.equal(results[0].value.id, 1);
  assert.equal(results[2].value.id, 2);
  assert.equal(results[9].value.id, 3);
  assert.deepEqual(JSON.parse(results[4].value.body), { n: 1 });
  const names = results.map((r) => (r.ok ? null : r.error.name));
  assert.deepEqual(names, [
    null, 'HTTPError', null, 'DecodeError', null, 'HTTPError', 'TimeoutError', 'NetworkError', 'TypeError', null,
  ]);
  assert.equal(results[1].error.status, 404);
  assert.equal(results[1].error.url, `${API}/status/404?tag=${tag}`);
  assert.equal(results[5].error.status, 503);
  assert.equal(results[3].error.method, 'GET');
  for (const r of results) {
    assert.equal(typeof r.endMs, 'number');
    if (r.ok) {
      assert.equal(r.attempts, 1);
      assert.ok(r.startMs <= r.endMs);
    } else {
      assert.ok(r.error instanceof Error);
      assert.ok(r.startMs === null || r.startMs <= r.endMs);
    }
  }
});

test('the gather promise never rejects for a request failure, but does for bad options', async () => {
  const results = await client.gather(['status/404', 'status/400'], { limit: 1 });
  assert.deepEqual(results.map((r) => r.error.status), [404, 400]);
  assert.deepEqual(await client.gather([]), []);
  for (const [inputs, options, message] of [
    ['posts/1', undefined, /gather inputs must be an array/],
    [['posts/1'], { limit: 0 }, /limit must be a positive integer/],
    [['posts/1'], { as: 'xml' }, /as must be 'json', 'text', 'bytes' or 'response'/],
    [['posts/1'], { onProgress: 'log' }, /onProgress must be a function/],
    [['posts/1'], { concurrency: 2 }, /unknown option "concurrency" in gather options/],
  ]) {
    const e = await rejection(client.gather(inputs, options));
    assert.equal(e.name, 'TypeError');
    assert.match(e.message, message);
  }
});

test('as: text, bytes and response', async () => {
  const [text] = await client.gather(['posts/1'], { as: 'text' });
  assert.equal(typeof text.value, 'string');
  assert.equal(JSON.parse(text.value).id, 1);
  const [bytes] = await client.gather(['bytes?n=10'], { as: 'bytes' });
  assert.ok(bytes.value instanceof Uint8Array);
  assert.equal(bytes.value.length, 10);
  const [resp, missing] = await client.gather(['posts/2', 'status/404'], { as: 'response' });
  assert.ok(resp.value instanceof FanoutResponse);
  assert.equal(resp.value.status, 200);
  assert.equal((await resp.value.json()).id, 2);
  assert.equal(missing.error.name, 'HTTPError');
});

test('retries inside a gather count attempts', async () => {
  const key = uniqueTag('gather-flaky');
  const [r] = await client.gather([{ path: `flaky/${key}`, query: { fail: 1 }, retry: { backoffMs: 10 } }]);
  assert.equal(r.ok, true);
  assert.equal(r.attempts, 2);
  assert.deepEqual(r.value, { ok: true, attempts: 2, body: '' });
});

test('failFast: the first failure cancels the rest (AbortError in place)', async () => {
  const tag = uniqueTag('gather-failfast');
  const inputs = [
    `posts/1?tag=${tag}`,
    `status/500?tag=${tag}&delay=300`,
    `hang?tag=${tag}&u=1`,
    `hang?tag=${tag}&u=2`,
    `posts/2?tag=${tag}`,
    `posts/3?tag=${tag}`,
  ];
  const start = performance.now();
  // 0, 1 and 2 start; 0 ends and 3 starts; 1 fails while 2 and 3 hang.
  const results = await new Client({ baseUrl: API, retry: false }).gather(inputs, { limit: 3, failFast: true });
  assert.ok(performance.now() - start < 2000, 'the hanging requests were not waited for');
  assert.equal(results[0].ok, true);
  assert.equal(results[1].error.name, 'HTTPError');
  assert.equal(results[1].error.status, 500);
  for (const i of [2, 3, 4, 5]) {
    assert.equal(results[i].ok, false);
    assert.equal(results[i].error.name, 'AbortError', `input ${i}`);
    assert.match(results[i].error.message, /cancelled/);
    assert.equal(results[i].error.url, `${API}/${inputs[i]}`);
  }
  // 2 and 3 were in flight (aborted); 4 and 5 were never sent.
  assert.equal(typeof results[2].startMs, 'number');
  assert.equal(typeof results[3].startMs, 'number');
  assert.equal(results[4].startMs, null);
  assert.equal(results[5].startMs, null);
  assert.match(results[2].error.message, /aborted in flight/);
  assert.match(results[5].error.message, /never sent/);
  const s = await settled(tag);
  assert.equal(s.in_flight, 0);
  assert.equal(s.requests, 4, 'inputs 4 and 5 were never sent');
  assert.equal(s.cancelled, 2, 'the server saw the hanging requests go away');
});

test('signal: aborting a whole gather settles every input with AbortError', async () => {
  const tag = uniqueTag('gather-abort');
  const controller = new AbortController();
  const seen = [];
  const pending = client.gather(urls('hang', 6, tag), {
    limit: 3,
    signal: controller.signal,
    onProgress: (p) => seen.push(p),
  });
  // Abort once the first 3 (the limit) have reached the server.
  while ((await stats(tag)).in_flight < 3) await new Promise((r) => setTimeout(r, 10));
  const start = performance.now();
  controller.abort();
  const results = await pending;
  assert.ok(performance.now() - start < 1000);
  assert.equal(results.length, 6);
  for (const r of results) {
    assert.equal(r.ok, false);
    assert.equal(r.error.name, 'AbortError');
    assert.equal(r.error.method, 'GET');
    assert.match(r.error.url, /\/hang\?tag=/);
  }
  assert.equal(seen.length, 6);
  const s = await settled(tag);
  assert.equal(s.requests, 3, 'only the first 3 (the limit) were ever sent');
  assert.equal(s.cancelled, 3);
  assert.equal(s.in_flight, 0);

  // An already aborted signal sends nothing.
  const tag2 = uniqueTag('gather-preaborted');
  const none = await client.gather(urls('posts/1', 3, tag2), { signal: AbortSignal.abort() });
  assert.ok(none.every((r) => !r.ok && r.error.name === 'AbortError' && r.startMs !== undefined));
  assert.equal((await stats(tag2)).requests, 0);
});

test('signal: onProgress can stop the batch after enough results', async () => {
  const tag = uniqueTag('gather-stop');
  const controller = new AbortController();
  const results = await client.gather(urls('posts/1', 20, tag, '&delay=20'), {
    limit: 2,
    signal: controller.signal,
    onProgress: ({ done }) => done === 4 && controller.abort(),
  });
  assert.equal(results.filter((r) => r.ok).length, 4);
  assert.ok(results.filter((r) => !r.ok).every((r) => r.error.name === 'AbortError'));
  assert.ok((await settled(tag)).requests <= 6);
});

test('an exception in onProgress is reported, and the batch goes on', async () => {
  const reported = [];
  const original = console.error;
  console.error = (e) => reported.push(e);
  try {
    const results = await client.gather(['posts/1', 'posts/2'], {
      onProgress: () => {
        throw new Error('progress bar broke');
      },
    });
    assert.ok(results.every((r) => r.ok));
  } finally {
    console.error = original;
  }
  assert.equal(reported.length, 2);
  assert.equal(reported[0].message, 'progress bar broke');
});

test('2,000 inputs through a limit of 50', async () => {
  const tag = uniqueTag('gather-many');
  const inputs = Array.from({ length: 2000 }, (_, i) => `posts/${(i % 100) + 1}?tag=${tag}&u=${i}`);
  let done = 0;
  const results = await client.gather(inputs, { limit: 50, as: 'text', onProgress: (p) => (done = p.done) });
  assert.equal(done, 2000);
  assert.equal(results.length, 2000);
  assert.ok(results.every((r, i) => r.ok && r.index === i));
  const s = await stats(tag);
  assert.equal(s.requests, 2000);
  assert.ok(s.peak_in_flight <= 50);
});
