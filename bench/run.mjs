// The benchmark driver: headless Chromium (playwright-core from tools/) on
// the bench page that `cargo xtask bench` serves, then a Markdown report.
//
//   node bench/run.mjs --url http://127.0.0.1:PORT/ --out target/bench \
//        [--url-h2 https://127.0.0.1:PORT2/] \
//        [--sizes target/bench/sizes.tsv] [--rounds N] [--warmup N] [--profile] \
//        [--native bench/target/native/fanout-bench-native] [--only PART,...]
//
// With `--url-h2` (the dev server's HTTPS listener: HTTP/2, a self-signed
// certificate the bench's Chromium is told to accept), workloads 1 (1,000
// posts) and 3 also run over HTTP/2, on a page loaded from there; workload
// 3 there with, in each round, the same 100 posts without the delay (its
// transfer), and the server's peak in flight and the protocol checked.
//
// Every speed figure is the median of `rounds` measurements taken after
// `warmup` unrecorded ones, the implementations interleaved round by round
// (A B C D, A B C D, ...), each preceded by a forced GC (CDP
// HeapProfiler.collectGarbage) so one implementation's garbage is not
// collected on another's clock. Ratios are to plain JS in the same run.
//
// With `--native BIN` (`bench/native`, built by `cargo xtask bench`), the
// native rows come first, before Chromium starts: BIN runs fanout natively
// beside reqwest natively against the same dev server and prints its
// samples as JSON; the ratios there are to reqwest in the same round.
// `--only native` runs those rows alone, without a browser.
//
// Cold start (`cold`): in a fresh browser context for each measurement (no
// HTTP cache, no compiled wasm), import + init + the first GET and its
// typed `json()`, for plain JS and the minimal apps of fanout and gloo-net
// (release builds, served from `bench/www/cold/`), once on the loopback and
// once under a simulated slow 4G (CDP Network.emulateNetworkConditions).
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { CHROMIUM_ARGS } from '../tests/e2e/lib.mjs';

const require = createRequire(new URL('../tools/package.json', import.meta.url));
const { chromium } = require('playwright-core');

// ---- options ------------------------------------------------------------------

function parseArgs(argv) {
  const o = { url: null, urlH2: null, out: 'target/bench', sizes: null, rounds: 7, warmup: 2, profile: false, only: null, native: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--url') o.url = val();
    else if (a === '--url-h2') o.urlH2 = val();
    else if (a === '--out') o.out = val();
    else if (a === '--sizes') o.sizes = val();
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--profile') o.profile = true;
    else if (a === '--only') o.only = new Set(val().split(','));
    else if (a === '--native') o.native = val();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.url) throw new Error('--url is required');
  if (!(o.rounds >= 1) || !(o.warmup >= 0)) throw new Error('bad --rounds/--warmup');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const URL_ = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
const ROUNDS = opts.rounds;
const WARMUP = opts.warmup;
// Workloads of seconds a measurement (1,000 posts; 100 posts with 100 ms
// latency): one warm-up round.
const SLOW = { rounds: ROUNDS, warmup: Math.min(WARMUP, 1) };
// Noisy workloads of milliseconds a measurement: twice the rounds, for less
// noise at little cost.
const FAST = { rounds: 2 * ROUNDS, warmup: WARMUP };
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BOUND_MS = Math.ceil(100 / 6) * 100; // 6 connections per host, 100 ms each

const started = new Date();
/** Whether the part `key` runs (`--only key,...`, for working on one part). */
const wanted = (key) => !opts.only || opts.only.has(key);
/** Whether any part that runs in the browser is wanted (all but `native`). */
const BROWSER = !opts.only || [...opts.only].some((k) => k !== 'native');
const log = (...a) => console.log(...a);

// ---- statistics ---------------------------------------------------------------

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const median = (xs) => quantile(xs, 0.5);
/** Sets a result's median and interquartile range from its samples; returns it. */
function summarize(res) {
  res.median = median(res.samples);
  res.p25 = quantile(res.samples, 0.25);
  res.p75 = quantile(res.samples, 0.75);
  return res;
}
/** The median over rounds of a's time / b's time in the same round. */
function pairedRatio(a, b) {
  if (!a || !b || !a.byRound || !b.byRound) return NaN;
  const r = a.byRound.map((ms, i) => ms / b.byRound[i]).filter(Number.isFinite);
  return r.length ? median(r) : NaN;
}
/**
 * The median over rounds of `delayed`'s time / (100 ms + `transfer`'s time
 * in the same round): workload 3 against one round trip plus transfer.
 */
function transferRatio(delayed, transfer) {
  if (!delayed || !transfer || delayed.error || transfer.error || !delayed.byRound || !transfer.byRound) return NaN;
  const r = delayed.byRound.map((ms, i) => ms / (100 + transfer.byRound[i])).filter(Number.isFinite);
  return r.length ? median(r) : NaN;
}
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const fmtKiB = (b) => (b / 1024).toFixed(1);

// ---- browser ------------------------------------------------------------------

const ARGS = CHROMIUM_ARGS;

async function openPage(browser, query = '', base = URL_) {
  // The HTTPS listener's certificate is self-signed, made at its start.
  const page = await browser.newPage({ ignoreHTTPSErrors: base.startsWith('https:') });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(base + query);
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 60_000 });
  const state = await page.evaluate(() => document.documentElement.dataset.ready);
  if (state !== '1') {
    const why = await page.evaluate(() => window.benchError);
    throw new Error(`bench page failed to start: ${why}\n${errors.join('\n')}`);
  }
  const cdp = await page.context().newCDPSession(page);
  return { page, cdp, errors };
}

async function gc(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
}

