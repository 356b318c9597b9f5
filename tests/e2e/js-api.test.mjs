// The npm package's JS API in headless Chromium: the `web` build imported as
// an ES module by a page (and by a module worker) served from a tiny static
// server started here on 127.0.0.1:0, calling the dev server (FANOUT_TEST_API)
// cross-origin. Also runs the docs' browser and worker snippets, and the
// Vite example's production build.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';

import { API, launch } from './lib.mjs';
import { ROOT, snippet, withApi } from '../js/snippets.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
};

/** A page that loads the web build and exposes it as `window.fanout`. */
const HARNESS = `<!doctype html>
<meta charset="utf-8">
<title>fanout JS API</title>
<script type="module">
  import init, * as fanout from '/fanout/fanout.js';
  await init();
  window.fanout = fanout;
  window.ready = true;
</script>`;

/** A module worker that runs a few API calls and posts the results back. */
const WORKER_HARNESS = `
import init, { Client } from '/fanout/fanout.js';

const ready = init();
self.onmessage = async ({ data: { api, tag } }) => {
  await ready;
  const client = new Client({ baseUrl: api, retry: false });
  const out = { scope: self.constructor.name };
  const res = await client.get('posts/1');
  out.status = res.status;
  out.id = (await res.json()).id;
  try {
    await client.get('status/503');
  } catch (e) {
    out.error = { name: e.name, status: e.status, method: e.method };
  }
  const results = await client.gather(
    Array.from({ length: 6 }, (_, i) => \`posts/\${i + 1}?tag=\${tag}&delay=40&u=\${i}\`),
    { limit: 2, onProgress: (p) => (out.done = p.done) },
  );
  out.ids = results.map((r) => (r.ok ? r.value.id : r.error.name));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  try {
    await client.get('hang', { signal: controller.signal });
  } catch (e) {
    out.aborted = e.name;
  }
  self.postMessage(out);
};
`;


/** Issue 10's JS features probe, shared with the Firefox test (js/tests/api.rs). */
const FEATURES_PROBE = readFileSync(join(ROOT, 'tests/js/features.probe.js'), 'utf8');
const FEATURES_EXPECTED = new Function(`${FEATURES_PROBE}; return FEATURES_EXPECTED;`)();

let server;
let origin;
let browser;
let page;
let viteDir;
const pageErrors = [];

/** Serves the harness pages, the docs snippets, pkg/web and the Vite build. */
function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const html = (body) => send(200, TYPES['.html'], body);
  const js = (body) => send(200, TYPES['.js'], body);
  const path = url.pathname;
  if (path === '/harness.html') return html(HARNESS);
  if (path === '/worker-harness.js') return js(WORKER_HARNESS);
  if (path === '/features-worker.js') {
    return js(`import init, * as fanout from '/fanout/fanout.js';\n${FEATURES_PROBE}\nconst ready = init();\nself.onmessage = async ({ data: { api, tag } }) => {\n  await ready;\n  try { self.postMessage(await featuresProbe(fanout, api, tag)); } catch (e) { self.postMessage({ failed: String(e && e.stack || e) }); }\n};\n`);
  }
  if (path === '/index.html') {
    return html(`<!doctype html>\n<meta charset="utf-8">\n<title>docs</title>\n${withApi(snippet('browser').code, API)}`);
  }
  if (path === '/worker.js') return js(withApi(snippet('worker-script').code, API));
  if (path === '/worker.html') {
    return html(`<!doctype html>\n<meta charset="utf-8">\n<script type="module">\n${snippet('worker-page').code}</script>`);
  }
  const mounts = [
    ['/fanout/', join(ROOT, 'pkg/web')],
    ['/vite/', viteDir],
  ];
  for (const [prefix, dir] of mounts) {
    if (!dir || !path.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(path.slice(prefix.length)) || 'index.html');
    if (rel.startsWith('..')) break;
    try {
      return send(200, TYPES[extname(rel)] ?? 'application/octet-stream', readFileSync(join(dir, rel)));
    } catch {
      break;
    }
  }
  send(404, 'text/plain', 'not found');
}

async function stats(tag) {
  return (await fetch(`${API}/stats?tag=${encodeURIComponent(tag)}`)).json();
}

function uniqueTag(name) {
  return `e2e-js-${name}-${process.pid}-${Date.now()}`;
}

