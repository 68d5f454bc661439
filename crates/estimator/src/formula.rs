//! The formula behind a figure's headline number, as the figure's "Show the
//! formula" panel prints it: the expression in symbols, the same expression
//! with the current values substituted, what each symbol is, and where the
//! formula comes from.
//!
//! A formula is an expression tree, not a caption: [`Expr::eval`] computes
//! the number the panel prints, and every module that builds one has a test
//! that the evaluated expression equals the figure's headline number as the
//! module computes it, so the formula a reader sees is the computation the
//! figure makes.

use std::borrow::Cow;

use crate::units::{format_rate, format_seconds, group_thousands, three_significant, trimmed};

/// How a value (a symbol's or the result) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain number: whole numbers with thousands separators
    /// (`8,192`), others with up to three decimals (`0.625`).
    Number,
    /// Bytes, written in the reader's GB/GiB choice by the figure.
    Bytes,
    /// Bytes per second (`3.35 TB/s`).
    Rate,
    /// Seconds (`4.79 ms`).
    Seconds,
    /// A ratio with this many decimals (`3.12×`, `41×`; whole ratios grouped
    /// by thousands, `4,096×`).
    Times(u32),
    /// A share (`21%`), the value being a fraction of one.
    Share,
    /// Bits, to five decimals (`4.5 bits`, `3.4375 bits`).
    Bits,
    /// Tokens per second with this many decimals (`207 tokens/s`,
    /// `4.1 tokens/s`); whole numbers grouped by thousands.
    TokensPerSecond(u32),
    /// FLOP/s (`989 TFLOP/s`).
    Flops,
    /// A count of things, named (`3 turns`).
    Counted(&'static str),
}

impl Unit {
    /// `value` written in this unit; bytes are left to `bytes` (the figure
    /// writes them in the reader's GB/GiB choice).
    pub fn write(self, value: f64, bytes: &dyn Fn(f64) -> String) -> String {
        match self {
            Unit::Number => number(value),
            Unit::Bytes => bytes(value),
            Unit::Rate => format_rate(value),
            Unit::Seconds => format_seconds(value),
            Unit::Times(0) => format!("{}×", crate::units::format_count(value)),
            Unit::Times(d) => format!("{}×", crate::units::fixed(value, d)),
            Unit::Share => crate::units::percent(value * 100.0),
            Unit::Bits => format!("{} bits", trimmed(value, 5)),
            Unit::TokensPerSecond(0) => format!("{} tokens/s", crate::units::format_count(value)),
            Unit::TokensPerSecond(d) => format!("{} tokens/s", crate::units::fixed(value, d)),
            Unit::Counted(what) => format!("{} {what}", number(value)),
            Unit::Flops => format!("{} TFLOP/s", three_significant(value / 1e12)),
        }
    }
}

/// A plain number: whole numbers grouped by thousands, others to at most
/// three decimals, or three significant figures when large.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        "—".into()
    } else if (0.0..9.0e15).contains(&value) && value.fract() == 0.0 {
        group_thousands(value as u64)
    } else if value.abs() >= 1000.0 {
        three_significant(value)
    } else {
        trimmed(value, 3)
    }
}

/// A named quantity of the figure's current setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    /// Its symbol in the formula (`L`, `H_kv`, `s`).
    pub symbol: &'static str,
    /// What it is, in words ("layers").
    pub meaning: &'static str,
    pub value: f64,
    pub unit: Unit,
}

/// An arithmetic expression over named quantities and constants.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A named quantity.
    Var(Var),
    /// A constant written as itself (the 2 of "a key and a value").
    Num(f64),
    Mul(Vec<Expr>),
    Add(Vec<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
    /// Rounded up to a whole number.
    Ceil(Box<Expr>),
    /// Rounded down to a whole number.
    Floor(Box<Expr>),
}

/// A named quantity as an expression.
pub fn var(symbol: &'static str, meaning: &'static str, value: f64, unit: Unit) -> Expr {
    Expr::Var(Var { symbol, meaning, value, unit })
}

/// A named whole count (layers, heads, tokens).
pub fn count(symbol: &'static str, meaning: &'static str, value: u64) -> Expr {
    var(symbol, meaning, value as f64, Unit::Number)
}

/// A constant.
pub fn num(value: f64) -> Expr {
    Expr::Num(value)
}