/** One `bench.run(spec)` on the page; an error after MEASURE_TIMEOUT_MS. */
const MEASURE_TIMEOUT_MS = 120_000;
async function measure(ctx, spec) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${MEASURE_TIMEOUT_MS / 1000} s`)), MEASURE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([ctx.page.evaluate((s) => window.bench.run(s), spec), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One unrecorded run of workload 3 by `impl` with the server's statistics
 * reset before: how many of its requests the server had in flight at once,
 * and the protocols Resource Timing gives for them (over HTTP/2, all 100
 * and `h2`; anything less is a cap or a fallback, not the client).
 */
async function h2Check(ctx, impl) {
  return ctx.page.evaluate(async (impl) => {
    const tag = `h2-check-${impl}`;
    performance.setResourceTimingBufferSize(1000);
    performance.clearResourceTimings();
    await fetch(`${location.origin}/stats/reset`, { method: 'POST' });
    await window.bench.run({ kind: 'posts', impl, tag, n: 100, delay: 100 });
    const stats = await (await fetch(`${location.origin}/stats`)).json();
    const mine = performance.getEntriesByType('resource').filter((e) => e.name.includes(`r=${tag}-`));
    performance.clearResourceTimings();
    return {
      peak: stats.peak_in_flight,
      requests: stats.requests,
      protocols: [...new Set(mine.map((e) => e.nextHopProtocol || '?'))],
    };
  }, impl);
}

// ---- native rows (issue 24, item 7) -----------------------------------------------

const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/**
 * Runs `bench/native`'s binary (`--native`): fanout natively beside reqwest
 * natively in one process, against the same dev server: as many rounds as
 * the browser's noisy workloads of milliseconds (`FAST`: a native round
 * takes 0.05–0.15 s), after one warm-up round each (as the 1,000 posts in
 * the browser). The same statistics as the browser's series; the ratio is
 * fanout's time over reqwest's in the same round, the median over rounds,
 * for the wall time and for the process's CPU time.
 */
function nativeRun() {
  const loadBefore = loadNow();
  const t0 = Date.now();
  const args = ['--url', URL_, '--rounds', String(FAST.rounds), '--warmup', String(SLOW.warmup)];
  if (opts.urlH2) args.push('--url-h2', opts.urlH2);
  const run = spawnSync(opts.native, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 << 20, timeout: 600_000 });
  const loadAfter = loadNow();
  const secs = Math.round((Date.now() - t0) / 1000);
  let failed = run.error ? String(run.error.message || run.error) : run.status !== 0 ? `exit status ${run.status ?? run.signal}` : null;
  let out = null;
  if (!failed) {
    try {
      out = JSON.parse(run.stdout.toString());
    } catch (e) {
      failed = `unreadable output: ${e.message}`;
    }
  }
  if (failed) {
    log(`  native rows failed: ${failed}`);
    return { error: failed, loadBefore, loadAfter, secs };
  }
  for (const w of out.workloads) {
    if (w.error) continue;
    for (const impl of w.impls) {
      const res = w.results[impl];
      res.samples = res.byRound;
      summarize(res);
      const cpu = res.cpuByRound || [];
      res.cpu = { byRound: cpu, median: median(cpu), p25: quantile(cpu, 0.25), p75: quantile(cpu, 0.75) };
    }
    const ref = w.results.reqwest && !w.results.reqwest.error ? w.results.reqwest : null;
    for (const impl of w.impls) {
      const res = w.results[impl];
      res.ratio = ref && !res.error ? pairedRatio(res, ref) : NaN;
      res.ratioOfMedians = ref && !res.error ? res.median / ref.median : NaN;
      res.cpu.ratio = ref && !res.error ? pairedRatio(res.cpu, ref.cpu) : NaN;
    }
    const line = w.impls.map((i) => `${i} ${w.results[i].error ? 'failed' : `${fmtMs(w.results[i].median)} ms`}`).join(', ');
    log(`  ${w.key}: ${line}; fanout/reqwest ${fmtX(w.results.fanout.ratio)} (CPU ${fmtX(w.results.fanout.cpu.ratio)}) [${Math.round(w.secs)} s]`);
  }
  return { ...out, loadBefore, loadAfter, secs };
}

// ---- speed series ---------------------------------------------------------------

/**
 * Runs `impls` interleaved for `warmup + rounds` rounds. `spec(impl, tag)`
 * gives the page's run spec. Returns { impl: { samples, median, p25, p75,
 * error } } plus the weight every implementation must agree on.
 */
async function series(ctx, name, impls, spec, { warmup = WARMUP, rounds = ROUNDS } = {}) {
  const t0 = Date.now();
  const out = {};
  for (const impl of impls) out[impl] = { samples: [], error: null, weight: null };
  let expected = null;
  for (let r = 0; r < warmup + rounds; r++) {
    for (const impl of impls) {
      const res = out[impl];
      if (res.error) continue;
      const tag = `${name}-${impl}-${r}`.replace(/[^A-Za-z0-9-]/g, '_');
      await gc(ctx.cdp);
      try {
        const { ms, weight } = await measure(ctx, spec(impl, tag));
        res.weight = weight;
        if (expected === null) expected = weight;
        if (weight !== expected) {
          res.error = `decoded weight ${weight} differs from ${expected} (${impls[0]})`;
          continue;
        }
        if (r >= warmup) {
          res.samples.push(ms);
          res.byRound = res.byRound || [];
          res.byRound[r - warmup] = ms;
        }
      } catch (e) {
        res.error = String(e.message || e).split('\n')[0];
      }
    }
  }
  for (const impl of impls) {
    const res = summarize(out[impl]);
    if (res.error) log(`  ${name}: ${impl} failed: ${res.error}`);
  }
  // The ratio to plain JS: the median of the per-round ratios (each pairs
  // two measurements taken seconds apart, so load that drifts during the
  // run cancels out); the ratio of the medians is kept too.
  const ref = out.js && !out.js.error ? out.js : null;
  for (const impl of impls) {
    const res = out[impl];
    res.ratioOfMedians = ref ? res.median / ref.median : NaN;
    res.ratio = pairedRatio(res, ref);
  }
  const line = impls
    .map((i) => `${i} ${out[i].error ? 'failed' : `${fmtMs(out[i].median)} ms`}`)
    .join(', ');
  const secs = Math.round((Date.now() - t0) / 1000);
  log(`  ${name}: ${line} [${secs} s]`);
  return { name, impls, results: out, rounds, warmup, weight: expected, secs };
}

// ---- cold start ------------------------------------------------------------------

/** The networks of the cold-start rows: none, and a "slow 4G". */
const NETWORKS = [
  ['loopback', 'no throttling (loopback)', null],
  ['slow4g', 'slow 4G (1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT)', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 }],
];
const COLD_IMPLS = ['js', 'fanout', 'gloo'];
const COLD_LABELS = { js: 'plain JS', fanout: 'fanout (minimal app)', gloo: 'gloo-net 0.7 (minimal app)' };

/** The JS glue of the minimal app `impl` in `bench/www/cold/<impl>/`, as a URL path. */
function coldGlue(impl) {
  const dir = new URL(`./www/cold/${impl}/`, import.meta.url);
  if (!existsSync(dir)) throw new Error(`bench/www/cold/${impl} is missing (its minimal app did not build)`);
  const js = readdirSync(dir).find((f) => f.endsWith('.js') && !f.endsWith('_bg.js') && !f.endsWith('.d.ts'));
  if (!js) throw new Error(`no JS glue in bench/www/cold/${impl}`);
  return `/www/cold/${impl}/${js}`;
}

/**
 * One cold start of `impl` in a fresh context: a blank page of the same
 * origin, then (throttled, if `net`) import + init + GET /posts/1 + typed
 * decode, timed in the page. Returns { ms, weight }.
 */
async function coldOnce(browser, impl, net) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${URL_}www/blank.html`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (net) await cdp.send('Network.emulateNetworkConditions', net);
    const glue = impl === 'js' ? null : coldGlue(impl);
    return await page.evaluate(
      async ({ glue, url }) => {
        const t0 = performance.now();
        let weight;
        if (glue) {
          const app = await import(glue);
          await app.default();
          weight = await app.run(url);
        } else {
          const p = await (await fetch(url)).json();
          weight = p.userId + p.id + p.title.length + p.body.length;
        }
        return { ms: performance.now() - t0, weight };
      },
      { glue, url: `${URL_}posts/1` },
    );
  } finally {
    await context.close();
  }
}

