//! plotters' drawing calls on an HTML `<canvas>`: the backend every chart
//! draws through.
//!
//! It stands in for `plotters-canvas`'s `CanvasBackend`, which writes each
//! colour as `rgba(r,g,b,alpha)` with Rust's float formatting — a path that
//! links core's float printer (Grisu and Dragon4, with their tables) into
//! every bundle with a chart: 7.7 KiB of gzip in the KV cache figure's, for
//! the alpha of a colour (BENCHMARKS.md). Here an alpha is written from
//! thousandths with integer formatting, and plotters itself is unchanged.
//! Text is not drawn through plotters at all (see `chart.rs`), so this
//! backend draws shapes only.

use plotters_backend::{BackendColor, BackendCoord, BackendStyle, DrawingBackend, DrawingErrorKind};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// A canvas and its 2D context.
pub struct CanvasBackend {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
}

/// A drawing call the canvas refused (the only failure a 2D context reports,
/// e.g. an arc with a negative radius).
#[derive(Debug)]
pub struct CanvasError;

impl std::fmt::Display for CanvasError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the canvas refused a drawing call")
    }
}

impl std::error::Error for CanvasError {}

/// A CSS colour for `c`: `rgb(…)` when opaque, else `rgba(…, 0.xyz)` with
/// the alpha to a thousandth.
pub fn css_color(c: BackendColor) -> String {
    let (r, g, b) = c.rgb;
    let thousandths = (c.alpha.clamp(0.0, 1.0) * 1000.0).round() as u32;
    if thousandths >= 1000 {
        format!("rgb({r},{g},{b})")
    } else {
        format!("rgba({r},{g},{b},0.{thousandths:03})")
    }
}

/// A vertical or horizontal line moved half a pixel across its length, so a
/// one-pixel line covers one row of pixels instead of blurring over two.
fn crisp(from: BackendCoord, to: BackendCoord) -> ((f64, f64), (f64, f64)) {
    let (mut a, mut b) = ((f64::from(from.0), f64::from(from.1)), (f64::from(to.0), f64::from(to.1)));
    if from.0 == to.0 {
        a.0 += 0.5;
        b.0 += 0.5;
    }
    if from.1 == to.1 {
        a.1 += 0.5;
        b.1 += 0.5;
    }
    (a, b)
}

impl CanvasBackend {
    /// The canvas's 2D context, if it has one.
    pub fn new(canvas: HtmlCanvasElement) -> Option<CanvasBackend> {
        let ctx = canvas.get_context("2d").ok()??.dyn_into::<CanvasRenderingContext2d>().ok()?;
        Some(CanvasBackend { canvas, ctx })
    }

    fn stroke_with<S: BackendStyle>(&self, style: &S) {
        self.ctx.set_stroke_style_str(&css_color(style.color()));
        self.ctx.set_line_width(f64::from(style.stroke_width()));
    }

    fn trace<I: IntoIterator<Item = BackendCoord>>(&self, path: I) -> bool {
        self.ctx.begin_path();
        let mut any = false;
        for (i, (x, y)) in path.into_iter().enumerate() {
            if i == 0 {
                self.ctx.move_to(f64::from(x), f64::from(y));
            } else {
                self.ctx.line_to(f64::from(x), f64::from(y));
            }
            any = true;
        }
        any
    }
}

impl DrawingBackend for CanvasBackend {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        (self.canvas.width(), self.canvas.height())
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<CanvasError>> {
        if color.alpha > 0.0 {
            self.ctx.set_fill_style_str(&css_color(color));
            self.ctx.fill_rect(f64::from(point.0), f64::from(point.1), 1.0, 1.0);
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        if style.color().alpha > 0.0 {
            let (a, b) = crisp(from, to);
            self.stroke_with(style);
            self.ctx.begin_path();
            self.ctx.move_to(a.0, a.1);
            self.ctx.line_to(b.0, b.1);
            self.ctx.stroke();
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        if style.color().alpha > 0.0 {
            let (x, y) = (f64::from(upper_left.0), f64::from(upper_left.1));
            let (w, h) = (f64::from(bottom_right.0 - upper_left.0), f64::from(bottom_right.1 - upper_left.1));
            if fill {
                self.ctx.set_fill_style_str(&css_color(style.color()));
                self.ctx.fill_rect(x, y, w, h);
            } else {
                self.stroke_with(style);
                self.ctx.stroke_rect(x, y, w, h);
            }
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        if style.color().alpha > 0.0 && self.trace(path) {
            self.stroke_with(style);
            self.ctx.stroke();
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        if style.color().alpha > 0.0 && self.trace(vert) {
            self.ctx.close_path();
            self.ctx.set_fill_style_str(&css_color(style.color()));
            self.ctx.fill();
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        if style.color().alpha > 0.0 {
            self.ctx.begin_path();
            self.ctx
                .arc(f64::from(center.0), f64::from(center.1), f64::from(radius), 0.0, std::f64::consts::TAU)
                .map_err(|_| DrawingErrorKind::DrawingError(CanvasError))?;
            if fill {
                self.ctx.set_fill_style_str(&css_color(style.color()));
                self.ctx.fill();
            } else {
                self.stroke_with(style);
                self.ctx.stroke();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_written_without_floats() {
        assert_eq!(css_color(BackendColor { alpha: 1.0, rgb: (20, 145, 90) }), "rgb(20,145,90)");
        assert_eq!(css_color(BackendColor { alpha: 0.18, rgb: (1, 2, 3) }), "rgba(1,2,3,0.180)");
        assert_eq!(css_color(BackendColor { alpha: 0.0004, rgb: (1, 2, 3) }), "rgba(1,2,3,0.000)");
        assert_eq!(css_color(BackendColor { alpha: 0.9996, rgb: (1, 2, 3) }), "rgb(1,2,3)");
        assert_eq!(css_color(BackendColor { alpha: f64::NAN, rgb: (1, 2, 3) }), "rgba(1,2,3,0.000)");
    }

    #[test]
    fn axis_lines_land_on_pixel_centres() {
        assert_eq!(crisp((3, 0), (3, 10)), ((3.5, 0.0), (3.5, 10.0)));
        assert_eq!(crisp((0, 7), (9, 7)), ((0.0, 7.5), (9.0, 7.5)));
        assert_eq!(crisp((0, 0), (4, 4)), ((0.0, 0.0), (4.0, 4.0)));
    }
}
