//! The graph llama.cpp reserves its compute buffer for, rebuilt operation
//! by operation so that [`super::ggml_alloc`] can size it as ggml does.
//!
//! llama.cpp builds one worst-case graph at start-up —
//! `llama_context::sched_reserve` in `src/llama-context.cpp`: a prompt
//! batch of `min(n_ctx, n_ubatch)` tokens split over `n_seq_max` streams,
//! every token an output, attending to the whole cache — and the compute
//! buffer is what ggml's allocator needs to run it. What the allocator
//! needs depends on every tensor's size and on the order the operations
//! run in, so this module reproduces both: each ggml operation with its
//! operands in ggml's order and its result's shape (`ggml/src/ggml.c`), and
//! the execution order `ggml_build_forward_expand` gives them (a depth-first
//! walk over operands, from each tensor the model code expands, in the
//! order it expands them).
//!
//! The graphs follow llama.cpp v0.5.0 (node-llama-cpp 3.22.1):
//! `src/llama-graph.cpp` (`build_inp_embd`, `build_norm`, `build_qkv`,
//! `build_attn` with `build_attn_mha`, `build_ffn`, `build_moe_ffn`),
//! `src/llama-kv-cache.cpp` (`cpy_k`, `cpy_v`, `get_k`, `get_v`, the
//! Hadamard rotation inputs of a quantized cache), `src/llama-impl.h`
//! (`llama_mul_mat_hadamard`) and each architecture's graph under
//! `src/models/`. The test suite checks the resulting buffer against real
//! llama.cpp for every architecture listed in [`graph_arch`].

use super::ggml_alloc::{Graph, Op, Tensor, TensorId};
use crate::arch::{Attention, Ffn, ModelArch, QkNorm};
use crate::families::Family;
use crate::gguf::GgmlType;

/// The shape of the reserved batch and cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphShape {
    /// Tokens in the batch (`min(n_ctx, n_ubatch)`, rounded up to a
    /// multiple of the streams).
    pub n_tokens: u64,
    /// Sequences with a cache of their own (`n_seq_max`; llama.cpp's
    /// default is one stream per sequence).
    pub n_stream: u64,
    /// Cache cells per stream the batch attends to.
    pub n_kv: u64,
    /// Cells per stream of the sliding-window cache (Gemma 2/3, gpt-oss).
    pub n_kv_swa: u64,
    pub flash_attn: bool,
    pub type_k: GgmlType,
    pub type_v: GgmlType,
}

/// Which of llama.cpp's graphs a model runs, if llmem rebuilds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphArch {
    /// `src/models/llama.cpp` (Llama, Mistral, Mixtral).
    Llama,
    /// `src/models/qwen2.cpp`.
    Qwen2,
    /// `src/models/qwen3.cpp`.
    Qwen3,
    /// `src/models/qwen3moe.cpp`.
    Qwen3Moe,
    /// `src/models/phi3.cpp` (fused QKV, fused gate and up).
    Phi3,
    /// `src/models/gemma2.cpp` (soft-capped attention and logits, a
    /// sliding-window cache of its own).
    Gemma2,
    /// `src/models/gemma3.cpp`.
    Gemma3,
    /// `src/models/openai-moe.cpp` (gpt-oss: attention sinks, biased
    /// experts, a sliding-window cache of its own).
    GptOss,
    /// `src/models/deepseek2.cpp` with multi-head latent attention: the
    /// cache holds the latent and the RoPE key only (`build_attn_inp_k`),
    /// the query absorbs the key up-projection and the output the value
    /// up-projection.
    Deepseek2,
}

impl GraphArch {
    /// Sliding-window layers get a cache of their own
    /// (`llama_kv_cache_iswa`).
    fn iswa(self) -> bool {
        matches!(self, GraphArch::Gemma2 | GraphArch::Gemma3 | GraphArch::GptOss)
    }
}

/// The graph a family runs in llama.cpp, when llmem rebuilds it.
pub fn graph_arch(arch: &ModelArch) -> Option<GraphArch> {
    if arch.layers.iter().any(|l| l.attention.is_none()) {
        return None;
    }
    if let Some(Attention::Latent(m)) = &arch.attention {
        let deepseek = matches!(arch.family, Family::DeepseekV2 | Family::DeepseekV3);
        return (deepseek && !m.bias).then_some(GraphArch::Deepseek2);
    }
    match arch.family {
        Family::Llama | Family::Mistral | Family::Mixtral => Some(GraphArch::Llama),
        Family::Qwen2 => Some(GraphArch::Qwen2),
        Family::Qwen3 => Some(GraphArch::Qwen3),
        Family::Qwen3Moe => Some(GraphArch::Qwen3Moe),
        Family::Phi3 => Some(GraphArch::Phi3),
        Family::Gemma2 => Some(GraphArch::Gemma2),
        Family::Gemma3 | Family::Gemma3Text => Some(GraphArch::Gemma3),
        Family::GptOss => Some(GraphArch::GptOss),
        _ => None,
    }
}

/// `ggml_row_size`.
fn row_size(ty: GgmlType, n: u64) -> u64 {
    ty.type_size() * n / ty.block_elems()
}

/// Strides of a contiguous tensor (`ggml_new_tensor_impl`).
fn contiguous_nb(ty: GgmlType, ne: [u64; 4]) -> [u64; 4] {
    let mut nb = [0; 4];
    nb[0] = ty.type_size();
    nb[1] = nb[0] * (ne[0] / ty.block_elems());
    nb[2] = nb[1] * ne[1];
    nb[3] = nb[2] * ne[2];
    nb
}

/// A ggml context and graph under construction.
struct Ctx {
    g: Graph,
    visited: Vec<bool>,
}

impl Ctx {
    fn push(&mut self, t: Tensor) -> TensorId {
        self.g.tensors.push(t);
        self.visited.push(false);
        self.g.tensors.len() - 1
    }

    fn t(&self, id: TensorId) -> &Tensor {
        &self.g.tensors[id]
    }

    fn ne(&self, id: TensorId) -> [u64; 4] {
        self.g.tensors[id].ne
    }

    fn nb(&self, id: TensorId) -> [u64; 4] {
        self.g.tensors[id].nb
    }

    fn nelements(&self, id: TensorId) -> u64 {
        self.ne(id).iter().product()
    }

    /// A weight or cache tensor: it lives in a buffer of its own.
    fn external(&mut self, ty: GgmlType, ne: [u64; 4]) -> TensorId {
        self.push(Tensor {
            op: Op::None,
            ty,
            ne,
            nb: contiguous_nb(ty, ne),
            view_src: None,
            src: vec![],
            input: false,
            output: false,
            external: true,
        })
    }

    /// `ggml_new_tensor` + `ggml_set_input`.
    fn input(&mut self, ty: GgmlType, ne: [u64; 4]) -> TensorId {
        self.push(Tensor {
            op: Op::None,
            ty,
            ne,
            nb: contiguous_nb(ty, ne),
            view_src: None,
            src: vec![],
            input: true,
            output: false,
            external: false,
        })
    }

