// The server's responses handed to the page (fanout's `snapshot`): a
// native program (examples/ssr, `fanout-ssr`) renders www/ssr/index.html
// with 20 GETs and 2 POSTs to one URL with different bodies, recording the
// responses into the page; headless Chromium loads it and hydrates with
// the same code (examples/ssr/src/lib.rs `load`), answered from the page.
// The dev server's /stats proves nothing was sent during hydration; each
// POST gets its own answer; a request after that goes to the network.
//
//   FANOUT_TEST_API=http://127.0.0.1:PORT FANOUT_SSR_BIN=target/debug/fanout-ssr \
//     node --test tests/e2e/ssr.test.mjs   (after `cargo xtask build`)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { launch, screenshot, API } from './lib.mjs';

const BIN = process.env.FANOUT_SSR_BIN || 'target/debug/fanout-ssr';
const PAGE = 'www/ssr/index.html';
const TIMEOUT = 30_000;

let browser;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: run \`cargo xtask build\` first`);
  assert.ok(existsSync('www/ssr/pkg/fanout_ssr.js'), 'www/ssr/pkg is missing: `cargo xtask build`');
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function stats(tag) {
  const res = await fetch(`${API}/stats?tag=${tag}`);
  assert.equal(res.status, 200);
  return res.json();
}

test('a server-rendered page hydrates from its snapshot, sending nothing', { timeout: 60_000 }, async () => {
  const tag = `ssr-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const out = execFileSync(BIN, [API, tag, PAGE], { encoding: 'utf8' });
  assert.match(out, /22 responses in the snapshot/);
  const rendered = await stats(tag);
  assert.equal(rendered.requests, 22, 'the server rendered with 22 requests');

  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`${API}/www/ssr/index.html`);
  const report = await page.evaluate(() => window.__ssr.then((r) => r.report ?? r), {
    timeout: TIMEOUT,
  });
  await screenshot(page, 'ssr-hydrated');
  assert.deepEqual(problems, []);
  assert.equal(report.error, undefined, `hydration failed: ${report.error}`);
  assert.equal(report.items, 22);
  assert.equal(report.matched, 22, 'every item matches what the server rendered');
  assert.equal(report.fromSnapshot, 22);
  assert.equal(report.remaining, 0);
  // Each POST to /posts got its own answer, in its own place.
  assert.deepEqual(report.created, ['first draft', 'second draft']);
  const items = await page.$$eval('#items li', (lis) => lis.map((li) => li.textContent));
  assert.equal(items[20], 'first draft');
  assert.equal(items[21], 'second draft');
  const hydrated = await stats(tag);
  assert.equal(hydrated.requests, 22, 'hydration sent nothing');

  // The snapshot is used up: the next request goes to the network.
  const title = await page.evaluate(() => window.__ssr.then((r) => r.oneMore()));
  assert.ok(title.length > 0);
  const after = await stats(tag);
  assert.equal(after.requests, 23, 'the request after the snapshot reached the server');
  await page.close();
});
