//! Attention working memory: the materialised score matrix of standard
//! attention against FlashAttention's linear extra memory.
//!
//! Standard attention computes S = QKᵀ (n × n per head), P = softmax(S) and
//! O = PV, writing S and P to device memory (Dao et al. 2022, "FlashAttention",
//! arXiv 2205.14135, §2.2, Algorithm 0). FlashAttention tiles the computation
//! through on-chip SRAM and never materialises S or P; beyond Q, K, V and O
//! it stores only the softmax statistics (m, ℓ; one logsumexp per row in
//! FlashAttention-2), O(n) memory (§3.1, Theorem 1).

use crate::error::{product, Checked, EstimateError, Result};
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