    /// A new contiguous tensor computed by `op` from `src`.
    fn op(&mut self, op: Op, ty: GgmlType, ne: [u64; 4], src: &[TensorId]) -> TensorId {
        self.push(Tensor {
            op,
            ty,
            ne,
            nb: contiguous_nb(ty, ne),
            view_src: None,
            src: src.to_vec(),
            input: false,
            output: false,
            external: false,
        })
    }

    /// `ggml_dup_tensor(a)` as the result of `op` on `src`.
    fn same_as(&mut self, op: Op, a: TensorId, src: &[TensorId]) -> TensorId {
        let (ty, ne) = (self.t(a).ty, self.ne(a));
        self.op(op, ty, ne, src)
    }

    /// A view of `a` (`ggml_view_impl`, `ggml_reshape_*`, `ggml_permute` …):
    /// its `view_src` is the tensor that owns the memory.
    fn view(&mut self, op: Op, a: TensorId, ne: [u64; 4], nb: [u64; 4]) -> TensorId {
        let root = self.t(a).view_src.unwrap_or(a);
        let ty = self.t(a).ty;
        self.push(Tensor {
            op,
            ty,
            ne,
            nb,
            view_src: Some(root),
            src: vec![a],
            input: false,
            output: false,
            external: false,
        })
    }

    fn reshape(&mut self, a: TensorId, ne: [u64; 4]) -> TensorId {
        let nb = contiguous_nb(self.t(a).ty, ne);
        self.view(Op::Reshape, a, ne, nb)
    }

    /// `ggml_view_4d` (and the 2-d and 3-d forms with trailing ones).
    fn view_nd(&mut self, a: TensorId, ne: [u64; 4], nb123: [u64; 3]) -> TensorId {
        let nb0 = self.t(a).ty.type_size();
        self.view(Op::View, a, ne, [nb0, nb123[0], nb123[1], nb123[2]])
    }

    /// `ggml_permute(a, 0, 2, 1, 3)`, the only permutation the graphs use.
    fn permute_0213(&mut self, a: TensorId) -> TensorId {
        let (ne, nb) = (self.ne(a), self.nb(a));
        self.view(Op::Permute, a, [ne[0], ne[2], ne[1], ne[3]], [nb[0], nb[2], nb[1], nb[3]])
    }

    /// `ggml_is_contiguous` (`ggml_is_contiguous_n(t, 0)` in `ggml.c`).
    fn is_contiguous(&self, id: TensorId) -> bool {
        let t = self.t(id);
        let blck = t.ty.block_elems();
        let mut next = t.ty.type_size();
        if t.ne[0] != blck && t.nb[0] != next {
            return false;
        }
        next *= t.ne[0] / blck;
        for i in 1..4 {
            if t.ne[i] != 1 {
                if t.nb[i] != next {
                    return false;
                }
                next *= t.ne[i];
            }
        }
        true
    }

    fn mul_mat(&mut self, a: TensorId, b: TensorId) -> TensorId {
        let (na, nb) = (self.ne(a), self.ne(b));
        self.op(Op::MulMat, GgmlType::F32, [na[1], nb[1], nb[2], nb[3]], &[a, b])
    }

    /// `ggml_mul_mat_id(as, b, ids)`.
    fn mul_mat_id(&mut self, experts: TensorId, b: TensorId, ids: TensorId) -> TensorId {
        let ne = [self.ne(experts)[1], self.ne(ids)[0], self.ne(b)[2], 1];
        self.op(Op::MulMatId, GgmlType::F32, ne, &[experts, b, ids])
    }

    fn get_rows(&mut self, a: TensorId, rows: TensorId) -> TensorId {
        let (na, nr) = (self.ne(a), self.ne(rows));
        let ty = if self.t(a).ty == GgmlType::I32 { GgmlType::I32 } else { GgmlType::F32 };
        self.op(Op::GetRows, ty, [na[0], nr[0], nr[1], nr[2]], &[a, rows])
    }

    /// `ggml_set_rows(dst, values, rows)`: a view of `dst`.
    fn set_rows(&mut self, dst: TensorId, values: TensorId, rows: TensorId) -> TensorId {
        let (ne, nb) = (self.ne(dst), self.nb(dst));
        let v = self.view(Op::SetRows, dst, ne, nb);
        self.g.tensors[v].src = vec![values, rows, dst];
        v
    }

    fn unary(&mut self, op: Op, a: TensorId) -> TensorId {
        self.same_as(op, a, &[a])
    }

    fn binary(&mut self, op: Op, a: TensorId, b: TensorId) -> TensorId {
        self.same_as(op, a, &[a, b])
    }

    fn rope(&mut self, a: TensorId, pos: TensorId, factors: Option<TensorId>) -> TensorId {
        let mut src = vec![a, pos];
        src.extend(factors);
        self.same_as(Op::Rope, a, &src)
    }

    /// `ggml_cont_2d` / `ggml_cont_4d`.
    fn cont(&mut self, a: TensorId, ne: [u64; 4]) -> TensorId {
        let ty = self.t(a).ty;
        self.op(Op::Cont, ty, ne, &[a])
    }

    /// `ggml_concat(a, b, dim)`.
    fn concat(&mut self, a: TensorId, b: TensorId, dim: usize) -> TensorId {
        let mut ne = self.ne(a);
        ne[dim] += self.ne(b)[dim];
        let ty = self.t(a).ty;
        self.op(Op::Concat, ty, ne, &[a, b])
    }

    /// `ggml_transpose`.
    fn transpose(&mut self, a: TensorId) -> TensorId {
        let (ne, nb) = (self.ne(a), self.nb(a));
        self.view(Op::Transpose, a, [ne[1], ne[0], ne[2], ne[3]], [nb[1], nb[0], nb[2], nb[3]])
    }

    /// `ggml_argsort_top_k`: the first `k` columns of a descending argsort.
    fn argsort_top_k(&mut self, a: TensorId, k: u64) -> TensorId {
        let ne = self.ne(a);
        let sorted = self.op(Op::Argsort, GgmlType::I32, ne, &[a]);
        let nb = self.nb(sorted);
        self.view_nd(sorted, [k, ne[1], ne[2], ne[3]], [nb[1], nb[2], nb[3]])
    }

    /// `llama_mul_mat_hadamard`.
    fn hadamard(&mut self, cur: TensorId, rot: TensorId) -> TensorId {
        let n = self.ne(rot)[0];
        let rows = self.nelements(cur) / n;
        let res =
            if self.is_contiguous(cur) { self.reshape(cur, [n, rows, 1, 1]) } else { self.cont(cur, [n, rows, 1, 1]) };
        let res = self.mul_mat(rot, res);
        let ne = self.ne(cur);
        self.reshape(res, ne)
    }

