//! Installing what the build and tests need — idempotent, pinned, and quick
//! when everything is already there. Nothing is fetched from anywhere but
//! the package registries (crates.io, npm, Debian).

use crate::{root, run, Failure};
use std::path::PathBuf;
use std::process::Command;

/// trunk 0.21.14: the newest release that builds with rustc 1.95 (0.22 needs 1.96.1).
pub const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` crate version pinned in Cargo.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// cargo-fuzz, run with `--sanitizer none` so it works on stable Rust.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn output_of(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The directory holding `wasm-opt` and the other npm-installed tools.
pub fn node_bin() -> PathBuf {
    root().join("tests/node_modules/.bin")
}

/// `PATH` with the npm tools first, so trunk finds the pinned wasm-opt.
pub fn path_with_tools() -> String {
    let mut parts = vec![node_bin().display().to_string()];
    if let Ok(home) = std::env::var("CARGO_HOME") {
        parts.push(format!("{home}/bin"));
    } else if let Ok(home) = std::env::var("HOME") {
        parts.push(format!("{home}/.cargo/bin"));
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

fn have_version(cmd: &str, expected: &str) -> bool {
    output_of(cmd, &["--version"]).is_some_and(|v| v.split_whitespace().nth(1) == Some(expected))
}

/// The Rust side: the wasm target, rustfmt and clippy, trunk, cargo-fuzz, wasm-bindgen-cli.
pub fn ensure_rust_tools() -> Result<(), Failure> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let components = output_of("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    for c in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.starts_with(c)) {
            run(Command::new("rustup").args(["component", "add", c]))?;
        }
    }
    if !have_version("trunk", TRUNK_VERSION) {
        eprintln!("xtask: installing trunk {TRUNK_VERSION} (about ten minutes, once)");
        run(Command::new("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
    }
    if !have_version("cargo-fuzz", CARGO_FUZZ_VERSION) {
        eprintln!("xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} (about a minute, once)");
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION, "--locked"]))?;
    }
    if !have_version("wasm-bindgen", WASM_BINDGEN_VERSION) {
        eprintln!("xtask: installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (a few minutes, once)");
        // Not --locked: its lockfile wants a webpki-roots the registry mirror does not have.
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION, "--force"]))?;
    }
    Ok(())
}

/// The npm side (tests/package-lock.json): wasm-opt, Playwright, axe-core.
pub fn ensure_npm_tools() -> Result<(), Failure> {
    let tests = root().join("tests");
    let marker = tests.join("node_modules/.package-lock.json");
    let lock = tests.join("package-lock.json");
    let fresh = match (std::fs::metadata(&marker), std::fs::metadata(&lock)) {
        (Ok(m), Ok(l)) => m.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh && ["wasm-opt", "terser", "playwright"].iter().all(|t| node_bin().join(t).exists()) {
        return Ok(());
    }
    if output_of("npm", &["--version"]).is_none() {
        return Err(Failure::new(
            "npm is not installed. Install Node.js 20 or newer with npm (Debian: `apt-get install nodejs npm`), then run this command again.",
        ));
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&tests)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
    Ok(())
}

/// Where the browser and its driver live.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Debian's Chromium and ChromeDriver (the only browser source that works
/// offline: Playwright's and Puppeteer's own downloads are not reachable).
pub fn ensure_browser() -> Result<(), Failure> {
    if PathBuf::from(CHROMIUM).exists() && PathBuf::from(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let is_root = output_of("id", &["-u"]).as_deref() == Some("0");
    let has_apt = PathBuf::from("/usr/bin/apt-get").exists();
    if !(is_root && has_apt) {
        return Err(Failure::new(
            "headless Chromium is needed for the browser tests. Install Debian's `chromium` and `chromium-driver` packages \
             (so that /usr/bin/chromium and /usr/bin/chromedriver exist), e.g. `sudo apt-get install chromium chromium-driver`, then run this command again.",
        ));
    }
    eprintln!("xtask: installing chromium and chromium-driver from Debian");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    Ok(())
}
