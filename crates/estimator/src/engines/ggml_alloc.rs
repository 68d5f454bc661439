//! ggml's graph allocator, reproduced: how large a compute buffer a ggml
//! graph needs.
//!
//! llama.cpp sizes its compute buffer by handing the worst-case graph to
//! ggml's graph allocator, which walks the graph in execution order, gives
//! every tensor an offset in one buffer as it is produced, frees it after
//! its last consumer has run and reuses a parent's memory in place when an
//! operation allows it. The buffer's size is the highest offset ever used.
//! This module is that walk, step for step, so the figure is the one
//! llama.cpp reports, not an approximation of it.
//!
//! Source, llama.cpp v0.5.0 (the build node-llama-cpp 3.22.1 ships),
//! `ggml/src/ggml-alloc.c`:
//! - `ggml_dyn_tallocr_alloc` / `ggml_dyn_tallocr_free_bytes`: a list of
//!   free blocks sorted by offset; an allocation takes the best-fitting
//!   block among all but the last (the smallest that fits, the later one on
//!   a tie), otherwise the last block, which grows the buffer; a free merges
//!   with the neighbouring blocks. Sizes are padded to the buffer type's
//!   alignment (32 bytes for the CPU backend, `TENSOR_ALIGNMENT` in
//!   `ggml/src/ggml-impl.h`). With the CPU buffer type's unlimited maximum
//!   size everything lives in one chunk.
//! - `ggml_gallocr_alloc_graph_impl`: leafs first, then the graph's inputs,
//!   then every node in order — its parents, itself, and then each parent
//!   whose children have all run (and whose views have all been released)
//!   is freed; graph outputs are never freed.
//! - `ggml_gallocr_allocate_node`: views and tensors that already live in
//!   another buffer (weights, the KV cache) take no space; an operation
//!   that may run in place (`ggml_op_can_inplace`) takes over a parent's
//!   memory when that parent is the allocator's own, not an output, has the
//!   same layout, is used by this node only and has no views, and gives
//!   back the tail when it is smaller (`ggml_gallocr_free_extra_space`).

use crate::gguf::GgmlType;

/// The ggml operations llmem's graphs use; what matters to the allocator
/// is whether an operation may run in place and whether it is a no-op leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A leaf: weights, the KV cache, an input.
    None,
    Add,
    AddId,
    Mul,
    Div,
    Scale,
    Clamp,
    Fill,
    RmsNorm,
    Rope,
    SoftMax,
    /// Element-wise activations (`GGML_OP_UNARY`: SiLU, GeLU, sigmoid …).
    Unary,
    /// Any other operation ggml lets run in place (`SUB`, `SQR`, …).
    OtherInplace,
    Norm,
    GetRows,
    SetRows,
    MulMat,
    MulMatId,
    Reshape,
    View,
    Permute,
    Transpose,
    Cont,
    Cpy,
    Concat,
    Repeat,
    SumRows,
    Argsort,
    TopK,
    FlashAttnExt,
    /// Gated activations (`GGML_OP_GLU`: SwiGLU, GeGLU …), never in place.
    Glu,
    /// Any other operation that never runs in place.
    Other,
}

impl Op {
    /// `ggml_op_can_inplace` in `ggml/src/ggml-alloc.c`.
    pub fn can_inplace(self) -> bool {
        matches!(
            self,
            Op::Add
                | Op::AddId
                | Op::Mul
                | Op::Div
                | Op::Scale
                | Op::Clamp
                | Op::Fill
                | Op::RmsNorm
                | Op::Rope
                | Op::SoftMax
                | Op::Unary
                | Op::OtherInplace
        )
    }

