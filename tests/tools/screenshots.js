// Screenshots of pages at 1280 and 375 px, light and dark, for looking at
// what we build: `cargo xtask shots [path…]` → target/screenshots/*.png.
import { chromium } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

const base = process.env.LLMEM_SITE;
const out = process.env.LLMEM_SHOTS_DIR || path.resolve('../target/screenshots');
const pages = process.argv.slice(2).length ? process.argv.slice(2) : ['/', '/kv-cache/'];
fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
for (const scheme of ['light', 'dark']) {
  for (const width of [1280, 375]) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    for (const p of pages) {
      await page.goto(base + p, { waitUntil: 'networkidle' });
      const slots = page.locator('[data-llmem-widget]');
      for (let i = 0; i < (await slots.count()); i++) await slots.nth(i).locator('.llmem-widget').waitFor();
      // LLMEM_SHOTS_OPEN=formula: every "Show the formula" panel open.
      if (process.env.LLMEM_SHOTS_OPEN === 'formula') {
        const panels = page.locator('details.lw-formula summary');
        for (let i = 0; i < (await panels.count()); i++) await panels.nth(i).click();
      }
      await page.waitForTimeout(200);
      const name = `${(p.replace(/\//g, '_').replace(/^_|_$/g, '') || 'home').replace(/[?&=.]/g, '-')}-${width}-${scheme}.png`;
      await page.screenshot({ path: path.join(out, name), fullPage: true });
      console.log(path.join(out, name));
      // Each widget on its own, at full resolution, for a close look.
      for (let i = 0; i < (await slots.count()); i++) {
        const id = await slots.nth(i).getAttribute('data-llmem-widget');
        const wname = name.replace('.png', `-widget-${id}-${i}.png`);
        await slots.nth(i).screenshot({ path: path.join(out, wname) });
        console.log(path.join(out, wname));
      }
    }
    await context.close();
  }
}
await browser.close();
