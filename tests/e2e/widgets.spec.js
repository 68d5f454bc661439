// Every widget driven through its real controls on the built site, with
// the estimator's exact figures (formatted as the widgets format them; the
// values were produced by the estimator crate, and the hand checks are in
// the comments). Each widget also has a test that loads a URL with
// parameters and sees them applied.
import { execFileSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { watch, widget, result } from './helpers.js';

test.describe('01 · gpu-map', () => {
  test('inference and training blocks for Llama 3.1 8B', async ({ page }) => {
    const w = watch(page);
    await page.goto('/fundamentals/');
    const g = widget(page, 'gpu-map');
    // bf16 weights 16,060,522,496 B; KV 8K × 131,072 B; activations 2,048 × 36,864 × 2 + 128,256 × 4.
    await expect(g.getByRole('button', { name: /Weights/ })).toContainText('16.1 GB');
    await expect(g.getByRole('button', { name: /KV cache/ })).toContainText('1.07 GB');
    await expect(g.getByRole('button', { name: /Activations/ })).toContainText('152 MB');
    await expect(g).toContainText('Total: 17.3 GB');
    await g.getByRole('radio', { name: 'Training' }).check();
    // 14 B/param of optimizer state + gradients = 112,423,657,472 B; activations as transformers keeps
    // them with FlashAttention: 32 layers × 4096 tokens × 200,840 B + 2.24 GB outside the layers.
    await g.getByRole('button', { name: /Optimizer state/ }).click();
    await expect(result(g)).toContainText('112 GB here');
    await expect(g.getByRole('button', { name: /Activations/ })).toContainText('28.6 GB');
    await expect(g).toContainText('Total: 157 GB');
    await g.getByRole('button', { name: /KV cache/ }).press('Enter');
    await expect(result(g)).toContainText('Not present in this mode');
    w.assertClean();
  });

  test('mode, model and block from the URL', async ({ page }) => {
    await page.goto('/fundamentals/?gpu-map.mode=training&gpu-map.block=optimizer&gpu-map.model=llama-2-7b');
    const g = widget(page, 'gpu-map');
    // 6,738,415,616 × 14 = 94,337,818,624 B.
    await expect(result(g)).toContainText('94.3 GB here');
    await expect(g.getByRole('radio', { name: 'Training' })).toBeChecked();
  });
});

test.describe('01 · store-recompute', () => {
  test('from storing everything to recomputing everything', async ({ page }) => {
    const w = watch(page);
    await page.goto('/fundamentals/');
    const s = widget(page, 'store-recompute');
    // 16 of 32 layers recomputed: 16 full layers (822,640,640 B each) + 16 layer inputs
    // (2 × 4096 × 4096 B) + one layer rebuilt + 2.24 GB outside the layers = 16.8 GB.
    await expect(s).toContainText('16.8 GB');
    await expect(s).toContainText('1.17×');
    const slider = s.getByLabel('Layers recomputed in the backward pass');
    await slider.focus();
    await page.keyboard.press('End');
    await expect(s).toContainText('4.13 GB');
    await expect(s).toContainText('1.33×');
    await expect(slider).toHaveAttribute('aria-valuetext', '100% (32 of 32 layers)');
    await page.keyboard.press('Home');
    await expect(s).toContainText('28.6 GB');
    // Eager attention keeps every head's 4K × 4K scores as well.
    await s.getByLabel('Attention').selectOption('eager');
    await expect(s).toContainText('133 GB');
    await expect(s).toContainText('1.00×');
    await expect(result(s)).toContainText('Store almost everything');
    w.assertClean();
  });

  test('share from the URL', async ({ page }) => {
    await page.goto('/fundamentals/?store-recompute.recompute=25');
    const s = widget(page, 'store-recompute');
    await expect(s).toContainText('23.1 GB');
    await expect(s).toContainText('1.08×');
  });
});

test.describe('01 · train-vs-infer', () => {
  test('training needs N× the memory of inference', async ({ page }) => {
    const w = watch(page);
    await page.goto('/fundamentals/');
    const t = widget(page, 'train-vs-infer');
    // Llama 2 7B: 16 × 6,738,415,616 + 25.1 GB of activations (FlashAttention) = 133 GB; fp16 inference 17.9 GB.
    await expect(t).toContainText('133 GB');
    await expect(t).toContainText('17.9 GB');
    await expect(result(t)).toContainText('7.4×');
    await t.getByRole('radio', { name: 'INT4' }).check();
    await expect(t).toContainText('8.28 GB');
    await expect(result(t)).toContainText('16.0×');
    w.assertClean();
  });

  test('a custom size from the URL', async ({ page }) => {
    // Custom 13B = Llama 2 13B's shape, 13,015,864,320 parameters: training
    // 16 B/param + activations = 247 GB; inference 2 B/param + KV
    // 40 × 5120 × 2 × 2 B × 8192 + activations = 32.9 GB.
    await page.goto('/fundamentals/?train-vs-infer.model=custom&train-vs-infer.size=13');
    const t = widget(page, 'train-vs-infer');
    await expect(t.getByLabel('Model')).toHaveValue('custom');
    await expect(t).toContainText('40 layers, 5120 wide, 13,015,864,320 parameters');
    await expect(t).toContainText('247 GB');
    await expect(t).toContainText('32.9 GB');
    await expect(result(t)).toContainText('7.5×');
  });

  test('model and precision from the URL', async ({ page }) => {
    await page.goto('/fundamentals/?train-vs-infer.model=llama-3.1-8b&train-vs-infer.precision=int8');
    const t = widget(page, 'train-vs-infer');
    await expect(result(t)).toContainText('15.2×');
    await expect(t).toContainText('10.3 GB');
  });
});

test.describe('02 · weights', () => {
  test('formats, bits per parameter and fitting devices', async ({ page }) => {
    const w = watch(page);
    await page.goto('/weights/');
    const x = widget(page, 'weights');
    await expect(result(x)).toContainText('16.1 GB');
    await expect(result(x)).toContainText('16.000 bits per parameter');
    await x.getByLabel('Storage format').selectOption('q4_k_m');
    // llama.cpp's Q4_K_M rules, tensor by tensor: 4,912,898,048 B.
    await expect(result(x)).toContainText('4.91 GB');
    await expect(result(x)).toContainText('4.894 bits per parameter');
    await expect(x.locator('.lw-fits li', { hasText: 'RTX 4090' })).toContainText('Fits');
    await expect(x.locator('.lw-bar-row.lw-current')).toContainText('GGUF Q4_K_M');
    w.assertClean();
  });

  test('moving the size slider picks a custom Llama-shaped model', async ({ page }) => {
    const w = watch(page);
    await page.goto('/weights/');
    const x = widget(page, 'weights');
    const size = x.getByRole('slider', { name: 'Custom size' });
    await expect(x).toContainText('Not in use while a listed model is chosen');
    await size.focus();
    // 7B → 13B by keyboard: 13,015,864,320 parameters × 2 B in bf16.
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    await expect(size).toHaveAttribute('aria-valuetext', '13B parameters');
    await expect(x.getByLabel('Model')).toHaveValue('custom');
    await expect(x).toContainText('40 layers, 5120 wide, 13,015,864,320 parameters');
    await expect(x).not.toContainText('Not in use');
    await expect(result(x)).toContainText('26.0 GB');
    await expect(page).toHaveURL(/weights\.model=custom/);
    await expect(page).toHaveURL(/weights\.size=13/);
    w.assertClean();
  });

  test('model and format from the URL', async ({ page }) => {
    await page.goto('/weights/?weights.model=llama-3.1-70b&weights.format=int4');
    const x = widget(page, 'weights');
    await expect(result(x)).toContainText('39.5 GB');
    await expect(result(x)).toContainText('4.479 bits per parameter');
    await expect(x.locator('.lw-fits li', { hasText: 'RTX 4090' })).toContainText('Too big');
  });
});

test.describe('04 · attention-matrix', () => {
  test('toy grid and real memory', async ({ page }) => {
    const w = watch(page);
    await page.goto('/attention/');
    const a = widget(page, 'attention-matrix');
    await expect(a).toContainText('256 scores');
    const toy = a.getByLabel('Toy sequence length');
    await toy.focus();
    await page.keyboard.press('End');
    await expect(a).toContainText('1600 scores');
    await expect(toy).toHaveAttribute('aria-valuetext', '40 tokens');
    // 32 heads × 32,768² × 2 B = 68,719,476,736 B; FlashAttention 32 × 32,768 × 4 B.
    await expect(result(a)).toContainText('68.7 GB');
    await expect(result(a)).toContainText('4.19 MB');
    const real = a.getByLabel('Real sequence length');
    await real.focus();
    await page.keyboard.press('ArrowRight'); // 64K: 274,877,906,944 B — more than an H100 holds.
    await expect(result(a)).toContainText('275 GB');
    await expect(result(a)).toContainText('exceed an NVIDIA H100 SXM 80GB');
    w.assertClean();
  });

  test('lengths from the embed URL', async ({ page }) => {
    await page.goto('/embed/attention-matrix/?seq=8&context=8192');
    const a = widget(page, 'attention-matrix');
    await expect(a).toContainText('64 scores');
    await expect(result(a)).toContainText('4.29 GB');
  });
});

test.describe('05 · paging', () => {
  test('contiguous against paged, add a request', async ({ page }) => {
    const w = watch(page);
    await page.goto('/inference/');
    const p = widget(page, 'paging');
    await expect(result(p)).toContainText('47% wasted');
    await expect(result(p)).toContainText('room for 0 more');
    await p.getByRole('radio', { name: 'PagedAttention' }).check();
    // 11 blocks of 8 for 68 tokens: 20 slots of tail waste, 40 free.
    await expect(result(p)).toContainText('16% wasted');
    await expect(result(p)).toContainText('31% free');
    await expect(result(p)).toContainText('room for 2 more');
    await p.getByRole('button', { name: 'Add a request' }).click();
    await expect(result(p)).toContainText('17% wasted');
    await expect(result(p)).toContainText('12% free');
    await expect(result(p)).toContainText('room for 1 more');
    w.assertClean();
  });

  test('mode, block size and requests from the URL', async ({ page }) => {
    await page.goto('/inference/?paging.mode=paged&paging.block=16&paging.requests=2');
    const p = widget(page, 'paging');
    await expect(result(p)).toContainText('15% wasted');
    await expect(result(p)).toContainText('50% free');
    await expect(result(p)).toContainText('room for 4 more');
  });
});

test.describe('05 · prefill-decode', () => {
  test('decode is memory-bound; batching raises the ceiling', async ({ page }) => {
    const w = watch(page);
    await page.goto('/inference/');
    const r = widget(page, 'prefill-decode');
    // 3.35 TB/s ÷ (16,060,522,496 + 1,024 × 131,072 B) = 207 tokens/s.
    await expect(result(r)).toContainText('207 tokens/s');
    await expect(result(r)).toContainText('Decode is memory-bound');
    await expect(result(r)).toContainText('Prefill is compute-bound');
    const batch = r.getByLabel('Batch (sequences decoded together)');
    await batch.focus();
    await page.keyboard.press('End');
    await expect(result(r)).toContainText('20,231 tokens/s');
    w.assertClean();
  });

  test('device and batch from the URL', async ({ page }) => {
    await page.goto('/inference/?prefill-decode.device=a100-80gb&prefill-decode.batch=8');
    await expect(result(widget(page, 'prefill-decode'))).toContainText('952 tokens/s');
  });

  test('an Apple chip gets the memory roof and a decode ceiling', async ({ page }) => {
    const w = watch(page);
    await page.goto('/inference/?prefill-decode.device=m2-ultra');
    const r = widget(page, 'prefill-decode');
    // 800 GB/s ÷ (16,060,522,496 + 134,217,728 B) = 49.4 tokens/s.
    await expect(result(r)).toContainText('49 tokens/s at most while decoding');
    await expect(result(r)).toContainText('publishes no GPU FLOP/s');
    await expect(r.locator('canvas')).toHaveAttribute('aria-label', /memory roof/);
    w.assertClean();
  });

  test('a setting that cannot run says so instead of a speed', async ({ page }) => {
    const w = watch(page);
    await page.goto('/inference/?prefill-decode.model=llama-3.1-405b&prefill-decode.device=rtx-4090');
    const r = widget(page, 'prefill-decode');
    await expect(result(r)).toContainText('Does not fit');
    await expect(result(r)).not.toContainText('tokens/s');
    // An 8B model (16 GB in bf16) runs on the same 24 GB card.
    await r.getByLabel('Model').selectOption('llama-3.1-8b');
    await expect(result(r)).toContainText('tokens/s at most while decoding');
    w.assertClean();
  });
});

test.describe('06 · zero', () => {
  test('sharding and checkpointing shrink per-GPU memory', async ({ page }) => {
    const w = watch(page);
    await page.goto('/training/');
    const z = widget(page, 'zero');
    // Stage 3 on 8 GPUs: 16 B × 8,030,261,248 / 8 + 28.6 GB of activations + two gathered layers (938 MB).
    await expect(result(z)).toContainText('45.6 GB per GPU, against 157 GB unsharded');
    await expect(result(z)).toContainText('Fits an NVIDIA H100 SXM 80GB');
    await z.getByRole('radio', { name: '0 · none' }).check();
    await expect(result(z)).toContainText('157 GB per GPU');
    await z.getByRole('radio', { name: '3 · + parameters' }).check();
    await expect(result(z)).toContainText('45.6 GB per GPU');
    // Checkpointing: layer inputs (1.07 GB), the rest (2.24 GB) and one layer rebuilt (823 MB).
    await z.getByRole('radio', { name: 'On', exact: true }).check();
    await expect(result(z)).toContainText('21.1 GB per GPU');
    await expect(result(z)).toContainText('Fits an NVIDIA H100 SXM 80GB');
    w.assertClean();
  });

  test('stage and GPUs from the URL', async ({ page }) => {
    await page.goto('/training/?zero.stage=2&zero.gpus=64');
    // 16.06 GB of weights + (16.06 GB + 96.4 GB) / 64 + 28.6 GB of activations.
    await expect(result(widget(page, 'zero'))).toContainText('46.4 GB per GPU');
  });
});

test.describe('07 · hierarchy', () => {
  test('tiers and the time to read the weights', async ({ page }) => {
    const w = watch(page);
    await page.goto('/hardware/');
    const h = widget(page, 'hierarchy');
    // The article starts the widget on Llama 3.1 70B: 141,107,412,992 B at 3.35 TB/s.
    await expect(result(h)).toContainText('42.1 ms');
    await expect(result(h)).toContainText('do not fit in this tier');
    await h.getByRole('button', { name: /NVMe SSD/ }).click();
    // At 7.45 GB/s: 18.94 s.
    await expect(result(h)).toContainText('18.9 s');
    await expect(h.getByRole('button', { name: /NVMe SSD/ })).toHaveAttribute('aria-pressed', 'true');
    // The HBM tier cites the device's own source (hardware::DEVICE_SOURCES, looked up by id).
    await h.getByRole('button', { name: /HBM/ }).click();
    await expect(h.locator('.lw-source')).toContainText('NVIDIA H100 datasheet (3.35 TB/s');
    w.assertClean();
  });

  test('device and tier from the URL', async ({ page }) => {
    await page.goto('/hardware/?hierarchy.device=a100-80gb&hierarchy.tier=dram&hierarchy.model=llama-3.1-8b');
    // PCIe 4.0 x16: 31.5 GB/s per direction.
    await expect(result(widget(page, 'hierarchy'))).toContainText('510 ms');
  });
});

test.describe('08 · context-window', () => {
  test('fill, summarise, evict', async ({ page }) => {
    const w = watch(page);
    await page.goto('/agent-memory/');
    const c = widget(page, 'context-window');
    // It opens six 800-token turns into the conversation.
    await expect(c).toContainText('4,800 / 8,192 tokens');
    const add = c.getByRole('button', { name: '+ Add a turn' });
    for (let i = 0; i < 2; i++) await add.click();
    await expect(c).toContainText('6,400 / 8,192 tokens');
    await c.getByRole('button', { name: 'Summarize old turns' }).click();
    // Turns 1–7 (5,600 tokens) at 25% → 1,400, plus turn 8.
    await expect(result(c)).toContainText('Turns 1–7 (5,600 tokens) were replaced by a 1,400-token summary');
    await expect(c).toContainText('2,200 / 8,192 tokens');
    await c.getByRole('button', { name: 'Reset' }).click();
    for (let i = 0; i < 10; i++) await add.click();
    await expect(c.locator('.lw-ctx-meter')).toHaveAttribute('data-state', 'near');
    await add.click();
    await expect(result(c)).toContainText('Turn 11 did not fit, so turn 1 (800 tokens) fell out of the window');
    w.assertClean();
  });

  test('limit and turn size from the URL', async ({ page }) => {
    await page.goto('/agent-memory/?context-window.limit=4096&context-window.turn=1000');
    const c = widget(page, 'context-window');
    // A head start of two turns (at most 60% of the window).
    await expect(c).toContainText('2,000 / 4,096 tokens');
    for (let i = 0; i < 2; i++) await c.getByRole('button', { name: '+ Add a turn' }).click();
    await expect(c).toContainText('4,000 / 4,096 tokens');
    await c.getByRole('button', { name: '+ Add a turn' }).click();
    await expect(result(c)).toContainText('so turn 1 (1,000 tokens) fell out');
  });

  test('a new limit keeps the conversation', async ({ page }) => {
    const w = watch(page);
    await page.goto('/agent-memory/');
    const c = widget(page, 'context-window');
    await expect(c).toContainText('4,800 / 8,192 tokens');
    const limit = c.getByLabel('Context limit');
    const values = await limit.locator('option').evaluateAll((os) => os.map((o) => o.value));
    const larger = values.map(Number).filter((v) => v > 8192).sort((a, b) => a - b)[0];
    await limit.selectOption(String(larger));
    await expect(c).toContainText(`4,800 / ${larger.toLocaleString('en-US')} tokens`);
    await expect(result(c)).toContainText('the whole conversation still fits');
    const smaller = values.map(Number).filter((v) => v < 4800).sort((a, b) => b - a)[0];
    if (smaller) {
      await limit.selectOption(String(smaller));
      await expect(result(c)).toContainText('fell out');
    }
    w.assertClean();
  });
});

test.describe('09 · ssm-vs-kv', () => {
  test('growing cache against constant state', async ({ page }) => {
    const w = watch(page);
    await page.goto('/advanced/');
    const s = widget(page, 'ssm-vs-kv');
    // 1,073,741,824 B of KV against 64 × 5,120 × (3 + 16) × 2 = 12,451,840 B of state.
    await expect(result(s)).toContainText('86×');
    await expect(result(s)).toContainText('state 12.5 MB');
    await expect(result(s)).toContainText('equal at 96 tokens');
    w.assertClean();
  });

  test('sliding-window transformer from the URL', async ({ page }) => {
    await page.goto('/advanced/?ssm-vs-kv.seq=32768&ssm-vs-kv.model=mistral-7b-v0.1');
    await expect(result(widget(page, 'ssm-vs-kv'))).toContainText('43×');
  });
});

test.describe('calculator · fit', () => {
  test('verdict, margin and limits', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('Fits, with 7.93 GB to spare');
    await expect(result(f)).toContainText('Largest context at this batch: 68,728 tokens');
    await expect(result(f)).toContainText('59 tokens/s');
    await f.getByLabel('Weights format').selectOption('fp32');
    await expect(result(f)).toContainText('Does not fit: 8.13 GB short');
    w.assertClean();
  });

  test('a pasted config, and a broken one keeps the previous result', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    const box = f.getByLabel('Type its Hugging Face id (Qwen/Qwen3-8B) or part of its name, or paste its config.json');
    await box.fill(JSON.stringify({
      model_type: 'llama', hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8,
      head_dim: 64, vocab_size: 128256, intermediate_size: 8192, tie_word_embeddings: true, max_position_embeddings: 131072,
    }));
    await f.getByRole('button', { name: 'Use', exact: true }).click();
    await expect(f).toContainText('1,235,814,400 parameters');
    await expect(result(f)).toContainText('Fits, with 22.4 GB to spare');
    await expect(page).toHaveURL(/fit\.config=/);
    await box.fill('{"model_type": "llama", "hidden_size": "big"');
    await f.getByRole('button', { name: 'Use', exact: true }).click();
    await expect(f.locator('.lw-error')).toContainText('not valid JSON');
    await expect(result(f)).toContainText('Fits, with 22.4 GB to spare');
    // …marked as not current.
    await expect(f.locator('.lw-stale-note')).toHaveText(
      'Not current: these figures are for the model shown before, not for what was asked above.',
    );
    w.assertClean();
  });

  test('a broken config on a fresh page keeps the built-in model, marked, and never an empty bar', async ({ page }) => {
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    await f.getByLabel('Type its Hugging Face id (Qwen/Qwen3-8B) or part of its name, or paste its config.json').fill('{"model_type": "llama"');
    await f.getByRole('button', { name: 'Use', exact: true }).click();
    await expect(f.locator('.lw-error')).toContainText('not valid JSON');
    await expect(f.locator('.lw-stack-row')).toBeVisible();
    await expect(result(f)).toContainText('Fits, with 7.93 GB to spare');
    await expect(f.locator('.lw-stale-note')).toBeVisible();
    // Back to the built-in model: its figures, current again.
    await f.getByRole('radio', { name: 'A built-in model' }).check();
    await expect(f.locator('.lw-stale-note')).toHaveCount(0);
    await expect(result(f)).toContainText('Fits, with 7.93 GB to spare');
  });

  test('a pasted config goes into both Embed snippets, and each brings it back', async ({ page, context }) => {
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    await f.getByLabel('Type its Hugging Face id (Qwen/Qwen3-8B) or part of its name, or paste its config.json').fill(JSON.stringify({
      model_type: 'llama', hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8,
      head_dim: 64, vocab_size: 128256, intermediate_size: 8192, tie_word_embeddings: true, max_position_embeddings: 131072,
    }));
    await f.getByRole('button', { name: 'Use', exact: true }).click();
    await expect(result(f)).toContainText('Fits, with 22.4 GB to spare');
    await f.getByRole('button', { name: 'Embed' }).click();
    const script = await f.getByLabel('Script (the widget lives in your page)').inputValue();
    const iframe = await f.getByLabel('Iframe (isolated, any site)').inputValue();
    const encoded = script.match(/data-config="([A-Za-z0-9_-]+)"/)[1];
    expect(iframe).toContain(`config=${encoded}`);
    // The iframe's address shows the pasted model.
    const frame = await context.newPage();
    await frame.goto(iframe.match(/src="([^"]+)"/)[1]);
    await expect(frame.locator('.llmem-widget')).toContainText('1,235,814,400 parameters');
    await expect(frame.locator('.lw-result')).toContainText('Fits, with 22.4 GB to spare');
    await frame.close();
    // So does the script form, on someone else's page.
    const host = await context.newPage();
    await host.goto(`${process.env.LLMEM_HOST}/blank.html`);
    await host.waitForFunction(() => window.llmem);
    await host.evaluate((config) => {
      const el = document.createElement('div');
      el.setAttribute('data-llmem-widget', 'fit');
      el.setAttribute('data-config', config);
      document.body.append(el);
      window.llmem.mount();
    }, encoded);
    const guest = host.locator('[data-llmem-widget="fit"]');
    await expect(guest.locator('.llmem-widget')).toContainText('1,235,814,400 parameters');
    await expect(guest.locator('.lw-result')).toContainText('Fits, with 22.4 GB to spare');
    await host.close();
  });

  test('settings from the URL', async ({ page }) => {
    await page.goto('/calculator/?fit.model=llama-3.1-70b&fit.device=h100-sxm&fit.count=2');
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('Fits, with 25.9 GB to spare');
    await expect(result(f)).toContainText('47 tokens/s');
  });

  test('a context past what the config declares is flagged, with its RoPE scaling', async ({ page }) => {
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.context=131072');
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('Largest context at this batch');
    await expect(result(f)).not.toContainText('past the');
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.context=1048576');
    const g = widget(page, 'fit');
    // Llama 3.1 8B declares 131,072 tokens, reached by llama3 RoPE scaling ×8 from 8,192.
    await expect(result(g)).toContainText("Note: 1,048,576 tokens is past the 131,072 this model's config declares.");
    await expect(result(g)).toContainText('RoPE (llama3) by 8× from 8,192 tokens');
  });
});