    /// `ggml_build_forward_expand`: appends `t` and every operand not yet
    /// in the graph, operands first (`ggml_visit_parents_graph`).
    fn expand(&mut self, t: TensorId) {
        if self.visited[t] {
            return;
        }
        self.visited[t] = true;
        for i in 0..self.g.tensors[t].src.len() {
            let s = self.g.tensors[t].src[i];
            self.expand(s);
        }
        if self.g.tensors[t].op == Op::None {
            self.g.leafs.push(t);
        } else {
            self.g.nodes.push(t);
        }
    }
}

/// The inputs one KV cache gives the graph (`build_attn_inp_kv`, or each
/// half of `build_attn_inp_kv_iswa`).
struct CacheInputs {
    k_idxs: TensorId,
    v_idxs: TensorId,
    mask: TensorId,
    k_rot: Option<TensorId>,
    v_rot: Option<TensorId>,
    /// Cells per stream.
    n_kv: u64,
}

/// The number of rotation channels for K (`build_input_k_rot`).
fn k_rot_size(head_dim: u64) -> u64 {
    let mut n = 64;
    loop {
        n *= 2;
        if head_dim % n != 0 {
            break;
        }
    }
    n / 2
}

fn cache_inputs(c: &mut Ctx, s: &GraphShape, n_kv: u64, n_gqa: u64) -> CacheInputs {
    let n_tok = s.n_tokens;
    let k_idxs = c.input(GgmlType::I64, [n_tok, 1, 1, 1]);
    let v_idxs = c.input(GgmlType::I64, [if s.flash_attn { n_tok } else { n_tok * n_gqa }, 1, 1, 1]);
    let mask_ty = if s.flash_attn { GgmlType::F16 } else { GgmlType::F32 };
    let mask = c.input(mask_ty, [n_kv, n_tok / s.n_stream, 1, s.n_stream]);
    CacheInputs { k_idxs, v_idxs, mask, k_rot: None, v_rot: None, n_kv }
}

/// The rotation inputs of a quantized cache (`build_input_k_rot`,
/// `build_input_v_rot`; `attn_rot_k`/`attn_rot_v` in
/// `llama_kv_cache::llama_kv_cache`).
fn rotations(c: &mut Ctx, s: &GraphShape, head_dim: u64, inp: &mut CacheInputs) {
    if s.type_k.is_quantized() && head_dim % 64 == 0 {
        let n = k_rot_size(head_dim);
        inp.k_rot = Some(c.input(GgmlType::F32, [n, n, 1, 1]));
    }
    if s.type_v.is_quantized() && head_dim % 64 == 0 {
        inp.v_rot = Some(c.input(GgmlType::F32, [64, 64, 1, 1]));
    }
}

/// What differs between the architectures' attention blocks.
struct AttnOptions {
    /// `build_attn` for one cache expands q, v, k; the sliding-window form
    /// expands q, k, v.
    iswa: bool,
    /// Gemma 2's soft-capped scores (three extra operations without flash
    /// attention).
    soft_cap: bool,
    /// gpt-oss's per-head sink logits (a weight).
    sinks: Option<TensorId>,
}

