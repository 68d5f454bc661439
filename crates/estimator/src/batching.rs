//! Continuous batching over a paged KV cache, step by step, as a
//! deterministic simulation: requests arrive, are admitted while free blocks
//! remain, grow by one token per decoding step, and return their blocks when
//! they finish.
//!
//! The rules follow vLLM's scheduler and block manager (Kwon et al. 2023,
//! "Efficient Memory Management for Large Language Model Serving with
//! PagedAttention", arXiv 2309.06180, §4.2–4.5; vLLM `core/scheduler.py`,
//! `core/block_manager.py`):
//! - iteration-level scheduling (Yu et al. 2022, "Orca", OSDI, §3.2): the
//!   batch is re-formed every step; finished requests leave and waiting
//!   ones join, first come first served;
//! - a request is admitted only if the blocks for its whole prompt are free;
//!   its prefill writes the prompt and its first output token in that step;
//! - each running request appends one token per step, taking a new block
//!   when its last one is full; if none is free, the most recently admitted
//!   request is preempted by recomputation — its blocks are freed and it
//!   waits at the head of the queue (§4.5);
//! - with prefix sharing, the *full* blocks of a prompt prefix that every
//!   request shares (a system prompt) are stored once with a reference count
//!   and freed when the last request using them leaves; the prefix's partial
//!   last block is copied into each request that writes after it
//!   (copy-on-write, §4.4; vLLM's prefix caching hashes only full blocks).

use crate::error::{EstimateError, Result};
use crate::formula::{add, count, mul, var, Formula, Unit};
use serde::Serialize;

/// One request of the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Step at which it arrives.
    pub arrival: u64,
    /// Prompt tokens, the shared prefix included.
    pub prompt: u64,
    /// Tokens it generates before it stops.
    pub output: u64,
}

/// A simulation's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchingSetup {
    pub requests: Vec<Request>,
    /// Tokens per KV block.
    pub block_tokens: u64,
    /// KV blocks in the pool.
    pub blocks: u64,
    /// Leading prompt tokens that every request has in common.
    pub shared_prefix: u64,
    /// Store the prefix's full blocks once (prefix sharing / caching).
    pub share_prefix: bool,
}

/// What one block holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Block {
    Free,
    /// Request `request`'s own block with `tokens` of `block_tokens` filled.
    Owned {
        request: u32,
        tokens: u32,
    },
    /// A full prefix block referenced by `refs` requests.
    Shared {
        refs: u32,
    },
}

/// Where a request stands after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotArrived,
    Waiting,
    Running,
    Finished,
}

/// The state after one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub step: u64,
    pub pool: Vec<Block>,
    pub status: Vec<Status>,
    /// Tokens each request has in its cache.
    pub tokens: Vec<u64>,
    /// Output tokens generated so far, all requests.
    pub generated: u64,
    /// Preemptions so far.
    pub preemptions: u64,
}

impl Snapshot {
    pub fn used_blocks(&self) -> u64 {
        self.pool.iter().filter(|b| !matches!(b, Block::Free)).count() as u64
    }

    pub fn shared_blocks(&self) -> u64 {
        self.pool.iter().filter(|b| matches!(b, Block::Shared { .. })).count() as u64
    }

    pub fn count(&self, s: Status) -> u64 {
        self.status.iter().filter(|x| **x == s).count() as u64
    }

    /// The formula behind the KV memory the pool's blocks in use hold:
    /// every block in use, shared or a request's own, holds `block_tokens`
    /// slots of `bytes_per_token` (Kwon et al. 2023, PagedAttention, §4.2;
    /// a block is allocated whole).
    pub fn in_use_formula(&self, block_tokens: u64, bytes_per_token: u64) -> Formula {
        let shared = self.shared_blocks();
        Formula::new(
            "KV in use",
            mul(vec![
                add(vec![
                    count("S", "shared prefix blocks (stored once)", shared),
                    count("O", "requests' own blocks", self.used_blocks() - shared),
                ]),
                count("B", "tokens per block", block_tokens),
                var("b", "KV bytes per token (Llama 3.1 8B, bf16)", bytes_per_token as f64, Unit::Bytes),
            ]),
            Unit::Bytes,
            "Kwon et al. 2023, PagedAttention (arXiv 2309.06180) §4.2–4.3; vLLM prefix caching (shares full blocks only)",
        )
    }

