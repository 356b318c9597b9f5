// The benchmark page. `bench/run.mjs` (started by `cargo xtask bench`) loads
// it in headless Chromium and calls `window.bench.run(spec)` once per
// measurement, interleaving the implementations round by round; each call
// times one unit of work with performance.now() and returns
// { ms, weight }. `weight` is a number that depends on every decoded field
// and is the same for every implementation of a workload (the driver checks).
//
// Every request URL carries a unique `r=<tag>-<i>` parameter, so Chromium's
// HTTP cache (and its per-URL cache lock) never serves or serializes them.

// `?profiling`: the same build with function names kept (wasm-opt -g), for
// the CPU profiles of `cargo xtask bench --profile`.
const PROFILING = new URLSearchParams(location.search).has('profiling');
const PKG = PROFILING ? './pkg-prof/fanout_bench_page.js' : './pkg/fanout_bench_page.js';

const BASE = location.origin;
const log = (line) => {
  const el = document.getElementById('log');
  if (el) el.textContent += line + '\n';
};

let page = null; // the page module (bench/page)
let wasm = null; // its instance's exports (for `memory`)
let fjs = null; // fanout's JS API module (feature `js`), when built
let fjsWasm = null;
let fjsError = null;
const bodies = {}; // raw bodies for the in-memory decode runs

// ---- helpers --------------------------------------------------------------

const postPath = (tag, i, delay) =>
  `posts/${(i % 100) + 1}?r=${tag}-${i}` + (delay > 0 ? `&delay=${delay}` : '');

const weighPost = (p) => p.userId + p.id + p.title.length + p.body.length;
const weighPhoto = (p) =>
  p.albumId + p.id + p.title.length + p.url.length + p.thumbnailUrl.length;
const weighPosts = (posts) => posts.reduce((a, p) => (a + weighPost(p)) >>> 0, 0);
const weighPhotos = (photos) => photos.reduce((a, p) => (a + weighPhoto(p)) >>> 0, 0);

function responses(bytes, k) {
  const out = [];
  for (let i = 0; i < k; i++) {
    out.push(
      new Response(bytes, {
        headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
      }),
    );
  }
  return out;
}

// ---- fanout's JS API (src/js.rs, feature `js`) ------------------------------

async function loadFanoutJs() {
  try {
    const mod = await import(PROFILING ? './pkg-js-prof/fanout.js' : './pkg-js/fanout.js');
    fjsWasm = await mod.default();
    fjs = mod;
  } catch (e) {
    fjsError = `not built or failed to load: ${e && e.message ? e.message : e}`;
  }
}

function fjsClient() {
  return new fjs.Client({ baseUrl: `${BASE}/` });
}

// ---- implementations --------------------------------------------------------
// Each returns the weight of what it decoded.

const posts = {
  js: async (tag, n, delay) => {
    const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, delay)}`);
    const all = await Promise.all(urls.map((url) => fetch(url).then((r) => r.json())));
    return weighPosts(all);
  },
  // Plain JS with the fetch() options fanout passes (method, empty Headers,
  // an AbortController's signal, abort() once the body is read) / with only
  // the signal: the cost of the options on a real workload.
  'js-fanout-init': async (tag, n, delay) => {
    const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, delay)}`);
    const all = await Promise.all(
      urls.map(async (url) => {
        const ac = new AbortController();
        const r = await fetch(url, { method: 'GET', headers: new Headers(), signal: ac.signal });
        const v = await r.json();
        ac.abort();
        return v;
      }),
    );
    return weighPosts(all);
  },
  'js-method-headers': async (tag, n, delay) => {
    const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, delay)}`);
    const all = await Promise.all(
      urls.map((url) => fetch(url, { method: 'GET', headers: new Headers() }).then((r) => r.json())),
    );
    return weighPosts(all);
  },
  'js-signal': async (tag, n, delay) => {
    const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, delay)}`);
    const all = await Promise.all(
      urls.map(async (url) => {
        const ac = new AbortController();
        return (await fetch(url, { signal: ac.signal })).json();
      }),
    );
    return weighPosts(all);
  },
  // Plain JS reading the body as text / as an ArrayBuffer (what fanout
  // reads) before JSON.parse: the cost of the body reader alone.
  'js-text': async (tag, n, delay) => {
    const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, delay)}`);
    const all = await Promise.all(urls.map((url) => fetch(url).then((r) => r.text()).then(JSON.parse)));
    return weighPosts(all);
  },
  'js-arraybuffer': async (tag, n, delay) => {
    const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, delay)}`);
    const dec = new TextDecoder();
    const all = await Promise.all(
      urls.map((url) =>
        fetch(url)
          .then((r) => r.arrayBuffer())
          .then((b) => JSON.parse(dec.decode(b))),
      ),
    );
    return weighPosts(all);
  },
  fanout: (tag, n, delay) => page.posts_fanout(BASE, tag, n, delay),
  'fanout-join': (tag, n, delay) => page.posts_fanout_join(BASE, tag, n, delay),
  'fanout-proposed': (tag, n, delay) => page.posts_fanout_proposed(BASE, tag, n, delay),
  'fanout-js': async (tag, n, delay) => {
    const client = fjsClient();
    const paths = Array.from({ length: n }, (_, i) => postPath(tag, i, delay));
    const all = await Promise.all(paths.map((p) => client.get(p).then((r) => r.json())));
    return weighPosts(all);
  },
  'fanout-js-gather': async (tag, n, delay) => {
    const client = fjsClient();
    const paths = Array.from({ length: n }, (_, i) => postPath(tag, i, delay));
    const all = await client.gather(paths);
    return weighPosts(all.map(unwrapGathered));
  },
  gloo: (tag, n, delay) => page.posts_gloo(BASE, tag, n, delay),
  reqwest: (tag, n, delay) => page.posts_reqwest(BASE, tag, n, delay),
};

