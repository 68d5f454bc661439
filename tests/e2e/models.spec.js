// Every figure that takes a model works with every kind of model the
// estimator knows: sliding and chunked attention, MoE, MLA, multimodal,
// pre-quantized checkpoints, pure state-space and hybrid models. Each
// combination is loaded as an iframe embed and must mount, show a result
// and log nothing.
import { test, expect } from '@playwright/test';
import { allWidgetsMounted, result, watch, widget } from './helpers.js';
import { CATALOG } from './widget-ids.js';

// One of each kind of architecture among the presets.
const MODELS = [
  'gemma-3-27b', // 5:1 sliding/global, multimodal
  'gpt-oss-20b', // alternating 128-token band, sinks, MXFP4 experts
  'llama-4-scout', // chunked attention, MoE with a shared expert, vision
  'deepseek-r1', // MLA, FP8 checkpoint
  'qwen3-235b-a22b', // MoE
  'qwen3-next-80b-a3b', // Gated DeltaNet hybrid
  'nemotron-h-8b', // Mamba-2 hybrid with MLP-only blocks
  'mamba-2.8b', // no attention at all
];

const WITH_MODEL = CATALOG.widgets.filter((w) => w.params.some((p) => p.name === 'model'));

test('every model in every model picker', async ({ page }) => {
  test.setTimeout(300_000);
  expect(WITH_MODEL.length).toBeGreaterThanOrEqual(9);
  const w = watch(page);
  for (const spec of WITH_MODEL) {
    for (const model of MODELS) {
      await page.goto(`/embed/${spec.id}/?model=${model}`);
      await allWidgetsMounted(page);
      const fig = widget(page, spec.id);
      await expect(fig, `${spec.id} with ${model}`).toBeVisible();
      await expect(page.locator('.lw-crashed'), `${spec.id} with ${model}`).toHaveCount(0);
      // The model was accepted (no "not valid" note) and the figure shows a result.
      await expect(fig.locator('.lw-note'), `${spec.id} with ${model}`).toHaveCount(0);
      const text = (await result(fig).allInnerTexts()).join(' ');
      expect(text.trim().length, `${spec.id} with ${model}: empty result`).toBeGreaterThan(0);
      expect(text, `${spec.id} with ${model}`).not.toMatch(/NaN|Infinity|undefined/);
    }
  }
  w.assertClean();
});
