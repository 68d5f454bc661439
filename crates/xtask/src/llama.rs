//! Real llama.cpp as ground truth.
//!
//! node-llama-cpp (npm, pinned in `tests/llama/package.json`) ships a
//! prebuilt llama.cpp for x86-64 Linux and the llama.cpp source it was built
//! from (a git bundle). `tests/llama/probe.cpp`, compiled against that
//! library, loads a GGUF with `no_alloc` — llama.cpp lays out the model, KV
//! cache and compute buffers as a real load does, without reading or
//! allocating weights — and prints the sizes. The GGUFs are written by the
//! estimator's own layout (`engines::gguf_layout`): a header and tensor
//! table, with the data region left as a hole, so an 8B model costs a few
//! kilobytes of disk.

use crate::{root, run, step, tools, Failure};
use llmem_estimator::engines::gguf_layout::{layout, metadata, FileType};
use llmem_estimator::gguf_file::write_header;
use llmem_estimator::ModelArch;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// llama.cpp's version as node-llama-cpp 3.22.1 bundles it
/// (`node_modules/node-llama-cpp/llama/llama.cpp.info.json`).
pub const LLAMA_CPP_VERSION: &str = "v0.5.0";

fn dir() -> PathBuf {
    root().join("target/llama-truth")
}

fn package_dir() -> PathBuf {
    root().join("tests/llama")
}

fn bins() -> PathBuf {
    package_dir().join("node_modules/@node-llama-cpp/linux-x64/bins/linux-x64")
}

