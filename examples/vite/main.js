import { Client } from 'fanout';

// The dev server's address; `?api=URL` points the page at another one.
const api = new URLSearchParams(location.search).get('api') ?? 'http://127.0.0.1:8080/';
const client = new Client({ baseUrl: api, timeoutMs: 10_000 });

const status = document.querySelector('#status');
const list = document.querySelector('#titles');

const results = await client.gather(
  Array.from({ length: 10 }, (_, i) => `posts/${i + 1}`),
  { limit: 4, onProgress: ({ done, total }) => (status.textContent = `${done}/${total}`) },
);
for (const r of results) {
  const li = document.createElement('li');
  li.textContent = r.ok ? r.value.title : `failed: ${r.error.name} ${r.error.message}`;
  list.append(li);
}
status.textContent = `Fetched ${results.filter((r) => r.ok).length} of ${results.length} posts`;
