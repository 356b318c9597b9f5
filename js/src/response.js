// The JS side of a `FanoutResponse` (see js/src/response.rs), and
// the `json()`, `text()` and `bytes()` of a request's promise.
//
// A response is a plain JS object whose prototype is the exported
// (wasm-bindgen) `FanoutResponse` class's, with the getters and methods
// below installed on it (`install`): `instanceof`, `constructor`, the
// `.d.ts` and spying on `FanoutResponse.prototype` all see one class. Its
// status, URL, method and headers are read here, from the platform's
// `Response` or from what Rust passed, without a call into wasm. The only
// wasm object it holds is its unread body (a `FanoutBody`), which a reader
// takes and frees as it starts: a read response holds no wasm memory, so
// wasm memory does not grow with responses the garbage collector has not
// collected yet.
//
// The state is under symbol keys, not `#private` fields, so that a
// response wrapped in a `Proxy` (Vue's `reactive`, for one) still works.

let Body;

const RAW = Symbol('raw');
const BODY = Symbol('body');
const STATUS = Symbol('status');
const ATTEMPTS = Symbol('attempts');
const METHOD = Symbol('method');
const URL_ = Symbol('url');
const STATUS_TEXT = Symbol('statusText');
const PAIRS = Symbol('pairs');
const HEADERS = Symbol('headers');

// The states of `[BODY]` besides a `FanoutBody`: a response without a body
// (HEAD, 204, 304), a body taken by a reader, a response freed unread.
const EMPTY = undefined;
const USED = null;
const FREED = false;

// The numbers Rust reads: why a response has no body to hand over
// (`BodyState` in js/src/response.rs), and which reader was called
// (`Reader` there). A Rust test holds these tables equal to its enums.
const STATE = Object.freeze({ EMPTY: 0, USED: 1, FREED: 2, FOREIGN: 3 });
const READER = Object.freeze({ JSON: 0, TEXT: 1, BYTES: 2, LINES: 3, JSON_LINES: 4 });

// `raw`: the platform's Response (undefined for one made in Rust);
// `url`, `statusText`, `pairs` ([name, value] arrays): given only when
// they can't be read from `raw` (the URL also for a response without a
// body, whose `raw.url` may be empty). Its prototype is set by `install`.
export function ResponseObject(raw, body, status, attempts, method, url, statusText, pairs) {
  this[RAW] = raw;
  this[BODY] = body;
  this[STATUS] = status;
  this[ATTEMPTS] = attempts;
  this[METHOD] = method;
  this[URL_] = url;
  this[STATUS_TEXT] = statusText;
  this[PAIRS] = pairs;
  this[HEADERS] = undefined;
}

// Takes the body out, leaving `to` (or the state it was in, if there was
// no body to take). The URL is made first when only the body knows it.
function take(r, to) {
  const b = r[BODY];
  if (b) {
    if (r[URL_] === undefined && !r[RAW].url) r[URL_] = b.requestUrl();
    r[BODY] = to;
  }
  return b;
}

function state(r) {
  const b = r[BODY];
  return b === EMPTY ? STATE.EMPTY : b === USED ? STATE.USED : STATE.FREED;
}