test.describe('calculator · find a model', () => {
  // The site is served with the Hub imitation (crates/xtask/src/hub.rs) as
  // its Hub: its origin is in the CSP and the pages' llmem-hub setting.
  async function find(f, text) {
    await f.getByRole('radio', { name: 'Any other model' }).check();
    await f.getByLabel('Type its Hugging Face id (Qwen/Qwen3-8B) or part of its name, or paste its config.json').fill(text);
    await f.getByRole('button', { name: 'Use', exact: true }).click();
  }
  const TINY = 'llama (16 layers), 1,235,814,400 parameters';

  test('part of a name finds a built-in model', async ({ page }) => {
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await find(f, 'qwen3 8b');
    await expect(f.locator('.lw-search-note')).toHaveText('Showing the built-in Qwen3 8B.');
    await expect(f.getByLabel('Built-in model', { exact: true })).toHaveValue('qwen3-8b');
    await find(f, 'gemma');
    await expect(f.locator('.lw-search-note')).toContainText('more match:');
    await find(f, 'no-such-model');
    await expect(f.locator('.lw-error')).toContainText('No built-in model matches “no-such-model”');
    await expect(f.locator('.lw-search-note')).toBeEmpty();
    // A config that fails to read leaves no earlier search's note behind.
    await find(f, 'qwen3 8b');
    await expect(f.locator('.lw-search-note')).toHaveText('Showing the built-in Qwen3 8B.');
    await find(f, '{"model_type": "llama"');
    await expect(f.locator('.lw-error')).toContainText('not valid JSON');
    await expect(f.locator('.lw-search-note')).toBeEmpty();
  });

  test('the built-in catalogue answers ids and names offline, gated repositories included', async ({ page }) => {
    const w = watch(page);
    // No Hub at all: a fetch would fail, and the test with it.
    await page.route('**/resolve/main/config.json', (route) => route.abort());
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await find(f, 'meta-llama/Llama-3.3-70B-Instruct');
    await expect(f).toContainText('Using meta-llama/Llama-3.3-70B-Instruct from the built-in catalogue: llama (80 layers), 70,553,706,496 parameters');
    await expect(f.locator('.lw-error')).toBeEmpty();
    // Words no built-in model holds: the catalogue's repositories, the first shown, the others named.
    await find(f, 'qwen2.5 14b');
    await expect(f.locator('.lw-search-note')).toHaveText(
      '6 repositories match; showing Qwen/Qwen2.5-14B. Others: Qwen/Qwen2.5-14B-Instruct, Qwen/Qwen2.5-14B-Instruct-AWQ, Qwen/Qwen2.5-14B-Instruct-GPTQ-Int4, Qwen/Qwen2.5-14B-Instruct-GPTQ-Int8, Qwen/Qwen2.5-Coder-14B-Instruct.',
    );
    // A quantized repository is priced as it stores its weights, and its model rides in the link.
    await find(f, 'qwen2.5 72b awq');
    await expect(f).toContainText('Using Qwen/Qwen2.5-72B-Instruct-AWQ from the built-in catalogue: qwen2 (80 layers)');
    await expect(page).toHaveURL(/fit\.config=/);
    w.assertClean();
  });

  test('an id is fetched from the Hub, through its redirect, and carried in the URL', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await find(f, 'acme/tiny-llama');
    await expect(f).toContainText(`Using acme/tiny-llama from the Hub: ${TINY}`);
    await expect(result(f)).toContainText('Fits, with 22.4 GB to spare');
    await expect(page).toHaveURL(/fit\.config=/);
    // A renamed repository answers with a redirect to its new name.
    await page.goto('/calculator/');
    const g = widget(page, 'fit');
    await find(g, 'acme/renamed-tiny-llama');
    await expect(g).toContainText(`Using acme/renamed-tiny-llama from the Hub: ${TINY}`);
    w.assertClean();
  });

  test('a slow Hub shows that it is fetching', async ({ page }) => {
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await find(f, 'acme/slow-tiny-llama');
    await expect(f.locator('.lw-search-note')).toHaveText('Fetching config.json of acme/slow-tiny-llama from the Hub…');
    await expect(f).toContainText(`from the Hub: ${TINY}`, { timeout: 10_000 });
    await expect(f.locator('.lw-search-note')).toBeHidden();
  });

  test('each failure says what to do and keeps the last answer, marked as not current', async ({ page }) => {
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    const error = f.locator('.lw-error');
    const stale = f.locator('.lw-stale-note');
    await find(f, 'acme/gated-model');
    await expect(error).toContainText('acme/gated-model is gated on the Hub');
    await expect(error).toContainText('Paste the config');
    // Llama 3.1 8B's figures stay, marked.
    await expect(result(f)).toContainText('Fits, with 7.93 GB to spare');
    await expect(stale).toBeVisible();
    await find(f, 'acme/nothing-here');
    await expect(error).toHaveText('The Hub has no model acme/nothing-here, or it has no config.json: check the spelling.');
    await find(f, 'acme/broken-json');
    await expect(error).toContainText('This config cannot be used');
    await find(f, 'acme/a/b');
    await expect(error).toContainText('is not a Hugging Face id');
    // The network itself failing.
    await page.route('**/resolve/main/config.json', (route) => route.abort());
    await find(f, 'acme/tiny-llama');
    await expect(error).toContainText('The Hub could not be reached for acme/tiny-llama');
    await expect(result(f)).toContainText('Fits, with 7.93 GB to spare');
    // Choosing a model clears the message and the mark.
    await f.getByRole('radio', { name: 'A built-in model' }).check();
    await f.getByLabel('Built-in model', { exact: true }).selectOption('qwen3-8b');
    await expect(error).toBeEmpty();
    await expect(stale).toHaveCount(0);
  });
});