// `client.gather` results: plain values, or { ok, value } / { status, value }
// wrappers, whichever the JS API settles on.
function unwrapGathered(r) {
  if (r && typeof r === 'object' && 'value' in r && ('ok' in r || 'status' in r)) {
    if (r.ok === false || r.status === 'rejected') throw r.error || r.reason || new Error('failed');
    return r.value;
  }
  if (r instanceof Error) throw r;
  return r;
}

const photos = {
  js: async (tag) => weighPhotos(await fetch(`${BASE}/photos?r=${tag}`).then((r) => r.json())),
  fanout: (tag) => page.photos_fanout(BASE, tag),
  'fanout-proposed': (tag) => page.photos_fanout_proposed(BASE, tag),
  'fanout-js': async (tag) => {
    const r = await fjsClient().get(`photos?r=${tag}`);
    return weighPhotos(await r.json());
  },
  gloo: (tag) => page.photos_gloo(BASE, tag),
  reqwest: (tag) => page.photos_reqwest(BASE, tag),
};

// ---- the decoding study -------------------------------------------------------

async function decodeNet(path, which, tag, n) {
  if (path === 'js') {
    const urls = Array.from({ length: n }, (_, i) =>
      which === 'photos' ? `${BASE}/photos?r=${tag}-${i}` : `${BASE}/${postPath(tag, i, 0)}`,
    );
    const all = await Promise.all(urls.map((u) => fetch(u).then((r) => r.json())));
    return which === 'photos'
      ? all.reduce((a, p) => (a + weighPhotos(p)) >>> 0, 0)
      : weighPosts(all);
  }
  return page.decode_net(BASE, tag, path, which, n);
}

async function decodeMem(path, which, resps) {
  if (path === 'js') {
    let sum = 0;
    for (const r of resps) {
      const v = await r.json();
      sum = (sum + (which === 'photos' ? weighPhotos(v) : weighPost(v))) >>> 0;
    }
    return sum;
  }
  return page.decode_mem(resps, path, which);
}

// ---- fetch() stubbed: the client's own cost per request -------------------
// `globalThis.fetch` replaced by a function that resolves at once to a new
// Response holding post 1: what is left is each implementation's own work
// (URLs, request setup, futures and promises, body reads, decoding).

async function withStubbedFetch(fn) {
  const real = globalThis.fetch;
  const body = bodies.post;
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
  globalThis.fetch = (input) => {
    const resp = new Response(body, { headers });
    // A made-up Response has url ""; reqwest parses it (and throws).
    const url = typeof input === 'string' ? input : input.url;
    Object.defineProperty(resp, 'url', { value: new URL(url, location.href).href });
    return Promise.resolve(resp);
  };
  try {
    return await fn();
  } finally {
    globalThis.fetch = real;
  }
}

// ---- abort() after the body (diagnostic) -------------------------------------
// The synchronous main-thread time of issuing `n` plain fetch() calls
// ('url'), or of `abort()` on `n` controllers whose bodies were already read
// ('abort-after-read': what dropping fanout's AbortGuard does for every
// response).

const FETCH_VARIANTS = {
  url: (url) => [fetch(url), null],
  signal: (url) => {
    const ac = new AbortController();
    return [fetch(url, { signal: ac.signal }), ac];
  },
};

async function fetchCost(variant, tag, n) {
  const urls = Array.from({ length: n }, (_, i) => `${BASE}/${postPath(tag, i, 0)}`);
  const make = FETCH_VARIANTS[variant === 'abort-after-read' ? 'signal' : variant];
  const promises = new Array(n);
  const controllers = new Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) [promises[i], controllers[i]] = make(urls[i]);
  const issue = performance.now() - t0;
  const responses = await Promise.all(promises);
  await Promise.all(responses.map((r) => r.arrayBuffer()));
  if (variant !== 'abort-after-read') return { ms: issue, weight: n };
  const t1 = performance.now();
  for (const ac of controllers) ac.abort();
  return { ms: performance.now() - t1, weight: n };
}

