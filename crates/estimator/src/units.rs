//! Byte units and their display.
//!
//! The site shows decimal gigabytes (GB, 10^9 bytes) because that is what
//! vendors print on datasheets and model cards; the binary figure (GiB, 2^30
//! bytes) is always available next to it. Both are defined by IEC 80000-13.

use serde::{Deserialize, Serialize};

/// 10^9 bytes.
pub const GB: u64 = 1_000_000_000;
/// 2^30 bytes.
pub const GIB: u64 = 1 << 30;
/// 10^6 bytes.
pub const MB: u64 = 1_000_000;
/// 2^20 bytes.
pub const MIB: u64 = 1 << 20;
/// 10^12 bytes.
pub const TB: u64 = 1_000_000_000_000;

/// Which family of units to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum UnitSystem {
    /// kB, MB, GB, TB (powers of 1000) — the site default.
    #[default]
    Decimal,
    /// KiB, MiB, GiB, TiB (powers of 1024).
    Binary,
}

/// Formats a byte count with three significant digits in the chosen system,
/// e.g. `16.1 GB` or `15.0 GiB`.
pub fn format_bytes(bytes: u64, system: UnitSystem) -> String {
    format_bytes_f64(bytes as f64, system)
}

/// As [`format_bytes`], for a fractional byte count (never NaN in output:
/// non-finite or negative inputs print as `—`).
pub fn format_bytes_f64(bytes: f64, system: UnitSystem) -> String {
    if !bytes.is_finite() || bytes < 0.0 {
        return "—".to_string();
    }
    let (base, names): (f64, [&str; 6]) = match system {
        UnitSystem::Decimal => (1000.0, ["B", "kB", "MB", "GB", "TB", "PB"]),
        UnitSystem::Binary => (1024.0, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]),
    };
    let mut value = bytes;
    let mut idx = 0;
    while value >= base && idx < names.len() - 1 {
        value /= base;
        idx += 1;
    }
    if idx == 0 {
        return format!("{} B", bytes.round() as u64);
    }
    format!("{} {}", three_significant(value), names[idx])
}

/// Formats a value with about three significant digits: `1.23`, `12.3`, `123`.
pub fn three_significant(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let a = value.abs();
    if a >= 100.0 {
        fixed(value, 0)
    } else if a >= 10.0 {
        fixed(value, 1)
    } else {
        fixed(value, 2)
    }
}

/// A bandwidth in bytes/s to three significant figures, as datasheets give
/// them: `3.35 TB/s`, `19.0 TB/s`, `31.5 GB/s`.
pub fn format_rate(bytes_per_s: f64) -> String {
    if bytes_per_s >= 1e12 {
        format!("{} TB/s", three_significant(bytes_per_s / 1e12))
    } else {
        format!("{} GB/s", three_significant(bytes_per_s / 1e9))
    }
}

