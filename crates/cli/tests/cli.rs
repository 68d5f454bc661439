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
