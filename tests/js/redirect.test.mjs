// Issue 13, item 5: where a client's default headers and its auth token go
// when the base origin redirects to another origin. The dev server is two
// origins at once (127.0.0.1 and localhost, same port); its /redirect may
// send a request to the other one, and /echo says which headers arrived.
//
// What fanout promises (see ClientBuilder::default_header and the README):
// it attaches default headers and the token only to requests for the base
// origin, and refuses a request for another origin while default headers
// exist. A redirect is followed by the platform (`redirect: 'follow'`), and
// the Fetch standard then drops `Authorization` on a cross-origin redirect
// but forwards every other header, default headers included. Setting
// `redirect: 'error'` (or 'manual') keeps every header at home.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { API, fanout, rejection, stats, uniqueTag } from './support.mjs';

const { Client } = fanout;

/** The same server under its other name: another origin. */
const ALT = (process.env.FANOUT_TEST_API_ALT || API.replace('127.0.0.1', 'localhost')).replace(/\/$/, '');

function client(extra = {}) {
  return new Client({
    baseUrl: API,
    retry: false,
    headers: { 'x-api-key': 'default-secret' },
    auth: { token: 'tok-1', refresh: () => 'tok-2' },
    ...extra,
  });
}

const to = (url) => `redirect?to=${encodeURIComponent(url)}`;

test('the two origins are one server', async () => {
  assert.notEqual(new URL(ALT).origin, new URL(API).origin);
  const r = await fetch(`${ALT}/posts/1`);
  assert.equal(r.status, 200);
});

test('same-origin redirect: default headers and the token follow', async () => {
  const tag = uniqueTag('redirect-same');
  const res = await client().get(to(`/echo?tag=${tag}`));
  const body = await res.json();
  assert.equal(body.headers['x-api-key'], 'default-secret');
  assert.equal(body.headers.authorization, 'Bearer tok-1');
  assert.equal((await stats(tag)).requests, 1);
});

test('a request for another origin is refused while default headers exist', async () => {
  const tag = uniqueTag('redirect-direct');
  const e = await rejection(client().get(`${ALT}/echo?tag=${tag}`));
  assert.equal(e.name, 'TypeError');
  assert.match(e.message, /refusing to send the client's default headers to another origin/);
  assert.equal((await stats(tag)).requests, 0);
});

test("cross-origin redirect with redirect: 'follow': the platform drops Authorization, forwards other headers", async () => {
  const tag = uniqueTag('redirect-cross');
  const res = await client().get(to(`${ALT}/echo?tag=${tag}`));
  assert.equal(res.status, 200);
  const body = await res.json();
  // What arrived at the other origin.
  assert.equal(body.headers.host, new URL(ALT).host);
  assert.equal(body.headers.authorization, undefined, 'the token stayed home');
  assert.equal(body.headers['x-api-key'], 'default-secret', 'a default header was forwarded (documented)');
  const s = await stats(tag);
  assert.equal(s.requests, 1);
  assert.deepEqual(Object.keys(s.peak_in_flight_by_host), [new URL(ALT).host]);
});

test("redirect: 'error' keeps every header at home: nothing reaches the other origin", async () => {
  for (const c of [client({ redirect: 'error' }), client()]) {
    const tag = uniqueTag('redirect-error');
    const e = await rejection(c.get(to(`${ALT}/echo?tag=${tag}`) + `&tag=${tag}`, { redirect: 'error' }));
    assert.equal(e.name, 'NetworkError');
    const s = await stats(tag);
    assert.equal(s.requests, 1, 'only the redirecting request');
    assert.deepEqual(Object.keys(s.peak_in_flight_by_host), [new URL(API).host]);
  }
});