/// llama.cpp's worst-case prompt graph for `arch`, or `None` when llmem
/// does not rebuild that architecture's graph.
pub fn build(arch: &ModelArch, s: &GraphShape) -> Option<Graph> {
    let kind = graph_arch(arch)?;
    if kind == GraphArch::Deepseek2 {
        return build_deepseek2(arch, s);
    }
    let Some(Attention::Standard(a)) = &arch.attention else { return None };
    if a.output_gate || a.qk_norm == QkNorm::PerHead || a.num_kv_heads == 0 {
        return None;
    }
    if a.fused_qkv != (kind == GraphArch::Phi3) || a.sinks != (kind == GraphArch::GptOss) {
        return None;
    }
    if s.n_stream == 0 || s.n_tokens % s.n_stream != 0 {
        return None;
    }
    let f32 = GgmlType::F32;
    let (e, n_tok) = (arch.hidden_size, s.n_tokens);
    let (hd, n_head, n_kv_head) = (a.head_dim, a.num_heads, a.num_kv_heads);
    let (n_q, n_gqa) = (hd * n_head, hd * n_kv_head);
    let gemma = matches!(kind, GraphArch::Gemma2 | GraphArch::Gemma3);
    let mut c = Ctx { g: Graph::default(), visited: Vec::new() };

    // build_inp_embd: the token path and the embeddings path, both in the
    // graph (ggml_build_forward_select), the token path computed.
    let tok_embd = c.external(f32, [e, arch.vocab_size, 1, 1]);
    let tokens = c.input(GgmlType::I32, [n_tok, 1, 1, 1]);
    let inp_embd = c.input(f32, [e, n_tok, 1, 1]);
    let mut inp_l = c.get_rows(tok_embd, tokens);
    c.expand(inp_l);
    c.expand(inp_embd);
    if gemma {
        // Gemma scales the embeddings by √n_embd.
        inp_l = c.unary(Op::Scale, inp_l);
    }
    let pos = c.input(GgmlType::I32, [n_tok, 1, 1, 1]);

    // build_attn_inp_kv, or build_attn_inp_kv_iswa (base cache, then the
    // sliding-window cache, then each one's rotations).
    let mut base = cache_inputs(&mut c, s, s.n_kv, n_gqa);
    let mut swa = kind.iswa().then(|| cache_inputs(&mut c, s, s.n_kv_swa, n_gqa));
    rotations(&mut c, s, hd, &mut base);
    if let Some(swa) = swa.as_mut() {
        rotations(&mut c, s, hd, swa);
    }
    let out_ids = c.input(GgmlType::I32, [n_tok, 1, 1, 1]);
    // RoPE frequency factors: Llama 3's `rope_freqs`, Phi-3's long or short
    // factors (`llama_model::get_rope_factors`), one tensor for all layers.
    let rope_kind = arch.rope_scaling.as_ref().map(|r| r.kind.as_str());
    let rope_freqs = match (kind, rope_kind) {
        (GraphArch::Llama, Some("llama3")) | (GraphArch::Phi3, Some("longrope" | "su")) => {
            Some(c.external(f32, [arch.rotary_dims / 2, 1, 1, 1]))
        }
        _ => None,
    };
    let rms = |c: &mut Ctx, x: TensorId, width: u64| {
        let n = c.unary(Op::RmsNorm, x);
        let w = c.external(f32, [width, 1, 1, 1]);
        c.binary(Op::Mul, n, w)
    };

    let n_layer = arch.layers.len();
    for (il, layer) in arch.layers.iter().enumerate() {
        let last = il == n_layer - 1;
        let inp_sa = inp_l;
        let cur = rms(&mut c, inp_l, e);

        // build_qkv
        let (mut q, mut k, v) = if a.fused_qkv {
            let w = c.external(f32, [e, n_q + 2 * n_gqa, 1, 1]);
            let qkv = c.mul_mat(w, cur);
            let row = c.nb(qkv)[1];
            let view = |c: &mut Ctx, heads: u64| c.view_nd(qkv, [hd, heads, n_tok, 1], [4 * hd, row, row * n_tok]);
            (view(&mut c, n_head), view(&mut c, n_kv_head), view(&mut c, n_kv_head))
        } else {
            let proj = |c: &mut Ctx, width: u64, heads: u64| {
                let w = c.external(f32, [e, width, 1, 1]);
                let mut x = c.mul_mat(w, cur);
                if a.qkv_bias {
                    let b = c.external(f32, [width, 1, 1, 1]);
                    x = c.binary(Op::Add, x, b);
                }
                c.reshape(x, [hd, heads, n_tok, 1])
            };
            (proj(&mut c, n_q, n_head), proj(&mut c, n_gqa, n_kv_head), proj(&mut c, n_gqa, n_kv_head))
        };
        let qk_norm = a.qk_norm == QkNorm::SharedAcrossHeads;
        if qk_norm {
            q = rms(&mut c, q, hd);
        }
        q = c.rope(q, pos, rope_freqs);
        if qk_norm {
            k = rms(&mut c, k, hd);
        }
        k = c.rope(k, pos, rope_freqs);
        if matches!(kind, GraphArch::Phi3 | GraphArch::Gemma2 | GraphArch::Gemma3) {
            // The query's scale, applied before attention.
            q = c.unary(Op::Scale, q);
        }

        let sliding = matches!(layer.attention, Some(crate::arch::AttentionSpan::Sliding(_)));
        let inp = match (&swa, sliding) {
            (Some(swa), true) => swa,
            _ => &base,
        };
        let opts = AttnOptions {
            iswa: kind.iswa(),
            soft_cap: kind == GraphArch::Gemma2,
            sinks: a.sinks.then(|| c.external(f32, [n_head, 1, 1, 1])),
        };
        let cur = attention(&mut c, inp, &opts, s, q, k, v, (hd, n_kv_head));
        let wo = c.external(f32, [n_q, e, 1, 1]);
        let mut cur = c.mul_mat(wo, cur);
        if a.out_bias {
            let b = c.external(f32, [e, 1, 1, 1]);
            cur = c.binary(Op::Add, cur, b);
        }
        let mut inp_sa = inp_sa;
        // gpt-oss selects the output rows after the last layer instead.
        if last && kind != GraphArch::GptOss {
            cur = c.get_rows(cur, out_ids);
            inp_sa = c.get_rows(inp_sa, out_ids);
        }
        if gemma {
            cur = rms(&mut c, cur, e);
        }
        let ffn_inp = c.binary(Op::Add, cur, inp_sa);
        let cur = rms(&mut c, ffn_inp, e);
        let out = match (layer.ffn, &arch.moe) {
            (Ffn::Moe, Some(moe)) => {
                if moe.shared_intermediate_size > 0 || !moe.gated {
                    return None;
                }
                let oai = kind == GraphArch::GptOss;
                if moe.expert_bias != oai {
                    return None;
                }
                let router = if oai { Router::GPT_OSS } else { Router::SOFTMAX_NORMALISED };
                moe_ffn(&mut c, cur, e, moe.num_experts, moe.experts_per_token, moe.expert_intermediate_size, router)
            }
            (Ffn::Dense, _) => {
                let ff = arch.mlp.intermediate_size;
                if kind == GraphArch::Phi3 {
                    // build_ffn(up, no gate, SWIGLU, SEQ): one fused
                    // gate-and-up product, halved by the gated activation.
                    let up_w = c.external(f32, [e, 2 * ff, 1, 1]);
                    let up = c.mul_mat(up_w, cur);
                    let act = c.op(Op::Glu, f32, [ff, n_tok, 1, 1], &[up]);
                    let down = c.external(f32, [ff, e, 1, 1]);
                    c.mul_mat(down, act)
                } else {
                    // Gemma's GeGLU has the same shape as SwiGLU.
                    swiglu_ffn(&mut c, cur, e, ff)
                }
            }
            _ => return None,
        };
        inp_l = match kind {
            GraphArch::Phi3 => c.binary(Op::Add, ffn_inp, out),
            _ if gemma => {
                let out = rms(&mut c, out, e);
                c.binary(Op::Add, out, ffn_inp)
            }
            _ => c.binary(Op::Add, out, ffn_inp),
        };
    }
    if kind == GraphArch::GptOss {
        // The last hidden state is kept for multi-token prediction
        // (`t_h_nextn`, an output) and the output rows are picked after it.
        c.g.tensors[inp_l].output = true;
        inp_l = c.get_rows(inp_l, out_ids);
    }
    let result_norm = rms(&mut c, inp_l, e);
    // Tied embeddings: the output projection is the token embedding tensor.
    let output = if arch.tie_word_embeddings { tok_embd } else { c.external(f32, [e, arch.vocab_size, 1, 1]) };
    let mut logits = c.mul_mat(output, result_norm);
    if kind == GraphArch::Gemma2 {
        // Final logit soft-capping: scale, tanh, scale.
        logits = c.unary(Op::Scale, logits);
        logits = c.unary(Op::Unary, logits);
        logits = c.unary(Op::Scale, logits);
    }
    c.expand(logits);
    // `llm_graph_result::set_outputs` marks the embeddings and logits (and
    // `t_h_nextn`, above) as graph outputs.
    c.g.tensors[result_norm].output = true;
    c.g.tensors[logits].output = true;
    Some(c.g)
}

/// `build_ffn` with a gated SiLU (`LLM_FFN_SILU`, `LLM_FFN_PAR`).
fn swiglu_ffn(c: &mut Ctx, cur: TensorId, e: u64, ff: u64) -> TensorId {
    let f32 = GgmlType::F32;
    let up_w = c.external(f32, [e, ff, 1, 1]);
    let up = c.mul_mat(up_w, cur);
    let gate_w = c.external(f32, [e, ff, 1, 1]);
    let gate = c.mul_mat(gate_w, cur);
    let act = c.same_as(Op::Glu, gate, &[gate, up]);
    let down = c.external(f32, [ff, e, 1, 1]);
    c.mul_mat(down, act)
}

