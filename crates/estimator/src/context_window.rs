//! The context window as working memory: a turn-by-turn token budget with
//! summarisation and eviction.
//!
//! An application that keeps a conversation in the prompt must keep the
//! total under the model's context limit. The two standard moves are
//! summarising old turns into a shorter recap (e.g. MemGPT, Packer et al.
//! 2023, arXiv 2310.08560, §2.1 "recursive summarization") and evicting the
//! oldest turns first (a sliding window over the conversation). This
//! simulation is deterministic so the widget, its URL state and its tests
//! agree exactly.

use crate::formula::{add, count, div, floor, mul, sub, Formula, Unit};
use serde::Serialize;

/// One entry in the context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    /// 1-based number of the turn in the conversation (a summary keeps the
    /// range of the turns it replaced).
    pub first: u64,
    pub last: u64,
    pub tokens: u64,
    /// A summary of turns `first..=last` rather than a verbatim turn.
    pub summary: bool,
}

/// What the last action did, for the widget's live region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Event {
    Added {
        turn: u64,
        tokens: u64,
    },
    /// Adding a turn pushed these turns (inclusive ranges) out of the window.
    Evicted {
        turn: u64,
        forgotten_first: u64,
        forgotten_last: u64,
        tokens_freed: u64,
    },
    Summarized {
        first: u64,
        last: u64,
        before: u64,
        after: u64,
    },
    NothingToSummarize,
    Reset,
    /// The limit changed; the conversation is kept, and if it no longer
    /// fits, the oldest turns (an inclusive range) fell out.
    LimitChanged {
        limit: u64,
        forgotten: Option<(u64, u64)>,
    },
}

/// A conversation held in a context window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextWindow {
    pub limit: u64,
    pub turns: Vec<Turn>,
    /// How many turns have been added in total.
    pub turn_count: u64,
    /// The highest turn number forgotten by eviction (0 if none).
    pub forgotten_through: u64,
}

impl ContextWindow {
    /// An empty window of `limit` tokens (at least 1).
    pub fn new(limit: u64) -> Self {
        Self { limit: limit.max(1), turns: Vec::new(), turn_count: 0, forgotten_through: 0 }
    }

    /// Tokens currently held.
    pub fn used(&self) -> u64 {
        self.turns.iter().map(|t| t.tokens).sum()
    }

    /// Fill as a fraction of the limit, 0 to 1.
    pub fn fill(&self) -> f64 {
        (self.used() as f64 / self.limit as f64).min(1.0)
    }

    /// Adds a turn of `tokens` (capped at the limit: one turn cannot exceed
    /// the window). Evicts the oldest entries until it fits.
    pub fn add_turn(&mut self, tokens: u64) -> Event {
        let tokens = tokens.clamp(1, self.limit);
        self.turn_count += 1;
        let n = self.turn_count;
        let mut freed = 0;
        let mut first_forgotten = None;
        while self.used() + tokens > self.limit && !self.turns.is_empty() {
            let old = self.turns.remove(0);
            first_forgotten.get_or_insert(old.first);
            self.forgotten_through = old.last;
            freed += old.tokens;
        }
        self.turns.push(Turn { first: n, last: n, tokens, summary: false });
        match first_forgotten {
            Some(first) => Event::Evicted {
                turn: n,
                forgotten_first: first,
                forgotten_last: self.forgotten_through,
                tokens_freed: freed,
            },
            None => Event::Added { turn: n, tokens },
        }
    }

    /// Replaces everything but the most recent turn with one summary of
    /// `ratio` of its size (rounded up; at least one token).
    pub fn summarize(&mut self, ratio: f64) -> Event {
        if self.turns.len() < 2 {
            return Event::NothingToSummarize;
        }
        let ratio = if ratio.is_finite() { ratio.clamp(0.01, 1.0) } else { 0.25 };
        let keep = self.turns.pop().expect("len ≥ 2");
        let first = self.turns[0].first;
        let last = self.turns[self.turns.len() - 1].last;
        let before: u64 = self.turns.iter().map(|t| t.tokens).sum();
        let after = ((before as f64 * ratio).ceil() as u64).clamp(1, before);
        self.turns = vec![Turn { first, last, tokens: after, summary: true }, keep];
        Event::Summarized { first, last, before, after }
    }

