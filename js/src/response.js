// The JS side of a `FanoutResponse` (see "Response" in js/src/lib.rs), and
// the `json()`, `text()` and `bytes()` of a request's promise.
//
// A response is a plain JS object of this class: its status, URL, method
// and headers are read here, from the platform's `Response` or from what
// Rust passed, without a call into wasm. The only wasm object it holds is
// its unread body (a `FanoutBody`), which a reader takes and frees as it
// starts: a read response holds no wasm memory, so wasm memory does not
// grow with responses the garbage collector has not collected yet.
//
// `install` puts the exported (wasm-bindgen) `FanoutResponse` class's
// prototype behind this one, so `instanceof FanoutResponse` holds, and
// hands over the `FanoutBody` class, whose static methods answer for a
// body that is empty, read or freed.

let Body;

// The states of `#body` besides a `FanoutBody`: a response without a body
// (HEAD, 204, 304), a body taken by a reader, a response freed unread.
const EMPTY = undefined;
const USED = null;
const FREED = false;

export class FanoutResponse {
  #raw;
  #body;
  #status;
  #attempts;
  #method;
  #url;
  #statusText;
  #pairs;
  #headers;

  // `raw`: the platform's Response (undefined for one made in Rust);
  // `url`, `statusText`, `pairs` ([name, value] arrays): given only when
  // they can't be read from `raw` (the URL also for a response without a
  // body, whose `raw.url` may be empty).
  constructor(raw, body, status, attempts, method, url, statusText, pairs) {
    this.#raw = raw;
    this.#body = body;
    this.#status = status;
    this.#attempts = attempts;
    this.#method = method;
    this.#url = url;
    this.#statusText = statusText;
    this.#pairs = pairs;
  }

  get status() {
    return this.#status;
  }

  get ok() {
    return this.#status >= 200 && this.#status < 300;
  }

  get statusText() {
    return this.#raw ? this.#raw.statusText : this.#statusText;
  }

  get url() {
    if (this.#url === undefined) this.#url = this.#raw.url || (this.#body ? this.#body.requestUrl() : '');
    return this.#url;
  }

  get method() {
    return this.#method;
  }

  get attempts() {
    return this.#attempts;
  }

  get headers() {
    if (this.#headers === undefined) {
      this.#headers = Object.freeze(Object.fromEntries(this.#raw ? this.#raw.headers : this.#pairs));
    }
    return this.#headers;
  }

  header(name) {
    if (this.#raw) {
      try {
        return this.#raw.headers.get(name) ?? undefined;
      } catch {
        return undefined;
      }
    }
    const key = String(name).toLowerCase();
    const pair = this.#pairs.find(([n]) => n.toLowerCase() === key);
    return pair ? pair[1] : undefined;
  }

  get bodyUsed() {
    return this.#body === USED || this.#body === FREED;
  }

  json() {
    const b = this.#take(USED);
    return b ? b.json(this) : Body.none(this.#state(), 0, this);
  }

  text() {
    const b = this.#take(USED);
    return b ? b.text() : Body.none(this.#state(), 1, this);
  }

  bytes() {
    const b = this.#take(USED);
    return b ? b.bytes() : Body.none(this.#state(), 2, this);
  }

  lines() {
    const b = this.#take(USED);
    return b ? b.lines() : Body.none(this.#state(), 3, this);
  }

  jsonLines(options) {
    const onBadLine = Body.lineOptions(options, this);
    const b = this.#take(USED);
    return b ? b.jsonLines(onBadLine, this) : Body.none(this.#state(), 4, this);
  }

  // Gives an unread response's place under the client's limits back (and
  // aborts its fetch) now, rather than when the garbage collector frees it.
  free() {
    const b = this.#take(FREED);
    if (b) b.free();
  }

  // Takes the body out, leaving `to` (or the state it was in, if there was
  // no body to take). The URL is made first when only the body knows it.
  #take(to) {
    const b = this.#body;
    if (b) {
      if (this.#url === undefined && !this.#raw.url) this.#url = b.requestUrl();
      this.#body = to;
    }
    return b;
  }

  #state() {
    return this.#body === EMPTY ? 0 : this.#body === USED ? 1 : 2;
  }

  // For Rust (an `afterResponse` hook's result): `false` if `v` is not a
  // response of this class, else its body, taken (or `undefined` for none,
  // `null` when read or freed).
  static take(v) {
    if (!(typeof v === 'object' && v !== null && #body in v)) return false;
    const b = v.#take(USED);
    return b || (v.#body === EMPTY ? EMPTY : USED);
  }
}

if (Symbol.dispose) FanoutResponse.prototype[Symbol.dispose] = FanoutResponse.prototype.free;

// Node.js's `console.log(response)` and `util.inspect`: the fields are
// getters over private state, which it would not show.
FanoutResponse.prototype[Symbol.for('nodejs.util.inspect.custom')] = function (depth, options, inspect) {
  const { status, statusText, url, method, attempts, bodyUsed } = this;
  const fields = { status, statusText, url, method, attempts, bodyUsed };
  return `FanoutResponse ${typeof inspect === 'function' ? inspect(fields, options) : JSON.stringify(fields)}`;
};

export function install(proto, body) {
  Object.setPrototypeOf(FanoutResponse.prototype, proto);
  Object.defineProperty(FanoutResponse.prototype, 'constructor', {
    value: proto.constructor,
    writable: true,
    configurable: true,
  });
  Body = body;
}

export function takeBody(v) {
  return FanoutResponse.take(v);
}

// A request's promise (ky's `ResponsePromise`): `json()`, `text()` and
// `bytes()` await the response and call its reader, so
// `await client.get(u).json()` is the body. Own functions, not `this`-bound
// methods, so they work detached too.
export function responsePromise(p) {
  p.json = () => p.then((r) => read(r, 'json'));
  p.text = () => p.then((r) => read(r, 'text'));
  p.bytes = () => p.then((r) => read(r, 'bytes'));
}

// Works on whatever the promise resolved to that has the reader (a
// `FanoutResponse`, or a platform `Response` an `afterResponse` hook
// returned).
function read(r, name) {
  const f = r == null ? undefined : r[name];
  if (typeof f !== 'function') throw Body.noReader(name);
  return f.call(r);
}