/// DeepSeek-V2 and V3's graph (`src/models/deepseek2.cpp`, the MLA branch,
/// and `build_attn` for `llm_graph_input_attn_k`).
fn build_deepseek2(arch: &ModelArch, s: &GraphShape) -> Option<Graph> {
    let Some(Attention::Latent(m)) = &arch.attention else { return None };
    if s.n_stream == 0 || s.n_tokens % s.n_stream != 0 {
        return None;
    }
    let f32 = GgmlType::F32;
    let (e, n_tok, ns) = (arch.hidden_size, s.n_tokens, s.n_stream);
    let n_head = m.num_heads;
    let (nope, rope, rank) = (m.qk_nope_head_dim, m.qk_rope_head_dim, m.kv_lora_rank);
    let head_k = nope + rope;
    let width = rank + rope;
    let mut c = Ctx { g: Graph::default(), visited: Vec::new() };
    let tok_embd = c.external(f32, [e, arch.vocab_size, 1, 1]);
    let tokens = c.input(GgmlType::I32, [n_tok, 1, 1, 1]);
    let inp_embd = c.input(f32, [e, n_tok, 1, 1]);
    let mut inp_l = c.get_rows(tok_embd, tokens);
    c.expand(inp_l);
    c.expand(inp_embd);
    let pos = c.input(GgmlType::I32, [n_tok, 1, 1, 1]);
    // build_attn_inp_k: indices and a mask, no V cache, no rotation.
    let k_idxs = c.input(GgmlType::I64, [n_tok, 1, 1, 1]);
    let mask_ty = if s.flash_attn { GgmlType::F16 } else { f32 };
    let mask = c.input(mask_ty, [s.n_kv, n_tok / ns, 1, ns]);
    let out_ids = c.input(GgmlType::I32, [n_tok, 1, 1, 1]);
    let rms = |c: &mut Ctx, x: TensorId, width: u64| {
        let n = c.unary(Op::RmsNorm, x);
        let w = c.external(f32, [width, 1, 1, 1]);
        c.binary(Op::Mul, n, w)
    };
    let n_layer = arch.layers.len();
    for (il, layer) in arch.layers.iter().enumerate() {
        let inp_sa = inp_l;
        let cur = rms(&mut c, inp_l, e);
        let q = match m.q_lora_rank {
            // DeepSeek-V2 and V3 compress the query: down, norm, up.
            Some(r) => {
                let wq_a = c.external(f32, [e, r, 1, 1]);
                let q = c.mul_mat(wq_a, cur);
                let q = rms(&mut c, q, r);
                let wq_b = c.external(f32, [r, n_head * head_k, 1, 1]);
                c.mul_mat(wq_b, q)
            }
            None => {
                let wq = c.external(f32, [e, n_head * head_k, 1, 1]);
                c.mul_mat(wq, cur)
            }
        };
        let q = c.reshape(q, [head_k, n_head, n_tok, 1]);
        let wkv_a = c.external(f32, [e, width, 1, 1]);
        let kv_cmpr_pe = c.mul_mat(wkv_a, cur);
        let row = 4 * width;
        let kv_cmpr = c.view_nd(kv_cmpr_pe, [rank, n_tok, 1, 1], [row, row * n_tok, row * n_tok]);
        let k_pe = c.view_nd(kv_cmpr_pe, [rope, 1, n_tok, 1], [row, row, row * n_tok]);
        let k_pe = c.rope(k_pe, pos, None);
        let kv_cmpr = rms(&mut c, kv_cmpr, rank);
        let (qnb1, qnb2) = (c.nb(q)[1], c.nb(q)[2]);
        let q_nope = c.view_nd(q, [nope, n_head, n_tok, 1], [qnb1, qnb2, qnb2 * n_tok]);
        let q_pe = c.view_nd(q, [rope, n_head, n_tok, 1], [qnb1, qnb2, qnb2 * n_tok]);
        let q_pe = c.rope(q_pe, pos, None);
        let q_nope = c.permute_0213(q_nope);
        let wk_b = c.external(f32, [nope, rank, n_head, 1]);
        let absorbed = c.mul_mat(wk_b, q_nope);
        let absorbed = c.permute_0213(absorbed);
        let q_cur = c.concat(absorbed, q_pe, 0);
        let kv_cmpr = c.reshape(kv_cmpr, [rank, 1, n_tok, 1]);
        let k_cur = c.concat(kv_cmpr, k_pe, 0);
        let v_cur = kv_cmpr;
        let wv_b = c.external(f32, [rank, m.v_head_dim, n_head, 1]);

        // build_attn (K-only cache)
        c.expand(q_cur);
        c.expand(v_cur);
        c.expand(k_cur);
        let kv_size = s.n_kv;
        let cache = c.external(s.type_k, [width, kv_size, ns, 1]);
        let k_nb2 = c.nb(k_cur)[2];
        let k_flat = c.view_nd(k_cur, [width, n_tok, 1, 1], [k_nb2, k_nb2 * n_tok, k_nb2 * n_tok]);
        let dst = if ns > 1 { c.reshape(cache, [width, kv_size * ns, 1, 1]) } else { cache };
        let store = c.set_rows(dst, k_flat, k_idxs);
        c.expand(store);
        let tk = s.type_k;
        let (r, rw) = (row_size(tk, width), row_size(tk, width * kv_size));
        let k = c.view_nd(cache, [width, 1, kv_size, ns], [r, r, rw]);
        let knb = c.nb(k);
        let v = c.view_nd(k, [rank, 1, kv_size, ns], [knb[1], knb[2], knb[3]]);
        // build_attn_mha with v_mla
        let (qne, qnb) = (c.ne(q_cur), c.nb(q_cur));
        let qv = c.view_nd(q_cur, [qne[0], qne[1], qne[2] / ns, ns], [qnb[1], qnb[2], qnb[3] / ns]);
        let qp = c.permute_0213(qv);
        let kp = c.permute_0213(k);
        let vp = c.permute_0213(v);
        let cur = if s.flash_attn {
            let ne = [c.ne(vp)[0], c.ne(qp)[2], c.ne(qp)[1], c.ne(qp)[3]];
            let fa = c.op(Op::FlashAttnExt, f32, ne, &[qp, kp, vp, mask]);
            let x = c.permute_0213(fa);
            let x = c.mul_mat(wv_b, x);
            let x = c.permute_0213(x);
            let ne = c.ne(x);
            let x = c.cont(x, ne);
            let ne = c.ne(x);
            c.reshape(x, [ne[0] * ne[1], ne[2] * ne[3], 1, 1])
        } else {
            let kq = c.mul_mat(kp, qp);
            let kq = c.same_as(Op::SoftMax, kq, &[kq, mask]);
            let vt = c.transpose(vp);
            let ne = c.ne(vt);
            let vc = c.cont(vt, ne);
            let kqv = c.mul_mat(vc, kq);
            let kqv = c.mul_mat(wv_b, kqv);
            let p = c.permute_0213(kqv);
            let ne = c.ne(p);
            c.cont(p, [ne[0] * ne[1], ne[2] * ne[3], 1, 1])
        };
        c.expand(cur);
        let wo = c.external(f32, [n_head * m.v_head_dim, e, 1, 1]);
        let mut cur = c.mul_mat(wo, cur);
        let mut inp_sa = inp_sa;
        if il == n_layer - 1 {
            cur = c.get_rows(cur, out_ids);
            inp_sa = c.get_rows(inp_sa, out_ids);
        }
        let ffn_inp = c.binary(Op::Add, cur, inp_sa);
        let cur = rms(&mut c, ffn_inp, e);
        let out = match (layer.ffn, &arch.moe) {
            (Ffn::Dense, _) => swiglu_ffn(&mut c, cur, e, arch.mlp.intermediate_size),
            (Ffn::Moe, Some(moe)) => {
                let routed = moe_ffn(
                    &mut c,
                    cur,
                    e,
                    moe.num_experts,
                    moe.experts_per_token,
                    moe.expert_intermediate_size,
                    Router::deepseek(moe),
                );
                if moe.shared_intermediate_size == 0 {
                    routed
                } else {
                    let shared = swiglu_ffn(&mut c, cur, e, moe.shared_intermediate_size);
                    c.binary(Op::Add, routed, shared)
                }
            }
            _ => return None,
        };
        inp_l = c.binary(Op::Add, out, ffn_inp);
    }
    let result_norm = rms(&mut c, inp_l, e);
    let output = if arch.tie_word_embeddings { tok_embd } else { c.external(f32, [e, arch.vocab_size, 1, 1]) };
    let logits = c.mul_mat(output, result_norm);
    c.expand(logits);
    // `t_h_nextn` is the final norm too; `set_outputs` marks it.
    c.g.tensors[result_norm].output = true;
    c.g.tensors[logits].output = true;
    Some(c.g)
}