// ---- entry points for the driver --------------------------------------------

async function timed(fn) {
  const t0 = performance.now();
  const weight = await fn();
  return { ms: performance.now() - t0, weight };
}

/**
 * One measurement. spec: { kind, impl, tag, n, delay, path, which, k }.
 */
async function run(spec) {
  const { kind, impl, tag } = spec;
  switch (kind) {
    case 'posts':
      return timed(() => posts[impl](tag, spec.n, spec.delay || 0));
    case 'issue': {
      // The main-thread time until the last request was initiated (Resource
      // Timing's startTime of the last fetch): the per-request cost of
      // issuing requests, with the network's own pace left out.
      performance.setResourceTimingBufferSize(Math.max(2 * spec.n, 250));
      performance.clearResourceTimings();
      const t0 = performance.now();
      const weight = await posts[impl](tag, spec.n, 0);
      const mine = performance.getEntriesByType('resource').filter((e) => e.name.includes(`r=${tag}-`));
      performance.clearResourceTimings();
      if (mine.length !== spec.n) throw new Error(`${mine.length} resource timings for ${spec.n} requests`);
      return { ms: Math.max(...mine.map((e) => e.startTime)) - t0, weight };
    }
    case 'posts-stub':
      return withStubbedFetch(() => timed(() => posts[impl](tag, spec.n, 0)));
    case 'photos':
      return timed(() => photos[impl](tag));
    case 'decode-net':
      return timed(() => decodeNet(spec.path, spec.which, tag, spec.n));
    case 'decode-mem': {
      const resps = responses(bodies[spec.which], spec.k);
      return timed(() => decodeMem(spec.path, spec.which, resps));
    }
    case 'fetch-cost':
      return fetchCost(impl, tag, spec.n);
    case 'memory': {
      if (impl === 'fanout-batches')
        return timed(() => page.memory_fanout_batches(BASE, tag, spec.batches, spec.perBatch));
      if (impl === 'fanout-limit')
        return timed(() => page.memory_fanout_limit(BASE, tag, spec.batches * spec.perBatch, spec.perBatch));
      if (impl === 'fanout-js-batches')
        return timed(async () => {
          const client = fjsClient();
          let sum = 0;
          for (let b = 0; b < spec.batches; b++) {
            const paths = Array.from({ length: spec.perBatch }, (_, i) => postPath(`${tag}-${b}`, i, 0));
            const all = await Promise.all(
              paths.map((p) => client.get(p).then((r) => r.json()).then(weighPost)),
            );
            sum = all.reduce((a, w) => (a + w) >>> 0, sum);
          }
          return sum;
        });
      throw new Error(`unknown memory impl ${impl}`);
    }
    default:
      throw new Error(`unknown workload kind ${kind}`);
  }
}

/**
 * The median time of one request when nothing else is in flight: `n`
 * sequential fetches of a post (no added delay), body read.
 */
async function rtt(tag, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await (await fetch(`${BASE}/${postPath(tag, i, 0)}`)).arrayBuffer();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** Linear memory sizes of the wasm modules, in bytes. */
function memory() {
  return {
    page: wasm.memory.buffer.byteLength,
    fanoutJs: fjsWasm && fjsWasm.memory ? fjsWasm.memory.buffer.byteLength : null,
  };
}

function info() {
  return {
    userAgent: navigator.userAgent,
    profiling: PROFILING,
    decodePaths: page.decode_paths(),
    fanoutJs: fjs ? { exports: Object.keys(fjs).sort() } : null,
    fanoutJsError: fjsError,
    bodies: Object.fromEntries(Object.entries(bodies).map(([k, v]) => [k, v.length])),
  };
}

async function start() {
  page = await import(PKG);
  wasm = await page.default();
  await loadFanoutJs();
  for (const [name, path] of [
    ['post', '/posts/1'],
    ['photos', '/photos'],
  ]) {
    bodies[name] = new Uint8Array(await (await fetch(`${BASE}${path}?r=body`)).arrayBuffer());
  }
  window.bench = { run, memory, info, rtt };
  log(`ready; fanout JS API: ${fjs ? 'loaded' : fjsError}`);
  document.documentElement.dataset.ready = '1';
}

start().catch((e) => {
  log(`failed: ${e && e.stack ? e.stack : e}`);
  document.documentElement.dataset.ready = 'error';
  window.benchError = String(e && e.stack ? e.stack : e);
});