    /// Token slots allocated but not yet written: the unfilled tails of
    /// requests' last blocks (PagedAttention's only waste).
    pub fn slack_tokens(&self, block_tokens: u64) -> u64 {
        self.pool
            .iter()
            .map(|b| match b {
                Block::Owned { tokens, .. } => block_tokens.saturating_sub(u64::from(*tokens)),
                _ => 0,
            })
            .sum()
    }
}

/// Largest pool and workload simulated (the figure uses far less).
const MAX_BLOCKS: u64 = 4096;
const MAX_REQUESTS: usize = 256;
const MAX_STEPS: u64 = 100_000;

struct Live {
    /// Pool indices of the request's own blocks, in order.
    own: Vec<usize>,
    /// Whether it holds a reference on the shared prefix blocks.
    shares: bool,
    tokens: u64,
    /// Step it was admitted at (for picking whom to preempt).
    admitted: u64,
}

/// Runs the workload to the end; one snapshot per step, starting with the
/// empty pool at step 0.
pub fn simulate(s: &BatchingSetup) -> Result<Vec<Snapshot>> {
    let bad =
        |reason: &str| Err(EstimateError::OutOfRange { what: "batching simulation".into(), reason: reason.into() });
    if s.block_tokens == 0 || s.blocks == 0 || s.blocks > MAX_BLOCKS {
        return bad("the pool needs 1 to 4,096 blocks of at least one token");
    }
    if s.requests.is_empty() || s.requests.len() > MAX_REQUESTS {
        return bad("1 to 256 requests");
    }
    let bt = s.block_tokens;
    let shared_full = if s.share_prefix { s.shared_prefix / bt } else { 0 };
    for r in &s.requests {
        if r.prompt == 0 || r.output == 0 || r.prompt < s.shared_prefix {
            return bad("every request needs a prompt at least as long as the shared prefix, and an output");
        }
        let own = (r.prompt + r.output).div_ceil(bt).saturating_sub(shared_full);
        if own + shared_full > s.blocks {
            return bad("a request is longer than the whole pool");
        }
    }
    let n = s.requests.len();
    let mut pool = vec![Block::Free; s.blocks as usize];
    let mut status = vec![Status::NotArrived; n];
    let mut live: Vec<Option<Live>> = (0..n).map(|_| None).collect();
    let mut queue: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    // Pool indices of the shared prefix blocks while resident.
    let mut prefix: Vec<usize> = Vec::new();
    // Output tokens each request has generated; kept across a preemption,
    // since recomputation rebuilds the cache of the prompt and of what was
    // already generated (vLLM's RECOMPUTE mode).
    let mut done = vec![0u64; n];
    let mut preemptions = 0u64;
    let snapshot =
        |step, pool: &[Block], status: &[Status], live: &[Option<Live>], done: &[u64], preemptions| Snapshot {
            step,
            pool: pool.to_vec(),
            status: status.to_vec(),
            tokens: live.iter().map(|l| l.as_ref().map_or(0, |l| l.tokens)).collect(),
            generated: done.iter().sum(),
            preemptions,
        };
    let mut out = vec![snapshot(0, &pool, &status, &live, &done, 0)];
    fn take(pool: &mut [Block], n: u64) -> Option<Vec<usize>> {
        let free: Vec<usize> =
            pool.iter().enumerate().filter(|(_, b)| matches!(b, Block::Free)).map(|(i, _)| i).collect();
        (free.len() as u64 >= n).then(|| free.into_iter().take(n as usize).collect())
    }
    fn release(pool: &mut [Block], prefix: &mut Vec<usize>, l: Live) {
        for i in l.own {
            pool[i] = Block::Free;
        }
        if l.shares {
            for &i in prefix.iter() {
                if let Block::Shared { refs } = &mut pool[i] {
                    *refs -= 1;
                    if *refs == 0 {
                        pool[i] = Block::Free;
                    }
                }
            }
            if prefix.iter().all(|&i| pool[i] == Block::Free) {
                prefix.clear();
            }
        }
    }
    for step in 1..=MAX_STEPS {
        // Arrivals join the queue in order.
        for (i, r) in s.requests.iter().enumerate() {
            if r.arrival + 1 == step {
                status[i] = Status::Waiting;
                queue.push_back(i);
            }
        }
        // Decode: every running request appends one token, in admission
        // order; a full last block needs a new one, and if none is free the
        // newest running request is preempted.
        let mut running: Vec<usize> = (0..n).filter(|&i| status[i] == Status::Running).collect();
        running.sort_by_key(|&i| live[i].as_ref().map_or(0, |l| l.admitted));
        let mut k = 0;
        while k < running.len() {
            let i = running[k];
            let Some(l) = live[i].as_ref() else {
                k += 1;
                continue;
            };
            let prefix_tokens = if l.shares { shared_full * bt } else { 0 };
            let needs_block = (l.tokens - prefix_tokens) % bt == 0;
            if needs_block && take(&mut pool, 1).is_none() {
                // Preempt the newest (possibly this one).
                let victim = *running.last().unwrap_or(&i);
                running.pop();
                if let Some(v) = live[victim].take() {
                    release(&mut pool, &mut prefix, v);
                }
                status[victim] = Status::Waiting;
                queue.push_front(victim);
                preemptions += 1;
                continue;
            }
            let Some(l) = live[i].as_mut() else { continue };
            if needs_block {
                if let Some(b) = take(&mut pool, 1) {
                    l.own.push(b[0]);
                }
            }
            l.tokens += 1;
            done[i] += 1;
            if let Some(&last) = l.own.last() {
                if let Block::Owned { tokens, .. } = &mut pool[last] {
                    *tokens += 1;
                } else {
                    pool[last] = Block::Owned { request: i as u32, tokens: 1 };
                }
            }
            k += 1;
        }
        // Finished requests leave.
        for i in 0..n {
            if live[i].is_some() && done[i] >= s.requests[i].output {
                if let Some(l) = live[i].take() {
                    release(&mut pool, &mut prefix, l);
                }
                status[i] = Status::Finished;
            }
        }
        // Admit from the head of the queue while the prompt's blocks fit.
        while let Some(&i) = queue.front() {
            let r = s.requests[i];
            let shares = shared_full > 0;
            let resident = !prefix.is_empty();
            let prefix_blocks = if shares && !resident { shared_full } else { 0 };
            // The prompt, what it had generated before a preemption, and
            // the token this prefill produces.
            let tokens = r.prompt + done[i] + 1;
            let own_tokens = tokens - if shares { shared_full * bt } else { 0 };
            let own_blocks = own_tokens.div_ceil(bt);
            let Some(got) = take(&mut pool, own_blocks + prefix_blocks) else { break };
            queue.pop_front();
            let (new_prefix, own) = got.split_at(prefix_blocks as usize);
            for &b in new_prefix {
                pool[b] = Block::Shared { refs: 0 };
                prefix.push(b);
            }
            if shares {
                for &b in &prefix {
                    if let Block::Shared { refs } = &mut pool[b] {
                        *refs += 1;
                    }
                }
            }
            for (j, &b) in own.iter().enumerate() {
                let filled = (own_tokens - j as u64 * bt).min(bt);
                pool[b] = Block::Owned { request: i as u32, tokens: filled as u32 };
            }
            live[i] = Some(Live { own: own.to_vec(), shares, tokens, admitted: step });
            done[i] += 1;
            status[i] = Status::Running;
            if done[i] >= r.output {
                if let Some(l) = live[i].take() {
                    release(&mut pool, &mut prefix, l);
                }
                status[i] = Status::Finished;
            }
        }
        out.push(snapshot(step, &pool, &status, &live, &done, preemptions));
        if status.iter().all(|s| *s == Status::Finished) {
            return Ok(out);
        }
    }
    bad("the workload did not finish")
}

