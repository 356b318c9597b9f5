// Shared helpers of the JS API suite: the `nodejs` build of the package and
// the dev server (FANOUT_TEST_API, e.g. http://127.0.0.1:8080).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package as Node.js loads it: `pkg/nodejs` (CommonJS). */
export const fanout = require('../../pkg/nodejs/fanout.js');

/** The dev server, without a trailing slash. */
export const API = (process.env.FANOUT_TEST_API || 'http://127.0.0.1:8080').replace(/\/$/, '');

/** A port nothing listens on: connecting is refused at once. */
export const REFUSED = 'http://127.0.0.1:9/';

let counter = 0;

/** A tag no other test (or test process) uses, for `/stats?tag=`. */
export function uniqueTag(name) {
  counter += 1;
  return `js-${name}-${process.pid}-${Date.now()}-${counter}`;
}

/** The dev server's statistics of one tag. */
export async function stats(tag) {
  const res = await fetch(`${API}/stats?tag=${encodeURIComponent(tag)}`);
  if (!res.ok) throw new Error(`/stats answered ${res.status}`);
  return res.json();
}

/** Waits until the server has seen every request of `tag` finish. */
export async function settled(tag, { timeoutMs = 3000 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await stats(tag);
    if (s.in_flight === 0 || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Awaits `promise` and returns what it rejected with (fails if it resolved). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Runs `f` and returns what it threw (fails if it returned). */
export function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}