    /// Empties the window.
    /// Moves to a window of `limit` tokens, keeping the conversation: the
    /// oldest turns fall out until the rest fits (the newest turn is cut to
    /// the window if it alone is longer, as a model would truncate it).
    pub fn set_limit(&mut self, limit: u64) -> Event {
        self.limit = limit.max(1);
        let mut forgotten: Option<(u64, u64)> = None;
        while self.used() > self.limit && self.turns.len() > 1 {
            let old = self.turns.remove(0);
            self.forgotten_through = old.last;
            forgotten = Some((forgotten.map_or(old.first, |f| f.0), old.last));
        }
        if let Some(last) = self.turns.last_mut() {
            last.tokens = last.tokens.min(self.limit);
        }
        Event::LimitChanged { limit: self.limit, forgotten }
    }

    pub fn reset(&mut self) -> Event {
        *self = Self::new(self.limit);
        Event::Reset
    }

    /// How full the window is, as a formula: the turns still held word for
    /// word plus the summaries standing in for older ones, over the limit —
    /// the same fraction as [`ContextWindow::fill`].
    pub fn fill_formula(&self) -> Formula {
        let (verbatim, summaries) =
            self.turns.iter().fold(
                (0u64, 0u64),
                |(v, s), t| {
                    if t.summary {
                        (v, s + t.tokens)
                    } else {
                        (v + t.tokens, s)
                    }
                },
            );
        Formula::new(
            "Window fill",
            div(
                add(vec![
                    count("V", "tokens of the turns held word for word", verbatim),
                    count("R", "tokens of the summaries (recaps) replacing older turns", summaries),
                ]),
                count("N", "the model's context limit", self.limit),
            ),
            Unit::Share,
            "MemGPT (Packer et al. 2023, arXiv 2310.08560), §2.1: the prompt holds the conversation up to the \
             context limit; old messages are evicted first or replaced by a recursive summary",
        )
    }
}

/// Context limits of real models, for the widget's picker: (tokens, label).
pub const CONTEXT_LIMITS: &[(u64, &str)] = &[
    (4_096, "4K — Llama 2"),
    (8_192, "8K — Llama 3, Gemma 2"),
    (32_768, "32K — Mistral 7B v0.2, Mixtral"),
    (131_072, "128K — Llama 3.1, Qwen2.5"),
    (1_048_576, "1M — Gemini 1.5 Pro, Qwen2.5-1M"),
];

/// What an agent puts in one request's context, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BudgetRequest {
    /// The model's context limit.
    pub limit: u64,
    /// Instructions sent with every request.
    pub system: u64,
    /// Tool (function) definitions: their JSON schemas are sent as prompt
    /// tokens with every request (OpenAI, "Function calling": "functions
    /// are injected into the system message … count against the model's
    /// context limit and are billed as input tokens").
    pub tools: u64,
    /// Retrieved chunks and their size.
    pub chunks: u64,
    pub chunk_tokens: u64,
    /// Room kept free for the answer: the request's `max_tokens`, which
    /// must fit in the window with the prompt.
    pub output: u64,
    /// Tokens per conversation turn (a user message and a reply).
    pub turn_tokens: u64,
}

/// How the window divides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub retrieved: u64,
    /// Everything but the history: system, tools, retrieved and output.
    pub fixed: u64,
    /// What is left for the conversation so far (0 when over).
    pub history: u64,
    /// Whole turns the history can hold.
    pub turns: u64,
    /// Tokens by which the fixed parts exceed the limit (0 when they fit).
    pub over: u64,
}

/// The formula behind [`Budget::turns`]: what the limit leaves after the
/// parts every request carries, in whole turns (the sources on
/// [`BudgetRequest`]'s fields).
pub fn turns_formula(r: &BudgetRequest) -> Formula {
    Formula::new(
        "Turns that fit",
        floor(div(
            sub(
                count("N", "the model's context limit", r.limit),
                add(vec![
                    count("S", "system prompt", r.system),
                    count("T", "tool definitions", r.tools),
                    mul(vec![count("k", "retrieved chunks", r.chunks), count("c", "tokens per chunk", r.chunk_tokens)]),
                    count("O", "room kept for the answer (max_tokens)", r.output),
                ]),
            ),
            count("t", "tokens per turn (a message and a reply)", r.turn_tokens),
        )),
        Unit::Counted("turns"),
        "OpenAI, Function calling (tool schemas count as input tokens); OpenAI API reference, max_tokens (the answer must fit the window)",
    )
}

