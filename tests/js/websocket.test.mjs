// client.websocket in the npm package (`pkg/nodejs`) against the dev
// server's /ws routes. Node.js 22 has a global WebSocket; 20 and 21 only
// with --experimental-websocket (`cargo xtask test js` runs this file
// both ways there): without one, the socket is a NotSupportedError.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { API, fanout, rejection, stats, thrown, uniqueTag } from './support.mjs';

const { Client, FanoutError } = fanout;

const client = new Client({ baseUrl: API });
const hasWebSocket = typeof globalThis.WebSocket === 'function';

const unhandled = [];
process.on('unhandledRejection', (e) => unhandled.push(e));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(f, ms = 5000) {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await sleep(5);
  assert.ok(f(), `not within ${ms} ms`);
}

/** Reads `n` messages' texts in the background (driving the socket). */
function reader(ws, n) {
  const got = [];
  const done = (async () => {
    for await (const m of ws) {
      got.push(m.text());
      if (got.length === n) break;
    }
  })();
  return { got, done };
}

async function wsStats(tag) {
  return (await stats(tag)).ws;
}

test('bad URLs and options are TypeErrors, thrown before anything is sent', () => {
  for (const [url, options] of [
    ['ftp://127.0.0.1/ws', undefined],
    ['ws/echo#x', undefined],
    [42, undefined],
    ['ws/echo', { reconect: true }],
    ['ws/echo', { sendBuffer: 0 }],
    ['ws/echo', { protocols: 5 }],
    ['ws/echo', { finalCodes: [99] }],
    ['ws/echo', { heartbeatMessage: 'x' }],
    ['ws/echo', { reconnect: 'often' }],
  ]) {
    const e = thrown(() => client.websocket(url, options));
    assert.equal(e.name, 'TypeError', `${url} ${JSON.stringify(options)}: ${e.message}`);
    assert.ok(e instanceof FanoutError);
  }
});

test('without a global WebSocket: a NotSupportedError that says so', { skip: hasWebSocket }, () => {
  const e = thrown(() => client.websocket('ws/echo'));
  assert.equal(e.name, 'NotSupportedError');
  assert.ok(e instanceof FanoutError);
  assert.match(e.message, /WebSocket/);
});

test('echo of text, binary and JSON; messages read as text, bytes or json', { skip: !hasWebSocket }, async () => {
  const tag = uniqueTag('ws-echo');
  const ws = client.websocket(`ws/echo?tag=${tag}`);
  assert.equal(ws.state, 'connecting');
  await ws.send('héllo ☃');
  assert.equal(ws.state, 'open');
  await ws.send(new Uint8Array([0, 1, 255]));
  await ws.send(new Uint16Array([1]).buffer);
  await ws.sendJson({ n: 7 });
  const it = ws[Symbol.asyncIterator]();
  const [a, b, c, d] = [(await it.next()).value, (await it.next()).value, (await it.next()).value, (await it.next()).value];
  assert.equal(a.isText, true);
  assert.equal(a.data, 'héllo ☃');
  assert.deepEqual([...a.bytes()].slice(0, 2), [104, 195]);
  assert.equal(b.isText, false);
  assert.ok(b.data instanceof Uint8Array);
  assert.deepEqual([...b.bytes()], [0, 1, 255]);
  assert.deepEqual([...c.bytes()], [1, 0]);
  assert.deepEqual(d.json(), { n: 7 });
  const e = thrown(() => a.json());
  assert.equal(e.name, 'DecodeError');
  assert.equal((await rejection(ws.send({}))).name, 'TypeError');
  ws.close();
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  assert.equal((await wsStats(tag)).messages_in, 4);
});

test('1,000 messages in order', { skip: !hasWebSocket }, async () => {
  const tag = uniqueTag('ws-1000');
  const ws = client.websocket(`ws/echo?tag=${tag}`);
  const r = reader(ws, 1000);
  await Promise.all(Array.from({ length: 1000 }, (_, i) => ws.send(`${i}:m`)));
  await r.done;
  assert.deepEqual(r.got, Array.from({ length: 1000 }, (_, i) => `${i}:m`));
  const s = await wsStats(tag);
  assert.equal(s.unique, 1000);
  assert.equal(s.duplicates, 0);
});

