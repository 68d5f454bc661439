//! `cargo xtask reference`: measurements from the reference implementations
//! that are too heavy for the test command (torch is several GB), run on
//! demand; what they write is committed as fixtures the tests compare with.
//!
//! - `params`: parameter counts as Hugging Face transformers instantiates
//!   them, for every preset and every config in
//!   `crates/estimator/tests/configs/` (regenerating the synthetic ones
//!   first) → `crates/estimator/tests/fixtures/transformers_params.json`.
//! - `defaults`: the defaults of the config classes →
//!   `crates/estimator/tests/fixtures/transformers_defaults.json`.
//! - `activations`: what a training forward pass saves for backward, for
//!   small configs of six families →
//!   `crates/estimator/tests/fixtures/transformers_activations.json`.
//!
//! Python packages are installed from PyPI into `target/reference-venv`,
//! pinned (torch's default wheel on Linux brings CUDA libraries: ≈5.6 GB
//! once; later runs reuse it).

use crate::{root, run, step, Failure};
use std::path::PathBuf;
use std::process::Command;

/// The pinned packages (the versions the fixtures were written with).
pub const PACKAGES: &[&str] = &["torch==2.15.0", "transformers==5.24.0", "safetensors==0.8.0"];

fn venv() -> PathBuf {
    root().join("target/reference-venv")
}

fn python() -> PathBuf {
    venv().join("bin/python")
}

/// Creates the virtualenv and installs the pinned packages when missing.
fn ensure_venv() -> Result<(), Failure> {
    let marker = venv().join(".llmem-installed");
    let wanted = PACKAGES.join(" ");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == wanted) {
        return Ok(());
    }
    step("reference virtualenv (torch and transformers from PyPI; several GB the first time)");
    if !python().is_file() {
        run(Command::new("python3").arg("-m").arg("venv").arg(venv()))?;
    }
    run(Command::new(python()).args(["-m", "pip", "install", "--quiet"]).args(PACKAGES))?;
    std::fs::write(&marker, wanted).map_err(|e| Failure::new(format!("{}: {e}", marker.display())))?;
    Ok(())
}

fn tool(name: &str) -> PathBuf {
    root().join("tools/reference").join(name)
}

/// Every config the parameter fixture covers.
fn configs() -> Result<Vec<PathBuf>, Failure> {
    let mut paths = Vec::new();
    for dir in ["crates/estimator/presets", "crates/estimator/tests/configs"] {
        let d = root().join(dir);
        for e in std::fs::read_dir(&d).map_err(|e| Failure::new(format!("{}: {e}", d.display())))?.flatten() {
            if e.path().extension().is_some_and(|x| x == "json") {
                paths.push(e.path());
            }
        }
    }
    paths.sort();
    Ok(paths)
}

pub fn reference(what: &str) -> Result<(), Failure> {
    let fixtures = root().join("crates/estimator/tests/fixtures");
    match what {
        "params" | "all" => {
            ensure_venv()?;
            step("synthetic configs (tools/reference/synthetic_configs.py)");
            run(Command::new(python())
                .arg(tool("synthetic_configs.py"))
                .arg(root().join("crates/estimator/tests/configs")))?;
            step("parameter counts on the meta device (tools/reference/count_params.py)");
            run(Command::new(python())
                .arg(tool("count_params.py"))
                .arg(fixtures.join("transformers_params.json"))
                .args(configs()?))?;
            if what == "params" {
                return Ok(());
            }
            reference("defaults")?;
            reference("activations")
        }
        "defaults" => {
            ensure_venv()?;
            step("config-class defaults (tools/reference/dump_defaults.py)");
            run(Command::new(python()).arg(tool("dump_defaults.py")).arg(fixtures.join("transformers_defaults.json")))
        }
        "activations" => {
            ensure_venv()?;
            step("saved tensors of a training step (tools/reference/measure_activations.py)");
            run(Command::new(python())
                .arg(tool("measure_activations.py"))
                .arg(fixtures.join("transformers_activations.json")))
        }
        other => Err(Failure::new(format!(
            "unknown reference measurement `{other}`; use params, defaults, activations or all"
        ))),
    }
}
