// 03 · KV cache growth, driven through its real controls. Expected figures
// are the estimator's, hand-checked: Llama 3.1 8B holds 2 (K, V) × 32 layers
// × 8 KV heads × 128 × 2 bytes = 131,072 bytes per token in bf16.
import { test, expect } from '@playwright/test';
import { watch, widget, result } from './helpers.js';

test.describe('kv-cache widget', () => {
  test('default state and keyboard control of context and batch', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/');
    const kv = widget(page, 'kv-cache');
    // 8K tokens × 131,072 B = 1,073,741,824 B.
    await expect(result(kv)).toContainText('1.07 GB');
    await expect(result(kv)).toContainText('7% of the weights (16.1 GB in bf16)');
    const ctx = kv.getByLabel('Context length');
    await ctx.focus();
    await page.keyboard.press('ArrowRight'); // 8K → 12K: 1,610,612,736 B
    await expect(result(kv)).toContainText('1.61 GB');
    await expect(ctx).toHaveAttribute('aria-valuetext', '12K tokens');
    await page.keyboard.press('End'); // 128K: 17,179,869,184 B
    await expect(result(kv)).toContainText('17.2 GB');
    const batch = kv.getByLabel('Batch size');
    await batch.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight'); // batch 4: 68,719,476,736 B
    await expect(result(kv)).toContainText('68.7 GB');
    await expect(batch).toHaveAttribute('aria-valuetext', '4 sequences');
    w.assertClean();
  });

  test('attention designs, dtype and sliding windows', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/');
    const kv = widget(page, 'kv-cache');
    await kv.getByRole('radio', { name: 'MHA' }).check(); // 32 KV heads: 4,294,967,296 B
    await expect(result(kv)).toContainText('4.29 GB');
    await kv.getByRole('radio', { name: 'MQA' }).check(); // 1 KV head: 134,217,728 B
    await expect(result(kv)).toContainText('134 MB');
    await kv.getByRole('radio', { name: 'MLA' }).check(); // (512 + 64) × 32 × 2 × 8192 = 301,989,888 B
    await expect(result(kv)).toContainText('302 MB');
    await kv.getByRole('radio', { name: 'As built' }).check();
    await kv.getByLabel('Cache dtype').selectOption('fp8'); // half of bf16: 536,870,912 B
    await expect(result(kv)).toContainText('537 MB');
    await kv.getByLabel('Cache dtype').selectOption('bf16');
    await kv.getByLabel('Model', { exact: true }).selectOption('mistral-7b-v0.1');
    const ctx = kv.getByLabel('Context length');
    await ctx.focus();
    await page.keyboard.press('End'); // every layer capped at the 4,096-token window: 536,870,912 B
    await expect(result(kv)).toContainText('537 MB');
    await expect(result(kv)).toContainText('32 layers use a sliding window');
    w.assertClean();
  });

  test('units switch to GiB across the widget', async ({ page }) => {
    await page.goto('/kv-cache/');
    const kv = widget(page, 'kv-cache');
    await kv.getByLabel('GiB').check();
    await expect(result(kv)).toContainText('1.00 GiB');
    await kv.getByLabel('GB', { exact: true }).check();
    await expect(result(kv)).toContainText('1.07 GB');
  });

  test('state comes from the URL and is written back without new history entries', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/?kv-cache.context=32768&kv-cache.batch=2');
    const kv = widget(page, 'kv-cache');
    // 32,768 × 2 × 131,072 = 8,589,934,592 B.
    await expect(result(kv)).toContainText('8.59 GB');
    const before = await page.evaluate(() => history.length);
    // Bring the control into view first: the test is that *our* update does not scroll.
    await kv.getByRole('radio', { name: 'MQA' }).scrollIntoViewIfNeeded();
    const scrollBefore = await page.evaluate(() => window.scrollY);
    await kv.getByRole('radio', { name: 'MQA' }).check();
    await expect(page).toHaveURL(/kv-cache\.attention=mqa/);
    await expect(page).toHaveURL(/kv-cache\.context=32768/);
    expect(await page.evaluate(() => history.length)).toBe(before);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    // A reload restores the state from the URL.
    await page.reload();
    await expect(result(widget(page, 'kv-cache'))).toContainText('1.07 GB');
    w.assertClean();
  });

  test('a log scale for curves decades apart, kept in the URL', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/?kv-cache.model=deepseek-v3');
    const kv = widget(page, 'kv-cache');
    const canvas = kv.locator('canvas');
    await expect(canvas).toBeVisible();
    const linear = await canvas.evaluate((c) => c.toDataURL());
    await kv.getByRole('radio', { name: 'Log' }).check();
    await expect(page).toHaveURL(/kv-cache\.scale=log/);
    // The chart is redrawn on the other scale.
    await expect.poll(() => canvas.evaluate((c) => c.toDataURL())).not.toBe(linear);
    await page.reload();
    await expect(widget(page, 'kv-cache').getByRole('radio', { name: 'Log' })).toBeChecked();
    w.assertClean();
  });

  test('invalid parameters fall back to defaults, shown as text', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/?kv-cache.context=-5&kv-cache.model=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&kv-cache.batch=NaN');
    const kv = widget(page, 'kv-cache');
    await expect(result(kv)).toContainText('1.07 GB');
    await expect(kv.locator('.lw-note')).toContainText('not valid');
    await expect(kv.locator('img')).toHaveCount(0);
    w.assertClean();
  });
});