test.describe('calculator · what to change', () => {
  // Llama 3.1 8B at 128K on one RTX 4090: 16.1 GB of weights and 17.2 GB of KV cache
  // (the tensors alone: no serving engine).
  const URL = '/calculator/?fit.model=llama-3.1-8b&fit.device=rtx-4090&fit.context=131072&fit.engine=none';

  test('what does not fit lists the changes that would, ranked, with their totals', async ({ page }) => {
    const w = watch(page);
    await page.goto(URL);
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('Does not fit: 8.17 GB short');
    await expect(result(f)).toContainText('Largest context at this batch: 68,728 tokens. At this context not even one sequence fits.');
    // No speed for what cannot run.
    await expect(result(f)).not.toContainText('tokens/s');
    const items = f.locator('.lw-changes li');
    await expect(items).toHaveCount(5);
    await expect(items.nth(0)).toHaveText('Store the KV cache in FP8 — 25.3 GB of 25.8 GB');
    await expect(items.nth(1)).toContainText('Shorten the context to 68,728 tokens');
    await expect(items.nth(2)).toContainText('Weights in GPTQ 4-bit');
    await expect(items.nth(3)).toContainText('Use 2 × NVIDIA GeForce RTX 4090 (tensor parallel)');
    await expect(items.nth(4)).toContainText('Use one NVIDIA GeForce RTX 5090 instead');
    // Taking the first: the list goes, the verdict turns.
    await f.getByLabel('KV cache dtype').selectOption('fp8');
    await expect(result(f)).toContainText('Fits, with');
    await expect(f.locator('.lw-changes li')).toHaveCount(0);
    // Less than a tenth to spare is called out.
    await expect(result(f)).toContainText('Less than 10% to spare');
    w.assertClean();
  });

  test('the bar marks where the device ends', async ({ page }) => {
    await page.goto(URL);
    const f = widget(page, 'fit');
    const cap = f.locator('.lw-cap');
    await expect(cap).toHaveText('capacity');
    // 25.8 GB of 33.9 GB needed: the line sits three quarters along.
    const left = parseFloat(await cap.evaluate((e) => e.style.left));
    expect(left).toBeGreaterThan(75);
    expect(left).toBeLessThan(77);
    await f.getByLabel('Context length').focus();
    await page.keyboard.press('Home');
    await expect(cap).toHaveAttribute('style', /left: 100%/);
  });

  test('the command line gives the same answer, and copies', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(URL);
    const f = widget(page, 'fit');
    const line = f.locator('code[id$="-cli"]');
    await expect(line).toHaveText('llmem fit llama-3.1-8b --device rtx-4090 --count 1 --weights bf16 --kv bf16 --context 131072 --batch 1');
    await expect(f.locator('.lw-version')).toHaveText(/^Computed by the llmem estimator \d+\.\d+\.\d+\.$/);
    // The CLI, run with that line, prints the figures the page shows.
    const args = (await line.innerText()).split(' ').slice(1);
    const out = execFileSync(process.env.LLMEM_CLI, args, { encoding: 'utf8' });
    const needed = (await f.locator('.lw-fit-needed').innerText()).split(' needed')[0];
    expect(out).toContain(`total        ${needed} (`);
    expect(out).toContain('  --kv fp8           Store the KV cache in FP8 → 25.3 GB of 25.8 GB');
    await f.getByRole('button', { name: 'Copy as an llmem command' }).click();
    await expect(f.getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await line.innerText());
  });
});

test.describe('embed panel', () => {
  test('Embed shows both snippets for the current state, and they work', async ({ page, context }) => {
    const w = watch(page);
    await page.goto('/kv-cache/');
    const kv = widget(page, 'kv-cache');
    const ctx = kv.getByLabel('Context length');
    await ctx.focus();
    await page.keyboard.press('End'); // 128K
    await kv.getByRole('button', { name: 'Embed' }).click();
    await expect(kv.getByRole('button', { name: 'Embed' })).toHaveAttribute('aria-expanded', 'true');
    const script = kv.getByLabel('Script (the widget lives in your page)');
    const iframe = kv.getByLabel('Iframe (isolated, any site)');
    const origin = new URL(page.url()).origin;
    await expect(script).toHaveValue(
      `<div data-llmem-widget="kv-cache" data-context="131072"><a href="${origin}/embed/kv-cache/?context=131072">KV cache growth — interactive figure on llmem</a></div>\n<script type="module" src="${origin}/embed.js"></script>`,
    );
    await expect(iframe).toHaveValue(new RegExp(`^<iframe src="${origin}/embed/kv-cache/\\?context=131072" title="KV cache growth — llmem"`));
    // The iframe snippet's address shows the same state.
    const src = (await iframe.inputValue()).match(/src="([^"]+)"/)[1];
    const frame = await context.newPage();
    await frame.goto(src);
    await expect(frame.locator('.lw-result')).toContainText('17.2 GB');
    await frame.close();
    w.assertClean();
  });
});