/// `value` with exactly `decimals` digits after the point (at most 6),
/// rounded as `format!("{value:.decimals$}")` rounds (the exact binary value,
/// ties to even); `—` when not finite or 1.8 × 10^19 or more once scaled.
///
/// Why not `format!`: core's float formatting (Grisu with a Dragon4 fallback
/// and their tables) is the largest single item in every widget's wasm
/// (about 10 KiB gzip); an exact integer rounding is all a display needs.
/// `tests/properties.rs` checks the two agree.
pub fn fixed(value: f64, decimals: u32) -> String {
    const SCALE: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    let decimals = decimals.min(6) as usize;
    let a = value.abs();
    if !a.is_finite() || a * SCALE[decimals] >= u64::MAX as f64 {
        return "—".to_string();
    }
    let (product, error) = two_product(a, SCALE[decimals]);
    let n = if product >= 4_503_599_627_370_496.0 {
        // Past 2^52 the product is a whole number and the error holds the
        // fraction: round that, ties to even on the total.
        let (whole, frac) = (error.floor(), error - error.floor());
        let base = (product as u64).wrapping_add_signed(whole as i64);
        base + u64::from(frac > 0.5 || (frac == 0.5 && base % 2 == 1))
    } else {
        // `product` is the float nearest the exact a × 10^d; only when it
        // lands exactly on a half does the rounding error decide.
        let floor = product.floor();
        (match product - floor {
            f if f < 0.5 => floor,
            f if f > 0.5 => floor + 1.0,
            _ if error > 0.0 => floor + 1.0,
            _ if error < 0.0 => floor,
            _ => product.round_ties_even(),
        }) as u64
    };
    // The digits, left-padded so there is at least one before the point,
    // written one by one: slicing a `String` would link core's char-boundary
    // panic and its `char` debug printer (with their Unicode tables) into
    // every wasm bundle.
    let digits = n.to_string().into_bytes();
    let padded: Vec<u8> =
        std::iter::repeat_n(b'0', (decimals + 1).saturating_sub(digits.len())).chain(digits).collect();
    let point = padded.len() - decimals;
    let mut out = String::with_capacity(padded.len() + 2);
    if value.is_sign_negative() {
        out.push('-');
    }
    for (i, d) in padded.into_iter().enumerate() {
        if i == point {
            out.push('.');
        }
        out.push(char::from(d));
    }
    out
}

