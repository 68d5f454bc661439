// "Show the formula": each figure's panel writes the formula behind its
// headline number, with the current values substituted, and its result is
// the headline itself (the estimator's tests check the same equality for
// every preset; these check the page shows it and follows the figure).
import { test, expect } from '@playwright/test';
import { watch, widget } from './helpers.js';

/** Opens the widget's formula panel and returns it. */
async function openFormula(w) {
  const panel = w.locator('details.lw-formula');
  await panel.locator('summary').click();
  await expect(panel).toHaveAttribute('open', '');
  return panel;
}

/** The panel's result equals the start of the widget's headline. */
async function expectResultIsHeadline(w, panel, text) {
  await expect(panel.locator('.lw-formula-result')).toHaveText(text);
  const headline = (await w.locator('.lw-big').first().innerText()).trim();
  expect(headline.startsWith(text), `headline “${headline}” starts with “${text}”`).toBe(true);
}

const CASES = [
  {
    id: 'kv-cache',
    url: '/embed/kv-cache/?model=llama-3.1-8b&context=8192',
    // 2 × 32 × 8 × 128 × 8,192 × 1 × 2 = 1,073,741,824 B.
    symbolic: 'KV cache = 2 × L × H_kv × d_h × s × b × β',
    substituted: '= 2 × 32 × 8 × 128 × 8,192 × 1 × 2',
    result: '1.07 GB',
  },
  {
    id: 'kv-cache',
    url: '/embed/kv-cache/?model=gemma-3-27b&context=32768',
    // (10 × 32,768 + 52 × 1,024) × 2 × 16 × 128 × 2 = 3,120,562,176 B.
    symbolic: 'KV cache = (L_full × s + L_win × min(s, W)) × 2 × H_kv × d_h × b × β',
    substituted: '= (10 × 32,768 + 52 × min(32,768, 1,024)) × 2 × 16 × 128 × 1 × 2',
    result: '3.12 GB',
  },
  {
    id: 'weights',
    url: '/embed/weights/?model=llama-3.1-8b&format=bf16',
    symbolic: 'Weights = P × β',
    substituted: '= 8,030,261,248 × 2',
    result: '16.1 GB',
  },
  {
    id: 'attention-matrix',
    url: '/embed/attention-matrix/?context=8192',
    // 1 × 32 × 8,192² × 2 = 4,294,967,296 B.
    symbolic: 'Scores S, one layer = b × h × n × n × β',
    substituted: '= 1 × 32 × 8,192 × 8,192 × 2',
    result: '4.29 GB',
  },
  {
    id: 'hierarchy',
    url: '/embed/hierarchy/?device=h100-sxm&model=llama-3.1-8b&tier=hbm',
    // 16,060,522,496 B / 3.35 TB/s = 4.79 ms.
    symbolic: 'Time to read once = W / B',
    substituted: '= 16.1 GB / 3.35 TB/s',
    result: '4.79 ms',
  },
  {
    id: 'quant-block',
    url: '/embed/quant-block/?format=q4_k',
    // (16 + 16 + 96 + 1024) bits / 256 weights.
    symbolic: 'Bits per weight = (d + dmin + scales + qs) / w',
    substituted: '= (16 bits + 16 bits + 96 bits + 1024 bits) / 256',
    result: '4.5 bits',
  },
];

for (const c of CASES) {
  test(`${c.id}: the formula gives the headline (${c.url})`, async ({ page }) => {
    const w0 = watch(page);
    await page.goto(c.url);
    const w = widget(page, c.id);
    const panel = await openFormula(w);
    const lines = panel.locator('.lw-formula-math code');
    await expect(lines.nth(0)).toHaveText(c.symbolic);
    await expect(lines.nth(1)).toHaveText(c.substituted);
    await expectResultIsHeadline(w, panel, c.result);
    // Every symbol is named, and the source is cited.
    await expect(panel.locator('.lw-formula-symbols dt').first()).toBeVisible();
    await expect(panel.locator('.lw-formula-source')).toContainText('Source: ');
    w0.assertClean();
  });
}

test('an open panel follows the figure and the units', async ({ page }) => {
  await page.goto('/embed/kv-cache/?model=llama-3.1-8b&context=8192');
  const w = widget(page, 'kv-cache');
  const panel = await openFormula(w);
  await w.getByLabel('Batch size').fill('4');
  await expect(panel.locator('.lw-formula-math code').nth(1)).toHaveText('= 2 × 32 × 8 × 128 × 8,192 × 4 × 2');
  await expectResultIsHeadline(w, panel, '4.29 GB');
  await w.getByRole('radio', { name: 'MQA' }).check();
  await expectResultIsHeadline(w, panel, '537 MB');
  await w.getByRole('radio', { name: 'GiB' }).check();
  await expectResultIsHeadline(w, panel, '512 MiB');
  // Closed by keyboard, opened again by keyboard.
  await panel.locator('summary').focus();
  await page.keyboard.press('Enter');
  await expect(panel).not.toHaveAttribute('open', '');
  await page.keyboard.press('Enter');
  await expect(panel.locator('.lw-formula-result')).toHaveText('512 MiB');
});