test('200 messages in bursts across 5 drops: each arrives once, in order', { skip: !hasWebSocket }, async () => {
  const tag = uniqueTag('ws-bursts');
  const events = [];
  const ws = client.websocket(`ws/echo?tag=${tag}`, {
    reconnect: { limit: 10, backoffMs: 30, maxBackoffMs: 300 },
    onEvent: (e) => events.push(e),
  });
  const r = reader(ws, 200);
  const sends = [];
  for (let burst = 0; burst < 6; burst += 1) {
    const [from, to] = [Math.floor((burst * 200) / 6), Math.floor(((burst + 1) * 200) / 6)];
    if (burst > 0) {
      await ws.send('!drop');
      await until(() => ws.state !== 'open');
      assert.equal(ws.state, 'reconnecting');
    }
    for (let i = from; i < to; i += 1) sends.push(ws.send(`${i}:burst`));
    await until(() => r.got.length >= to, 10_000);
  }
  await r.done;
  await Promise.all(sends);
  assert.deepEqual(r.got, Array.from({ length: 200 }, (_, i) => `${i}:burst`));
  assert.equal(ws.reconnects, 5);
  const s = await wsStats(tag);
  assert.deepEqual([s.messages_in, s.unique, s.duplicates, s.connections, s.drops], [200, 200, 0, 6, 5]);
  assert.equal(events.filter((e) => e.type === 'reconnecting' && e.code === 1006).length, 5);
  assert.equal(events.filter((e) => e.type === 'open').length, 6);
});

test('without reconnect a drop ends the iteration with a ClosedError and later sends reject', { skip: !hasWebSocket }, async () => {
  const ws = client.websocket('ws/echo');
  await ws.send('!drop');
  const e = await rejection((async () => { for await (const _ of ws); })());
  assert.equal(e.name, 'ClosedError');
  assert.equal(e.code, 1006);
  assert.equal(ws.state, 'closed');
  const sent = await Promise.allSettled([ws.send('a'), ws.send('b'), ws.sendJson(1)]);
  assert.deepEqual(sent.map((s) => [s.status, s.reason?.name]), Array(3).fill(['rejected', 'ClosedError']));
});

test('a full send buffer rejects with a BufferFullError; the queue goes out after the reconnection', { skip: !hasWebSocket }, async () => {
  const ws = client.websocket('ws/echo', { sendBuffer: 2, reconnect: { limit: 3, backoffMs: 400, maxBackoffMs: 400 } });
  const r = reader(ws, 2);
  await ws.send('!drop');
  await until(() => ws.state === 'reconnecting');
  const queued = [ws.send('0:q'), ws.send('1:q')];
  const e = await rejection(ws.send('2:q'));
  assert.equal(e.name, 'BufferFullError');
  await Promise.all(queued);
  await r.done;
  assert.deepEqual(r.got, ['0:q', '1:q']);
});

test('close codes round-trip, typed', { skip: !hasWebSocket }, async () => {
  const tag = uniqueTag('ws-close');
  const ws = client.websocket(`ws/echo?tag=${tag}`);
  await ws.send('x');
  assert.equal(thrown(() => ws.close(1001)).name, 'TypeError');
  assert.equal(thrown(() => ws.close(4000.5)).name, 'TypeError');
  ws.close(4001, 'bye');
  for await (const _ of ws); // the echo of 'x', then the end
  for (let i = 0; i < 100 && (await wsStats(tag)).open !== 0; i += 1) await sleep(20);
  assert.deepEqual((await wsStats(tag)).close_codes, [4001]);

  const server = client.websocket('ws/echo?close=4002&reason=nope', { reconnect: true, finalCodes: [4002] });
  const e = await rejection((async () => { for await (const _ of server); })());
  assert.equal(e.name, 'ClosedError');
  assert.equal(e.code, 4002);
  assert.equal(e.reason, 'nope');
  assert.equal(server.reconnects, 0);
});

test('a refused upgrade (403) is a ConnectError, for the iteration and the queued sends', { skip: !hasWebSocket }, async () => {
  const tag = uniqueTag('ws-refuse');
  const ws = client.websocket(`ws/refuse?tag=${tag}`);
  const sent = rejection(ws.send('never'));
  const e = await rejection(ws.next());
  assert.equal(e.name, 'ConnectError');
  assert.match(e.message, /ws\/refuse/);
  assert.equal((await sent).name, 'ConnectError');
  assert.equal((await stats(tag)).requests, 1);
});

test('leaving the loop closes the socket (by /stats)', { skip: !hasWebSocket }, async () => {
  const tag = uniqueTag('ws-leave');
  const ws = client.websocket(`ws/ticker?tag=${tag}&tick_ms=10`);
  let n = 0;
  for await (const m of ws) {
    assert.equal(m.json().n, n + 1);
    n += 1;
    if (n === 3) break;
  }
  assert.equal(ws.state, 'closed');
  let s;
  for (let i = 0; i < 100; i += 1) {
    s = await wsStats(tag);
    if (s.open === 0) break;
    await sleep(20);
  }
  assert.equal(s.open, 0);
  assert.deepEqual(s.close_codes, [1000]);
});

test('no unhandled rejection', async () => {
  await sleep(50);
  assert.deepEqual(unhandled, []);
});