/// `build_attn` for a KV cache: the rotation of a quantized cache, the
/// stores into the cache, and `build_attn_mha` over the whole cache.
/// Returns `kqv_out` (before the output projection).
#[allow(clippy::too_many_arguments)]
fn attention(
    c: &mut Ctx,
    inp: &CacheInputs,
    opts: &AttnOptions,
    s: &GraphShape,
    q: TensorId,
    k: TensorId,
    v: TensorId,
    (hd, n_kv_head): (u64, u64),
) -> TensorId {
    let n_gqa = hd * n_kv_head;
    let n_tok = s.n_tokens;
    let v_trans = !s.flash_attn;
    let (mut q, mut k, mut v) = (q, k, v);
    if let Some(rot) = inp.k_rot {
        q = c.hadamard(q, rot);
        k = c.hadamard(k, rot);
    }
    if let Some(rot) = inp.v_rot {
        v = c.hadamard(v, rot);
    }
    c.expand(q);
    if opts.iswa {
        c.expand(k);
        c.expand(v);
    } else {
        c.expand(v);
        c.expand(k);
    }

    // The layer's cache: [width, cells, streams].
    let kv_size = inp.n_kv;
    let cache_k = c.external(s.type_k, [n_gqa, kv_size, s.n_stream, 1]);
    let cache_v = c.external(s.type_v, [n_gqa, kv_size, s.n_stream, 1]);

    // cpy_k
    let k_nb2 = c.nb(k)[2];
    let k_flat = c.view_nd(k, [n_gqa, n_tok, 1, 1], [k_nb2, k_nb2 * n_tok, k_nb2 * n_tok]);
    let k_dst = if s.n_stream > 1 { c.reshape(cache_k, [n_gqa, kv_size * s.n_stream, 1, 1]) } else { cache_k };
    let store_k = c.set_rows(k_dst, k_flat, inp.k_idxs);
    c.expand(store_k);

    // cpy_v
    let store_v = if !v_trans {
        let v_nb2 = c.nb(v)[2];
        let v_flat = c.view_nd(v, [n_gqa, n_tok, 1, 1], [v_nb2, v_nb2 * n_tok, v_nb2 * n_tok]);
        let v_dst = if s.n_stream > 1 { c.reshape(cache_v, [n_gqa, kv_size * s.n_stream, 1, 1]) } else { cache_v };
        c.set_rows(v_dst, v_flat, inp.v_idxs)
    } else {
        let v2 = if row_size(c.t(v).ty, n_gqa) == c.nb(v)[2] {
            c.reshape(v, [n_gqa, n_tok, 1, 1])
        } else {
            c.cont(v, [n_gqa, n_tok, 1, 1])
        };
        let all = c.nelements(cache_v);
        let v_view = c.reshape(cache_v, [1, all, 1, 1]);
        let n = c.nelements(v2);
        let v_cur = c.reshape(v2, [1, n, 1, 1]);
        c.set_rows(v_view, v_cur, inp.v_idxs)
    };
    c.expand(store_v);

    // get_k, get_v
    let tk = s.type_k;
    let k_view = c.view_nd(
        cache_k,
        [hd, n_kv_head, kv_size, s.n_stream],
        [row_size(tk, hd), row_size(tk, n_gqa), row_size(tk, n_gqa * kv_size)],
    );
    let tv = s.type_v;
    let v_view = if !v_trans {
        c.view_nd(
            cache_v,
            [hd, n_kv_head, kv_size, s.n_stream],
            [row_size(tv, hd), row_size(tv, n_gqa), row_size(tv, n_gqa * kv_size)],
        )
    } else {
        c.view_nd(
            cache_v,
            [kv_size, n_kv_head, hd, s.n_stream],
            [row_size(tv, kv_size * hd), row_size(tv, kv_size), row_size(tv, kv_size * n_gqa)],
        )
    };

    // build_attn_mha
    let ns = s.n_stream;
    let (qne, qnb) = (c.ne(q), c.nb(q));
    let qv = c.view_nd(q, [qne[0], qne[1], qne[2] / ns, ns], [qnb[1], qnb[2], qnb[3] / ns]);
    let qp = c.permute_0213(qv);
    let kp = c.permute_0213(k_view);
    let vp = c.permute_0213(v_view);
    let mut cur = if s.flash_attn {
        let ne = [c.ne(vp)[0], c.ne(qp)[2], c.ne(qp)[1], c.ne(qp)[3]];
        let mut src = vec![qp, kp, vp, inp.mask];
        src.extend(opts.sinks);
        let fa = c.op(Op::FlashAttnExt, GgmlType::F32, ne, &src);
        let ne = c.ne(fa);
        c.reshape(fa, [ne[0] * ne[1], ne[2] * ne[3], 1, 1])
    } else {
        let mut kq = c.mul_mat(kp, qp);
        if opts.soft_cap {
            kq = c.unary(Op::Scale, kq);
            kq = c.unary(Op::Unary, kq);
            kq = c.unary(Op::Scale, kq);
        }
        let mut src = vec![kq, inp.mask];
        src.extend(opts.sinks);
        let kq = c.same_as(Op::SoftMax, kq, &src);
        let kqv = c.mul_mat(vp, kq);
        let p = c.permute_0213(kqv);
        let ne = c.ne(p);
        c.cont(p, [ne[0] * ne[1], ne[2] * ne[3], 1, 1])
    };
    c.expand(cur);
    if let Some(rot) = inp.v_rot {
        cur = c.hadamard(cur, rot);
    }
    cur
}

