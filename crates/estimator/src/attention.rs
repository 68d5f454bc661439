//! Attention working memory: the materialised score matrix of standard
//! attention against FlashAttention's linear extra memory.
//!
//! Standard attention computes S = QKᵀ (n × n per head), P = softmax(S) and
//! O = PV, writing S and P to device memory (Dao et al. 2022, "FlashAttention",
//! arXiv 2205.14135, §2.2, Algorithm 0). FlashAttention tiles the computation
//! through on-chip SRAM and never materialises S or P; beyond Q, K, V and O
//! it stores only the softmax statistics (m, ℓ; one logsumexp per row in
//! FlashAttention-2), O(n) memory (§3.1, Theorem 1).

use crate::arch::AttentionSpan;
use crate::error::{product, Checked, EstimateError, Result};
use crate::formula::{add, count, div, min, mul, num, var, Formula, Unit};
use crate::precision::Dtype;
use serde::Serialize;

/// Working memory of one attention layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttentionMemory {
    /// Elements of one score matrix S over all heads and sequences: b·h·n².
    pub score_elements: u64,
    /// Bytes of S alone (the figure usually quoted): b·h·n²·bytes.
    pub naive_scores_bytes: u64,
    /// Bytes of S and P together, as a standard implementation stores both.
    pub naive_scores_and_probs_bytes: u64,
    /// FlashAttention's extra memory: one fp32 logsumexp per row per head, b·h·n·4.
    pub flash_bytes: u64,
}

/// Attention working memory for `batch` sequences of `seq` tokens with `heads`
/// query heads, scores held in `dtype`.
pub fn attention_memory(batch: u64, heads: u64, seq: u64, dtype: Dtype) -> Result<AttentionMemory> {
    if batch == 0 || heads == 0 {
        return Err(EstimateError::OutOfRange {
            what: "attention".into(),
            reason: "batch and heads must be at least 1".into(),
        });
    }
    let score_elements = product(&[batch, heads, seq, seq], "score matrix")?;
    let naive_scores_bytes = crate::kv_cache::bytes_of(score_elements, dtype)?;
    Ok(AttentionMemory {
        score_elements,
        naive_scores_bytes,
        naive_scores_and_probs_bytes: naive_scores_bytes.mul_or(2, "score matrix")?,
        flash_bytes: product(&[batch, heads, seq, 4], "softmax statistics")?,
    })
}

/// The formula behind [`AttentionMemory::naive_scores_bytes`]: one score
/// per query–key pair, per head and sequence (Dao et al. 2022, §2.2).
pub fn scores_formula(batch: u64, heads: u64, seq: u64, dtype: Dtype) -> Formula {
    Formula::new(
        "Scores S, one layer",
        mul(vec![
            count("b", "sequences", batch),
            count("h", "query heads", heads),
            count("n", "tokens (queries, and keys)", seq),
            count("n", "tokens (queries, and keys)", seq),
            var("β", "bytes per score", dtype.bits() as f64 / 8.0, Unit::Number),
        ]),
        Unit::Bytes,
        "Dao et al. 2022, FlashAttention (arXiv 2205.14135) §2.2, Algorithm 0",
    )
}

/// FlashAttention's tile sizes for on-chip memory of `sram_bytes` and head
/// dimension `d`: B_c = ⌈M / 4d⌉, B_r = min(⌈M / 4d⌉, d) (Algorithm 1, line 1,
/// with M counted in elements).
pub fn flash_tiles(sram_elements: u64, head_dim: u64) -> (u64, u64) {
    if head_dim == 0 {
        return (0, 0);
    }
    let bc = crate::error::ceil_div(sram_elements, 4 * head_dim);
    (bc.min(head_dim), bc)
}

