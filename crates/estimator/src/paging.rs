//! Contiguous KV reservation against paged KV blocks, as a deterministic
//! simulation.
//!
//! Before PagedAttention, serving systems reserved a contiguous KV region
//! for each request's maximum length; Kwon et al. 2023, "Efficient Memory
//! Management for Large Language Model Serving with PagedAttention"
//! (arXiv 2309.06180), §3 and Figure 3, name the resulting waste: *reserved*
//! slots for tokens not yet (or never) generated, *internal fragmentation*
//! and *external fragmentation*. PagedAttention (§4.1–4.2) stores each
//! request's cache in fixed-size blocks allocated on demand anywhere in
//! memory, so the only waste is the unfilled tail of each request's last
//! block (§4.3: "bounded by one block per sequence").

use crate::error::{ceil_div, EstimateError, Result};
use crate::formula::{add, count, div, Formula, Unit};
use serde::Serialize;

/// One token slot of KV memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "request")]
pub enum Slot {
    /// Not allocated.
    Free,
    /// Holds a token of request `n`.
    Used(u32),
    /// Reserved for request `n` but beyond its length (contiguous reservation).
    Reserved(u32),
    /// In request `n`'s last block but past its end (paged internal fragmentation).
    Internal(u32),
}

/// How memory is handed to requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// One contiguous reservation of the maximum length per request.
    Contiguous,
    /// Fixed-size blocks allocated on demand (PagedAttention).
    Paged,
}

/// The memory after placing every request that fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout {
    pub allocation: Allocation,
    /// Every slot, in address order.
    pub slots: Vec<Slot>,
    /// Whether each request (in input order) was admitted.
    pub admitted: Vec<bool>,
    pub used: u64,
    /// Reserved beyond a request's length (contiguous only).
    pub reserved_waste: u64,
    /// Unfilled tails of last blocks (paged only).
    pub internal_waste: u64,
    pub free: u64,
    /// How many more requests of `new_request_len` tokens fit in the free memory.
    pub room_for_more: u64,
}

impl Layout {
    /// Wasted slots (reserved + internal) as a percentage of capacity.
    pub fn waste_percent(&self) -> f64 {
        percent(self.reserved_waste + self.internal_waste, self.slots.len() as u64)
    }
    /// The formula behind [`Layout::waste_percent`] (Kwon et al. 2023, §3
    /// and Figure 3 for the kinds of waste, §4.3 for paging's bound).
    pub fn waste_formula(&self) -> Formula {
        Formula::new(
            "Wasted",
            div(
                add(vec![
                    count("R", "slots reserved beyond a request's length (contiguous)", self.reserved_waste),
                    count("I", "unfilled tails of last blocks (paged)", self.internal_waste),
                ]),
                count("C", "token slots in the pool", self.slots.len() as u64),
            ),
            Unit::Share,
            "Kwon et al. 2023, PagedAttention (arXiv 2309.06180) §3, Figure 3, §4.3",
        )
    }

    /// Free slots as a percentage of capacity.
    pub fn free_percent(&self) -> f64 {
        percent(self.free, self.slots.len() as u64)
    }
    /// Admitted request count.
    pub fn admitted_count(&self) -> u64 {
        self.admitted.iter().filter(|a| **a).count() as u64
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Largest grid we simulate slot by slot.
pub const MAX_SLOTS: u64 = 1 << 16;

/// A paging scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingScenario {
    /// KV memory in token slots.
    pub capacity: u64,
    /// The contiguous reservation per request (the maximum sequence length).
    pub max_len: u64,
    /// Tokens per block when paged.
    pub block_size: u64,
    /// Each request's length in tokens (prompt + generated so far).
    pub requests: Vec<u64>,
    /// Length of the hypothetical extra requests counted by `room_for_more`.
    pub new_request_len: u64,
}

impl PagingScenario {
    fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(EstimateError::OutOfRange { what: "paging scenario".into(), reason });
        if self.capacity == 0 || self.capacity > MAX_SLOTS {
            return bad(format!("capacity must be 1 to {MAX_SLOTS} slots"));
        }
        if self.block_size == 0 || self.max_len == 0 || self.new_request_len == 0 {
            return bad("block size, maximum length and new request length must be at least 1".into());
        }
        if self.requests.len() > 4096 {
            return bad("at most 4096 requests".into());
        }
        if self.requests.iter().any(|&r| r == 0 || r > self.max_len) {
            return bad(format!("every request must be 1 to {} tokens (the maximum length)", self.max_len));
        }
        Ok(())
    }

    /// Places the requests in arrival order, reserving `max_len` contiguous
    /// slots each; a request that does not fit is turned away.
    pub fn contiguous(&self) -> Result<Layout> {
        self.validate()?;
        let cap = self.capacity as usize;
        let mut slots = vec![Slot::Free; cap];
        let mut admitted = Vec::with_capacity(self.requests.len());
        let mut next = 0usize;
        for (i, &len) in self.requests.iter().enumerate() {
            let reserve = self.max_len as usize;
            if next + reserve > cap {
                admitted.push(false);
                continue;
            }
            for (j, slot) in slots[next..next + reserve].iter_mut().enumerate() {
                *slot = if (j as u64) < len { Slot::Used(i as u32) } else { Slot::Reserved(i as u32) };
            }
            next += reserve;
            admitted.push(true);
        }
        let free = (cap - next) as u64;
        Ok(finish(Allocation::Contiguous, slots, admitted, free / self.max_len))
    }

