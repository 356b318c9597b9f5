// The durable outbox in headless Chromium, with real reloads and two tabs:
// the npm package's web build on a page served here (127.0.0.1:0) calling
// the dev server (FANOUT_TEST_API) cross-origin, and the demo page's
// "Offline writes" panel. The server refuses through /faults/offline.
//
// - 50 POSTs queued while the server refuses; the page reloaded while
//   still refused, then again in the middle of the replay (requests in
//   flight when the page goes); /stats then shows 50 distinct keys, each
//   applied once, in the order queued, and the outbox is empty.
// - Two tabs open at once on one outbox: each entry delivered once.
// - The demo: comments posted offline survive a reload and appear once.
// - No uncaught error or unhandled rejection in any page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

import { API, launch, screenshot } from './lib.mjs';
import { ROOT } from '../js/snippets.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };

/** A page that loads the web build and opens the outbox named in `?name=`. */
const HARNESS = `<!doctype html>
<meta charset="utf-8">
<title>fanout outbox</title>
<script type="module">
  import init, { Client } from '/fanout/fanout.js';
  await init();
  const params = new URLSearchParams(location.search);
  const client = new Client({ baseUrl: params.get('api') });
  window.events = [];
  window.outbox = await client.outbox(params.get('name'), {
    retryDelayMs: 50, maxRetryDelayMs: 300, maxRetryAfterMs: 300,
    onEvent: (e) => window.events.push(e),
  });
  window.ready = true;
</script>`;

/** The JS API probe shared with Firefox (js/tests/api.rs). */
const PROBE = readFileSync(join(ROOT, 'tests/js/outbox.probe.js'), 'utf8');
const EXPECTED = new Function(`${PROBE}; return OUTBOX_EXPECTED;`)();
const PROBE_PAGE = `<!doctype html>\n<meta charset="utf-8">\n<script type="module">\n  import init, * as fanout from '/fanout/fanout.js';\n  await init();\n  window.fanout = fanout;\n  window.ready = true;\n</script>`;
const PROBE_WORKER = `import init, * as fanout from '/fanout/fanout.js';\n${PROBE}\nconst ready = init();\nself.onmessage = async ({ data: { api, tag } }) => {\n  await ready;\n  try { self.postMessage(await outboxProbe(fanout, api, tag)); } catch (e) { self.postMessage({ failed: String(e && e.stack || e) }); }\n};\n`;

let server;
let origin;
let browser;
const pageErrors = [];

function handle(req, res) {
  const path = new URL(req.url, 'http://localhost').pathname;
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  if (path === '/outbox.html') return send(200, TYPES['.html'], HARNESS);
  if (path === '/probe.html') return send(200, TYPES['.html'], PROBE_PAGE);
  if (path === '/probe-worker.js') return send(200, TYPES['.js'], PROBE_WORKER);
  if (path.startsWith('/fanout/')) {
    const rel = normalize(decodeURIComponent(path.slice('/fanout/'.length)));
    if (!rel.startsWith('..')) {
      try {
        return send(200, TYPES[extname(rel)] ?? 'application/octet-stream', readFileSync(join(ROOT, 'pkg/web', rel)));
      } catch {
        // a 404 below
      }
    }
  }
  send(404, 'text/plain', 'not found');
}

const tagOf = (name) => `e2e-outbox-${name}-${process.pid}-${Date.now()}`;

async function stats(tag) {
  return (await fetch(`${API}/stats?tag=${encodeURIComponent(tag)}`)).json();
}

async function appliedLog(tag) {
  return (await (await fetch(`${API}/idempotency/log?tag=${encodeURIComponent(tag)}`)).json()).applied;
}

async function offline(scope, mode, seconds) {
  const res = await fetch(`${API}/faults/offline?scope=${scope}&mode=${mode}&seconds=${seconds}`);
  assert.equal(res.status, 200);
}

