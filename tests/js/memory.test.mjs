// Issue 12, workload 5, for the JS API: requests whose bodies were read hold
// nothing in wasm memory, so that linear memory does not grow after a
// warm-up batch, whatever the garbage collector does. Each case runs in a
// fresh Node.js (`pkg/nodejs`) whose `WebAssembly.Instance` is caught as the
// package makes it, for its `memory`; responses are kept alive on purpose,
// so that a response still holding wasm memory after its body was read
// makes memory grow here whether or not a collection happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { API, fanout } from './support.mjs';

const PKG = new URL('../../pkg/nodejs/fanout.js', import.meta.url).pathname;

/**
 * Runs `body` (a script fragment with `client`, `kept` and `memory()` in
 * scope, which sets `before` and `after`) in a fresh Node.js and returns
 * what it measured.
 */
async function measure(body) {
  const script = `
    import { createRequire } from 'node:module';
    const Instance = WebAssembly.Instance;
    let instance;
    WebAssembly.Instance = function (module, imports) {
      instance = new Instance(module, imports);
      return instance;
    };
    const { Client } = createRequire(import.meta.url)(${JSON.stringify(PKG)});
    WebAssembly.Instance = Instance;
    if (!instance) throw new Error('the package made no WebAssembly.Instance');
    const memory = () => instance.exports.memory.buffer.byteLength;
    const client = new Client({ baseUrl: ${JSON.stringify(`${API}/`)} });
    const kept = [];
    let before, after;
    ${body}
    console.log(JSON.stringify({ before, after, kept: kept.length, first: kept[0] }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

const kib = (n) => `${n / 1024} KiB`;

test('memory: 2,000 requests after a warm-up batch grow wasm memory by 0 bytes', async () => {
  // Batches of 100 at once: every way of reading a body, a HEAD (no body)
  // and a 404 (an HTTPError with its response); the responses and errors
  // are kept.
  const m = await measure(`
    async function batch(tag) {
      await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const path = 'posts/' + ((i % 100) + 1) + '?r=' + tag + '-' + i;
        switch (i % 6) {
          case 0: { const r = await client.get(path); kept.push(r); return r.json(); }
          case 1: { const r = await client.get(path); kept.push(r); return r.text(); }
          case 2: { const r = await client.get(path); kept.push(r); return r.bytes(); }
          case 3: return client.get(path).json();
          case 4: { const r = await client.head(path); kept.push(r); return r.text(); }
          default: return client.get('status/404?r=' + tag + '-' + i).catch((e) => kept.push(e));
        }
      }));
    }
    await batch('warm');
    before = memory();
    for (let b = 0; b < 20; b++) await batch('b' + b);
    after = memory();
  `);
  // 83 of every 100 keep what they got (i % 6 === 3 does not), warm-up too.
  assert.equal(m.kept, 21 * 83, 'every case ran');
  assert.equal(m.after - m.before, 0, `wasm memory ${kib(m.before)} → ${kib(m.after)}`);
});

test('memory: a read response keeps its fields, methods and class', async () => {
  const { Client, FanoutResponse } = fanout;
  const res = await new Client({ baseUrl: API }).get('posts/1');
  await res.json();
  // Its wasm-side body is gone: everything else still answers.
  assert.ok(res instanceof FanoutResponse);
  assert.deepEqual([res.status, res.ok, res.statusText, res.method, res.attempts], [200, true, 'OK', 'GET', 1]);
  assert.equal(res.url, `${API}/posts/1`);
  assert.equal(res.bodyUsed, true);
  assert.equal(res.header('Content-Type'), 'application/json; charset=utf-8');
  assert.ok(Object.isFrozen(res.headers));
  assert.deepEqual(Object.keys(res), [], 'no enumerable own fields');
  assert.equal(res.constructor, FanoutResponse);
  const e = await res.text().then(
    () => assert.fail('a second read resolved'),
    (err) => err,
  );
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /already read/);
  assert.equal(e.url, `${API}/posts/1`);
  assert.throws(() => res.lines(), /already read/);
  assert.throws(() => res.jsonLines(42), /jsonLines options must be an object/);
  res.free();
  res.free();
  if (Symbol.dispose) res[Symbol.dispose]();
  assert.equal(res.status, 200, 'free() after reading does nothing');
});

test('memory: a gather of 20,000 bad inputs does not hold a request future per input', async () => {
  // Each input fails on its first poll; the batch starts one at a time and
  // frees it before making the next, so wasm memory grows by what the batch
  // keeps per input (its parsed input and its result: about 1 KiB), not by
  // a request's whole future (7 to 9 KiB each when they were all made
  // first).
  const m = await measure(`
    await client.gather(Array.from({ length: 100 }, (_, i) => (i % 2 ? i : { path: i })));
    before = memory();
    const results = await client.gather(Array.from({ length: 20000 }, (_, i) => (i % 2 ? i : { path: i })));
    after = memory();
    kept.push(results.filter((r) => !r.ok && r.error.name === 'TypeError').length);
  `);
  assert.equal(m.first, 20000, 'every input a TypeError');
  const perInput = (m.after - m.before) / 20000;
  assert.ok(perInput < 3 * 1024, `wasm memory ${kib(m.before)} → ${kib(m.after)}: ${Math.round(perInput)} bytes per input`);
});