test.describe('calculator · engines', () => {
  // The size `show` writes for a byte count (3 significant figures, decimal units).
  const size = (b) => (b >= 1e9 ? `${(b / 1e9).toPrecision(3)} GB` : `${(b / 1e6).toPrecision(3)} MB`);

  test('an engine shows what it allocates, and the command line is llmem serve', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.device=h100-sxm&fit.context=8192&fit.engine=none');
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('Fits, with');
    await expect(f.locator('.lw-engine-head')).toHaveCount(0);
    await f.getByLabel('Serving engine').selectOption('vllm');
    // The lines vLLM prints at start-up, as the serving figure shows them for the same question.
    await expect(f.locator('.lw-engine-head')).toHaveText('What vLLM allocates');
    await expect(result(f)).toContainText('The verdict above counts the tensors alone; this is what vLLM itself would take.');
    await expect(result(f)).toContainText('vLLM serves this workload');
    await expect(result(f)).toContainText('GPU KV cache size: 448,224 tokens');
    await expect(result(f)).toContainText('Maximum concurrency for 8,192 tokens per request: 54.71x');
    await expect(f.locator('tbody tr', { hasText: 'left unused by gpu_memory_utilization' })).toContainText('setting');
    // The fit line stays; the engine's question is its own llmem serve line, with its own Copy button.
    await expect(f.locator('.lw-cli code').last()).toHaveText(/^llmem fit llama-3.1-8b /);
    await expect(f.getByRole('button', { name: 'Copy as an llmem serve command' })).toBeVisible();
    const line = f.locator('#lw-serve-line');
    await expect(line).toHaveText('llmem serve llama-3.1-8b --engine vllm --device h100-sxm --count 1 --weights bf16 --kv bf16 --context 8192 --batch 1');
    const run = async () => JSON.parse(execFileSync(process.env.LLMEM_CLI, [...(await line.innerText()).split(' ').slice(1), '--json'], { encoding: 'utf8' }));
    expect((await run()).kv_cache_tokens).toBe(448224);
    // The choice is in the link.
    await expect(page).toHaveURL(/fit\.engine=vllm/);

    // llama.cpp runs GGUF files on one device: a message for anything else.
    await f.getByLabel('Serving engine').selectOption('llama.cpp');
    await f.getByLabel('Weights format').selectOption('awq-int4');
    await expect(result(f)).toContainText('llama.cpp loads GGUF files');
    await f.getByLabel('Weights format').selectOption('q4_k_m');
    await f.getByLabel('KV cache dtype').selectOption('int8');
    await expect(result(f)).toContainText('llama.cpp serves this workload');
    // Its q8_0 cache needs flash attention, which the command line turns on; the CLI prints the page's buffers.
    await expect(line).toHaveText('llmem serve llama-3.1-8b --engine llama.cpp --flash-attn on --device h100-sxm --count 1 --weights q4_k_m --kv int8 --context 8192 --batch 1');
    // (The GPU's model buffer: llama.cpp keeps the token embedding in host memory.)
    const gpu = Object.fromEntries((await run()).gpus[0].terms.map((t) => [t.id, t.bytes]));
    await expect(f.locator('tbody tr', { hasText: 'KV cache' })).toContainText(size(gpu.kv));
    await expect(f.locator('tbody tr', { hasText: 'model buffer' })).toContainText(size(gpu.weights));
    await expect(f.locator('tbody tr', { hasText: 'compute buffer' })).toContainText(size(gpu.compute));
    await f.getByLabel('Devices').focus();
    await page.keyboard.press('ArrowRight');
    await expect(result(f)).toContainText('llmem models llama.cpp on one device');
    // Back to no engine: the section and its command line go.
    await f.getByLabel('Serving engine').selectOption('none');
    await expect(f.locator('.lw-engine-head')).toHaveCount(0);
    await expect(line).toHaveCount(0);
    w.assertClean();
  });

  test('the usual engine by default: vLLM on a GPU, llama.cpp on a Mac, answered without fetching its code', async ({ page }) => {
    const w = watch(page);
    const lazy = [];
    page.on('request', (r) => /split_|chunk_/.test(r.url()) && lazy.push(r.url()));
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    // Llama 3.1 8B in BF16 at 8K on an RTX 4090, as `llmem serve … --engine vllm` prints it.
    await expect(f.locator('.lw-engine-head')).toHaveText('What vLLM allocates');
    await expect(f.getByLabel('Serving engine')).toHaveValue('auto');
    const line = f.locator('#lw-serve-line');
    await expect(line).toHaveText('llmem serve llama-3.1-8b --engine vllm --device rtx-4090 --count 1 --weights bf16 --kv bf16 --context 8192 --batch 1');
    const run = async () => JSON.parse(execFileSync(process.env.LLMEM_CLI, [...(await line.innerText()).split(' ').slice(1), '--json'], { encoding: 'utf8' }));
    const first = await run();
    await expect(result(f)).toContainText(`GPU KV cache size: ${first.kv_cache_tokens.toLocaleString('en-US')} tokens`);
    await expect(result(f)).toContainText(`Maximum concurrency for 8,192 tokens per request: ${first.max_concurrency.toFixed(2)}x`);
    await expect(page).not.toHaveURL(/fit\.engine=/);
    // The speed is said once, in the engine's section.
    await expect(result(f).getByText(/^Decoding runs at most/)).toHaveCount(1);
    // The first load carries that answer: no lazily fetched module was asked for.
    await page.waitForLoadState('networkidle');
    expect(lazy).toEqual([]);
    // Another question is computed (and fetches the engines' code): 16K.
    await f.getByLabel('Context length').focus();
    await page.keyboard.press('ArrowRight');
    await expect(result(f)).toContainText('Maximum concurrency for 16,384 tokens per request');
    await expect(line).toContainText('--context 16384');
    const second = await run();
    await expect(result(f)).toContainText(`Maximum concurrency for 16,384 tokens per request: ${second.max_concurrency.toFixed(2)}x`);
    expect(lazy.length).toBeGreaterThan(0);
    // On a Mac the usual engine is llama.cpp.
    await f.getByLabel('Device', { exact: true }).selectOption('mac-36gb');
    await expect(f.locator('.lw-engine-head')).toHaveText('What llama.cpp allocates');
    await expect(line).toContainText('--engine llama.cpp --device mac-36gb');
    w.assertClean();
  });

  test('pipeline stages split the devices, as llmem serve --tp --pp does', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/?fit.model=llama-3.1-70b&fit.device=h100-sxm&fit.count=4&fit.pp=2');
    const f = widget(page, 'fit');
    const line = f.locator('#lw-serve-line');
    await expect(line).toHaveText('llmem serve llama-3.1-70b --engine vllm --device h100-sxm --count 4 --tp 2 --pp 2 --weights bf16 --kv bf16 --context 8192 --batch 1');
    const json = JSON.parse(execFileSync(process.env.LLMEM_CLI, [...(await line.innerText()).split(' ').slice(1), '--json'], { encoding: 'utf8' }));
    expect(json.gpus.map((g) => g.stage)).toEqual([0, 0, 1, 1]);
    await expect(result(f)).toContainText(`GPU KV cache size: ${json.kv_cache_tokens.toLocaleString('en-US')} tokens`);
    await expect(result(f)).toContainText('in pipeline stage 1 of 2');
    // Stages that do not divide the devices get a message.
    await f.getByLabel('Pipeline stages').selectOption('8');
    await expect(result(f)).toContainText('4 devices do not split into 8 pipeline stages');
    await expect(page).toHaveURL(/fit\.pp=8/);
    // Without an engine nothing is split into stages, and the control goes.
    await f.getByLabel('Serving engine').selectOption('none');
    await expect(f.getByLabel('Pipeline stages')).toBeHidden();
    w.assertClean();
  });

  test('a price per GPU-hour goes in the link, the embed snippet and the command line', async ({ page, context }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    const price = f.getByLabel('Price per GPU-hour, US$');
    await price.fill('0.69');
    const line = f.locator('#lw-serve-line');
    await expect(line).toHaveText(/ --batch 1 --gpu-hour-price 0\.69$/);
    await expect(page).toHaveURL(/fit\.price=0\.69/);
    // The cost is the CLI's, for the line as the page gives it.
    const speed = JSON.parse(execFileSync(process.env.LLMEM_CLI, [...(await line.innerText()).split(' ').slice(1), '--json'], { encoding: 'utf8' })).speed;
    const cost = `at least $${speed.cost_per_million[0].toFixed(2)} per million generated tokens.`;
    await expect(f.locator('.lw-cost output')).toHaveText(cost);
    await expect(price).toBeFocused();
    // The Embed snippets carry it; the link opened anew shows the same cost.
    await f.getByRole('button', { name: 'Embed' }).click();
    await expect(f.getByLabel('Script (the widget lives in your page)')).toHaveValue(/ data-price="0\.69"/);
    const other = await context.newPage();
    await other.goto(page.url());
    const g = widget(other, 'fit');
    await expect(g.getByLabel('Price per GPU-hour, US$')).toHaveValue('0.69');
    await expect(g.locator('.lw-cost output')).toHaveText(cost);
    await other.close();
    // A price emptied: no cost, and the link forgets it.
    await price.fill('');
    await expect(f.locator('.lw-cost output')).toHaveText('Enter a price from $0 to $10,000 to see the cost per million generated tokens.');
    await expect(page).not.toHaveURL(/fit\.price=/);
    w.assertClean();
  });

  test('speed and cost: the ceiling, the band measured runs give, a price per GPU-hour', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.device=rtx-4090&fit.weights=q4_k_m&fit.context=8192&fit.engine=llama.cpp');
    const f = widget(page, 'fit');
    await expect(f.getByRole('heading', { name: 'Speed and cost' })).toBeVisible();
    // The page's figures are the CLI's for the same question.
    const cli = async () => {
      const args = (await f.locator('#lw-serve-line').innerText()).split(' ').slice(1);
      // (The line carries the price once one is typed.)
      const price = args.includes('--gpu-hour-price') ? [] : ['--gpu-hour-price', '0.69'];
      return JSON.parse(execFileSync(process.env.LLMEM_CLI, [...args, ...price, '--json'], { encoding: 'utf8' })).speed;
    };
    const tps = (v) => Math.round(v).toLocaleString('en-US');
    let s = await cli();
    const speed = f.locator('.lw-speed');
    await expect(speed).toContainText(`Decoding runs at most ${tps(s.ceiling_tokens_per_s)} tokens/s in all`);
    await expect(speed).toContainText('Measured llama.cpp runs reached 62–86% of their ceilings');
    await expect(speed).toContainText(`expect about ${tps(s.band.low_tokens_per_s)}–${tps(s.band.high_tokens_per_s)} tokens/s`);
    // A price per GPU-hour: the cost of a million tokens at the band's speeds.
    const price = f.getByLabel('Price per GPU-hour, US$');
    await expect(f.locator('.lw-cost output')).toHaveText('Enter a price to see the cost per million generated tokens.');
    await price.fill('0.69');
    let [fast, slow] = s.cost_per_million;
    await expect(f.locator('.lw-cost output')).toHaveText(`$${fast.toFixed(2)}–$${slow.toFixed(2)} per million generated tokens.`);
    // vLLM: no run on record, so no band, and the cost at the ceiling is a floor; the price stays.
    await f.getByLabel('Weights format').selectOption('bf16');
    await f.getByLabel('Serving engine').selectOption('vllm');
    await expect(speed).toContainText('No measured vLLM run is on record here to bound it from below');
    await expect(price).toHaveValue('0.69');
    await expect(f.locator('#lw-serve-line')).toContainText('--engine vllm');
    s = await cli();
    expect(s.band).toBeNull();
    [fast] = s.cost_per_million;
    await expect(f.locator('.lw-cost output')).toHaveText(`at least $${fast.toFixed(2)} per million generated tokens.`);
    w.assertClean();
  });

  test('a model that fits as tensors but not in vLLM says so', async ({ page }) => {
    // Llama 3.1 8B in BF16 at 64K on an RTX 4090: the tensors fit in 25.8 GB,
    // but 90% of the card less vLLM's activation peak holds 37,856 tokens of cache.
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.device=rtx-4090&fit.context=65536&fit.engine=vllm');
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('Fits, with');
    await expect(result(f)).toContainText('vLLM cannot serve this workload');
    await expect(result(f)).toContainText('vLLM would refuse to start: the KV cache holds 37,856 tokens');
  });

  test('llama.cpp with a model too big for the GPU: the most layers that fit', async ({ page }) => {
    await page.goto('/calculator/?fit.model=llama-3.1-70b&fit.device=rtx-4090&fit.weights=q4_k_m&fit.engine=llama.cpp');
    const f = widget(page, 'fit');
    await expect(result(f)).toContainText('llama.cpp cannot serve this workload');
    const note = f.locator('.lw-offload');
    await expect(note).toContainText(/with --n-gpu-layers \d+ \(\d+ of 80 layers\) the GPU holds/);
    // The CLI, given that many layers, agrees that they fit and one more does not.
    const n = Number((await note.locator('code').innerText()).split(' ')[1]);
    const args = (await f.locator('#lw-serve-line').innerText()).split(' ').slice(1);
    const serve = (layers) => JSON.parse(execFileSync(process.env.LLMEM_CLI, [...args, '--n-gpu-layers', String(layers), '--json'], { encoding: 'utf8' }));
    expect(serve(n).fits).toBe(true);
    expect(serve(n + 1).fits).toBe(false);
  });
});

