// The llmem benchmarks, run by `cargo xtask bench` (add `--quick` for the
// short run CI does to prove the harness works). Headless Chromium on
// localhost measures, against the release build:
//   - the gzip and brotli size of everything each page loads;
//   - first contentful paint and time to a working widget (home, the
//     heaviest article, one script embed on another origin);
//   - for every slider of every widget, input-to-settled latency over many
//     moves, and the chart redraw time;
//   - long tasks during a continuous 5-second drag;
//   - the same latency for a hand-written plain-JavaScript KV cache widget
//     (bench/baseline/), and ours / baseline.
// Environment: LLMEM_SITE (dist/ served with its headers), LLMEM_HOST
// (tests/ served on a second origin), CHROMIUM, LLMEM_BENCH_QUICK,
// LLMEM_REPORT_DIR. Writes results.json and results.md there.
import { chromium } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(here, '../../dist');
const SITE = process.env.LLMEM_SITE;
const HOST = process.env.LLMEM_HOST;
const QUICK = process.env.LLMEM_BENCH_QUICK === '1';
const OUT = process.env.LLMEM_REPORT_DIR || path.resolve(here, '../../target/bench');

const MOVES = QUICK ? 20 : 200;
const LOAD_RUNS = QUICK ? 1 : 7;
const DRAG_SECONDS = QUICK ? 1 : 5;

const ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function pages() {
  const out = [];
  const walk = (dir, prefix) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.name === 'index.html') out.push(prefix);
    }
  };
  walk(DIST, '/');
  return out.sort();
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}
const kib = (n) => (n / 1024).toFixed(1);
const ms = (n) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '—');

/** Waits until every widget placeholder shows a result, and records when. */
const READY_PROBE = () => {
  window.__ready = null;
  const check = () => {
    const slots = document.querySelectorAll('[data-llmem-widget]');
    if (!slots.length) return;
    for (const s of slots) {
      // Working: the result is shown and the widget's stylesheet has applied
      // (until then the widget is hidden and its controls cannot take focus).
      const r = s.shadowRoot && s.shadowRoot.querySelector('.lw-result');
      if (!r || !r.textContent.trim() || r.closest('.lw-root').style.visibility === 'hidden') return;
    }
    window.__ready = performance.now();
    clearInterval(timer);
  };
  const timer = setInterval(check, 2);
};

async function sizes(browser) {
  const rows = [];
  for (const p of QUICK ? ['/', '/kv-cache/', '/embed/kv-cache/'] : pages()) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const bodies = [];
    page.on('response', async (res) => {
      try {
        bodies.push(await res.body());
      } catch {
        /* redirects */
      }
    });
    await page.addInitScript(READY_PROBE);
    await page.goto(SITE + p, { waitUntil: 'networkidle' });
    await page.waitForFunction(() => window.__ready !== null || !document.querySelector('[data-llmem-widget]'));
    let raw = 0;
    let gz = 0;
    let br = 0;
    for (const b of bodies) {
      raw += b.length;
      gz += zlib.gzipSync(b, { level: 9 }).length;
      br += zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    }
    rows.push({ page: p, requests: bodies.length, raw, gzip: gz, brotli: br });
    await context.close();
  }
  return rows;
}

async function loadTimes(browser, heaviest) {
  const targets = [
    ['home', SITE + '/'],
    [`heaviest article (${heaviest})`, SITE + heaviest],
    ['script embed (KV cache, other origin)', `${HOST}/fixtures/blog/one.html?w=kv-cache`],
  ];
  const rows = [];
  for (const [name, url] of targets) {
    const fcp = [];
    const ready = [];
    for (let i = 0; i < LOAD_RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(READY_PROBE);
      await page.goto(url, { waitUntil: 'load' });
      const hasWidgets = await page.evaluate(() => !!document.querySelector('[data-llmem-widget]'));
      if (hasWidgets) await page.waitForFunction(() => window.__ready !== null, null, { timeout: 30_000 });
      await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 10_000 });
      const t = await page.evaluate(() => ({
        fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
        ready: window.__ready,
      }));
      fcp.push(t.fcp);
      if (hasWidgets) ready.push(t.ready);
      await context.close();
    }
    rows.push({ name, url: url.replace(SITE, '').replace(HOST, '(host)'), fcp: median(fcp), ready: ready.length ? median(ready) : null, runs: LOAD_RUNS });
  }
  return rows;
}

/** In the page: moves a range input `n` times, timing each move until every task and microtask it queued has run. */
async function moveSlider({ sel, n, trace }) {
  const [hostSel, inner] = sel;
  const root = hostSel ? document.querySelector(hostSel).shadowRoot : document;
  const range = root.querySelectorAll('input[type=range]')[inner];
  const min = Number(range.min);
  const max = Number(range.max);
  let v = Number(range.value);
  let dir = v >= max ? -1 : 1;
  const latency = [];
  const redraw = [];
  const nextTask = () => new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = r;
    ch.port2.postMessage(0);
  });
  for (let i = 0; i < n; i++) {
    if (v + dir > max || v + dir < min) dir = -dir;
    v += dir;
    range.value = String(v);
    window.__canvasFirst = null;
    window.__canvasLast = null;
    const t0 = performance.now();
    range.dispatchEvent(new Event('input', { bubbles: true }));
    await nextTask();
    latency.push(performance.now() - t0);
    if (trace && window.__canvasFirst !== null) redraw.push(window.__canvasLast - window.__canvasFirst);
    // Let the browser render between moves, as it does during a drag.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  }
  return { latency, redraw };
}

