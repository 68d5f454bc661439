//! 05 · PagedAttention: the same requests in KV memory, reserved
//! contiguously at their maximum length or paged into fixed-size blocks —
//! the simulation is [`llmem_estimator::paging::PagingScenario`].

use crate::chart::{backend, palette, redraw_epoch};
use crate::controls::{next_uid, Choice, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use leptos::{html, prelude::*};
use llmem_estimator::paging::{Layout, PagingScenario, Slot};
use llmem_estimator::units::percent;
use plotters::prelude::*;

/// KV memory of the toy GPU, in token slots (16 × 8 grid).
pub const CAPACITY: u64 = 128;
pub const COLUMNS: u64 = 16;
/// The contiguous reservation: the maximum sequence length.
pub const MAX_LEN: u64 = 32;
/// Lengths of the requests as they arrive.
pub const REQUEST_LENGTHS: [u64; 12] = [18, 27, 9, 14, 22, 11, 30, 6, 16, 25, 12, 20];
/// The length of the hypothetical next request counted by "room for N more".
pub const NEW_REQUEST: u64 = 16;
/// Block sizes offered.
pub const BLOCK_STEPS: [u64; 6] = [1, 2, 4, 8, 16, 32];

/// The layout for `requests` requests with `block` tokens per block.
pub fn layout(paged: bool, block: u64, requests: usize) -> Option<Layout> {
    let s = PagingScenario {
        capacity: CAPACITY,
        max_len: MAX_LEN,
        block_size: block,
        requests: REQUEST_LENGTHS[..requests.min(REQUEST_LENGTHS.len())].to_vec(),
        new_request_len: NEW_REQUEST,
    };
    if paged { s.paged() } else { s.contiguous() }.ok()
}

/// The PagedAttention widget.
#[component]
pub fn Paging(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let mode = RwSignal::new(params.get("mode").to_string());
    let block = RwSignal::new(params.u64("block"));
    let requests = RwSignal::new(params.u64("requests") as usize);
    let result = Memo::new(move |_| layout(mode.get() == "paged", block.get(), requests.get()));
    let state = Signal::derive(move || {
        vec![("mode", mode.get()), ("block", block.get().to_string()), ("requests", requests.get().to_string())]
    });
    let canvas = NodeRef::<html::Canvas>::new();
    let epoch = redraw_epoch();
    crate::erased::effect(move || {
        let _ = epoch.get();
        if let (Some(c), Some(l)) = (canvas.get(), result.get()) {
            draw(&c, &l, mode.get() == "paged", block.get());
        }
    });
    let summary = move || {
        result.get().map_or(String::new(), |l| {
            let turned = l.admitted.iter().filter(|a| !**a).count();
            format!(
                "{}: {} of {} requests placed; {} of memory wasted, {} free, room for {} more {}-token request{}{}.",
                if mode.get() == "paged" { "Paged" } else { "Contiguous" },
                l.admitted_count(),
                l.admitted.len(),
                percent(l.waste_percent()),
                percent(l.free_percent()),
                l.room_for_more,
                NEW_REQUEST,
                if l.room_for_more == 1 { "" } else { "s" },
                if turned > 0 { format!("; {turned} turned away for lack of space") } else { String::new() }
            )
        })
    };
    let formula: crate::formula::FormulaFn = std::sync::Arc::new(move || result.get().map(|l| l.waste_formula()));
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state units=false class="lw-paging" formula
            subtitle="Each color is one request's KV cache. Reserve every request's maximum length up front, or hand out small blocks as it grows.".into()>
            <div class="lw-controls">
                <Choice name=format!("{uid}-mode") legend="Allocation"
                    options=vec![("contiguous".into(), "No paging".into()), ("paged".into(), "PagedAttention".into())] value=mode />
                <StepSlider id=format!("{uid}-block") label="Block size (paged)" steps=&BLOCK_STEPS
                    count=Signal::stored(BLOCK_STEPS.len()) value=block disabled=Signal::derive(move || mode.get() != "paged")
                    text=Callback::new(|b: u64| format!("{b} token{}", if b == 1 { "" } else { "s" })) />
            </div>
            <div class="lw-buttons">
                <button type="button" class="lw-button lw-primary" prop:disabled={move || requests.get() >= REQUEST_LENGTHS.len()}
                    on:click=move |_| requests.update(|r| *r = (*r + 1).min(REQUEST_LENGTHS.len()))>"Add a request"</button>
                <button type="button" class="lw-button" prop:disabled={move || requests.get() <= 1}
                    on:click=move |_| requests.update(|r| *r = r.saturating_sub(1).max(1))>"Remove one"</button>
            </div>
            <figure class="lw-figure">
                <canvas node_ref=canvas class="lw-canvas lw-mem" role="img" aria-label=summary></canvas>
                <figcaption class="lw-caption lw-key-row">
                    <span><span class="lw-key lw-k-used" aria-hidden="true"></span>"holds a token"</span>
                    <span><span class="lw-key lw-k-waste" aria-hidden="true"></span>"reserved but empty (hatched)"</span>
                    <span><span class="lw-key lw-k-free" aria-hidden="true"></span>"free"</span>
                </figcaption>
            </figure>
            <div class="lw-result" aria-live="polite">
                {move || result.get().map(|l| view! {
                    <p class="lw-stats">
                        <span><strong>{percent(l.waste_percent())}</strong>" wasted"</span>
                        <span><strong>{percent(l.free_percent())}</strong>" free"</span>
                        <span>"room for "<strong>{l.room_for_more}</strong>{format!(" more {NEW_REQUEST}-token requests")}</span>
                    </p>
                })}
                <p class="lw-detail">{summary}</p>
            </div>
            <details class="lw-data">
                <summary>"Requests"</summary>
                <table class="lw-table">
                    <thead><tr><th scope="col">"Request"</th><th scope="col">"Tokens"</th><th scope="col">"Placed"</th></tr></thead>
                    <tbody>{move || result.get().map(|l| l.admitted.iter().enumerate().map(|(i, a)| view! {
                        <tr><th scope="row">{format!("#{}", i + 1)}</th><td>{REQUEST_LENGTHS[i]}</td><td>{if *a { "yes" } else { "no" }}</td></tr>
                    }).collect_view())}</tbody>
                </table>
            </details>
        </WidgetFrame>
    }
}