test.describe('calculator · uploads', () => {
  test('a config.json file is read; an oversized one is refused with a message', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    const gpt2 = JSON.stringify({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257 });
    await f.locator('input[type=file]').setInputFiles({ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(gpt2) });
    await expect(f).toContainText('124,439,808 parameters');
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    await f.locator('input[type=file]').setInputFiles({ name: 'huge.json', mimeType: 'application/json', buffer: big });
    await expect(f.locator('.lw-error')).toContainText('“huge.json” is 2.10 MB; a config.json is at most 1.05 MB');
    // The previous (GPT-2) result stays.
    await expect(f).toContainText('124,439,808 parameters');
    w.assertClean();
  });

  // The page's command line, run with the file it names at `path`.
  const runLine = async (f, path) => {
    const args = (await f.locator('code[id$="-cli"]').innerText()).split(' ').slice(1).map((a) => (a.startsWith("'") ? path : a));
    return execFileSync(process.env.LLMEM_CLI, args, { encoding: 'utf8' });
  };

  test('a GGUF is read from its header alone: its metadata is the model, its tensors the weights', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/?fit.device=rtx-4090&fit.context=32768');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    // A 5 GB file whose body is a hole: only its header is read, in well under the test's time.
    await f.locator('input[type=file]').setInputFiles(process.env.LLMEM_GGUF);
    await expect(f).toContainText('Using Qwen3-8B-Q4_K_M.gguf: qwen3 (36 layers)');
    await expect(f.locator('.lw-search-note')).toContainText('Read the header of “Qwen3-8B-Q4_K_M.gguf”: 399 tensors: q4_K');
    // The weights are the file's: the format menu gives way, and the CLI reading the same file agrees.
    await expect(f.getByLabel('Weights format')).toBeHidden();
    const line = f.locator('code[id$="-cli"]');
    await expect(line).toHaveText("llmem fit 'Qwen3-8B-Q4_K_M.gguf' --device rtx-4090 --count 1 --kv bf16 --context 32768 --batch 1");
    const inspected = JSON.parse(execFileSync(process.env.LLMEM_CLI, ['inspect', process.env.LLMEM_GGUF, '--json'], { encoding: 'utf8' }));
    const out = await runLine(f, process.env.LLMEM_GGUF);
    expect(out).toContain('(as the file stores them)');
    const needed = (await f.locator('.lw-fit-needed').innerText()).split(' needed')[0];
    expect(out).toContain(`total        ${needed} (`);
    const args = (await line.innerText()).split(' ').slice(1).map((a) => (a.startsWith("'") ? process.env.LLMEM_GGUF : a));
    const json = JSON.parse(execFileSync(process.env.LLMEM_CLI, [...args, '--json'], { encoding: 'utf8' }));
    expect(json.weights_bytes).toBe(inspected.bytes);
    // llama.cpp sizes that very file: its tensors placed by layer, as llmem serve does with the file.
    await f.getByLabel('Serving engine').selectOption('llama.cpp');
    await expect(result(f)).toContainText('llama.cpp\'s model buffer is Qwen3-8B-Q4_K_M.gguf itself');
    const serveLine = f.locator('#lw-serve-line');
    await expect(serveLine).toHaveText("llmem serve 'Qwen3-8B-Q4_K_M.gguf' --engine llama.cpp --device rtx-4090 --count 1 --kv bf16 --context 32768 --batch 1");
    const serveArgs = (await serveLine.innerText()).split(' ').slice(1).map((a) => (a.startsWith("'") ? process.env.LLMEM_GGUF : a));
    const served = JSON.parse(execFileSync(process.env.LLMEM_CLI, [...serveArgs, '--json'], { encoding: 'utf8' }));
    const gpu = Object.fromEntries(served.gpus[0].terms.map((t) => [t.id, t.bytes]));
    const size = (b) => (b >= 1e9 ? `${(b / 1e9).toPrecision(3)} GB` : `${(b / 1e6).toPrecision(3)} MB`);
    await expect(f.locator('tbody tr', { hasText: 'model buffer' })).toContainText(size(gpu.weights));
    await expect(f.locator('tbody tr', { hasText: 'KV cache' })).toContainText(size(gpu.kv));
    await f.getByLabel('Serving engine').selectOption('auto');
    await expect(page).not.toHaveURL(/fit\.engine=/);
    // The link carries the model (its metadata's config) and the file's bytes: opened
    // elsewhere, it asks the same question, and its command line gives the bytes.
    await expect(page).toHaveURL(new RegExp(`fit\\.stored=${inspected.bytes}`));
    const needed32k = await f.locator('.lw-fit-needed').innerText();
    const other = await page.context().newPage();
    await other.goto(page.url());
    const g = widget(other, 'fit');
    await expect(g.locator('.lw-fit-needed')).toHaveText(needed32k);
    await expect(g).toContainText('as the checkpoint file this link was made from stores them');
    await expect(g.locator('code[id$="-cli"]')).toHaveText(`llmem fit config.json --device rtx-4090 --count 1 --weights-bytes ${inspected.bytes} --kv bf16 --context 32768 --batch 1`);
    await other.close();
    // A built-in model brings the formats back.
    await f.getByRole('radio', { name: 'A built-in model' }).check();
    await expect(f.getByLabel('Weights format')).toBeVisible();
    await expect(line).toContainText('--weights ');
    w.assertClean();
  });

  test('a link with a file’s bytes and a built-in model prices those bytes', async ({ page }) => {
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.device=rtx-4090&fit.stored=4920000000');
    const f = widget(page, 'fit');
    await expect(f).toContainText('Using Llama 3.1 8B\'s architecture. Weights: 4.92 GB, as the checkpoint file this link was made from stores them.');
    await expect(f.locator('code[id$="-cli"]')).toHaveText('llmem fit llama-3.1-8b --device rtx-4090 --count 1 --weights-bytes 4920000000 --kv bf16 --context 8192 --batch 1');
    const out = JSON.parse(execFileSync(process.env.LLMEM_CLI, [...(await f.locator('code[id$="-cli"]').innerText()).split(' ').slice(1), '--json'], { encoding: 'utf8' }));
    expect(out.weights_bytes).toBe(4920000000);
    const needed = (await f.locator('.lw-fit-needed').innerText()).split(' needed')[0];
    expect(needed).toBe(`${(out.total_bytes / 1e9).toPrecision(3)} GB`);
  });

  test('a safetensors shard, an index and a broken GGUF', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/?fit.model=llama-3.1-8b&fit.device=h100-sxm');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    // One shard: two tensors, 128,256 bytes; a safetensors file names no model, so the one shown stays.
    const header = JSON.stringify({ embed: { dtype: 'BF16', shape: [1000, 64], data_offsets: [0, 128000] }, norm: { dtype: 'F32', shape: [64], data_offsets: [128000, 128256] } });
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const shard = Buffer.concat([length, Buffer.from(header), Buffer.alloc(128256)]);
    await f.locator('input[type=file]').setInputFiles({ name: 'model-00001-of-00002.safetensors', mimeType: 'application/octet-stream', buffer: shard });
    await expect(f).toContainText("Using Llama 3.1 8B's architecture. Weights as “model-00001-of-00002.safetensors” stores them");
    await expect(f.locator('.lw-search-note')).toContainText('This is one shard of several: choose model.safetensors.index.json');
    const line = f.locator('code[id$="-cli"]');
    await expect(line).toHaveText(/^llmem fit llama-3\.1-8b --device h100-sxm --count 1 --weights-file 'model-00001-of-00002\.safetensors' --kv /);
    const path = `${process.env.LLMEM_REPORT_DIR}/model-00001-of-00002.safetensors`;
    (await import('node:fs')).writeFileSync(path, shard);
    const needed = (await f.locator('.lw-fit-needed').innerText()).split(' needed')[0];
    expect(await runLine(f, path)).toContain(`total        ${needed} (`);
    // The index covers every shard: 16.06 GB of tensors.
    const index = JSON.stringify({ metadata: { total_size: 16060522496 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } });
    await f.locator('input[type=file]').setInputFiles({ name: 'model.safetensors.index.json', mimeType: 'application/json', buffer: Buffer.from(index) });
    await expect(f.locator('.lw-search-note')).toContainText('Read the header of “model.safetensors.index.json”: 2 tensors in 2 shards.');
    await expect(f).toContainText('Weights as “model.safetensors.index.json” stores them: 16.1 GB.');
    // A GGUF whose header claims more tensors than any file holds: a message, and the last answer stays.
    const bad = Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.from([255, 255, 255, 255, 255, 255, 255, 127]), Buffer.alloc(48)]);
    await f.locator('input[type=file]').setInputFiles({ name: 'broken.gguf', mimeType: 'application/octet-stream', buffer: bad });
    await expect(f.locator('.lw-error')).toContainText('“broken.gguf” cannot be used: not a valid GGUF file');
    await expect(f).toContainText('Weights as “model.safetensors.index.json” stores them: 16.1 GB.');
    w.assertClean();
  });

  test('a file dropped on the model box is read', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'fit');
    await f.getByRole('radio', { name: 'Any other model' }).check();
    const index = JSON.stringify({ metadata: { total_size: 4920000000 }, weight_map: { a: 'x.safetensors' } });
    const drop = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'model.safetensors.index.json', { type: 'application/json' }));
      return dt;
    }, index);
    await f.locator('.lw-paste textarea').dispatchEvent('drop', { dataTransfer: drop });
    await expect(f).toContainText('Weights as “model.safetensors.index.json” stores them: 4.92 GB.');
    w.assertClean();
  });
});

test.describe('calculator · fine-tuning', () => {
  test('QLoRA of an 8B model fits a 24 GB card; fully fine-tuned it needs ZeRO-3 over H100s', async ({ page }) => {
    const w = watch(page);
    await page.goto('/calculator/');
    const f = widget(page, 'finetune');
    // The default: Llama 3.1 8B, QLoRA rank 16 on every linear layer, 2K tokens, checkpointing, one RTX 4090.
    await expect(result(f)).toContainText('✓ Fits, with');
    await expect(result(f)).toContainText('41,943,040 trainable parameters');
    await expect(f.getByLabel('LoRA rank')).toBeVisible();
    // Full fine-tuning on one H100: 16 bytes per parameter alone are 128 GB.
    await f.getByLabel('Device', { exact: true }).selectOption('h100-sxm');
    await f.getByRole('radio', { name: 'Full' }).check();
    await expect(f.getByLabel('LoRA rank')).toBeHidden();
    await expect(result(f)).toContainText('✗ Does not fit');
    await expect(result(f)).toContainText('8,030,261,248 trainable parameters');
    // ZeRO-3 over eight of them.
    await f.getByRole('radio', { name: 'ZeRO-3' }).check();
    await f.getByLabel('Data-parallel GPUs').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await expect(f.getByLabel('Data-parallel GPUs')).toHaveAttribute('aria-valuetext', '8');
    await expect(result(f)).toContainText('✓ Fits, with');
    await expect(page).toHaveURL(/finetune\.method=full/);
    await expect(page).toHaveURL(/finetune\.gpus=8/);
    w.assertClean();
  });
});