/** A fresh page, failing the test on any uncaught page error. */
async function open(path) {
  const p = await browser.context.newPage();
  p.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  await p.goto(`${origin}${path}`);
  return p;
}

/** Runs the module worker at `path` on the harness page with the dev server and `tag`; resolves to its message. */
function inWorker(path, tag) {
  return page.evaluate(
    ({ path, api, tag }) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(path, { type: 'module' });
        worker.onmessage = (e) => {
          worker.terminate();
          resolve(e.data);
        };
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage({ api, tag });
      }),
    { path, api: `${API}/`, tag },
  );
}

before(async () => {
  server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
  page = await open('/harness.html');
  await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve) ?? resolve());
  if (viteDir) rmSync(viteDir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
});

test('web build in a page: get, status, json, headers', async () => {
  const out = await page.evaluate(async (api) => {
    const client = new window.fanout.Client({ baseUrl: api });
    const res = await client.get('posts/1');
    const post = await res.json();
    return {
      status: res.status,
      ok: res.ok,
      url: res.url,
      type: res.headers['content-type'],
      id: post.id,
      proto: Object.getPrototypeOf(post) === Object.prototype,
    };
  }, `${API}/`);
  assert.deepEqual(out, {
    status: 200,
    ok: true,
    url: `${API}/posts/1`,
    type: 'application/json; charset=utf-8',
    id: 1,
    proto: true,
  });
});

test('web build in a page: an HTTPError has its name, status, url and method', async () => {
  const e = await page.evaluate(async (api) => {
    const client = new window.fanout.Client({ baseUrl: api });
    try {
      await client.get('status/404');
      return null;
    } catch (e) {
      return { name: e.name, status: e.status, url: e.url, method: e.method, isError: e instanceof Error };
    }
  }, `${API}/`);
  assert.deepEqual(e, { name: 'HTTPError', status: 404, url: `${API}/status/404`, method: 'GET', isError: true });
});

test('web build in a page: error classes (instanceof), error.data, get(u).json()', async () => {
  const out = await page.evaluate(async (api) => {
    const { Client, FanoutError, HTTPError, TimeoutError, NetworkError, DecodeError } = window.fanout;
    const client = new Client({ baseUrl: api, retry: false });
    const kinds = async (p) => {
      try {
        await p;
        return null;
      } catch (e) {
        return [e.name, e instanceof FanoutError, e instanceof Error, ...[HTTPError, TimeoutError, NetworkError, DecodeError].map((C) => e instanceof C)];
      }
    };
    let data;
    try {
      await client.get('status/404');
    } catch (e) {
      data = e.data;
    }
    return {
      http: await kinds(client.get('status/404')),
      timeout: await kinds(client.get('hang', { timeoutMs: 100 })),
      network: await kinds(new Client({ baseUrl: 'http://127.0.0.1:9/', retry: false }).get('x')),
      decode: await kinds(client.get('ndjson?n=2').json()),
      data,
      id: (await client.get('posts/1').json()).id,
    };
  }, `${API}/`);
  assert.deepEqual(out, {
    http: ['HTTPError', true, true, true, false, false, false],
    timeout: ['TimeoutError', true, true, false, true, false, false],
    network: ['NetworkError', true, true, false, false, true, false],
    decode: ['DecodeError', true, true, false, false, false, true],
    data: { status: 404 },
    id: 1,
  });
});

