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
