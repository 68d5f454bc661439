// "Show the formula": each figure's panel writes the formula behind its
// headline number, with the current values substituted, and its result is
// the headline itself (the estimator's tests check the same equality for
// every preset; these check the page shows it and follows the figure).
import { test, expect } from '@playwright/test';
import { watch, widget } from './helpers.js';
import { WIDGET_IDS } from './widget-ids.js';

/** Opens the widget's formula panel and returns it. */
async function openFormula(w) {
  const panel = w.locator('details.lw-formula');
  await panel.locator('summary').click();
  await expect(panel).toHaveAttribute('open', '');
  return panel;
}

/** The panel's result equals the start of the widget's headline (and
 * `text`, when given). */
async function expectResultIsHeadline(w, panel, text, headlineSelector = '.lw-big', within = false) {
  const shown = panel.locator('.lw-formula-result');
  if (text) await expect(shown).toHaveText(text);
  else await expect(shown).not.toHaveText('');
  text = (await shown.innerText()).trim();
  const headline = (await w.locator(headlineSelector).first().innerText()).trim();
  const ok = within ? headline.includes(text) : headline.startsWith(text);
  expect(ok, `headline “${headline}” ${within ? 'says' : 'starts with'} “${text}”`).toBe(true);
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
  {
    id: 'zero',
    url: '/embed/zero/?model=llama-3.1-8b&stage=3&gpus=8',
    // ZeRO-3 over 8: every model state divided by N; activations and the
    // gathered layers as the estimator measures them.
    symbolic: 'Per GPU = ⌈p × Ψ / N⌉ + ⌈g × Ψ / N⌉ + ⌈K × Ψ / N⌉ + A + G',
    substitutedStart: '= ⌈2 × 8,030,261,248 / 8⌉ + ⌈2 × 8,030,261,248 / 8⌉ + ⌈12 × 8,030,261,248 / 8⌉ + ',
    result: null,
  },
  {
    id: 'memory-store',
    url: '/embed/memory-store/?docs=1000000&tokens=1000&chunk=512&overlap=64&embedder=bge-base-en-v1.5&dtype=f32&index=flat',
    // 1 + ⌈(1,000 − 512) / 448⌉ = 3 chunks a document; 768 × 4 bytes a vector.
    symbolic: 'Index in RAM = n × v',
    substituted: '= 3,000,000 × 3,072',
    result: '9.22 GB',
  },
  {
    id: 'prefill-decode',
    url: '/embed/prefill-decode/?model=llama-3.1-8b&device=h100-sxm&batch=1&context=1024',
    // 3.35 TB/s ÷ (16,060,522,496 + 1,024 × 131,072 B): memory-bound.
    symbolic: 'Decode ceiling = b / max(b × (2 × N + 2 × L × s × d_a) / P, M / B)',
    result: '207 tokens/s',
  },
  {
    id: 'decode-steps',
    url: '/embed/decode-steps/?model=llama-3.1-8b&prompt=1024',
    symbolic: 'KV cache = 2 × L × H_kv × d_h × s × b × β',
    substituted: '= 2 × 32 × 8 × 128 × 1,024 × 1 × 2',
    result: '134 MB',
  },
  {
    id: 'layer-map',
    url: '/embed/layer-map/?model=gemma-3-27b&context=32768',
    symbolic: 'KV cache = (L_full × s + L_win × min(s, W)) × 2 × H_kv × d_h × b × β',
    result: '3.12 GB',
  },
  {
    id: 'speculative',
    url: '/embed/speculative/',
    symbolic: 'Speed-up = E × t_T / (k × t_D + t_T)',
    result: null,
  },
  {
    id: 'paging',
    url: '/embed/paging/',
    symbolic: 'Wasted = (R + I) / C',
    result: null,
    headline: '.lw-stats strong',
  },
  {
    id: 'offload-split',
    url: '/embed/offload-split/?model=llama-3.1-70b&gguf=q4_k_m&device=rtx-4090&context=8192',
    symbolic: 'Decode ceiling = 1 / (G / B_gpu + H / B_host)',
    result: null,
  },
  {
    id: 'context-budget',
    url: '/embed/context-budget/',
    symbolic: 'Turns that fit = ⌊(N − (S + T + k × c + O)) / t⌋',
    result: null,
  },
  {
    id: 'ssm-vs-kv',
    url: '/embed/ssm-vs-kv/?seq=8192&model=llama-3.1-8b&mamba=mamba-2.8b',
    // 1,073,741,824 B of KV against Mamba 2.8B's 12,451,840-byte state.
    symbolic: 'Ratio = KV / S',
    result: '86×',
  },
  {
    id: 'train-vs-infer',
    url: '/embed/train-vs-infer/',
    symbolic: 'Training ÷ inference = (2 × Ψ + 2 × Ψ + 12 × Ψ + A_t) / (W + KV + A_i)',
    result: null,
  },
  {
    id: 'gpu-map',
    url: '/embed/gpu-map/?model=llama-3.1-8b&mode=inference',
    // 16.1 GB of weights, 1.07 GB of KV at 8K, 152 MB of activations.
    symbolic: 'Total = W + KV + A',
    result: '17.3 GB',
    headline: 'p.lw-detail strong',
  },
  {
    id: 'flash-tiles',
    url: '/embed/flash-tiles/',
    symbolic: null,
    result: null,
  },
  {
    id: 'quant-quality',
    url: '/embed/quant-quality/?format=q4_k_m',
    // 4.58 GiB as llama.cpp's scoreboard publishes it.
    symbolic: 'File size = S × 1,073,741,824',
    result: null,
  },
  {
    id: 'attention-pattern',
    url: '/embed/attention-pattern/?model=gemma-3-27b&seq=32768',
    // 10 full and 52 sliding (1,024) layers: the share the summary quotes.
    symbolic: null,
    result: '21%',
    headline: '.lw-result .lw-detail',
    within: true,
  },
  {
    id: 'bandwidth-race',
    url: '/embed/bandwidth-race/',
    // The fastest device that holds the model, as the result sentence names it.
    symbolic: 'Time to read once = (W + KV) / B',
    result: null,
    headline: '.lw-result',
    within: true,
  },
  {
    id: 'store-recompute',
    url: '/embed/store-recompute/',
    symbolic: null,
    result: null,
    headline: '.lw-result .lw-detail:nth-child(2)',
  },
  {
    id: 'cache-compare',
    url: '/embed/cache-compare/',
    symbolic: 'Ratio = KV_max / KV_min',
    result: null,
    headline: '.lw-result .lw-detail',
    within: true,
  },
  {
    id: 'parallel-layout',
    url: '/embed/parallel-layout/',
    // The fullest stage, whose per-GPU bytes the result sentence quotes.
    symbolic: null,
    result: null,
    headline: '.lw-result .lw-detail',
    within: true,
  },
  {
    id: 'batch-steps',
    url: '/embed/batch-steps/?step=12',
    // Step 12 with sharing: 18 blocks in use, 2 of them the shared prompt;
    // 18 × 16 × 131,072 B = 37,748,736 B.
    symbolic: 'KV in use = (S + O) × B × b',
    substituted: '= (2 + 16) × 16 × 131 kB',
    result: '37.7 MB',
    headline: '.lw-batch-bytes',
    within: true,
  },
  {
    id: 'step-timeline',
    url: '/embed/step-timeline/',
    symbolic: null,
    result: null,
  },
  {
    id: 'engine-memory',
    url: '/embed/engine-memory/?model=llama-3.1-8b&device=h100-sxm&engine=vllm&gpus=1',
    // What gpu_memory_utilization leaves, in whole blocks: the table's KV row.
    symbolic: 'KV cache blocks = ⌊(f × M − (W + A + G + C)) / P⌋ × P',
    result: null,
    headline: '.lw-table tr:has-text("KV cache blocks") td',
  },
  {
    id: 'engine-memory',
    url: '/embed/engine-memory/?model=llama-3.1-8b&device=h100-sxm&engine=sglang&gpus=2',
    symbolic: 'KV token pool = ⌊(f × M − W) / P⌋ × P',
    result: null,
    headline: '.lw-table tr:has-text("KV token pool") td',
  },
  {
    id: 'engine-memory',
    url: '/embed/engine-memory/?model=llama-3.1-8b&device=rtx-4090&engine=llama.cpp&gguf=q4_k_m',
    symbolic: 'Memory on the GPU = W + KV + C',
    result: null,
    headline: '.lw-engine-used',
    within: true,
  },
  {
    id: 'fit',
    url: '/embed/fit/?model=llama-3.1-8b&device=rtx-4090&context=8192&batch=1',
    symbolic: 'Needed = W + KV + A + n × R',
    result: null,
    headline: '.lw-fit-needed',
  },
  {
    id: 'context-window',
    url: '/embed/context-window/?limit=8192&turn=800',
    // Six 800-token turns to start: 4,800 / 8,192 = 58.6%.
    symbolic: 'Window fill = (V + R) / N',
    substituted: '= (4,800 + 0) / 8,192',
    result: '59%',
    headline: '.lw-ctx-used',
    within: true,
  },
];

