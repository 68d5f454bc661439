//! What a serving engine allocates, written as markup: the answer of the
//! serving figure (article 05) and of the calculator's engine picker, one
//! string with every interpolated text escaped (a view tree for it would
//! cost each bundle several KiB). The numbers are
//! [`llmem_estimator::engines::serve::serve`]'s.

use crate::units::show;
use llmem_estimator::{
    engines::serve::{Basis, Engine, ServeReport},
    units::{fixed, group_thousands},
};

fn basis(b: Basis) -> &'static str {
    match b {
        Basis::Exact => "exact",
        Basis::Estimate => "estimate",
        Basis::Setting => "setting",
    }
}

/// `html` with a line-break opportunity after each underscore, so that a
/// term such as "left unused by gpu_memory_utilization" wraps between its
/// parts on a phone instead of inside a word.
fn breakable(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 16);
    for c in html.chars() {
        out.push(c);
        if c == '_' {
            out.push_str("<wbr>");
        }
    }
    out
}

/// The answer: the verdict, the lines vLLM and SGLang print at start-up,
/// what each GPU holds, the problems and every term with its basis (a row's
/// title is the term's note). `context` is the tokens per request of vLLM's
/// concurrency line; `capacity` what the device may use when the engine
/// runs in unified or host memory (no per-GPU report).
pub fn answer_markup(data: Option<Result<ServeReport, String>>, context: u64, capacity: u64) -> String {
    let esc = crate::formula::escape;
    let p = |class: &str, text: &str| format!("<p class=\"lw-detail{class}\">{}</p>", esc(text));
    let r = match data {
        Some(Ok(r)) => r,
        Some(Err(e)) => return p(" lw-warn", &format!("This setting cannot be served: {e}.")),
        None => return p("", "No figure for these settings."),
    };
    let mut html = format!(
        "<p class=\"lw-big {}\">{} {} {} this workload</p>",
        if r.fits { "lw-yes" } else { "lw-no" },
        if r.fits { "✓" } else { "✗" },
        esc(r.engine.label()),
        if r.fits { "serves" } else { "cannot serve" }
    );
    if let (Engine::Vllm, Some(t), Some(c)) = (r.engine, r.kv_cache_tokens, r.max_concurrency) {
        html += &p(" lw-mono", &format!("GPU KV cache size: {} tokens", group_thousands(t)));
        html += &p(
            " lw-mono",
            &format!("Maximum concurrency for {} tokens per request: {}x", group_thousands(context), fixed(c, 2)),
        );
    }
    if let (Engine::Sglang, Some(t)) = (r.engine, r.kv_cache_tokens) {
        html += &p(" lw-mono", &format!("max_total_num_tokens={t}"));
    }
    // Pipeline stages hold different layers: the table is the first GPU's.
    let stages = r.gpus.iter().map(|g| g.stage).max().unwrap_or(0) + 1;
    let which =
        if stages > 1 { format!(" The table is GPU 0's, in pipeline stage 1 of {stages}.") } else { String::new() };
    html += &p(
        " lw-engine-used",
        &match r.gpus.first() {
            Some(g) if r.gpus.iter().any(|o| o.total_bytes != g.total_bytes) => {
                let most = r.gpus.iter().map(|o| o.total_bytes).max().unwrap_or(g.total_bytes);
                format!("The fullest GPU holds {} of its {}.{which}", show(most), show(g.capacity_bytes))
            }
            Some(g) if r.gpus.len() > 1 => {
                format!("Each GPU holds {} of its {}.{which}", show(g.total_bytes), show(g.capacity_bytes))
            }
            Some(g) => format!("The GPU holds {} of its {}.", show(g.total_bytes), show(g.capacity_bytes)),
            None => format!("Uses {} of {} in all.", show(r.total_bytes), show(capacity)),
        },
    );
    for problem in &r.problems {
        html += &p(" lw-warn", problem);
    }
    html += "<table class=\"lw-table\"><thead><tr><th scope=\"col\">Term</th><th scope=\"col\">Bytes</th><th scope=\"col\">Basis</th></tr></thead><tbody>";
    let row = |label: &str, bytes: u64, b: Basis, note: &str| {
        format!(
            "<tr title=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            esc(note),
            breakable(&esc(label)),
            esc(&show(bytes)),
            basis(b)
        )
    };
    match r.gpus.first() {
        Some(g) => {
            for t in &g.terms {
                html += &row(t.label, t.bytes, t.basis, &t.note);
            }
        }
        // llama.cpp in unified memory or on the CPU: one pool holds its buffers.
        None => {
            html += &row("model buffer", r.weights_bytes, Basis::Exact, "the GGUF's tensors as it stores them");
            html += &row("KV cache", r.kv_bytes, Basis::Exact, "cells padded to 256 per sequence");
            html += &row(
                "compute buffer",
                r.compute_bytes,
                if r.compute_exact { Basis::Exact } else { Basis::Estimate },
                llmem_estimator::engines::serve::compute_note(
                    r.llama_cpp.as_ref().is_some_and(|l| l.compute_exact),
                    r.compute_exact,
                ),
            );
            html += &row("output buffer", r.output_bytes, Basis::Exact, "the logits of one batch");
        }
    }
    html + "</tbody></table>" + &p(
        "",
        "Exact: the engine's own arithmetic, reproduced (llama.cpp's model, KV, output and CPU compute buffers are checked against llama.cpp itself). Estimate: a modelled figure the engine measures at start-up. Setting: memory held back on purpose.",
    )
}