/// How an MoE layer scores, picks and weighs its experts: the arguments
/// of `build_moe_ffn` that change its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Router {
    /// `LLAMA_EXPERT_GATING_FUNC_TYPE_*`.
    gating: Gating,
    /// `norm_w`: the chosen experts' weights renormalised.
    normalized: bool,
    /// `w_scale` other than 0 and 1: the weights scaled.
    scaled: bool,
    /// `n_expert_groups` and `n_group_used`: picked within the best groups.
    groups: u64,
    groups_used: u64,
    /// `exp_probs_b`: a bias added to the scores for picking only.
    selection_bias: bool,
    /// gpt-oss: a bias on the router's logits and on every expert.
    biases: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gating {
    /// Softmax over all experts.
    Softmax,
    /// A sigmoid per expert (DeepSeek-V3).
    Sigmoid,
    /// Softmax over the chosen experts' logits (gpt-oss).
    SoftmaxWeight,
}

impl Router {
    /// Softmax gating with renormalised weights (Mixtral, Qwen3-MoE).
    const SOFTMAX_NORMALISED: Router = Router {
        gating: Gating::Softmax,
        normalized: true,
        scaled: false,
        groups: 0,
        groups_used: 0,
        selection_bias: false,
        biases: false,
    };

    /// gpt-oss (`LLM_FFN_SWIGLU_OAI_MOE`, `LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT`).
    const GPT_OSS: Router =
        Router { gating: Gating::SoftmaxWeight, normalized: false, biases: true, ..Router::SOFTMAX_NORMALISED };

    /// DeepSeek's router as its GGUF states it (`deepseek2` reads the
    /// gating function, `expert_weights_norm` and `expert_weights_scale`;
    /// `load_hparams` the expert groups).
    fn deepseek(moe: &crate::arch::Moe) -> Router {
        let r = &moe.routing;
        Router {
            gating: if r.sigmoid { Gating::Sigmoid } else { Gating::Softmax },
            normalized: r.normalized,
            scaled: r.scale().is_some_and(|f| f != 0.0 && f != 1.0),
            groups: r.groups.into(),
            groups_used: r.groups_used.into(),
            selection_bias: moe.router_bias == crate::arch::RouterBias::Buffer,
            biases: false,
        }
    }
}