    /// The operation for a name `ggml_op_name` prints.
    pub fn from_ggml_name(name: &str) -> Op {
        match name {
            "NONE" => Op::None,
            "ADD" => Op::Add,
            "ADD_ID" => Op::AddId,
            "MUL" => Op::Mul,
            "DIV" => Op::Div,
            "SCALE" => Op::Scale,
            "CLAMP" => Op::Clamp,
            "FILL" => Op::Fill,
            "RMS_NORM" => Op::RmsNorm,
            "ROPE" => Op::Rope,
            "SOFT_MAX" => Op::SoftMax,
            "UNARY" => Op::Unary,
            "ADD1" | "SUB" | "SQR" | "SQRT" | "LOG" | "DIAG_MASK_ZERO" | "DIAG_MASK_INF" | "ROPE_BACK"
            | "SILU_BACK" | "RMS_NORM_BACK" | "SOFT_MAX_BACK" => Op::OtherInplace,
            "NORM" => Op::Norm,
            "GET_ROWS" => Op::GetRows,
            "SET_ROWS" => Op::SetRows,
            "MUL_MAT" => Op::MulMat,
            "MUL_MAT_ID" => Op::MulMatId,
            "RESHAPE" => Op::Reshape,
            "VIEW" => Op::View,
            "PERMUTE" => Op::Permute,
            "TRANSPOSE" => Op::Transpose,
            "CONT" => Op::Cont,
            "CPY" => Op::Cpy,
            "CONCAT" => Op::Concat,
            "REPEAT" => Op::Repeat,
            "SUM_ROWS" => Op::SumRows,
            "ARGSORT" => Op::Argsort,
            "TOP_K" => Op::TopK,
            "FLASH_ATTN_EXT" => Op::FlashAttnExt,
            "GLU" => Op::Glu,
            _ => Op::Other,
        }
    }
}

/// Index of a tensor in a [`Graph`].
pub type TensorId = usize;

/// One tensor as the allocator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub op: Op,
    pub ty: GgmlType,
    /// Elements per dimension (`ne`).
    pub ne: [u64; 4],
    /// Strides in bytes (`nb`).
    pub nb: [u64; 4],
    /// The tensor this one is a view of.
    pub view_src: Option<TensorId>,
    /// The operands, in order.
    pub src: Vec<TensorId>,
    /// `GGML_TENSOR_FLAG_INPUT`: allocated before any node runs.
    pub input: bool,
    /// `GGML_TENSOR_FLAG_OUTPUT`: never freed, never overwritten in place.
    pub output: bool,
    /// Lives in a buffer of its own (weights, the KV cache): no space here.
    pub external: bool,
}

impl Tensor {
    /// `ggml_nbytes`.
    pub fn nbytes(&self) -> u64 {
        if self.ne.contains(&0) {
            return 0;
        }
        let blck = self.ty.block_elems();
        if blck == 1 {
            self.ty.type_size() + (0..4).map(|i| (self.ne[i] - 1) * self.nb[i]).sum::<u64>()
        } else {
            self.ne[0] * self.nb[0] / blck + (1..4).map(|i| (self.ne[i] - 1) * self.nb[i]).sum::<u64>()
        }
    }

    fn is_view(&self) -> bool {
        self.view_src.is_some()
    }
}

/// A ggml graph: its tensors, and the execution order ggml's
/// `ggml_build_forward_expand` gives them (operations as `nodes`, constants
/// and inputs as `leafs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    pub tensors: Vec<Tensor>,
    pub nodes: Vec<TensorId>,
    pub leafs: Vec<TensorId>,
}

/// The free space of one buffer (`ggml_dyn_tallocr` with a single chunk):
/// free blocks sorted by offset, the last one unbounded.
struct DynAllocator {
    alignment: u64,
    /// (offset, size); the last block's size is effectively infinite.
    free: Vec<(u64, u64)>,
    max_size: u64,
}

const UNBOUNDED: u64 = u64::MAX / 2;

impl DynAllocator {
    fn new(alignment: u64) -> Self {
        DynAllocator { alignment, free: vec![(0, UNBOUNDED)], max_size: 0 }
    }

    fn align(&self, size: u64) -> u64 {
        size.div_ceil(self.alignment) * self.alignment
    }

    /// `ggml_dyn_tallocr_alloc`.
    fn alloc(&mut self, size: u64) -> u64 {
        let size = self.align(size);
        let last = self.free.len() - 1;
        let mut best = last;
        let mut best_size = u64::MAX;
        for (i, &(_, s)) in self.free[..last].iter().enumerate() {
            if s >= size && s <= best_size {
                best = i;
                best_size = s;
            }
        }
        let block = &mut self.free[best];
        let offset = block.0;
        block.0 += size;
        block.1 -= size;
        if block.1 == 0 {
            self.free.remove(best);
        }
        self.max_size = self.max_size.max(offset + size);
        offset
    }

