//! Speculative decoding: what a draft model costs in memory and what it
//! buys in speed.
//!
//! A small draft model proposes `k` tokens one at a time; the target model
//! checks all of them in one forward pass and keeps the longest accepted
//! prefix plus one token of its own. With each draft token accepted
//! independently with probability `α`, one target pass yields
//! `(1 − α^(k+1)) / (1 − α)` tokens on average (Leviathan, Kalman & Matias
//! 2023, "Fast Inference from Transformers via Speculative Decoding",
//! arXiv 2211.17192, §3.1, Eq. 1; Chen et al. 2023, arXiv 2302.01318, §2).
//!
//! Memory: the draft model's weights and its own KV cache sit beside the
//! target's, for every sequence in the batch (vLLM's draft-model proposer
//! allocates the draft's cache from the same pool; vLLM docs, "Speculative
//! Decoding"), and both caches hold `k` tokens beyond the context while a
//! proposal is checked.
//!
//! Time, at small batch where decoding is memory-bound
//! ([`crate::hardware::stream_race`]): a draft step reads the draft's
//! weights and cache, the verifying pass reads the target's once for all
//! `k + 1` positions, so a speculative step takes `k·t_draft + t_target`
//! against `t_target` per token without it. This is the memory roof only:
//! it ignores the verifying pass's extra arithmetic, which is small while
//! `k + 1` stays far below the device's ridge point.

use crate::arch::ModelArch;
use crate::error::{Checked, EstimateError, Result};
use crate::formula::{add, count, div, mul, var, Formula, Unit};
use crate::hardware::{stream_seconds, Device};
use crate::kv_cache::kv_cache;
use crate::precision::{weights_footprint, Dtype, WeightFormat};
use serde::Serialize;

/// A speculative-decoding setup.
#[derive(Debug, Clone, Copy)]
pub struct SpecQuery<'a> {
    pub target: &'a ModelArch,
    pub draft: &'a ModelArch,
    pub format: WeightFormat,
    pub kv: Dtype,
    pub context: u64,
    pub batch: u64,
    /// Draft tokens proposed per step.
    pub k: u64,
    /// Probability that the target accepts a draft token.
    pub acceptance: f64,
    pub device: &'a Device,
}

/// Memory and speed of a speculative-decoding setup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpecReport {
    pub target_weights: u64,
    pub target_kv: u64,
    pub draft_weights: u64,
    pub draft_kv: u64,
    /// Everything above.
    pub total_bytes: u64,
    /// What the draft adds: its weights and cache, and the target's `k`
    /// extra cache slots per sequence.
    pub extra_bytes: u64,
    /// Tokens one target pass yields on average.
    pub tokens_per_pass: f64,
    /// Seconds per token without speculation (memory roof).
    pub plain_seconds_per_token: f64,
    /// Seconds per token with it (memory roof).
    pub spec_seconds_per_token: f64,
    /// `plain / spec`.
    pub speedup: f64,
    /// Whether the vocabularies match (a draft must share the tokenizer).
    pub same_vocab: bool,
}

/// Expected tokens per target pass for `k` draft tokens each accepted with
/// probability `alpha` (Leviathan et al. 2023, Eq. 1).
pub fn tokens_per_pass(k: u64, alpha: f64) -> f64 {
    let a = alpha.clamp(0.0, 1.0);
    if (1.0 - a).abs() < 1e-12 {
        return (k + 1) as f64;
    }
    (1.0 - a.powi((k.min(1000) + 1) as i32)) / (1.0 - a)
}

