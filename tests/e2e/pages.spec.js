// Every page opens by its deep link from a plain static server, with no
// console error and no failed request; its structure is sound and every
// widget on it mounts.
import { test, expect } from '@playwright/test';
import { sitePages, watch, allWidgetsMounted } from './helpers.js';

for (const path of sitePages()) {
  test(`page ${path} loads cleanly`, async ({ page }) => {
    const w = watch(page);
    const response = await page.goto(path);
    expect(response.status()).toBe(200);
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page.locator('main')).toHaveCount(1);
    await expect(page).toHaveTitle(/llmem/);
    await allWidgetsMounted(page);
    // Every image has a text alternative or is marked decorative.
    for (const img of await page.locator('img').all()) {
      expect(await img.getAttribute('alt')).not.toBeNull();
    }
    w.assertClean();
  });
}

test('unknown paths get the not-found page with status 404', async ({ page }) => {
  const response = await page.goto('/no-such-topic/');
  expect(response.status()).toBe(404);
  await expect(page.locator('h1')).toHaveText('Page not found');
});

test('home lists nine topics in two domains, each card one link', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('.domain')).toHaveCount(2);
  const cards = page.locator('.card');
  await expect(cards).toHaveCount(9);
  await expect(page.locator('.legend li')).toHaveCount(5);
  for (let i = 0; i < 9; i++) {
    await expect(cards.nth(i).locator('a')).toHaveCount(1);
  }
  // Clicking anywhere on a card (not just its title) opens the article.
  await cards.nth(2).scrollIntoViewIfNeeded();
  const box = await cards.nth(2).boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height - 12);
  await expect(page).toHaveURL(/\/kv-cache\/$/);
});

test('keyboard: skip link, then tab through the topic cards', async ({ page }) => {
  await page.goto('/');
  await page.keyboard.press('Tab');
  await expect(page.locator('.skip-link')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  // The first Tab stops inside main (the intro's links, then the cards),
  // never back in the header.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.querySelector('main').contains(document.activeElement))).toBe(true);
  for (let i = 0; i < 10; i++) {
    if (await page.evaluate(() => document.activeElement.classList.contains('card-link'))) break;
    await page.keyboard.press('Tab');
  }
  await expect(page.locator('.card-link').first()).toBeFocused();
});