/// One head's pass of FlashAttention's forward over `seq` tokens, counted
/// in elements, in FlashAttention-2's loop order (Dao 2023, arXiv
/// 2307.08691, Algorithm 1): the outer loop over query blocks, the inner
/// over key/value blocks. Tile sizes follow the first paper's rule
/// ([`flash_tiles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlashWalk {
    pub seq: u64,
    pub head_dim: u64,
    /// On-chip memory, in elements (M).
    pub sram_elements: u64,
    /// B_r and B_c.
    pub block_rows: u64,
    pub block_cols: u64,
    /// T_r = ⌈N / B_r⌉ query blocks and T_c = ⌈N / B_c⌉ key/value blocks.
    pub row_blocks: u64,
    pub col_blocks: u64,
    /// Elements of the blocks on chip during one inner step: Q_i, the
    /// output accumulator O_i, K_j and V_j. The tile rule keeps them within
    /// M; the row statistics m_i, ℓ_i (2·B_r) come on top.
    pub sram_used: u64,
    /// The B_r × B_c tile of scores computed in each step (held in
    /// registers by the kernels, on top of the blocks).
    pub tile_elements: u64,
    /// HBM elements read and written by the whole pass.
    pub flash_hbm: u64,
    /// HBM elements standard attention moves (FlashAttention, arXiv
    /// 2205.14135, Algorithm 0: read Q, K; write S; read S; write P; read
    /// P, V; write O): 4Nd + 4N². Separate mask, scale and dropout kernels
    /// in an eager implementation add more; this is the least.
    pub standard_hbm: u64,
}

/// FlashAttention's walk for one head. Each query block is read once and
/// its output and log-sum-exp written once (2Nd + N in all); for each, every
/// key and value block is streamed in (2Nd per query block). The total,
/// 2Nd(1 + T_r) + N, is the Θ(N²d²/M) of the first paper's Theorem 2.
pub fn flash_walk(seq: u64, head_dim: u64, sram_elements: u64) -> Result<FlashWalk> {
    if seq == 0 || head_dim == 0 || sram_elements < 4 * head_dim {
        return Err(EstimateError::OutOfRange {
            what: "FlashAttention tiling".into(),
            reason: "the sequence and head size must be positive and on-chip memory must hold at least 4 × d elements"
                .into(),
        });
    }
    let (br, bc) = flash_tiles(sram_elements, head_dim);
    let (tr, tc) = (seq.div_ceil(br), seq.div_ceil(bc));
    let nd = seq.mul_or(head_dim, "Q size")?;
    let flash_hbm = product(&[2, nd, tr.add_or(1, "blocks")?], "HBM traffic")?.add_or(seq, "HBM traffic")?;
    let standard_hbm = nd.mul_or(4, "HBM traffic")?.add_or(product(&[seq, seq, 4], "HBM traffic")?, "HBM traffic")?;
    let sram_used = product(&[2, br, head_dim], "SRAM")?.add_or(product(&[2, bc, head_dim], "SRAM")?, "SRAM")?;
    let tile_elements = br.mul_or(bc, "score tile")?;
    Ok(FlashWalk {
        seq,
        head_dim,
        sram_elements,
        block_rows: br,
        block_cols: bc,
        row_blocks: tr,
        col_blocks: tc,
        sram_used,
        tile_elements,
        flash_hbm,
        standard_hbm,
    })
}

impl FlashWalk {
    /// Inner steps in the pass: T_r × T_c.
    pub fn steps(&self) -> u64 {
        self.row_blocks.saturating_mul(self.col_blocks)
    }

    /// (query block i, key/value block j) of inner step `s` (0-based).
    pub fn position(&self, s: u64) -> (u64, u64) {
        (s / self.col_blocks.max(1), s % self.col_blocks.max(1))
    }

