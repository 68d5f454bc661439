//! Charts drawn with plotters on a `<canvas>` sized for the device pixel
//! ratio, in colors read from the widget's CSS (so light and dark themes,
//! and a host page's overrides, apply to charts too).

use crate::canvas_backend::CanvasBackend;
use leptos::prelude::*;
use llmem_estimator::units::fixed;
use plotters::style::RGBColor;
use wasm_bindgen::JsCast;

/// Colors for a chart, from CSS custom properties on the widget.
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
    // Whole-number channels only: parsing floats would pull core's float
    // parser into every bundle for a theme nobody writes as `rgb(12.5 …)`.
    let mut c = || it.next().and_then(|p| p.trim().parse::<u16>().ok()).map(|v| v.min(255) as u8);
    Some(RGBColor(c()?, c()?, c()?))
}

/// Reads the palette from `el`'s computed style, with fallbacks.
///
/// Cached per canvas until the redraw epoch changes: `getComputedStyle`
/// right after a slider changed the widget's text forces a style
/// recalculation, which cost more than drawing the chart. Everything that
/// can change the colors (color scheme, the stylesheet arriving, a resize)
/// bumps the epoch.
pub fn palette(el: &web_sys::HtmlCanvasElement) -> Palette {
    let epoch = REDRAW.with(|r| r.get_untracked());
    let cached = with_surface(el, |s| s.palette.filter(|(e, _)| *e == epoch).map(|(_, p)| p));
    if let Some(p) = cached.flatten() {
        return p;
    }
    let p = read_palette(el);
    with_surface(el, |s| s.palette = Some((epoch, p)));
    p
}

