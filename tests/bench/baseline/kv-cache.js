// A hand-written, plain-JavaScript "KV cache growth" widget: the baseline the
// benchmark (tests/bench/bench.js) measures our Rust/wasm widget against.
// It computes and draws the same things as crates/widgets/src/kv_cache/mod.rs,
// with the same synchronous work per input event: no framework, no
// debouncing, no requestAnimationFrame batching. No build step; ES2020.
(() => {
  'use strict';

  // ---- Models -------------------------------------------------------------
  // The 14 transformer presets of crates/estimator/src/presets.rs (same ids,
  // names and order). Every number comes from crates/estimator/presets/*.json
  // as crates/estimator/src/config.rs reads it:
  //   layers = num_hidden_layers (GPT-2: n_layer); heads = num_attention_heads
  //   (n_head); kv = num_key_value_heads (default: heads); headDim = head_dim,
  //   else hidden_size / heads (DeepSeek-V3: v_head_dim, the head width the
  //   what-if layouts use); latent = [kv_lora_rank, qk_rope_head_dim] for MLA;
  //   maxPos = max_position_embeddings (GPT-2: n_positions).
  //   sliding = [window, sliding layer count]: Mistral and Phi-3 slide on every
  //   layer (sliding_window); Gemma 2 on the even layers (ceil(layers / 2));
  //   Mixtral's sliding_window is null and Qwen2.5 has use_sliding_window false.
  //   weights = bf16 weight bytes = 2 × the parameter count presets.rs expects;
  //   DeepSeek-V3 adds its fp32 router-bias buffers (58 MoE layers × 256 × 4 B).
  const MODELS = [
    { id: 'gpt2', name: 'GPT-2 (124M)', layers: 12, heads: 12, kv: 12, headDim: 64, latent: null, maxPos: 1024, sliding: null, weights: 248879616 },
    { id: 'llama-3.2-1b', name: 'Llama 3.2 1B', layers: 16, heads: 32, kv: 8, headDim: 64, latent: null, maxPos: 131072, sliding: null, weights: 2471628800 },
    { id: 'phi-3-mini-4k', name: 'Phi-3 mini 4K', layers: 32, heads: 32, kv: 32, headDim: 96, latent: null, maxPos: 4096, sliding: [2047, 32], weights: 7642159104 },
    { id: 'llama-2-7b', name: "Llama 2 7B (the articles' 7B-class model)", layers: 32, heads: 32, kv: 32, headDim: 128, latent: null, maxPos: 4096, sliding: null, weights: 13476831232 },
    { id: 'mistral-7b-v0.1', name: 'Mistral 7B v0.1', layers: 32, heads: 32, kv: 8, headDim: 128, latent: null, maxPos: 32768, sliding: [4096, 32], weights: 14483464192 },
    { id: 'qwen2.5-7b', name: 'Qwen2.5 7B', layers: 28, heads: 28, kv: 4, headDim: 128, latent: null, maxPos: 131072, sliding: null, weights: 15231233024 },
    { id: 'llama-3.1-8b', name: 'Llama 3.1 8B', layers: 32, heads: 32, kv: 8, headDim: 128, latent: null, maxPos: 131072, sliding: null, weights: 16060522496 },
    { id: 'gemma-2-9b', name: 'Gemma 2 9B', layers: 42, heads: 16, kv: 8, headDim: 256, latent: null, maxPos: 8192, sliding: [4096, 21], weights: 18483411968 },
    { id: 'gemma-2-27b', name: 'Gemma 2 27B', layers: 46, heads: 32, kv: 16, headDim: 128, latent: null, maxPos: 8192, sliding: [4096, 23], weights: 54454256640 },
    { id: 'mixtral-8x7b', name: 'Mixtral 8x7B', layers: 32, heads: 32, kv: 8, headDim: 128, latent: null, maxPos: 32768, sliding: null, weights: 93405585408 },
    { id: 'llama-3.1-70b', name: 'Llama 3.1 70B', layers: 80, heads: 64, kv: 8, headDim: 128, latent: null, maxPos: 131072, sliding: null, weights: 141107412992 },
    { id: 'qwen2.5-72b', name: 'Qwen2.5 72B', layers: 80, heads: 64, kv: 8, headDim: 128, latent: null, maxPos: 131072, sliding: null, weights: 145412407296 },
    { id: 'llama-3.1-405b', name: 'Llama 3.1 405B', layers: 126, heads: 128, kv: 8, headDim: 128, latent: null, maxPos: 131072, sliding: null, weights: 811706777600 },
    { id: 'deepseek-v3', name: 'DeepSeek-V3', layers: 61, heads: 128, kv: 128, headDim: 128, latent: [512, 64], maxPos: 163840, sliding: null, weights: 1342052868096 },
  ];

  const DTYPES = [['bf16', 'BF16', 16], ['fp16', 'FP16', 16], ['fp8', 'FP8', 8], ['int8', 'INT8', 8], ['int4', 'INT4', 4], ['fp32', 'FP32', 32]];
  const BITS = Object.fromEntries(DTYPES.map(([id, , bits]) => [id, bits]));
  const VARIANTS = [['mha', 'MHA'], ['gqa', 'GQA'], ['mqa', 'MQA'], ['mla', 'MLA']];
  const ATTN_CHOICES = [['own', 'As built'], ['mha', 'MHA'], ['gqa', 'GQA'], ['mqa', 'MQA'], ['mla', 'MLA']];

  // Context lengths the slider steps through (1K = 1024 tokens).
  const K = 1024;
  const CONTEXT_STEPS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 384, 512, 768, 1024].map((k) => k * K);

  // ---- Estimates (crates/estimator/src/kv_cache.rs) -------------------------
  // A layout is { kvHeads, headDim } or { latent, rope }.
  function ownLayout(m) {
    return m.latent ? { latent: m.latent[0], rope: m.latent[1] } : { kvHeads: m.kv, headDim: m.headDim };
  }

  function layoutFor(variant, m) {
    const own = ownLayout(m);
    const heads = m.heads;
    const d = m.headDim;
    switch (variant) {
      case 'mha':
        return { kvHeads: heads, headDim: d };
      case 'gqa':
        if (own.kvHeads !== undefined && own.kvHeads > 1 && own.kvHeads < heads) return own;
        return { kvHeads: heads % 8 === 0 ? Math.min(8, heads) : 1, headDim: d };
      case 'mqa':
        return { kvHeads: 1, headDim: d };
      default: // mla
        return own.latent !== undefined ? own : { latent: 4 * d, rope: Math.floor(d / 2) };
    }
  }

  // The variant a model's own attention is (AttentionVariant::of).
  function variantOf(m) {
    const own = ownLayout(m);
    if (own.latent !== undefined) return 'mla';
    if (own.kvHeads === 1) return 'mqa';
    if (own.kvHeads === m.heads) return 'mha';
    return 'gqa';
  }

  const elementsPerTokenPerLayer = (l) => (l.latent !== undefined ? l.latent + l.rope : l.kvHeads * (l.headDim + l.headDim));

  // Bytes of `elements` values of `bits` each, rounded up to whole bytes.
  // (All products stay far below 2^53, so Number arithmetic is exact.)
  const bytesOf = (elements, bits) => Math.ceil((elements * bits) / 8);

  function kvCache(m, layout, bits, context, batch) {
    const perLayer = elementsPerTokenPerLayer(layout);
    const layers = m.layers;
    let tokenLayers;
    let capped = 0;
    if (m.sliding && m.sliding[0] < context) {
      const [window, sliding] = m.sliding;
      tokenLayers = (layers - sliding) * context + sliding * window;
      capped = sliding;
    } else {
      tokenLayers = layers * context;
    }
    return {
      perToken: bytesOf(perLayer * layers, bits),
      total: bytesOf(tokenLayers * perLayer * batch, bits),
      capped,
    };
  }

  const contextLimit = (m) => Math.min(Math.max(m.maxPos, 128 * K), 1024 * K);

  function stepIndex(context) {
    let best = 0;
    for (let i = 1; i < CONTEXT_STEPS.length; i++) {
      if (Math.abs(CONTEXT_STEPS[i] - context) < Math.abs(CONTEXT_STEPS[best] - context)) best = i;
    }
    return best;
  }

  function layoutLabel(l) {
    if (l.latent !== undefined) return `latent ${l.latent} + RoPE key ${l.rope}`;
    return `${l.kvHeads} KV head${l.kvHeads === 1 ? '' : 's'} × ${l.headDim}`;
  }

  function readout(m, variant, bits, context, batch) {
    const layout = variant === null ? ownLayout(m) : layoutFor(variant, m);
    const kv = kvCache(m, layout, bits, context, batch);
    const weights = m.weights;
    return {
      total: kv.total,
      perToken: kv.perToken,
      weights,
      percent: weights === 0 ? 0 : (kv.total * 100) / weights,
      capped: kv.capped,
      label: layoutLabel(layout),
      beyond: context > m.maxPos,
    };
  }

  // ---- Formatting (crates/estimator/src/units.rs) ---------------------------
  const SCALE = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

  // a × b and its exact rounding error (Dekker's mul12).
  function twoProduct(a, b) {
    const split = (x) => {
      const c = 134217729 * x;
      const hi = c - (c - x);
      return [hi, x - hi];
    };
    const p = a * b;
    const [ah, al] = split(a);
    const [bh, bl] = split(b);
    return [p, ah * bh - p + ah * bl + al * bh + al * bl];
  }

  // `value` with `decimals` digits, rounded as Rust's format!("{:.N}") does:
  // the exact binary value, ties to even (toFixed would round ties up).
  function fixed(value, decimals) {
    const d = Math.min(decimals, 6);
    const a = Math.abs(value);
    if (!Number.isFinite(a) || a * SCALE[d] >= 2 ** 64) return '—';
    const [product, error] = twoProduct(a, SCALE[d]);
    let digits;
    if (product >= 4503599627370496) {
      const whole = Math.floor(error);
      const frac = error - whole;
      const base = BigInt(product) + BigInt(whole);
      digits = (base + (frac > 0.5 || (frac === 0.5 && base % 2n === 1n) ? 1n : 0n)).toString();
    } else {
      const floor = Math.floor(product);
      const f = product - floor;
      let n;
      if (f < 0.5) n = floor;
      else if (f > 0.5) n = floor + 1;
      else if (error > 0) n = floor + 1;
      else if (error < 0) n = floor;
      else n = floor % 2 === 0 ? floor : floor + 1;
      digits = String(n);
    }
    if (digits.length < d + 1) digits = '0'.repeat(d + 1 - digits.length) + digits;
    const whole = digits.slice(0, digits.length - d);
    const sign = value < 0 || Object.is(value, -0) ? '-' : '';
    return d === 0 ? sign + whole : `${sign}${whole}.${digits.slice(digits.length - d)}`;
  }

  // f64::round: halves away from zero.
  const round = (x) => (x < 0 ? -Math.round(-x) : Math.round(x));

  function threeSignificant(v) {
    if (!Number.isFinite(v)) return '—';
    const a = Math.abs(v);
    return fixed(v, a >= 100 ? 0 : a >= 10 ? 1 : 2);
  }

  const DECIMAL = [1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']];
  const BINARY = [1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']];

  function formatBytes(bytes, system) {
    if (!Number.isFinite(bytes) || bytes < 0) return '—';
    const [base, names] = system;
    let value = bytes;
    let idx = 0;
    while (value >= base && idx < names.length - 1) {
      value /= base;
      idx++;
    }
    if (idx === 0) return `${round(bytes)} B`;
    return `${threeSignificant(value)} ${names[idx]}`;
  }

  const show = (bytes) => formatBytes(bytes, DECIMAL);
  const other = (bytes) => formatBytes(bytes, BINARY);
  const percent = (p) => `${fixed(p, 0)}%`;

  function groupThousands(n) {
    const s = String(n);
    let out = '';
    for (let i = 0; i < s.length; i++) {
      if (i > 0 && (s.length - i) % 3 === 0) out += ',';
      out += s[i];
    }
    return out;
  }

  function formatTokens(t) {
    if (t >= 1048576 && t % 1048576 === 0) return `${t / 1048576}M`;
    if (t >= 1024 && t % 1024 === 0) return `${t / 1024}K`;
    return groupThousands(t);
  }

  // ---- Chart (crates/widgets/src/chart.rs) -----------------------------------
  function parseColor(s) {
    s = s.trim();
    if (s.startsWith('#')) {
      const hex = s.slice(1);
      if (hex.length !== 6 || !/^[0-9a-fA-F]{6}$/.test(hex)) return null;
      const v = parseInt(hex, 16);
      return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
    }
    let inner;
    if (s.startsWith('rgb(')) inner = s.slice(4);
    else if (s.startsWith('rgba(')) inner = s.slice(5);
    else return null;
    inner = inner.replace(/\)+$/, '');
    const parts = inner.split(/[, ]/).filter((p) => p !== '');
    const out = [];
    for (let i = 0; i < 3; i++) {
      const p = parts[i] === undefined ? '' : parts[i].trim();
      if (!/^\+?\d+$/.test(p) || Number(p) > 65535) return null;
      out.push(Math.min(Number(p), 255));
    }
    return out;
  }

  // Layout and style reads are cached, as the Rust widget does: reading
  // clientWidth or getComputedStyle right after the result text changed
  // forces a layout or style pass, which costs more than the drawing. A
  // ResizeObserver keeps the width; a scheme switch drops the palette.
  let cachedWidth = null;
  let cachedPalette = null;
  function cssWidthOf(canvas) {
    if (cachedWidth === null) cachedWidth = canvas.clientWidth;
    return cachedWidth;
  }
  function palette(el) {
    if (cachedPalette === null) cachedPalette = readPalette(el);
    return cachedPalette;
  }
  function forgetPalette() {
    cachedPalette = null;
  }
  function watchWidth(canvas, redraw) {
    new ResizeObserver(() => {
      const w = canvas.clientWidth;
      if (w !== cachedWidth) {
        cachedWidth = w;
        redraw();
      }
    }).observe(canvas);
  }

  function readPalette(el) {
    const style = getComputedStyle(el);
    const v = (name, fallback) => parseColor(style.getPropertyValue(name)) || fallback;
    return {
      text: v('--lw-text', [26, 29, 39]),
      muted: v('--lw-muted', [85, 91, 107]),
      grid: v('--lw-border', [223, 226, 234]),
      bg: v('--lw-bg', [255, 255, 255]),
      accent: v('--lw-accent', [67, 56, 202]),
      series: [
        v('--lw-s1', [59, 111, 224]),
        v('--lw-s2', [20, 145, 90]),
        v('--lw-s3', [184, 110, 0]),
        v('--lw-s4', [109, 75, 224]),
        v('--lw-s5', [194, 65, 90]),
      ],
    };
  }

  // `c` mixed towards `bg` (alpha 1 = `c`).
  const blend = (c, bg, alpha) => c.map((a, i) => Math.min(255, Math.max(0, round(a * alpha + bg[i] * (1.0 - alpha)))));
  const rgba = (c) => `rgba(${c[0]},${c[1]},${c[2]},1)`;
  const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

  function axis(min, max) {
    return { min, max: max > min ? max : min + 1 };
  }

  function frac(ax, v) {
    const f = (v - ax.min) / (ax.max - ax.min);
    return Number.isFinite(f) ? Math.min(1.05, Math.max(-0.05, f)) : 0;
  }

  // Round 1-2-5 tick values.
  function ticks(ax, target) {
    const span = ax.max - ax.min;
    const raw = span / Math.max(target, 1);
    let mag = 1.0;
    while (mag > raw && mag > 1e-12) mag /= 10.0;
    while (mag * 10.0 <= raw) mag *= 10.0;
    let step = 10.0 * mag;
    for (const m of [1.0, 2.0, 5.0, 10.0]) {
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    }
    let t = Math.ceil(ax.min / step) * step;
    const out = [];
    while (t <= ax.max + step * 1e-9 && out.length < 50) {
      out.push(t);
      t += step;
    }
    return out;
  }

  // A plot filling `canvas` (`cssHeight` tall) with room for axis labels.
  function makePlot(canvas, cssHeight, x, y) {
    const d = window.devicePixelRatio;
    const dpr = Math.min(Number.isFinite(d) && d > 0 ? d : 1.0, 4.0);
    const cssWidth = Math.max(cssWidthOf(canvas), 200);
    const w = Math.round(cssWidth * dpr);
    const h = Math.round(cssHeight * dpr);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    const pal = palette(canvas);
    ctx.fillStyle = rgba(pal.bg);
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    return {
      ctx, x, y, pal, dpr,
      w: canvas.width,
      h: canvas.height,
      left: 64 * dpr,
      right: canvas.width - 14 * dpr,
      top: 12 * dpr,
      bottom: canvas.height - 34 * dpr,
    };
  }

  function at(p, x, y) {
    const px = p.left + frac(p.x, x) * (p.right - p.left);
    const py = p.bottom - frac(p.y, y) * (p.bottom - p.top);
    return [round(px), round(py)];
  }

  function text(p, s, px, py, size, color, align, baseline) {
    const ctx = p.ctx;
    ctx.font = `${fixed(size * p.dpr, 0)}px sans-serif`;
    ctx.fillStyle = rgb(color);
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    ctx.fillText(s, px, py);
  }

  function path(p, pts, color, width) {
    const ctx = p.ctx;
    ctx.beginPath();
    if (pts.length) {
      ctx.strokeStyle = rgba(color);
      ctx.lineWidth = width;
      ctx.moveTo(pts[0][0], pts[0][1]);
      for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
    }
    ctx.stroke();
  }

  const thin = (p) => Math.trunc(Math.max(p.dpr, 1.0));

  function axes(p, xFmt, yFmt, xTitle, yTitle) {
    const [l, r, t, b] = [Math.trunc(p.left), Math.trunc(p.right), Math.trunc(p.top), Math.trunc(p.bottom)];
    for (const v of ticks(p.y, 5)) {
      const py = at(p, p.x.min, v)[1];
      path(p, [[l, py], [r, py]], p.pal.grid, thin(p));
      text(p, yFmt(v), p.left - 6 * p.dpr, py, 11, p.pal.muted, 'right', 'middle');
    }
    for (const v of ticks(p.x, 6)) {
      const px = at(p, v, p.y.min)[0];
      path(p, [[px, t], [px, b]], p.pal.grid, thin(p));
      text(p, xFmt(v), px, p.bottom + 5 * p.dpr, 11, p.pal.muted, 'center', 'top');
    }
    path(p, [[l, t], [l, b], [r, b]], p.pal.muted, thin(p));
    text(p, xTitle, (p.left + p.right) / 2, p.h - 2 * p.dpr, 11, p.pal.muted, 'center', 'bottom');
    text(p, yTitle, 4 * p.dpr, 2 * p.dpr, 11, p.pal.muted, 'left', 'top');
  }

  function dashed(p, from, to, color) {
    p.ctx.setLineDash([6 * p.dpr, 4 * p.dpr]);
    path(p, [at(p, from[0], from[1]), at(p, to[0], to[1])], color, thin(p));
    p.ctx.setLineDash([]);
  }

  // A series label over a halo of the background colour.
  function seriesText(p, s, px, py, color, align) {
    const ctx = p.ctx;
    ctx.strokeStyle = rgb(p.pal.bg);
    ctx.lineWidth = 3 * p.dpr;
    ctx.lineJoin = 'round';
    ctx.font = `${fixed(12 * p.dpr, 0)}px sans-serif`;
    ctx.fillStyle = rgb(color);
    ctx.textAlign = align;
    ctx.textBaseline = 'bottom';
    ctx.strokeText(s, px, py);
    ctx.fillText(s, px, py);
  }

  function label(p, s, x, y, color, align) {
    const [px, py] = at(p, x, y);
    seriesText(p, s, px, py - 3 * p.dpr, color, align);
  }

  // A series line at sub-pixel positions.
  function line(p, pts, color, width) {
    const ctx = p.ctx;
    ctx.beginPath();
    pts.forEach((q, i) => {
      const px = p.left + frac(p.x, q[0]) * (p.right - p.left);
      const py = p.bottom - frac(p.y, q[1]) * (p.bottom - p.top);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.strokeStyle = rgb(color);
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    ctx.stroke();
  }

  // End labels nudged apart vertically so none overlap.
  function labelsSpaced(p, items, align) {
    const gap = 15 * p.dpr;
    const placed = items.map((it, i) => [at(p, it[1], it[2])[1], i]);
    placed.sort((u, v) => u[0] - v[0]);
    for (let k = 1; k < placed.length; k++) {
      if (placed[k][0] - placed[k - 1][0] < gap) placed[k][0] = placed[k - 1][0] + gap;
    }
    for (const [py, i] of placed) {
      const [s, x, , color] = items[i];
      seriesText(p, s, at(p, x, p.y.min)[0], py - 3 * p.dpr, color, align);
    }
  }

  function dot(p, x, y, radius, color) {
    const [cx, cy] = at(p, x, y);
    const ctx = p.ctx;
    ctx.fillStyle = rgba(color);
    ctx.beginPath();
    ctx.arc(cx, cy, Math.trunc(radius * p.dpr), 0, Math.PI * 2);
    ctx.fill();
  }

  function draw(canvas, m, chosen, bits, context, batch, limit) {
    const current = chosen === null ? variantOf(m) : chosen;
    const limitK = limit / 1024;
    const xs = [];
    for (let i = 0; i <= 48; i++) xs.push(1024 + Math.floor(((limit - 1024) * i) / 48));
    const series = VARIANTS.map(([v]) => {
      const layout = layoutFor(v, m);
      return [v, xs.map((x) => [x / 1024, kvCache(m, layout, bits, x, batch).total])];
    });
    const weights = m.weights;
    let yMax = weights;
    for (const [, pts] of series) for (const q of pts) yMax = Math.max(yMax, q[1]);
    yMax = Math.max(yMax, 1.0) * 1.08;
    const p = makePlot(canvas, 260, axis(1.0, limitK), axis(0.0, yMax));
    if (!p) return;
    axes(p, (x) => `${round(x)}K`, show, 'context (tokens)', 'KV cache');
    dashed(p, [1.0, weights], [limitK, weights], p.pal.muted);
    label(p, 'weights (bf16)', 1.0 + limitK * 0.02, weights, p.pal.muted, 'left');
    const ends = [];
    series.forEach(([v, pts], i) => {
      const base = p.pal.series[i];
      const isCurrent = v === current;
      const color = isCurrent ? base : blend(base, p.pal.bg, 0.8);
      const width = Math.max((isCurrent ? 3.0 : 2.0) * p.dpr, 1.0);
      line(p, pts, color, width);
      const last = pts[pts.length - 1];
      ends.push([VARIANTS[i][1], last[0], last[1], base]);
    });
    labelsSpaced(p, ends, 'right');
    const k = kvCache(m, layoutFor(current, m), bits, context, batch);
    dot(p, context / 1024, k.total, 5.0, p.pal.text);
  }

  // The chart's data as text: KV cache at a few contexts for each design.
  function tableRows(m, bits, batch, limit) {
    const contexts = [...new Set([4 * K, 8 * K, 32 * K, 128 * K, limit].filter((c) => c <= limit))].sort((a, b) => a - b);
    return contexts.map((c) => [formatTokens(c), ...VARIANTS.map(([v]) => show(kvCache(m, layoutFor(v, m), bits, c, batch).total))]);
  }

  function fillTable(table, head, rows) {
    table.innerHTML = '';
    const addRow = (parent, cells, header) => {
      const tr = document.createElement('tr');
      cells.forEach((c, i) => {
        const tag = header || i === 0 ? 'th' : 'td';
        const cell = document.createElement(tag);
        cell.textContent = c;
        if (tag === 'th') cell.setAttribute('scope', header ? 'col' : 'row');
        tr.appendChild(cell);
      });
      parent.appendChild(tr);
    };
    const thead = document.createElement('thead');
    const tbody = document.createElement('tbody');
    addRow(thead, head, true);
    for (const r of rows) addRow(tbody, r, false);
    table.appendChild(thead);
    table.appendChild(tbody);
  }

  // ---- The widget ------------------------------------------------------------
  function init() {
    const $ = (id) => document.getElementById(id);
    const modelSel = $('model');
    const contextIn = $('context');
    const batchIn = $('batch');
    const dtypeSel = $('dtype');
    const root = document.querySelector('.lw-kv');
    const radios = root.querySelectorAll('input[name="attn"]');
    const contextOut = $('context-value');
    const batchOut = $('batch-value');
    const big = root.querySelector('.lw-big .lw-bytes');
    const details = root.querySelectorAll('.lw-result .lw-detail');
    const canvas = root.querySelector('.lw-canvas');
    const table = root.querySelector('.lw-table');

    for (const m of MODELS) modelSel.add(new Option(m.name, m.id));
    for (const [id, name] of DTYPES) dtypeSel.add(new Option(name, id));

    // State, with the catalogue's defaults.
    const state = { model: 'llama-3.1-8b', context: 8192, batch: 1, attention: 'own', dtype: 'bf16' };
    const model = () => MODELS.find((m) => m.id === state.model);
    const variant = () => (state.attention === 'own' ? null : state.attention);

    modelSel.value = state.model;
    dtypeSel.value = state.dtype;
    batchIn.value = String(state.batch);
    for (const r of radios) r.checked = r.value === state.attention;

    function setMaxStep() {
      const limit = contextLimit(model());
      contextIn.max = String(CONTEXT_STEPS.filter((s) => s <= limit).length - 1);
    }

    function updateSliders() {
      const c = `${formatTokens(state.context)} tokens`;
      contextOut.textContent = c;
      contextIn.setAttribute('aria-valuetext', c);
      const b = `${state.batch} sequence${state.batch === 1 ? '' : 's'}`;
      batchOut.textContent = b;
      batchIn.setAttribute('aria-valuetext', b);
    }

    function updateResult() {
      const m = model();
      const bits = BITS[state.dtype];
      const r = readout(m, variant(), bits, state.context, state.batch);
      big.textContent = show(r.total);
      big.title = other(r.total);
      details[0].textContent = `${percent(r.percent)} of the weights (${show(r.weights)} in bf16) · ${show(r.perToken)} per token · ${r.label}`;
      details[1].textContent = r.capped > 0 ? `${r.capped} layers use a sliding window and stop growing at its size.` : '';
      details[2].textContent = r.beyond ? 'This is past the longest context the model was trained for.' : '';
      canvas.setAttribute(
        'aria-label',
        `${show(r.total)} of KV cache at ${formatTokens(state.context)} tokens × batch ${state.batch} — ${percent(r.percent)} of the model's ${show(r.weights)} of bf16 weights.`,
      );
      draw(canvas, m, variant(), bits, state.context, state.batch, contextLimit(m));
    }

    function updateTable() {
      const m = model();
      fillTable(table, ['Context', ...VARIANTS.map((v) => v[1])], tableRows(m, BITS[state.dtype], state.batch, contextLimit(m)));
    }

    contextIn.addEventListener('input', () => {
      const s = Math.min(Math.max(Number(contextIn.value) | 0, 0), Number(contextIn.max));
      state.context = CONTEXT_STEPS[s];
      updateSliders();
      updateResult();
    });
    batchIn.addEventListener('input', () => {
      state.batch = Math.min(Math.max(Number(batchIn.value) | 0, 1), 32);
      updateSliders();
      updateResult();
      updateTable();
    });
    modelSel.addEventListener('change', () => {
      state.model = modelSel.value;
      setMaxStep();
      const limit = contextLimit(model());
      if (state.context > limit) {
        state.context = limit;
        contextIn.value = String(stepIndex(limit));
      }
      updateSliders();
      updateResult();
      updateTable();
    });
    dtypeSel.addEventListener('change', () => {
      state.dtype = dtypeSel.value;
      updateResult();
      updateTable();
    });
    for (const r of radios) {
      r.addEventListener('change', () => {
        state.attention = r.value;
        updateResult();
      });
    }
    // As the Rust charts do: redraw when the canvas resizes or the color scheme switches.
    const redraw = () => {
      const m = model();
      draw(canvas, m, variant(), BITS[state.dtype], state.context, state.batch, contextLimit(m));
    };
    watchWidth(canvas, redraw);
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      forgetPalette();
      redraw();
    });

    setMaxStep();
    contextIn.value = String(stepIndex(state.context));
    updateSliders();
    updateResult();
    updateTable();
    window.kvBaseline = { ready: true };
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