/// The product of `factors`.
pub fn mul(factors: Vec<Expr>) -> Expr {
    Expr::Mul(factors)
}

/// The sum of `terms`.
pub fn add(terms: Vec<Expr>) -> Expr {
    Expr::Add(terms)
}

/// `a − b`.
pub fn sub(a: Expr, b: Expr) -> Expr {
    Expr::Sub(Box::new(a), Box::new(b))
}

/// `a / b`.
pub fn div(a: Expr, b: Expr) -> Expr {
    Expr::Div(Box::new(a), Box::new(b))
}

/// `min(a, b)`.
pub fn min(a: Expr, b: Expr) -> Expr {
    Expr::Min(Box::new(a), Box::new(b))
}

/// `⌊a⌋`.
pub fn floor(a: Expr) -> Expr {
    Expr::Floor(Box::new(a))
}

/// `max(a, b)`.
pub fn max(a: Expr, b: Expr) -> Expr {
    Expr::Max(Box::new(a), Box::new(b))
}

/// `⌈a⌉`.
pub fn ceil(a: Expr) -> Expr {
    Expr::Ceil(Box::new(a))
}

impl Expr {
    /// The expression's value.
    pub fn eval(&self) -> f64 {
        match self {
            Expr::Var(v) => v.value,
            Expr::Num(n) => *n,
            Expr::Mul(f) => f.iter().map(Expr::eval).product(),
            Expr::Add(t) => t.iter().map(Expr::eval).sum(),
            Expr::Sub(a, b) => a.eval() - b.eval(),
            Expr::Div(a, b) => {
                let d = b.eval();
                if d == 0.0 {
                    0.0
                } else {
                    a.eval() / d
                }
            }
            Expr::Min(a, b) => a.eval().min(b.eval()),
            Expr::Max(a, b) => a.eval().max(b.eval()),
            Expr::Ceil(a) => a.eval().ceil(),
            Expr::Floor(a) => a.eval().floor(),
        }
    }

