//! The `llmem` binary, run as a user would.

use std::process::{Command, Output};

fn llmem(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmem")).args(args).output().expect("run llmem")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = llmem(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn model_preset_json() {
    let v = json(&["model", "llama-3.1-8b", "--json"]);
    assert_eq!(v["params_total"], 8_030_261_248u64);
    assert_eq!(v["params_active"], 8_030_261_248u64);
    assert_eq!(v["weights_bytes"], 16_060_522_496u64);
    assert_eq!(v["kv_bytes_per_token"], 131_072);
    assert_eq!(v["kv_bytes"], 131_072u64 * 4096);
}

#[test]
fn model_flags_and_windows() {
    let v = json(&[
        "model",
        "mistral-7b-v0.1",
        "--weights",
        "int4",
        "--kv",
        "fp8",
        "--context",
        "32768",
        "--batch",
        "2",
        "--json",
    ]);
    assert_eq!(v["kv_bytes_per_token"], 65_536);
    // Every layer is capped at the 4096-token window.
    assert_eq!(v["kv_bytes"], 65_536u64 * 4096 * 2);
    assert_eq!(v["kv_window_capped_layers"], 32);
    let w = json(&["model", "mixtral-8x7b", "--json"]);
    assert_eq!(w["params_active"], 12_879_925_248u64);
}

