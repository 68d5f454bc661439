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

test('the table of contents and in-article links keep the figures\' state', async ({ page }) => {
  await page.goto('/inference/?prefill-decode.batch=8');
  const toc = page.locator('nav.toc a');
  expect(await toc.count()).toBeGreaterThan(1);
  for (const href of await toc.evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
    expect(href.startsWith('#'), href).toBe(true);
  }
  const marker = await page.evaluate(() => (window.__sameDocument = Math.random()));
  await toc.nth(1).click();
  await expect(page).toHaveURL(/prefill-decode\.batch=8/);
  // Same document: the page was not reloaded.
  expect(await page.evaluate(() => window.__sameDocument)).toBe(marker);
});

test('the 404 page is styled and its links work at any depth', async ({ page }) => {
  const w = watch(page);
  const response = await page.goto('/kv-cache/typo/deeper/');
  expect(response.status()).toBe(404);
  await expect(page.locator('h1')).toHaveText('Page not found');
  // Styled: the site stylesheet applied (the logo is icon-sized, not page-wide).
  const logo = await page.locator('.brand-mark').boundingBox();
  expect(logo.width).toBeLessThan(64);
  await page.getByRole('link', { name: 'home page' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('.site-header')).toBeVisible();
  // The 404 itself is the one expected failure (its response and the browser's note of it).
  const rest = w.problems.filter((p) => !p.startsWith('HTTP 404') && !p.includes('status of 404'));
  expect(rest).toEqual([]);
});

test('the embed guide shows this site\'s address and a Copy button for each snippet', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/embed/');
  const site = new URL('/', page.url()).href;
  const first = page.locator('.prose pre').first();
  await expect(first).toContainText(`${site}embed.js`);
  await expect(page.locator('.prose')).not.toContainText('<this site>');
  const blocks = await page.locator('.prose pre').count();
  await expect(page.getByRole('button', { name: 'Copy this code' })).toHaveCount(blocks);
  await page.getByRole('button', { name: 'Copy this code' }).first().click();
  await expect(page.getByRole('button', { name: 'Copy this code' }).first()).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain(`${site}embed.js`);
});

const ARTICLES = ['fundamentals', 'weights', 'kv-cache', 'attention', 'inference', 'training', 'hardware', 'agent-memory', 'advanced'];

test('every article carries at least three figures and two exercises whose answers open on demand', async ({ page }) => {
  for (const slug of ARTICLES) {
    await page.goto(`/${slug}/`);
    await allWidgetsMounted(page);
    expect(await page.locator('[data-llmem-widget]').count(), slug).toBeGreaterThanOrEqual(3);
    const exercises = page.locator('details.exercise');
    expect(await exercises.count(), slug).toBeGreaterThanOrEqual(2);
    const first = exercises.first();
    const answer = first.locator('p').first();
    await expect(answer).toBeHidden();
    // Opened from the keyboard: the question is the <summary>, a real control.
    await first.locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(answer).toBeVisible();
    // Answers are computed when the site is built: no shortcode is left unexpanded.
    await expect(answer).not.toContainText('{{');
  }
});

test('search finds a glossary term and an article section, and fetches its index only when used', async ({ page }) => {
  const w = watch(page);
  const fetched = [];
  page.on('request', (r) => fetched.push(r.url()));
  await page.goto('/kv-cache/');
  const box = page.getByRole('searchbox', { name: 'Search the articles and the glossary' });
  await expect(box).toBeVisible();
  expect(fetched.some((u) => u.includes('search-index.json'))).toBe(false);
  await box.fill('PagedAttention');
  const results = page.locator('#site-search-results');
  await expect(results.getByRole('link', { name: /^Glossary › PagedAttention/ })).toBeVisible();
  await expect(results.locator('a[href*="inference/#pagedattention"]')).toBeVisible();
  expect(fetched.some((u) => u.includes('search-index.json'))).toBe(true);
  await expect(page.locator('#site-search-status')).toContainText('results');
  // Figures are in the index as the page shows them.
  await box.fill('ZeRO stages');
  await expect(results.locator('a[href*="training/#zero-stages-1-to-3"]')).toBeVisible();
  // Keyboard: down into the results, Enter follows the link.
  await box.press('ArrowDown');
  await expect(results.locator('a').first()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/training\/#zero-stages-1-to-3$/);
  // Escape clears; nonsense finds nothing and says so.
  await page.getByRole('searchbox', { name: 'Search the articles and the glossary' }).fill('qwertyuiop');
  await expect(page.locator('#site-search-results')).toContainText('Nothing found');
  w.assertClean();
});