/// The window's split between fixed parts and history.
pub fn budget(r: &BudgetRequest) -> Budget {
    let retrieved = r.chunks.saturating_mul(r.chunk_tokens);
    let fixed = r.system.saturating_add(r.tools).saturating_add(retrieved).saturating_add(r.output);
    let history = r.limit.saturating_sub(fixed);
    Budget {
        retrieved,
        fixed,
        history,
        turns: history.checked_div(r.turn_tokens).unwrap_or(0),
        over: fixed.saturating_sub(r.limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_split() {
        let r = BudgetRequest {
            limit: 131_072,
            system: 2_000,
            tools: 3_000,
            chunks: 8,
            chunk_tokens: 512,
            output: 4_096,
            turn_tokens: 800,
        };
        let b = budget(&r);
        assert_eq!(b.retrieved, 4_096);
        assert_eq!(b.fixed, 13_192);
        assert_eq!(b.history, 117_880);
        assert_eq!(b.turns, 147);
        assert_eq!(b.over, 0);
        let tight = budget(&BudgetRequest { limit: 8_192, chunks: 20, ..r });
        assert_eq!((tight.history, tight.turns, tight.over), (0, 0, 19_336 - 8_192));
        assert_eq!(budget(&BudgetRequest { turn_tokens: 0, ..r }).turns, 0);
    }

    #[test]
    fn a_new_limit_keeps_the_conversation() {
        let mut w = ContextWindow::new(8192);
        for _ in 0..5 {
            w.add_turn(1000);
        }
        // Larger: everything stays.
        assert_eq!(w.set_limit(32768), Event::LimitChanged { limit: 32768, forgotten: None });
        assert_eq!((w.turns.len(), w.used()), (5, 5000));
        // Smaller: the two oldest turns fall out.
        assert_eq!(w.set_limit(3000), Event::LimitChanged { limit: 3000, forgotten: Some((1, 2)) });
        assert_eq!((w.turns.len(), w.used(), w.forgotten_through), (3, 3000, 2));
        // Smaller than the newest turn: only it remains, cut to the window.
        w.set_limit(500);
        assert_eq!((w.turns.len(), w.used()), (1, 500));
        assert_eq!(w.turn_count, 5);
    }

    #[test]
    fn fills_then_evicts_oldest() {
        let mut w = ContextWindow::new(8_000);
        for _ in 0..10 {
            assert!(matches!(w.add_turn(800), Event::Added { .. }));
        }
        assert_eq!(w.used(), 8_000);
        match w.add_turn(800) {
            Event::Evicted { turn, forgotten_first, forgotten_last, tokens_freed } => {
                assert_eq!((turn, forgotten_first, forgotten_last, tokens_freed), (11, 1, 1, 800));
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(w.turns[0].first, 2);
        assert_eq!(w.used(), 8_000);
    }

    #[test]
    fn summary_compacts_all_but_latest() {
        let mut w = ContextWindow::new(8_000);
        for _ in 0..5 {
            w.add_turn(800);
        }
        assert_eq!(w.summarize(0.25), Event::Summarized { first: 1, last: 4, before: 3_200, after: 800 });
        assert_eq!(w.used(), 1_600);
        assert!(w.turns[0].summary);
        // Evicting the summary forgets turns 1–4 at once.
        let mut w2 = ContextWindow::new(1_600);
        w2.add_turn(800);
        w2.add_turn(800);
        w2.summarize(0.5);
        assert_eq!(w2.used(), 1_200);
        match w2.add_turn(800) {
            Event::Evicted { forgotten_first: 1, forgotten_last: 1, tokens_freed: 400, .. } => {}
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn edge_cases_do_not_panic() {
        let mut w = ContextWindow::new(0);
        assert_eq!(w.limit, 1);
        w.add_turn(u64::MAX);
        assert_eq!(w.used(), 1);
        assert_eq!(w.summarize(f64::NAN), Event::NothingToSummarize);
        w.add_turn(1);
        assert_eq!(w.turns.len(), 1);
        assert_eq!(w.reset(), Event::Reset);
        assert_eq!(w.used(), 0);
    }
}
