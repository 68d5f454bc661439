// Shared helpers: page inventory, a watcher that fails a test on any console
// error, page error or failed request, and widget lookup.
import { expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.resolve(here, '../../dist');

/** Every page of the built site, as URL paths ('/', '/kv-cache/', …). */
export function sitePages() {
  const out = [];
  const walk = (dir, prefix) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.name === 'index.html') out.push(prefix);
    }
  };
  walk(DIST, '/');
  return out.sort();
}

/** Records problems on a page; call `assertClean()` at the end of a test. */
export function watch(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A navigation (reload, link) cancels requests still in flight: not a failure of the site.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return {
    problems,
    assertClean() {
      expect(problems, problems.join('\n')).toEqual([]);
    },
  };
}

/**
 * The mounted widget in the placeholder for `id` (the first, or the nth),
 * once it is visible. A widget is mounted hidden and revealed when its
 * shadow root's stylesheet has applied; until then its controls cannot take
 * focus, so a `focus()` followed by a key press would be lost.
 */
export function widget(page, id, nth = 0) {
  return page.locator(`[data-llmem-widget="${id}"]`).nth(nth).locator('.llmem-widget').filter({ visible: true });
}

/** Waits until every placeholder on the page holds a mounted widget. */
export async function allWidgetsMounted(page) {
  const slots = page.locator('[data-llmem-widget]');
  const n = await slots.count();
  for (let i = 0; i < n; i++) {
    await expect(slots.nth(i).locator('.llmem-widget')).toBeVisible();
  }
  return n;
}

/** The polite live region of a widget (its main result). */
export function result(w) {
  return w.locator('.lw-result');
}