/// `build_moe_ffn` with gated experts (SiLU, or gpt-oss's clamped SwiGLU,
/// which has the same shape), routed as `router` says.
fn moe_ffn(c: &mut Ctx, cur: TensorId, e: u64, n_expert: u64, k: u64, ff: u64, router: Router) -> TensorId {
    let f32 = GgmlType::F32;
    let n_tok = c.ne(cur)[1];
    let gate_inp = c.external(f32, [e, n_expert, 1, 1]);
    let mut logits = c.mul_mat(gate_inp, cur);
    if router.biases {
        let b = c.external(f32, [n_expert, 1, 1, 1]);
        logits = c.binary(Op::Add, logits, b);
    }
    let probs = match router.gating {
        Gating::Softmax => c.same_as(Op::SoftMax, logits, &[logits]),
        Gating::Sigmoid => c.unary(Op::Unary, logits),
        Gating::SoftmaxWeight => logits,
    };
    let mut selection = probs;
    if router.selection_bias {
        let b = c.external(f32, [n_expert, 1, 1, 1]);
        selection = c.binary(Op::Add, probs, b);
    }
    if router.groups > 1 && router.groups_used > 0 {
        // Keep the best `groups_used` groups, scored by their two best experts.
        let per_group = n_expert / router.groups;
        let groups = c.reshape(selection, [per_group, router.groups, n_tok, 1]);
        let best2 = c.argsort_top_k(groups, 2);
        let rows = c.reshape(groups, [1, per_group, router.groups, n_tok]);
        let scores = c.get_rows(rows, best2);
        let scores = c.reshape(scores, [2, router.groups, n_tok, 1]);
        let scores = c.op(Op::SumRows, f32, [1, router.groups, n_tok, 1], &[scores]);
        let scores = c.reshape(scores, [router.groups, n_tok, 1, 1]);
        let chosen = c.argsort_top_k(scores, router.groups_used);
        let kept = c.get_rows(groups, chosen);
        let masked = c.same_as(Op::Fill, groups, &[groups]);
        let kept = c.set_rows(masked, kept, chosen);
        selection = c.reshape(kept, [n_expert, n_tok, 1, 1]);
    }
    let selected = c.argsort_top_k(selection, k);
    let probs3 = c.reshape(probs, [1, n_expert, n_tok, 1]);
    let mut weights = c.get_rows(probs3, selected);
    if router.gating == Gating::SoftmaxWeight {
        let w2 = c.reshape(weights, [k, n_tok, 1, 1]);
        let w2 = c.same_as(Op::SoftMax, w2, &[w2]);
        weights = c.reshape(w2, [1, k, n_tok, 1]);
    }
    if router.normalized {
        let w2 = c.reshape(weights, [k, n_tok, 1, 1]);
        let sum = c.op(Op::SumRows, f32, [1, n_tok, 1, 1], &[w2]);
        let sum = c.unary(Op::Clamp, sum);
        let w2 = c.binary(Op::Div, w2, sum);
        weights = c.reshape(w2, [1, k, n_tok, 1]);
    }
    if router.scaled {
        weights = c.unary(Op::Scale, weights);
    }
    c.expand(weights);
    let cur3 = c.reshape(cur, [e, 1, n_tok, 1]);
    let biased = |c: &mut Ctx, x: TensorId, width: u64| {
        if router.biases {
            let b = c.external(f32, [width, n_expert, 1, 1]);
            let t = c.t(x).ty;
            let ne = c.ne(x);
            c.op(Op::AddId, t, ne, &[x, b, selected])
        } else {
            x
        }
    };
    let up_exps = c.external(f32, [e, ff, n_expert, 1]);
    let up = c.mul_mat_id(up_exps, cur3, selected);
    let up = biased(c, up, ff);
    let gate_exps = c.external(f32, [e, ff, n_expert, 1]);
    let gate = c.mul_mat_id(gate_exps, cur3, selected);
    let gate = biased(c, gate, ff);
    let act = c.same_as(Op::Glu, gate, &[gate, up]);
    let down_exps = c.external(f32, [ff, e, n_expert, 1]);
    let experts = c.mul_mat_id(down_exps, act, selected);
    let experts = biased(c, experts, e);
    let experts = c.binary(Op::Mul, experts, weights);
    c.expand(experts);
    let nb = c.nb(experts);
    let mut views = Vec::new();
    for _ in 0..k {
        // ggml_view_2d at offset i × nb[1]; the offset does not change what
        // the allocator does.
        let v = c.view_nd(experts, [e, n_tok, 1, 1], [nb[2], nb[2] * n_tok, nb[2] * n_tok]);
        c.expand(v);
        views.push(v);
    }
    let mut out = views[0];
    for &v in &views[1..] {
        out = c.binary(Op::Add, out, v);
        c.expand(out);
    }
    if k == 1 {
        let ne = c.ne(out);
        out = c.cont(out, ne);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::ggml_alloc::{reserve_size, CPU_ALIGNMENT};
    use super::*;
    use crate::presets::preset;

    fn compute(id: &str, n_kv: u64, n_tokens: u64, n_stream: u64, flash_attn: bool, cache: GgmlType) -> u64 {
        let arch = preset(id).unwrap().arch().unwrap();
        let shape = GraphShape { n_tokens, n_stream, n_kv, n_kv_swa: 0, flash_attn, type_k: cache, type_v: cache };
        reserve_size(&build(&arch, &shape).unwrap(), CPU_ALIGNMENT)
    }

    /// Compute buffers llama.cpp v0.5.0's CPU backend reported for these
    /// runs (`llama_get_memory_breakdown`; the test command checks many
    /// more against the library itself).
    #[test]
    fn what_llama_cpp_reserved() {
        // Llama 3.1 8B, 4,096 cells, 512 tokens, no flash attention:
        // 32 heads × 4,096 × 512 f32 scores plus the logits and the rest.
        assert_eq!(compute("llama-3.1-8b", 4096, 512, 1, false, GgmlType::F16), 322_971_648);
        // 32,768 cells, flash attention, q8_0 cache (Hadamard-rotated q, k, v).
        assert_eq!(compute("llama-3.1-8b", 32768, 512, 1, true, GgmlType::Q8_0), 287_836_160);
        // Four sequences of 2,048 cells sharing a 512-token batch.
        assert_eq!(compute("llama-3.1-8b", 2048, 512, 4, false, GgmlType::F16), 279_447_552);
        // A mixture of experts.
        assert_eq!(compute("mixtral-8x7b", 2048, 512, 4, false, GgmlType::F16), 209_758_208);
        assert_eq!(compute("qwen3-30b-a3b", 4096, 1024, 4, true, GgmlType::Q8_0), 639_111_168);
    }

    /// The other graphs, through `llama_cpp` (which also works out the
    /// sliding-window cache's cells): figures llama.cpp reported.
    #[test]
    fn what_llama_cpp_reserved_for_other_graphs() {
        use super::super::gguf_layout::FileType;
        use super::super::llama_cpp::{llama_cpp, LlamaCppParams};
        let run = |arch: &ModelArch, n_ctx, n_ubatch, n_parallel, flash_attn, cache| {
            let p = LlamaCppParams {
                n_ctx,
                n_ubatch,
                n_parallel,
                flash_attn,
                type_k: cache,
                type_v: cache,
                ..LlamaCppParams::default()
            };
            let r = llama_cpp(arch, FileType::F16, &p).unwrap();
            assert!(r.compute_exact);
            r.compute.host
        };
        let arch = |id: &str| preset(id).unwrap().arch().unwrap();
        // Gemma 2: soft-capping, a 4,096-token window in a cache of its own.
        assert_eq!(run(&arch("gemma-2-9b"), 8000, 512, 4, false, GgmlType::F16), 546_310_144);
        // Gemma 3: 1,024-token windows, 256-token micro-batches.
        assert_eq!(run(&arch("gemma-3-27b"), 32768, 256, 1, false, GgmlType::F16), 1_141_906_432);
        // Phi-3: fused QKV and gate-up, flash attention over a q8_0 cache.
        assert_eq!(run(&arch("phi-3-mini-4k"), 32768, 512, 1, true, GgmlType::Q8_0), 102_774_784);
        // gpt-oss: sinks, biased experts, 128-token windows.
        assert_eq!(run(&arch("gpt-oss-20b"), 8000, 512, 4, false, GgmlType::F16), 457_193_472);
        // DeepSeek-V2-Lite: latent attention over a K-only cache.
        let ds = crate::parse_config(include_str!("../../tests/configs/deepseek-v2-lite.json")).unwrap();
        assert_eq!(run(&ds, 4096, 512, 1, false, GgmlType::F16), 251_934_720);
        // DeepSeek-V3: a compressed query, sigmoid scores with a selection
        // bias, experts picked within the best 4 of 8 groups, weights
        // renormalised and scaled by 2.5.
        assert_eq!(run(&arch("deepseek-v3"), 8000, 512, 4, false, GgmlType::F16), 968_894_464);
        let v2 = crate::parse_config(include_str!("../../tests/configs/deepseek-v2.json")).unwrap();
        assert_eq!(run(&v2, 4096, 512, 1, false, GgmlType::F16), 1_493_182_464);
        // The kept answer is for one model only.
        let (llama, qwen) = (arch("llama-3.1-8b"), arch("qwen2.5-7b"));
        assert_eq!(run(&llama, 4096, 512, 1, false, GgmlType::F16), 322_971_648);
        assert_eq!(run(&qwen, 4096, 512, 1, false, GgmlType::F16), 326_109_184);
    }

    /// A DeepSeek config read as llama.cpp's converter reads it: only what
    /// it states.
    #[test]
    fn deepseek_routing_from_the_config() {
        let v3 = preset("deepseek-v3").unwrap().arch().unwrap();
        let r = v3.moe.unwrap().routing;
        assert!(r.sigmoid && r.normalized);
        assert_eq!((r.groups, r.groups_used, r.scale()), (8, 4, Some(2.5)));
        let lite = crate::parse_config(include_str!("../../tests/configs/deepseek-v2-lite.json")).unwrap();
        let r = lite.moe.unwrap().routing;
        assert!(!r.sigmoid && !r.normalized);
        assert_eq!((r.groups, r.groups_used, r.scale()), (1, 1, Some(1.0)));
        assert!(!Router::deepseek(&crate::arch::Moe { routing: r, ..v3_moe() }).scaled);
    }

    fn v3_moe() -> crate::arch::Moe {
        preset("deepseek-v3").unwrap().arch().unwrap().moe.unwrap()
    }

    /// Families whose graph llmem does not rebuild get no graph (and the
    /// engine falls back to its estimate).
    #[test]
    fn other_families_are_not_rebuilt() {
        let arch = preset("mamba-2.8b").unwrap().arch().unwrap();
        assert_eq!(graph_arch(&arch), None);
    }

    /// Node counts grow by the same amount for every layer, and the
    /// embeddings, logits and both inputs paths are where llama.cpp puts them.
    #[test]
    fn graph_shape() {
        let arch = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let shape = GraphShape {
            n_tokens: 512,
            n_stream: 1,
            n_kv: 4096,
            n_kv_swa: 0,
            flash_attn: false,
            type_k: GgmlType::F16,
            type_v: GgmlType::F16,
        };
        let g = build(&arch, &shape).unwrap();
        // llama.cpp's own graph for this run: 1,158 nodes and 363 leafs.
        assert_eq!((g.nodes.len(), g.leafs.len()), (1158, 363));
        let last = *g.nodes.last().unwrap();
        assert!(g.tensors[last].output);
        assert_eq!(g.tensors[last].ne, [128_256, 512, 1, 1]);
    }
}
