// Issue 10's JS features, run the same way in Chromium (tests/e2e/js-api.test.mjs:
// a page and a module worker, through the web build) and in Firefox
// (js/tests/api.rs, a wasm-bindgen test of the same exports): hooks (order,
// async, retry(), a replaced response, a throw, beforeError), dedupe (20
// identical GETs, one request at the server) and auth (one refresh for
// 10 401s, no token to another origin), and (issue 22) client.websocket.
// Plain script: `featuresProbe(fanout, api, tag)` resolves to an object
// that must deep-equal `FEATURES_EXPECTED`.
// `api` ends with '/'; `fanout` has `Client` and `retry`.
async function featuresProbe({ Client, retry }, api, tag) {
  const out = {};
  const log = [];
  const hooked = new Client({
    baseUrl: api,
    retry: { limit: 2, backoffMs: 1 },
    hooks: {
      beforeRequest: [async (request) => { await null; log.push('client'); request.headers.set('x-hook', 'c'); }],
      beforeError: (e) => Object.assign(e, { seenByHook: true }),
    },
  });
  const echo = await hooked.get('echo', { hooks: { beforeRequest: () => { log.push('request'); } } }).json();
  out.order = log.join(',');
  out.header = echo.headers['x-hook'];
  const key = tag + '-flaky';
  const retried = await hooked.get('flaky/' + key + '?status=202', {
    hooks: { afterResponse: async (request, options, response) => ((await response.json()).attempt === 1 ? retry() : undefined) },
  });
  out.retried = [retried.status, retried.attempts, (await retried.json()).ok];
  const replaced = await hooked.get('status/404', {
    hooks: { afterResponse: () => new Response('{"r":1}', { status: 200 }) },
  }).json();
  out.replaced = replaced.r;
  const boom = new Error('boom');
  try { await hooked.get('posts/1', { hooks: { beforeRequest: () => { throw boom; } } }); } catch (e) { out.thrownIsSame = e === boom; }
  try { await hooked.get('status/404', { retry: false }); } catch (e) { out.beforeError = [e.name, e instanceof Error, e.seenByHook, e.data.status]; }

  const dedupe = new Client({ baseUrl: api, dedupe: true });
  const bodies = await Promise.all(Array.from({ length: 20 }, () => dedupe.get('posts/4?delay=50&tag=' + tag).json()));
  out.deduped = bodies.filter((b) => b.id === 4).length;

  const authKey = tag + '-auth';
  let refreshes = 0;
  const authed = new Client({
    baseUrl: api,
    retry: false,
    auth: { token: 'stale', refresh: async () => { refreshes += 1; return (await fetch(api + 'auth/' + authKey + '/token', { method: 'POST' })).text(); } },
  });
  const all = await Promise.all(Array.from({ length: 10 }, (_, i) => authed.get('auth/' + authKey + '/data?i=' + i).json()));
  out.auth = [all.filter((r) => r.ok).length, refreshes];
  const otherOrigin = api.replace('127.0.0.1', 'localhost');
  const away = await authed.get(otherOrigin + 'echo').json();
  out.awayAuthorization = away.headers.authorization ?? null;
  const stats = await (await fetch(api + 'stats?tag=' + encodeURIComponent(tag))).json();
  out.dedupedRequests = stats.requests;
  out.websocket = await websocketProbe(Client, api, tag + '-ws');
  return out;
}

// Issue 22: client.websocket in this context: an echo of bytes, 200
// messages in order across 5 server drops (each next burst sent while it
// reconnects), and the typed errors; what the server counted.
async function websocketProbe(Client, api, tag) {
  const client = new Client({ baseUrl: api });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (f) => {
    const end = Date.now() + 15000;
    while (!f()) {
      if (Date.now() > end) throw new Error('websocketProbe: timed out');
      await sleep(5);
    }
  };
  const ws = client.websocket('ws/echo?tag=' + tag, { reconnect: { limit: 10, backoffMs: 30, maxBackoffMs: 300 } });
  const got = [];
  const reading = (async () => {
    for await (const m of ws) {
      got.push(m.text());
      if (got.length === 200) break;
    }
  })();
  const sends = [];
  for (let burst = 0; burst < 6; burst += 1) {
    const from = Math.floor((burst * 200) / 6);
    const to = Math.floor(((burst + 1) * 200) / 6);
    if (burst > 0) {
      await ws.send('!drop');
      await until(() => ws.state !== 'open');
    }
    for (let i = from; i < to; i += 1) sends.push(ws.send(i + ':p'));
    await until(() => got.length >= to);
  }
  await reading;
  await Promise.all(sends);
  const bin = client.websocket('ws/echo');
  await bin.send(new Uint8Array([1, 2, 3]));
  const b = (await bin.next()).value;
  bin.close();
  const late = await bin.send('late').catch((e) => e.name);
  const refused = await client.websocket('ws/refuse').next().then(() => 'opened', (e) => e.name);
  let bad = 'none';
  try {
    client.websocket('ftp://x/');
  } catch (e) {
    bad = e.name;
  }
  const s = (await (await fetch(api + 'stats?tag=' + encodeURIComponent(tag))).json()).ws;
  return {
    inOrder: got.length === 200 && got.every((t, i) => t === i + ':p'),
    reconnects: ws.reconnects,
    bytes: Array.from(b.bytes()),
    isText: b.isText,
    late,
    refused,
    bad,
    server: [s.messages_in, s.unique, s.duplicates, s.connections, s.drops],
  };
}

// eslint-disable-next-line no-unused-vars
const FEATURES_EXPECTED = {
  order: 'client,request',
  header: 'c',
  retried: [200, 2, true],
  replaced: 1,
  thrownIsSame: true,
  beforeError: ['HTTPError', true, true, 404],
  deduped: 20,
  auth: [10, 1],
  awayAuthorization: null,
  dedupedRequests: 1,
  websocket: {
    inOrder: true,
    reconnects: 5,
    bytes: [1, 2, 3],
    isText: false,
    late: 'ClosedError',
    refused: 'ConnectError',
    bad: 'TypeError',
    server: [200, 200, 0, 6, 5],
  },
};
