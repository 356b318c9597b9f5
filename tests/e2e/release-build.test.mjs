// The walking skeleton, end to end: the page served from the optimized
// release build (www/pkg, built by `cargo xtask build` with wasm-opt) loads
// in headless Chromium and shows the 100 post titles in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, API } from './lib.mjs';

test('the release build renders 100 titles in post order', async () => {
  const posts = await (await fetch(`${API}/posts`)).json();
  assert.equal(posts.length, 100);
  const { context, close } = await launch();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${API}/`);
    const want = posts.map((p) => p.title);
    await page.waitForFunction(
      (titles) => {
        const items = [...document.querySelectorAll('#titles li')];
        return items.length === titles.length && items.every((li, i) => li.textContent.includes(titles[i]));
      },
      want,
      { timeout: 30_000 },
    );
    // The wasm came from the release build: wasm-opt'ed, so no name section.
    const wasm = await page.evaluate(async () => {
      const r = await fetch('/www/pkg/fanout_bg.wasm');
      return { type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength };
    });
    assert.equal(wasm.type, 'application/wasm');
    assert.ok(wasm.size < 400_000, `release wasm is ${wasm.size} bytes`);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});
