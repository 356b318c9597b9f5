// The durable outbox through the JS API, run the same way in Chromium
// (tests/e2e/outbox.test.mjs: a page and a module worker, through the web
// build) and in Firefox (js/tests/api.rs, a wasm-bindgen test of the same
// exports), with IndexedDB: 20 POSTs queued while the dev server cuts
// connections, the outbox freed and opened again on the same store (its
// entries and keys still there), the server back: 20 keys applied once
// each, in order. Then a final 4xx kept as failed, and bad input refused
// with a typed error. Plain script: `outboxProbe(fanout, api, tag)`
// resolves to an object that must deep-equal `OUTBOX_EXPECTED`. `api`
// ends with '/'; `fanout` has `Client`.
async function outboxProbe({ Client }, api, tag) {
  const out = {};
  const get = (path) => fetch(api + path).then((r) => r.json());
  const until = async (f, what) => {
    const end = Date.now() + 20000;
    while (!(await f())) {
      if (Date.now() > end) throw new Error('timed out waiting for ' + what);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  out.store = typeof indexedDB === 'undefined' ? 'memory' : 'indexeddb';
  await get('faults/offline?scope=' + tag + '&mode=network&seconds=60');
  const client = new Client({ baseUrl: api });
  const events = [];
  const options = { retryDelayMs: 30, maxRetryDelayMs: 200, maxRetryAfterMs: 200, onEvent: (e) => events.push(e.type) };
  let outbox = await client.outbox(tag, options);
  const keys = [];
  for (let n = 0; n < 20; n += 1) keys.push((await outbox.send('posts?tag=' + tag, { json: { n } })).key);
  out.queued = await outbox.len();
  await until(() => events.includes('retrying'), 'a failed attempt');
  // As a reload: the outbox freed, then opened again on the same store.
  outbox.free();
  outbox = await client.outbox(tag, options);
  out.afterReopen = await outbox.len();
  out.sameKeys = JSON.stringify((await outbox.entries()).map((e) => e.key)) === JSON.stringify(keys);
  await get('faults/offline?scope=' + tag + '&seconds=0');
  await outbox.flush();
  await until(async () => (await outbox.len()) === 0, 'an empty outbox');
  const s = await get('stats?tag=' + tag);
  out.idempotency = [s.idempotency.keys_seen, s.idempotency.applied, s.idempotency.conflicts];
  const log = await get('idempotency/log?tag=' + tag);
  out.inOrder = log.applied.map((e) => JSON.parse(e.body).n).join() === [...Array(20).keys()].join();
  const bad = await outbox.send('status/422?tag=' + tag, { body: 'x' });
  out.final = (await bad.response()).status;
  out.failed = (await outbox.entries()).map((e) => [e.state, e.status]);
  out.removed = await outbox.remove(bad.id);
  const reason = (p) => p.then(() => 'stored', (e) => e.name + ':' + e.reason);
  const small = await client.outbox(tag + '-small', { maxBodySize: 4 });
  out.tooLarge = await reason(small.send('posts', { body: 'too long' }));
  const form = new FormData();
  form.append('a', 'b');
  out.unstorable = await reason(small.send('posts', { body: form }));
  out.badUrl = await reason(small.send('http://[::1', {}));
  out.empty = [await outbox.len(), await small.len()];
  small.free();
  outbox.free();
  return out;
}

const OUTBOX_EXPECTED = {
  store: 'indexeddb',
  queued: 20,
  afterReopen: 20,
  sameKeys: true,
  idempotency: [20, 20, 0],
  inOrder: true,
  final: 422,
  failed: [['failed', 422]],
  removed: true,
  tooLarge: 'OutboxError:too_large',
  unstorable: 'OutboxError:unstorable',
  badUrl: 'OutboxError:bad_url',
  empty: [0, 0],
};