for (const c of CASES) {
  test(`${c.id}: the formula gives the headline (${c.url})`, async ({ page }) => {
    const w0 = watch(page);
    await page.goto(c.url);
    const w = widget(page, c.id);
    const panel = await openFormula(w);
    const lines = panel.locator('.lw-formula-math code');
    if (c.symbolic) await expect(lines.nth(0)).toHaveText(c.symbolic);
    else await expect(lines.nth(0)).toContainText(' = ');
    if (c.substituted) await expect(lines.nth(1)).toHaveText(c.substituted);
    else if (c.substitutedStart) expect((await lines.nth(1).innerText()).startsWith(c.substitutedStart)).toBe(true);
    await expectResultIsHeadline(w, panel, c.result, c.headline, c.within);
    // Every symbol is named, and the source is cited.
    await expect(panel.locator('.lw-formula-symbols dt').first()).toBeVisible();
    await expect(panel.locator('.lw-formula-source')).toContainText('Source: ');
    w0.assertClean();
  });
}

test('every figure has a formula panel with a result', async ({ page }) => {
  test.setTimeout(120_000);
  for (const id of WIDGET_IDS) {
    await page.goto(`/embed/${id}/`);
    const w = widget(page, id);
    const panel = w.locator('details.lw-formula');
    await expect(panel, `${id} has a formula panel`).toHaveCount(1);
    await panel.locator('summary').click();
    await expect(panel.locator('.lw-formula-source'), id).toContainText('Source: ');
  }
});

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