/// The figure's workload: eight chat requests arriving over the first
/// steps, with prompts of 40 to 90 tokens and answers of 6 to 40.
pub fn demo_workload() -> Vec<Request> {
    [(0, 60, 24), (0, 44, 10), (1, 90, 18), (2, 52, 40), (3, 40, 6), (5, 76, 30), (6, 48, 14), (8, 64, 22)]
        .into_iter()
        .map(|(arrival, prompt, output)| Request { arrival, prompt, output })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(share: bool, blocks: u64) -> BatchingSetup {
        BatchingSetup { requests: demo_workload(), block_tokens: 16, blocks, shared_prefix: 32, share_prefix: share }
    }

    /// Invariants at every step: blocks hold exactly what the live requests
    /// own; shared blocks are referenced by as many requests as share them;
    /// every output token is generated once.
    #[test]
    fn pool_stays_consistent() {
        for share in [false, true] {
            for blocks in [16, 24, 48] {
                let run = simulate(&setup(share, blocks)).unwrap();
                let last = run.last().unwrap();
                assert_eq!(last.generated, demo_workload().iter().map(|r| r.output).sum::<u64>());
                assert_eq!(last.used_blocks(), 0, "everything freed at the end");
                for snap in &run {
                    let running = snap.count(Status::Running) as u32;
                    for b in &snap.pool {
                        if let Block::Shared { refs } = b {
                            assert!(
                                *refs >= 1 && *refs <= running,
                                "step {}: {refs} refs, {running} running",
                                snap.step
                            );
                        }
                        if let Block::Owned { request, tokens } = b {
                            assert_eq!(snap.status[*request as usize], Status::Running);
                            assert!(*tokens >= 1 && u64::from(*tokens) <= 16);
                        }
                    }
                    // A request's cache: prompt + generated tokens, in blocks.
                    for (i, t) in snap.tokens.iter().enumerate() {
                        let owned: u64 = snap
                            .pool
                            .iter()
                            .map(|b| match b {
                                Block::Owned { request, tokens } if *request as usize == i => u64::from(*tokens),
                                _ => 0,
                            })
                            .sum();
                        let shared = if share && *t > 0 { 32 } else { 0 };
                        assert_eq!(owned + shared, *t, "step {} request {i}", snap.step);
                    }
                }
            }
        }
    }

    /// Sharing the 32-token system prompt stores its two blocks once: at
    /// the busiest step the pool holds fewer blocks than without sharing.
    #[test]
    fn sharing_saves_blocks_and_a_small_pool_preempts() {
        let peak = |share| simulate(&setup(share, 48)).unwrap().iter().map(Snapshot::used_blocks).max().unwrap();
        assert!(peak(true) < peak(false), "{} vs {}", peak(true), peak(false));
        let small = simulate(&setup(false, 16)).unwrap();
        assert!(small.last().unwrap().preemptions > 0);
        let roomy = simulate(&setup(false, 48)).unwrap();
        assert_eq!(roomy.last().unwrap().preemptions, 0);
        assert!(small.len() > roomy.len(), "a small pool takes more steps");
    }

    #[test]
    fn bad_setups_are_refused() {
        assert!(simulate(&BatchingSetup { blocks: 0, ..setup(true, 48) }).is_err());
        assert!(simulate(&BatchingSetup { shared_prefix: 100, ..setup(true, 48) }).is_err());
        assert!(simulate(&setup(true, 4)).is_err(), "a request longer than the pool");
    }
}