/** The cold-start rows: each network, the implementations interleaved. */
async function coldRuns(browser) {
  const rows = [];
  for (const [key, title, net] of NETWORKS) {
    const results = {};
    for (const impl of COLD_IMPLS) results[impl] = { samples: [], byRound: [], error: null };
    let expected = null;
    // One unrecorded round: the server's first answers, the browser's first contexts.
    for (let r = -1; r < ROUNDS; r++) {
      for (const impl of COLD_IMPLS) {
        const res = results[impl];
        if (res.error) continue;
        try {
          const { ms, weight } = await coldOnce(browser, impl, net);
          if (expected === null) expected = weight;
          if (weight !== expected) res.error = `result ${weight} differs from ${expected} (plain JS)`;
          else if (r >= 0) {
            res.samples.push(ms);
            res.byRound[r] = ms;
          }
        } catch (e) {
          res.error = String(e.message || e).split('\n')[0];
        }
      }
    }
    for (const impl of COLD_IMPLS) {
      const res = summarize(results[impl]);
      res.ratio = pairedRatio(res, results.js.error ? null : results.js);
    }
    const f = results.fanout;
    const g = results.gloo;
    const vsGloo = !f.error && !g.error ? pairedRatio(f, g) : NaN;
    log(`  ${title}: ${COLD_IMPLS.map((i) => `${i} ${results[i].error ? `failed (${results[i].error})` : `${fmtMs(results[i].median)} ms`}`).join(', ')}; fanout/gloo-net ${fmtX(vsGloo)}`);
    rows.push({ key, title, results, vsGloo });
  }
  return rows;
}

// ---- crossings ---------------------------------------------------------------------

/**
 * Installed before the bench page's scripts (`addInitScript`): every wasm
 * instance the page makes gets its imports (wasm → JS calls) and exports
 * (JS → wasm calls) wrapped by counters in `window.__crossings`, so a run
 * can tell how many times a request crossed the boundary.
 */
function countCrossings() {
  const counts = { imports: {}, exports: {} };
  window.__crossings = counts;
  const wrapImports = (imports) => {
    const out = {};
    for (const [ns, fns] of Object.entries(imports || {})) {
      out[ns] = {};
      for (const [name, f] of Object.entries(fns)) {
        out[ns][name] =
          typeof f === 'function'
            ? function (...args) {
                counts.imports[name] = (counts.imports[name] || 0) + 1;
                return f.apply(this, args);
              }
            : f;
      }
    }
    return out;
  };
  const wrapInstance = (instance) => {
    const exports = {};
    for (const [name, f] of Object.entries(instance.exports)) {
      exports[name] =
        typeof f === 'function'
          ? (...args) => {
              counts.exports[name] = (counts.exports[name] || 0) + 1;
              return f(...args);
            }
          : f;
    }
    return { exports };
  };
  const wrapResult = (r) => (r instanceof WebAssembly.Instance ? wrapInstance(r) : { module: r.module, instance: wrapInstance(r.instance) });
  const { instantiate, instantiateStreaming } = WebAssembly;
  WebAssembly.instantiate = async (m, imports) => wrapResult(await instantiate(m, wrapImports(imports)));
  WebAssembly.instantiateStreaming = async (m, imports) => wrapResult(await instantiateStreaming(m, wrapImports(imports)));
}

/**
 * The wasm boundary crossings per request of each implementation, on
 * 1,000 posts with `fetch` stubbed (a page whose wasm calls are counted).
 */
async function crossingsRun(browser, impls) {
  const page = await browser.newPage();
  await page.addInitScript(countCrossings);
  await page.goto(URL_);
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 60_000 });
  const n = 1000;
  const rows = [];
  for (const impl of impls) {
    // Once to warm up (first-use paths), then the counted run.
    await page.evaluate((s) => window.bench.run(s), { kind: 'posts-stub', impl, tag: `cross-warm-${impl}`, n });
    const c = await page.evaluate(async (s) => {
      const snap = () => JSON.parse(JSON.stringify(window.__crossings));
      const before = snap();
      await window.bench.run(s);
      const after = snap();
      const diff = (k) => Object.fromEntries(Object.entries(after[k]).map(([name, v]) => [name, v - (before[k][name] || 0)]).filter(([, v]) => v > 0));
      return { imports: diff('imports'), exports: diff('exports') };
    }, { kind: 'posts-stub', impl, tag: `cross-${impl}`, n });
    const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
    const top = Object.entries({ ...c.imports })
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, v]) => `${name.replace(/^__wbg_/, '').replace(/_[0-9a-f]{16}$/, '')} ${(v / n).toFixed(1)}`);
    rows.push({ impl, imports: sum(c.imports) / n, exports: sum(c.exports) / n, top, counts: c });
    log(`  ${impl}: ${(sum(c.imports) / n).toFixed(1)} wasm→JS + ${(sum(c.exports) / n).toFixed(1)} JS→wasm calls per request`);
  }
  await page.close();
  return rows;
}

// ---- memory (workload 5) ----------------------------------------------------------

async function heap(ctx) {
  await gc(ctx.cdp);
  await gc(ctx.cdp);
  const usage = await ctx.cdp.send('Runtime.getHeapUsage');
  const mem = await ctx.page.evaluate(() => window.bench.memory());
  return { jsHeapUsed: usage.usedSize, jsHeapTotal: usage.totalSize, ...mem };
}

/** 10,000 requests in batches of 100 on a fresh page, memory before and after. */
async function memoryRun(browser, impl, { batches = 100, perBatch = 100 } = {}) {
  const t0 = Date.now();
  const ctx = await openPage(browser);
  try {
    const moduleKey = impl.startsWith('fanout-js') ? 'fanoutJs' : 'page';
    const initial = await heap(ctx);
    // Warm-up: one batch, so lazily made things (the client's JS classes,
    // the allocator's first chunks, V8's compiled code) are in "before".
    await ctx.page.evaluate((s) => window.bench.run(s), {
      kind: 'memory', impl, tag: `mem-${impl}-warm`, batches: 1, perBatch,
    });
    const before = await heap(ctx);
    const { ms, weight } = await ctx.page.evaluate((s) => window.bench.run(s), {
      kind: 'memory', impl, tag: `mem-${impl}`, batches, perBatch,
    });
    const after = await heap(ctx);
    const res = {
      impl,
      secs: Math.round((Date.now() - t0) / 1000),
      requests: batches * perBatch,
      ms,
      weight,
      initial,
      before,
      after,
      wasmGrowth: after[moduleKey] - before[moduleKey],
      jsHeapGrowth: after.jsHeapUsed - before.jsHeapUsed,
    };
    log(
      `  memory ${impl}: wasm ${fmtKiB(before[moduleKey])} → ${fmtKiB(after[moduleKey])} KiB, ` +
        `JS heap ${fmtKiB(before.jsHeapUsed)} → ${fmtKiB(after.jsHeapUsed)} KiB (${fmtMs(ms)} ms)`,
    );
    return res;
  } catch (e) {
    log(`  memory ${impl} failed: ${e.message}`);
    return { impl, error: String(e.message || e).split('\n')[0] };
  } finally {
    await ctx.page.close();
  }
}

// ---- CPU profiles ----------------------------------------------------------------