test('the context window formula follows the conversation', async ({ page }) => {
  await page.goto('/embed/context-window/?limit=8192&turn=800');
  const w = widget(page, 'context-window');
  const panel = await openFormula(w);
  await w.getByRole('button', { name: 'Summarize old turns' }).click();
  // Five turns (4,000 tokens) become a 25% recap of 1,000; the sixth stays.
  await expect(panel.locator('.lw-formula-math code').nth(1)).toHaveText('= (800 + 1,000) / 8,192');
  await expectResultIsHeadline(w, panel, '22%', '.lw-ctx-used', true);
  await w.getByRole('button', { name: '+ Add a turn' }).click();
  await expect(panel.locator('.lw-formula-math code').nth(1)).toHaveText('= (1,600 + 1,000) / 8,192');
  await expectResultIsHeadline(w, panel, '32%', '.lw-ctx-used', true);
});

test('a step-through moves its formula with each step', async ({ page }) => {
  await page.goto('/embed/decode-steps/?model=llama-3.1-8b&prompt=1024');
  const w = widget(page, 'decode-steps');
  const panel = await openFormula(w);
  await w.getByRole('button', { name: 'Next token' }).click();
  await w.getByRole('button', { name: 'Next token' }).click();
  // 2 × 32 × 8 × 128 × 1,026 × 2 = 134,479,872 B.
  await expect(panel.locator('.lw-formula-math code').nth(1)).toHaveText('= 2 × 32 × 8 × 128 × 1,026 × 1 × 2');
  await expectResultIsHeadline(w, panel, '134 MB');
});
