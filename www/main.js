// Loads the wasm module and wires the forms to it. Rust renders everything
// the page shows about a run (see www/src/: lib.rs lists its modules); this
// file only reads the controls, calls `run` / `compare` / `stop` and
// `startLive` / `stopLive`, `startOffline` / `postComment` / `setOffline`,
// and reports errors that Rust hands back in the
// status lines.
import init, { run, compare, stop, startLive, stopLive, startOffline, postComment, setOffline, startLiveSocket, liveSocketSend, liveSocketDrop } from './pkg/fanout.js';

const $ = (id) => document.getElementById(id);
const form = $('controls');
const status = $('status');
const api = $('api');
const buttons = { run: $('run'), compare: $('compare-button'), stop: $('stop') };
const live = { form: $('live-controls'), status: $('live-status'), start: $('live-start'), stop: $('live-stop') };

const params = new URLSearchParams(location.search);
api.value = params.get('api') || location.origin;

const messageOf = (err) => (err && typeof err === 'object' && 'message' in err ? err.message : String(err));

function showError(prefix, err) {
  status.textContent = `${prefix}: ${messageOf(err)}`;
  status.className = 'status error';
  $('progress').hidden = true;
}

const number = (id) => $(id).valueAsNumber;

/** The form's values as the options object `run` and `compare` take. */
function options() {
  return {
    api: api.value.trim(),
    count: number('count'),
    limit: number('limit'),
    delayMs: number('delay'),
    failRate: number('fail-rate'),
    retries: $('retries').checked,
    failFast: $('fail-fast').checked,
    dedupe: $('dedupe').checked,
  };
}

/** The Live panel's values as the options object `startLive` takes. */
function liveOptions() {
  return {
    api: api.value.trim(),
    count: number('live-count'),
    intervalMs: number('live-interval'),
    dropAfter: number('live-drop'),
  };
}

/** Keeps `?api=` in the address in step with the field, for reloads and links. */
function rememberApi() {
  const url = new URL(location.href);
  const value = api.value.trim();
  if (value && value.replace(/\/$/, '') !== location.origin) url.searchParams.set('api', value);
  else url.searchParams.delete('api');
  if (url.href !== location.href) history.replaceState(null, '', url);
}

// A new run supersedes the one in flight (Rust aborts it); only the latest
// run's end re-enables the controls.
let latest = 0;
async function start(entry) {
  const token = ++latest;
  buttons.stop.disabled = false;
  try {
    await entry(options());
  } catch (err) {
    if (token === latest) showError('Could not run', err);
  } finally {
    if (token === latest) buttons.stop.disabled = true;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  rememberApi();
  start(run);
});
buttons.compare.addEventListener('click', () => {
  if (!form.reportValidity()) return;
  rememberApi();
  start(compare);
});
buttons.stop.addEventListener('click', () => stop());

// The Live panel: a new Start stops the run in progress (Rust does that);
// only the latest run's end disables Stop.
let latestLive = 0;
async function startLiveRun() {
  const token = ++latestLive;
  live.stop.disabled = false;
  try {
    await startLive(liveOptions());
  } catch (err) {
    if (token === latestLive) {
      live.status.textContent = `Could not start: ${messageOf(err)}`;
      live.status.className = 'status error';
    }
  } finally {
    if (token === latestLive) live.stop.disabled = true;
  }
}
live.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!api.reportValidity()) return;
  rememberApi();
  startLiveRun();
});
live.stop.addEventListener('click', () => stopLive());

// The "Offline writes" panel: Rust draws it; errors go to its status line.
const offline = { form: $('offline-controls'), status: $('offline-status'), text: $('offline-text'), toggle: $('offline-switch') };
function offlineError(err) {
  offline.status.textContent = `Error: ${messageOf(err)}`;
  offline.status.className = 'status error';
}
offline.form.addEventListener('submit', (event) => {
  event.preventDefault();
  postComment(offline.text.value).catch(offlineError);
});
offline.toggle.addEventListener('change', () => {
  setOffline(offline.toggle.checked).catch(offlineError);
});

try {
  await init();
} catch (err) {
  buttons.run.disabled = true;
  buttons.compare.disabled = true;
  live.start.disabled = true;
  showError('Could not load the WebAssembly module (build it with `cargo xtask build`)', err);
}
if (!buttons.run.disabled) {
  startOffline({ api: api.value.trim() })
    .then((refusing) => { offline.toggle.checked = refusing; })
    .catch(offlineError);
  start(run);
}

// The Live panel's WebSocket: opened once the module is loaded.
const wsStatus = $('ws-status');
function wsError(err) {
  wsStatus.textContent = `Error: ${messageOf(err)}`;
}
if (!buttons.run.disabled) startLiveSocket(api.value.trim()).catch(wsError);
$('ws-form').addEventListener('submit', (event) => {
  event.preventDefault();
  try {
    liveSocketSend($('ws-text').value);
  } catch (err) {
    wsError(err);
  }
});
$('ws-drop').addEventListener('click', () => {
  try {
    liveSocketDrop();
  } catch (err) {
    wsError(err);
  }
});