/** Self time per function of a CDP profile, the top `n`. */
function topSelf(profile, n = 12) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = profile.timeDeltas || [];
  (profile.samples || []).forEach((id, i) => {
    const node = byId.get(id);
    const f = node.callFrame;
    const file = (f.url || '').split('/').pop();
    const key = `${f.functionName || '(anonymous)'} ${file ? `(${file})` : ''}`.trim();
    self.set(key, (self.get(key) || 0) + (dt[i] || 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, ms]) => ({ fn, ms: +ms.toFixed(2), pct: +((100 * ms) / total).toFixed(1) }));
}

async function profileRun(ctx, label, spec, reps) {
  await ctx.cdp.send('Profiler.enable');
  await ctx.cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await gc(ctx.cdp);
  await ctx.cdp.send('Profiler.start');
  for (let i = 0; i < reps; i++) {
    await ctx.page.evaluate((s) => window.bench.run(s), { ...spec, tag: `prof-${label}-${i}` });
  }
  const { profile } = await ctx.cdp.send('Profiler.stop');
  const file = join(opts.out, `profile-${label}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const top = topSelf(profile);
  log(`  profile ${label} (${reps} runs) → ${file}`);
  for (const t of top.slice(0, 8)) log(`    ${String(t.pct).padStart(5)}%  ${t.ms} ms  ${t.fn}`);
  return { label, file, reps, top };
}

// ---- sizes (workload 4) ----------------------------------------------------------

function gzipSize(buf) {
  const r = spawnSync('gzip', ['-9', '-n', '-c'], { input: buf, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`gzip failed: ${r.stderr}`);
  return r.stdout.length;
}

function brotliSize(buf) {
  // What `brotli -q 11` (the CLI's default, window 2^24) gives.
  return zlib.brotliCompressSync(buf, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  }).length;
}

/** sizes.tsv: `key<TAB>label<TAB>wasm path<TAB>js path`, or `key<TAB>label<TAB>-<TAB>error`. */
function sizes(file) {
  if (!file || !existsSync(file)) return [];
  const rows = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [key, label, wasmPath, jsPath] = line.split('\t');
    if (wasmPath === '-') {
      rows.push({ key, label, error: jsPath });
      continue;
    }
    const wasmBuf = readFileSync(wasmPath);
    const jsBuf = readFileSync(jsPath);
    const both = Buffer.concat([wasmBuf, jsBuf]);
    rows.push({
      key,
      label,
      wasm: wasmBuf.length,
      js: jsBuf.length,
      // Compressed separately, as a server sends them.
      gzip: gzipSize(wasmBuf) + gzipSize(jsBuf),
      brotli: brotliSize(wasmBuf) + brotliSize(jsBuf),
      wasmGzip: gzipSize(wasmBuf),
      jsGzip: gzipSize(jsBuf),
      raw: both.length,
    });
  }
  return rows;
}

// ---- report ------------------------------------------------------------------------

const LABELS = {
  js: 'plain JS',
  'js-signal': 'plain JS, `{signal}`',
  'js-method-headers': 'plain JS, `{method, headers}`',
  'js-fanout-init': "plain JS with fanout's fetch options",
  fanout: 'fanout (Rust, gather)',
  'fanout-join': 'fanout (Rust, join_all)',
  'fanout-proposed': 'fanout, body streamed if > 64 KiB',
  'fanout-js': 'fanout JS API',
  'fanout-js-gather': 'fanout JS API (gather)',
  gloo: 'gloo-net 0.7',
  reqwest: 'reqwest 0.13',
};

const PATH_LABELS = {
  js: 'plain JS `r.json()` (reference)',
  text: '(a) `text()` + `serde_json::from_str`',
  swb: '(b) `json()` + serde-wasm-bindgen `from_value`',
  slice: "(c) `arrayBuffer()` → `to_vec` + `from_slice` (= fanout's `json()` since 1a76734)",
  'slice-path': "(c') same through serde_path_to_error (fanout's `json()` before 1a76734)",
  stream: '(d) body stream, chunk `to_vec` + extend, `from_slice`',
  'stream-presized': "(d') body stream copied into a `Content-Length`-sized Vec, `from_slice`",
  borrow: '(e) `arrayBuffer()` → `to_vec`, `from_slice` into `Cow<str>` (`#[serde(borrow)]`)',
  fanout: "fanout `Response::json` (the whole request path)",
};

function cell(res, withRatio = true) {
  if (!res) return '';
  if (res.error) return `failed: ${res.error.slice(0, 60)}`;
  const iqr = `${fmtMs(res.p25)}–${fmtMs(res.p75)}`;
  return withRatio ? `${fmtMs(res.median)} ms (${fmtX(res.ratio)}) <sub>${iqr}</sub>` : `${fmtMs(res.median)} ms`;
}

/** The native rows' section of the report. */
function nativeReport(nat) {
  const L = ['## Native (issue 24, item 7): fanout natively beside reqwest 0.12 natively, on tokio', ''];
  if (nat.error) return [...L, `Not run: ${nat.error}`, ''];
  L.push(
    `One release process (\`bench/native\`, cargo profile \`native\`: opt-level 3), a multi-threaded tokio runtime (${nat.workers} worker threads) ` +
      'against the same dev server; each implementation keeps one client (one connection pool) for all its rounds of a workload. ' +
      `Median of ${FAST.rounds} rounds after ${SLOW.warmup} warm-up round${SLOW.warmup === 1 ? '' : 's'} per client, the two clients alternating in each round ` +
      'and taking turns at going first; × = median over the rounds of fanout\'s time / reqwest\'s in the same round; small print: interquartile range of the times. ' +
      `Load average (1/5/15 min) ${nat.loadBefore} before, ${nat.loadAfter} after (${nat.secs} s).`,
  );
  L.push('');
  L.push('| workload | fanout (native, `gather`) | reqwest 0.12 (native, `join_all`) | fanout / reqwest |');
  L.push('|---|---:|---:|---:|');
  const time = (r) => (!r ? '' : r.error ? `failed: ${String(r.error).slice(0, 60)}` : `${fmtMs(r.median)} ms <sub>${fmtMs(r.p25)}–${fmtMs(r.p75)}</sub>`);
  for (const w of nat.workloads) {
    if (w.error) {
      L.push(`| ${w.title} | failed: ${String(w.error).slice(0, 60)} | | |`);
      continue;
    }
    const f = w.results.fanout;
    const q = w.results.reqwest;
    L.push(`| ${w.title} | ${time(f)} | ${time(q)} | ${fmtX(f.ratio)} |`);
    const cpu = (r) => (!r || r.error ? '' : `${fmtMs(r.cpu.median)} ms <sub>${fmtMs(r.cpu.p25)}–${fmtMs(r.cpu.p75)}</sub>`);
    L.push(`| ↳ the process's CPU time per run (user + system) | ${cpu(f)} | ${cpu(q)} | ${f.error || q.error ? '' : fmtX(f.cpu.ratio)} |`);
    // In flight at once says something only of delayed requests (the
    // server answers the others as fast as they come).
    const check = (i) => {
      const c = w.checks && w.checks[i];
      return !c ? '' : w.delay > 0 ? `${c.version}; ${c.peak} of ${c.requests} in flight at once` : c.version;
    };
    const what = w.delay > 0 ? "protocol (the dev server's `/echo`); requests in flight at the server at once (its `/stats`, one tagged run)" : "protocol (the dev server's `/echo`)";
    L.push(`| ↳ ${what} | ${check('fanout')} | ${check('reqwest')} | |`);
  }
  L.push('');
  return L;
}

function report(data) {
  const L = [];
  const env = data.env;
  L.push('# fanout benchmarks');
  L.push('');
  L.push(`- Date: ${env.date}`);
  if (BROWSER) L.push(`- Browser: Chromium ${env.chromium} (headless, playwright-core ${env.playwright})`);
  L.push(
    `- Machine: ${env.cpus} × ${env.cpuModel}, ${env.os}; Node ${env.node}; ` +
      `load average (1/5/15 min) ${env.loadBefore} before, ${env.loadAfter} after`,
  );
  L.push(`- Server: fanout-devserver (release) at ${env.url}${BROWSER ? ', HTTP/1.1, same origin as the page' : ''}`);
  if (BROWSER) {
    L.push(
      `- Method: median of ${ROUNDS} rounds after ${WARMUP} warm-up rounds (1,000 posts: after ${SLOW.warmup}; workload 3: none, its connections are warm from the workloads before it; ` +
        `${FAST.rounds} rounds for 100 posts and /photos), ` +
        'implementations interleaved round by round (A B C …, A B C …), a forced GC before each measurement; ' +
        '× = median over the rounds of the ratio to plain JS in the same round; small print: interquartile range of the times.',
    );
    L.push(`- fanout JS API: ${env.fanoutJs}`);
  }
  L.push('');

  const speed = data.speed;
  const impls = [...new Set(speed.flatMap((s) => s.impls))];
  if (speed.length) {
    L.push('## Speed');
    L.push('');
    L.push(`| workload | ${impls.map((i) => LABELS[i] || i).join(' | ')} |`);
    L.push(`|---|${impls.map(() => '---:').join('|')}|`);
  }
  for (const s of speed) {
    L.push(`| ${s.title} | ${impls.map((i) => cell(s.results[i])).join(' | ')} |`);
  }
  const delayedH2 = speed.find((s) => s.key === 'delay-h2');
  if (delayedH2 && Number.isFinite(delayedH2.rttMs)) {
    // Over HTTP/2 nothing caps the connections: the bound is one 100 ms
    // round trip plus the transfer. One request alone (a sequential round
    // trip measured there) leaves out the transfer of the other 99.
    const bound = 100 + delayedH2.rttMs;
    L.push(
      `| ↳ workload 3 over HTTP/2 against one request's round trip (${fmtMs(bound)} ms: 100 ms + ${fmtMs(delayedH2.rttMs)} ms) | ${impls
        .map((i) => {
          const r = delayedH2.results[i];
          return r && !r.error ? fmtX(r.median / bound) : '';
        })
        .join(' | ')} |`,
    );
    const transfer = speed.find((s) => s.key === 'posts100-h2');
    if (transfer) {
      L.push(
        `| ↳ workload 3 over HTTP/2 against one 100 ms round trip plus transfer (100 ms + the row "${transfer.title}", per round) | ${impls
          .map((i) => fmtX(transferRatio(delayedH2.results[i], transfer.results[i])))
          .join(' | ')} |`,
      );
    }
    if (delayedH2.checks) {
      L.push(
        `| ↳ workload 3 over HTTP/2: requests in flight at the server at once (its /stats; protocol by Resource Timing) | ${impls
          .map((i) => {
            const c = delayedH2.checks[i];
            return c ? `${c.peak} of ${c.requests} (${c.protocols.join(', ')})` : '';
          })
          .join(' | ')} |`,
      );
    }
  }
  const delayed = speed.find((s) => s.key === 'delay');
  if (delayed) {
    L.push(
      `| ↳ workload 3 against the ${BOUND_MS} ms bound | ${impls
        .map((i) => {
          const r = delayed.results[i];
          return r && !r.error ? fmtX(r.median / BOUND_MS) : '';
        })
        .join(' | ')} |`,
    );
  }
  if (speed.length) L.push('');
  if (delayed) {
    const waves = Math.ceil(100 / 6);
    const practical = waves * (100 + delayed.rttMs);
    L.push(
      `Workload 3's bound: Chromium opens at most 6 HTTP/1.1 connections per host, so 100 requests of 100 ms each need at least ⌈100/6⌉ × 100 ms = ${BOUND_MS} ms. ` +
        `Each connection runs ${waves} requests one after another, and each also pays one round trip: measured in this run with nothing else in flight, ` +
        `${fmtMs(delayed.rttMs)} ms, so ${waves} × (100 + ${fmtMs(delayed.rttMs)}) = ${fmtMs(practical)} ms is what this machine allows ` +
        `(fanout: ${fmtX(delayed.results.fanout && delayed.results.fanout.median / practical)} of that).`,
    );
    L.push('');
  }

  if (data.native) L.push(...nativeReport(data.native));

  if (data.crossings.length) {
    L.push('## Crossings: calls between wasm and JS per request (1,000 posts, `fetch` stubbed, counted on every import and export)');
    L.push('');
    L.push('Plain JS makes its calls in JS alone: `fetch`, the response promise, `json()` and its promise.');
    L.push('');
    L.push('| implementation | wasm → JS | JS → wasm | the most called imports (per request) |');
    L.push('|---|---:|---:|---|');
    for (const c of data.crossings) {
      L.push(`| ${LABELS[c.impl] || c.impl} | ${c.imports.toFixed(1)} | ${c.exports.toFixed(1)} | ${c.top.join(', ')} |`);
    }
    L.push('');
  }

  if (data.cold.length) {
    L.push('## Cold start: import + init + first GET + typed `json()`, a fresh browser context each (no cache)');
    L.push('');
    L.push(
      'The minimal apps of the size table (release builds; plain JS: `fetch` + `json()` with nothing to load), from the dev server; ' +
        `median of ${ROUNDS} rounds after one, interleaved; × = median of per-round ratios.`,
    );
    L.push('');
    L.push(`| network | ${COLD_IMPLS.map((i) => COLD_LABELS[i]).join(' | ')} | fanout vs gloo-net |`);
    L.push(`|---|${COLD_IMPLS.map(() => '---:').join('|')}|---:|`);
    for (const c of data.cold) {
      L.push(`| ${c.title} | ${COLD_IMPLS.map((i) => cell(c.results[i])).join(' | ')} | ${fmtX(c.vsGloo)} |`);
    }
    L.push('');
  }

  if (data.sizes.length) {
    L.push('## Size (workload 4): `.wasm` + JS glue, release profile and wasm-opt flags of the root Cargo.toml');
    L.push('');
    L.push('| build | .wasm | JS glue | gzip -9 | brotli -q 11 | gzip vs min fanout |');
    L.push('|---|---:|---:|---:|---:|---:|');
    const minFanout = data.sizes.find((r) => r.key === 'min-fanout');
    for (const r of data.sizes) {
      if (r.error) {
        L.push(`| ${r.label} | ${r.error} | | | | |`);
        continue;
      }
      const vs = minFanout && !minFanout.error ? fmtX(r.gzip / minFanout.gzip) : '';
      L.push(
        `| ${r.label} | ${fmtKiB(r.wasm)} KiB | ${fmtKiB(r.js)} KiB | ${fmtKiB(r.gzip)} KiB | ${fmtKiB(r.brotli)} KiB | ${vs} |`,
      );
    }
    L.push('');
  }

  if (data.memory.length) {
    L.push('## Memory (workload 5): 10,000 requests in batches of 100, fresh page, after one warm-up batch');
    L.push('');
    L.push('| run | wasm memory before → after | growth | JS heap (after GC) before → after | growth | time |');
    L.push('|---|---:|---:|---:|---:|---:|');
    for (const m of data.memory) {
      if (m.error) {
        L.push(`| ${m.label} | failed: ${m.error} | | | | |`);
        continue;
      }
      const key = m.impl.startsWith('fanout-js') ? 'fanoutJs' : 'page';
      L.push(
        `| ${m.label} | ${fmtKiB(m.before[key])} → ${fmtKiB(m.after[key])} KiB | ${fmtKiB(m.wasmGrowth)} KiB | ` +
          `${fmtKiB(m.before.jsHeapUsed)} → ${fmtKiB(m.after.jsHeapUsed)} KiB | ${fmtKiB(m.jsHeapGrowth)} KiB | ${(m.ms / 1000).toFixed(1)} s |`,
      );
    }
    L.push('');
  }

  if (data.decode.length) {
    L.push('## JSON decoding study (issue 3, item 7): body → typed structs');
    L.push('');
    L.push(
      'In memory: `new Response(bytes)` objects made outside the timing, read and decoded one after another ' +
        '(so no network). Network: the same paths on real fetches (one `/photos`; 100 posts at once only with `--profile`, ' +
        'where the network\'s noise drowns the paths). ' +
        'Size: gzip -9 of a minimal app (fetch one post, decode with that path) minus the same app without any decoding.',
    );
    L.push('');
    const cols = data.decode;
    const paths = [...new Set(cols.flatMap((c) => c.impls))];
    L.push(`| path | ${cols.map((c) => c.title).join(' | ')} | size added (gzip) |`);
    L.push(`|---|${cols.map(() => '---:').join('|')}|---:|`);
    const base = data.sizes.find((r) => r.key === 'decode-base');
    for (const p of paths) {
      const sz = data.sizes.find((r) => r.key === `decode-${p}`);
      const added = sz && base && !sz.error && !base.error ? `${fmtKiB(sz.gzip - base.gzip)} KiB` : '';
      L.push(`| ${PATH_LABELS[p] || p} | ${cols.map((c) => cell(c.results[p])).join(' | ')} | ${added} |`);
    }
    L.push('');
  }

  if (data.issue) {
    const is = data.issue;
    L.push('## Diagnostic: the issue phase of 1,000 posts (main-thread time per request until the last fetch() starts)');
    L.push('');
    L.push(
      "From the call until the last request's Resource Timing `startTime`: the main thread's cost of setting up and " +
        'issuing each request (the 6-connection network pace left out). Plain JS variants pass the fetch() options fanout passes.',
    );
    L.push('');
    L.push('| implementation | µs per request | × plain JS |');
    L.push('|---|---:|---:|');
    const IS = {
      js: '`fetch(url)` (plain JS)',
      'js-signal': '`fetch(url, {signal})` (new AbortController each)',
      'js-method-headers': "`fetch(url, {method: 'GET', headers: new Headers()})`",
      'js-fanout-init': "`fetch(url, {method: 'GET', headers: new Headers(), signal})`: fanout's options",
    };
    for (const v of is.impls) {
      const r = is.results[v];
      L.push(`| ${IS[v] || LABELS[v] || v} | ${r.error ? `failed: ${r.error}` : (r.median).toFixed(0)} | ${r.error ? '' : fmtX(r.ratio)} |`);
    }
    L.push('');
  }

  if (data.fetchCost) {
    const fc = data.fetchCost;
    const per = (v) => (fc.results[v] && !fc.results[v].error ? ((fc.results[v].median / 200) * 1000).toFixed(1) : '–');
    L.push(
      `Diagnostic: \`controller.abort()\` on a request whose body was already read (what dropping fanout's AbortGuard does ` +
        `for every response) costs ${per('abort-after-read')} µs per call; issuing \`fetch(url)\` costs ${per('url')} µs (synchronous part).`,
    );
    L.push('');
  }

  if (data.targets.length) {
    L.push('## Targets');
    L.push('');
    for (const t of data.targets) L.push(`- ${t.met === null ? '?' : t.met ? 'MET' : 'MISSED'}: ${t.text}`);
    L.push('');
  }

  if (data.profiles.length) {
    L.push('## CPU profiles (self time, top functions)');
    L.push('');
    for (const p of data.profiles) {
      L.push(`**${p.label}** (${p.reps} runs, ${p.file})`);
      L.push('');
      L.push('| self % | self ms | function |');
      L.push('|---:|---:|---|');
      for (const t of p.top) L.push(`| ${t.pct} | ${t.ms} | ${t.fn.replace(/\|/g, '\\|')} |`);
      L.push('');
    }
  }
  return L.join('\n');
}

function targets(data) {
  const T = [];
  const get = (key, impl) => {
    const s = data.speed.find((x) => x.key === key);
    const r = s && s.results[impl];
    return r && !r.error ? r : null;
  };
  for (const key of ['posts100', 'posts1000']) {
    const f = get(key, 'fanout');
    const g = get(key, 'gloo');
    if (f) {
      T.push({
        met: f.ratio <= 1.05,
        text: `workload 1 (${key === 'posts100' ? '100' : '1,000'} posts): fanout ≤ 1.05× plain JS — ${fmtX(f.ratio)}`,
      });
    }
    if (f && g) {
      const x = pairedRatio(f, g);
      T.push({
        met: x <= 1.0,
        text: `workload 1 (${key === 'posts100' ? '100' : '1,000'} posts): fanout never behind gloo-net — ${fmtMs(f.median)} vs ${fmtMs(g.median)} ms, ${fmtX(x)} of gloo-net's time (median of per-round ratios)`,
      });
    }
  }
  const p = get('photos', 'fanout');
  if (p) T.push({ met: p.ratio <= 1.0, text: `workload 2 (/photos): fanout ≤ 1.00× plain JS — ${fmtX(p.ratio)}` });
  const dh = get('delay-h2', 'fanout');
  const d0 = get('posts100-h2', 'fanout');
  if (dh && d0) {
    const x = transferRatio(dh, d0);
    T.push({
      met: x <= 1.3,
      text: `workload 3 over HTTP/2: fanout ≤ 1.3× one 100 ms round trip plus transfer (100 ms + the same 100 posts without the delay, in the same round) — ${fmtX(x)}`,
    });
  }
  const d = get('delay', 'fanout');
  if (d) {
    const x = d.median / BOUND_MS;
    T.push({ met: x <= 1.05, text: `workload 3 (100 × 100 ms): fanout within 5 % of the ${BOUND_MS} ms bound — ${fmtX(x)}` });
  }
  for (const w of (data.native && data.native.workloads) || []) {
    const f = w.results && w.results.fanout;
    if (!f || f.error || !Number.isFinite(f.ratio)) continue;
    T.push({ met: f.ratio <= 1.05, text: `native, ${w.title}: fanout ≤ 1.05× reqwest's wall time — ${fmtX(f.ratio)}` });
  }
  for (const c of data.cold) {
    if (!Number.isFinite(c.vsGloo)) continue;
    T.push({ met: c.vsGloo <= 1.0, text: `cold start, ${c.key}: fanout ≤ gloo-net — ${fmtMs(c.results.fanout.median)} vs ${fmtMs(c.results.gloo.median)} ms, ${fmtX(c.vsGloo)} of gloo-net's time (median of per-round ratios)` });
  }
  const sz = (k) => data.sizes.find((r) => r.key === k && !r.error);
  const mf = sz('min-fanout');
  for (const [k, name] of [
    ['min-gloo', 'gloo-net'],
    ['min-reqwest', 'reqwest'],
  ]) {
    const o = sz(k);
    if (mf && o) {
      T.push({
        met: mf.gzip <= o.gzip / 2,
        text: `workload 4: minimal fanout app ≤ half the gzip size of ${name}'s — ${fmtKiB(mf.gzip)} vs ${fmtKiB(o.gzip)} KiB (${fmtX(mf.gzip / o.gzip)})`,
      });
    }
  }
  for (const m of data.memory) {
    if (m.error) continue;
    const limit = 1024 * 1024;
    T.push({
      met: m.wasmGrowth <= limit && m.jsHeapGrowth <= limit,
      text: `workload 5 (${m.label}): no growth beyond 1 MiB — wasm ${fmtKiB(m.wasmGrowth)} KiB, JS heap ${fmtKiB(m.jsHeapGrowth)} KiB`,
    });
  }
  return T;
}

// ---- main -----------------------------------------------------------------------------

/** Every part that runs in Chromium (all but the native rows). */
async function browserRuns(browser, data) {
  log(`Chromium ${data.env.chromium}; ${URL_}`);

  // Workload 5 first, each run on a fresh page.
  const probe = await openPage(browser);
  const info = await probe.page.evaluate(() => window.bench.info());
  await probe.page.close();
  const hasJs = !!info.fanoutJs;
  data.env.fanoutJs = hasJs
    ? `included (exports: ${info.fanoutJs.exports.join(', ')})`
    : `not included: ${info.fanoutJsError}`;
  log(`fanout JS API: ${data.env.fanoutJs}`);

  if (wanted('cold')) {
    log('cold start: import + init + first GET + json(), a fresh context each');
    data.cold = await coldRuns(browser);
  }

  if (wanted('crossings')) {
    log('crossings: wasm boundary calls per request (1,000 posts, fetch stubbed)');
    data.crossings = await crossingsRun(browser, ['fanout', ...(hasJs ? ['fanout-js'] : []), 'gloo', 'reqwest']);
  }

  if (wanted('memory')) {
    log('workload 5: memory');
    const memRuns = [['fanout-batches', 'fanout (Rust): 100 × gather of 100']];
    if (hasJs) memRuns.push(['fanout-js-batches', 'fanout JS API: 100 × Promise.all of 100']);
    // Diagnostic (another 10,000 requests): the lazy gather over all of them.
    if (opts.profile) memRuns.push(['fanout-limit', 'fanout (Rust): one gather of 10,000 with .limit(100)']);
    for (const [impl, label] of memRuns) {
      data.memory.push({ label, ...(await memoryRun(browser, impl)) });
    }
  }

  const ctx = await openPage(browser);
  const jsApi = hasJs ? ['fanout-js'] : [];
  const others = ['gloo', 'reqwest'];
  // fanout with join_all and the JS API's gather: diagnostics (`--profile`).
  const extraImpls = opts.profile ? ['fanout-join', ...(hasJs ? ['fanout-js-gather'] : [])] : [];
  const postImpls = ['js', 'fanout', ...extraImpls, ...jsApi, ...others];
  const workloads = [
    ['posts100', '1. 100 posts at once', postImpls, (impl, tag) => ({ kind: 'posts', impl, tag, n: 100 }), FAST],
    ['posts1000', '1. 1,000 posts at once', ['js', 'fanout', ...jsApi, ...others], (impl, tag) => ({ kind: 'posts', impl, tag, n: 1000 }), SLOW],
    ['stub', '1. 1,000 posts, `fetch` stubbed (the client\'s own cost)', postImpls, (impl, tag) => ({ kind: 'posts-stub', impl, tag, n: 1000 })],
    ['photos', '2. /photos (1 MB, 5000 items) → typed', ['js', 'fanout', 'fanout-proposed', ...jsApi, ...others], (impl, tag) => ({ kind: 'photos', impl, tag }), FAST],
    ['delay', '3. 100 posts, `?delay=100`', ['js', 'fanout', ...jsApi, ...others], (impl, tag) => ({ kind: 'posts', impl, tag, n: 100, delay: 100 }), { rounds: ROUNDS, warmup: 0 }],
  ];
  for (const [key, title, impls, spec, rounds] of workloads) {
    if (!wanted(key)) continue;
    log(`${title}`);
    const extra = {};
    if (key === 'delay') {
      // One request's round trip with nothing else in flight, to tell
      // the cost of the 6-connection cap from the per-request latency
      // every implementation pays.
      const rtts = [];
      for (let i = 0; i < 5; i++) rtts.push(await ctx.page.evaluate((t) => window.bench.rtt(t, 20), `rtt-${i}`));
      extra.rttMs = median(rtts);
      log(`  sequential round trip (no delay): ${fmtMs(extra.rttMs)} ms`);
    }
    data.speed.push({ key, title, ...extra, ...(await series(ctx, key, impls, spec, rounds)) });
  }

  if (opts.urlH2 && (wanted('h2') || wanted('delay') || wanted('posts1000'))) {
    // The same workloads over HTTP/2: a page loaded from the HTTPS
    // listener, whose requests share one connection.
    const h2 = await openPage(browser, '', opts.urlH2.endsWith('/') ? opts.urlH2 : `${opts.urlH2}/`);
    const impls = ['js', 'fanout', ...jsApi, ...others];
    if (wanted('h2') || wanted('posts1000')) {
      const title = '1. 1,000 posts at once, over HTTP/2';
      log(title);
      const spec = (impl, tag) => ({ kind: 'posts', impl, tag, n: 1000 });
      data.speed.push({ key: 'posts1000-h2', title, ...(await series(h2, 'posts1000-h2', impls, spec, SLOW)) });
    }
    if (wanted('h2') || wanted('delay')) {
      log('3. 100 posts, `?delay=100`, over HTTP/2');
      const rtts = [];
      for (let i = 0; i < 5; i++) rtts.push(await h2.page.evaluate((t) => window.bench.rtt(t, 20), `rtt-h2-${i}`));
      const rttMs = median(rtts);
      log(`  sequential round trip over HTTP/2 (no delay): ${fmtMs(rttMs)} ms`);
      // Its transfer: the same 100 posts without the delay, run just
      // before each implementation's delayed run in the same round, so
      // that the bound moves with the machine's load as the time does.
      const both = impls.flatMap((i) => [`${i}@0`, i]);
      const spec = (impl, tag) => {
        const [name, nodelay] = impl.split('@');
        return { kind: 'posts', impl: name, tag, n: 100, delay: nodelay === undefined ? 100 : 0 };
      };
      const all = await series(h2, 'delay-h2', both, spec, { rounds: ROUNDS, warmup: 1 });
      const pick = (suffix) => {
        const results = Object.fromEntries(impls.map((i) => [i, all.results[i + suffix]]));
        for (const i of impls) results[i].ratio = pairedRatio(results[i], results.js);
        return { ...all, impls, results };
      };
      data.speed.push({ key: 'posts100-h2', title: '1. 100 posts at once, over HTTP/2 (workload 3\'s transfer)', ...pick('@0') });
      const checks = {};
      for (const impl of impls) checks[impl] = await h2Check(h2, impl);
      log(`  at the server at once: ${impls.map((i) => `${i} ${checks[i].peak} (${checks[i].protocols.join(', ')})`).join(', ')}`);
      data.speed.push({ key: 'delay-h2', title: '3. 100 posts, `?delay=100`, over HTTP/2', rttMs, checks, ...pick('') });
    }
    if (h2.errors.length) log(`HTTP/2 page errors:\n  ${h2.errors.join('\n  ')}`);
    await h2.page.close();
  }

  const paths = ['js', ...info.decodePaths];
  const studies = [
    ['mem-post', 'one post, in memory (×200)', paths, (p, tag) => ({ kind: 'decode-mem', impl: p, path: p, which: 'post', k: 200, tag })],
    ['mem-photos', '/photos, in memory (×3)', paths, (p, tag) => ({ kind: 'decode-mem', impl: p, path: p, which: 'photos', k: 3, tag })],
    ['net-post', '100 posts, network', [...paths, 'fanout'], (p, tag) => ({ kind: 'decode-net', impl: p, path: p, which: 'post', n: 100, tag })],
    ['net-photos', '/photos, network', [...paths, 'fanout'], (p, tag) => ({ kind: 'decode-net', impl: p, path: p, which: 'photos', n: 1, tag })],
  ];
  for (const [key, title, impls, spec, rounds] of studies) {
    // 100 small posts over the network: the decode paths drown in the
    // network's noise there (the in-memory run measures them); a
    // diagnostic, for time's sake.
    const diagnostic = key === 'net-post' && !opts.profile && !(opts.only && opts.only.has(key));
    if ((!wanted(key) && !wanted('decode')) || diagnostic) continue;
    log(`decoding study: ${title}`);
    data.decode.push({ key, title, ...(await series(ctx, key, impls, spec, rounds)) });
  }

  if ((opts.profile && !opts.only) || (opts.only && opts.only.has('issue'))) {
    log('diagnostic: the issue phase of 1,000 posts');
    data.issue = await series(
      ctx,
      'issue',
      ['js', 'js-signal', 'js-method-headers', 'js-fanout-init', 'fanout', ...jsApi, ...others],
      (impl, tag) => ({ kind: 'issue', impl, tag, n: 1000 }),
      SLOW,
    );
  }

  if ((opts.profile && !opts.only) || (opts.only && opts.only.has('fetch-cost'))) {
    log('diagnostic: abort() after the body');
    data.fetchCost = await series(ctx, 'fetch-cost', ['url', 'abort-after-read'], (impl, tag) => ({ kind: 'fetch-cost', impl, tag, n: 200 }));
  }

  if (opts.profile) {
    // On a page with the names-kept build of the same code (`?profiling`).
    log('CPU profiles');
    const pctx = await openPage(browser, '?profiling');
    const runs = [
      ['posts1000-js', { kind: 'posts', impl: 'js', n: 1000 }, 3],
      ['posts1000-fanout', { kind: 'posts', impl: 'fanout', n: 1000 }, 3],
      ['stub-js', { kind: 'posts-stub', impl: 'js', n: 1000 }, 20],
      ['stub-fanout', { kind: 'posts-stub', impl: 'fanout', n: 1000 }, 20],
      ['stub-fanout-join', { kind: 'posts-stub', impl: 'fanout-join', n: 1000 }, 20],
      ['stub-gloo', { kind: 'posts-stub', impl: 'gloo', n: 1000 }, 20],
      ['stub-fanout-js', { kind: 'posts-stub', impl: 'fanout-js', n: 1000 }, 20],
      ['photos-js', { kind: 'photos', impl: 'js' }, 20],
      ['photos-fanout', { kind: 'photos', impl: 'fanout' }, 20],
    ];
    for (const [label, spec, reps] of runs) {
      // With --only, the profiles of the parts named (stub-*, photos-*, ...).
      if (opts.only && ![...opts.only].some((k) => label.startsWith(`${k}-`))) continue;
      // Warm up, then profile.
      await pctx.page.evaluate((s) => window.bench.run(s), { ...spec, tag: `prof-warm-${label}` });
      data.profiles.push(await profileRun(pctx, label, spec, reps));
    }
    await pctx.page.close();
  }
  if (ctx.errors.length) log(`page errors:\n  ${ctx.errors.join('\n  ')}`);
  await ctx.page.close();
}

async function main() {
  mkdirSync(opts.out, { recursive: true });
  const os = await import('node:os');
  const loadBefore = loadNow();
  // The native rows first, on a machine the browser does not load yet.
  let native = null;
  if (wanted('native')) {
    if (opts.native) {
      log('native rows: fanout beside reqwest, natively (bench/native)');
      native = nativeRun();
    } else {
      log('native rows: left out (no --native binary)');
    }
  }
  const browser = BROWSER ? await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS }) : null;
  const pw = JSON.parse(readFileSync(require.resolve('playwright-core/package.json'), 'utf8')).version;
  const data = {
    env: {
      date: started.toISOString(),
      chromium: browser ? browser.version() : 'not started (no browser part wanted)',
      playwright: pw,
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: (os.cpus()[0] || {}).model || '?',
      url: URL_,
      loadBefore,
      rounds: ROUNDS,
      warmup: WARMUP,
      fanoutJs: 'not loaded (no browser part wanted)',
    },
    native,
    speed: [],
    decode: [],
    memory: [],
    cold: [],
    crossings: [],
    sizes: [],
    profiles: [],
    targets: [],
  };
  if (browser) {
    try {
      await browserRuns(browser, data);
    } finally {
      await browser.close();
    }
  }

  data.env.loadAfter = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  log('sizes');
  data.sizes = sizes(opts.sizes);
  data.targets = targets(data);

  const md = report(data);
  writeFileSync(join(opts.out, 'results.json'), JSON.stringify(data, null, 2));
  writeFileSync(join(opts.out, 'results.md'), md + '\n');
  log('');
  log(md);
  log(`(${Math.round((Date.now() - started.getTime()) / 1000)} s in the native rows, the browser and the report)`);
  log('');
  log(`wrote ${join(opts.out, 'results.md')} and results.json`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
