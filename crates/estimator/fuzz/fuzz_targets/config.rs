//! Arbitrary bytes as a config.json: parsing must return Ok or Err, never
//! panic; a parsed architecture must survive every estimate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmem_estimator::{kv_cache::kv_cache, parse_config, precision::{weights_footprint, Dtype, WeightFormat}};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(arch) = parse_config(text) {
        let _ = arch.param_counts();
        for f in WeightFormat::ALL.into_iter().chain([WeightFormat::Checkpoint]) {
            if let Ok(w) = weights_footprint(&arch, f) {
                assert!(w.bits_per_param.is_finite());
            }
        }
        let _ = kv_cache(&arch, Dtype::Bf16, 8192, 4);
        let _ = kv_cache(&arch, Dtype::Int4, u64::MAX, u64::MAX);
        let _ = llmem_estimator::ssm::recurrent_state(&arch, Dtype::Fp32);
        let _ = arch.attention_label();
    }
});
