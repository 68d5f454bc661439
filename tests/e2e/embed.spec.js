// Embedding in someone else's page, from another origin: three widgets the
// script way and two the iframe way in tests/fixtures/blog, served by a
// second server (LLMEM_HOST). The host's links, history and styles must be
// untouched, the widgets independent, the frames must report their height,
// and one embedded widget must cost the host at most 150 KiB gzip.
import { test, expect } from '@playwright/test';
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { watch, result } from './helpers.js';
import { WIDGET_IDS } from './widget-ids.js';

const HOST = process.env.LLMEM_HOST;
const SITE = process.env.LLMEM_SITE;

function hostWidget(page, id) {
  return page.locator(`#${id}`).locator('.llmem-widget').filter({ visible: true });
}

test('script embeds work, stay independent and leave the host alone', async ({ page }) => {
  const w = watch(page);
  await page.goto(`${HOST}/blog/`);
  const urlBefore = page.url();
  const historyBefore = await page.evaluate(() => history.length);
  const kvA = hostWidget(page, 'kv-a');
  const kvB = hostWidget(page, 'kv-b');
  // 32,768 × 131,072 B, and 8,192 × 131,072 × 2 B.
  await expect(result(kvA)).toContainText('4.29 GB');
  await expect(result(kvB)).toContainText('2.15 GB');
  await expect(result(hostWidget(page, 'weights'))).toContainText('4.91 GB');

  // Independent: moving one widget's batch leaves the other as it was.
  const batchA = kvA.getByLabel('Batch size');
  await batchA.focus();
  await page.keyboard.press('ArrowRight');
  await expect(result(kvA)).toContainText('8.59 GB');
  await expect(result(kvB)).toContainText('2.15 GB');

  // The host's URL and history are untouched.
  expect(page.url()).toBe(urlBefore);
  expect(await page.evaluate(() => history.length)).toBe(historyBefore);

  // Host styles unchanged, and the host's bare-element styles do not reach inside.
  const style = (sel, prop) => page.locator(sel).evaluate((el, p) => getComputedStyle(el)[p], prop);
  expect(await style('h1', 'color')).toBe('rgb(128, 0, 0)');
  expect(await style('#intro', 'marginTop')).toBe('18px');
  expect(await style('#intro', 'lineHeight')).toBe('30px');
  expect(await style('#intro', 'fontFamily')).toContain('Georgia');
  expect(await style('body', 'backgroundColor')).toBe('rgb(255, 250, 240)');
  expect(await style('#host-link', 'color')).toBe('rgb(0, 100, 0)');
  const innerSelect = kvA.getByLabel('Model', { exact: true });
  expect(await innerSelect.evaluate((el) => getComputedStyle(el).fontSize)).not.toBe('30px');
  const innerFont = await kvA.evaluate((el) => getComputedStyle(el).fontFamily);
  expect(innerFont).not.toContain('Georgia');

  // Nothing global but one frozen, namespaced object.
  const globals = await page.evaluate(() => {
    const probe = document.createElement('iframe');
    document.body.append(probe);
    const clean = new Set(Object.getOwnPropertyNames(probe.contentWindow));
    probe.remove();
    // Numeric keys are the page's own iframes (window[0], window[1]), not globals.
    return Object.getOwnPropertyNames(window).filter((k) => !clean.has(k) && !/^\d+$/.test(k));
  });
  expect(globals).toEqual(['llmem']);
  expect(await page.evaluate(() => Object.isFrozen(window.llmem) && typeof window.llmem.mount)).toBe('function');

  // A host link still navigates normally.
  await page.locator('#host-link').click();
  await expect(page).toHaveURL(/second\.html$/);
  w.assertClean();
});

