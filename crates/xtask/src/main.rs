//! The project's commands (`cargo xtask <command>`):
//!
//! - `serve` — install what is missing, build, and serve the site at
//!   http://127.0.0.1:8080, rebuilding on change (trunk serve);
//! - `test` — install what is missing, then run everything: fmt, clippy,
//!   native tests, wasm tests in headless Chromium, a release build, the
//!   end-to-end tests against it, and the size budget;
//! - `dist` — the release build in `dist/`, ready for any static host;
//! - `static` — serve `dist/` with the deployment headers (`_headers`);
//! - `bench` — benchmarks (`--quick`: the short run `test` does);
//! - `fuzz` — fuzz the estimator for a while (`test` does 20 s per target);
//! - `install` — only install the tools;
//! - `reference` — on-demand measurements with torch and transformers whose
//!   results are committed as fixtures (see `reference.rs`).

mod hub;
mod llama;
mod reference;
mod serve;
mod tools;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "llmem's build, serve and test commands")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build and serve the site at http://127.0.0.1:8080, rebuilding on change.
    Serve,
    /// Run every check and test (what CI runs).
    Test,
    /// Release build into dist/.
    Dist,
    /// Serve dist/ as a static host would, with the headers from _headers.
    Static {
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Install the pinned tools only.
    Install,
    /// Benchmarks: page sizes, load, slider latency against a plain-JS
    /// baseline, long tasks while dragging, and the estimator (criterion);
    /// the full run rewrites the results in BENCHMARKS.md.
    Bench {
        /// A short run that only proves the harness works (what CI does).
        #[arg(long)]
        quick: bool,
    },
    /// Fuzz the estimator (config parser and every estimate) for a while.
    Fuzz {
        /// Seconds per fuzz target.
        #[arg(long, default_value_t = 60)]
        seconds: u32,
    },
    /// Only the end-to-end suite, against the current dist/ (extra arguments go to Playwright).
    E2e {
        /// e.g. `-g kv-cache` or a spec file.
        args: Vec<String>,
    },
    /// Real llama.cpp on a model's GGUF layout: `llama <preset> <ftype> <case>…`
    /// (case: n_ctx,n_batch,n_ubatch,n_seq,flash_attn,type_k,type_v,n_gpu_layers).
    Llama { args: Vec<String> },
    /// Measurements with the reference implementations (torch, transformers),
    /// written as fixtures the tests compare with: params, defaults, activations or all.
    Reference {
        #[arg(default_value = "all")]
        what: String,
    },
    /// Screenshots of pages (default: home and one article) at 1280 and 375 px,
    /// light and dark, from dist/ → target/screenshots/.
    Shots {
        /// URL paths, e.g. / /kv-cache/
        paths: Vec<String>,
    },
}

/// A failed step, with what to do about it.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    pub fn new(msg: impl Into<String>) -> Self {
        Failure(msg.into())
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// Runs a command to completion with inherited output; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<(), Failure> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| Failure::new(format!("could not start {shown}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::new(format!("{shown} failed ({status})")))
    }
}

pub fn step(name: &str) {
    eprintln!("\n\x1b[1m==> {name}\x1b[0m");
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root()).env("PATH", tools::path_with_tools());
    c
}

fn ensure_all(browser: bool) -> Result<(), Failure> {
    step("checking tools");
    tools::ensure_rust_tools()?;
    tools::ensure_npm_tools()?;
    if browser {
        tools::ensure_browser()?;
    }
    Ok(())
}

fn trunk() -> Command {
    let mut c = Command::new("trunk");
    c.current_dir(root()).env("PATH", tools::path_with_tools()).env("TRUNK_OFFLINE", "true");
    c
}

fn dist() -> Result<(), Failure> {
    step("release build (trunk build --release → dist/)");
    run(trunk().args(["build", "--release"]))?;
    print_dist_sizes();
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

fn print_dist_sizes() {
    let dir = root().join("dist");
    let mut rows: Vec<(String, usize, usize)> = Vec::new();
    // Shared assets at the top, and each wasm bundle's folder (`w-…/`).
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if e.path().is_dir() && name.starts_with("w-") {
            for f in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                files.push((format!("{name}/{}", f.file_name().to_string_lossy()), f.path()));
            }
        } else {
            files.push((name, e.path()));
        }
    }
    for (name, path) in files {
        if [".wasm", ".js", ".css"].iter().any(|x| name.ends_with(x)) {
            if let Ok(b) = std::fs::read(&path) {
                rows.push((name, b.len(), gzip_len(&b)));
            }
        }
    }
    rows.sort();
    eprintln!("{:<56} {:>10} {:>10}", "asset", "bytes", "gzip");
    for (n, raw, gz) in rows {
        eprintln!("{n:<56} {raw:>10} {gz:>10}");
    }
}

