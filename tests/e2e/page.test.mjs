// End-to-end tests of the demo page (index.html + www/, whose Rust is
// www/src/, from lib.rs) in headless Chromium, against the dev server in
// FANOUT_TEST_API.
//
//   FANOUT_TEST_API=http://127.0.0.1:PORT node --test tests/e2e/page.test.mjs
//
// Every wait polls the page's state with a generous timeout; no assertion
// depends on how long anything took.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshot, API } from './lib.mjs';

const TIMEOUT = 30_000;
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' http: https: ws: wss:";
const XSS_TITLE = '<img src=x onerror="window.__xss=1">';

let browser;
/** The titles of posts 1..100, from the API itself. */
let titles;

before(async () => {
  const res = await fetch(`${API}/posts`);
  assert.equal(res.status, 200, `GET ${API}/posts`);
  const posts = await res.json();
  titles = posts.sort((a, b) => a.id - b.id).map((p) => p.title);
  assert.equal(titles.length, 100);
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/**
 * Opens the page and collects console errors, uncaught exceptions and CSP
 * violations. Resolves once the first run has rendered "Fetched 100 titles".
 */
async function openPage({ width = 1280, height = 900, query = '' } = {}) {
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
  await page.setViewportSize({ width, height });
  await page.goto(`${API}/${query}`);
  await waitForStatus(page, /^Fetched 100 titles in \d+\.\d\d s$/);
  return { page, problems };
}

/** Waits until the status line matches `re`; returns its text. */
async function waitForStatus(page, re) {
  try {
    await page.waitForFunction(
      ([source, flags]) => new RegExp(source, flags).test(document.getElementById('status').textContent),
      [re.source, re.flags],
      { timeout: TIMEOUT, polling: 50 },
    );
  } catch (err) {
    const now = await page.locator('#status').textContent();
    throw new Error(`status line never matched ${re}; it says ${JSON.stringify(now)}`, { cause: err });
  }
  return page.locator('#status').textContent();
}

const listTexts = (page) => page.$$eval('#titles > li', (els) => els.map((el) => el.textContent));
const listClasses = (page) => page.$$eval('#titles > li', (els) => els.map((el) => el.className));

/** Fills the form; keys are element ids, booleans set checkboxes. */
async function setControls(page, values) {
  for (const [id, value] of Object.entries(values)) {
    if (typeof value === 'boolean') await page.setChecked(`#${id}`, value);
    else await page.fill(`#${id}`, String(value));
  }
}

test('opens with the 100 titles in post order, on a desktop and a phone', async () => {
  const { page, problems } = await openPage();
  try {
    assert.equal(await page.locator('#titles > li').count(), 100);
    assert.deepEqual(await listTexts(page), titles);
    assert.deepEqual(await listClasses(page), Array(100).fill('ok'));
    assert.equal(await page.locator('#progress').isHidden(), true, 'the progress bar is hidden when done');
    assert.equal(await page.locator('#status').getAttribute('aria-live'), 'polite');
    await screenshot(page, 'page-desktop');

    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 375px`);
    await screenshot(page, 'page-phone');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('the XSS probe title (post 42) is shown as text and runs nothing', async () => {
  const { page } = await openPage();
  try {
    assert.equal(titles[41], XSS_TITLE, 'the fixture still carries the probe');
    const li = page.locator('#titles > li').nth(41);
    assert.equal(await li.textContent(), XSS_TITLE);
    assert.equal(await page.locator('#titles img').count(), 0);
    assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined');
  } finally {
    await page.close();
  }
});

test('injected failures without retries stay in place with their reason', async () => {
  const { page } = await openPage();
  try {
    await setControls(page, { 'fail-rate': 10, delay: 0, retries: false });
    await page.click('#run');
    const status = await waitForStatus(page, /^Fetched \d+ titles in \d+\.\d\d s \(\d+ failed\)$/);
    const [, ok, failed] = status.match(/^Fetched (\d+) titles .*\((\d+) failed\)$/).map(Number);
    assert.equal(failed, 10, '10% of 100 posts');
    assert.equal(ok, 90);

    const texts = await listTexts(page);
    const classes = await listClasses(page);
    assert.equal(texts.length, 100);
    let seen = 0;
    for (let i = 0; i < 100; i++) {
      if (classes[i] === 'failed') {
        seen++;
        assert.equal(texts[i], `post ${i + 1}: HTTP 503 Service Unavailable`);
      } else {
        assert.equal(classes[i], 'ok');
        assert.equal(texts[i], titles[i]);
      }
    }
    assert.equal(seen, failed, 'the list shows as many failures as the status line counts');
    assert.equal(await page.locator('#waterfall rect.bar.failed').count(), failed);
  } finally {
    await page.close();
  }
});

test('with retries on, injected failures recover and the waterfall shows the attempts', async () => {
  const { page } = await openPage();
  try {
    await setControls(page, { 'fail-rate': 10, delay: 0, retries: true });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 100 titles in \d+\.\d\d s \(10 after a retry\)$/);
    assert.deepEqual(await listTexts(page), titles);
    assert.equal(await page.locator('#titles > li[data-attempts="2"]').count(), 10);
    assert.equal(await page.locator('#waterfall rect.bar.ok').count(), 100);
    assert.equal(await page.locator('#waterfall rect.retry').count(), 10);
    const labels = await page.$$eval('#waterfall text.attempts', (els) => els.map((el) => el.textContent));
    assert.deepEqual(labels, Array(10).fill('×2'));
  } finally {
    await page.close();
  }
});

test('fail-fast, one at a time: the first failure cancels the rest', async () => {
  const { page } = await openPage();
  try {
    await setControls(page, { 'fail-rate': 10, delay: 0, limit: 1, retries: false, 'fail-fast': true });
    await page.click('#run');
    const status = await waitForStatus(page, /^Fetched \d+ titles in \d+\.\d\d s \(1 failed, \d+ cancelled\)$/);
    const classes = await listClasses(page);
    const first = classes.indexOf('failed');
    assert.ok(first >= 0);
    assert.deepEqual(classes.slice(0, first), Array(first).fill('ok'));
    assert.deepEqual(classes.slice(first + 1), Array(99 - first).fill('cancelled'));
    assert.match(status, new RegExp(`^Fetched ${first} titles? in .*\\(1 failed, ${99 - first} cancelled\\)$`));
    const texts = await listTexts(page);
    assert.equal(texts[first + 1], `post ${first + 2}: never sent, another request failed`);
    assert.equal(await page.locator('#waterfall rect.bar').count(), 100);
    assert.equal(await page.locator('#waterfall rect.bar.unsent').count(), 99 - first);
  } finally {
    await page.close();
  }
});

/** Titles no page should run, draw or lay out badly, by post id. */
const HOSTILE_TITLES = {
  1: '<script>window.__xss=1</script>',
  2: '<img src=x onerror="window.__xss=2">',
  3: 'javascript:window.__xss=3',
  4: '"><svg onload="window.__xss=4"></svg>',
  5: '\u202Egnp.exe\u202C right-to-left override \u2067isolate',
  6: 'A'.repeat(100_000),
  7: '</li><li class="ok">injected</li>',
  8: '<a href="javascript:window.__xss=8">click</a>',
  9: '<style>body{display:none}</style><link rel=stylesheet href=//x.invalid/s.css>',
  10: '{{constructor.constructor("window.__xss=10")()}} ${window.__xss=10}',
};
/** Failures whose bodies carry HTML, by post id: [status, content type, body]. */
const HOSTILE_FAILURES = {
  11: [404, 'text/html', '<script>window.__xss=11</script><img src=x onerror="window.__xss=11">'],
  12: [200, 'application/json', '{"<img src=x onerror=window.__xss=12>": {"title": 5}}'],
  13: [200, 'application/json', '{"title": "<script>window.__xss=13</script>'],
};

test('hostile titles and error messages stay text: nothing runs, no CSP violation, no unhandled rejection', async () => {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    window.__unhandled = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
    window.addEventListener('unhandledrejection', (e) => window.__unhandled.push(String(e.reason)));
  });
  await page.route(
    (url) => /^\/posts\/\d+$/.test(url.pathname),
    (route) => {
      const id = Number(new URL(route.request().url()).pathname.split('/').pop());
      const cors = { 'access-control-allow-origin': '*' };
      if (HOSTILE_TITLES[id] !== undefined) {
        const body = JSON.stringify({ userId: 1, id, title: HOSTILE_TITLES[id], body: 'b' });
        return route.fulfill({ status: 200, contentType: 'application/json', headers: cors, body });
      }
      if (HOSTILE_FAILURES[id]) {
        const [status, contentType, body] = HOSTILE_FAILURES[id];
        return route.fulfill({ status, contentType, headers: cors, body });
      }
      return route.continue();
    },
  );
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${API}/`);
    await waitForStatus(page, /^Fetched 97 titles in \d+\.\d\d s \(3 failed\)$/);
    const texts = await listTexts(page);
    const classes = await listClasses(page);
    for (const [id, title] of Object.entries(HOSTILE_TITLES)) {
      assert.equal(classes[id - 1], 'ok', `post ${id}`);
      // As text; a title longer than 300 characters is cut, with an ellipsis
      // (laying out the 100,000 characters whole on every update of the
      // list stalled a batch for about 20 s).
      const shown = [...title].length > 300 ? `${[...title].slice(0, 300).join('')}…` : title;
      assert.equal(texts[id - 1], shown, `post ${id} is shown as its text`);
    }
    for (const id of Object.keys(HOSTILE_FAILURES)) {
      assert.equal(classes[id - 1], 'failed', `post ${id}`);
      assert.ok(texts[id - 1].startsWith(`post ${id}: `), texts[id - 1]);
    }
    assert.equal(texts[10], 'post 11: HTTP 404 Not Found');
    // Only list items in the list; nothing was parsed as markup anywhere.
    assert.equal(await page.locator('#titles > li').count(), 100);
    assert.equal(await page.locator('#titles *:not(li)').count(), 0);
    assert.equal(await page.locator('body img, body svg a, body iframe, body style, body link').count(), 0);
    assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).display), 'block');
    // The 100,000-character title wraps instead of widening the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(await page.evaluate(() => window.__unhandled), []);
    assert.deepEqual(problems, []);
    await screenshot(page, 'page-hostile');
  } finally {
    await page.close();
  }
});

