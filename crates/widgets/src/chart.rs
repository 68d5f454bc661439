//! Charts drawn with plotters on a `<canvas>` sized for the device pixel
//! ratio, in colours read from the widget's CSS (so light and dark themes,
//! and a host page's overrides, apply to charts too).

use leptos::prelude::*;
use plotters::style::RGBColor;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;

/// Colours for a chart, from CSS custom properties on the widget.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub text: RGBColor,
    pub muted: RGBColor,
    pub grid: RGBColor,
    pub bg: RGBColor,
    pub accent: RGBColor,
    pub series: [RGBColor; 5],
}

fn parse_color(s: &str) -> Option<RGBColor> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    let inner = s.strip_prefix("rgb(").or_else(|| s.strip_prefix("rgba("))?.trim_end_matches(')');
    let mut it = inner.split([',', ' ']).filter(|p| !p.is_empty());
    let mut c = || it.next().and_then(|p| p.trim().parse::<f32>().ok()).map(|v| v.clamp(0.0, 255.0) as u8);
    Some(RGBColor(c()?, c()?, c()?))
}

/// Reads the palette from `el`'s computed style, with fallbacks.
pub fn palette(el: &web_sys::Element) -> Palette {
    let style = web_sys::window().and_then(|w| w.get_computed_style(el).ok().flatten());
    let var = |name: &str, fallback: RGBColor| {
        style.as_ref().and_then(|s| s.get_property_value(name).ok()).and_then(|v| parse_color(&v)).unwrap_or(fallback)
    };
    Palette {
        text: var("--lw-text", RGBColor(26, 29, 39)),
        muted: var("--lw-muted", RGBColor(85, 91, 107)),
        grid: var("--lw-border", RGBColor(223, 226, 234)),
        bg: var("--lw-bg", RGBColor(255, 255, 255)),
        accent: var("--lw-accent", RGBColor(67, 56, 202)),
        series: [
            var("--lw-s1", RGBColor(59, 111, 224)),
            var("--lw-s2", RGBColor(20, 145, 90)),
            var("--lw-s3", RGBColor(184, 110, 0)),
            var("--lw-s4", RGBColor(109, 75, 224)),
            var("--lw-s5", RGBColor(194, 65, 90)),
        ],
    }
}

/// Sizes `canvas` to its CSS width × `css_height` at the device pixel ratio
/// and returns a plotters backend and the ratio (fonts and strokes scale by it).
pub fn backend(canvas: &web_sys::HtmlCanvasElement, css_height: f64) -> Option<(CanvasBackend, f64)> {
    let dpr =
        web_sys::window().map(|w| w.device_pixel_ratio()).filter(|d| d.is_finite() && *d > 0.0).unwrap_or(1.0).min(4.0);
    let css_width = f64::from(canvas.client_width()).max(200.0);
    let w = (css_width * dpr).round() as u32;
    let h = (css_height * dpr).round() as u32;
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    CanvasBackend::with_canvas_object(canvas.clone()).map(|b| (b, dpr))
}

thread_local! {
    static REDRAW: ArcRwSignal<u32> = ArcRwSignal::new(0);
}

/// A signal that changes when charts must be redrawn for reasons outside a
/// widget's own state: the colour scheme switched, or the window resized.
pub fn redraw_epoch() -> ArcRwSignal<u32> {
    REDRAW.with(|r| r.clone())
}

/// Installs the colour-scheme and resize listeners once per page.
pub fn install_redraw_listeners() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::Relaxed) {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let bump = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {
        let r = redraw_epoch();
        r.update(|n| *n = n.wrapping_add(1));
    });
    if let Ok(Some(mq)) = window.match_media("(prefers-color-scheme: dark)") {
        let _ = mq.add_event_listener_with_callback("change", bump.as_ref().unchecked_ref());
    }
    let _ = window.add_event_listener_with_callback("resize", bump.as_ref().unchecked_ref());
    bump.forget();
}

#[cfg(test)]
mod tests {
    use super::parse_color;
    use plotters::style::RGBColor;

    #[test]
    fn colors() {
        assert_eq!(parse_color(" #3b6fe0"), Some(RGBColor(59, 111, 224)));
        assert_eq!(parse_color("rgb(1, 2, 3)"), Some(RGBColor(1, 2, 3)));
        assert_eq!(parse_color("rgba(1 2 3 / 0.5)"), Some(RGBColor(1, 2, 3)));
        assert_eq!(parse_color("red"), None);
    }
}
