// Accessibility: axe-core on every page and embed in light and dark (no
// serious or critical violation, colour contrast AA included), and a
// keyboard-only walk that reaches and operates every control of every widget.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { allWidgetsMounted, sitePages, watch } from './helpers.js';
import { CATALOG } from './widget-ids.js';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Every page of the site plus every iframe embed page. */
const PAGES = sitePages();

for (const scheme of ['light', 'dark']) {
  test(`axe: no serious or critical violation on any page (${scheme})`, async ({ browser }) => {
    test.setTimeout(300_000);
    // axe is injected as a script, which the site's CSP forbids: this
    // context alone bypasses it.
    const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme });
    const page = await context.newPage();
    const report = [];
    for (const p of PAGES) {
      await page.goto(p);
      await allWidgetsMounted(page);
      await page.addScriptTag({ content: AXE });
      const result = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} — ${n.failureSummary}`),
        }));
      });
      for (const v of result) report.push({ page: p, ...v });
    }
    // Serious and critical, and a skipped heading level (moderate for axe,
    // but a screen reader's outline of the page depends on it).
    const bad = report.filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order');
    const minor = report.filter((v) => !bad.includes(v));
    if (minor.length) console.log(`axe (${scheme}), minor or moderate:\n${minor.map((v) => `${v.page} ${v.id}: ${v.help}`).join('\n')}`);
    expect(bad, bad.map((v) => `${v.page} ${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.join('\n  ')}`).join('\n')).toEqual([]);
    await context.close();
  });
}

/** Pages holding every widget once: their articles (and the calculator). */
const WIDGET_PAGES = [...new Set(CATALOG.widgets.map((w) => `/${w.article}/`))];

for (const p of WIDGET_PAGES) {
  test(`keyboard only: every control on ${p} is reached and operated`, async ({ page }) => {
    test.setTimeout(120_000);
    const w = watch(page);
    await page.goto(p);
    await allWidgetsMounted(page);
    // Focus starts at the top of the document.
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    const operated = [];
    for (let i = 0; i < 600; i++) {
      await page.keyboard.press('Tab');
      const info = await page.evaluate(() => {
        let a = document.activeElement;
        let host = null;
        while (a && a.shadowRoot && a.shadowRoot.activeElement) {
          host = a;
          a = a.shadowRoot.activeElement;
        }
        if (!a || a === document.body) return { done: true };
        if (!host) return { outside: true };
        // Markup rewritten after the control was reached (a live answer
        // redrawn when the units change) is recognised by what it was.
        (window.__reachedAs ||= new Set()).add(host.getAttribute('data-llmem-widget') + a.outerHTML);
        a.setAttribute('data-kbd-reached', '');
        // A radio group is one tab stop; its other buttons are reached with the arrows.
        if (a.type === 'radio') {
          for (const r of host.shadowRoot.querySelectorAll(`input[type=radio][name="${a.name}"]`)) r.setAttribute('data-kbd-reached', '');
        }
        // Note which events the next key press fires on this control (for a
        // radio button, on any button of its group: the arrow moves the choice).
        window.__fired = [];
        const root = host.shadowRoot;
        if (window.__listening !== root) {
          window.__listening = root;
          for (const type of ['click', 'input', 'change']) {
            root.addEventListener(type, (e) => {
              const t = e.target;
              const c = window.__control;
              if (t === c || (c && c.type === 'radio' && t.type === 'radio' && t.name === c.name)) window.__fired.push(type);
            }, true);
          }
        }
        window.__control = a;
        const max = a.max === undefined ? null : Number(a.max);
        return {
          widget: host.getAttribute('data-llmem-widget'),
          tag: a.tagName.toLowerCase(),
          type: a.type || '',
          label: a.getAttribute('aria-label') || (a.labels && a.labels[0] && a.labels[0].textContent.trim()) || a.textContent.trim().slice(0, 40),
          atMax: a.type === 'range' && Number(a.value) >= max,
          lastOption: a.tagName === 'SELECT' && a.selectedIndex === a.options.length - 1,
          inPanel: !!a.closest('.lw-embed-panel'),
        };
      });
      if (info.done) break;
      if (info.outside || info.inPanel) continue;
      let key = null;
      if (info.tag === 'input' && info.type === 'range') key = info.atMax ? 'ArrowLeft' : 'ArrowRight';
      else if (info.tag === 'select') key = info.lastOption ? 'ArrowUp' : 'ArrowDown';
      else if (info.tag === 'input' && info.type === 'radio') key = 'ArrowRight';
      else if (info.tag === 'input' && info.type === 'checkbox') key = 'Space';
      else if (info.tag === 'button') key = 'Enter';
      if (!key) continue; // text boxes and the file picker: reached, typed into by the reader
      await page.keyboard.press(key);
      // A choice in a menu may add controls once a lazily fetched module has
      // answered (the calculator's engine section and its Copy button): let
      // the widget settle (100 ms without a change) before tabbing on.
      if (info.tag === 'select') {
        await page.evaluate(async (id) => {
          const root = document.querySelector(`[data-llmem-widget="${id}"]`)?.shadowRoot;
          if (!root) return;
          await new Promise((resolve) => {
            let timer = setTimeout(done, 100);
            const observer = new MutationObserver(() => {
              clearTimeout(timer);
              timer = setTimeout(done, 100);
            });
            const limit = setTimeout(done, 3000);
            function done() {
              observer.disconnect();
              clearTimeout(limit);
              resolve();
            }
            observer.observe(root, { childList: true, subtree: true, characterData: true });
          });
        }, info.widget);
      }
      const fired = await page.evaluate(() => window.__fired);
      expect(fired.length, `${p} ${info.widget}: ${key} on ${info.tag}[${info.type}] “${info.label}” did nothing`).toBeGreaterThan(0);
      operated.push(`${info.widget}: ${info.tag}${info.type ? `[${info.type}]` : ''} ${info.label}`);
      // The Embed panel opened by Enter is closed again the same way.
      if (info.tag === 'button' && info.label === 'Embed') await page.keyboard.press('Enter');
    }
    // Every enabled, visible control in every widget was reached.
    const missed = await page.evaluate(() => {
      const out = [];
      for (const host of document.querySelectorAll('[data-llmem-widget]')) {
        for (const c of host.shadowRoot.querySelectorAll('input, select, button, textarea')) {
          const visible = c.getClientRects().length > 0 && getComputedStyle(c).visibility !== 'hidden';
          if (c.disabled || !visible || c.closest('[hidden]')) continue;
          const seen = window.__reachedAs && window.__reachedAs.has(host.getAttribute('data-llmem-widget') + c.outerHTML);
          if (!c.hasAttribute('data-kbd-reached') && !seen) out.push(`${host.getAttribute('data-llmem-widget')}: ${c.outerHTML.slice(0, 120)}`);
        }
      }
      return out;
    });
    expect(missed, `not reachable by Tab:\n${missed.join('\n')}`).toEqual([]);
    expect(operated.length).toBeGreaterThan(0);
    console.log(`${p}: operated ${operated.length} controls by keyboard`);
    w.assertClean();
  });
}