/// Installs the npm package, extracts the headers from the bundled source
/// and compiles the probe; each step is skipped when already done.
pub fn ensure() -> Result<PathBuf, Failure> {
    let probe = dir().join("probe");
    let source = package_dir().join("probe.cpp");
    if !bins().join(format!("libllama.{LLAMA_CPP_VERSION}.so")).is_file() {
        step("llama.cpp from npm (node-llama-cpp, CPU build, ≈85 MB)");
        // `npm install` with the committed lock, not `npm ci`: the registry
        // serves only some of node-llama-cpp's optional per-platform
        // packages, so the lock cannot list them all, and npm 11's `ci`
        // refuses a lock without them even when they are omitted. With
        // the lock present `install` still takes its pinned versions.
        run(Command::new("npm")
            .args(["install", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--no-save"])
            .current_dir(package_dir())
            .env("NODE_LLAMA_CPP_SKIP_DOWNLOAD", "true")
            .env("PATH", tools::path_with_tools()))?;
    }
    let src = dir().join("llama.cpp-src");
    if !src.join("ggml/src/ggml-impl.h").is_file() {
        step("llama.cpp headers from the bundled source");
        let _ = std::fs::remove_dir_all(&src);
        std::fs::create_dir_all(dir()).map_err(|e| Failure::new(e.to_string()))?;
        let bundle = package_dir().join("node_modules/node-llama-cpp/llama/gitRelease.bundle");
        run(Command::new("git").args(["clone", "--quiet", "--no-checkout"]).arg(&bundle).arg(&src))?;
        run(Command::new("git")
            .args([
                "checkout",
                "--quiet",
                "HEAD",
                "--",
                "include",
                "ggml/include",
                "ggml/src/ggml-impl.h",
                "src/llama-ext.h",
            ])
            .current_dir(&src))?;
    }
    let stale = match (std::fs::metadata(&probe), std::fs::metadata(&source)) {
        (Ok(p), Ok(s)) => p.modified().ok() < s.modified().ok(),
        _ => true,
    };
    if stale {
        step("compiling the llama.cpp probe (g++)");
        run(Command::new("g++")
            .args(["-O1", "-std=c++17"])
            .arg(&source)
            .arg("-I")
            .arg(src.join("include"))
            .arg("-I")
            .arg(src.join("ggml/include"))
            .arg("-I")
            .arg(src.join("src"))
            .arg("-I")
            .arg(src.join("ggml/src"))
            .arg(format!("-L{}", bins().display()))
            .args([&format!("-l:libllama.{LLAMA_CPP_VERSION}.so"), &format!("-l:libggml.{LLAMA_CPP_VERSION}.so")])
            .arg("-l:libggml-base.so")
            .arg(format!("-Wl,-rpath,{}", bins().display()))
            .arg("-o")
            .arg(&probe))?;
    }
    Ok(probe)
}

/// Writes the GGUF llama.cpp's converter would write for `arch` in `ftype`,
/// header only, the data region a hole.
pub fn write_gguf(arch: &ModelArch, ftype: FileType, path: &Path) -> Result<(), Failure> {
    let l = layout(arch, ftype).map_err(|e| Failure::new(e.to_string()))?;
    let meta = metadata(arch, &l, ftype).map_err(|e| Failure::new(e.to_string()))?;
    let (header, len) = write_header(&meta, &l.new_tensors()).map_err(Failure::new)?;
    let mut f = std::fs::File::create(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    f.write_all(&header).map_err(|e| Failure::new(e.to_string()))?;
    f.set_len(len).map_err(|e| Failure::new(e.to_string()))?;
    Ok(())
}

/// Runs the probe on a GGUF for each case string
/// (`n_ctx,n_batch,n_ubatch,n_seq,fa,type_k,type_v,ngl`), one JSON object per case.
pub fn probe(probe: &Path, gguf: &Path, cases: &[String]) -> Result<Vec<serde_json::Value>, Failure> {
    let out = Command::new(probe)
        .env("PROBE_CPU_BACKEND", bins().join("libggml-cpu-x64.so"))
        .arg(gguf)
        .args(cases)
        .output()
        .map_err(|e| Failure::new(format!("could not run the probe: {e}")))?;
    if !out.status.success() {
        return Err(Failure::new(format!(
            "probe failed on {}: {}",
            gguf.display(),
            String::from_utf8_lossy(&out.stderr).lines().rev().take(15).collect::<Vec<_>>().join("\n")
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    if let Some(err) = rows.iter().find(|r| r.get("error").is_some()) {
        return Err(Failure::new(format!(
            "{}: {err}\n{}",
            gguf.display(),
            String::from_utf8_lossy(&out.stderr).lines().rev().take(20).collect::<Vec<_>>().join("\n")
        )));
    }
    Ok(rows)
}

/// `cargo xtask llama probe <preset> <ftype> <case>…`: prints llama.cpp's figures.
pub fn explore(args: &[String]) -> Result<(), Failure> {
    if args.first().map(String::as_str) == Some("check") {
        return check();
    }
    if let [cmd, model, ftype, case] = args {
        if cmd == "graph-check" {
            return graph_check(model, ftype, case);
        }
    }
    if let [cmd, path] = args {
        if cmd == "graph" {
            let g = read_graph_dump(Path::new(path))?;
            println!(
                "{} nodes, {} leafs: compute buffer {} bytes",
                g.nodes.len(),
                g.leafs.len(),
                llmem_estimator::engines::ggml_alloc::reserve_size(
                    &g,
                    llmem_estimator::engines::ggml_alloc::CPU_ALIGNMENT
                )
            );
            return Ok(());
        }
    }
    let [model, ftype, cases @ ..] = args else {
        return Err(Failure::new(
            "usage: cargo xtask llama <preset> <f16|q8_0|…> <n_ctx,n_batch,n_ubatch,n_seq,fa,tk,tv,ngl>…",
        ));
    };
    let probe_bin = ensure()?;
    let arch = if Path::new(model).is_file() {
        let text = std::fs::read_to_string(model).map_err(|e| Failure::new(format!("{model}: {e}")))?;
        llmem_estimator::parse_config(&text)
    } else {
        llmem_estimator::presets::preset(model).and_then(|p| p.arch())
    }
    .map_err(|e| Failure::new(e.to_string()))?;
    let model = Path::new(model).file_stem().and_then(|s| s.to_str()).unwrap_or("model");
    let ftype = FileType::parse(ftype).map_err(|e| Failure::new(e.to_string()))?;
    std::fs::create_dir_all(dir()).map_err(|e| Failure::new(e.to_string()))?;
    let path = dir().join(format!("{model}-{}.gguf", ftype.id()));
    write_gguf(&arch, ftype, &path)?;
    for row in probe(&probe_bin, &path, cases)? {
        println!("{row}");
    }
    Ok(())
}

/// Largest relative error of the compute-buffer estimate the grid accepts.
const COMPUTE_TOLERANCE: f64 = 0.25;

/// One model of the ground-truth grid: a preset id or a config under
/// `crates/estimator/tests/configs/`, and the GGUF file types to try.
struct TruthModel {
    model: &'static str,
    ftypes: &'static [FileType],
}

/// At least one model of every architecture llmem lays out for llama.cpp.
const TRUTH_MODELS: &[TruthModel] = &[
    TruthModel { model: "llama-3.1-8b", ftypes: &[FileType::F16, FileType::Q8_0] },
    TruthModel { model: "qwen2.5-7b", ftypes: &[FileType::F16] },
    TruthModel { model: "qwen3-8b", ftypes: &[FileType::Q8_0] },
    TruthModel { model: "qwen3-30b-a3b", ftypes: &[FileType::F16] },
    TruthModel { model: "phi-3-mini-4k", ftypes: &[FileType::F16] },
    TruthModel { model: "gemma-2-9b", ftypes: &[FileType::F16] },
    TruthModel { model: "gemma-3-27b", ftypes: &[FileType::Q8_0] },
    TruthModel { model: "gpt-oss-20b", ftypes: &[FileType::F16] },
    TruthModel { model: "mixtral-8x7b", ftypes: &[FileType::Q8_0] },
    TruthModel { model: "deepseek-v2-lite", ftypes: &[FileType::F16] },
    // Tied embeddings, Llama 3 RoPE factors, Gemma 3's 512-token windows,
    // Phi-4's long-RoPE factors and partial rotary.
    TruthModel { model: "llama-3.2-1b", ftypes: &[FileType::Q4KM] },
    TruthModel { model: "qwen3-0.6b", ftypes: &[FileType::F16] },
    TruthModel { model: "gemma-3-1b", ftypes: &[FileType::Q8_0] },
    TruthModel { model: "phi-4-mini", ftypes: &[FileType::F16] },
    // DeepSeek's full models: a compressed query, expert groups, softmax
    // (V2) and sigmoid scores with a selection bias (V3).
    TruthModel { model: "deepseek-v2", ftypes: &[FileType::Q4KM] },
    TruthModel { model: "deepseek-v3", ftypes: &[FileType::Q4KM] },
];

/// The settings each model is sized at: contexts below and above the
/// windows, two ubatch sizes, flash attention off and on, f16 and q8_0
/// caches, one and four sequences.
fn truth_cases() -> Vec<llmem_estimator::engines::llama_cpp::LlamaCppParams> {
    use llmem_estimator::engines::llama_cpp::LlamaCppParams;
    use llmem_estimator::gguf::GgmlType;
    let mut v = Vec::new();
    for (n_ctx, n_ubatch, flash_attn, q8, n_parallel) in [
        (4096, 512, false, false, 1),
        (8000, 512, true, false, 1),
        (32768, 256, false, false, 1),
        (32768, 512, true, true, 1),
        (8000, 512, false, false, 4),
        (16384, 1024, true, true, 4),
        (1000, 512, true, false, 1),
    ] {
        // `llmem serve` takes tokens per slot: every case splits evenly.
        assert_eq!(n_ctx % n_parallel, 0, "a truth case must split its context evenly");
        let t = if q8 { GgmlType::Q8_0 } else { GgmlType::F16 };
        v.push(LlamaCppParams {
            n_ctx,
            n_ubatch,
            flash_attn,
            type_k: t,
            type_v: t,
            n_parallel,
            ..LlamaCppParams::default()
        });
    }
    v
}

fn load_truth_model(id: &str) -> Result<ModelArch, Failure> {
    let path = root().join("crates/estimator/tests/configs").join(format!("{id}.json"));
    if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(|e| Failure::new(e.to_string()))?;
        return llmem_estimator::parse_config(&text).map_err(|e| Failure::new(format!("{id}: {e}")));
    }
    llmem_estimator::presets::preset(id).and_then(|p| p.arch()).map_err(|e| Failure::new(e.to_string()))
}

/// What `llmem serve --engine llama.cpp --device cpu` computes for a case:
/// the same `serve` call, with `--parallel` slots of `--context` tokens each.
fn serve_on_cpu(
    arch: &ModelArch,
    ftype: FileType,
    c: &llmem_estimator::engines::llama_cpp::LlamaCppParams,
) -> llmem_estimator::Result<llmem_estimator::engines::llama_cpp::LlamaCppReport> {
    use llmem_estimator::engines::serve::{serve, Engine, ServeQuery};
    let q = ServeQuery {
        arch,
        engine: Engine::LlamaCpp,
        device: &llmem_estimator::hardware::HOST_CPU,
        parallel: Default::default(),
        weights: llmem_estimator::precision::WeightFormat::Checkpoint,
        gguf: ftype,
        gguf_file: None,
        kv: llmem_estimator::precision::Dtype::Fp16,
        context: c.n_ctx / c.n_parallel,
        batch: c.n_parallel,
        vllm: Default::default(),
        sglang_mem_fraction: 0.88,
        llama: *c,
    };
    let r = serve(&q)?;
    r.llama_cpp.ok_or(llmem_estimator::EstimateError::OutOfRange {
        what: "serve".into(),
        reason: "no llama.cpp report".into(),
    })
}

/// The ground-truth step of the test command: every model of the grid, in
/// its file types, at every case, against llmem's figures. Model, KV cache
/// and output buffers must match to the byte (the output buffer as llama.cpp
/// logs it, in MiB to two decimals); the compute buffer is llmem's
/// estimate, and its error is reported.
pub fn check() -> Result<(), Failure> {
    let probe_bin = ensure()?;
    step(&format!("llama.cpp {LLAMA_CPP_VERSION} (CPU) against llmem: model, KV, compute and output buffers"));
    std::fs::create_dir_all(dir()).map_err(|e| Failure::new(e.to_string()))?;
    let cases = truth_cases();
    let mut failures = Vec::new();
    let mut worst_compute: f64 = 0.0;
    let mut exact_compute = 0;
    let mut rows = 0;
    for tm in TRUTH_MODELS {
        let arch = load_truth_model(tm.model)?;
        for &ftype in tm.ftypes {
            let path = dir().join(format!("{}-{}.gguf", tm.model, ftype.id()));
            write_gguf(&arch, ftype, &path)?;
            let args: Vec<String> = cases
                .iter()
                .map(|c| {
                    format!(
                        "{},{},{},{},{},{},{},{}",
                        c.n_ctx,
                        c.n_batch,
                        c.n_ubatch,
                        c.n_parallel,
                        u8::from(c.flash_attn),
                        c.type_k.id(),
                        c.type_v.id(),
                        c.n_gpu_layers
                    )
                })
                .collect();
            let measured = probe(&probe_bin, &path, &args)?;
            for (c, m) in cases.iter().zip(&measured) {
                rows += 1;
                let ours = serve_on_cpu(&arch, ftype, c).map_err(|e| Failure::new(format!("{}: {e}", tm.model)))?;
                let get = |k: &str| m[k].as_u64().unwrap_or(u64::MAX);
                let label = format!("{} {} {}", tm.model, ftype.id(), m["case"].as_str().unwrap_or("?"));
                if get("n_ctx") != ours.n_ctx {
                    failures.push(format!("{label}: n_ctx {} ≠ llama.cpp {}", ours.n_ctx, get("n_ctx")));
                }
                if get("model") != ours.model.total() {
                    failures.push(format!("{label}: model {} ≠ llama.cpp {}", ours.model.total(), get("model")));
                }
                if get("context") != ours.kv.total() {
                    failures.push(format!("{label}: KV {} ≠ llama.cpp {}", ours.kv.total(), get("context")));
                }
                let out_mib = m["output_mib"].as_f64().unwrap_or(-1.0);
                let ours_mib = (ours.output_bytes as f64 / 1048576.0 * 100.0).round() / 100.0;
                if (out_mib - ours_mib).abs() > 1e-9 {
                    failures.push(format!("{label}: output {ours_mib} MiB ≠ llama.cpp {out_mib} MiB"));
                }
                let truth = get("compute") as f64;
                let err = (ours.compute.total() as f64 - truth) / truth;
                if ours.compute_exact {
                    exact_compute += 1;
                    if get("compute") != ours.compute.total() {
                        failures.push(format!(
                            "{label}: compute {} ≠ llama.cpp {} (a rebuilt graph must match to the byte: \
                             cargo xtask llama graph-check {} {} {})",
                            ours.compute.total(),
                            get("compute"),
                            tm.model,
                            ftype.id(),
                            m["case"].as_str().unwrap_or("?")
                        ));
                    }
                } else {
                    worst_compute = worst_compute.max(err.abs());
                }
                if std::env::var_os("LLAMA_TRUTH_VERBOSE").is_some() {
                    eprintln!(
                        "{label}: compute ours {} llama.cpp {} ({:+.1}%)",
                        ours.compute.total(),
                        truth,
                        err * 100.0
                    );
                }
            }
        }
    }
    eprintln!(
        "llama.cpp truth: {rows} cases over {} models; model, KV and output buffers {}; compute buffer from the \
         rebuilt graph in {exact_compute} cases, estimated within {:.1}% in the others",
        TRUTH_MODELS.len(),
        if failures.is_empty() { "exact" } else { "NOT exact" },
        worst_compute * 100.0
    );
    // The compute buffer is an estimate (module docs of engines::llama_cpp);
    // a change that makes it much worse than it is today fails here.
    if worst_compute > COMPUTE_TOLERANCE {
        failures.push(format!(
            "compute buffer estimate off by {:.1}% (tolerance {:.0}%): rerun with LLAMA_TRUTH_VERBOSE=1",
            worst_compute * 100.0,
            COMPUTE_TOLERANCE * 100.0
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!("llama.cpp disagrees:\n{}", failures.join("\n"))))
    }
}

/// Reads a graph the probe dumped (`PROBE_GRAPH=file`): one JSON object per
/// tensor, nodes then leafs, each naming its sources by index.
pub fn read_graph_dump(path: &Path) -> Result<llmem_estimator::engines::ggml_alloc::Graph, Failure> {
    use llmem_estimator::engines::ggml_alloc::{Graph, Op, Tensor};
    use llmem_estimator::gguf::GgmlType;
    let text = std::fs::read_to_string(path).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    let mut g = Graph::default();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| Failure::new(format!("line {i}: {e}")))?;
        let arr = |k: &str| -> [u64; 4] {
            let a = v[k].as_array().cloned().unwrap_or_default();
            std::array::from_fn(|j| a.get(j).and_then(|x| x.as_u64()).unwrap_or(0))
        };
        let ty_name = v["type"].as_str().unwrap_or("");
        let ty = GgmlType::parse(ty_name).ok_or_else(|| Failure::new(format!("line {i}: type {ty_name}")))?;
        let view = v["view_src"].as_i64().unwrap_or(-1);
        let flags = v["flags"].as_u64().unwrap_or(0);
        g.tensors.push(Tensor {
            op: Op::from_ggml_name(v["op"].as_str().unwrap_or("")),
            ty,
            ne: arr("ne"),
            nb: arr("nb"),
            view_src: usize::try_from(view).ok(),
            src: v["src"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_i64()).filter_map(|x| usize::try_from(x).ok()).collect())
                .unwrap_or_default(),
            input: flags & 1 != 0,
            output: flags & 2 != 0,
            external: v["external"].as_bool().unwrap_or(false),
        });
        if v["leaf"].as_bool().unwrap_or(false) {
            g.leafs.push(i);
        } else {
            g.nodes.push(i);
        }
    }
    Ok(g)
}

/// `cargo xtask llama graph-check <model> <ftype> <case>`: the graph llmem
/// rebuilds against the one llama.cpp reserves, node by node, and both
/// compute buffers.
fn graph_check(model: &str, ftype: &str, case: &str) -> Result<(), Failure> {
    use llmem_estimator::engines::ggml_alloc::{reserve_size, CPU_ALIGNMENT};
    use llmem_estimator::engines::llama_cpp::{compute_graph, llama_cpp, LlamaCppParams};
    use llmem_estimator::gguf::GgmlType;
    let probe_bin = ensure()?;
    let arch = load_truth_model(model)?;
    let ft = FileType::parse(ftype).map_err(|e| Failure::new(e.to_string()))?;
    let v: Vec<u64> = case.split(',').filter_map(|x| x.parse().ok()).collect();
    let [n_ctx, n_batch, n_ubatch, n_seq, fa, tk, tv, ngl] = v[..] else {
        return Err(Failure::new("case: n_ctx,n_batch,n_ubatch,n_seq,fa,tk,tv,ngl"));
    };
    let ty = |id: u64| GgmlType::from_id(id as u32).ok_or_else(|| Failure::new(format!("type {id}")));
    let p = LlamaCppParams {
        n_ctx,
        n_batch,
        n_ubatch,
        n_parallel: n_seq,
        flash_attn: fa == 1,
        type_k: ty(tk)?,
        type_v: ty(tv)?,
        n_gpu_layers: ngl,
        ..LlamaCppParams::default()
    };
    let r = llama_cpp(&arch, ft, &p).map_err(|e| Failure::new(e.to_string()))?;
    let ours = compute_graph(&arch, &p, r.n_ctx_seq, r.n_ubatch)
        .ok_or_else(|| Failure::new(format!("llmem does not rebuild {model}'s graph")))?;
    std::fs::create_dir_all(dir()).map_err(|e| Failure::new(e.to_string()))?;
    let path = dir().join(format!("{model}-{}.gguf", ft.id()));
    write_gguf(&arch, ft, &path)?;
    let prefix = dir().join("graph-check");
    let out = Command::new(&probe_bin)
        .env("PROBE_CPU_BACKEND", bins().join("libggml-cpu-x64.so"))
        .env("PROBE_GRAPH", &prefix)
        .arg(&path)
        .arg(case)
        .output()
        .map_err(|e| Failure::new(e.to_string()))?;
    let row: serde_json::Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| Failure::new("the probe printed nothing"))?;
    let theirs = read_graph_dump(&prefix.with_extension("0.jsonl"))?;
    println!(
        "llama.cpp: {} nodes, {} leafs, compute {} (allocator on its graph: {}); llmem: {} nodes, {} leafs, compute {}",
        theirs.nodes.len(),
        theirs.leafs.len(),
        row["compute"],
        reserve_size(&theirs, CPU_ALIGNMENT),
        ours.nodes.len(),
        ours.leafs.len(),
        reserve_size(&ours, CPU_ALIGNMENT)
    );
    // Node i of one graph against node i of the other; operands compared by
    // their position in each graph's order.
    let pos = |g: &llmem_estimator::engines::ggml_alloc::Graph| {
        let mut at = vec![usize::MAX; g.tensors.len()];
        for (i, &n) in g.nodes.iter().enumerate() {
            at[n] = i;
        }
        for (i, &l) in g.leafs.iter().enumerate() {
            at[l] = 100_000 + i;
        }
        at
    };
    let (pt, po) = (pos(&theirs), pos(&ours));
    let describe = |g: &llmem_estimator::engines::ggml_alloc::Graph, at: &[usize], id: usize| {
        let t = &g.tensors[id];
        let src: Vec<usize> = t.src.iter().map(|&s| at[s]).collect();
        let view = t.view_src.map(|v| at[v]);
        format!(
            "{:?} {} {:?} src {:?} view {:?}{}{}{}",
            t.op,
            t.ty.name(),
            t.ne,
            src,
            view,
            if t.input { " input" } else { "" },
            if t.output { " output" } else { "" },
            if t.external { " external" } else { "" }
        )
    };
    let mut shown = 0;
    for (i, (&a, &b)) in theirs.nodes.iter().zip(&ours.nodes).enumerate() {
        let (da, db) = (describe(&theirs, &pt, a), describe(&ours, &po, b));
        if da != db {
            println!("node {i}:\n  llama.cpp {da}\n  llmem     {db}");
            shown += 1;
            if shown == 3 {
                break;
            }
        }
    }
    for (i, (&a, &b)) in theirs.leafs.iter().zip(&ours.leafs).enumerate() {
        let (ta, tb) = (&theirs.tensors[a], &ours.tensors[b]);
        if (ta.ne, ta.input, ta.external) != (tb.ne, tb.input, tb.external) && shown < 6 {
            println!("leaf {i}:\n  llama.cpp {}\n  llmem     {}", describe(&theirs, &pt, a), describe(&ours, &po, b));
            shown += 1;
        }
    }
    Ok(())
}
