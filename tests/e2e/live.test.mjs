// End-to-end tests of the demo page's Live panel (index.html + www/, whose
// Rust is www/src/live.rs and live_panel.rs) in headless Chromium, against the dev server in
// FANOUT_TEST_API: a Server-Sent Events feed across forced reconnections,
// a download with a progress bar, and Stop aborting the fetches (seen from
// the server's /stats).
//
//   FANOUT_TEST_API=http://127.0.0.1:PORT node --test tests/e2e/live.test.mjs
//
// Every wait polls the page's (or the server's) state with a generous
// timeout; no assertion depends on how long anything took.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, API, ARTIFACTS } from './lib.mjs';

const TIMEOUT = 30_000;
/** What Chromium logs (as a console error) when the server cuts an event stream. */
const CUT_LOG = 'console.error: Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING';

let browser;
/** The titles of posts 1..100, from the API itself. */
let titles;

before(async () => {
  const res = await fetch(`${API}/posts`);
  assert.equal(res.status, 200, `GET ${API}/posts`);
  titles = (await res.json()).sort((a, b) => a.id - b.id).map((p) => p.title);
  assert.equal(titles.length, 100);
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/**
 * Opens the page and collects console errors, uncaught exceptions and CSP
 * violations. Resolves once the wasm module is loaded (the first run of the
 * batch has rendered).
 */
async function openPage() {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
      problems.push(`console.${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${API}/`);
  await waitForText(page, '#status', /^Fetched 100 titles in \d+\.\d\d s$/);
  return { page, problems };
}

/** Waits until the text of `selector` matches `re`; returns it. */
async function waitForText(page, selector, re) {
  try {
    await page.waitForFunction(
      ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''),
      [selector, re.source, re.flags],
      { timeout: TIMEOUT, polling: 50 },
    );
  } catch (err) {
    const now = await page.locator(selector).textContent();
    throw new Error(`${selector} never matched ${re}; it says ${JSON.stringify(now)}`, { cause: err });
  }
  return page.locator(selector).textContent();
}

/** Polls `f` until it returns a truthy value; returns that value. */
async function until(what, f, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await f();
    if (last.ok) return last.value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last.value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The server's statistics of one tag. */
async function stats(tag) {
  const res = await fetch(`${API}/stats?tag=${encodeURIComponent(tag)}`);
  assert.equal(res.status, 200);
  return res.json();
}

async function setControls(page, values) {
  for (const [id, value] of Object.entries(values)) await page.fill(`#${id}`, String(value));
}

/** The feed's list as plain data, oldest first. */
const feedItems = (page) =>
  page.$$eval('#live-events > li', (els) =>
    els.map((el) => ({
      kind: el.classList[0],
      cls: el.className,
      n: el.dataset.n === undefined ? null : Number(el.dataset.n),
      id: el.dataset.id ?? null,
      title: el.querySelector('.title')?.textContent ?? null,
      text: el.textContent,
    })),
  );

test('the feed shows every event once, in order, across visible reconnections, and the download reaches 100 %', async () => {
  const { page, problems } = await openPage();
  try {
    // 45 events: post 42's title (the XSS probe) comes as event 42.
    const COUNT = 45;
    const CUT = 10;
    await setControls(page, { 'live-count': COUNT, 'live-interval': 20, 'live-drop': CUT });
    await page.click('#live-start');
    const status = await waitForText(page, '#live-status', /^Feed (complete|failed)/);
    // The server cuts each connection after CUT events. Usually that is
    // after events 10, 20, 30 and 40; but when Chromium errors the body
    // stream before the page has read its last chunks, those events are
    // lost with the connection and come again after the reconnection
    // (Last-Event-ID names the last one read), so the cuts can fall
    // elsewhere and there can be more of them.
    const m = status.match(/^Feed complete: 45 events \(all in order, none missing or repeated\), (\d+) reconnections$/);
    assert.ok(m, status);
    const DROPS = Number(m[1]);
    assert.ok(DROPS >= 4, status);

    const items = await feedItems(page);
    const events = items.filter((i) => i.kind === 'event');
    // Every event exactly once, in order, with its post's title, as text.
    assert.deepEqual(
      events.map((e) => e.n),
      Array.from({ length: COUNT }, (_, i) => i + 1),
    );
    assert.deepEqual(
      events.map((e) => e.cls),
      Array(COUNT).fill('event'),
    );
    assert.deepEqual(
      events.map((e) => e.title),
      events.map((e) => titles[(e.n - 1) % 100]),
    );
    assert.deepEqual(
      events.map((e) => e.id),
      events.map((e) => String(e.n)),
    );
    assert.equal(events[41].title, '<img src=x onerror="window.__xss=1">');
    assert.equal(await page.locator('#live-events img').count(), 0, 'post 42\'s title is text, not HTML');
    assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined');

    // The reconnections, where they happened: each names the last event
    // shown before it; after 45 the server closed the stream, and the
    // reconnection then found nothing more (204).
    let last = 0;
    const drops = [];
    for (const i of items.slice(0, -2)) {
      if (i.kind === 'event') {
        last = i.n;
      } else {
        assert.equal(i.cls, 'reconnect dropped');
        assert.equal(i.text, `Connection lost after event ${last}: reconnecting in 500 ms with Last-Event-ID: ${last}`);
        drops.push(last);
      }
    }
    assert.equal(drops.length, DROPS);
    assert.deepEqual(items.slice(-2).map((i) => i.cls), ['reconnect closed', 'end']);
    assert.equal(items.at(-1).text, 'HTTP 204 No Content: the server has no more events.');
    assert.equal(await page.locator('#live-events li.reconnect.dropped').first().isVisible(), true);

    // The download of /photos: the bar full, 100 %.
    await waitForText(page, '#live-download', /^100 % · \d\.\d\d MB · 5000 photos in /);
    const bar = await page.$eval('#live-progress', (p) => ({ value: p.value, max: p.max, position: p.position }));
    assert.ok(bar.max > 1_000_000, `the bar's max is the body's size: ${bar.max}`);
    assert.equal(bar.value, bar.max);
    assert.equal(bar.position, 1);
    await page.waitForFunction(() => document.getElementById('live-stop').disabled, null, { timeout: TIMEOUT });

    // The server's view: one connection per stretch of events (DROPS + 1),
    // one more that was answered 204, one download, nothing in flight.
    const tag = await page.getAttribute('#live', 'data-tag');
    assert.match(tag, /^live-\d+-\d+$/);
    const s = await stats(tag);
    assert.deepEqual(s.by_path, { '/sse': DROPS + 2, '/photos': 1 });
    assert.equal(s.in_flight, 0);

    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    // Chromium logs each connection the server cut; nothing else.
    assert.deepEqual(problems, Array(DROPS).fill(CUT_LOG));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#live').screenshot({ path: join(ARTIFACTS, 'live-panel.png') });
  } finally {
    await page.close();
  }
});

test('Stop drops the stream, and the server sees its fetch aborted', async () => {
  const { page, problems } = await openPage();
  try {
    await setControls(page, { 'live-count': 1000, 'live-interval': 100, 'live-drop': 0 });
    await page.click('#live-start');
    await page.waitForFunction(() => document.querySelectorAll('#live-events li.event').length >= 3, null, {
      timeout: TIMEOUT,
    });
    await waitForText(page, '#live-download', /^100 % /);
    const tag = await page.getAttribute('#live', 'data-tag');
    const open = await stats(tag);
    assert.equal(open.in_flight, 1, 'the event stream is open');
    assert.equal(open.by_path['/sse'], 1);

    assert.equal(await page.locator('#live-stop').isEnabled(), true);
    await page.click('#live-stop');
    const status = await waitForText(page, '#live-status', /^Stopped after \d+ events? and 0 reconnections$/);
    const shown = Number(status.match(/^Stopped after (\d+)/)[1]);
    const s = await until('the server to see the stream aborted', async () => {
      const s = await stats(tag);
      return { ok: s.in_flight === 0, value: s };
    });
    assert.equal(s.cancelled, 1, 'the event stream ended as cancelled');
    assert.equal(s.completed, 1, 'the download had completed');
    assert.deepEqual(s.by_path, { '/sse': 1, '/photos': 1 }, 'no reconnection after Stop');
    await page.waitForFunction(() => document.getElementById('live-stop').disabled, null, { timeout: TIMEOUT });

    // Nothing arrives after Stop.
    const items = await feedItems(page);
    assert.equal(items.at(-1).text, 'Stopped: the event stream was dropped, which aborted its fetch.');
    const events = items.filter((i) => i.kind === 'event');
    assert.equal(events.length, shown);
    assert.deepEqual(
      events.map((e) => e.n),
      Array.from({ length: shown }, (_, i) => i + 1),
    );
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#live-events li.event').count(), shown);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a second Start stops the first run, which leaves the panel alone', async () => {
  const { page, problems } = await openPage();
  try {
    await setControls(page, { 'live-count': 1000, 'live-interval': 100, 'live-drop': 0 });
    await page.click('#live-start');
    await page.waitForFunction(() => document.querySelectorAll('#live-events li.event').length >= 2, null, {
      timeout: TIMEOUT,
    });
    const first = await page.getAttribute('#live', 'data-tag');
    await setControls(page, { 'live-count': 6, 'live-interval': 20, 'live-drop': 4 });
    await page.click('#live-start');
    await waitForText(page, '#live-status', /^Feed complete: 6 events \(all in order, none missing or repeated\), 1 reconnection$/);
    const second = await page.getAttribute('#live', 'data-tag');
    assert.notEqual(first, second);
    const events = (await feedItems(page)).filter((i) => i.kind === 'event');
    assert.deepEqual(
      events.map((e) => e.n),
      [1, 2, 3, 4, 5, 6],
    );
    const s = await until('the first stream to be aborted', async () => {
      const s = await stats(first);
      return { ok: s.in_flight === 0, value: s };
    });
    assert.equal(s.by_path['/sse'], 1);
    await page.waitForFunction(() => document.getElementById('live-stop').disabled, null, { timeout: TIMEOUT });
    assert.deepEqual(problems, [CUT_LOG], 'the one cut of the second run, nothing from the first');
  } finally {
    await page.close();
  }
});

test('WebSocket: "Drop now" and the counter goes on; a message sent during the drop comes back', async () => {
  const { page, problems } = await openPage();
  const count = async () => Number(await page.locator('#ws-count').textContent());
  await waitForText(page, '#ws-status', /^Open$/);
  const tag = await page.locator('#ws-status').getAttribute('data-tag');
  await until('three messages', async () => {
    const n = await count();
    return { ok: n >= 3, value: n };
  });
  const before = await count();
  // Drop, and send at once: the message waits for the reconnection.
  await page.click('#ws-drop');
  await page.fill('#ws-text', 'sent during the drop');
  await page.click('#ws-send');
  await waitForText(page, '#ws-reconnects', /^[1-9]\d*$/);
  await waitForText(page, '#ws-status', /^Open$/);
  await until('the counter going on', async () => {
    const n = await count();
    return { ok: n >= before + 3, value: n };
  });
  await waitForText(page, '#ws-echoes', /sent during the drop/);
  assert.equal(await page.locator('#ws-echoes li').count(), 1);
  const s = await stats(tag);
  assert.ok(s.ws.drops >= 1, JSON.stringify(s.ws));
  assert.ok(s.ws.connections >= 2, JSON.stringify(s.ws));
  await page.close();
  // Chromium logs the dropped connection itself ("WebSocket connection
  // to ... failed"); nothing else may go wrong.
  assert.deepEqual(
    problems.filter((p) => !/WebSocket connection to/.test(p)),
    [],
  );
});