async function until(what, f, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A page of the harness with the outbox `name` open. */
async function openOutbox(name, p) {
  const page = p ?? (await browser.context.newPage());
  if (!p) page.on('pageerror', (e) => pageErrors.push(`outbox ${name}: ${e.message}`));
  await page.goto(`${origin}/outbox.html?name=${encodeURIComponent(name)}&api=${encodeURIComponent(`${API}/`)}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
  return page;
}

before(async () => {
  server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve());
  assert.deepEqual(pageErrors, [], 'no uncaught errors or unhandled rejections in the pages');
});

test('50 POSTs queued offline survive two reloads (one mid-replay) and arrive once each, in order', async () => {
  const tag = tagOf('50');
  await offline(tag, 'network', 120);
  const page = await openOutbox(tag);
  const keys = await page.evaluate(async (tag) => {
    const keys = [];
    for (let n = 0; n < 50; n += 1) {
      const h = await window.outbox.send(`posts?tag=${tag}&delay=20`, { json: { n, title: `comment ${n}` } });
      keys.push(h.key);
    }
    return keys;
  }, tag);
  assert.equal(new Set(keys).size, 50);
  await until('failed attempts', () => page.evaluate(() => window.events.filter((e) => e.type === 'retrying').length >= 2));
  await offline(tag, '503', 120);
  // Reload 1, still refused: the queue is in IndexedDB.
  await openOutbox(tag, page);
  assert.equal(await page.evaluate(() => window.outbox.len()), 50);
  assert.deepEqual(await page.evaluate(() => window.outbox.entries().then((es) => es.map((e) => e.key))), keys);
  assert.equal((await stats(tag)).idempotency.applied, 0);
  // The server back; reload 2 while the replay is under way.
  await offline(tag, '503', 0);
  await until('the replay to start', async () => (await appliedLog(tag)).length >= 10);
  await openOutbox(tag, page);
  const left = await page.evaluate(() => window.outbox.len());
  assert.ok(left > 0 && left < 50, `${left} left after the mid-replay reload`);
  await until('an empty outbox', () => page.evaluate(() => window.outbox.len().then((n) => n === 0)));
  const s = await stats(tag);
  assert.equal(s.idempotency.keys_seen, 50, JSON.stringify(s));
  assert.equal(s.idempotency.applied, 50, JSON.stringify(s));
  assert.equal(s.idempotency.conflicts, 0, JSON.stringify(s));
  const log = await appliedLog(tag);
  assert.deepEqual(log.map((e) => JSON.parse(e.body).n), [...Array(50).keys()]);
  assert.deepEqual(log.map((e) => e.key), keys);
  console.log(`outbox 50-POST /stats (Chromium page, JS API, 2 reloads): ${JSON.stringify(s.idempotency)}, requests ${s.requests}, left after the mid-replay reload ${left}`);
  await page.close();
});

test('two tabs open at once deliver each entry once', async () => {
  const tag = tagOf('tabs');
  await offline(tag, '503', 120);
  const [a, b] = [await openOutbox(tag), await openOutbox(tag)];
  const send = (page, from) => page.evaluate(async ({ tag, from }) => {
    for (let n = from; n < from + 10; n += 1) {
      await window.outbox.send(`posts?tag=${tag}&delay=10`, { json: { n } });
    }
  }, { tag, from });
  await Promise.all([send(a, 0), send(b, 100)]);
  assert.equal(await a.evaluate(() => window.outbox.len()), 20);
  await offline(tag, '503', 0);
  await Promise.all([a.evaluate(() => window.outbox.flush()), b.evaluate(() => window.outbox.flush())]);
  await until('both empty', async () =>
    (await a.evaluate(() => window.outbox.len())) === 0 && (await b.evaluate(() => window.outbox.len())) === 0);
  const s = await stats(tag);
  assert.equal(s.idempotency.keys_seen, 20, JSON.stringify(s));
  assert.equal(s.idempotency.applied, 20, JSON.stringify(s));
  assert.equal(s.idempotency.replayed, 0, 'no entry sent twice once the server took it');
  assert.equal(s.idempotency.conflicts, 0);
  const delivered = [
    ...(await a.evaluate(() => window.events.filter((e) => e.type === 'delivered').map((e) => e.id))),
    ...(await b.evaluate(() => window.events.filter((e) => e.type === 'delivered').map((e) => e.id))),
  ];
  assert.equal(delivered.length, 20, 'each delivered by one tab');
  assert.equal(new Set(delivered).size, 20);
  await a.close();
  await b.close();
});

test('the JS API probe in a page and in a module Web Worker (IndexedDB there too)', async () => {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`probe: ${e.message}`));
  await page.goto(`${origin}/probe.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
  const inPage = await page.evaluate(
    ({ probe, api, tag }) => new Function(`${probe}; return outboxProbe;`)()(window.fanout, api, tag),
    { probe: PROBE, api: `${API}/`, tag: tagOf('probe-page') },
  );
  assert.deepEqual(inPage, EXPECTED);
  const inWorker = await page.evaluate(
    ({ api, tag }) =>
      new Promise((resolve, reject) => {
        const worker = new Worker('/probe-worker.js', { type: 'module' });
        worker.onmessage = (e) => {
          worker.terminate();
          resolve(e.data);
        };
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage({ api, tag });
      }),
    { api: `${API}/`, tag: tagOf('probe-worker') },
  );
  assert.deepEqual(inWorker, EXPECTED);
  await page.close();
});

test('the demo page: comments posted offline survive a reload and appear once', async () => {
  await fetch(`${API}/stats/reset?tag=demo-offline`, { method: 'POST' });
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`demo: ${e.message}`));
  await page.goto(`${API}/`);
  const queue = page.locator('#offline-queue li');
  await page.waitForFunction(() => /waiting in the outbox/.test(document.querySelector('#offline-status').textContent), null, { timeout: 15_000 });
  await page.check('#offline-switch');
  await until('the server refusing', async () => JSON.stringify(await (await fetch(`${API}/faults/offline`)).json()).includes('demo-offline'));
  const texts = ['first <b>offline</b>', 'second', 'third'];
  for (const t of texts) {
    await page.fill('#offline-text', t);
    await page.click('#offline-post');
    await page.waitForFunction((n) => document.querySelectorAll('#offline-queue li[data-state]').length >= n, texts.indexOf(t) + 1);
  }
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#offline-queue li[data-state]').length === 3, null, { timeout: 15_000 });
  assert.equal(await page.isChecked('#offline-switch'), true, 'the switch shows the server refusing');
  await screenshot(page, 'outbox-demo-offline');
  await page.uncheck('#offline-switch');
  await page.waitForFunction(() => document.querySelectorAll('#offline-comments li').length >= 3, null, { timeout: 20_000 });
  const shown = await page.locator('#offline-comments li').allTextContents();
  assert.deepEqual(shown.slice(-3), texts, 'each comment once, in order, as text');
  assert.equal(await page.locator('#offline-comments b').count(), 0, 'text only');
  assert.equal(await queue.first().textContent(), 'Nothing waiting.');
  const s = await stats('demo-offline');
  assert.equal(s.idempotency.applied, 3);
  await page.close();
});
