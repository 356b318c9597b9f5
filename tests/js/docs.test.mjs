// The "From JavaScript" docs (in README.md) are exercised: the Node.js
// snippets run against the dev server, the file snippets match the files
// the other suites build or check (examples/vite, tests/types), and every
// block is marked with a kind some test runs. The browser and worker
// snippets run in tests/e2e/js-api.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { API } from './support.mjs';
import { ROOT, blocks, snippet, withApi } from './snippets.mjs';

const run = promisify(execFile);
const NODE_PKG = `${ROOT}pkg/nodejs/fanout.js`;
const KINDS = ['sh', 'html', 'node-esm', 'node-cjs', 'node-snippet', 'worker', 'worker-page', 'file'];

/** Runs a snippet as a Node.js program; resolves to its stdout lines. */
async function runNode(code, ext, flags = []) {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-docs-'));
  try {
    const file = join(dir, `snippet.${ext}`);
    writeFileSync(file, code);
    const { stdout } = await run(process.execPath, [...flags, file], { timeout: 20_000 });
    return stdout.trimEnd().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `node-snippet`: the block with `Client` imported, as an ES module. */
function asModule(name) {
  const { code } = snippet(name);
  const names = 'Client, FanoutError, HTTPError, TimeoutError, NetworkError, DecodeError, retry';
  return `import { ${names} } from ${JSON.stringify(NODE_PKG)};\n${withApi(code, API)}`;
}

test('every code block is marked with a kind that a test runs', () => {
  const all = blocks();
  assert.ok(all.length >= 10);
  for (const b of all) {
    assert.ok(b.name, `an unmarked block:\n${b.code}`);
    assert.ok(KINDS.includes(b.kind), `${b.name}: unknown kind ${b.kind}`);
  }
  const names = all.map((b) => b.name);
  assert.equal(new Set(names).size, names.length, 'snippet names are unique');
});

test('docs: the build snippet names the packages this suite uses', () => {
  const { code } = snippet('build');
  assert.match(code, /^cargo xtask build/m);
  const byHand = [...code.matchAll(/^wasm-pack build js .*--target (\w+) --out-dir \.\.\/(pkg\/\w+) --out-name fanout$/gm)];
  assert.equal(byHand.length, 1, 'one by-hand wasm-pack command of the js/ crate');
  for (const m of byHand) {
    assert.equal(m[2], `pkg/${m[1]}`);
    assert.match(code, new RegExp(`^\\(cd ${m[2]} && npm pkg set name=fanout\\)$`, 'm'));
    const meta = JSON.parse(readFileSync(`${ROOT}${m[2]}/package.json`, 'utf8'));
    assert.equal(meta.name, 'fanout');
  }
  for (const target of ['web', 'bundler', 'nodejs']) {
    const meta = JSON.parse(readFileSync(`${ROOT}pkg/${target}/package.json`, 'utf8'));
    assert.equal(meta.name, 'fanout');
    for (const field of ['description', 'license', 'repository', 'keywords', 'types']) {
      assert.ok(meta[field], `pkg/${target}/package.json has ${field}`);
    }
  }
});

test('docs: file snippets are the files (examples/vite, tests/types)', () => {
  const files = blocks().filter((b) => b.kind === 'file');
  assert.ok(files.length >= 3);
  for (const b of files) {
    const text = readFileSync(`${ROOT}${b.file}`, 'utf8');
    assert.ok(text.includes(b.code), `${b.file} does not contain the ${b.name} snippet`);
  }
});

test('docs: Node.js as an ES module', async () => {
  const code = withApi(snippet('node-esm').code, API).replace("from 'fanout'", `from ${JSON.stringify(NODE_PKG)}`);
  const lines = await runNode(code, 'mjs');
  assert.equal(lines[0], 'Status Code: 200');
  assert.match(lines[1], /^Response JSON: \{/);
  assert.ok(lines.some((l) => /id: 1,/.test(l)));
});

test('docs: Node.js with require', async () => {
  const code = withApi(snippet('node-cjs').code, API).replace("require('fanout')", `require(${JSON.stringify(NODE_PKG)})`);
  const lines = await runNode(code, 'cjs');
  assert.deepEqual(lines, ['user 1 has 10 posts']);
});

test('docs: gather with a limit and progress', async () => {
  const lines = await runNode(asModule('gather'), 'mjs');
  const progress = lines.filter((l) => /^\d+\/20$/.test(l));
  assert.deepEqual(progress, Array.from({ length: 20 }, (_, i) => `${i + 1}/20`));
  assert.match(lines[20], /^Fetched 20 posts in \d+\.\d\d s$/);
  assert.equal(lines.length, 41);
  assert.match(lines[21], /^1\. .+\.\.\.$/);
  assert.match(lines[40], /^20\. .+\.\.\.$/);
});

test('docs: aborting a gather', async () => {
  assert.deepEqual(await runNode(asModule('gather-abort'), 'mjs'), ['ok AbortError AbortError']);
});

test('docs: errors', async () => {
  const lines = await runNode(asModule('errors'), 'mjs');
  assert.match(lines[0], /^HTTPError: HTTP 404 from GET http:\/\/127\.0\.0\.1:\d+\/status\/404$/);
  assert.equal(lines[1], 'TimeoutError');
  assert.equal(lines[2], 'false 404 { status: 404 }');
});

test('docs: error classes, error.data and get(u).json()', async () => {
  assert.deepEqual(await runNode(asModule('error-classes'), 'mjs'), ['404 { status: 404 }', '1']);
});

test('docs: hooks', async () => {
  const lines = await runNode(asModule('hooks'), 'mjs');
  assert.equal(lines[0], 'readme');
  assert.equal(lines[1], 'retry 1 after 503');
  assert.equal(lines[2], "2 attempts: { attempts: 2, body: '', ok: true }");
  assert.equal(lines[3], 'not found: {"status":404}');
});

test('docs: dedupe and token refresh', async () => {
  assert.deepEqual(await runNode(asModule('dedupe-auth'), 'mjs'), ['true']);
});

test('docs: outbox', async () => {
  assert.deepEqual(await runNode(asModule('outbox'), 'mjs'), [
    'queued 1',
    'attempt 1',
    'delivered 1',
    '201 0 36',
    'OutboxError too_large',
  ]);
});

test('docs: redirects and credentials', async () => {
  assert.deepEqual(await runNode(asModule('redirect-credentials'), 'mjs'), ['200', 'NetworkError']);
});

test('docs: download progress', async () => {
  const lines = await runNode(asModule('progress'), 'mjs');
  assert.equal(lines.at(-1), '5000 photos');
  const percents = lines.slice(0, -1).map((l) => Number(l.replace('%', '')));
  assert.ok(percents.length >= 2, lines.join('\n'));
  assert.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]));
  assert.equal(percents.at(-1), 100);
});

