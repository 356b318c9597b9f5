// Issue 10's JS features, run the same way in Chromium (tests/e2e/js-api.test.mjs:
// a page and a module worker, through the web build) and in Firefox
// (js/tests/api.rs, a wasm-bindgen test of the same exports): hooks (order,
// async, retry(), a replaced response, a throw, beforeError), dedupe (20
// identical GETs, one request at the server) and auth (one refresh for
// 10 401s, no token to another origin). Plain script: `featuresProbe(fanout,
// api, tag)` resolves to an object that must deep-equal `FEATURES_EXPECTED`.
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
  return out;
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
};
