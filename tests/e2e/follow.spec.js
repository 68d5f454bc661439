// Numbers in the prose that follow a figure (CONTENT.md, `follow=`): at the
// article's setting each equals its figure's headline; when the reader
// changes the figure, the number follows, with a cue and a way back.
import { test, expect } from '@playwright/test';
import { watch, widget, allWidgetsMounted } from './helpers.js';

const ARTICLES = ['/weights/', '/kv-cache/', '/attention/', '/inference/', '/training/', '/hardware/'];

for (const path of ARTICLES) {
  test(`${path}: every following number is its figure's headline`, async ({ page }) => {
    const w = watch(page);
    await page.goto(path);
    await allWidgetsMounted(page);
    const spans = page.locator('span[data-follow]');
    const n = await spans.count();
    expect(n, 'at least one number follows a figure').toBeGreaterThan(0);
    for (let i = 0; i < n; i++) {
      const span = spans.nth(i);
      const id = await span.getAttribute('data-follow');
      const article = await span.getAttribute('data-article');
      // The figure's own formula result, computed in the browser, is the
      // number the build computed for the article's setting.
      await expect(widget(page, id).locator('.lw-formula-result')).toHaveText(article);
      await expect(span).toHaveText(article);
      await expect(span).not.toHaveClass(/lw-followed/);
    }
    w.assertClean();
  });
}

test('a number follows the KV cache figure, and the link goes back', async ({ page }) => {
  const w = watch(page);
  await page.goto('/kv-cache/');
  const span = page.locator('span[data-follow="kv-cache"]').first();
  await expect(span).toHaveText('1.07 GB');
  const kv = widget(page, 'kv-cache');
  await kv.getByLabel('Batch size').fill('4');
  // 4 × 1,073,741,824 B.
  await expect(span).toHaveText('4.29 GB');
  await expect(span).toHaveClass(/lw-followed/);
  await expect(span).toHaveAttribute('title', /at the article's setting this reads 1\.07 GB/);
  const back = page.locator('a.lw-follow-back').first();
  await expect(back).toHaveAccessibleName(/Back to the article's setting, where this reads 1\.07 GB/);
  // The link drops the figure's settings from the URL (written after a short quiet).
  await expect(page).toHaveURL(/kv-cache\.batch=4/);
  await expect(back).not.toHaveAttribute('href', /kv-cache\.batch/);
  await back.click();
  await expect(page).not.toHaveURL(/kv-cache\.batch/);
  await expect(page.locator('span[data-follow="kv-cache"]').first()).toHaveText('1.07 GB');
  await expect(page.locator('span[data-follow="kv-cache"]').first()).not.toHaveClass(/lw-followed/);
  await expect(page.locator('a.lw-follow-back')).toHaveCount(0);
  w.assertClean();
});

test('a number loaded with a changed figure is marked at once', async ({ page }) => {
  await page.goto('/weights/?weights.format=q4_k_m');
  const span = page.locator('span[data-follow="weights"]').first();
  await expect(span).toHaveClass(/lw-followed/);
  await expect(span).toHaveText(await widget(page, 'weights').locator('.lw-formula-result').textContent());
});
