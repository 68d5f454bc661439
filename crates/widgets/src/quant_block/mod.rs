//! 02 · Anatomy of a quantized block: the fields one block stores (codes,
//! high bits, scales, minimums), drawn to scale, and the bits per weight
//! that fall out of them ([`llmem_estimator::block_layout`]).

use crate::controls::{next_uid, Select};
use crate::frame::WidgetFrame;
use crate::params::Params;
use leptos::prelude::*;
use llmem_estimator::{
    block_layout::{block, FieldRole, BLOCKS},
    units::{fixed, group_thousands, trimmed},
};

fn class(role: FieldRole) -> &'static str {
    match role {
        FieldRole::Quants => "lw-c-weights",
        FieldRole::HighBits => "lw-c-act",
        FieldRole::Scales => "lw-c-opt",
    }
}

fn role_text(role: FieldRole) -> &'static str {
    match role {
        FieldRole::Quants => "codes",
        FieldRole::HighBits => "high bits",
        FieldRole::Scales => "scales",
    }
}

/// A bit count as bytes when whole: "144 bytes", "4 bits".
fn size(bits: u64) -> String {
    if bits % 8 == 0 {
        format!("{} bytes", group_thousands(bits / 8))
    } else {
        format!("{bits} bits")
    }
}

/// The quant-block widget.
#[component]
pub fn QuantBlock(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let format = RwSignal::new(params.get("format").to_string());
    let layout = Memo::new(move |_| block(&format.get()).or(BLOCKS.first()).copied());
    let state = Signal::derive(move || vec![("format", format.get())]);
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || layout.get().map(|b| b.formula()));
    let options: Vec<(String, String)> = BLOCKS.iter().map(|b| (b.id.to_string(), b.name.to_string())).collect();
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-qblock" formula
            subtitle="A quantized format stores weights in blocks: short codes plus the scales that turn them back into numbers. The layout alone decides the bits per weight.".into()>
            <div class="lw-controls">
                <Select id=format!("{uid}-format") label="Format" options=options value=format />
            </div>
            {move || layout.get().map(|b| {
                let total = b.bits();
                view! {
                    <div class="lw-qblock-bar" aria-hidden="true">
                        {b.fields.iter().map(|f| view! {
                            <span class=format!("lw-qfield {}", class(f.role))
                                style:flex-grow=f.bits.to_string()
                                title=format!("{} ({}): {}", f.name, f.ty, size(f.bits))>
                                <span class="lw-qfield-name">{f.name}</span>
                            </span>
                        }).collect_view()}
                    </div>
                    <div class="lw-result" aria-live="polite">
                        <p class="lw-big">{format!("{} bits", trimmed(b.bits_per_weight(), 5))}" "<span class="lw-big-label">
                            {format!("per weight: {} weights in {}", group_thousands(b.weights), size(total))}</span></p>
                        <p class="lw-detail">{format!(
                            "Scales and minimums take {} of the block ({}%); a billion weights in this format take {} GB.",
                            size(b.overhead_bits()), fixed(b.overhead_bits() as f64 * 100.0 / total.max(1) as f64, 1),
                            fixed(b.bits_per_weight() / 8.0, 3))}</p>
                        <table class="lw-table">
                            <caption class="visually-hidden">"The fields of one block"</caption>
                            <thead><tr><th scope="col">"Field"</th><th scope="col">"Type"</th><th scope="col">"Size"</th><th scope="col">"Holds"</th></tr></thead>
                            <tbody>
                                {b.fields.iter().map(|f| view! {
                                    <tr><th scope="row"><span class=format!("lw-key {}", class(f.role)) aria-hidden="true"></span>{f.name}</th>
                                        <td class="lw-mono">{f.ty}</td><td>{size(f.bits)}</td>
                                        <td class="lw-holds">{format!("{}: {}", role_text(f.role), f.what)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="lw-source">"Layouts from llama.cpp's ggml-common.h, the OCP MX specification, QLoRA (NF4) and AutoAWQ."</p>
                    </div>
                }
            })}
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(1152), "144 bytes");
        assert_eq!(size(4), "4 bits");
        assert_eq!(size(65_536), "8,192 bytes");
    }
}
