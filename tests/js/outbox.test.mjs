// The durable outbox through the npm package's JS API in Node.js (no
// IndexedDB there: the default store is an OutboxError 'unsupported', and
// `memory: true` is the store): 50 POSTs queued while the dev server
// refuses, the server back, /stats showing 50 keys applied once each in
// order; a final 4xx kept as failed; every bad input a typed error with
// nothing stored; events; and no unhandled rejection anywhere.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';

import { API, fanout, rejection, stats, uniqueTag } from './support.mjs';

const { Client, FanoutError, OutboxError } = fanout;

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
after(() => assert.deepEqual(unhandled, [], 'no unhandled rejection'));

const client = new Client({ baseUrl: API });
const FAST = { memory: true, retryDelayMs: 20, maxRetryDelayMs: 200, maxRetryAfterMs: 200 };

async function offline(tag, mode, seconds) {
  const res = await fetch(`${API}/faults/offline?scope=${tag}&mode=${mode}&seconds=${seconds}`);
  assert.equal(res.status, 200);
}

async function until(what, f, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Node.js has no IndexedDB: the default store is a typed error', async () => {
  const e = await rejection(client.outbox('nowhere'));
  assert.ok(e instanceof OutboxError);
  assert.ok(e instanceof FanoutError);
  assert.equal(e.name, 'OutboxError');
  assert.equal(e.reason, 'unsupported');
});

test('50 POSTs queued while the server refuses arrive once each, in order', async () => {
  const tag = uniqueTag('outbox-50');
  await offline(tag, 'network', 60);
  const events = [];
  const outbox = await client.outbox(tag, { ...FAST, onEvent: (e) => events.push(e) });
  const handles = [];
  for (let n = 0; n < 50; n += 1) {
    handles.push(await outbox.send(`posts?tag=${tag}`, { json: { n, title: `comment ${n}` } }));
  }
  assert.equal(await outbox.len(), 50);
  const keys = handles.map((h) => h.key);
  assert.equal(new Set(keys).size, 50);
  assert.deepEqual((await outbox.entries()).map((e) => e.key), keys);
  await until('failed attempts', () => events.filter((e) => e.type === 'retrying').length >= 2);
  await offline(tag, '503', 60);
  await until('a 503', () => events.some((e) => e.type === 'retrying' && e.status === 503));
  assert.equal((await stats(tag)).idempotency.applied, 0);
  await offline(tag, '503', 0);
  const responses = await Promise.all(handles.map((h) => h.response()));
  assert.deepEqual(responses.map((r) => r.status), Array(50).fill(201));
  assert.equal(await outbox.len(), 0);
  const s = await stats(tag);
  assert.equal(s.idempotency.keys_seen, 50);
  assert.equal(s.idempotency.applied, 50);
  assert.equal(s.idempotency.conflicts, 0);
  const log = await (await fetch(`${API}/idempotency/log?tag=${tag}`)).json();
  assert.deepEqual(log.applied.map((e) => JSON.parse(e.body).n), [...Array(50).keys()]);
  assert.deepEqual(log.applied.map((e) => e.key), keys);
  const delivered = events.filter((e) => e.type === 'delivered').map((e) => e.id);
  assert.deepEqual(delivered, handles.map((h) => h.id));
  console.log(`outbox 50-POST /stats (node, JS API): ${JSON.stringify(s.idempotency)}, requests ${s.requests}`);
  outbox.free();
});

test('a final 4xx stays listed as failed until removed', async () => {
  const tag = uniqueTag('outbox-4xx');
  const outbox = await client.outbox(tag, FAST);
  const bad = await outbox.send(`status/422?tag=${tag}`, { body: 'x' });
  const good = await outbox.send(`posts?tag=${tag}`, { method: 'PUT', json: { n: 1 } });
  assert.equal((await bad.response()).status, 422);
  assert.equal((await good.response()).status, 405, 'PUT /posts is a 405: also final');
  const entries = await outbox.entries();
  assert.equal(entries.length, 2);
  assert.deepEqual(entries.map((e) => [e.state, e.status]), [['failed', 422], ['failed', 405]]);
  assert.equal(entries[0].method, 'POST');
  assert.equal(entries[1].method, 'PUT');
  assert.equal((await stats(tag)).by_path['/status/422'], 1, 'never retried');
  const e = await rejection(bad.response());
  assert.equal(e.name, 'TypeError', 'response() is made once');
  assert.equal(await outbox.remove(bad.id), true);
  await outbox.clear();
  assert.equal(await outbox.len(), 0);
  outbox.free();
});

test('every bad input is a typed error and nothing is stored', async () => {
  const tag = uniqueTag('outbox-bad');
  const outbox = await client.outbox(tag, { ...FAST, maxBodySize: 16, quota: 20 });
  const reason = async (p) => {
    const e = await rejection(p);
    assert.ok(e instanceof OutboxError, `${e}`);
    return e.reason;
  };
  assert.equal(await reason(outbox.send('posts', { body: new Uint8Array(17) })), 'too_large');
  const form = new FormData();
  form.append('a', 'b');
  assert.equal(await reason(outbox.send('posts', { body: form })), 'unstorable');
  // The JS API takes no stream body at all: a TypeError, as for client.post.
  const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } });
  assert.equal((await rejection(outbox.send('posts', { body: stream }))).name, 'TypeError');
  assert.equal(await reason(outbox.send('http://[::1', {})), 'bad_url');
  await offline(tag, '503', 60);
  await outbox.send(`posts?tag=${tag}`, { body: new Uint8Array(16) });
  assert.equal(await reason(outbox.send(`posts?tag=${tag}`, { body: new Uint8Array(8) })), 'quota');
  assert.equal(await outbox.len(), 1);
  // Bad options are TypeErrors, as everywhere in the API.
  const e = await rejection(client.outbox(tag, { memroy: true }));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /unknown option "memroy"/);
  // An ignored handle never leaves an unhandled rejection, even when its
  // entry is removed.
  await outbox.clear();
  await offline(tag, '503', 0);
  outbox.free();
  const s = await stats(tag);
  assert.equal(s.idempotency.applied, 0);
});

test('maxAttempts: gave_up, the entry kept as failed', async () => {
  const tag = uniqueTag('outbox-cap');
  await offline(tag, '503', 60);
  const outbox = await client.outbox(tag, { ...FAST, maxAttempts: 3 });
  const h = await outbox.send(`posts?tag=${tag}`, { json: { n: 1 } });
  const e = await rejection(h.response());
  assert.equal(e.reason, 'gave_up');
  const [entry] = await outbox.entries();
  assert.equal(entry.state, 'failed');
  assert.equal(entry.attempts, 3);
  assert.equal(entry.status, 503);
  assert.equal((await stats(tag)).requests, 3);
  await offline(tag, '503', 0);
  outbox.free();
});