    /// `ggml_dyn_tallocr_free_bytes`.
    fn free_bytes(&mut self, offset: u64, size: u64) {
        let size = self.align(size);
        for i in 0..self.free.len() {
            let (b_off, b_size) = self.free[i];
            if b_off + b_size == offset {
                self.free[i].1 += size;
                if i + 1 < self.free.len() && self.free[i].0 + self.free[i].1 == self.free[i + 1].0 {
                    self.free[i].1 += self.free[i + 1].1;
                    self.free.remove(i + 1);
                }
                return;
            }
            if offset + size == b_off {
                self.free[i].0 = offset;
                self.free[i].1 += size;
                if i > 0 && self.free[i - 1].0 + self.free[i - 1].1 == self.free[i].0 {
                    self.free[i - 1].1 += self.free[i].1;
                    self.free.remove(i);
                }
                return;
            }
        }
        let at = self.free.iter().position(|&(o, _)| o >= offset).unwrap_or(self.free.len());
        self.free.insert(at, (offset, size));
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct HashNode {
    n_children: u32,
    n_views: u32,
    offset: u64,
    allocated: bool,
}

/// The allocator's walk over one graph (`ggml_gallocr`).
struct GraphAllocator<'g> {
    graph: &'g Graph,
    state: Vec<HashNode>,
    buffer: DynAllocator,
}

impl GraphAllocator<'_> {
    fn is_allocated(&self, t: TensorId) -> bool {
        self.graph.tensors[t].external || self.state[t].allocated
    }

    fn same_layout(&self, a: TensorId, b: TensorId) -> bool {
        let (a, b) = (&self.graph.tensors[a], &self.graph.tensors[b]);
        a.ty == b.ty && a.ne == b.ne && a.nb == b.nb
    }

    /// `ggml_gallocr_free_extra_space`.
    fn free_extra_space(&mut self, node: TensorId, parent: TensorId) {
        let parent_size = self.buffer.align(self.graph.tensors[parent].nbytes());
        let node_size = self.buffer.align(self.graph.tensors[node].nbytes());
        if parent_size > node_size {
            let offset = self.state[parent].offset + node_size;
            self.buffer.free_bytes(offset, parent_size - node_size);
        }
    }

    /// `ggml_gallocr_allocate_node`.
    fn allocate(&mut self, node: TensorId) {
        let t = &self.graph.tensors[node];
        if self.is_allocated(node) || t.is_view() {
            return;
        }
        self.state[node].allocated = true;
        if t.op.can_inplace() {
            for &parent in &t.src {
                let p = &self.graph.tensors[parent];
                if !self.state[parent].allocated {
                    continue;
                }
                if p.output || p.view_src.is_some_and(|v| self.graph.tensors[v].output) {
                    continue;
                }
                if !self.same_layout(node, parent) {
                    continue;
                }
                let ph = self.state[parent];
                if ph.n_children == 1 && ph.n_views == 0 {
                    if let Some(view_src) = p.view_src {
                        let vh = self.state[view_src];
                        if vh.n_views == 1 && vh.n_children == 0 {
                            self.state[node].offset = ph.offset;
                            self.state[parent].allocated = false;
                            self.state[view_src].allocated = false;
                            self.free_extra_space(node, view_src);
                            return;
                        }
                    } else {
                        self.state[node].offset = ph.offset;
                        self.state[parent].allocated = false;
                        self.free_extra_space(node, parent);
                        return;
                    }
                }
            }
        }
        let size = t.nbytes();
        self.state[node].offset = self.buffer.alloc(size);
    }

    /// `ggml_gallocr_free_node`.
    fn free(&mut self, node: TensorId) {
        let t = &self.graph.tensors[node];
        if t.output {
            return;
        }
        self.buffer.free_bytes(self.state[node].offset, t.nbytes());
        self.state[node].allocated = false;
    }