test('docs: upload progress', async () => {
  const lines = await runNode(asModule('upload-progress'), 'mjs');
  assert.equal(lines.at(-1), `the server read ${4 << 20} bytes`);
  const percents = lines.slice(0, -1).map((l) => Number(l.replace('%', '')));
  assert.ok(percents.length >= 2, lines.join('\n'));
  assert.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]));
  assert.equal(percents.at(-1), 100);
});

test('docs: NDJSON lines', async () => {
  const lines = await runNode(asModule('ndjson'), 'mjs');
  assert.deepEqual(lines, [1, 2, 3].map((n) => `${n} caf\u00e9 \u2603 \u{1F600} #${n}`));
});

test('docs: WebSocket', async () => {
  // Node.js 20 and 21 have the global WebSocket behind a flag.
  const major = Number(process.versions.node.split('.')[0]);
  const flags = major < 22 ? ['--experimental-websocket'] : [];
  const lines = await runNode(asModule('websocket'), 'mjs', flags);
  assert.deepEqual(lines, ['open', 'hello', '{"n":1}', 'closed']);
});

test('docs: Server-Sent Events with a reconnection', async () => {
  const lines = await runNode(asModule('sse'), 'mjs');
  assert.equal(lines.length, 5, lines.join('\n'));
  assert.match(lines[0], /^message 1 \S/);
  assert.match(lines[1], /^message 2 \S/);
  assert.equal(lines[2], 'reconnecting after #2 in 100 ms');
  assert.match(lines[3], /^message 3 \S/);
  assert.match(lines[4], /^message 4 \S/);
});