/// Memory and memory-roof speed of speculative decoding.
pub fn speculative(q: &SpecQuery) -> Result<SpecReport> {
    if q.k == 0 || q.k > 64 {
        return Err(EstimateError::OutOfRange {
            what: "draft tokens".into(),
            reason: format!("{} is outside 1–64", q.k),
        });
    }
    if !(0.0..=1.0).contains(&q.acceptance) {
        return Err(EstimateError::OutOfRange {
            what: "acceptance rate".into(),
            reason: "must be between 0 and 1".into(),
        });
    }
    let held = q.context.add_or(q.k, "context")?;
    let target_weights = weights_footprint(q.target, q.format)?.total_bytes;
    let draft_weights = weights_footprint(q.draft, q.format)?.total_bytes;
    let target_kv = kv_cache(q.target, q.kv, held, q.batch)?.total_bytes;
    let draft_kv = kv_cache(q.draft, q.kv, held, q.batch)?.total_bytes;
    let plain_kv = kv_cache(q.target, q.kv, q.context, q.batch)?.total_bytes;
    let total_bytes =
        target_weights.add_or(target_kv, "memory")?.add_or(draft_weights, "memory")?.add_or(draft_kv, "memory")?;
    let extra_bytes = total_bytes - target_weights - plain_kv;
    let bw = q.device.bandwidth;
    // One decode step per sequence batch: weights once, every sequence's cache.
    let t_target = stream_seconds(target_weights.saturating_add(plain_kv), bw);
    let t_draft = stream_seconds(draft_weights.saturating_add(draft_kv), bw);
    let e = tokens_per_pass(q.k, q.acceptance);
    let spec = (q.k as f64 * t_draft + t_target) / e;
    Ok(SpecReport {
        target_weights,
        target_kv,
        draft_weights,
        draft_kv,
        total_bytes,
        extra_bytes,
        tokens_per_pass: e,
        plain_seconds_per_token: t_target,
        spec_seconds_per_token: spec,
        speedup: if spec > 0.0 { t_target / spec } else { 0.0 },
        same_vocab: q.target.vocab_size == q.draft.vocab_size,
    })
}

/// The formula behind [`SpecReport::speedup`] for `k` draft tokens accepted
/// with probability `alpha`: time per token without a draft over time per
/// token with it, on the memory roof (module docs; Leviathan et al. 2023,
/// §3.1, Eq. 1 for the tokens a pass yields).
pub fn speedup_formula(k: u64, alpha: f64, r: &SpecReport) -> Formula {
    let t_target = || {
        var("t_T", "one target pass: its weights and cache at the bandwidth", r.plain_seconds_per_token, Unit::Seconds)
    };
    let t_draft = if k == 0 {
        0.0
    } else {
        ((r.spec_seconds_per_token * r.tokens_per_pass) - r.plain_seconds_per_token) / k as f64
    };
    Formula::new(
        "Speed-up",
        div(
            mul(vec![
                var("E", "tokens one target pass yields, (1 − α^(k+1)) / (1 − α)", r.tokens_per_pass, Unit::Number),
                t_target(),
            ]),
            add(vec![
                mul(vec![count("k", "draft tokens per pass", k), var("t_D", "one draft step", t_draft, Unit::Seconds)]),
                t_target(),
            ]),
        ),
        Unit::Times(2),
        format!(
            "Leviathan, Kalman & Matias 2023 (arXiv 2211.17192) §3.1, Eq. 1, with α = {}; memory-roof step times",
            crate::units::trimmed(alpha, 2)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::device;
    use crate::presets::preset;

    #[test]
    fn expected_tokens() {
        // α = 0.8, k = 4: (1 − 0.8^5) / 0.2 = 3.3616 (Leviathan et al., Fig. 2's curve).
        assert!((tokens_per_pass(4, 0.8) - 3.3616).abs() < 1e-12);
        assert_eq!(tokens_per_pass(4, 1.0), 5.0);
        assert_eq!(tokens_per_pass(4, 0.0), 1.0);
    }

    /// Llama 3.1 70B drafted by Llama 3.2 1B on an MI300X: the draft adds its
    /// 2.47 GB of bf16 weights and 32 KiB per token of cache (16 layers × 8
    /// KV heads × 64 × 2 × 2 B), and the memory roof gives about 3.1×.
    #[test]
    fn seventy_b_with_a_one_b_draft() {
        let target = preset("llama-3.1-70b").unwrap().arch().unwrap();
        let draft = preset("llama-3.2-1b").unwrap().arch().unwrap();
        let q = SpecQuery {
            target: &target,
            draft: &draft,
            format: WeightFormat::Float(Dtype::Bf16),
            kv: Dtype::Bf16,
            context: 8192,
            batch: 1,
            k: 4,
            acceptance: 0.8,
            device: device("mi300x").unwrap(),
        };
        let r = speculative(&q).unwrap();
        assert!(r.same_vocab);
        assert_eq!(r.draft_kv, (8192 + 4) * 32_768);
        assert_eq!(r.target_kv, (8192 + 4) * 327_680);
        assert_eq!(r.extra_bytes, r.draft_weights + r.draft_kv + 4 * 327_680);
        assert!((r.speedup - 3.12).abs() < 0.01, "{}", r.speedup);
        let bad = SpecQuery { k: 0, ..q };
        assert!(speculative(&bad).is_err());
        let mismatched = preset("qwen3-0.6b").unwrap().arch().unwrap();
        assert!(!speculative(&SpecQuery { draft: &mismatched, ..q }).unwrap().same_vocab);
    }
}