test.describe('units', () => {
  test('GiB is kept in the link and on the next page', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/');
    const kv = widget(page, 'kv-cache');
    await kv.getByRole('radio', { name: 'GiB' }).check();
    await expect(page).toHaveURL(/[?&]units=gib/);
    await page.reload();
    await expect(widget(page, 'kv-cache').getByRole('radio', { name: 'GiB' })).toBeChecked();
    await expect(result(widget(page, 'kv-cache'))).toContainText('GiB');
    // Another page, no query: the stored choice.
    await page.goto('/weights/');
    await expect(widget(page, 'weights').getByRole('radio', { name: 'GiB' })).toBeChecked();
    await widget(page, 'weights').getByRole('radio', { name: 'GB', exact: true }).check();
    await expect(page).not.toHaveURL(/units=/);
    w.assertClean();
  });
});

test.describe('06 · step-timeline', () => {
  test('the step peaks when the loss gradient arrives, lower with checkpointing', async ({ page }) => {
    const w = watch(page);
    await page.goto('/training/');
    const t = widget(page, 'step-timeline');
    // Llama 3.1 8B, ZeRO-3 on 8 GPUs, 4K tokens: 14.05 GB resident (weights and
    // optimizer state, sharded) + 28.56 GB of activations + the loss gradient
    // (4 × 128,256 × 4096 B = 2.10 GB) + the LM head's gradient share (131 MB).
    await expect(result(t)).toContainText('44.8 GB at the peak of the step');
    await expect(result(t)).toContainText('gradient of the logits');
    await expect(result(t)).toContainText('Resident throughout: 14.1 GB');
    // The data table, the chart's text alternative: one row per event, the peak marked.
    await t.getByText('Data table').click();
    await expect(t.locator('tbody tr')).toHaveCount(2 * 32 + 6);
    await expect(t.locator('tbody tr.lw-peak th')).toHaveText('gradient of the loss (peak)');
    // Checkpointing keeps 32 layer inputs (1.07 GB) instead, and the loss gradient's moment falls
    // below the optimizer step's: 14.05 GB resident + 2.01 GB of gradients + the fp32 copy of one
    // ZeRO-3 sub-group of 10⁹ gradients (4.00 GB) = 20.1 GB.
    await t.getByRole('radio', { name: 'On', exact: true }).check();
    await expect(result(t)).toContainText('20.1 GB at the peak of the step');
    await expect(t.locator('tbody tr.lw-peak th')).toHaveText('optimizer step, with its temporaries (peak)');
    w.assertClean();
  });

  test('settings from the URL', async ({ page }) => {
    await page.goto('/training/?step-timeline.gpus=1&step-timeline.stage=0');
    // One GPU, no sharding: the optimizer step is the peak — 2 + 12 bytes per parameter resident,
    // 2 of gradients and 4 of their fp32 copy: 20 × 8,030,261,248 B.
    const t = widget(page, 'step-timeline');
    await expect(result(t)).toContainText('161 GB at the peak of the step');
    await expect(result(t)).toContainText('an fp32 copy of 16-bit gradients');
    await expect(t.locator('tbody tr.lw-peak th')).toHaveText('optimizer step, with its temporaries (peak)');
    // foreach Adam's square roots add 4 bytes per parameter more.
    await t.getByRole('radio', { name: 'Foreach' }).check();
    await expect(result(t)).toContainText('193 GB at the peak of the step');
    await expect(page).toHaveURL(/step-timeline\.adam=foreach/);
    // fp32 gradients: no copy at the step, the loss gradient's moment is the peak again.
    await t.getByRole('radio', { name: 'Fused' }).check();
    await t.getByRole('radio', { name: 'FP32' }).check();
    await expect(t.locator('tbody tr.lw-peak th')).toHaveText('gradient of the loss (peak)');
  });

  test('context parallelism: a 32K sequence over 4 GPUs is held as 8K is', async ({ page }) => {
    const w = watch(page);
    await page.goto('/training/?step-timeline.seq=8192');
    const t = widget(page, 'step-timeline');
    const peak = () => result(t).locator('.lw-big').innerText();
    await expect(result(t)).toContainText('at the peak of the step');
    const short = await peak();
    const seq = t.getByLabel('Sequence length');
    await seq.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(seq).toHaveAttribute('aria-valuetext', /32K tokens/);
    await expect(result(t).locator('.lw-big')).not.toHaveText(short);
    const split = t.getByLabel('Each sequence split over (context parallel)');
    await split.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(split).toHaveAttribute('aria-valuetext', '4 GPUs');
    await expect(result(t).locator('.lw-big')).toHaveText(short);
    await expect(page).toHaveURL(/step-timeline\.cp=4/);
    // A sequence split over four of two GPUs: a message, not an empty figure.
    await t.getByLabel('GPUs in all (data × context parallel)').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await expect(result(t)).toContainText('a context-parallel size of 4 does not divide 2 GPUs');
    w.assertClean();
  });
});

test.describe('05 · engine-memory', () => {
  test('vLLM prints its two start-up lines; llama.cpp on a Mac runs in unified memory', async ({ page }) => {
    const w = watch(page);
    await page.goto('/inference/');
    const e = widget(page, 'engine-memory');
    // What `llmem serve llama-3.1-8b --engine vllm` prints (16-token blocks of 131,072 B per token).
    await expect(result(e)).toContainText('GPU KV cache size: 448,224 tokens');
    await expect(result(e)).toContainText('Maximum concurrency for 8,192 tokens per request: 54.71x');
    await expect(e.locator('tbody tr', { hasText: 'profiled activation peak' })).toContainText('estimate');
    await expect(e.locator('tbody tr', { hasText: 'KV cache blocks' })).toContainText('exact');
    await expect(e.locator('tbody tr', { hasText: 'left unused' })).toContainText('setting');
    // Three GPUs cannot split 32 heads: a message, not a crash.
    await e.getByRole('radio', { name: 'llama.cpp' }).check();
    await e.getByLabel('Device').selectOption('mac-16gb');
    await expect(result(e)).toContainText('llama.cpp serves this workload');
    // In unified memory there is no per-GPU report: the table still names its buffers.
    await expect(e.locator('tbody tr', { hasText: 'compute buffer' })).toContainText('estimate');
    await expect(e.locator('tbody tr', { hasText: 'output buffer' })).toContainText('exact');
    await expect(e.getByLabel('GGUF file type')).toBeVisible();
    await expect(e.getByLabel('Weights', { exact: true })).toBeHidden();
    w.assertClean();
  });

  test('a model too big for its GPUs says what to change', async ({ page }) => {
    await page.goto('/inference/?engine-memory.model=llama-3.1-70b');
    const e = widget(page, 'engine-memory');
    await expect(result(e)).toContainText('vLLM cannot serve this workload');
    await expect(result(e)).toContainText('--tp');
    await e.getByLabel('GPUs (tensor parallel)').focus();
    await page.keyboard.press('End');
    await expect(result(e)).toContainText('vLLM serves this workload');
  });
});

test.describe('03 · layer-map', () => {
  test('Gemma 3 keeps 52 local layers at 1,024 tokens and 10 full ones growing', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/');
    const m = widget(page, 'layer-map');
    // 16 KV heads × 128 × 2 × 2 B = 8,192 B per token and layer:
    // 52 × 1,024 × 8,192 + 10 × 32,768 × 8,192 = 3,120,562,176 B; all full: 62 × 32,768 × 8,192.
    await expect(result(m)).toContainText('3.12 GB');
    await expect(result(m)).toContainText('it would be 16.6 GB');
    await expect(m.locator('.lw-layer')).toHaveCount(62);
    await expect(m.locator('tbody tr', { hasText: 'sliding window (1,024)' })).toContainText('52');
    await expect(m.locator('tbody tr', { hasText: 'full attention' })).toContainText('32,768');
    // Only the full layers grow: 10 × 1,048,576 × 8,192 + the same local layers.
    await m.getByLabel('Tokens in the sequence').focus();
    await page.keyboard.press('End');
    await expect(result(m)).toContainText('86.3 GB');
    // A model with full attention everywhere saves nothing.
    await m.getByLabel('Model').selectOption('llama-3.1-8b');
    await expect(result(m)).toContainText('nothing is saved');
    w.assertClean();
  });

  test('a hybrid from the URL shows its recurrent state', async ({ page }) => {
    await page.goto('/kv-cache/?layer-map.model=nemotron-h-8b&layer-map.context=131072');
    const m = widget(page, 'layer-map');
    await expect(m.locator('tbody tr', { hasText: 'recurrent state' })).toContainText('fixed state');
    await expect(m.getByLabel('Tokens in the sequence')).toHaveAttribute('aria-valuetext', /128K tokens/);
  });
});

test.describe('08 · memory-store', () => {
  test('a million documents in HNSW, then flat, then IVF-PQ', async ({ page }) => {
    const w = watch(page);
    await page.goto('/agent-memory/');
    const s = widget(page, 'memory-store');
    // 1,000 tokens in 512-token chunks overlapping by 64: 3 chunks per document.
    // 3,000,000 × 768 × 4 B = 9.216 GB of vectors, plus 3,000,000 × (4 × (64 + 32/31) + 12) B of graph.
    await expect(result(s)).toContainText('10.0 GB');
    await expect(result(s)).toContainText('3,000,000 chunks');
    await s.getByRole('radio', { name: 'Flat (exact)' }).check();
    await expect(result(s)).toContainText('9.22 GB');
    await expect(s.getByLabel('HNSW M, or PQ bytes per vector')).toBeDisabled();
    // 32-byte codes + 8-byte ids + 6,928 centroids and 256 codewords of 768 floats.
    await s.getByRole('radio', { name: 'IVF-PQ' }).check();
    await expect(result(s)).toContainText('142 MB');
    await s.getByLabel('Chunk overlap (tokens)').focus();
    await page.keyboard.press('End');
    await expect(result(s)).toContainText('No store for these settings');
    w.assertClean();
  });

  test('settings from the URL', async ({ page }) => {
    await page.goto('/agent-memory/?memory-store.embedder=text-embedding-3-large&memory-store.dtype=binary&memory-store.index=flat');
    const s = widget(page, 'memory-store');
    // 3,000,000 × 3,072 / 8 B.
    await expect(result(s)).toContainText('1.15 GB');
    await expect(s.getByLabel('Vectors stored as')).toHaveValue('binary');
  });
});

