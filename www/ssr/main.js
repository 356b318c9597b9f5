// The server-rendered page's script: loads the wasm (built by
// `cargo xtask build` into www/ssr/pkg) and hydrates the page from its
// snapshot. The result is kept on window.__ssr for the e2e test.
import init, { hydrate, one_more } from './pkg/fanout_ssr.js';

const { api, tag } = document.body.dataset;
window.__ssr = init()
  .then(() => hydrate(api, tag))
  .then((report) => ({ report, oneMore: () => one_more(tag) }))
  .catch((e) => {
    document.getElementById('status').textContent = `hydration failed: ${e}`;
    return { error: String(e) };
  });