fn read_palette(el: &web_sys::Element) -> Palette {
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

/// What is remembered about one canvas between redraws.
struct Surface {
    canvas: web_sys::HtmlCanvasElement,
    /// CSS width, kept current by the `ResizeObserver`; `None` when it must
    /// be read again (first use, or the stylesheet just arrived).
    width: Option<f64>,
    /// The palette and the epoch it was read in.
    palette: Option<(u32, Palette)>,
}

thread_local! {
    static SURFACES: std::cell::RefCell<Vec<Surface>> = const { std::cell::RefCell::new(Vec::new()) };
    /// One observer for every chart on the page, so a layout change that
    /// resizes several charts redraws them once, not once per chart.
    static OBSERVER: Option<web_sys::ResizeObserver> = new_observer();
}

/// Runs `f` on `canvas`'s entry, creating it (and observing the canvas) the
/// first time. A page holds a handful of charts, so a linear scan is the
/// cheapest lookup.
fn with_surface<R>(canvas: &web_sys::HtmlCanvasElement, f: impl FnOnce(&mut Surface) -> R) -> Option<R> {
    let known = SURFACES.with(|all| all.borrow().iter().any(|s| s.canvas == *canvas));
    if !known {
        SURFACES.with(|all| all.borrow_mut().push(Surface { canvas: canvas.clone(), width: None, palette: None }));
        OBSERVER.with(|o| {
            if let Some(o) = o {
                o.observe(canvas);
            }
        });
    }
    SURFACES.with(|all| all.borrow_mut().iter_mut().find(|s| s.canvas == *canvas).map(f))
}

/// The observer that keeps every canvas's width current; a real change
/// redraws the charts. Reading the width there costs nothing (layout is
/// clean), where reading it in every redraw forces a layout of the whole
/// page right after a slider changed the widget's text.
fn new_observer() -> Option<web_sys::ResizeObserver> {
    let on_resize = wasm_bindgen::closure::Closure::<dyn Fn(js_sys::Array)>::new(|entries: js_sys::Array| {
        let mut changed = false;
        for entry in entries.iter() {
            let Ok(entry) = entry.dyn_into::<web_sys::ResizeObserverEntry>() else { continue };
            let Ok(canvas) = entry.target().dyn_into::<web_sys::HtmlCanvasElement>() else { continue };
            let width = Some(f64::from(canvas.client_width()));
            SURFACES.with(|all| {
                if let Some(s) = all.borrow_mut().iter_mut().find(|s| s.canvas == canvas) {
                    if s.width != width {
                        s.width = width;
                        changed = true;
                    }
                }
            });
        }
        if changed {
            bump_redraw_epoch();
        }
    });
    let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
    // Lives as long as the page, like the charts it watches.
    on_resize.forget();
    observer
}

/// The canvas's CSS width in pixels. Read from layout only when unknown, so
/// the first drawing has the right size even where the observer is slow to
/// report: an iframe or tab that is not being rendered gets no observer
/// callbacks, and a chart drawn at a stale width would change the page's
/// height later.
pub fn css_width(canvas: &web_sys::HtmlCanvasElement) -> f64 {
    with_surface(canvas, |s| *s.width.get_or_insert_with(|| f64::from(canvas.client_width()))).unwrap_or(0.0)
}

/// Forgets every chart's width and colors and redraws them: the widgets'
/// stylesheet has just arrived, and both may have changed without the
/// observer seeing it (a page that is not rendered).
pub fn restyled() {
    SURFACES.with(|all| {
        for s in all.borrow_mut().iter_mut() {
            s.width = None;
        }
    });
    bump_redraw_epoch();
}

/// Sizes `canvas` to its CSS width × `css_height` at the device pixel ratio
/// and returns a plotters backend and the ratio (fonts and strokes scale by
/// it).
pub fn backend(canvas: &web_sys::HtmlCanvasElement, css_height: f64) -> Option<(CanvasBackend, f64)> {
    let dpr =
        web_sys::window().map(|w| w.device_pixel_ratio()).filter(|d| d.is_finite() && *d > 0.0).unwrap_or(1.0).min(4.0);
    let css_width = css_width(canvas).max(200.0);
    let w = (css_width * dpr).round() as u32;
    let h = (css_height * dpr).round() as u32;
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    CanvasBackend::new(canvas.clone()).map(|b| (b, dpr))
}

thread_local! {
    static REDRAW: ArcRwSignal<u32> = ArcRwSignal::new(0);
}

/// A signal that changes when charts must be redrawn for reasons outside a
/// widget's own state: the color scheme switched, or the window resized.
pub fn redraw_epoch() -> ArcRwSignal<u32> {
    REDRAW.with(|r| r.clone())
}

/// Asks every chart on the page to redraw (and to read its colors again).
pub fn bump_redraw_epoch() {
    REDRAW.with(|r| r.update(|n| *n = n.wrapping_add(1)));
}

/// Installs the color-scheme and resize listeners once per page.
pub fn install_redraw_listeners() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::Relaxed) {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let bump = wasm_bindgen::closure::Closure::<dyn Fn()>::new(bump_redraw_epoch);
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

/// One axis of a [`Plot`]: a range, linear or logarithmic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Axis {
    pub fn linear(min: f64, max: f64) -> Axis {
        Axis { min, max: if max > min { max } else { min + 1.0 }, log: false }
    }

    pub fn log(min: f64, max: f64) -> Axis {
        let min = min.max(f64::MIN_POSITIVE);
        Axis { min, max: if max > min { max } else { min * 10.0 }, log: true }
    }

    /// Position of `v` along the axis, 0 to 1 (clamped).
    pub fn frac(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.max(f64::MIN_POSITIVE).ln() - self.min.ln()) / (self.max.ln() - self.min.ln())
        } else {
            (v - self.min) / (self.max - self.min)
        };
        if f.is_finite() {
            f.clamp(-0.05, 1.05)
        } else {
            0.0
        }
    }

    /// Round tick values: powers of ten on a log axis, 1-2-5 steps on a linear
    /// one (found by multiplying, which keeps `powf`/`log10` out of the wasm).
    pub fn ticks(&self, target: usize) -> Vec<f64> {
        if self.log {
            let mut p = 1.0;
            while p > self.min && p > 1e-12 {
                p /= 10.0;
            }
            while p < self.min {
                p *= 10.0;
            }
            let mut out = Vec::new();
            while p <= self.max * (1.0 + 1e-9) && out.len() < 40 {
                out.push(p);
                p *= 10.0;
            }
            return out;
        }
        let span = self.max - self.min;
        let raw = span / target.max(1) as f64;
        let mut mag = 1.0;
        while mag > raw && mag > 1e-12 {
            mag /= 10.0;
        }
        while mag * 10.0 <= raw {
            mag *= 10.0;
        }
        let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
        let mut t = (self.min / step).ceil() * step;
        let mut out = Vec::new();
        while t <= self.max + step * 1e-9 && out.len() < 50 {
            out.push(t);
            t += step;
        }
        out
    }
}

/// A chart drawn with plotters' primitives (grid paths, circles) rather
/// than its `ChartBuilder`, which costs far more wasm for the same picture.
pub struct Plot {
    area: plotters::drawing::DrawingArea<CanvasBackend, plotters::coord::Shift>,
    /// Labels and data lines are drawn with the canvas's own calls: plotters'
    /// text layout costs more wasm than all the lines and shapes together,
    /// and its whole-pixel vertices turn a sampled line into a staircase.
    ctx: web_sys::CanvasRenderingContext2d,
    pub x: Axis,
    pub y: Axis,
    pub pal: Palette,
    pub dpr: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// The canvas text state last set by [`Plot::text`]; forgotten when a
    /// filled shape (which sets its own fill style) is drawn.
    text_style: std::cell::Cell<Option<TextStyle>>,
}

