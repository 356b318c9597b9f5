// Shared helpers for the end-to-end tests: playwright-core (from tools/)
// driving Debian's Chromium, headless, against the dev server that
// `cargo xtask test` starts (its address is in FANOUT_TEST_API).
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
const { chromium } = require('playwright-core');

/** The dev server, e.g. http://127.0.0.1:8080 (no trailing slash). */
export const API = (process.env.FANOUT_TEST_API || 'http://127.0.0.1:8080').replace(/\/$/, '');

/** Where screenshots and other artifacts go. */
export const ARTIFACTS = process.env.FANOUT_E2E_ARTIFACTS || 'target/e2e';

/** Chromium's executable: CHROMIUM env, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * Chromium's flags: as root it needs --no-sandbox; the networking flags stop
 * it from calling out on a machine with no internet. Shared with the bench.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Chromium with a fresh profile. As root Chromium needs
 * --no-sandbox; the networking flags stop it from calling out on a machine
 * with no internet. Returns { browser, close }.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'fanout-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under ARTIFACTS and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