test.describe('07 · bandwidth-race', () => {
  test('every device reads Llama 3.1 8B once; 70B in bf16 drops most of them', async ({ page }) => {
    const w = watch(page);
    await page.goto('/hardware/');
    const r = widget(page, 'bandwidth-race');
    // 16,060,522,496 B of weights + 8,192 × 131,072 B of cache = 17,134,264,320 B per step.
    await expect(r).toContainText('Each token reads 16.1 GB of weights and 1.07 GB of KV cache: 17.1 GB per step.');
    // H100 SXM, 3.35 TB/s: 17,134,264,320 / 3.35e12 s = 5.11 ms, at most 195.5 tokens/s.
    await expect(r.locator('.lw-lane', { hasText: 'H100 SXM' })).toContainText('at most 195.5 tokens/s');
    // A 16 GB Mac lets its GPU use two thirds of its memory.
    await expect(r.locator('.lw-lane', { hasText: 'Apple M4 (16 GB)' })).toContainText('does not fit');
    await r.getByLabel('Model').selectOption('llama-3.1-70b');
    await expect(r.locator('.lw-lane', { hasText: 'RTX 4090' })).toContainText('does not fit');
    await r.getByLabel('Weights').selectOption('q4_k_m');
    await expect(r.locator('.lw-lane', { hasText: 'MI300X' })).toContainText('tokens/s');
    w.assertClean();
  });

  test('settings from the URL', async ({ page }) => {
    await page.goto('/hardware/?bandwidth-race.model=llama-3.1-405b&bandwidth-race.format=bf16');
    const r = widget(page, 'bandwidth-race');
    await expect(result(r)).toContainText('No device here can hold it');
  });
});

test.describe('09 · speculative', () => {
  test('a 1B draft for Llama 3.1 70B costs 2.74 GB and buys about 3×', async ({ page }) => {
    const w = watch(page);
    await page.goto('/advanced/');
    const s = widget(page, 'speculative');
    // (1 − 0.8^5) / 0.2 = 3.36 tokens per pass; draft 2,471,628,800 B of weights
    // + 8,196 × 32,768 B of cache + 4 extra target slots of 327,680 B.
    await expect(result(s)).toContainText('3.12×');
    await expect(result(s)).toContainText('yields 3.36 tokens');
    await expect(result(s)).toContainText('The draft adds 2.74 GB');
    // A draft from another family cannot work.
    await s.getByLabel('Draft model').selectOption('qwen3-0.6b');
    await expect(result(s)).toContainText('different vocabularies');
    // A large draft, long proposals and poor acceptance: below break-even
    // ((1 − 0.4^11) / 0.6 = 1.67 tokens for 10 draft steps at 12% of a target step each).
    await s.getByLabel('Draft model').selectOption('llama-3.1-8b');
    await s.getByLabel('Draft tokens per step').focus();
    await page.keyboard.press('End');
    await s.getByLabel('Acceptance rate').focus();
    await page.keyboard.press('Home');
    await expect(result(s)).toContainText('Below 1×');
    w.assertClean();
  });

  test('settings from the URL', async ({ page }) => {
    await page.goto('/advanced/?speculative.target=llama-3.1-8b&speculative.device=rtx-4090&speculative.k=8');
    const s = widget(page, 'speculative');
    await expect(s.getByLabel('Draft tokens per step')).toHaveAttribute('aria-valuetext', '8');
    await expect(result(s)).toContainText('tokens on average');
  });
});

test.describe('02 · quant-quality', () => {
  test('Llama 3 8B from F16 to IQ1_S; the best that fits a card', async ({ page }) => {
    const w = watch(page);
    await page.goto('/weights/');
    const q = widget(page, 'quant-quality');
    // llama.cpp's scoreboard: Q4_K_M 4.58 GiB = 4,917,737,553 B, KLD 0.031273, ΔPPL 0.175482;
    // 4.58 × 2^30 × 8 / 8,030,261,248 = 4.90 bits per weight.
    await expect(result(q)).toContainText('4.92 GB');
    await expect(result(q)).toContainText("Q4_K_M is 31% of FP16's size, 4.90 bits per weight");
    await expect(result(q)).toContainText('by 0.0313 (mean KL divergence; perplexity +0.175)');
    // 8 GiB − (1 GiB of f16 KV at 8K + llama.cpp's compute and output buffers) = 7.24 GB of room:
    // Q6_K (6.14 GiB) fits, Q8_0 (7.96 GiB) does not.
    await expect(result(q)).toContainText('the closest to FP16 that fits is Q6_K (6.59 GB, divergence 0.0055)');
    await q.getByLabel('Format').selectOption('q8_0');
    await expect(result(q)).toContainText('It does not fit: 7.24 GB are left for the weights');
    // 16 GiB at 8K still leaves F16 (14.97 GiB) out.
    await q.getByLabel('GPU memory').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(q.getByLabel('GPU memory')).toHaveAttribute('aria-valuetext', /16 GiB/);
    await expect(result(q)).toContainText('It fits — and nothing measured that fits is closer to FP16.');
    // Every row of the scoreboard is in the data table, the selected one marked.
    await expect(q.locator('tbody tr')).toHaveCount(34);
    await expect(q.locator('tbody tr.lw-peak')).toContainText('Q8_0');
    w.assertClean();
  });

  test('settings from the URL; a bad format falls back', async ({ page }) => {
    await page.goto('/weights/?quant-quality.format=iq1_s&quant-quality.memory=4');
    const q = widget(page, 'quant-quality');
    await expect(result(q)).toContainText('IQ1_S is 13% of FP16');
    await expect(result(q)).toContainText('perplexity +54.463');
    // 4 GiB − 1.35 GB leaves 2.94 GB: IQ2_S (2.56 GiB) is the best that fits.
    await expect(result(q)).toContainText('the closest to FP16 that fits is IQ2_S');
    await page.goto('/weights/?quant-quality.format=q9_z&quant-quality.memory=99999');
    await expect(result(widget(page, 'quant-quality'))).toContainText('Q4_K_M is 31%');
  });
});

test.describe('06 · parallel-layout', () => {
  test('Llama 3.1 70B on 8 × 4 × 8 H100s, stage by stage', async ({ page }) => {
    const w = watch(page);
    await page.goto('/training/');
    const p = widget(page, 'parallel-layout');
    // 20 layers per stage; 1F1B keeps 4, 3, 2, 1 micro-batches in flight. Stage 1: an eighth of 20
    // layers and the embedding, 2 + 2 bytes per parameter, 12 over 8 copies (ZeRO-1), and 4 × 20 layers
    // of activations split 8 ways.
    await expect(result(p)).toContainText("256 GPUs (8 × 4 × 8). The fullest, each GPU of stage 1, holds 28.8 GB");
    await expect(result(p)).toContainText('it fits.');
    await expect(p.locator('.lw-stack-row')).toHaveCount(4);
    await expect(p.locator('.lw-stack-row').first()).toContainText('Stage 1 · layers 1–20 · 4 micro-batches in flight');
    await expect(p.locator('.lw-stack-row').first()).toContainText('Activations 16.3 GB');
    await expect(p.locator('.lw-stack-row').last()).toContainText('Stage 4 · layers 61–80 · 1 micro-batch in flight');
    // Longer sequences: the first stage's activations outgrow the GPU, checkpointing brings them back.
    await p.getByLabel('Sequence length').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(p.getByLabel('Sequence length')).toHaveAttribute('aria-valuetext', /32K tokens/);
    await expect(result(p)).toContainText('holds 143 GB');
    await expect(result(p)).toContainText('it does not fit. To make room, turn on activation checkpointing');
    await p.getByRole('radio', { name: 'On' }).check();
    await expect(result(p)).toContainText('holds 19.5 GB');
    w.assertClean();
  });

  test('one GPU from the URL; a split that does not divide the heads', async ({ page }) => {
    await page.goto('/training/?parallel-layout.tp=1&parallel-layout.pp=1&parallel-layout.dp=1&parallel-layout.zero=0');
    const p = widget(page, 'parallel-layout');
    // 70.6B parameters × (2 + 2 + 12) bytes + 133 GB of activations.
    await expect(result(p)).toContainText('1 GPU (1 × 1 × 1). Each GPU holds 1.26 TB');
    await page.goto('/training/?parallel-layout.model=qwen2.5-7b&parallel-layout.tp=8');
    await expect(result(widget(page, 'parallel-layout'))).toContainText('This split does not work');
  });
});

test.describe('07 · offload-split', () => {
  test('Llama 3.1 70B Q4_K_M on an RTX 4090: 47 layers fit, host RAM sets the pace', async ({ page }) => {
    const w = watch(page);
    await page.goto('/hardware/');
    const o = widget(page, 'offload-split');
    // llama.cpp's split at --n-gpu-layers 47: 25.1 GB read from the GPU at 1,008 GB/s,
    // 19.5 GB from dual-channel DDR5 at 89.6 GB/s: 24.9 ms + 218 ms.
    await expect(o.getByLabel('Layers on the GPU (--n-gpu-layers)')).toHaveAttribute('aria-valuetext', '47 of 80 layers');
    await expect(result(o)).toContainText('At most 4.1 tokens/s: each token reads 25.1 GB from the GPU (24.9 ms) and 19.5 GB from host RAM (218 ms).');
    await expect(result(o)).toContainText('Host RAM takes 90% of the time for 44% of the bytes');
    await expect(result(o)).toContainText('GPU: 23.5 GB of weights, 1.54 GB of KV cache, 296 MB of compute buffer.');
    // Every layer and the output on the GPU: faster, but it does not fit.
    await o.getByLabel('Layers on the GPU (--n-gpu-layers)').focus();
    await page.keyboard.press('End');
    await expect(result(o)).toContainText('At most 22.6 tokens/s');
    await expect(result(o)).toContainText('This does not fit: the GPU side needs 44.9 GB');
    // An H100 holds it all.
    await o.getByLabel('GPU', { exact: true }).selectOption('h100-sxm');
    await expect(result(o)).toContainText('At most 75.1 tokens/s');
    await expect(result(o)).toContainText('The whole model fits on the GPU.');
    w.assertClean();
  });

  test('layers from the URL; a bad value falls back to the most that fit', async ({ page }) => {
    await page.goto('/hardware/?offload-split.layers=0');
    const o = widget(page, 'offload-split');
    await expect(result(o)).toContainText('At most 2.0 tokens/s: each token reads 44.6 GB from host RAM (498 ms).');
    await page.goto('/hardware/?offload-split.layers=banana&offload-split.model=llama-3.1-8b');
    await expect(result(widget(page, 'offload-split'))).toContainText('At most 177.1 tokens/s');
  });
});

test.describe('04 · attention-pattern', () => {
  test('Gemma 3 27B at 32K: a thin band and ten full triangles', async ({ page }) => {
    const w = watch(page);
    await page.goto('/attention/');
    const a = widget(page, 'attention-pattern');
    // 52 layers × (1,024 × 1,025 / 2 + 31,744 × 1,024) pairs + 10 × 32,768 × 32,769 / 2, over 62 full layers.
    await expect(result(a)).toContainText('At 32K tokens Gemma 3 27B scores 21% of the pairs and keeps 19% of the keys and values that 62 full-attention layers would.');
    await expect(result(a)).toContainText('sliding window of 1,024: 52 layers · 6.2% of the causal pairs · 2,268 of 32,896 tiles · keeps 1,024 tokens');
    await a.getByLabel('Model').selectOption('llama-3.1-8b');
    await expect(result(a)).toContainText('all 536,887,296 causal pairs per head');
    w.assertClean();
  });

  test('model and length from the URL', async ({ page }) => {
    await page.goto('/attention/?attention-pattern.model=llama-4-scout&attention-pattern.seq=131072');
    const a = widget(page, 'attention-pattern');
    await expect(result(a)).toContainText('chunks of 8,192: 36 layers · 6.3% of the causal pairs · 33,280 of 524,800 tiles');
  });
});