/// The canvas state a label needs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TextStyle {
    px: u32,
    color: RGBColor,
    align: &'static str,
    baseline: &'static str,
}

/// Text anchor for [`Plot::label`].
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    Left,
    Right,
    Center,
}

impl Plot {
    /// A plot filling `canvas` (`css_height` tall), with room for axis labels.
    pub fn new(canvas: &web_sys::HtmlCanvasElement, css_height: f64, x: Axis, y: Axis) -> Option<Plot> {
        use plotters::prelude::*;
        let (backend, dpr) = backend(canvas, css_height)?;
        let ctx = canvas.get_context("2d").ok()??.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()?;
        let pal = palette(canvas);
        let area = backend.into_drawing_area();
        area.fill(&pal.bg).ok()?;
        let (w, h) = area.dim_in_pixel();
        Some(Plot {
            area,
            ctx,
            x,
            y,
            pal,
            dpr,
            left: 64.0 * dpr,
            right: f64::from(w) - 14.0 * dpr,
            top: 12.0 * dpr,
            bottom: f64::from(h) - 34.0 * dpr,
            text_style: std::cell::Cell::new(None),
        })
    }

    /// Pixel position of a data point.
    pub fn at(&self, x: f64, y: f64) -> (i32, i32) {
        let (px, py) = self.at_f64(x, y);
        (px.round() as i32, py.round() as i32)
    }

    /// Text at a pixel position; `pos` is the canvas (textAlign, textBaseline).
    ///
    /// Canvas state is set only when it differs from the last label's: each
    /// setter is a string handed from wasm to JavaScript, and a chart's
    /// twenty labels share two or three styles.
    fn text(&self, text: &str, px: f64, py: f64, size: f64, color: RGBColor, pos: (&'static str, &'static str)) {
        self.text_state(size, color, pos);
        let _ = self.ctx.fill_text(text, px, py);
    }

    /// Sets the font, fill colour, alignment and baseline that differ from
    /// the last text's.
    fn text_state(&self, size: f64, color: RGBColor, pos: (&'static str, &'static str)) {
        let style = TextStyle { px: (size * self.dpr).round() as u32, color, align: pos.0, baseline: pos.1 };
        let last = self.text_style.replace(Some(style));
        if last.map(|l| l.px) != Some(style.px) {
            self.ctx.set_font(&format!("{}px sans-serif", style.px));
        }
        if last.map(|l| l.color) != Some(color) {
            self.ctx.set_fill_style_str(&format!("rgb({},{},{})", color.0, color.1, color.2));
        }
        if last.map(|l| l.align) != Some(style.align) {
            self.ctx.set_text_align(style.align);
        }
        if last.map(|l| l.baseline) != Some(style.baseline) {
            self.ctx.set_text_baseline(style.baseline);
        }
    }

    /// A series label: [`Plot::text`] over a halo of the background colour,
    /// so a line passing behind it cannot make it unreadable.
    fn series_text(&self, text: &str, px: f64, py: f64, color: RGBColor, align: &'static str) {
        let bg = self.pal.bg;
        self.ctx.set_stroke_style_str(&format!("rgb({},{},{})", bg.0, bg.1, bg.2));
        self.ctx.set_line_width(3.0 * self.dpr);
        self.ctx.set_line_join("round");
        self.text_state(12.0, color, (align, "bottom"));
        let _ = self.ctx.stroke_text(text, px, py);
        let _ = self.ctx.fill_text(text, px, py);
    }

    /// Text at a data point.
    pub fn label(&self, text: &str, x: f64, y: f64, color: RGBColor, anchor: Anchor) {
        self.label_beside(text, x, y, 0.0, color, anchor);
    }

    /// Text beside a data point, `gap` CSS pixels clear of it (e.g. a dot's
    /// radius and a little more): above and to the right for
    /// [`Anchor::Left`], above and to the left for [`Anchor::Right`].
    pub fn label_beside(&self, text: &str, x: f64, y: f64, gap: f64, color: RGBColor, anchor: Anchor) {
        let (px, py) = self.at(x, y);
        let (dx, align) = match anchor {
            Anchor::Left => (gap, "left"),
            Anchor::Right => (-gap, "right"),
            Anchor::Center => (0.0, "center"),
        };
        let px = f64::from(px) + dx * self.dpr;
        self.series_text(text, px, f64::from(py) - (3.0 + gap * 0.5) * self.dpr, color, align);
    }