/// Per-page load sizes measured by the end-to-end suite.
fn report_budget() -> Result<(), Failure> {
    let path = root().join("target/e2e/page-weights.txt");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("size report {} missing ({e}); did the e2e suite run?", path.display())))?;
    step("size budget (everything a page loads, gzip)");
    eprintln!("{text}");
    Ok(())
}

fn test() -> Result<(), Failure> {
    ensure_all(true)?;
    step("cargo fmt --check");
    run(cargo().args(["fmt", "--all", "--check"]))?;
    step("clippy (native and wasm32), warnings are errors");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args([
        "clippy",
        "-p",
        "llmem-widgets",
        "-p",
        "llmem-site",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("native tests");
    run(cargo().args(["test", "--workspace"]))?;
    llama::check()?;
    fuzz(20)?;
    step("wasm tests in headless Chromium (wasm-bindgen-test)");
    // ChromeDriver leaves its browser profile (some 250 MB) in TMPDIR when
    // the runner stops it; keep it under target/ and remove it afterwards,
    // so repeated runs on a shared disk do not fill it.
    let browser_tmp = root().join("target/wasm-test-tmp");
    std::fs::create_dir_all(&browser_tmp).map_err(|e| Failure::new(format!("{}: {e}", browser_tmp.display())))?;
    let wasm_tests = run(cargo()
        .args(["test", "-p", "llmem-widgets", "--target", "wasm32-unknown-unknown", "--test", "browser"])
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("TMPDIR", &browser_tmp)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"));
    let _ = std::fs::remove_dir_all(&browser_tmp);
    wasm_tests?;
    dist()?;
    e2e()?;
    report_budget()?;
    // The release build above is the one to measure.
    bench(true, false)?;
    eprintln!("\nxtask: all checks passed");
    Ok(())
}

/// Runs each estimator fuzz target for `seconds` (libFuzzer via cargo-fuzz,
/// no sanitizer, so stable Rust will do), starting from the committed corpus
/// in `crates/estimator/fuzz/corpus/`. New inputs go to `target/fuzz/`, so
/// the repository stays clean; a crash fails the step and leaves its input
/// in `crates/estimator/fuzz/artifacts/`.
fn fuzz(seconds: u32) -> Result<(), Failure> {
    let fuzz_dir = root().join("crates/estimator");
    for target in ["config", "estimates", "headers"] {
        step(&format!("fuzz {target} ({seconds} s)"));
        let scratch = root().join("target/fuzz").join(target);
        std::fs::create_dir_all(&scratch).map_err(|e| Failure::new(format!("{}: {e}", scratch.display())))?;
        run(cargo()
            .current_dir(&fuzz_dir)
            .args(["fuzz", "run", "--sanitizer", "none", target])
            .arg(&scratch)
            .arg(fuzz_dir.join("fuzz/corpus").join(target))
            .args(["--", &format!("-max_total_time={seconds}"), "-max_len=4096", "-print_final_stats=1"]))?;
    }
    Ok(())
}

/// The benchmarks (see `tests/bench/bench.js` and BENCHMARKS.md). The quick
/// run reuses dist/ and takes few samples; the full run rebuilds dist/ and
/// rewrites the results section of BENCHMARKS.md.
/// `build`: make a fresh release build first (the test command has just made one).
fn bench(quick: bool, build: bool) -> Result<(), Failure> {
    let root = root();
    if build || !root.join("dist/index.html").is_file() {
        dist()?;
    }
    step(if quick { "estimator benchmarks (criterion, one pass each)" } else { "estimator benchmarks (criterion)" });
    let mut criterion = cargo();
    criterion.args(["bench", "-p", "llmem-estimator", "--bench", "estimates"]);
    if quick {
        criterion.args(["--", "--test"]);
    }
    run(&mut criterion)?;
    step(if quick { "browser benchmarks (quick)" } else { "browser benchmarks (a few minutes)" });
    let (site_port, _hub, _servers) = serve_site_with_hub(&root)?;
    let site = format!("http://127.0.0.1:{site_port}");
    let (host_port, _host) =
        serve::spawn_with(root.join("tests"), 0, Vec::new(), vec![("__LLMEM_SITE__".to_string(), site.clone())])
            .map_err(Failure::new)?;
    let out = root.join("target/bench");
    run(Command::new("node")
        .arg("bench/bench.js")
        .current_dir(root.join("tests"))
        .env("PATH", tools::path_with_tools())
        .env("LLMEM_SITE", &site)
        .env("LLMEM_HOST", format!("http://127.0.0.1:{host_port}"))
        .env("LLMEM_BENCH_QUICK", if quick { "1" } else { "0" })
        .env("LLMEM_REPORT_DIR", &out)
        .env("CHROMIUM", tools::CHROMIUM))?;
    if !quick {
        let browser = std::fs::read_to_string(out.join("results.md")).map_err(|e| Failure::new(e.to_string()))?;
        let section = format!("{browser}\n### Estimator (criterion, mean per call)\n\n{}", criterion_table(&root));
        let doc_path = root.join("BENCHMARKS.md");
        let doc = std::fs::read_to_string(&doc_path).map_err(|e| Failure::new(format!("BENCHMARKS.md: {e}")))?;
        let (begin, end) = ("<!-- results:begin -->", "<!-- results:end -->");
        let (Some(a), Some(b)) = (doc.find(begin), doc.find(end)) else {
            return Err(Failure::new("BENCHMARKS.md lacks the results markers"));
        };
        let updated = format!("{}{begin}\n{section}{}", &doc[..a], &doc[b..]);
        std::fs::write(&doc_path, updated).map_err(|e| Failure::new(e.to_string()))?;
        eprintln!("xtask: BENCHMARKS.md updated");
    }
    Ok(())
}

/// criterion's results (`target/criterion/*/new/`) as a markdown table.
fn criterion_table(root: &Path) -> String {
    let mut rows = Vec::new();
    for e in std::fs::read_dir(root.join("target/criterion")).into_iter().flatten().flatten() {
        let new = e.path().join("new");
        let read = |f: &str| -> Option<serde_json::Value> {
            serde_json::from_str(&std::fs::read_to_string(new.join(f)).ok()?).ok()
        };
        let (Some(b), Some(est)) = (read("benchmark.json"), read("estimates.json")) else { continue };
        let name = b["full_id"].as_str().unwrap_or("?").to_string();
        let mean = est["mean"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
        rows.push((name, mean));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut t = String::from("| benchmark | mean |\n|---|---:|\n");
    for (name, ns) in rows {
        let shown = if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{:.2} µs", ns / 1e3)
        } else {
            format!("{ns:.0} ns")
        };
        t.push_str(&format!("| {name} | {shown} |\n"));
    }
    t
}

/// Serves dist/ and the host-page fixtures on two origins and runs Playwright.
fn e2e() -> Result<(), Failure> {
    e2e_with(&[])
}

fn e2e_with(args: &[String]) -> Result<(), Failure> {
    step("end-to-end tests in headless Chromium against dist/");
    let root = root();
    // The panic-containment fixture's bundle (a widget that panics on
    // purpose), built beside the fixtures and never into dist/.
    run(cargo()
        .args(["run", "--quiet", "-p", "llmem-sitegen", "--", "test-bundle"])
        .arg(root.join("tests/fixtures/generated")))?;
    let (site_port, hub, _servers) = serve_site_with_hub(&root)?;
    // The same site from a host that sends no headers at all (no CORS), for
    // the script embed's fallback.
    let (bare_port, _bare) = serve::spawn(root.join("dist"), 0, Vec::new()).map_err(Failure::new)?;
    // A second origin for the "someone else's blog" fixtures.
    let site = format!("http://127.0.0.1:{site_port}");
    let widgets_css = std::fs::read_dir(root.join("dist"))
        .map_err(|e| Failure::new(format!("dist/: {e}")))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .find(|n| n.starts_with("widgets-") && n.ends_with(".css"))
        .ok_or_else(|| Failure::new("dist/ has no widgets-*.css: run `cargo xtask dist`"))?;
    let substitutions = vec![
        ("__LLMEM_SITE__".to_string(), site),
        ("__LLMEM_BARE_SITE__".to_string(), format!("http://127.0.0.1:{bare_port}")),
        ("__LLMEM_WIDGETS_CSS__".to_string(), widgets_css),
    ];
    let (host_port, _host) =
        serve::spawn_with(root.join("tests/fixtures"), 0, Vec::new(), substitutions).map_err(Failure::new)?;
    std::fs::create_dir_all(root.join("target/e2e")).ok();
    // The command line the calculator offers is run by its test: the CLI,
    // built as the native tests build it (cached after them).
    run(cargo().args(["build", "--quiet", "-p", "llmem-cli"]))?;
    // A GGUF the calculator's file test opens: Qwen3 8B in Q4_K_M as
    // llama.cpp's tools write it, the 5 GB body a hole the page must not read.
    let gguf = root.join("target/e2e/Qwen3-8B-Q4_K_M.gguf");
    let qwen = llmem_estimator::preset("qwen3-8b").and_then(|p| p.arch()).map_err(|e| Failure::new(e.to_string()))?;
    llama::write_gguf(&qwen, llmem_estimator::engines::gguf_layout::FileType::Q4KM, &gguf)?;
    run(Command::new(tools::node_bin().join("playwright"))
        .arg("test")
        .args(args)
        .current_dir(root.join("tests"))
        .env("PATH", tools::path_with_tools())
        .env("LLMEM_SITE", format!("http://127.0.0.1:{site_port}"))
        .env("LLMEM_HOST", format!("http://127.0.0.1:{host_port}"))
        .env("LLMEM_REPORT_DIR", root.join("target/e2e"))
        .env("LLMEM_CLI", root.join("target/debug/llmem"))
        .env("LLMEM_GGUF", &gguf)
        .env("LLMEM_HUB", &hub)
        .env("CHROMIUM", tools::CHROMIUM))
}

/// Serves dist/ with its deployment headers, and the Hub imitation
/// (`hub.rs`) standing in for the Hub the site was built to fetch configs
/// from: its origin replaces the built one in the CSP and in the pages'
/// `llmem-hub` setting, as a build with that setting would. Returns the
/// site's port, the imitation's address and the server threads.
fn serve_site_with_hub(root: &Path) -> Result<(u16, String, Vec<std::thread::JoinHandle<()>>), Failure> {
    let (hub_port, hub_thread) = hub::spawn(root.join("tests/fixtures/hub")).map_err(Failure::new)?;
    let hub = format!("http://127.0.0.1:{hub_port}");
    let built_hub = built_hub_setting(&root.join("dist"))?;
    let headers_text = std::fs::read_to_string(root.join("dist/_headers")).unwrap_or_default();
    let rules = serve::parse_headers(&headers_text.replace(&built_hub, &hub));
    let hub_meta = |url: &str| format!("<meta name=\"llmem-hub\" content=\"{url}\">");
    let (site_port, mut threads) =
        serve::spawn_with(root.join("dist"), 0, rules, vec![(hub_meta(&built_hub), hub_meta(&hub))])
            .map_err(Failure::new)?;
    threads.push(hub_thread);
    Ok((site_port, hub, threads))
}

/// The Hub address the built site fetches configs from, as its pages
/// state it (`<meta name="llmem-hub">`).
fn built_hub_setting(dist: &Path) -> Result<String, Failure> {
    let index =
        std::fs::read_to_string(dist.join("index.html")).map_err(|e| Failure::new(format!("dist/index.html: {e}")))?;
    index
        .split("<meta name=\"llmem-hub\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_string)
        .ok_or_else(|| Failure::new("dist/index.html names no llmem-hub: run `cargo xtask dist`"))
}

/// Serves dist/ and runs the screenshot script.
fn shots(paths: &[String]) -> Result<(), Failure> {
    let root = root();
    let rules = serve::parse_headers(&std::fs::read_to_string(root.join("dist/_headers")).unwrap_or_default());
    let (port, _server) = serve::spawn(root.join("dist"), 0, rules).map_err(Failure::new)?;
    run(Command::new("node")
        .arg("tools/screenshots.js")
        .args(paths)
        .current_dir(root.join("tests"))
        .env("LLMEM_SITE", format!("http://127.0.0.1:{port}"))
        .env("LLMEM_SHOTS_DIR", root.join("target/screenshots"))
        .env("CHROMIUM", tools::CHROMIUM))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Install => ensure_all(true),
        Cmd::Bench { quick } => ensure_all(true).and_then(|_| bench(quick, true)),
        Cmd::Fuzz { seconds } => ensure_all(false).and_then(|_| fuzz(seconds)),
        Cmd::E2e { args } => ensure_all(true).and_then(|_| e2e_with(&args)),
        Cmd::Shots { paths } => ensure_all(true).and_then(|_| shots(&paths)),
        Cmd::Dist => ensure_all(false).and_then(|_| dist()),
        Cmd::Test => test(),
        Cmd::Reference { what } => reference::reference(&what),
        Cmd::Llama { args } => llama::explore(&args),
        Cmd::Serve => ensure_all(false).and_then(|_| {
            step("trunk serve → http://127.0.0.1:8080 (Ctrl-C to stop)");
            run(trunk().arg("serve"))
        }),
        Cmd::Static { port } => {
            let dir = root().join("dist");
            if !dir.join("index.html").is_file() {
                Err(Failure::new("dist/ is empty: run `cargo xtask dist` first"))
            } else {
                let rules = serve::parse_headers(&std::fs::read_to_string(dir.join("_headers")).unwrap_or_default());
                match serve::spawn(dir, port, rules) {
                    Ok((port, handles)) => {
                        eprintln!("serving dist/ at http://127.0.0.1:{port} (Ctrl-C to stop)");
                        for h in handles {
                            let _ = h.join();
                        }
                        Ok(())
                    }
                    Err(e) => Err(Failure::new(e)),
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("\nxtask: {msg}");
            ExitCode::FAILURE
        }
    }
}
