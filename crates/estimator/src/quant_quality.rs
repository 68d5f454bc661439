//! What each GGUF format costs in quality for one model, measured: file size
//! against how far the quantized model's predictions drift from the
//! original's.
//!
//! The figures are llama.cpp's own measurements of Llama 3 8B
//! (`tools/perplexity/README.md`, "LLaMA 3 8b Scoreboard", llama.cpp
//! revision f364eb6f, CUDA backend on one RTX 4090, Wikitext-2 test set),
//! copied as published; nothing here is computed from a formula. For each
//! quantized file the README gives:
//! - its size as llama.cpp reports it ("model size", GiB to two decimals);
//! - its perplexity on Wikitext-2 and the mean change against FP16 (ΔPPL);
//! - the mean Kullback–Leibler divergence of its next-token distribution
//!   from FP16's (KLD), the README's sort key and the metric Dutta et al.
//!   recommend over accuracy ("Accuracy is Not All You Need", arXiv
//!   2407.09141, §4);
//! - the root mean square of the change in the probability of the right
//!   token (RMS Δp, in percent).
//!
//! Files marked `imatrix` were quantized with an importance matrix computed
//! on ten million Wikitext tokens (the README's "WT 10m"); the README
//! measured the i-quants only that way, and llama.cpp's quantize tool
//! refuses to make IQ1, IQ2 and Q2_K_S files without one
//! (`tools/quantize/quantize.cpp`). The sizes of the three
//! formats llmem prices itself (F16, Q8_0, Q4_K_M) are checked against its
//! own GGUF layout of the same architecture in this module's tests.

use crate::formula::{mul, num, var, Formula, Unit};
use serde::Serialize;

/// Parameters of Llama 3 8B (transformers' count for
/// `meta-llama/Meta-Llama-3-8B`; the same as Llama 3.1 8B's).
pub const LLAMA3_8B_PARAMS: u64 = 8_030_261_248;

/// One measured GGUF file of Llama 3 8B.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualityPoint {
    /// URL-safe id: the llama.cpp type in lower case, `-imatrix` when an
    /// importance matrix was used for a format that can do without one.
    pub id: &'static str,
    /// The name llama.cpp's quantize tool takes.
    pub name: &'static str,
    pub imatrix: bool,
    /// Size in hundredths of a GiB, as published.
    pub size_centi_gib: u32,
    /// Perplexity on Wikitext-2.
    pub ppl: f64,
    /// Mean perplexity change against FP16.
    pub delta_ppl: f64,
    /// Mean KL divergence from FP16's token distribution.
    pub kld: f64,
    /// RMS change of the right token's probability, in percent.
    pub rms_dp: f64,
}

impl QualityPoint {
    /// Bytes on disk (and in memory once loaded), to the published precision.
    pub fn size_bytes(&self) -> u64 {
        u64::from(self.size_centi_gib) * (1 << 30) / 100
    }

    /// What the headline size is: the scoreboard's published size, GiB to
    /// two decimals, in bytes — a measurement copied as published, not a
    /// formula (module docs).
    pub fn size_formula(&self) -> Formula {
        Formula::new(
            "File size",
            mul(vec![
                var("S", "size llama.cpp reports, GiB (two decimals)", f64::from(self.size_centi_gib) / 100.0, Unit::Number),
                num(1_073_741_824.0),
            ]),
            Unit::Bytes,
            "llama.cpp tools/perplexity/README.md, LLaMA 3 8b Scoreboard (revision f364eb6f): a measurement, as published",
        )
    }

    /// Average bits per weight over the whole file.
    pub fn bits_per_weight(&self) -> f64 {
        self.size_bytes() as f64 * 8.0 / LLAMA3_8B_PARAMS as f64
    }
}

/// One row, in the README's column order (a table constructor: a struct
/// literal per row would bury the 34 rows in field names).
#[allow(clippy::too_many_arguments)]
const fn q(
    id: &'static str,
    name: &'static str,
    imatrix: bool,
    size_centi_gib: u32,
    ppl: f64,
    delta_ppl: f64,
    kld: f64,
    rms_dp: f64,
) -> QualityPoint {
    QualityPoint { id, name, imatrix, size_centi_gib, ppl, delta_ppl, kld, rms_dp }
}