    /// Labels at data points, nudged apart vertically so none overlap
    /// (series ending close together, e.g. MQA and MLA). Each label sits just
    /// above its point; a crowded one moves up, never down, so it stays
    /// clear of the lines below it and of the axis.
    pub fn labels_spaced(&self, items: &[(&str, f64, f64, RGBColor)], anchor: Anchor) {
        // One 12 px line of text and a little air.
        let gap = 15.0 * self.dpr;
        let mut placed: Vec<(f64, usize)> =
            items.iter().enumerate().map(|(i, (_, x, y, _))| (f64::from(self.at(*x, *y).1), i)).collect();
        // Lowest on screen first (largest y), each next one at least a line above.
        placed.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        for k in 1..placed.len() {
            if placed[k - 1].0 - placed[k].0 < gap {
                placed[k].0 = placed[k - 1].0 - gap;
            }
        }
        let align = match anchor {
            Anchor::Left => "left",
            Anchor::Right => "right",
            Anchor::Center => "center",
        };
        for (py, i) in placed {
            let (text, x, _, color) = items[i];
            let px = f64::from(self.at(x, self.y.min).0);
            self.series_text(text, px, py - 3.0 * self.dpr, color, align);
        }
    }

    /// Grid lines and labels at round ticks, and axis titles.
    pub fn axes(&self, x_fmt: &dyn Fn(f64) -> String, y_fmt: &dyn Fn(f64) -> String, x_title: &str, y_title: &str) {
        use plotters::prelude::*;
        let grid = self.pal.grid.stroke_width(self.dpr.max(1.0) as u32);
        let (l, r, t, b) = (self.left as i32, self.right as i32, self.top as i32, self.bottom as i32);
        for v in self.y.ticks(5) {
            let (_, py) = self.at(self.x.min, v);
            let _ = self.area.draw(&PathElement::new(vec![(l, py), (r, py)], grid));
            self.text(&y_fmt(v), self.left - 6.0 * self.dpr, f64::from(py), 11.0, self.pal.muted, ("right", "middle"));
        }
        for v in self.x.ticks(6) {
            let (px, _) = self.at(v, self.y.min);
            let _ = self.area.draw(&PathElement::new(vec![(px, t), (px, b)], grid));
            self.text(&x_fmt(v), f64::from(px), self.bottom + 5.0 * self.dpr, 11.0, self.pal.muted, ("center", "top"));
        }
        let axis = self.pal.muted.stroke_width(self.dpr.max(1.0) as u32);
        let _ = self.area.draw(&PathElement::new(vec![(l, t), (l, b), (r, b)], axis));
        let (_, h) = self.area.dim_in_pixel();
        self.text(
            x_title,
            (self.left + self.right) / 2.0,
            f64::from(h) - 2.0 * self.dpr,
            11.0,
            self.pal.muted,
            ("center", "bottom"),
        );
        self.text(y_title, 4.0 * self.dpr, 2.0 * self.dpr, 11.0, self.pal.muted, ("left", "top"));
    }

    /// A polyline through data points, stroked at sub-pixel positions:
    /// plotters rounds every vertex to a whole pixel, which turns a straight
    /// line sampled at many points into a visible staircase.
    pub fn line(&self, pts: &[(f64, f64)], color: RGBColor, width: f64) {
        let Some(((x0, y0), rest)) = pts.split_first() else { return };
        let (px, py) = self.at_f64(*x0, *y0);
        self.ctx.begin_path();
        self.ctx.move_to(px, py);
        for (x, y) in rest {
            let (px, py) = self.at_f64(*x, *y);
            self.ctx.line_to(px, py);
        }
        self.ctx.set_stroke_style_str(&format!("rgb({},{},{})", color.0, color.1, color.2));
        self.ctx.set_line_width((width * self.dpr).max(1.0));
        self.ctx.set_line_join("round");
        self.ctx.stroke();
    }

    /// Pixel position of a data point, unrounded.
    fn at_f64(&self, x: f64, y: f64) -> (f64, f64) {
        (self.left + self.x.frac(x) * (self.right - self.left), self.bottom - self.y.frac(y) * (self.bottom - self.top))
    }