fn draw(canvas: &web_sys::HtmlCanvasElement, l: &Layout, paged: bool, block: u64) {
    let rows = CAPACITY.div_ceil(COLUMNS);
    let width = crate::chart::css_width(canvas).max(200.0);
    let height = width / COLUMNS as f64 * rows as f64;
    let Some((backend, dpr)) = backend(canvas, height) else { return };
    let pal = palette(canvas);
    let root = backend.into_drawing_area();
    let _ = root.fill(&pal.bg);
    let (w, _) = root.dim_in_pixel();
    let cell = f64::from(w) / COLUMNS as f64;
    let gap = (2.0 * dpr).max(1.0);
    for (i, slot) in l.slots.iter().enumerate() {
        let (col, row) = (i as u64 % COLUMNS, i as u64 / COLUMNS);
        let (x0, y0) = (col as f64 * cell + gap, row as f64 * cell + gap);
        let (x1, y1) = ((col + 1) as f64 * cell - gap, (row + 1) as f64 * cell - gap);
        let rect = [(x0 as i32, y0 as i32), (x1 as i32, y1 as i32)];
        match slot {
            Slot::Free => {
                // The muted text colour, as in the legend: the grid colour
                // all but vanishes on the dark background.
                let _ = root.draw(&Rectangle::new(rect, pal.muted.stroke_width(dpr as u32)));
            }
            Slot::Used(r) => {
                let _ = root.draw(&Rectangle::new(rect, pal.series[*r as usize % 5].filled()));
            }
            Slot::Reserved(r) | Slot::Internal(r) => {
                let c = pal.series[*r as usize % 5];
                let _ = root.draw(&Rectangle::new(rect, c.mix(0.18).filled()));
                let _ = root.draw(&Rectangle::new(rect, c.stroke_width(dpr as u32)));
                // Hatching: waste is marked by pattern as well as by color.
                // 45° strokes from the left or bottom edge to the top or right edge.
                let size = x1 - x0;
                let step = (size / 3.0).max(3.0);
                let mut t = step;
                while t < 2.0 * size {
                    let (a, b) = if t <= size {
                        ((x0, y0 + t), (x0 + t, y0))
                    } else {
                        ((x0 + t - size, y1), (x1, y0 + t - size))
                    };
                    let _ = root.draw(&PathElement::new(
                        vec![(a.0 as i32, a.1 as i32), (b.0 as i32, b.1 as i32)],
                        c.stroke_width(dpr.max(1.0) as u32),
                    ));
                    t += step;
                }
            }
        }
    }
    if paged && block > 1 {
        // Block boundaries, every `block` slots.
        for i in (0..CAPACITY).step_by(block as usize) {
            let (col, row) = (i % COLUMNS, i / COLUMNS);
            let x = (col as f64 * cell) as i32;
            let y = (row as f64 * cell) as i32;
            let _ = root
                .draw(&PathElement::new(vec![(x, y), (x, y + cell as i32)], pal.text.stroke_width((1.5 * dpr) as u32)));
        }
    }
    let _ = root.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_requests() {
        let c = layout(false, 8, 4).unwrap();
        assert_eq!((c.used, c.reserved_waste, c.free, c.room_for_more), (68, 60, 0, 0));
        let p = layout(true, 8, 4).unwrap();
        assert_eq!((p.used, p.internal_waste, p.free, p.room_for_more), (68, 20, 40, 2));
    }
}