/// `a × b` as the rounded product and its exact rounding error (Dekker,
/// "A floating-point technique for extending the available precision",
/// Numer. Math. 18, 1971, §5: `mul12`), without a fused multiply-add, which
/// wasm lacks.
fn two_product(a: f64, b: f64) -> (f64, f64) {
    fn split(x: f64) -> (f64, f64) {
        let c = 134_217_729.0 * x; // 2^27 + 1
        let hi = c - (c - x);
        (hi, x - hi)
    }
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// A setting as a person types it: at most `decimals` decimals, trailing
/// zeros dropped (`0.9`, `0.88`, `1`), through [`fixed`].
pub fn trimmed(value: f64, decimals: u32) -> String {
    let s = fixed(value, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A percentage with no decimals and its sign: `42%`; a share that is not
/// zero but rounds to it reads `<1%` (DeepSeek-V3's cache at 8K is 0.04% of
/// its weights, not nothing).
pub fn percent(fraction_times_100: f64) -> String {
    let whole = fixed(fraction_times_100, 0);
    if fraction_times_100 > 0.0 && whole == "0" {
        return "<1%".into();
    }
    format!("{whole}%")
}

/// Gigabytes as a float (decimal).
pub fn to_gb(bytes: u64) -> f64 {
    bytes as f64 / GB as f64
}

/// Gibibytes as a float (binary).
pub fn to_gib(bytes: u64) -> f64 {
    bytes as f64 / GIB as f64
}

/// Formats a count with thousands separators, e.g. `8,030,261,248`.
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Seconds with three significant digits in µs, ms, s or min (`—` when not finite).
pub fn format_seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        "—".into()
    } else if s < 1e-3 {
        format!("{} µs", three_significant(s * 1e6))
    } else if s < 1.0 {
        format!("{} ms", three_significant(s * 1e3))
    } else if s < 120.0 {
        format!("{} s", three_significant(s))
    } else {
        format!("{} min", three_significant(s / 60.0))
    }
}

/// A float rounded to a whole number with thousands separators: `11,174`.
pub fn format_count(v: f64) -> String {
    if v.is_finite() && v >= 0.0 {
        group_thousands(v.round() as u64)
    } else {
        "—".into()
    }
}

/// Short human form of a token count: `512`, `8K`, `128K`, `1M` (K = 1024, as
/// context windows are quoted in powers of two).
pub fn format_tokens(tokens: u64) -> String {
    if tokens >= 1 << 20 && tokens % (1 << 20) == 0 {
        format!("{}M", tokens >> 20)
    } else if tokens >= 1024 && tokens % 1024 == 0 {
        format!("{}K", tokens >> 10)
    } else {
        group_thousands(tokens)
    }
}

/// Short human form of a parameter count: `124M`, `8.03B`, `671B`.
pub fn format_params(params: u64) -> String {
    let p = params as f64;
    if p >= 1e12 {
        format!("{}T", three_significant(p / 1e12))
    } else if p >= 1e9 {
        format!("{}B", three_significant(p / 1e9))
    } else if p >= 1e6 {
        format!("{}M", three_significant(p / 1e6))
    } else if p >= 1e3 {
        format!("{}K", three_significant(p / 1e3))
    } else {
        params.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_matches_core_formatting() {
        let values = [
            0.0,
            0.4,
            0.5,
            0.6,
            1.5,
            2.5,
            9.995,
            12.345,
            99.95,
            100.0,
            123.456,
            1e6 + 0.5,
            8.03,
            42.0 / 7.0,
            1.0 / 3.0,
            0.001,
            65.999,
            3.35e12 / 1e12,
            1e15,
        ];
        for v in values {
            for d in 0..=3u32 {
                let core = format!("{v:.prec$}", prec = d as usize);
                assert_eq!(fixed(v, d), core, "{v} with {d} decimals");
                let core = format!("{:.prec$}", -v, prec = d as usize);
                assert_eq!(fixed(-v, d), core, "-{v} with {d} decimals");
            }
        }
        assert_eq!(fixed(f64::NAN, 1), "—");
        assert_eq!(fixed(f64::INFINITY, 0), "—");
        assert_eq!(fixed(1e30, 0), "—");
        assert_eq!(percent(41.6), "42%");
    }

    #[test]
    fn settings_as_typed() {
        assert_eq!(trimmed(0.9, 3), "0.9");
        assert_eq!(trimmed(0.88, 3), "0.88");
        assert_eq!(trimmed(1.0, 3), "1");
        assert_eq!(trimmed(120.0, 0), "120");
        assert_eq!(trimmed(0.0001, 3), "0");
    }

    #[test]
    fn decimal_and_binary() {
        assert_eq!(format_bytes(16_060_522_496, UnitSystem::Decimal), "16.1 GB");
        assert_eq!(format_bytes(16_060_522_496, UnitSystem::Binary), "15.0 GiB");
        assert_eq!(format_bytes(999, UnitSystem::Decimal), "999 B");
        assert_eq!(format_bytes(1_500, UnitSystem::Decimal), "1.50 kB");
        assert_eq!(format_bytes(GIB, UnitSystem::Binary), "1.00 GiB");
    }

    #[test]
    fn small_shares_are_not_zero() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.04), "<1%");
        assert_eq!(percent(0.5), "<1%");
        assert_eq!(percent(0.7), "1%");
        assert_eq!(percent(42.4), "42%");
    }

    #[test]
    fn thousands_and_tokens() {
        assert_eq!(group_thousands(8_030_261_248), "8,030,261,248");
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(100), "100");
        assert_eq!(format_tokens(8192), "8K");
        assert_eq!(format_tokens(131_072), "128K");
        assert_eq!(format_tokens(1 << 20), "1M");
        assert_eq!(format_tokens(1000), "1,000");
        assert_eq!(format_params(8_030_261_248), "8.03B");
        assert_eq!(format_params(124_439_808), "124M");
    }

    #[test]
    fn seconds_and_counts() {
        assert_eq!(format_seconds(0.004794), "4.79 ms");
        assert_eq!(format_seconds(0.042121), "42.1 ms");
        assert_eq!(format_seconds(18.94), "18.9 s");
        assert_eq!(format_seconds(300.0), "5.00 min");
        assert_eq!(format_count(11_174.4), "11,174");
        assert_eq!(format_count(f64::NAN), "—");
    }

    #[test]
    fn non_finite_never_prints_nan() {
        assert_eq!(format_bytes_f64(f64::NAN, UnitSystem::Decimal), "—");
        assert_eq!(format_bytes_f64(f64::INFINITY, UnitSystem::Binary), "—");
        assert_eq!(format_bytes_f64(-1.0, UnitSystem::Binary), "—");
    }
}