    /// The formula behind [`FlashWalk::hbm_after`] in bytes of
    /// `element_bytes` each: finished query rows read their queries and
    /// write their output and log-sum-exp (2d + 1 each) after streaming
    /// every key and value (2nd per query block); the block under way has
    /// read its queries and the key/value blocks so far (Dao 2023,
    /// FlashAttention-2, Algorithm 1; Dao et al. 2022, Theorem 2).
    pub fn hbm_formula(&self, s: u64, element_bytes: u64) -> Formula {
        let s = s.min(self.steps());
        let (n, d) = (self.seq, self.head_dim);
        let (rows_done, rest) = (s / self.col_blocks.max(1), s % self.col_blocks.max(1));
        let finished_rows = (rows_done * self.block_rows).min(n);
        let dd = || count("d", "head dimension", d);
        let nn = || count("N", "sequence length", n);
        let mut terms = vec![
            mul(vec![count("R", "query rows finished", finished_rows), add(vec![mul(vec![num(2.0), dd()]), num(1.0)])]),
            mul(vec![count("r", "query blocks finished", rows_done), num(2.0), nn(), dd()]),
        ];
        if rest > 0 {
            terms.push(mul(vec![
                count("q", "rows of the query block under way", self.block_rows.min(n - finished_rows)),
                dd(),
            ]));
            terms.push(mul(vec![
                num(2.0),
                dd(),
                min(
                    mul(vec![
                        count("j", "key/value blocks streamed for it", rest),
                        count("B_c", "key/value block (tokens)", self.block_cols),
                    ]),
                    nn(),
                ),
            ]));
        }
        Formula::new(
            "HBM traffic so far",
            mul(vec![add(terms), count("β", "bytes per element (bf16)", element_bytes)]),
            Unit::Bytes,
            "Dao 2023, FlashAttention-2 (arXiv 2307.08691) Algorithm 1; Dao et al. 2022, FlashAttention (arXiv 2205.14135) Theorem 2",
        )
    }

    /// HBM elements moved once the first `s` inner steps are done: a query
    /// block is read at its first step and its output and log-sum-exp
    /// written after its last; ragged last blocks count at their true size.
    pub fn hbm_after(&self, s: u64) -> u64 {
        let s = s.min(self.steps());
        let (n, d) = (self.seq, self.head_dim);
        let (rows_done, rest) = (s / self.col_blocks, s % self.col_blocks);
        let finished_rows = (rows_done * self.block_rows).min(n);
        let mut moved = finished_rows * (2 * d + 1) + rows_done * 2 * n * d;
        if rest > 0 {
            let current = self.block_rows.min(n - finished_rows);
            moved += current * d + 2 * d * (rest * self.block_cols).min(n);
        }
        moved
    }
}

/// The formula behind the share of query–key pairs a model scores against
/// the same number of full causal layers: each kind of layer's count times
/// the pairs one head of it scores ([`span_cost`]), over every attention
/// layer scoring all n(n + 1)/2 causal pairs. `kinds` is (span, layers,
/// pairs per head) for each kind present.
pub fn pattern_formula(kinds: &[(AttentionSpan, u64, u64)], n: u64) -> Formula {
    const NAMES: [(&str, &str); 3] = [("L_full", "P_full"), ("L_win", "P_win"), ("L_chunk", "P_chunk")];
    let terms = kinds
        .iter()
        .map(|(span, layers, pairs)| {
            let (l, p) = match span {
                AttentionSpan::Full => NAMES[0],
                AttentionSpan::Sliding(_) => NAMES[1],
                AttentionSpan::Chunked(_) => NAMES[2],
            };
            mul(vec![count(l, "layers of this kind", *layers), count(p, "pairs one head of it scores", *pairs)])
        })
        .collect();
    let all: u64 = kinds.iter().map(|k| k.1).sum();
    let nn = || count("n", "tokens", n);
    Formula::new(
        "Pairs scored",
        div(
            add(terms),
            mul(vec![count("L", "attention layers", all), div(mul(vec![nn(), add(vec![nn(), num(1.0)])]), num(2.0))]),
        ),
        Unit::Share,
        "Causal mask: Vaswani et al. 2017 (arXiv 1706.03762) §3.2.3; sliding window: Jiang et al. 2023, Mistral 7B (arXiv 2310.06825) §2; chunks: transformers' Llama4TextConfig.attention_chunk_size",
    )
}

/// What one head of one attention layer with a given span computes over a
/// whole sequence of `n` tokens (the prefill, or the training forward pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SpanCost {
    /// Query–key pairs scored: the entries of the score matrix the mask allows.
    pub pairs: u64,
    /// Pairs of full causal attention over the same `n`: n(n + 1)/2.
    pub causal_pairs: u64,
    /// Tiles of `tile × tile` pairs that hold at least one allowed pair: the
    /// ones a FlashAttention kernel that skips empty blocks computes (Dao et
    /// al. 2022, §3.3, block-sparse FlashAttention; FlashAttention-2's causal
    /// kernel skips the blocks above the diagonal the same way).
    pub tiles: u64,
    /// The same count for full causal attention.
    pub causal_tiles: u64,
    /// Keys and values the layer keeps after the `n` tokens
    /// ([`AttentionSpan::cached_tokens`]).
    pub kept_tokens: u64,
}

