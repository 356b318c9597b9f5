// The code blocks of README.md's "From JavaScript" section, each marked `<!-- snippet: NAME KIND -->` (KIND `file=PATH`: the
// file contains the block), for
// the tests that run them: tests/js/docs.test.mjs (Node.js, files) and
// tests/e2e/js-api.test.mjs (browser, worker).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The address the docs use for the dev server. */
export const DOCS_API = 'http://127.0.0.1:8080/';

/** Where the docs live. */
export function docsPath() {
  return `${ROOT}README.md`;
}

/**
 * Every fenced block of the docs' "From JavaScript" section:
 * `{ name, kind, file, lang, code }`, from the marker line before it (name
 * and kind are undefined for an unmarked block).
 */
export function blocks() {
  const text = readFileSync(docsPath(), 'utf8');
  const start = text.indexOf('## From JavaScript');
  if (start < 0) throw new Error(`${docsPath()} has no "From JavaScript" section`);
  const rest = text.slice(start);
  const next = rest.slice(3).search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next + 3);
  const out = [];
  const fence = /(?:<!-- snippet: ([\w-]+) (\S+) -->\n)?```(\w*)\n([\s\S]*?)\n```/g;
  for (const m of section.matchAll(fence)) {
    const [, name, marker, lang, code] = m;
    const file = marker?.startsWith('file=') ? marker.slice(5) : undefined;
    out.push({ name, kind: file ? 'file' : marker, file, lang, code: `${code}\n` });
  }
  return out;
}

/** The marked snippet called `name`. */
export function snippet(name) {
  const found = blocks().find((b) => b.name === name);
  if (!found) throw new Error(`no snippet ${name} in ${docsPath()}`);
  return found;
}

/** The code with the docs' dev server address replaced by `api`. */
export function withApi(code, api) {
  return code.replaceAll(DOCS_API, `${api.replace(/\/$/, '')}/`);
}