/// The scoreboard, in the README's order (by KL divergence). Where the
/// README lists several importance matrices for one format, the "WT 10m"
/// row is kept.
pub const SCOREBOARD: &[QualityPoint] = &[
    q("f16", "F16", false, 1497, 6.233160, 0.001524, 0.000551, 0.787),
    q("q8_0", "Q8_0", false, 796, 6.234284, 0.002650, 0.001355, 1.198),
    q("q6_k", "Q6_K", false, 614, 6.253382, 0.021748, 0.005452, 2.295),
    q("q5_k_m", "Q5_K_M", false, 533, 6.288607, 0.056974, 0.010762, 3.160),
    q("q5_k_s", "Q5_K_S", false, 521, 6.336598, 0.104964, 0.016595, 3.918),
    q("q5_1", "Q5_1", false, 565, 6.337857, 0.106223, 0.018045, 4.123),
    q("q5_0", "Q5_0", false, 521, 6.363224, 0.131591, 0.022239, 4.634),
    q("q4_k_m-imatrix", "Q4_K_M", true, 458, 6.382937, 0.151303, 0.028152, 5.251),
    q("q4_k_m", "Q4_K_M", false, 458, 6.407115, 0.175482, 0.031273, 5.519),
    q("q4_k_s-imatrix", "Q4_K_S", true, 437, 6.409697, 0.178064, 0.031951, 5.645),
    q("iq4_nl", "IQ4_NL", true, 435, 6.455593, 0.223959, 0.035742, 5.998),
    q("iq4_xs", "IQ4_XS", true, 414, 6.459705, 0.228071, 0.036334, 6.044),
    q("q4_k_s", "Q4_K_S", false, 437, 6.500529, 0.268895, 0.043136, 6.562),
    q("q4_1", "Q4_1", false, 478, 6.682737, 0.451103, 0.071683, 8.512),
    q("q4_0", "Q4_0", false, 434, 6.700147, 0.468514, 0.071940, 8.434),
    q("q3_k_l-imatrix", "Q3_K_L", true, 403, 6.671223, 0.439590, 0.073077, 8.662),
    q("q3_k_m-imatrix", "Q3_K_M", true, 374, 6.734255, 0.502622, 0.084358, 9.292),
    q("q3_k_l", "Q3_K_L", false, 403, 6.787876, 0.556242, 0.087176, 9.432),
    q("q3_k_m", "Q3_K_M", false, 374, 6.888498, 0.656864, 0.101913, 10.203),
    q("iq3_m", "IQ3_M", true, 353, 6.898327, 0.666694, 0.102534, 10.513),
    q("iq3_s", "IQ3_S", true, 342, 6.965501, 0.733867, 0.111278, 10.845),
    q("iq3_xs", "IQ3_XS", true, 328, 7.163043, 0.931409, 0.138693, 12.148),
    q("iq3_xxs", "IQ3_XXS", true, 305, 7.458436, 1.226803, 0.183625, 13.836),
    q("q3_k_s-imatrix", "Q3_K_S", true, 341, 7.602878, 1.371244, 0.199821, 14.980),
    q("q3_k_s", "Q3_K_S", false, 341, 7.863786, 1.632152, 0.228217, 15.541),
    q("iq2_m", "IQ2_M", true, 274, 8.600799, 2.369166, 0.325989, 18.519),
    q("q2_k-imatrix", "Q2_K", true, 296, 8.647825, 2.416191, 0.332223, 18.881),
    q("q2_k_s", "Q2_K_S", true, 296, 9.323778, 3.092145, 0.403360, 20.050),
    q("iq2_s", "IQ2_S", true, 256, 9.650781, 3.419148, 0.439197, 21.491),
    q("q2_k", "Q2_K", false, 296, 9.751568, 3.519934, 0.445132, 21.421),
    q("iq2_xs", "IQ2_XS", true, 243, 10.761424, 4.529791, 0.546290, 23.872),
    q("iq2_xxs", "IQ2_XXS", true, 224, 14.091782, 7.860148, 0.812022, 28.576),
    q("iq1_m", "IQ1_M", true, 201, 25.493722, 19.262089, 1.393084, 38.287),
    q("iq1_s", "IQ1_S", true, 188, 60.694593, 54.462959, 2.254554, 46.271),
];