/** In the page: times every canvas call, to measure how long a redraw takes. */
function traceCanvas() {
  if (window.__traced) return;
  window.__traced = true;
  const mark = () => {
    const t = performance.now();
    if (window.__canvasFirst === null || window.__canvasFirst === undefined) window.__canvasFirst = t;
    window.__canvasLast = t;
  };
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (typeof d.value !== 'function' || name === 'constructor') continue;
    const f = d.value;
    proto[name] = function (...a) {
      mark();
      const r = f.apply(this, a);
      mark();
      return r;
    };
  }
  const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (...a) {
    mark();
    return get.apply(this, a);
  };
}

/** Every slider of every widget on `url`: [label, selector] pairs. */
async function slidersOf(page) {
  return page.evaluate(() => {
    const out = [];
    document.querySelectorAll('[data-llmem-widget]').forEach((host, h) => {
      host.setAttribute('data-bench-id', String(h));
      host.shadowRoot.querySelectorAll('input[type=range]').forEach((r, i) => {
        if (r.disabled || Number(r.max) <= Number(r.min)) return;
        const label = (r.labels && r.labels[0] && r.labels[0].textContent.trim()) || `slider ${i}`;
        out.push({ widget: host.getAttribute('data-llmem-widget'), label, sel: [`[data-bench-id="${h}"]`, i] });
      });
    });
    return out;
  });
}

async function sliderLatency(browser) {
  const rows = [];
  const articles = QUICK ? ['/kv-cache/'] : [...new Set(pages().filter((p) => !p.startsWith('/embed') && p !== '/' && p !== '/glossary/'))];
  for (const p of articles) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(READY_PROBE);
    await page.goto(SITE + p);
    await page.waitForFunction(() => window.__ready !== null || !document.querySelector('[data-llmem-widget]'));
    const sliders = await slidersOf(page);
    for (const s of sliders) {
      if (QUICK && s.widget !== 'kv-cache') continue;
      const { latency } = await page.evaluate(moveSlider, { sel: s.sel, n: MOVES, trace: false });
      await page.evaluate(traceCanvas);
      const { redraw } = await page.evaluate(moveSlider, { sel: s.sel, n: Math.min(MOVES, 50), trace: true });
      rows.push({ page: p, widget: s.widget, slider: s.label, moves: latency.length, p50: median(latency), p95: quantile(latency, 0.95), redraw: redraw.length ? median(redraw) : null });
    }
    await context.close();
  }
  return rows;
}

/** Drags a slider's thumb from end to end and back for `seconds`, counting long tasks. */
async function drag(browser, url, locate) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(READY_PROBE);
  await page.goto(url);
  await page.waitForFunction(() => window.__ready !== null || window.kvBaseline);
  const range = await locate(page);
  await range.scrollIntoViewIfNeeded();
  const box = await range.boundingBox();
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 2, y);
  await page.mouse.down();
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < DRAG_SECONDS * 1000) {
    const phase = (i % 120) / 60; // 0..2: there and back every 2 s
    const f = phase <= 1 ? phase : 2 - phase;
    await page.mouse.move(box.x + 2 + f * (box.width - 4), y);
    await page.waitForTimeout(16);
    i++;
  }
  await page.mouse.up();
  await page.waitForTimeout(200);
  const long = await page.evaluate(() => window.__long);
  await context.close();
  return { moves: i, longTasks: long.length, longest: long.length ? Math.max(...long) : 0 };
}

async function drags(browser) {
  const rows = [];
  const widgets = JSON.parse(fs.readFileSync(path.join(DIST, 'embed/widgets.json'), 'utf8')).widgets;
  for (const w of widgets) {
    if (QUICK && w.id !== 'kv-cache') continue;
    const url = `${SITE}/${w.article}/`;
    const hasSlider = async (page) => page.locator(`[data-llmem-widget="${w.id}"]`).first().locator('input[type=range]:not([disabled])').first();
    // Widgets driven by menus and buttons only have nothing to drag.
    const sliders = await (async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(READY_PROBE);
      await page.goto(url);
      await page.waitForFunction(() => window.__ready !== null);
      const n = await (await hasSlider(page)).count();
      await context.close();
      return n;
    })();
    if (!sliders) {
      rows.push({ widget: w.id, none: true });
      continue;
    }
    try {
      const r = await drag(browser, url, hasSlider);
      rows.push({ widget: w.id, ...r });
    } catch (e) {
      rows.push({ widget: w.id, error: String(e.message).split('\n')[0] });
    }
  }
  return rows;
}