// The getters and methods of every response.
const methods = {
  get status() {
    return this[STATUS];
  },

  get ok() {
    return this[STATUS] >= 200 && this[STATUS] < 300;
  },

  get statusText() {
    return this[RAW] ? this[RAW].statusText : this[STATUS_TEXT];
  },

  get url() {
    if (this[URL_] === undefined) {
      const b = this[BODY];
      this[URL_] = this[RAW].url || (b ? b.requestUrl() : '');
    }
    return this[URL_];
  },

  get method() {
    return this[METHOD];
  },

  get attempts() {
    return this[ATTEMPTS];
  },

  get headers() {
    if (this[HEADERS] === undefined) {
      this[HEADERS] = Object.freeze(Object.fromEntries(this[RAW] ? this[RAW].headers : this[PAIRS]));
    }
    return this[HEADERS];
  },

  header(name) {
    const raw = this[RAW];
    if (raw) {
      try {
        return raw.headers.get(name) ?? undefined;
      } catch {
        return undefined;
      }
    }
    // ASCII case-insensitive, as header names are.
    const key = String(name).replace(/[A-Z]/g, (c) => c.toLowerCase());
    const pair = this[PAIRS].find(([n]) => n.replace(/[A-Z]/g, (c) => c.toLowerCase()) === key);
    return pair ? pair[1] : undefined;
  },

  get bodyUsed() {
    return this[BODY] === USED || this[BODY] === FREED;
  },

  json() {
    const b = take(this, USED);
    return b ? b.json(this) : Body.none(state(this), READER.JSON, this);
  },

  text() {
    const b = take(this, USED);
    return b ? b.text() : Body.none(state(this), READER.TEXT, this);
  },

  bytes() {
    const b = take(this, USED);
    return b ? b.bytes() : Body.none(state(this), READER.BYTES, this);
  },

  lines() {
    const b = take(this, USED);
    return b ? b.lines() : Body.none(state(this), READER.LINES, this);
  },

  jsonLines(options) {
    const onBadLine = Body.lineOptions(options, this);
    const b = take(this, USED);
    return b ? b.jsonLines(onBadLine, this) : Body.none(state(this), READER.JSON_LINES, this);
  },

  // Gives an unread response's place under the client's limits back (and
  // aborts its fetch) now, rather than when the garbage collector frees it.
  // Its body, if any, can't be read after.
  free() {
    if (!(BODY in this)) return;
    const b = take(this, FREED);
    if (b) b.free();
    else if (this[BODY] === EMPTY) this[BODY] = FREED;
  },
};

// Node.js's `console.log(response)` and `util.inspect`: the fields are
// getters, which it would not show.
function inspect(depth, options, inspectValue) {
  if (!(BODY in this)) return 'FanoutResponse {}';
  const { status, statusText, url, method, attempts, bodyUsed } = this;
  const fields = { status, statusText, url, method, attempts, bodyUsed };
  return `FanoutResponse ${typeof inspectValue === 'function' ? inspectValue(fields, options) : JSON.stringify(fields)}`;
}

// Puts the getters and methods on the exported class's prototype (its
// wasm-bindgen `free` is replaced) and hands over the `FanoutBody` class,
// whose static methods answer for a body that is empty, read or freed.
export function install(proto, body) {
  const own = Object.getOwnPropertyDescriptors(methods);
  for (const key of Object.keys(own)) {
    own[key].enumerable = false;
  }
  Object.defineProperties(proto, own);
  if (Symbol.dispose) {
    Object.defineProperty(proto, Symbol.dispose, {
      value: methods.free,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
  Object.defineProperty(proto, Symbol.for('nodejs.util.inspect.custom'), {
    value: inspect,
    writable: true,
    configurable: true,
  });
  ResponseObject.prototype = proto;
  Body = body;
}

// For Rust (an `afterResponse` hook's result): the body of response `v`,
// taken (a `FanoutBody`), else a `STATE` (`FOREIGN` if `v` is not a
// response).
export function takeBody(v) {
  if (!(typeof v === 'object' && v !== null && BODY in v)) return STATE.FOREIGN;
  return take(v, USED) || state(v);
}

// A request's promise (ky's `ResponsePromise`): `json()`, `text()` and
// `bytes()` await the response and call its reader, so
// `await client.get(u).json()` is the body. Own functions, not `this`-bound
// methods, so they work detached too.
//
// `wanted` (from Rust): the `Accept` that `json()` or `text()` asks for is
// left there, for a request not yet sent (ky's `Accept` for its shortcuts).
export function responsePromise(p, wanted) {
  p.json = () => {
    if (wanted.accept === undefined) wanted.accept = 'application/json';
    return p.then((r) => read(r, 'json'));
  };
  p.text = () => {
    if (wanted.accept === undefined) wanted.accept = 'text/*';
    return p.then((r) => read(r, 'text'));
  };
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
