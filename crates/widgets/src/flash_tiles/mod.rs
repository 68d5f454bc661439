//! 04 · FlashAttention's tiling, block by block: which query and key/value
//! blocks sit on chip at each step, how much on-chip memory that takes,
//! and the HBM traffic so far against standard attention's
//! ([`llmem_estimator::attention::flash_walk`]).

use crate::controls::{next_uid, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::stepper::{StepButtons, Stepper};
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    attention::{flash_walk, FlashWalk},
    units::{fixed, group_thousands},
};
use std::time::Duration;

pub const SEQ_STEPS: [u64; 7] = [256, 512, 1024, 2048, 4096, 8192, 16_384];
pub const DIM_STEPS: [u64; 3] = [64, 128, 256];
/// On-chip memory per streaming multiprocessor, in KiB.
pub const SRAM_STEPS: [u64; 5] = [16, 48, 100, 192, 228];
/// The grid is drawn up to this many blocks; beyond, only the totals.
pub const MAX_DRAWN: u64 = 4096;
/// Bytes per element (bf16/fp16).
const ELEMENT: u64 = 2;

/// The walk for the widget's settings.
pub fn walk_for(seq: u64, dim: u64, sram_kib: u64) -> Result<FlashWalk, String> {
    flash_walk(seq, dim, sram_kib.saturating_mul(1024) / ELEMENT).map_err(|e| e.to_string())
}

/// The FlashAttention tiling widget.
#[component]
pub fn FlashTiles(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let seq = RwSignal::new(params.u64("seq"));
    let dim = RwSignal::new(params.u64("dim"));
    let sram = RwSignal::new(params.u64("sram"));
    let walk = Memo::new(move |_| walk_for(seq.get(), dim.get(), sram.get()));
    let steps = Signal::derive(move || walk.get().map_or(0, |w| w.steps()));
    // Inner steps done (0 = before the first); a new tiling starts again.
    let walker = Stepper::new(steps, Duration::from_millis(220));
    let formula: crate::formula::FormulaFn =
        std::sync::Arc::new(move || walk.get().ok().map(|w| w.hbm_formula(walker.done.get(), ELEMENT)));
    let done = walker.done;
    crate::erased::effect(move || {
        walk.track();
        walker.reset();
    });
    let state = Signal::derive(move || {
        vec![("seq", seq.get().to_string()), ("dim", dim.get().to_string()), ("sram", sram.get().to_string())]
    });
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-flash" formula
            subtitle="FlashAttention never writes the N × N score matrix. It keeps one block of queries on chip, streams every block of keys and values past it, and writes that block's output once.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-seq") label="Sequence length" steps=&SEQ_STEPS
                    count=Signal::stored(SEQ_STEPS.len()) value=seq text=Callback::new(group_thousands) />
                <StepSlider id=format!("{uid}-dim") label="Head dimension" steps=&DIM_STEPS
                    count=Signal::stored(DIM_STEPS.len()) value=dim text=Callback::new(|d: u64| d.to_string()) />
                <StepSlider id=format!("{uid}-sram") label="On-chip memory per SM" steps=&SRAM_STEPS
                    count=Signal::stored(SRAM_STEPS.len()) value=sram text=Callback::new(|k: u64| format!("{k} KiB")) />
            </div>
            {move || match walk.get() {
                Ok(w) => view! {
                    <StepButtons walker group="Walk through the blocks" back="Step back" step="Step" finish="Whole pass" />
                    {(w.steps() <= MAX_DRAWN).then(|| view! {
                        <div class="lw-flash-grid" aria-hidden="true"
                            style:grid-template-columns=format!("repeat({}, 1fr)", w.col_blocks)>
                            {(0..w.row_blocks).flat_map(|i| (0..w.col_blocks).map(move |j| (i, j))).map(|(i, j)| {
                                let index = i * w.col_blocks + j;
                                view! { <span class="lw-flash-cell"
                                    class:lw-flash-done=move || index < done.get().saturating_sub(1) || (index + 1 == done.get() && done.get() == w.steps())
                                    class:lw-flash-now=move || index + 1 == done.get() && done.get() < w.steps()></span> }
                            }).collect_view()}
                        </div>
                        <p class="lw-detail lw-axis">"Rows: query blocks (outer loop). Columns: key/value blocks (inner loop)."</p>
                    })}
                    <div class="lw-result" aria-live="polite">
                        <p class="lw-detail">{move || {
                            let d = done.get();
                            if d == 0 {
                                format!("{} query blocks of {} rows × {} key/value blocks of {} columns: {} steps. Press Step.",
                                    w.row_blocks, w.block_rows, w.col_blocks, w.block_cols, group_thousands(w.steps()))
                            } else {
                                let (i, j) = w.position(d - 1);
                                format!("Step {} of {}: query block {} with key/value block {}.",
                                    group_thousands(d), group_thousands(w.steps()), i + 1, j + 1)
                            }
                        }}</p>
                        <p class="lw-detail">{format!(
                            "On chip during a step: the Q, O, K and V blocks, {} of the {} the tiles were sized for, then two statistics per row and a {} × {} tile of scores ({}) in registers.",
                            show(w.sram_used * ELEMENT), show(w.sram_elements * ELEMENT), w.block_rows, w.block_cols, show(w.tile_elements * ELEMENT))}</p>
                        <p class="lw-big">{move || show(w.hbm_after(done.get()) * ELEMENT)}" "<span class="lw-big-label">
                            {format!("of HBM traffic so far for one head; standard attention moves {} for the same head", show(w.standard_hbm * ELEMENT))}</span></p>
                        <p class="lw-detail">{format!("Whole pass: {} against {}, {}× less, and nothing of size N × N is ever stored. More on-chip memory means larger query blocks and fewer passes over the keys and values.",
                            show(w.flash_hbm * ELEMENT), show(w.standard_hbm * ELEMENT),
                            fixed(w.standard_hbm as f64 / w.flash_hbm.max(1) as f64, 1))}</p>
                        <p class="lw-source">"Loop order of FlashAttention-2 (Dao 2023, Algorithm 1), tile sizes of FlashAttention (Dao et al. 2022, Algorithm 1); bf16 elements; standard attention counted as Algorithm 0, its least traffic."</p>
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="lw-result"><p class="lw-detail lw-warn">{e}</p></div> }.into_any(),
            }}
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let w = walk_for(1024, 128, 100).unwrap();
        assert_eq!(w.steps(), 121);
        assert!(walk_for(1024, 256, 0).is_err());
    }
}
