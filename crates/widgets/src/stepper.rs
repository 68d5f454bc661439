//! A walk of numbered steps a reader takes by hand (Step, Step back) or
//! plays at a fixed pace (Play/Pause), shared by the step-through figures.
//! Playing stops at the last step, when the reader steps by hand, when the
//! walk is reset, and when the widget goes away.

use leptos::prelude::*;
use std::time::Duration;

/// The state of a step-through: steps done, whether it plays, and its timer.
#[derive(Clone, Copy)]
pub struct Stepper {
    /// Steps done (0 = before the first).
    pub done: RwSignal<u64>,
    pub playing: RwSignal<bool>,
    total: Signal<u64>,
    period: Duration,
    timer: StoredValue<Option<IntervalHandle>, LocalStorage>,
}

impl Stepper {
    /// A walk of `total` steps, played one step per `period`.
    pub fn new(total: Signal<u64>, period: Duration) -> Self {
        let s = Stepper {
            done: RwSignal::new(0),
            playing: RwSignal::new(false),
            total,
            period,
            timer: StoredValue::new_local(None),
        };
        on_cleanup(move || s.clear_timer());
        s
    }

    fn clear_timer(&self) {
        if let Some(h) = self.timer.try_get_value().flatten() {
            h.clear();
        }
        self.timer.try_set_value(None);
    }

    /// Stops playing.
    pub fn stop(&self) {
        self.clear_timer();
        self.playing.set(false);
    }

    fn advance(&self) {
        let total = self.total.get_untracked();
        if self.done.get_untracked() < total {
            self.done.update(|d| *d += 1);
        }
        if self.done.get_untracked() >= total {
            self.stop();
        }
    }

    /// One step forward, by hand.
    pub fn step(&self) {
        self.stop();
        self.advance();
    }

    /// One step back, by hand.
    pub fn back(&self) {
        self.stop();
        self.done.update(|d| *d = d.saturating_sub(1));
    }

    /// Back to the start (a new setting starts a new walk).
    pub fn reset(&self) {
        self.stop();
        self.done.set(0);
    }

    /// Straight to the end.
    pub fn finish(&self) {
        self.stop();
        self.done.set(self.total.get_untracked());
    }

    /// Play from where the walk is (from the start once it has ended), or pause.
    pub fn toggle(&self) {
        if self.playing.get_untracked() {
            self.stop();
            return;
        }
        if self.done.get_untracked() >= self.total.get_untracked() {
            self.done.set(0);
        }
        let s = *self;
        let handle = set_interval_with_handle(move || s.advance(), self.period).ok();
        self.timer.set_value(handle);
        self.playing.set(handle.is_some());
    }

    pub fn at_start(&self) -> bool {
        self.done.get() == 0
    }

    pub fn at_end(&self) -> bool {
        self.done.get() >= self.total.get()
    }
}

/// The button row of a step-through, in one order for every figure: Step
/// back, Step, Play/Pause, back to the start, to the end. A figure names its
/// own steps and leaves out the buttons it has no use for. The buttons are
/// marked `aria-disabled` rather than disabled at either end of the walk, so
/// they keep their place in the tab order.
#[component]
pub fn StepButtons(
    walker: Stepper,
    /// What the group does, for screen readers ("Scheduler steps").
    group: &'static str,
    /// The forward button's text.
    step: &'static str,
    /// The backward button's text, if the figure steps back.
    #[prop(optional)]
    back: Option<&'static str>,
    /// The reset button's text, if there is one.
    #[prop(optional)]
    reset: Option<&'static str>,
    /// The button that jumps to the end, if there is one.
    #[prop(optional)]
    finish: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="lw-step-buttons" role="group" aria-label=group>
            {back.map(|text| view! {
                <button type="button" class="lw-button" on:click=move |_| walker.back()
                    aria-disabled=move || walker.at_start().to_string()>{text}</button>
            })}
            <button type="button" class="lw-button" on:click=move |_| walker.step()
                aria-disabled=move || walker.at_end().to_string()>{step}</button>
            <button type="button" class="lw-button lw-play" on:click=move |_| walker.toggle()
                aria-pressed=move || walker.playing.get().to_string()>
                {move || if walker.playing.get() { "Pause" } else { "Play" }}</button>
            {reset.map(|text| view! {
                <button type="button" class="lw-button" on:click=move |_| walker.reset()>{text}</button>
            })}
            {finish.map(|text| view! {
                <button type="button" class="lw-button" on:click=move |_| walker.finish()>{text}</button>
            })}
        </div>
    }
}
