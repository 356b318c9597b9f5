// Loads the wasm module and hands control to Rust, which renders the page.
import init, { renderTitles } from './pkg/fanout.js';

const params = new URLSearchParams(location.search);
const api = params.get('api') || location.origin;

await init();
await renderTitles(api, 100);
