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

/// The optimizer step's temporaries: the fp32 copy of 16-bit gradients
/// (4 bytes per parameter of the shard), foreach Adam's square roots (4
/// more); fp32 gradients cost 4 bytes each and need no copy.
#[test]
fn train_gradients_and_the_optimizer_step() {
    let v = json(&["train", "--params", "8B", "--gpus", "8", "--zero", "1", "--json"]);
    assert_eq!(v["optimizer_step_bytes"], 4_000_000_000u64);
    let f = json(&["train", "--params", "8B", "--gpus", "8", "--zero", "1", "--adam", "foreach", "--json"]);
    assert_eq!(f["optimizer_step_bytes"], 8_000_000_000u64);
    let g = json(&["train", "--params", "8B", "--gpus", "8", "--zero", "2", "--fp32-grads", "--json"]);
    assert_eq!((g["grads_bytes"].as_u64(), g["optimizer_step_bytes"].as_u64()), (Some(4_000_000_000), Some(0)));
    let bad = llmem(&["train", "--params", "8B", "--gpus", "8", "--zero", "1", "--adam", "apex"]);
    assert_eq!(bad.status.code(), Some(2));
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

/// When it does not fit, the answer lists what would, and each change given
/// back to `llmem fit` as the flag it names does fit, with the same total.
#[test]
fn fit_lists_what_would_make_it_fit() {
    let base = ["fit", "llama-3.1-8b", "--device", "rtx-4090", "--context", "98304", "--json"];
    let v = json(&base);
    assert_eq!(v["fits"], false);
    let changes = v["changes"].as_array().unwrap();
    let flags: Vec<&str> = changes.iter().map(|c| c["flag"].as_str().unwrap()).collect();
    assert_eq!(flags, ["--kv fp8", "--context 68728", "--weights int8", "--count 2", "--device rtx-5090"]);
    for c in changes {
        let flag = c["flag"].as_str().unwrap();
        let (name, value) = flag.split_once(' ').unwrap();
        // The question with that one flag set (replaced if it was already given).
        let mut args: Vec<&str> = base.to_vec();
        match args.iter().position(|a| *a == name) {
            Some(i) => args[i + 1] = value,
            None => args.extend([name, value]),
        }
        let again = json(&args);
        assert_eq!(again["fits"], true, "{flag}");
        assert_eq!(again["total_bytes"], c["report"]["total_bytes"], "{flag}");
        assert_eq!(again["changes"].as_array().unwrap().len(), 0, "{flag}");
    }
    let out = llmem(&base[..base.len() - 1]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("to make it fit, change one of:\n  --kv fp8 "), "{text}");
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

/// A scratch file under the target directory (removed when dropped).
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("inspect");
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir.join(name))
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The GGUF llama.cpp's tools would write for the preset `id` in Q4_K_M,
/// as `name`: the header, then the body as a hole of the right length.
fn q4_k_m_gguf(id: &str, name: &str) -> (Scratch, llmem_estimator::engines::gguf_layout::GgufLayout) {
    use llmem_estimator::{
        engines::gguf_layout::{layout, metadata, FileType},
        gguf_file::write_header,
        presets::preset,
    };
    let arch = preset(id).unwrap().arch().unwrap();
    let l = layout(&arch, FileType::Q4KM).unwrap();
    let (header, len) = write_header(&metadata(&arch, &l, FileType::Q4KM).unwrap(), &l.new_tensors()).unwrap();
    let f = Scratch::new(name);
    std::fs::write(&f.0, &header).unwrap();
    std::fs::File::options().write(true).open(&f.0).unwrap().set_len(len).unwrap();
    (f, l)
}

/// A GGUF header written as llama.cpp's converter would for Llama 3.1 8B in
/// Q4_K_M, the body a hole: `inspect` reads the header and prices every
/// tensor at its type, as the layout the llama.cpp ground truth checks.
#[test]
fn inspect_a_gguf_header() {
    let (f, l) = q4_k_m_gguf("llama-3.1-8b", "llama.gguf");
    let v = json(&["inspect", f.path(), "--json"]);
    assert_eq!(v["format"], "gguf");
    assert_eq!(v["architecture"], "llama");
    assert_eq!(v["elements"], l.tensors.iter().map(|t| t.elements()).sum::<u64>());
    assert_eq!(v["bytes"], l.tensors.iter().map(|t| t.bytes()).sum::<u64>());
    assert_eq!(v["by_type"][0]["dtype"], "q4_K");
    assert!(v.get("tensors").is_none(), "tensors only with --tensors");
    let text = llmem(&["inspect", f.path()]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("gguf (llama), 292 tensors"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

/// `serve` on a GGUF: llama.cpp sizes the file's own tensors — the same
/// buffers as the preset laid out in the file's type, which the llama.cpp
/// ground truth checks — and another engine prices the model it describes.
#[test]
fn serve_a_gguf_file() {
    let (f, _) = q4_k_m_gguf("qwen3-8b", "Qwen3-8B-serve.gguf");
    let common = ["--device", "rtx-4090", "--context", "16384", "--batch", "2", "--json"];
    let file = json(&[&["serve", f.path(), "--engine", "llama.cpp"][..], &common].concat());
    let preset = json(&[&["serve", "qwen3-8b", "--engine", "llama.cpp", "--weights", "q4_k_m"][..], &common].concat());
    for key in ["weights_bytes", "kv_bytes", "compute_bytes", "output_bytes", "total_bytes"] {
        assert_eq!(file[key], preset[key], "{key}");
    }
    assert_eq!(file["gpus"], preset["gpus"]);
    // --weights names a file type to lay out instead of the file's own.
    let f16 = json(&[&["serve", f.path(), "--engine", "llama.cpp", "--weights", "f16"][..], &common].concat());
    assert!(f16["weights_bytes"].as_u64() > file["weights_bytes"].as_u64());
    let vllm = json(&[&["serve", f.path(), "--engine", "vllm", "--weights", "bf16"][..], &common].concat());
    let vllm_preset = json(&[&["serve", "qwen3-8b", "--engine", "vllm", "--weights", "bf16"][..], &common].concat());
    assert_eq!(vllm["kv_cache_tokens"], vllm_preset["kv_cache_tokens"]);
}

/// `fit` on a GGUF: the model from its metadata, the weights as its
/// tensors are stored (Q4_K_M's mix, to the byte); `--weights` prices the
/// same model in a format instead; `inspect` names the model it read.
#[test]
fn fit_a_gguf_file() {
    let (f, l) = q4_k_m_gguf("qwen3-8b", "Qwen3-8B-Q4_K_M.gguf");
    let args = ["fit", f.path(), "--device", "rtx-4090", "--context", "32768", "--json"];
    let v = json(&args);
    assert_eq!(v["weights_bytes"], l.data_bytes());
    let preset_fit = json(&["fit", "qwen3-8b", "--device", "rtx-4090", "--context", "32768", "--kv", "bf16", "--json"]);
    assert_eq!(v["kv_bytes"], preset_fit["kv_bytes"], "the same model's KV cache");
    let bf16 = json(&["fit", f.path(), "--device", "rtx-4090", "--context", "32768", "--weights", "bf16", "--json"]);
    assert_eq!(bf16["weights_bytes"], preset_fit["weights_bytes"]);
    let text = String::from_utf8_lossy(&llmem(&args[..args.len() - 1]).stdout).to_string();
    assert!(text.contains("(as the file stores them)"), "{text}");
    let seen = String::from_utf8_lossy(&llmem(&["inspect", f.path()]).stdout).to_string();
    assert!(
        seen.contains("model          qwen3, 36 layers, GQA (32 query heads, 8 KV heads) (from its metadata)"),
        "{seen}"
    );
    // The same file as --weights-file of the preset, or as its bytes (what
    // the calculator's link carries); a bad file is refused.
    let w = json(&["fit", "qwen3-8b", "--weights-file", f.path(), "--device", "rtx-4090", "--json"]);
    assert_eq!(w["weights_bytes"], l.data_bytes());
    let bytes = l.data_bytes().to_string();
    let b = json(&["fit", "qwen3-8b", "--weights-bytes", &bytes, "--device", "rtx-4090", "--json"]);
    assert_eq!(b, w);
    // No weights at all is not a checkpoint.
    assert_eq!(llmem(&["fit", "qwen3-8b", "--weights-bytes", "0"]).status.code(), Some(2));
    // A tensor count no file could hold, in a file of 64 bytes.
    let mut bad = b"GGUF\x03\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f".to_vec();
    bad.resize(64, 0);
    std::fs::write(&f.0, &bad).unwrap();
    let out = llmem(&["fit", f.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a valid GGUF file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A catalogue id works wherever a model is asked for, offline: a gated
/// Llama and a quantized Qwen, priced as their repositories store them.
#[test]
fn catalogue_ids_are_models() {
    let list = String::from_utf8_lossy(&llmem(&["catalogue", "qwen2.5", "72b"]).stdout).to_string();
    assert_eq!(list.lines().count(), 5, "{list}");
    assert!(list.contains("Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4"), "{list}");
    assert!(llmem(&["catalogue"]).stdout.split(|b| *b == b'\n').count() > 150);
    let llama = json(&["model", "meta-llama/Llama-3.3-70B-Instruct", "--json"]);
    assert_eq!(llama["params_total"], 70_553_706_496u64);
    // Any case, as the Hub resolves ids.
    let awq = json(&["model", "qwen/qwen2.5-72b-instruct-awq", "--json"]);
    let bf16 = json(&["model", "Qwen/Qwen2.5-72B-Instruct", "--json"]);
    assert!(awq["weights_bytes"].as_u64().unwrap() < bf16["weights_bytes"].as_u64().unwrap() / 3);
    let out = llmem(&["model", "Qwen/Qwen9-1B"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a file, a preset nor a catalogue id"));
}

/// The fine-tuning question: QLoRA of Llama 3.1 8B on a 24 GB card fits,
/// with PEFT's 41,943,040 trainable parameters at rank 16 on every linear
/// layer; a full fine-tune on one H100 does not, and does over eight with ZeRO-3.
#[test]
fn finetune_command() {
    let q = json(&["finetune", "meta-llama/Llama-3.1-8B-Instruct", "--json"]);
    assert_eq!(q["fits"], true);
    assert_eq!(q["trainable_params"], 41_943_040u64);
    let full = json(&["finetune", "llama-3.1-8b", "--method", "full", "--device", "h100-sxm", "--json"]);
    assert_eq!(full["fits"], false);
    let z3 = json(&[
        "finetune",
        "llama-3.1-8b",
        "--method",
        "full",
        "--device",
        "h100-sxm",
        "--zero",
        "3",
        "--gpus",
        "8",
        "--json",
    ]);
    assert_eq!(z3["fits"], true);
    assert!(String::from_utf8_lossy(&llmem(&["finetune", "llama-3.1-8b"]).stdout).contains("41,943,040 parameters"));
    assert_eq!(llmem(&["finetune", "llama-3.1-8b", "--method", "dora"]).status.code(), Some(2));
    assert_eq!(llmem(&["finetune", "llama-3.1-8b", "--checkpointing", "yes"]).status.code(), Some(2));
    assert_eq!(llmem(&["finetune", "llama-3.1-8b", "--gpus", "0"]).status.code(), Some(2));
    assert_eq!(
        llmem(&["finetune", "llama-3.1-8b", "--seq", "18446744073709551615", "--batch", "999999"]).status.code(),
        Some(2)
    );
}

#[test]
fn inspect_a_safetensors_header_and_refuse_a_bad_one() {
    let header = r#"{"__metadata__":{"format":"pt"},"embed":{"dtype":"BF16","shape":[1000,64],"data_offsets":[0,128000]},"norm":{"dtype":"F32","shape":[64],"data_offsets":[128000,128256]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    let f = Scratch::new("model.safetensors");
    std::fs::write(&f.0, &bytes).unwrap();
    std::fs::File::options().write(true).open(&f.0).unwrap().set_len(bytes.len() as u64 + 128_256).unwrap();
    let v = json(&["inspect", f.path(), "--json", "--tensors"]);
    assert_eq!((v["elements"].as_u64(), v["bytes"].as_u64()), (Some(64_064), Some(128_256)));
    assert_eq!(v["tensors"].as_array().unwrap().len(), 2);
    // The same header with the body cut short: a tensor ends past the end.
    std::fs::File::options().write(true).open(&f.0).unwrap().set_len(bytes.len() as u64 + 1000).unwrap();
    let out = llmem(&["inspect", f.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("not a valid safetensors file: tensor `embed` ends past the end of the file"));
    // Wrong magic, and a declared header far larger than the file.
    std::fs::write(&f.0, b"\xff\xff\xff\xff\xff\xff\xff\x7f{}").unwrap();
    let out = llmem(&["inspect", f.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the format allows"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn inspect_an_index() {
    let f = Scratch::new("model.safetensors.index.json");
    std::fs::write(&f.0, r#"{"metadata":{"total_size":16060522496},"weight_map":{"a":"model-00001-of-00004.safetensors","b":"model-00004-of-00004.safetensors"}}"#).unwrap();
    let v = json(&["inspect", f.path(), "--json"]);
    assert_eq!((v["total_size"].as_u64(), v["tensors"].as_u64()), (Some(16_060_522_496), Some(2)));
    assert!(String::from_utf8_lossy(&llmem(&["inspect", f.path()]).stdout).contains("16.1 GB (15.0 GiB)"));
}