/// The scoreboard row with this id.
pub fn point(id: &str) -> Option<&'static QualityPoint> {
    SCOREBOARD.iter().find(|p| p.id == id)
}

/// The measured file closest to FP16 (lowest KL divergence) among those no
/// larger than `bytes`, if any is.
pub fn best_within(bytes: u64) -> Option<&'static QualityPoint> {
    SCOREBOARD.iter().filter(|p| p.size_bytes() <= bytes).min_by(|a, b| a.kld.total_cmp(&b.kld))
}

/// The smallest file whose KL divergence is at most `kld`.
pub fn smallest_with(kld: f64) -> Option<&'static QualityPoint> {
    SCOREBOARD.iter().filter(|p| p.kld <= kld).min_by_key(|p| p.size_centi_gib)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::gguf_layout::{layout, FileType};
    use crate::presets::preset;

    #[test]
    fn ids_are_unique_and_sorted_by_divergence() {
        for (i, a) in SCOREBOARD.iter().enumerate() {
            assert!(SCOREBOARD[i + 1..].iter().all(|b| b.id != a.id), "{} twice", a.id);
            assert!(a.id.starts_with(&a.name.to_lowercase()));
            assert_eq!(a.id.ends_with("-imatrix"), a.imatrix && !a.name.starts_with("IQ") && a.name != "Q2_K_S");
        }
        assert!(SCOREBOARD.windows(2).all(|w| w[0].kld <= w[1].kld));
    }

    /// llmem's own GGUF layout of Llama 3.1 8B (Llama 3 8B's tensors plus a
    /// 64-float `rope_freqs`) sits 0.004–0.013 GiB under every published
    /// size it can price: the published figures are whole files, and a
    /// Llama 3 GGUF's metadata (the tokenizer's 128,256 tokens, their types
    /// and 280,147 merges) takes 8–10 MB. Any wrongly typed tensor would be
    /// off by more than ten times that.
    #[test]
    fn sizes_match_llmems_gguf_layout() {
        let arch = preset("llama-3.1-8b").unwrap().arch().unwrap();
        assert_eq!(arch.param_counts().unwrap().total, LLAMA3_8B_PARAMS);
        for (ftype, id) in [(FileType::F16, "f16"), (FileType::Q8_0, "q8_0"), (FileType::Q4KM, "q4_k_m")] {
            let tensors = layout(&arch, ftype).unwrap().data_bytes() as f64 / f64::from(1 << 30);
            let published = f64::from(point(id).unwrap().size_centi_gib) / 100.0;
            // The published size is rounded to ±0.005 GiB.
            let metadata = published - tensors;
            assert!((0.0..0.02).contains(&metadata), "{id}: {tensors} GiB of tensors, {published} published");
        }
    }

    #[test]
    fn bits_per_weight_and_choices() {
        let q4 = point("q4_k_m").unwrap();
        // 4.58 GiB × 8 / 8,030,261,248 weights.
        assert_eq!(crate::units::fixed(q4.bits_per_weight(), 2), "4.90");
        assert_eq!(crate::units::fixed(point("f16").unwrap().bits_per_weight(), 2), "16.01");
        // 6 GiB holds Q5_K_M (5.33 GiB) at best; Q6_K needs 6.14.
        assert_eq!(best_within(6 << 30).unwrap().id, "q5_k_m");
        assert_eq!(best_within(16 << 30).unwrap().id, "f16");
        assert!(best_within(1 << 30).is_none());
        // Within 0.05 of FP16's distribution, the smallest file is IQ4_XS.
        assert_eq!(smallest_with(0.05).unwrap().id, "iq4_xs");
    }
}