test.describe('09 · cache-compare', () => {
  test('eleven designs at 128K tokens; at 1M the windows and states stay put', async ({ page }) => {
    const w = watch(page);
    await page.goto('/advanced/');
    const c = widget(page, 'cache-compare');
    // Llama 2 7B: 32 layers × 32 heads × 128 × 2 × 2 B = 524,288 B a token, × 131,072.
    await expect(result(c)).toContainText("At 128K tokens the largest cache here, Llama 2 7B's, is 5,519× the smallest, Mamba 2.8B's: 68.7 GB against 12.5 MB.");
    await expect(c.locator('.lw-lane')).toHaveCount(11);
    await expect(c.locator('.lw-lane', { hasText: 'Llama 3.1 8B' })).toContainText('17.2 GB · +131 kB per token');
    await expect(c.locator('.lw-lane', { hasText: 'Mistral 7B v0.1' })).toContainText('537 MB · no longer grows');
    await expect(c.locator('.lw-lane', { hasText: 'DeepSeek-V3' })).toContainText('MLA (one latent per token)');
    await expect(c.locator('.lw-lane', { hasText: 'Qwen3-Next' })).toContainText('hybrid: 12 attention + 36 recurrent layers');
    await c.getByLabel('Sequence length').focus();
    await page.keyboard.press('End');
    await expect(result(c)).toContainText('At 1M tokens the largest cache here, Llama 2 7B\'s, is 44,151×');
    w.assertClean();
  });

  test('length from the URL', async ({ page }) => {
    await page.goto('/advanced/?cache-compare.seq=1024');
    const c = widget(page, 'cache-compare');
    await expect(c.getByLabel('Sequence length')).toHaveAttribute('aria-valuetext', /1K tokens/);
    // Below its 4,096-token window Mistral still grows (at 4K it is full).
    await expect(c.locator('.lw-lane', { hasText: 'Mistral 7B v0.1' })).toContainText('per token');
  });
});

test.describe('05 · batch-steps', () => {
  test('eight requests over twenty blocks, the system prompt shared', async ({ page }) => {
    const w = watch(page);
    await page.goto('/inference/');
    const b = widget(page, 'batch-steps');
    await expect(result(b)).toContainText('Step 12 of 42: 5 running, 1 waiting, 2 finished. 18 of 20 blocks in use, 2 of them the shared system prompt (5 requests point to each)');
    await expect(b.locator('.lw-pool-block')).toHaveCount(20);
    await expect(b.locator('.lw-pool-shared')).toHaveCount(2);
    await expect(b.locator('.lw-pool-shared').first()).toContainText('shared ×5');
    await expect(b.locator('.lw-queue')).toContainText('H · waiting for blocks');
    await b.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(result(b)).toContainText('Step 13 of 42');
    await expect(result(b)).toContainText('67 tokens generated so far');
    await b.getByRole('button', { name: 'End' }).click();
    await expect(result(b)).toContainText('Step 42 of 42: 0 running, 0 waiting, 8 finished. 0 of 20 blocks in use');
    await expect(result(b)).toContainText('All eight requests finish after 42 steps, with 0 preemptions and at most 20 blocks in use. Without sharing: 48 steps, 3 preemptions, at most 20 blocks.');
    // Without sharing the walk starts again, and the same pool preempts.
    await b.getByRole('radio', { name: 'Off' }).check();
    await expect(result(b)).toContainText('Step 0 of 48');
    await expect(b.locator('.lw-pool-shared')).toHaveCount(0);
    w.assertClean();
  });

  test('a step from the URL', async ({ page }) => {
    await page.goto('/inference/?batch-steps.share=off&batch-steps.step=30');
    const b = widget(page, 'batch-steps');
    await expect(result(b)).toContainText('Step 30 of 48: 4 running, 0 waiting, 4 finished. 20 of 20 blocks in use;');
  });
});

test.describe('02 · quant-block', () => {
  test('Q4_K is 144 bytes for 256 weights; NF4 and MXFP4 from the menu', async ({ page }) => {
    const w = watch(page);
    await page.goto('/weights/');
    const q = widget(page, 'quant-block');
    // block_q4_K: d, dmin (2 × fp16), scales[12], qs[128] = 144 bytes.
    await expect(result(q)).toContainText('4.5 bits');
    await expect(result(q)).toContainText('256 weights in 144 bytes');
    await expect(q.locator('tbody tr')).toHaveCount(4);
    await expect(q.locator('.lw-qfield')).toHaveCount(4);
    await q.getByLabel('Format').selectOption('nf4');
    // 4 + 8/64 + 32/16,384 bits.
    await expect(result(q)).toContainText('4.12695 bits');
    await q.getByLabel('Format').selectOption('mxfp4');
    await expect(result(q)).toContainText('32 weights in 17 bytes');
    w.assertClean();
  });

  test('format from the URL; a bad one falls back', async ({ page }) => {
    await page.goto('/weights/?quant-block.format=q6_k');
    const q = widget(page, 'quant-block');
    await expect(result(q)).toContainText('6.5625 bits');
    await page.goto('/weights/?quant-block.format=q9_z');
    await expect(result(widget(page, 'quant-block'))).toContainText('4.5 bits');
  });
});

test.describe('08 · context-budget', () => {
  test('a 128K window after system, tools, eight chunks and the answer', async ({ page }) => {
    const w = watch(page);
    await page.goto('/agent-memory/');
    const b = widget(page, 'context-budget');
    // 131,072 − (2,000 + 3,000 + 8 × 512 + 4,096) = 117,880 tokens: 147 turns of 800.
    await expect(result(b)).toContainText('147 turns');
    await expect(result(b)).toContainText('117,880 tokens left');
    // 131,072 tokens × 131,072 B per token.
    await expect(result(b)).toContainText('17.2 GB of KV cache');
    await b.getByLabel('Context limit').focus();
    await page.keyboard.press('Home');
    await b.getByLabel('Retrieved chunks').focus();
    await page.keyboard.press('End');
    // 2,000 + 3,000 + 64 × 512 + 4,096 = 41,864 tokens > 8,192.
    await expect(result(b)).toContainText('Over the limit');
    await expect(result(b)).toContainText('33,672 more');
    w.assertClean();
  });

  test('settings from the URL', async ({ page }) => {
    await page.goto('/agent-memory/?context-budget.limit=32768&context-budget.tools=0&context-budget.turn=1600');
    const b = widget(page, 'context-budget');
    // 32,768 − (2,000 + 4,096 + 4,096) = 22,576: 14 turns of 1,600.
    await expect(result(b)).toContainText('14 turns');
  });
});

test.describe('04 · flash-tiles', () => {
  test('11 × 11 tiles at 1,024 tokens; step, play and the whole pass', async ({ page }) => {
    const w = watch(page);
    await page.goto('/attention/');
    const f = widget(page, 'flash-tiles');
    // M = 100 KiB / 2 B = 51,200 elements; B_c = ⌈51,200 / 512⌉ = 100 = B_r; ⌈1,024 / 100⌉ = 11.
    await expect(result(f)).toContainText('11 query blocks of 100 rows × 11 key/value blocks of 100 columns: 121 steps');
    await expect(f.locator('.lw-flash-cell')).toHaveCount(121);
    await f.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(result(f)).toContainText('Step 1 of 121: query block 1 with key/value block 1.');
    // Q_0, K_0 and V_0: 3 × 100 × 128 = 38,400 elements × 2 B.
    await expect(result(f)).toContainText('76.8 kB of HBM traffic so far');
    await f.getByRole('button', { name: 'Whole pass' }).click();
    // 2Nd(1 + 11) + N = 3,146,752 elements against 4Nd + 4N² = 4,718,592.
    await expect(result(f)).toContainText('Whole pass: 6.29 MB against 9.44 MB, 1.5× less');
    await expect(f.locator('.lw-flash-now')).toHaveCount(0);
    // Play starts again from the first step and advances by itself; Pause stops it.
    await f.getByRole('button', { name: 'Play' }).click();
    await expect(f.getByRole('button', { name: 'Pause' })).toHaveAttribute('aria-pressed', 'true');
    await expect(result(f)).toContainText(/Step \d+ of 121/);
    await f.getByRole('button', { name: 'Pause' }).click();
    const paused = await result(f).locator('p').first().textContent();
    await page.waitForTimeout(600);
    await expect(result(f).locator('p').first()).toHaveText(paused);
    await f.getByRole('button', { name: 'Step back' }).click();
    await expect(result(f).locator('p').first()).not.toHaveText(paused);
    w.assertClean();
  });

  test('a new setting while playing stops the walk and starts it again', async ({ page }) => {
    await page.goto('/attention/');
    const f = widget(page, 'flash-tiles');
    await f.getByRole('button', { name: 'Play' }).click();
    await expect(result(f)).toContainText(/Step \d+ of 121/);
    await f.getByLabel('Sequence length').focus();
    await page.keyboard.press('ArrowLeft');
    await expect(f.getByRole('button', { name: 'Play' })).toHaveAttribute('aria-pressed', 'false');
    await expect(result(f)).toContainText('Press Step.');
    await page.waitForTimeout(500);
    await expect(result(f)).toContainText('Press Step.');
  });

  test('with reduced motion there is no Play, and Step still works', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto('/attention/');
    const f = widget(page, 'flash-tiles');
    await expect(f.getByRole('button', { name: 'Play' })).toBeHidden();
    await f.getByRole('button', { name: 'Step', exact: true }).press('Enter');
    await expect(result(f)).toContainText('Step 1 of 121');
  });

  test('a long sequence is counted but not drawn', async ({ page }) => {
    await page.goto('/attention/?flash-tiles.seq=16384&flash-tiles.sram=16');
    const f = widget(page, 'flash-tiles');
    await expect(f.locator('.lw-flash-cell')).toHaveCount(0);
    await expect(result(f)).toContainText('× less');
  });
});

test.describe('03 · decode-steps', () => {
  test('each token adds 131,072 B to Llama 3.1 8B; Gemma 3 past its window adds its global layers only', async ({ page }) => {
    const w = watch(page);
    await page.goto('/kv-cache/');
    const d = widget(page, 'decode-steps');
    // 1,024 × 131,072 B = 134,217,728 B.
    await expect(result(d)).toContainText('134 MB of KV cache after 1,024 tokens (0 generated)');
    await expect(result(d)).toContainText('The next token adds 131 kB');
    await d.getByRole('button', { name: 'Next token' }).click();
    await d.getByRole('button', { name: 'Next token' }).click();
    await expect(result(d)).toContainText('after 1,026 tokens (2 generated)');
    await expect(d.locator('.lw-decode-new')).toHaveCount(32);
    // Gemma 3 27B: 10 global layers × 8,192 B per token once the 1,024-token windows are full.
    await d.getByLabel('Model').selectOption('gemma-3-27b');
    await d.getByLabel('Prompt length').focus();
    await page.keyboard.press('ArrowRight');
    await expect(result(d)).toContainText('The next token adds 81.9 kB');
    await d.getByRole('button', { name: 'Back to the prompt' }).click();
    await expect(result(d)).toContainText('(0 generated)');
    w.assertClean();
  });

  test('model and prompt from the URL', async ({ page }) => {
    await page.goto('/kv-cache/?decode-steps.model=nemotron-h-8b&decode-steps.prompt=131072');
    const d = widget(page, 'decode-steps');
    await expect(result(d)).toContainText('after 131,072 tokens');
  });
});

test.describe('02 · weights on a phone', () => {
  test.use({ viewport: { width: 375, height: 800 } });
  test('the device list is compact: two columns, the share of each device inline', async ({ page }) => {
    await page.goto('/weights/');
    const w = widget(page, 'weights');
    await expect(result(w)).toContainText('of weights');
    const fits = w.locator('.lw-fits li').first();
    await expect(fits.locator('.lw-fit-short')).toBeVisible();
    // The longer figures stay for screen readers, out of the layout.
    await expect(fits.locator('.lw-fit-figures')).toHaveCSS('position', 'absolute');
    const height = await w.evaluate((el) => el.getBoundingClientRect().height);
    // It was 1,930 px tall at this width, one device and one format per two lines.
    expect(height).toBeLessThan(1650);
    // Each format is one line: its bar sits beside its label.
    const row = w.locator('.lw-bar-row').first();
    const [label, track] = await Promise.all([row.locator('.lw-bar-label').boundingBox(), row.locator('.lw-bar-track').boundingBox()]);
    expect(track.x).toBeGreaterThan(label.x + label.width - 1);
  });
});