async function baseline(browser) {
  // The same measurement on the plain-JS KV widget and on ours, same page
  // size, context and batch sliders.
  const ours = `${SITE}/embed/kv-cache/`;
  const theirs = `${HOST}/bench/baseline/kv-cache.html`;
  const out = {};
  for (const [name, url, sel] of [
    ['llmem', ours, (i) => ['[data-llmem-widget="kv-cache"]', i]],
    ['baseline', theirs, (i) => [null, i]],
  ]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(READY_PROBE);
    await page.goto(url);
    await page.waitForFunction(() => window.__ready !== null || (window.kvBaseline && window.kvBaseline.ready));
    out[name] = {};
    for (const [label, index] of [['context', 0], ['batch', 1]]) {
      const { latency } = await page.evaluate(moveSlider, { sel: sel(index), n: MOVES, trace: false });
      out[name][label] = { p50: median(latency), p95: quantile(latency, 0.95), moves: latency.length };
    }
    await page.evaluate(traceCanvas);
    const { redraw } = await page.evaluate(moveSlider, { sel: sel(0), n: Math.min(MOVES, 50), trace: true });
    out[name].redraw = median(redraw);
    await context.close();
    const d = await drag(browser, url, async (p) => (name === 'llmem' ? p.locator('[data-llmem-widget="kv-cache"] input[type=range]').first() : p.locator('#context')));
    out[name].drag = d;
  }
  return out;
}

function markdown(r) {
  const lines = [];
  lines.push(`Measured ${r.date} on ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), ${r.machine.os}, headless Chromium ${r.machine.browser}, localhost${r.quick ? ' — QUICK MODE (few samples; not for comparison)' : ''}.`);
  lines.push('');
  lines.push('### What each page loads (everything fetched, compressed per file)');
  lines.push('');
  lines.push('| page | requests | raw KiB | gzip KiB | brotli KiB |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const s of r.sizes) lines.push(`| ${s.page} | ${s.requests} | ${kib(s.raw)} | ${kib(s.gzip)} | ${kib(s.brotli)} |`);
  lines.push('');
  lines.push(`### Load (median of ${r.load[0]?.runs ?? 0} cold loads)`);
  lines.push('');
  lines.push('| page | first contentful paint ms | working widget ms |');
  lines.push('|---|---:|---:|');
  for (const l of r.load) lines.push(`| ${l.name} | ${ms(l.fcp)} | ${l.ready === null ? '—' : ms(l.ready)} |`);
  lines.push('');
  lines.push(`### Slider input → settled (${MOVES} moves each)`);
  lines.push('');
  lines.push('| page | widget | slider | p50 ms | p95 ms | chart redraw ms |');
  lines.push('|---|---|---|---:|---:|---:|');
  for (const s of r.sliders) lines.push(`| ${s.page} | ${s.widget} | ${s.slider} | ${ms(s.p50)} | ${ms(s.p95)} | ${s.redraw === null ? '—' : ms(s.redraw)} |`);
  lines.push('');
  lines.push(`### Against a hand-written plain-JS KV cache widget (tests/bench/baseline/)`);
  lines.push('');
  lines.push('| | context p50 ms | context p95 ms | batch p50 ms | batch p95 ms | redraw ms | long tasks in drag |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const k of ['llmem', 'baseline']) {
    const b = r.baseline[k];
    lines.push(`| ${k} | ${ms(b.context.p50)} | ${ms(b.context.p95)} | ${ms(b.batch.p50)} | ${ms(b.batch.p95)} | ${ms(b.redraw)} | ${b.drag.longTasks} |`);
  }
  const ratio = r.baseline.llmem.context.p50 / r.baseline.baseline.context.p50;
  const ratioB = r.baseline.llmem.batch.p50 / r.baseline.baseline.batch.p50;
  lines.push(`| **llmem / baseline** | **${ratio.toFixed(2)}×** | | **${ratioB.toFixed(2)}×** | | | |`);
  lines.push('');
  lines.push(`### Long tasks (> 50 ms) during a continuous ${DRAG_SECONDS}-second drag`);
  lines.push('');
  lines.push('| widget | pointer moves | long tasks | longest ms |');
  lines.push('|---|---:|---:|---:|');
  for (const d of r.drags) lines.push(d.none ? `| ${d.widget} | no slider enabled by default | | |` : d.error ? `| ${d.widget} | — | error: ${d.error} | |` : `| ${d.widget} | ${d.moves} | ${d.longTasks} | ${ms(d.longest)} |`);
  return lines.join('\n') + '\n';
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
const result = { date: new Date().toISOString().slice(0, 10), quick: QUICK };
result.machine = {
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  browser: browser.version(),
};
console.log('bench: sizes');
result.sizes = await sizes(browser);
const heaviest = [...result.sizes].filter((s) => !s.page.startsWith('/embed')).sort((a, b) => b.gzip - a.gzip)[0].page;
console.log('bench: load times');
result.load = await loadTimes(browser, heaviest);
console.log('bench: slider latency');
result.sliders = await sliderLatency(browser);
console.log('bench: baseline');
result.baseline = await baseline(browser);
console.log('bench: drags');
result.drags = await drags(browser);
await browser.close();
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(result, null, 2));
const md = markdown(result);
fs.writeFileSync(path.join(OUT, 'results.md'), md);
console.log(md);