    /// `ggml_gallocr_alloc_graph_impl`.
    fn run(&mut self) {
        let g = self.graph;
        for &leaf in &g.leafs {
            self.allocate(leaf);
        }
        for &node in &g.nodes {
            let t = &g.tensors[node];
            if let Some(v) = t.view_src {
                if t.op != Op::None {
                    self.state[v].n_views += 1;
                }
            }
            if t.input {
                self.allocate(node);
            }
            for &src in &t.src {
                self.state[src].n_children += 1;
                if g.tensors[src].input {
                    self.allocate(src);
                }
            }
        }
        for &node in &g.nodes {
            let t = &g.tensors[node];
            for &parent in &t.src {
                self.allocate(parent);
            }
            self.allocate(node);
            for &parent in &t.src {
                self.state[parent].n_children -= 1;
                let ph = self.state[parent];
                if ph.n_children == 0 && ph.n_views == 0 {
                    if let Some(view_src) = g.tensors[parent].view_src {
                        self.state[view_src].n_views -= 1;
                        let vh = self.state[view_src];
                        if vh.n_views == 0 && vh.n_children == 0 && vh.allocated {
                            self.free(view_src);
                        }
                    } else if ph.allocated {
                        self.free(parent);
                    }
                }
            }
        }
    }
}

/// The compute buffer ggml's graph allocator reserves for `graph` in a
/// buffer of the given alignment (`ggml_gallocr_reserve_n_size`).
pub fn reserve_size(graph: &Graph, alignment: u64) -> u64 {
    let mut a = GraphAllocator {
        graph,
        state: vec![HashNode::default(); graph.tensors.len()],
        buffer: DynAllocator::new(alignment),
    };
    a.run();
    a.buffer.max_size
}

/// The CPU backend's buffer alignment (`TENSOR_ALIGNMENT`).
pub const CPU_ALIGNMENT: u64 = 32;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(op: Op, bytes: u64, src: Vec<TensorId>) -> Tensor {
        Tensor {
            op,
            ty: GgmlType::F32,
            ne: [bytes / 4, 1, 1, 1],
            nb: [4, bytes, bytes, bytes],
            view_src: None,
            src,
            input: false,
            output: false,
            external: false,
        }
    }

    /// A chain a → b → c of in-place operations reuses one block; a matrix
    /// product cannot run in place and needs a second.
    #[test]
    fn in_place_chain_and_a_product() {
        let mut g = Graph::default();
        g.tensors.push(Tensor { external: true, ..t(Op::None, 64, vec![]) }); // 0 weight
        g.tensors.push(Tensor { input: true, ..t(Op::None, 64, vec![]) }); // 1 input
        g.tensors.push(t(Op::Mul, 64, vec![1, 0])); // 2
        g.tensors.push(t(Op::Add, 64, vec![2, 0])); // 3
        g.tensors.push(t(Op::MulMat, 64, vec![0, 3])); // 4
        g.leafs = vec![0, 1];
        g.nodes = vec![2, 3, 4];
        // The input leaf is the allocator's own and used once, so MUL takes
        // over its memory and ADD takes over MUL's; MUL_MAT needs its own.
        assert_eq!(reserve_size(&g, 32), 128);
        // An output is never overwritten in place.
        g.tensors[2].output = true;
        assert_eq!(reserve_size(&g, 32), 192);
    }

    /// A freed block that fits is reused before the buffer grows; the best
    /// fit wins.
    #[test]
    fn best_fit_reuses_a_hole() {
        let mut a = DynAllocator::new(32);
        let x = a.alloc(100); // 0..128
        let y = a.alloc(64); // 128..192
        let _z = a.alloc(32); // 192..224
        a.free_bytes(x, 100);
        a.free_bytes(y, 64); // merges into 0..192
        assert_eq!(a.alloc(150), 0); // 0..160, leaving 160..192 free
        assert_eq!(a.alloc(40), 224); // 64 bytes: the hole is too small, the buffer grows
        assert_eq!(a.max_size, 288);
        assert_eq!(a.alloc(20), 160); // 32 bytes: the hole fits exactly
    }
}