test('the CSP header is sent and the page runs without violations or errors', async () => {
  const res = await fetch(`${API}/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'), CSP);

  const { page, problems } = await openPage();
  try {
    // Exercise the controls too: a run with a limit and the comparison.
    await setControls(page, { count: 12, limit: 3, delay: 0 });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 12 titles in \d+\.\d\d s$/);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('the waterfall has one bar per request, with an axis and a text alternative', async () => {
  const { page } = await openPage();
  try {
    const svg = page.locator('#waterfall svg');
    assert.equal(await page.locator('#waterfall rect.bar').count(), 100);
    assert.equal(await page.locator('#waterfall rect.bar.ok').count(), 100);
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.equal(await svg.getAttribute('aria-labelledby'), 'waterfall-title waterfall-desc');
    assert.equal(await page.locator('#waterfall-title').textContent(), 'Request waterfall');
    assert.match(await page.locator('#waterfall-desc').textContent(), /^100 requests over .*: 100 succeeded, 0 failed\./);
    const ticks = await page.$$eval('#waterfall .axis text', (els) => els.map((el) => el.textContent));
    assert.ok(ticks.length >= 2, `ticks: ${ticks}`);
    assert.equal(ticks[0], '0');
    for (const t of ticks.slice(1)) assert.match(t, /^\d+(\.\d+)? (ms|s)$/);

    await setControls(page, { count: 7 });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 7 titles in \d+\.\d\d s$/);
    assert.equal(await page.locator('#waterfall rect.bar').count(), 7);
    assert.equal(await page.locator('#titles > li').count(), 7);
    assert.deepEqual(await listTexts(page), titles.slice(0, 7));
  } finally {
    await page.close();
  }
});

test('compare shows the sequential and the concurrent time side by side', async () => {
  const { page } = await openPage();
  try {
    await setControls(page, { count: 20, delay: 20 });
    await page.click('#compare-button');
    const status = await waitForStatus(page, /^Sequential \d+\.\d\d s, concurrent \d+\.\d\d s: (\d+\.\d×|—) faster$/);
    const seq = await page.locator('#compare-sequential').textContent();
    const conc = await page.locator('#compare-concurrent').textContent();
    assert.match(seq, /^\d+\.\d\d s$/);
    assert.match(conc, /^\d+\.\d\d s$/);
    assert.ok(status.includes(`Sequential ${seq}, concurrent ${conc}`), status);
    assert.match(await page.locator('#compare-speedup').textContent(), /^(\d+\.\d×|—)$/);
    assert.equal(await page.locator('#compare').isVisible(), true);
    assert.deepEqual(await listTexts(page), titles.slice(0, 20));
  } finally {
    await page.close();
  }
});

test('stop aborts the batch and says so', async () => {
  const { page } = await openPage();
  try {
    await setControls(page, { count: 10, limit: 1, delay: 3000 });
    await page.click('#run');
    await waitForStatus(page, /^Fetching 10 posts/);
    assert.equal(await page.locator('#stop').isEnabled(), true);
    await page.click('#stop');
    const status = await waitForStatus(page, /^Stopped after \d+\.\d\d s: fetched 0 titles, 10 stopped$/);
    assert.ok(status);
    const texts = await listTexts(page);
    assert.equal(texts[0], 'post 1: stopped');
    assert.deepEqual(await listClasses(page), Array(10).fill('cancelled'));
    await page.waitForFunction(() => document.getElementById('stop').disabled, null, { timeout: TIMEOUT });
  } finally {
    await page.close();
  }
});

test('a second Run supersedes the one in flight', async () => {
  const { page, problems } = await openPage();
  try {
    await setControls(page, { count: 30, delay: 300 });
    await page.click('#run');
    await waitForStatus(page, /^Fetching 30 posts/);
    await setControls(page, { count: 12, delay: 0 });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 12 titles in \d+\.\d\d s$/);
    // Give the first batch time to wind down; it must leave the page alone.
    await page.waitForTimeout(1000);
    assert.match(await page.locator('#status').textContent(), /^Fetched 12 titles in \d+\.\d\d s$/);
    assert.deepEqual(await listTexts(page), titles.slice(0, 12));
    assert.equal(await page.locator('#waterfall rect.bar').count(), 12);
    assert.equal(await page.locator('#stop').isDisabled(), true);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('?api= in the address points the page at another server', async () => {
  // The same dev server under another origin (localhost vs 127.0.0.1): the
  // requests are cross-origin, so this also exercises CORS.
  const other = new URL(API);
  other.hostname = other.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  const api = other.origin;
  const { page, problems } = await openPage({ query: `?api=${encodeURIComponent(api)}` });
  try {
    assert.equal(await page.inputValue('#api'), api);
    assert.deepEqual(await listTexts(page), titles);
    assert.deepEqual(problems, []);

    // A second run: every post request goes to the other origin.
    const urls = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.startsWith('/posts/')) urls.push(req.url());
    });
    await setControls(page, { count: 5, delay: 0 });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 5 titles in \d+\.\d\d s$/);
    assert.deepEqual(urls.sort(), [1, 2, 3, 4, 5].map((id) => `${api}/posts/${id}`));
  } finally {
    await page.close();
  }
});

test('a bad API base URL is reported in the status line', async () => {
  const { page, problems } = await openPage();
  try {
    await page.fill('#api', 'not a url');
    // The field is type=url: skip the browser's own validation to reach Rust.
    await page.evaluate(() => document.getElementById('controls').setAttribute('novalidate', ''));
    await page.click('#run');
    const status = await waitForStatus(page, /^Could not run: /);
    assert.equal(status, 'Could not run: invalid base URL "not a url": expected an absolute http:// or https:// URL');
    assert.equal(await page.locator('#stop').isDisabled(), true);
    assert.deepEqual(problems, [], 'the rejection was caught');
  } finally {
    await page.close();
  }
});

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

/** The server's statistics of one tag. */
async function tagStats(tag) {
  const res = await fetch(`${API}/stats?tag=${encodeURIComponent(tag)}`);
  assert.equal(res.status, 200);
  return res.json();
}

/** Polls the server's statistics of `tag` until `ok(stats)`; returns them. */
async function waitForStats(tag, ok, what) {
  const end = Date.now() + TIMEOUT;
  for (;;) {
    const s = await tagStats(tag);
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; /stats?tag=${tag} says ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('dedupe: every post asked for twice at once, and the server sees one request per post', async () => {
  const { page, problems } = await openPage();
  try {
    const sent = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.startsWith('/posts/')) sent.push(req.url());
    });
    await setControls(page, { dedupe: true, delay: 20 });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 100 titles in \d+\.\d\d s$/);
    const line = await waitForText(page, '#dedupe-count', /the server saw/);
    assert.equal(
      line,
      'Dedupe: 200 GETs asked for 100 posts, twice each at once; the server saw 100 requests, one per post.',
    );
    assert.deepEqual(await listTexts(page), titles);
    assert.deepEqual(await listClasses(page), Array(100).fill('ok'));

    const tag = await page.getAttribute('#dedupe-count', 'data-tag');
    assert.match(tag, /^demo-\d+-\d+-\d+$/);
    const s = await tagStats(tag);
    assert.equal(s.requests, 100);
    assert.deepEqual(
      Object.entries(s.by_path).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })),
      Array.from({ length: 100 }, (_, i) => [`/posts/${i + 1}`, 1]),
    );
    assert.equal(s.in_flight, 0);
    // The browser too sent one request per post.
    assert.equal(sent.length, 100);
    assert.deepEqual(
      sent.map((u) => new URL(u).searchParams.get('tag')),
      Array(100).fill(tag),
    );

    // Off again: one GET per post, no count shown.
    await setControls(page, { dedupe: false, count: 5 });
    await page.click('#run');
    await waitForStatus(page, /^Fetched 5 titles in \d+\.\d\d s$/);
    assert.equal(await page.locator('#dedupe-count').isHidden(), true);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('dedupe: Stop drops both callers of a post, which aborts their shared fetch', async () => {
  const { page, problems } = await openPage();
  try {
    await setControls(page, { dedupe: true, count: 10, limit: 1, delay: 3000 });
    await page.click('#run');
    await waitForStatus(page, /^Fetching 10 posts/);
    const tag = await page.getAttribute('#dedupe-count', 'data-tag');
    await waitForStats(tag, (s) => s.in_flight === 1, 'post 1 to reach the server');
    await page.click('#stop');
    await waitForStatus(page, /^Stopped after \d+\.\d\d s: fetched 0 titles, 10 stopped$/);
    assert.deepEqual(await listClasses(page), Array(10).fill('cancelled'));
    assert.equal((await listTexts(page))[0], 'post 1: stopped');
    const s = await waitForStats(tag, (s) => s.in_flight === 0, 'the shared fetch to be aborted');
    assert.equal(s.requests, 1, 'one request for post 1, none for the others');
    assert.equal(s.cancelled, 1);
    await waitForText(page, '#dedupe-count', /^Dedupe: stopped; the server saw 1 request for the posts\.$/);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});
