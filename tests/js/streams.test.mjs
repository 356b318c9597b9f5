// Streams in the npm package (`pkg/nodejs`) against the dev server:
// onDownloadProgress, response.lines() and jsonLines(), client.sse().
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { API, fanout, rejection, settled, stats, thrown, uniqueTag } from './support.mjs';

const { Client } = fanout;

const client = new Client({ baseUrl: API });

const ndjsonLine = (n) => `{"n":${n},"text":"caf\u00e9 \u2603 \u{1F600} #${n}"}`;

function assertProgress(calls, size, totalKnown) {
  assert.ok(calls.length >= 1);
  for (let i = 1; i < calls.length; i += 1) assert.ok(calls[i - 1].loaded <= calls[i].loaded);
  const last = calls.at(-1);
  assert.equal(last.loaded, size);
  assert.equal(last.total, size);
  assert.equal(last.percent, 1);
  for (const c of calls.slice(0, -1)) assert.equal(c.total !== undefined, totalKnown, JSON.stringify(c));
}

test('onDownloadProgress: monotonic, ends at the size, with and without Content-Length', async () => {
  let calls = [];
  const photos = await (await client.get('photos', { onDownloadProgress: (p) => calls.push(p) })).json();
  assert.equal(photos.length, 5000);
  assertProgress(calls, calls.at(-1).loaded, true);
  assert.ok(calls.at(-1).loaded > 1_000_000);

  calls = [];
  const text = await (
    await client.get('drip', {
      query: { chunks: 4, chunk_size: 1000, interval_ms: 5 },
      onDownloadProgress: (p) => calls.push(p),
    })
  ).text();
  assert.equal(text.length, 4000);
  assertProgress(calls, 4000, false);

  calls = [];
  const bytes = await (await client.get('bytes?n=70000', { onDownloadProgress: (p) => calls.push(p) })).bytes();
  assert.equal(bytes.length, 70_000);
  assertProgress(calls, 70_000, true);
});

test('onDownloadProgress in gather, and a bad value is a TypeError', async () => {
  const calls = [];
  const [r] = await client.gather([{ path: 'bytes?n=5000', onDownloadProgress: (p) => calls.push(p.loaded) }], {
    as: 'bytes',
  });
  assert.equal(r.value.length, 5000);
  assert.equal(calls.at(-1), 5000);
  const e = await rejection(client.get('posts/1', { onDownloadProgress: 5 }));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /onDownloadProgress must be a function/);
});

test('lines(): the server lines over awkward chunks (a character split between chunks)', async () => {
  for (const query of ['n=30&chunk=7&interval_ms=1', 'n=30&chunk=3&crlf']) {
    const res = await client.get(`ndjson?${query}`);
    const lines = [];
    for await (const line of res.lines()) lines.push(line);
    assert.deepEqual(lines, Array.from({ length: 30 }, (_, i) => ndjsonLine(i + 1)), query);
    assert.equal(res.bodyUsed, true);
    assert.equal(thrown(() => res.lines()).name, 'TypeError');
  }
});

test('jsonLines(): values; a bad line stops, or goes to onBadLine', async () => {
  const values = [];
  const e = await rejection(
    (async () => {
      for await (const v of (await client.get('ndjson?n=5&bad=3')).jsonLines()) values.push(v.n);
    })(),
  );
  assert.deepEqual(values, [1, 2]);
  assert.equal(e.name, 'DecodeError');
  assert.match(e.message, /line 3: invalid JSON/);
  assert.equal(e.url, `${API}/ndjson?n=5&bad=3`);

  const bad = [];
  const all = [];
  const res = await client.get('ndjson?n=5&bad=3&chunk=4');
  for await (const v of res.jsonLines({ onBadLine: (err) => bad.push(err.message) })) all.push(v.n);
  assert.deepEqual(all, [1, 2, 4, 5]);
  assert.equal(bad.length, 1);
  assert.match(bad[0], /line 3/);
});

test('breaking out of lines() aborts the download', async () => {
  const tag = uniqueTag('lines-break');
  const res = await client.get('ndjson', { query: { n: 1000, chunk: 50, interval_ms: 50, tag } });
  for await (const line of res.lines()) {
    assert.equal(JSON.parse(line).n, 1);
    break;
  }
  const s = await settled(tag);
  assert.equal(s.in_flight, 0);
  assert.equal(s.cancelled, 1);
});

test('sse(): every event once across forced reconnects, with Last-Event-ID', async () => {
  const tag = uniqueTag('sse');
  const reconnects = [];
  const ids = [];
  const stream = client.sse('sse', {
    query: { count: 6, interval_ms: 0, retry: 20, drop_after: 2, multiline: 1, tag },
    onReconnect: (r) => reconnects.push(r.lastEventId),
  });
  const end = await rejection(
    (async () => {
      for await (const e of stream) {
        assert.equal(e.event, 'message');
        assert.equal(JSON.parse(e.data).n, Number(e.id));
        ids.push(e.id);
      }
    })(),
  );
  assert.deepEqual(ids, ['1', '2', '3', '4', '5', '6']);
  assert.deepEqual(reconnects, ['2', '4', '6']);
  assert.equal(end.name, 'HTTPError');
  assert.equal(end.status, 204);
  const s = await settled(tag);
  assert.equal(s.requests, 4);
  assert.equal(s.in_flight, 0);
});

test('sse(): break and an AbortSignal both abort the fetch', async () => {
  let tag = uniqueTag('sse-break');
  for await (const e of client.sse('sse', { query: { count: 100, interval_ms: 200, tag } })) {
    assert.equal(e.id, '1');
    break;
  }
  let s = await settled(tag);
  assert.equal(s.in_flight, 0);
  assert.equal(s.cancelled, 1);

  tag = uniqueTag('sse-abort');
  const controller = new AbortController();
  const seen = [];
  const e = await rejection(
    (async () => {
      for await (const ev of client.sse(`sse?count=100&interval_ms=200&tag=${tag}`, { signal: controller.signal })) {
        seen.push(ev.id);
        controller.abort();
      }
    })(),
  );
  assert.deepEqual(seen, ['1']);
  assert.equal(e.name, 'AbortError');
  s = await settled(tag);
  assert.equal(s.in_flight, 0);
  assert.equal((await stats(tag)).cancelled, 1);
});

test('sse(): not an event stream, and bad options', async () => {
  let e = await rejection(client.sse('posts/1').next());
  assert.equal(e.name, 'DecodeError');
  assert.match(e.message, /text\/event-stream/);
  e = await rejection(client.sse('status/404').next());
  assert.equal(e.name, 'HTTPError');
  assert.equal(e.status, 404);
  e = thrown(() => client.sse('sse', { retryMs: 5 }));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /unknown option "retryMs"/);
  // A POST with a body, sent again on each reconnection.
  const events = [];
  for await (const ev of client.sse('sse?count=2&interval_ms=0', { method: 'POST', json: { topic: 'posts' } })) {
    events.push(ev.id);
    if (events.length === 2) break;
  }
  assert.deepEqual(events, ['1', '2']);
});
