//! Reactive primitives behind one closure type each.
//!
//! Leptos instantiates `Effect::new` for every closure type it is given, and
//! each instance carries its own async task (the future, its spawn and its
//! promise glue: about 3.4 KB of wasm, measured on the KV cache figure's
//! bundle). Boxing the closure first makes every effect in a bundle share
//! one instance; the box costs one allocation when the widget mounts.

use leptos::prelude::*;

/// Runs `f` now, and again whenever a signal it reads changes.
pub fn effect(f: impl Fn() + 'static) {
    let f: Box<dyn Fn()> = Box::new(f);
    Effect::new(move |_| f());
}