/// The cost of `span` over `n` tokens, with query `i` (from 0) seeing key
/// `j` when `j ≤ i` and: always (full); `i − j < W` (a sliding window of
/// `W` keys, itself included, as transformers' `sliding_window` mask and
/// Mistral's rolling buffer define it, arXiv 2310.06825 §2); `j` in `i`'s
/// chunk of `C` (Llama 4's `attention_chunk_size`: chunk `⌊i / C⌋`).
pub fn span_cost(span: AttentionSpan, n: u64, tile: u64) -> Result<SpanCost> {
    if tile == 0 || n > 1 << 32 {
        return Err(EstimateError::OutOfRange {
            what: "attention pattern".into(),
            reason: "the tile must be at least 1 and the sequence at most 2³² tokens".into(),
        });
    }
    let tri = |k: u64| k * (k + 1) / 2;
    let causal_pairs = tri(n);
    let pairs = match span {
        AttentionSpan::Full => causal_pairs,
        AttentionSpan::Sliding(w) => {
            let w = w.max(1);
            if n <= w {
                causal_pairs
            } else {
                tri(w) + (n - w) * w
            }
        }
        AttentionSpan::Chunked(c) => {
            let c = c.max(1);
            (n / c) * tri(c) + tri(n % c)
        }
    };
    // Tiles: query block r covers rows r·B … min(n, (r + 1)·B) − 1; count
    // the key blocks from the one holding its first row's oldest visible
    // key up to the diagonal block.
    let blocks = n.div_ceil(tile);
    let mut tiles = 0u64;
    for r in 0..blocks {
        let first_row = r * tile;
        let last_row = (first_row + tile).min(n) - 1;
        let oldest = match span {
            AttentionSpan::Full => 0,
            AttentionSpan::Sliding(w) => (first_row + 1).saturating_sub(w.max(1)),
            AttentionSpan::Chunked(c) => first_row / c.max(1) * c.max(1),
        };
        // A chunked block whose rows straddle a chunk boundary still needs
        // every key block from the older chunk's start to the diagonal.
        tiles += last_row / tile - oldest / tile + 1;
    }
    Ok(SpanCost { pairs, causal_pairs, tiles, causal_tiles: tri(blocks), kept_tokens: span.cached_tokens(n) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// N = 1,024, d = 128, M = 51,200 elements (100 KiB of bf16, about the
    /// paper's 100 KB): B_c = ⌈51,200 / 512⌉ = 100, B_r = min(100, 128) =
    /// 100; 11 × 11 blocks; 2Nd(1 + 11) + N elements against 4Nd + 4N².
    #[test]
    fn flash_walk_counts() {
        let w = flash_walk(1024, 128, 51_200).unwrap();
        assert_eq!((w.block_rows, w.block_cols, w.row_blocks, w.col_blocks), (100, 100, 11, 11));
        let (n, d) = (1024u64, 128u64);
        assert_eq!(w.flash_hbm, 2 * n * d * 12 + n);
        assert_eq!(w.standard_hbm, 4 * n * d + 4 * n * n);
        assert_eq!(w.hbm_after(w.steps()), w.flash_hbm);
        assert_eq!(w.hbm_after(0), 0);
        // The first step: Q_0, then K_0 and V_0 (100 × 128 each).
        assert_eq!(w.hbm_after(1), 3 * 100 * 128);
        // The first query block finished: its output and statistics written.
        assert_eq!(w.hbm_after(11), 100 * 128 * 2 + 100 + 2 * n * d);
        assert!((1..=w.steps()).all(|s| w.hbm_after(s) > w.hbm_after(s - 1)));
        assert_eq!(w.position(12), (1, 1));
        assert_eq!(w.sram_used, 2 * 100 * 128 * 2);
        assert_eq!(w.tile_elements, 100 * 100);
        // The four blocks fit the on-chip memory the tile rule was given.
        for (n, d, m) in [(1024, 128, 51_200), (4096, 64, 8_192), (16_384, 256, 116_736)] {
            let w = flash_walk(n, d, m).unwrap();
            assert!(w.sram_used <= m, "{n} {d} {m}");
        }
        assert!(flash_walk(1024, 128, 100).is_err());
    }

    /// Llama-3.1-8B (32 heads) at 8K, batch 1, bf16: 32 × 8192² × 2 =
    /// 4 GiB for S alone, against 1 MiB of FlashAttention statistics.
    #[test]
    fn eight_k_context() {
        let m = attention_memory(1, 32, 8192, Dtype::Bf16).unwrap();
        assert_eq!(m.naive_scores_bytes, 4 << 30);
        assert_eq!(m.naive_scores_and_probs_bytes, 8 << 30);
        assert_eq!(m.flash_bytes, 1 << 20);
    }

    #[test]
    fn quadratic_versus_linear() {
        let a = attention_memory(1, 8, 1000, Dtype::Fp16).unwrap();
        let b = attention_memory(1, 8, 2000, Dtype::Fp16).unwrap();
        assert_eq!(b.naive_scores_bytes, 4 * a.naive_scores_bytes);
        assert_eq!(b.flash_bytes, 2 * a.flash_bytes);
        assert!(attention_memory(1, 1, u64::MAX, Dtype::Fp16).is_err());
    }

    /// A100: 192 KB of SRAM = 98,304 fp16 elements; d = 128 → B_c = 192, B_r = 128.
    #[test]
    fn tiles() {
        assert_eq!(flash_tiles(98_304, 128), (128, 192));
        assert_eq!(flash_tiles(1, 0), (0, 0));
    }

    /// Brute force over every pair and tile for small cases.
    #[test]
    fn span_cost_matches_brute_force() {
        let sees = |span: AttentionSpan, i: u64, j: u64| {
            j <= i
                && match span {
                    AttentionSpan::Full => true,
                    AttentionSpan::Sliding(w) => i - j < w,
                    AttentionSpan::Chunked(c) => i / c == j / c,
                }
        };
        for span in [
            AttentionSpan::Full,
            AttentionSpan::Sliding(5),
            AttentionSpan::Sliding(16),
            AttentionSpan::Chunked(8),
            AttentionSpan::Chunked(6),
        ] {
            for n in [1u64, 4, 5, 17, 40, 64] {
                for tile in [1u64, 4, 8] {
                    let c = span_cost(span, n, tile).unwrap();
                    let pairs =
                        (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).filter(|&(i, j)| sees(span, i, j)).count()
                            as u64;
                    let blocks = n.div_ceil(tile);
                    let tiles = (0..blocks)
                        .flat_map(|r| (0..blocks).map(move |k| (r, k)))
                        .filter(|&(r, k)| {
                            (r * tile..((r + 1) * tile).min(n))
                                .any(|i| (k * tile..((k + 1) * tile).min(n)).any(|j| sees(span, i, j)))
                        })
                        .count() as u64;
                    assert_eq!((c.pairs, c.tiles), (pairs, tiles), "{span:?} n={n} tile={tile}");
                }
            }
        }
    }

    /// Gemma 3's 1,024-token window at 32K: 3% of the causal pairs; the
    /// 128 × 128 tiles a kernel computes: 9 per query block once the
    /// window is full, against 256 blocks down the diagonal.
    #[test]
    fn gemma3_window_at_32k() {
        let c = span_cost(AttentionSpan::Sliding(1024), 32_768, 128).unwrap();
        assert_eq!(c.causal_pairs, 32_768 * 32_769 / 2);
        assert_eq!(c.pairs, 1024 * 1025 / 2 + (32_768 - 1024) * 1024);
        assert_eq!(c.kept_tokens, 1024);
        assert_eq!(c.causal_tiles, 256 * 257 / 2);
        // Blocks 0–7 see 1…8 key blocks; every later one 9.
        assert_eq!(c.tiles, (1..=8).sum::<u64>() + (256 - 8) * 9);
        assert!(span_cost(AttentionSpan::Full, 8, 0).is_err());
    }
}