#[test]
fn model_from_config_file() {
    let dir = std::env::temp_dir().join(format!("llmem-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(
        &path,
        r#"{"model_type":"llama","hidden_size":4096,"num_hidden_layers":32,"num_attention_heads":32,
            "num_key_value_heads":8,"vocab_size":128256,"intermediate_size":14336,"tie_word_embeddings":false}"#,
    )
    .unwrap();
    let v = json(&["model", path.to_str().unwrap(), "--json"]);
    assert_eq!(v["params_total"], 8_030_261_248u64);
    // No torch_dtype: weights default to bf16.
    assert_eq!(v["weights_format"], "bf16");
    // Omitted fields take LlamaConfig's defaults, and the output says which.
    std::fs::write(&path, r#"{"model_type":"llama","hidden_size":4096}"#).unwrap();
    let v = json(&["model", path.to_str().unwrap(), "--json"]);
    assert!(v["defaulted_fields"].as_array().unwrap().iter().any(|f| f == "num_hidden_layers"));
    // A field without a default is an error that names it.
    std::fs::write(&path, r#"{"model_type":"deepseek_v2"}"#).unwrap();
    let out = llmem(&["model", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("num_experts_per_tok"));
    std::fs::remove_dir_all(&dir).ok();
}

/// ZeRO Figure 1 from the command line.
#[test]
fn train_zero_figure_1() {
    let v = json(&["train", "--params", "7.5B", "--gpus", "64", "--zero", "1", "--json"]);
    assert_eq!(v["per_gpu_bytes"], 31_406_250_000u64);
    assert_eq!(v["params_bytes"], 15_000_000_000u64);
    assert_eq!(v["grads_bytes"], 15_000_000_000u64);
    assert_eq!(v["optimizer_bytes"], 1_406_250_000u64);
    let z3 = json(&["train", "--params", "7500000000", "--gpus", "64", "--zero", "3", "--json"]);
    assert_eq!(z3["per_gpu_bytes"], 1_875_000_000u64);
}

#[test]
fn activations_korthikanti() {
    let v = json(&[
        "activations",
        "--layers",
        "96",
        "--hidden",
        "12288",
        "--heads",
        "96",
        "--seq",
        "2048",
        "--batch",
        "1",
        "--json",
    ]);
    assert_eq!(v["bytes"], 96u64 * 2048 * 12288 * 114);
    let full = json(&[
        "activations",
        "--layers",
        "96",
        "--hidden",
        "12288",
        "--heads",
        "96",
        "--seq",
        "2048",
        "--batch",
        "1",
        "--recompute",
        "full",
        "--json",
    ]);
    assert_eq!(full["bytes"], 96u64 * 2048 * 12288 * 2);
}

#[test]
fn readable_output_has_both_units() {
    let out = llmem(&["model", "llama-3.1-8b"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("16.1 GB") && text.contains("15.0 GiB"), "{text}");
    let p = llmem(&["presets"]);
    assert!(String::from_utf8_lossy(&p.stdout).contains("deepseek-v3"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["model", "no-such-model"][..],
        &["model", "llama-3.1-8b", "--weights", "int3"],
        &["model", "llama-3.1-8b", "--context", "99999999999999999"],
        &["train", "--params", "lots", "--gpus", "8", "--zero", "1"],
        &["train", "--params", "7B", "--gpus", "0", "--zero", "1"],
        &["train", "--params", "7B", "--gpus", "8", "--zero", "4"],
        &["activations", "--layers", "0", "--hidden", "1", "--heads", "1", "--seq", "1", "--batch", "1"],
        &[
            "activations",
            "--layers",
            "1",
            "--hidden",
            "1",
            "--heads",
            "1",
            "--seq",
            "1",
            "--batch",
            "1",
            "--recompute",
            "some",
        ],
        &["frobnicate"],
    ] {
        let out = llmem(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn fit_command() {
    let v = json(&["fit", "llama-3.1-70b", "--device", "h100-sxm", "--count", "2", "--context", "8192", "--json"]);
    assert_eq!(v["fits"], true);
    assert_eq!(v["weights_bytes"], 141_107_412_992u64);
}

/// vLLM's two start-up lines follow from its blocks: 16-token blocks, and
/// concurrency = tokens held / tokens per request.
#[test]
fn serve_vllm_json() {
    let v = json(&["serve", "llama-3.1-8b", "--engine", "vllm", "--device", "h100-sxm", "--json"]);
    assert_eq!(v["engine"], "vllm");
    assert_eq!(v["weights_bytes"], 16_060_522_496u64);
    let tokens = v["kv_cache_tokens"].as_u64().unwrap();
    assert_eq!(tokens % 16, 0);
    // 80 GB × 0.9 less 16 GB of weights and the estimated reserve: hundreds of thousands of tokens.
    assert!((400_000..500_000).contains(&tokens), "{tokens}");
    let c = v["max_concurrency"].as_f64().unwrap();
    assert!((c - tokens as f64 / 8192.0).abs() < 1e-6);
    assert_eq!(v["kv_bytes"].as_u64().unwrap(), tokens * 131_072);
    assert_eq!(v["fits"], true);
    let gpu = &v["gpus"][0];
    let terms = gpu["terms"].as_array().unwrap();
    assert!(terms.iter().any(|t| t["id"] == "activations" && t["basis"] == "estimate"));
    assert!(terms.iter().any(|t| t["id"] == "kv" && t["basis"] == "exact"));
    let text = String::from_utf8(llmem(&["serve", "llama-3.1-8b", "--engine", "vllm"]).stdout).unwrap();
    assert!(text.contains(&format!("GPU KV cache size: {} tokens", group(tokens))), "{text}");
    assert!(text.contains("Maximum concurrency for 8,192 tokens per request:"), "{text}");
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Tensor parallelism: per-GPU fields, every rank listed.
#[test]
fn serve_tensor_parallel() {
    let v = json(&["serve", "llama-3.1-70b", "--engine", "vllm", "--tp", "4", "--json"]);
    let gpus = v["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 4);
    let per_gpu: u64 = gpus[0]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] == "weights")
        .map(|t| t["bytes"].as_u64().unwrap())
        .sum();
    assert!(per_gpu < 40_000_000_000 && per_gpu > 30_000_000_000, "{per_gpu}");
    assert_eq!(v["fits"], true);
    // 405B in bf16 on one H100: not a crash, a verdict that says what to change.
    let v = json(&["serve", "llama-3.1-405b", "--engine", "vllm", "--json"]);
    assert_eq!(v["fits"], false);
    assert!(v["problems"].to_string().contains("--tp"));
}

/// `llmem serve --engine llama.cpp --device cpu` is the estimator's
/// llama.cpp model (which the test command checks against real llama.cpp):
/// --ctx-size is --context × --parallel.
#[test]
fn serve_llama_cpp_on_the_cpu() {
    use llmem_estimator::engines::{
        gguf_layout::FileType,
        llama_cpp::{llama_cpp, LlamaCppParams},
    };
    use llmem_estimator::gguf::GgmlType;
    let v = json(&[
        "serve",
        "qwen3-8b",
        "--engine",
        "llama.cpp",
        "--device",
        "cpu",
        "--weights",
        "q8_0",
        "--context",
        "4096",
        "--parallel",
        "4",
        "--flash-attn",
        "on",
        "--cache-type-k",
        "q8_0",
        "--cache-type-v",
        "q8_0",
        "--ubatch",
        "256",
        "--json",
    ]);
    let arch = llmem_estimator::preset("qwen3-8b").unwrap().arch().unwrap();
    let r = llama_cpp(
        &arch,
        FileType::Q8_0,
        &LlamaCppParams {
            n_ctx: 16384,
            n_parallel: 4,
            n_ubatch: 256,
            flash_attn: true,
            type_k: GgmlType::Q8_0,
            type_v: GgmlType::Q8_0,
            n_gpu_layers: 0,
            ..LlamaCppParams::default()
        },
    )
    .unwrap();
    assert_eq!(v["weights_bytes"], r.model.total());
    assert_eq!(v["kv_bytes"], r.kv.total());
    assert_eq!(v["compute_bytes"], r.compute.total());
    assert_eq!(v["output_bytes"], r.output_bytes);
    assert_eq!(v["total_bytes"], r.total());
    assert_eq!(v["llama_cpp"]["n_ctx"], 16384);
    assert_eq!(v["llama_cpp"]["n_ctx_seq"], 4096);
    assert_eq!(v["fits"], true);
}

/// Settings that cannot work exit 2 and say what to change.
#[test]
fn serve_errors_say_what_to_change() {
    for (args, needle) in [
        (vec!["serve", "llama-3.1-8b", "--engine", "tgi"], "llama.cpp, vllm"),
        (vec!["serve", "llama-3.1-8b", "--engine", "vllm", "--tp", "3"], "3"),
        (vec!["serve", "llama-3.1-8b", "--engine", "vllm", "--device", "cpu"], "llama.cpp"),
        (vec!["serve", "llama-3.1-8b", "--engine", "llama.cpp", "--cache-type-v", "q4_0"], "--flash-attn on"),
        (vec!["serve", "llama-3.1-8b", "--engine", "llama.cpp", "--weights", "int4"], "q4_k_m"),
        (vec!["serve", "llama-3.1-8b", "--engine", "vllm", "--gpu-memory-utilization", "1.5"], "at most 1"),
        (vec!["serve", "llama-3.1-8b", "--engine", "vllm", "--count", "4", "--tp", "2"], "does not match"),
    ] {
        let out = llmem(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(msg.contains(needle), "{args:?}: {msg}");
    }
}

/// `--config` counts what transformers keeps; the GPT flags keep their
/// formula and gain `layer_bytes`.
#[test]
fn activations_of_a_config() {
    let v = json(&["activations", "--config", "llama-3.1-8b", "--seq", "4096", "--batch", "1", "--json"]);
    // 200,840 bytes per token and layer (see the estimator's training tests).
    assert_eq!(v["layer_bytes"], 200_840u64 * 4096);
    assert_eq!(v["attention"], "flash");
    assert_eq!(v["measured"], true);
    let e = json(&[
        "activations",
        "--config",
        "llama-3.1-8b",
        "--seq",
        "4096",
        "--batch",
        "1",
        "--attention",
        "eager",
        "--json",
    ]);
    assert!(e["bytes"].as_u64().unwrap() > 4 * v["bytes"].as_u64().unwrap());
    let g = json(&[
        "activations",
        "--layers",
        "96",
        "--hidden",
        "12288",
        "--heads",
        "96",
        "--seq",
        "2048",
        "--batch",
        "1",
        "--json",
    ]);
    assert_eq!(g["layer_bytes"], 2048u64 * 12288 * 114);
    let out =
        llmem(&["activations", "--config", "llama-3.1-8b", "--seq", "4096", "--batch", "1", "--attention", "paged"]);
    assert_eq!(out.status.code(), Some(2));
}