test('web build in a page: gather with a limit, results in order', async () => {
  const tag = uniqueTag('gather');
  const out = await page.evaluate(
    async ({ api, tag }) => {
      const client = new window.fanout.Client({ baseUrl: api, retry: false });
      const progress = [];
      const inputs = Array.from({ length: 9 }, (_, i) =>
        i === 4 ? `status/500?tag=${tag}&u=${i}` : `posts/${i + 1}?tag=${tag}&delay=50&u=${i}`,
      );
      const results = await client.gather(inputs, { limit: 3, onProgress: (p) => progress.push(p.done) });
      return {
        results: results.map((r) => (r.ok ? r.value.id : `${r.error.name} ${r.error.status}`)),
        progress,
      };
    },
    { api: `${API}/`, tag },
  );
  assert.deepEqual(out.results, [1, 2, 3, 4, 'HTTPError 500', 6, 7, 8, 9]);
  assert.deepEqual(out.progress, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const s = await stats(tag);
  assert.equal(s.requests, 9);
  assert.ok(s.peak_in_flight <= 3, `peak ${s.peak_in_flight}`);
  assert.equal(s.peak_in_flight, 3);
});

test('web build in a page: an AbortSignal aborts a request and a gather', async () => {
  const out = await page.evaluate(async (api) => {
    const client = new window.fanout.Client({ baseUrl: api });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    let single;
    try {
      await client.get('hang', { signal: controller.signal });
    } catch (e) {
      single = e.name;
    }
    const batch = new AbortController();
    const results = await client.gather(['posts/1?u=abort', 'hang?u=1', 'hang?u=2'], {
      signal: batch.signal,
      onProgress: ({ index }) => index === 0 && batch.abort(),
    });
    return { single, batch: results.map((r) => (r.ok ? 'ok' : r.error.name)) };
  }, `${API}/`);
  assert.deepEqual(out, { single: 'AbortError', batch: ['ok', 'AbortError', 'AbortError'] });
});

test('web build in a page: client.websocket echoes, keeps 200 messages in order across 5 drops, typed errors (issue 22)', async () => {
  const tag = uniqueTag('ws-page');
  const out = await page.evaluate(
    async ({ api, tag }) => {
      const unhandled = [];
      window.addEventListener('unhandledrejection', (e) => unhandled.push(String(e.reason)));
      const { Client } = window.fanout;
      const client = new Client({ baseUrl: api });
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      const until = async (f) => {
        const end = Date.now() + 15_000;
        while (!f()) {
          if (Date.now() > end) throw new Error('timed out');
          await sleep(5);
        }
      };
      const ws = client.websocket(`ws/echo?tag=${tag}`, {
        reconnect: { limit: 10, backoffMs: 30, maxBackoffMs: 300 },
      });
      const got = [];
      const reading = (async () => {
        for await (const m of ws) {
          got.push(m.text());
          if (got.length === 200) break;
        }
      })();
      const sends = [];
      for (let burst = 0; burst < 6; burst += 1) {
        const [from, to] = [Math.floor((burst * 200) / 6), Math.floor(((burst + 1) * 200) / 6)];
        if (burst > 0) {
          await ws.send('!drop');
          await until(() => ws.state !== 'open');
        }
        for (let i = from; i < to; i += 1) sends.push(ws.send(`${i}:p`));
        await until(() => got.length >= to);
      }
      await reading;
      await Promise.all(sends);
      const bin = client.websocket('ws/echo');
      await bin.send(new Uint8Array([1, 2, 3]));
      const b = (await bin.next()).value;
      bin.close();
      let refused;
      try {
        await client.websocket('ws/refuse').next();
      } catch (e) {
        refused = e.name;
      }
      let bad;
      try {
        client.websocket('ftp://x/');
      } catch (e) {
        bad = e.name;
      }
      const late = await bin.send('late').catch((e) => e.name);
      await sleep(50);
      return {
        inOrder: got.length === 200 && got.every((t, i) => t === `${i}:p`),
        reconnects: ws.reconnects,
        state: ws.state,
        bytes: [...b.bytes()],
        isText: b.isText,
        refused,
        bad,
        late,
        unhandled,
      };
    },
    { api: `${API}/`, tag },
  );
  assert.deepEqual(out, {
    inOrder: true,
    reconnects: 5,
    state: 'closed',
    bytes: [1, 2, 3],
    isText: false,
    refused: 'ConnectError',
    bad: 'TypeError',
    late: 'ClosedError',
    unhandled: [],
  });
  const s = (await stats(tag)).ws;
  assert.deepEqual([s.messages_in, s.unique, s.duplicates, s.connections, s.drops], [200, 200, 0, 6, 5]);
});

test('web build in a module Web Worker: get, errors, gather with a limit, abort', async () => {
  const tag = uniqueTag('worker');
  const out = await inWorker('/worker-harness.js', tag);
  assert.deepEqual(out, {
    scope: 'DedicatedWorkerGlobalScope',
    status: 200,
    id: 1,
    error: { name: 'HTTPError', status: 503, method: 'GET' },
    done: 6,
    ids: [1, 2, 3, 4, 5, 6],
    aborted: 'AbortError',
  });
  const s = await stats(tag);
  assert.equal(s.requests, 6);
  assert.equal(s.peak_in_flight, 2);
});

test('web build in a page: hooks, dedupe and auth (issue 10)', async () => {
  const tag = uniqueTag('features-page');
  const out = await page.evaluate(
    ({ api, tag, probe }) => {
      // The probe's source is the same text the worker runs.
      const run = new Function(`${probe}; return featuresProbe;`)();
      return run(window.fanout, api, tag);
    },
    { api: `${API}/`, tag, probe: FEATURES_PROBE },
  );
  assert.deepEqual(out, FEATURES_EXPECTED);
});

test('web build in a module Web Worker: hooks, dedupe and auth (issue 10)', async () => {
  const tag = uniqueTag('features-worker');
  const out = await inWorker('/features-worker.js', tag);
  assert.deepEqual(out, FEATURES_EXPECTED);
});

test('docs: the browser snippet', async () => {
  const p = await browser.context.newPage();
  p.on('pageerror', (e) => pageErrors.push(`docs: ${e.message}`));
  const logged = [];
  const done = new Promise((resolve) => {
    p.on('console', async (msg) => {
      const args = await Promise.all(msg.args().map((a) => a.jsonValue()));
      logged.push(args);
      if (args[0] === 'Response JSON:') resolve();
    });
  });
  await p.goto(`${origin}/index.html`);
  await done;
  await p.close();
  assert.deepEqual(logged[0], ['Status Code:', 200]);
  assert.equal(logged[1][1].id, 1);
  assert.equal(typeof logged[1][1].title, 'string');
});

test('docs: the worker snippets', async () => {
  const p = await browser.context.newPage();
  p.on('pageerror', (e) => pageErrors.push(`docs worker: ${e.message}`));
  const titles = new Promise((resolve) => {
    p.on('console', async (msg) => {
      const args = await Promise.all(msg.args().map((a) => a.jsonValue()));
      if (args[0] === 'titles:') resolve(args[1]);
    });
  });
  await p.goto(`${origin}/worker.html`);
  const got = await titles;
  await p.close();
  assert.equal(got.length, 3);
  assert.ok(got.every((t) => typeof t === 'string' && t.length > 0 && !t.includes('Error')));
});

test('the Vite example, built for production, runs', async (t) => {
  const vite = join(ROOT, 'tools/node_modules/.bin/vite');
  if (!existsSync(join(ROOT, 'examples/vite/node_modules/vite-plugin-wasm'))) {
    t.skip('examples/vite has no node_modules: run `npm ci` in examples/vite');
    return;
  }
  viteDir = mkdtempSync(join(tmpdir(), 'fanout-vite-'));
  await promisify(execFile)(vite, ['build', 'examples/vite', '--outDir', viteDir, '--emptyOutDir', '--base', '/vite/', '--logLevel', 'warn'], {
    cwd: ROOT,
    timeout: 120_000,
  });
  const p = await open(`/vite/index.html?api=${encodeURIComponent(`${API}/`)}`);
  await p.waitForFunction(() => document.querySelector('#status')?.textContent.startsWith('Fetched'), null, {
    timeout: 15_000,
  });
  const status = await p.textContent('#status');
  const items = await p.$$eval('#titles li', (lis) => lis.map((li) => li.textContent));
  await p.close();
  assert.equal(status, 'Fetched 10 of 10 posts');
  assert.equal(items.length, 10);
  assert.ok(items.every((t) => !t.startsWith('failed')));
});

test('web build in a page: bad input is a TypeError naming it, nothing sent, no unhandled rejection', async () => {
  const tag = uniqueTag('bad-input');
  const p = await open('/harness.html');
  try {
    await p.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
    const out = await p.evaluate(
      async ([api, tag]) => {
        const unhandled = [];
        window.addEventListener('unhandledrejection', (e) => unhandled.push(String(e.reason?.message ?? e.reason)));
        const { Client } = window.fanout;
        const client = new Client({ baseUrl: api, retry: false });
        const path = `echo?tag=${tag}`;
        const stream = new ReadableStream({ start: (c) => c.close() });
        const rows = [
          ['new Client(42)', () => new Client(42), /Client options must be an object/],
          ['baseUrl javascript:', () => new Client({ baseUrl: 'javascript:alert(1)' }), /base/i],
          ['timeoutMs NaN', () => new Client({ timeoutMs: NaN }), /timeoutMs/],
          ['limit Infinity', () => new Client({ limit: Infinity }), /limit/],
          ['unknown key', () => new Client({ timeout: 5 }), /unknown option "timeout"/],
          ['header CR LF', () => new Client({ baseUrl: api, headers: { 'x-a': '1\r\n2' } }), /invalid value for header/],
          ['header beyond Latin-1', () => new Client({ baseUrl: api, headers: { 'x-a': '☃' } }), /invalid value for header/],
          ['get(null)', () => client.get(null), /path must be a string or a URL/],
          ['get(42)', () => client.get(42), /path must be a string or a URL/],
          ['file: URL', () => client.get(`file:///etc/passwd?tag=${tag}`), /./],
          ['javascript: URL', () => client.get('javascript:alert(1)'), /./],
          ['timeoutMs -1', () => client.get(path, { timeoutMs: -1 }), /timeoutMs/],
          ['retry NaN', () => client.get(path, { retry: NaN }), /retry/],
          ['unknown request key', () => client.get(path, { baseUrl: api }), /unknown option "baseUrl"/],
          ['ReadableStream body', () => client.post(path, { body: stream }), /body must be/],
          ['Blob body', () => client.post(path, { body: new Blob(['x']) }), /body must be/],
          ['request(42)', () => client.request(42, path), /method/],
          ['gather(null)', () => client.gather(null), /gather inputs/],
          ['gather limit 0', () => client.gather([path], { limit: 0 }), /limit/],
          ['sse(undefined)', () => client.sse(undefined), /path must be a string or a URL/],
          ['sse retryDelayMs NaN', () => client.sse(path, { retryDelayMs: NaN }), /retryDelayMs/],
        ];
        const results = [];
        for (const [what, f, pattern] of rows) {
          let error;
          try {
            await f();
          } catch (e) {
            error = e;
          }
          results.push([what, error?.name, pattern.test(error?.message ?? ''), error?.message]);
        }
        // A gather whose inputs are all bad: one TypeError per slot.
        const slots = await client.gather([42, null, { path: 1 }, 'file:///x', { path, timeoutMs: NaN }]);
        results.push(['gather slots', slots.map((s) => s.error?.name).join(' '), true, '']);
        await new Promise((r) => setTimeout(r, 100));
        return { results, unhandled };
      },
      [`${API}/`, tag],
    );
    for (const [what, name, matched, message] of out.results) {
      if (what === 'gather slots') {
        assert.equal(name, 'TypeError TypeError TypeError TypeError TypeError');
        continue;
      }
      assert.equal(name, 'TypeError', `${what}: ${message}`);
      assert.ok(matched, `${what}: ${message}`);
    }
    assert.deepEqual(out.unhandled, []);
    assert.equal((await stats(tag)).requests, 0, 'nothing sent');
  } finally {
    await p.close();
  }
});

test('web build in a page: a cross-origin redirect drops Authorization, forwards the other headers', async () => {
  // The dev server under its other name is another origin.
  const alt = API.replace('127.0.0.1', 'localhost');
  const tag = uniqueTag('redirect');
  const out = await page.evaluate(
    async ([api, target]) => {
      const client = new window.fanout.Client({
        baseUrl: api,
        retry: false,
        headers: { 'x-api-key': 'default-secret' },
        auth: { token: 'tok-1', refresh: () => 'tok-2' },
      });
      const body = await client.get(`redirect?to=${encodeURIComponent(target)}`).json();
      let blocked;
      try {
        await client.get(`redirect?to=${encodeURIComponent(target)}`, { redirect: 'error' });
      } catch (e) {
        blocked = e.name;
      }
      return { headers: body.headers, blocked };
    },
    [`${API}/`, `${alt}/echo?tag=${tag}`],
  );
  assert.equal(out.headers.host, new URL(alt).host);
  assert.equal(out.headers.authorization, undefined, 'the token stayed home');
  assert.equal(out.headers['x-api-key'], 'default-secret', 'a default header was forwarded (documented)');
  assert.equal(out.blocked, 'NetworkError');
  assert.equal((await stats(tag)).requests, 1, "redirect: 'error' sent nothing to the other origin");
});