test('placeholders added later mount through window.llmem.mount()', async ({ page }) => {
  const w = watch(page);
  await page.goto(`${HOST}/blog/`);
  await expect(result(hostWidget(page, 'kv-a'))).toContainText('4.29 GB');
  await page.evaluate(() => {
    const d = document.createElement('div');
    d.id = 'late';
    d.setAttribute('data-llmem-widget', 'weights');
    d.setAttribute('data-model', 'gpt2');
    document.body.append(d);
    return window.llmem.mount();
  });
  // GPT-2 in bf16: 124,439,808 × 2 B.
  await expect(result(hostWidget(page, 'late'))).toContainText('249 MB');
  w.assertClean();
});

test('iframe embeds report their height and follow the theme parameter', async ({ page }) => {
  const w = watch(page);
  await page.goto(`${HOST}/blog/`);
  const paging = page.frameLocator('#frame-paging');
  // Block 16: the four requests take 6 blocks; 2 free blocks remain.
  await expect(paging.locator('.lw-result')).toContainText('room for 2 more');
  const ctx = page.frameLocator('#frame-ctx');
  await expect(ctx.locator('.llmem-widget')).toHaveAttribute('data-theme', 'dark');
  await expect(ctx.locator('.lw-result')).toContainText('4,096-token window');
  // The host's few lines of script sized each frame from its height message.
  await expect
    .poll(async () => parseInt(await page.locator('#frame-paging').evaluate((f) => f.style.height), 10) || 0)
    .toBeGreaterThan(400);
  const frameHeight = await page.locator('#frame-paging').evaluate((f) => f.getBoundingClientRect().height);
  const contentHeight = await paging.locator('html').evaluate((el) => el.scrollHeight);
  expect(Math.abs(frameHeight - contentHeight)).toBeLessThanOrEqual(2);
  // A link back to the full article, opening in a new tab.
  await expect(paging.locator('.frame-credit a')).toHaveAttribute('target', '_blank');
  w.assertClean();
});

test('one embedded widget costs the host at most 150 KiB gzip', async ({ page }) => {
  test.setTimeout(180_000);
  const rows = [];
  for (const id of WIDGET_IDS) {
    // Each URL once: the stylesheet linked again inside the shadow root comes from the cache.
    const bodies = new Map();
    const onResponse = async (res) => {
      if (!res.url().startsWith(SITE) || bodies.has(res.url())) return;
      try {
        bodies.set(res.url(), await res.body());
      } catch {
        /* no body */
      }
    };
    page.on('response', onResponse);
    await page.goto(`${HOST}/blog/one.html?w=${id}`, { waitUntil: 'networkidle' });
    await expect(page.locator('#slot .llmem-widget')).toBeVisible();
    await page.waitForLoadState('networkidle');
    page.off('response', onResponse);
    const gz = [...bodies.values()].reduce((n, b) => n + zlib.gzipSync(b, { level: 9 }).length, 0);
    rows.push({ widget: id, requests: bodies.size, gzip: gz });
  }
  const dir = process.env.LLMEM_REPORT_DIR || path.resolve('../target/e2e');
  fs.mkdirSync(dir, { recursive: true });
  const lines = rows.map((r) => `${r.widget.padEnd(18)} ${String(r.requests).padStart(2)} requests ${(r.gzip / 1024).toFixed(1).padStart(7)} KiB gzip`);
  fs.writeFileSync(path.join(dir, 'embed-weights.txt'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
  for (const r of rows) expect(r.gzip, `${r.widget}: ${r.gzip} bytes`).toBeLessThanOrEqual(150 * 1024);
});

test('a script embed from a server without CORS keeps the author\'s fallback', async ({ page }) => {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${HOST}/blog/nocors.html`);
  await page.waitForLoadState('networkidle');
  const slot = page.locator('#slot');
  // Nothing mounted, nothing collapsed: the link the author wrote is still there to follow.
  await expect(slot.getByRole('link', { name: /KV cache growth/ })).toBeVisible();
  expect((await slot.boundingBox()).height).toBeGreaterThan(10);
  await expect(slot).not.toHaveAttribute('data-llmem-mounted', '');
  // The browser says why (the module script was refused for want of the header).
  expect(errors.length).toBeGreaterThan(0);
});