    /// A dashed straight segment between two data points: plotters strokes
    /// one path, with the canvas's own dash pattern (one path rather than a
    /// hundred dash-long ones keeps a redraw cheap).
    pub fn dashed(&self, from: (f64, f64), to: (f64, f64), color: RGBColor) {
        use plotters::prelude::*;
        let pattern = js_sys::Array::of2(&(6.0 * self.dpr).into(), &(4.0 * self.dpr).into());
        let _ = self.ctx.set_line_dash(&pattern);
        let style = color.stroke_width(self.dpr.max(1.0) as u32);
        let _ = self.area.draw(&PathElement::new(vec![self.at(from.0, from.1), self.at(to.0, to.1)], style));
        let _ = self.ctx.set_line_dash(&js_sys::Array::new());
    }

    /// A filled dot at a data point.
    pub fn dot(&self, x: f64, y: f64, radius: f64, color: RGBColor) {
        use plotters::prelude::*;
        self.text_style.set(None);
        let _ = self.area.draw(&Circle::new(self.at(x, y), (radius * self.dpr) as i32, color.filled()));
    }

    /// A filled square centred on a data point, `half` CSS pixels from its
    /// centre to each side: a second marker shape, so a series is told
    /// apart by shape as well as colour.
    pub fn square(&self, x: f64, y: f64, half: f64, color: RGBColor) {
        use plotters::prelude::*;
        self.text_style.set(None);
        let (px, py) = self.at(x, y);
        let h = (half * self.dpr) as i32;
        let _ = self.area.draw(&Rectangle::new([(px - h, py - h), (px + h, py + h)], color.filled()));
    }

    /// A filled polygon through data points (sub-pixel, by the canvas's
    /// own path calls).
    pub fn fill_polygon(&self, pts: &[(f64, f64)], color: RGBColor) {
        let Some(((x0, y0), rest)) = pts.split_first() else { return };
        self.text_style.set(None);
        let (px, py) = self.at_f64(*x0, *y0);
        self.ctx.begin_path();
        self.ctx.move_to(px, py);
        for (x, y) in rest {
            let (px, py) = self.at_f64(*x, *y);
            self.ctx.line_to(px, py);
        }
        self.ctx.close_path();
        self.ctx.set_fill_style_str(&format!("rgb({},{},{})", color.0, color.1, color.2));
        self.ctx.fill();
    }

    /// An open circle around a data point (the selected one).
    pub fn ring(&self, x: f64, y: f64, radius: f64, color: RGBColor) {
        use plotters::prelude::*;
        let style = color.stroke_width((2.0 * self.dpr).max(1.0) as u32);
        let _ = self.area.draw(&Circle::new(self.at(x, y), (radius * self.dpr) as i32, style));
    }

    pub fn present(self) {
        let _ = self.area.present();
    }
}

/// `c` mixed towards `bg` (alpha 1 = `c`), so faded lines stay opaque colors.
pub fn blend(c: RGBColor, bg: RGBColor, alpha: f64) -> RGBColor {
    let m = |a: u8, b: u8| (f64::from(a) * alpha + f64::from(b) * (1.0 - alpha)).round().clamp(0.0, 255.0) as u8;
    RGBColor(m(c.0, bg.0), m(c.1, bg.1), m(c.2, bg.2))
}

/// Short labels for log-axis ticks: 0.1, 1, 10, 100, 1k, 10k…
pub fn short_number(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", fixed(v / 1e6, 0))
    } else if v >= 1e3 {
        format!("{}k", fixed(v / 1e3, 0))
    } else if v >= 1.0 {
        fixed(v, 0)
    } else {
        // 0.1, 0.01, 0.25: up to four decimals, trailing zeros dropped.
        let s = fixed(v, 4);
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    }
}

/// Fills a `<table>` with a header row and body rows, as text only, through
/// the DOM — a data table for a chart's text alternative at a fraction of
/// the wasm that the same table costs as view code.
pub fn fill_table(table: &web_sys::HtmlTableElement, head: &[String], rows: &[Vec<String>]) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    table.set_inner_html("");
    let add_row = |parent: &web_sys::Element, cells: &[String], header: bool| {
        let Ok(tr) = doc.create_element("tr") else { return };
        for (i, c) in cells.iter().enumerate() {
            let tag = if header || i == 0 { "th" } else { "td" };
            if let Ok(cell) = doc.create_element(tag) {
                cell.set_text_content(Some(c));
                if tag == "th" {
                    let _ = cell.set_attribute("scope", if header { "col" } else { "row" });
                }
                let _ = tr.append_child(&cell);
            }
        }
        let _ = parent.append_child(&tr);
    };
    if let (Ok(thead), Ok(tbody)) = (doc.create_element("thead"), doc.create_element("tbody")) {
        add_row(&thead, head, true);
        for r in rows {
            add_row(&tbody, r, false);
        }
        let _ = table.append_child(&thead);
        let _ = table.append_child(&tbody);
    }
}