    /// The expression written with each quantity given by `leaf` (its symbol
    /// or its value), bracketed where precedence needs it.
    fn write(&self, leaf: &dyn Fn(&Var) -> String, out: &mut String) {
        let bracketed = |e: &Expr, out: &mut String, needs: fn(&Expr) -> bool| {
            if needs(e) {
                out.push('(');
                e.write(leaf, out);
                out.push(')');
            } else {
                e.write(leaf, out);
            }
        };
        let is_sum = |e: &Expr| matches!(e, Expr::Add(_) | Expr::Sub(..));
        let not_atom = |e: &Expr| matches!(e, Expr::Add(_) | Expr::Sub(..) | Expr::Mul(_) | Expr::Div(..));
        match self {
            Expr::Var(v) => out.push_str(&leaf(v)),
            Expr::Num(n) => out.push_str(&number(*n)),
            Expr::Mul(f) => {
                for (i, e) in f.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" × ");
                    }
                    bracketed(e, out, is_sum);
                }
            }
            Expr::Add(t) => {
                for (i, e) in t.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" + ");
                    }
                    e.write(leaf, out);
                }
            }
            Expr::Sub(a, b) => {
                a.write(leaf, out);
                out.push_str(" − ");
                bracketed(b, out, is_sum);
            }
            Expr::Div(a, b) => {
                bracketed(a, out, is_sum);
                out.push_str(" / ");
                bracketed(b, out, not_atom);
            }
            Expr::Min(a, b) | Expr::Max(a, b) => {
                out.push_str(if matches!(self, Expr::Min(..)) { "min(" } else { "max(" });
                a.write(leaf, out);
                out.push_str(", ");
                b.write(leaf, out);
                out.push(')');
            }
            Expr::Ceil(a) => {
                out.push('⌈');
                a.write(leaf, out);
                out.push('⌉');
            }
            Expr::Floor(a) => {
                out.push('⌊');
                a.write(leaf, out);
                out.push('⌋');
            }
        }
    }

    /// The expression in symbols: `2 × L × H_kv × d_h × s × b × β`.
    pub fn symbolic(&self) -> String {
        let mut s = String::new();
        self.write(&|v| v.symbol.to_string(), &mut s);
        s
    }

    /// The expression with every quantity's value in its place, bytes
    /// written by `bytes`; a value and its unit are joined by a no-break
    /// space, so a narrow screen never splits `938 MB`.
    pub fn substituted(&self, bytes: &dyn Fn(f64) -> String) -> String {
        let mut s = String::new();
        self.write(&|v| v.unit.write(v.value, bytes).replace(' ', "\u{a0}"), &mut s);
        s
    }

    /// Every named quantity once, in the order it first appears.
    pub fn vars(&self) -> Vec<&Var> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Var>) {
            match e {
                Expr::Var(v) => {
                    if !out.iter().any(|o| o.symbol == v.symbol) {
                        out.push(v);
                    }
                }
                Expr::Num(_) => {}
                Expr::Mul(x) | Expr::Add(x) => x.iter().for_each(|e| walk(e, out)),
                Expr::Sub(a, b) | Expr::Div(a, b) | Expr::Min(a, b) | Expr::Max(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Ceil(a) | Expr::Floor(a) => walk(a, out),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// The formula behind a figure's headline number.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    /// What the headline number is ("KV cache").
    pub name: &'static str,
    pub expr: Expr,
    /// How the result is written.
    pub unit: Unit,
    /// Where the formula comes from: paper and section, or documentation —
    /// the source the estimator's doc comment cites.
    pub source: Cow<'static, str>,
}

impl Formula {
    pub fn new(name: &'static str, expr: Expr, unit: Unit, source: impl Into<Cow<'static, str>>) -> Self {
        Formula { name, expr, unit, source: source.into() }
    }

    /// The value the formula gives.
    pub fn value(&self) -> f64 {
        self.expr.eval()
    }

    /// The result as the figure writes it.
    pub fn result(&self, bytes: &dyn Fn(f64) -> String) -> String {
        self.unit.write(self.value(), bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_symbols_values_and_brackets() {
        let e = mul(vec![
            num(2.0),
            add(vec![count("L_f", "full layers", 5), mul(vec![count("L_s", "sliding layers", 3), num(2.0)])]),
            var("β", "bytes per value", 0.5, Unit::Number),
        ]);
        assert_eq!(e.symbolic(), "2 × (L_f + L_s × 2) × β");
        assert_eq!(e.substituted(&|b| format!("{b} B")), "2 × (5 + 3 × 2) × 0.5");
        assert_eq!(e.eval(), 11.0);
        let d = div(sub(count("a", "", 10), count("b", "", 4)), mul(vec![count("c", "", 2), count("d", "", 3)]));
        assert_eq!(d.symbolic(), "(a − b) / (c × d)");
        assert_eq!(d.eval(), 1.0);
        assert_eq!(min(count("s", "", 9000), count("W", "", 4096)).eval(), 4096.0);
        assert_eq!(floor(div(count("h", "", 17), num(4.0))).symbolic(), "⌊h / 4⌋");
        assert_eq!(floor(div(count("h", "", 17), num(4.0))).eval(), 4.0);
        let m = max(count("a", "", 3), num(5.0));
        assert_eq!((m.eval(), m.symbolic()), (5.0, "max(a, 5)".to_string()));
        assert_eq!(ceil(div(count("s", "", 17), num(16.0))).substituted(&|_| String::new()), "⌈17 / 16⌉");
    }

    #[test]
    fn lists_each_symbol_once() {
        let e = add(vec![
            mul(vec![count("L", "layers", 2), count("s", "tokens", 9)]),
            mul(vec![count("L2", "more layers", 2), count("s", "tokens", 9)]),
        ]);
        let names: Vec<_> = e.vars().iter().map(|v| v.symbol).collect();
        assert_eq!(names, ["L", "s", "L2"]);
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number(8192.0), "8,192");
        assert_eq!(number(0.5627), "0.563");
        assert_eq!(number(2.0), "2");
        assert_eq!(Unit::Bits.write(4.5, &|_| String::new()), "4.5 bits");
        assert_eq!(Unit::Bytes.write(3.0, &|b| format!("{b} bytes")), "3 bytes");
        assert_eq!(Unit::Share.write(0.21, &|_| String::new()), "21%");
    }

    #[test]
    fn division_by_zero_is_zero_not_infinite() {
        assert_eq!(div(num(1.0), num(0.0)).eval(), 0.0);
    }
}