    /// Places the requests block by block, round-robin (as sequences grow
    /// together during decoding), so one request's blocks interleave with
    /// others'. A request is admitted only if all its blocks fit.
    pub fn paged(&self) -> Result<Layout> {
        self.validate()?;
        let bs = self.block_size;
        let total_blocks = self.capacity / bs;
        let mut remaining = total_blocks;
        let mut admitted = Vec::with_capacity(self.requests.len());
        let mut need: Vec<u64> = Vec::with_capacity(self.requests.len());
        for &len in &self.requests {
            let blocks = ceil_div(len, bs);
            if blocks <= remaining {
                remaining -= blocks;
                admitted.push(true);
                need.push(blocks);
            } else {
                admitted.push(false);
                need.push(0);
            }
        }
        let mut slots = vec![Slot::Free; self.capacity as usize];
        let mut given = vec![0u64; self.requests.len()];
        let mut next_block = 0u64;
        loop {
            let mut progressed = false;
            for i in 0..self.requests.len() {
                if given[i] < need[i] {
                    let start = (next_block * bs) as usize;
                    let first_token = given[i] * bs;
                    for k in 0..bs {
                        let token = first_token + k;
                        slots[start + k as usize] =
                            if token < self.requests[i] { Slot::Used(i as u32) } else { Slot::Internal(i as u32) };
                    }
                    given[i] += 1;
                    next_block += 1;
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        let free_blocks = total_blocks - next_block;
        let room = free_blocks / ceil_div(self.new_request_len, bs);
        let free = self.capacity - next_block * bs;
        let layout = finish(Allocation::Paged, slots, admitted, room);
        debug_assert_eq!(layout.free, free);
        Ok(layout)
    }
}

fn finish(allocation: Allocation, slots: Vec<Slot>, admitted: Vec<bool>, room_for_more: u64) -> Layout {
    let mut l = Layout {
        allocation,
        admitted,
        used: 0,
        reserved_waste: 0,
        internal_waste: 0,
        free: 0,
        room_for_more,
        slots: Vec::new(),
    };
    for s in &slots {
        match s {
            Slot::Free => l.free += 1,
            Slot::Used(_) => l.used += 1,
            Slot::Reserved(_) => l.reserved_waste += 1,
            Slot::Internal(_) => l.internal_waste += 1,
        }
    }
    l.slots = slots;
    l
}

/// How many requests of `mean_len` tokens fit in `budget_bytes` of KV memory
/// at `bytes_per_token`: contiguous reservations of `max_len` against paged
/// blocks of `block_size`.
pub fn requests_that_fit(
    budget_bytes: u64,
    bytes_per_token: u64,
    mean_len: u64,
    max_len: u64,
    block_size: u64,
) -> (u64, u64) {
    if bytes_per_token == 0 || max_len == 0 || block_size == 0 || mean_len == 0 {
        return (0, 0);
    }
    let tokens = budget_bytes / bytes_per_token;
    let contiguous = tokens / max_len;
    let paged = (tokens / block_size) / ceil_div(mean_len, block_size);
    (contiguous, paged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> PagingScenario {
        PagingScenario { capacity: 128, max_len: 32, block_size: 8, requests: vec![18, 27, 9, 14], new_request_len: 16 }
    }

    /// Contiguous: 4 × 32 slots reserved, 68 used, 60 reserved but empty, none free.
    #[test]
    fn contiguous_reserves_max_len() {
        let l = scenario().contiguous().unwrap();
        assert_eq!(l.used, 68);
        assert_eq!(l.reserved_waste, 60);
        assert_eq!(l.free, 0);
        assert_eq!(l.room_for_more, 0);
        assert!((l.waste_percent() - 46.875).abs() < 1e-9);
    }

    /// Paged with 8-token blocks: 3 + 4 + 2 + 2 = 11 blocks = 88 slots, of
    /// which 68 used and 20 internal waste (6 + 5 + 7 + 2); 40 free = 5 blocks
    /// = room for 2 more 16-token requests.
    #[test]
    fn paged_wastes_only_block_tails() {
        let l = scenario().paged().unwrap();
        assert_eq!(l.used, 68);
        assert_eq!(l.internal_waste, 20);
        assert_eq!(l.free, 40);
        assert_eq!(l.room_for_more, 2);
        // Round-robin: the second block in memory belongs to request 1.
        assert_eq!(l.slots[8], Slot::Used(1));
        // Waste per request is below one block.
        assert!(l.internal_waste < 8 * 4);
    }

    #[test]
    fn block_size_one_has_no_internal_waste() {
        let s = PagingScenario { block_size: 1, ..scenario() };
        assert_eq!(s.paged().unwrap().internal_waste, 0);
    }

    #[test]
    fn over_capacity_requests_are_turned_away() {
        let s = PagingScenario { requests: vec![32, 32, 32, 32, 32], ..scenario() };
        let c = s.contiguous().unwrap();
        assert_eq!(c.admitted, vec![true, true, true, true, false]);
        let p = s.paged().unwrap();
        assert_eq!(p.admitted_count(), 4);
    }

    #[test]
    fn invalid_scenarios_are_errors() {
        assert!(PagingScenario { block_size: 0, ..scenario() }.paged().is_err());
        assert!(PagingScenario { capacity: u64::MAX, ..scenario() }.paged().is_err());
        assert!(PagingScenario { requests: vec![33], ..scenario() }.contiguous().is_err());
    }

    #[test]
    fn fit_in_budget() {
        // 10 GiB at 128 KiB/token = 81,920 tokens; 8K reservations → 10;
        // 1,000-token requests in 16-token blocks (63 blocks) → 81.
        assert_eq!(requests_that_fit(10 << 30, 128 << 10, 1000, 8192, 16), (10, 81));
        assert_eq!(requests_that_fit(1, 0, 1, 1, 1), (0, 0));
    }
}
