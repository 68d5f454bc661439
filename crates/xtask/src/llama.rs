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
use llmem_estimator::engines::gguf_layout::{layout, FileType};
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
        run(Command::new("npm")
            .args(["ci", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(package_dir())
            .env("NODE_LLAMA_CPP_SKIP_DOWNLOAD", "true")
            .env("PATH", tools::path_with_tools()))?;
    }
    let src = dir().join("llama.cpp-src");
    if !src.join("include/llama.h").is_file() {
        step("llama.cpp headers from the bundled source");
        let _ = std::fs::remove_dir_all(&src);
        std::fs::create_dir_all(dir()).map_err(|e| Failure::new(e.to_string()))?;
        let bundle = package_dir().join("node_modules/node-llama-cpp/llama/gitRelease.bundle");
        run(Command::new("git").args(["clone", "--quiet", "--no-checkout"]).arg(&bundle).arg(&src))?;
        run(Command::new("git")
            .args(["checkout", "--quiet", "HEAD", "--", "include", "ggml/include", "src/llama-ext.h"])
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
    let (header, len) = write_header(&l.metadata, &l.new_tensors()).map_err(Failure::new)?;
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
    let [model, ftype, cases @ ..] = args else {
        return Err(Failure::new(
            "usage: cargo xtask llama <preset> <f16|q8_0|…> <n_ctx,n_batch,n_ubatch,n_seq,fa,tk,tv,ngl>…",
        ));
    };
    let probe_bin = ensure()?;
    let arch =
        llmem_estimator::presets::preset(model).and_then(|p| p.arch()).map_err(|e| Failure::new(e.to_string()))?;
    let ftype = FileType::parse(ftype).map_err(|e| Failure::new(e.to_string()))?;
    std::fs::create_dir_all(dir()).map_err(|e| Failure::new(e.to_string()))?;
    let path = dir().join(format!("{model}-{}.gguf", ftype.id()));
    write_gguf(&arch, ftype, &path)?;
    for row in probe(&probe_bin, &path, cases)? {
        println!("{row}");
    }
    Ok(())
}
