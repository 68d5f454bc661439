//! Training memory: model states under ZeRO, activations after Korthikanti
//! et al., gradient accumulation, optimizer offload, LoRA and QLoRA.
//!
//! Model states follow Rajbhandari et al. 2019, "ZeRO: Memory Optimizations
//! Toward Training Trillion Parameter Models" (arXiv 1910.02054), §3.1 and
//! Figure 1: with Ψ parameters, mixed-precision Adam keeps 2Ψ bytes of fp16
//! parameters, 2Ψ of fp16 gradients and KΨ of optimizer state, K = 12 (fp32
//! master weights, momentum and variance). ZeRO stage 1 partitions the
//! optimizer state over N_d data-parallel GPUs, stage 2 also the gradients,
//! stage 3 also the parameters.

use crate::activations::{activations, ActivationQuery, AttentionKernel};
use crate::arch::{ModelArch, TensorKind};
use crate::error::{ceil_div, product, Checked, EstimateError, Result};
use crate::formula::{add, ceil, count, div, mul, num, sub, var, Expr, Formula, Unit};
use crate::precision::{weights_footprint, WeightFormat};
use serde::Serialize;

/// An optimizer and the precision regime it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    /// Mixed-precision Adam/AdamW: fp16/bf16 weights and gradients (2 + 2
    /// bytes) + fp32 master weights, momentum and variance (K = 12) = 16
    /// bytes per parameter (ZeRO §3.1; Micikevicius et al. 2018, "Mixed
    /// Precision Training", arXiv 1710.03740, §3.1).
    AdamMixed,
    /// Adam entirely in fp32: 4 (weights) + 4 (gradients) + 8 (two moments) = 16.
    AdamFp32,
    /// Mixed-precision SGD with momentum: 2 + 2 + fp32 master (4) + fp32 momentum (4) = 12.
    SgdMomentum,
    /// Mixed precision with 8-bit Adam states (Dettmers et al. 2021, "8-bit
    /// Optimizers via Block-wise Quantization", arXiv 2110.02861): 2 + 2 +
    /// fp32 master (4) + two uint8 states with an fp32 absmax per block of
    /// 256 (bitsandbytes ≥ 0.44 `Optimizer2State`; the paper used 2048) =
    /// 10.03125 bytes per parameter.
    Adam8bit,
}

impl Optimizer {
    pub const ALL: [Optimizer; 4] =
        [Optimizer::AdamMixed, Optimizer::AdamFp32, Optimizer::SgdMomentum, Optimizer::Adam8bit];

    pub fn id(self) -> &'static str {
        match self {
            Optimizer::AdamMixed => "adam",
            Optimizer::AdamFp32 => "adam-fp32",
            Optimizer::SgdMomentum => "sgd",
            Optimizer::Adam8bit => "adam-8bit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Optimizer::AdamMixed => "Adam, mixed precision",
            Optimizer::AdamFp32 => "Adam, fp32",
            Optimizer::SgdMomentum => "SGD + momentum, mixed precision",
            Optimizer::Adam8bit => "8-bit Adam, mixed precision",
        }
    }

    pub fn parse(s: &str) -> Result<Optimizer> {
        Optimizer::ALL.into_iter().find(|o| o.id().eq_ignore_ascii_case(s)).ok_or_else(|| EstimateError::UnknownName {
            kind: "optimizer",
            name: s.chars().take(32).collect(),
            known: Optimizer::ALL.iter().map(|o| o.id()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Bytes per parameter of the weights the forward pass uses.
    pub fn param_bytes(self) -> u64 {
        match self {
            Optimizer::AdamFp32 => 4,
            _ => 2,
        }
    }

    /// Bytes per parameter of gradients.
    pub fn grad_bytes(self) -> u64 {
        self.param_bytes()
    }

    /// Optimizer-state bytes for `params` parameters (K·Ψ in ZeRO's notation).
    pub fn state_bytes(self, params: u64) -> Result<u64> {
        match self {
            Optimizer::AdamMixed => params.mul_or(12, "optimizer state"),
            Optimizer::AdamFp32 => params.mul_or(8, "optimizer state"),
            Optimizer::SgdMomentum => params.mul_or(8, "optimizer state"),
            Optimizer::Adam8bit => {
                let master = params.mul_or(4, "optimizer state")?;
                let states = params.mul_or(2, "optimizer state")?;
                let absmax = ceil_div(params, 256).mul_or(8, "optimizer state")?;
                master.add_or(states, "optimizer state")?.add_or(absmax, "optimizer state")
            }
        }
    }
}

/// A ZeRO stage (ZeRO §5: P_os, P_os+g, P_os+g+p).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ZeroStage {
    /// Plain data parallelism: every GPU holds everything.
    Zero0 = 0,
    /// Optimizer states partitioned.
    Zero1 = 1,
    /// Optimizer states and gradients partitioned.
    Zero2 = 2,
    /// Optimizer states, gradients and parameters partitioned (FSDP's FULL_SHARD).
    Zero3 = 3,
}

impl ZeroStage {
    pub const ALL: [ZeroStage; 4] = [ZeroStage::Zero0, ZeroStage::Zero1, ZeroStage::Zero2, ZeroStage::Zero3];

    pub fn from_u8(n: u8) -> Result<ZeroStage> {
        match n {
            0 => Ok(ZeroStage::Zero0),
            1 => Ok(ZeroStage::Zero1),
            2 => Ok(ZeroStage::Zero2),
            3 => Ok(ZeroStage::Zero3),
            _ => Err(EstimateError::OutOfRange {
                what: "ZeRO stage".into(),
                reason: format!("{n} is not one of 0, 1, 2, 3"),
            }),
        }
    }

    pub fn number(self) -> u8 {
        self as u8
    }

    /// What this stage partitions, and the FSDP name for it.
    pub fn label(self) -> &'static str {
        match self {
            ZeroStage::Zero0 => "no sharding (DDP)",
            ZeroStage::Zero1 => "optimizer states sharded",
            ZeroStage::Zero2 => "+ gradients sharded (FSDP SHARD_GRAD_OP)",
            ZeroStage::Zero3 => "+ parameters sharded (FSDP FULL_SHARD)",
        }
    }
}

/// Largest GPU count we compute for.
pub const MAX_GPUS: u64 = 1 << 24;

/// Model-state memory per GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModelStates {
    pub params_bytes: u64,
    pub grads_bytes: u64,
    pub optimizer_bytes: u64,
    /// Optimizer bytes moved to host memory by offloading (per GPU's share).
    pub offloaded_bytes: u64,
    pub per_gpu_bytes: u64,
}

/// Model states per GPU for `params` parameters on `gpus` data-parallel GPUs.
///
/// Partitioned states are divided with rounding up (each GPU holds a full
/// shard). With `offload_optimizer` (ZeRO-Offload, Ren et al. 2021, arXiv
/// 2101.06840, §4), the optimizer state lives in host memory instead.
pub fn model_states(
    params: u64,
    optimizer: Optimizer,
    stage: ZeroStage,
    gpus: u64,
    offload_optimizer: bool,
) -> Result<ModelStates> {
    states(params, optimizer, stage, gpus, offload_optimizer, optimizer.grad_bytes())
}

/// [`model_states`] for a training setup, whose gradients may be kept in
/// fp32 ([`TrainingSetup::fp32_grads`]).
pub fn setup_states(params: u64, setup: &TrainingSetup) -> Result<ModelStates> {
    let grad_bytes = if setup.fp32_grads { 4 } else { setup.optimizer.grad_bytes() };
    states(params, setup.optimizer, setup.stage, setup.gpus, setup.offload_optimizer, grad_bytes)
}

fn states(
    params: u64,
    optimizer: Optimizer,
    stage: ZeroStage,
    gpus: u64,
    offload_optimizer: bool,
    grad_bytes: u64,
) -> Result<ModelStates> {
    if gpus == 0 || gpus > MAX_GPUS {
        return Err(EstimateError::OutOfRange {
            what: "GPU count".into(),
            reason: format!("{gpus} is not between 1 and {MAX_GPUS}"),
        });
    }
    let shard = |bytes: u64, partitioned: bool| {
        if partitioned {
            ceil_div(bytes, gpus)
        } else {
            bytes
        }
    };
    let p = params.mul_or(optimizer.param_bytes(), "parameter bytes")?;
    let g = params.mul_or(grad_bytes, "gradient bytes")?;
    let o = optimizer.state_bytes(params)?;
    let params_bytes = shard(p, stage >= ZeroStage::Zero3);
    let grads_bytes = shard(g, stage >= ZeroStage::Zero2);
    let opt_shard = shard(o, stage >= ZeroStage::Zero1);
    let (optimizer_bytes, offloaded_bytes) = if offload_optimizer { (0, opt_shard) } else { (opt_shard, 0) };
    let per_gpu_bytes = params_bytes.add_or(grads_bytes, "per-GPU bytes")?.add_or(optimizer_bytes, "per-GPU bytes")?;
    Ok(ModelStates { params_bytes, grads_bytes, optimizer_bytes, offloaded_bytes, per_gpu_bytes })
}

/// Activation recomputation policy (Korthikanti et al. 2022, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recompute {
    /// Store every activation the backward pass needs.
    None,
    /// Recompute only the attention core (QKᵀ, softmax, dropout, ·V).
    Selective,
    /// Store only each layer's input; recompute the layer in the backward pass.
    Full,
}

impl Recompute {
    pub const ALL: [Recompute; 3] = [Recompute::None, Recompute::Selective, Recompute::Full];

    pub fn id(self) -> &'static str {
        match self {
            Recompute::None => "none",
            Recompute::Selective => "selective",
            Recompute::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Result<Recompute> {
        Recompute::ALL.into_iter().find(|r| r.id().eq_ignore_ascii_case(s)).ok_or_else(|| EstimateError::UnknownName {
            kind: "recompute policy",
            name: s.chars().take(32).collect(),
            known: "none, selective, full".into(),
        })
    }
}

/// Activation memory of a transformer's layers, in bytes, with 16-bit
/// activations and no tensor or sequence parallelism.
///
/// Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
/// Transformer Models" (arXiv 2205.05198), §4.1 and Table 2, per layer:
/// - no recomputation: `s·b·h·(34 + 5·a·s/h)` = `s·b·(34h + 5as)`;
/// - selective recomputation: `34·s·b·h`;
/// - full recomputation: `2·s·b·h` (only the layer input).
///
/// s = sequence length, b = micro-batch size, h = hidden size, a = heads.
/// The derivation assumes GPT-style layers (4h MLP with GeLU, dropout); it
/// is exact for that architecture and an approximation for SwiGLU/GQA
/// models.
pub fn activation_bytes(
    layers: u64,
    hidden: u64,
    heads: u64,
    seq: u64,
    micro_batch: u64,
    recompute: Recompute,
) -> Result<u64> {
    for (what, v) in [("layers", layers), ("hidden", hidden), ("heads", heads), ("seq", seq), ("batch", micro_batch)] {
        if v == 0 {
            return Err(EstimateError::OutOfRange { what: what.into(), reason: "must be at least 1".into() });
        }
    }
    let sb = seq.mul_or(micro_batch, "activation size")?;
    let per_layer = match recompute {
        Recompute::None => {
            let inner = hidden
                .mul_or(34, "activation size")?
                .add_or(product(&[5, heads, seq], "activation size")?, "activation size")?;
            sb.mul_or(inner, "activation size")?
        }
        Recompute::Selective => product(&[34, sb, hidden], "activation size")?,
        Recompute::Full => product(&[2, sb, hidden], "activation size")?,
    };
    per_layer.mul_or(layers, "activation size")
}

/// Activation memory when `recomputed` of the model's layers are
/// checkpointed and the rest store everything
/// ([`crate::activations`] per layer, with `kernel`).
///
/// A checkpointed layer keeps only its input and is rebuilt during the
/// backward pass; while it is rebuilt, its full activations exist again,
/// one layer at a time (Chen et al. 2016, "Training Deep Nets with Sublinear
/// Memory Cost", arXiv 1604.06174, §3). So: `(L − r)·A_layer + r·A_input +
/// (r > 0 ? A_layer : 0)` plus what lies outside the layers.
pub fn partial_recompute_bytes(
    arch: &ModelArch,
    seq: u64,
    micro_batch: u64,
    kernel: AttentionKernel,
    recomputed: u64,
) -> Result<u64> {
    let t = RecomputeTerms::of(arch, seq, micro_batch, kernel, recomputed)?;
    (t.layers - t.recomputed)
        .mul_or(t.per_layer, "activation size")?
        .add_or(t.recomputed.mul_or(t.per_input, "activation size")?, "activation size")?
        .add_or(t.rebuilt, "activation size")?
        .add_or(t.outside, "activation size")
}

/// The terms of [`partial_recompute_bytes`], shared with its formula.
struct RecomputeTerms {
    layers: u64,
    recomputed: u64,
    /// What one stored layer keeps.
    per_layer: u64,
    /// What one checkpointed layer keeps: its input.
    per_input: u64,
    /// The one layer rebuilt at a time (0 when none is recomputed).
    rebuilt: u64,
    /// Outside the layers.
    outside: u64,
}

impl RecomputeTerms {
    fn of(arch: &ModelArch, seq: u64, micro_batch: u64, kernel: AttentionKernel, recomputed: u64) -> Result<Self> {
        let layers = arch.num_layers;
        let r = recomputed.min(layers);
        let q = |recompute| ActivationQuery { seq, micro_batch, kernel, recompute };
        let stored = activations(arch, &q(Recompute::None))?;
        let kept = activations(arch, &q(Recompute::Full))?;
        Ok(RecomputeTerms {
            layers,
            recomputed: r,
            per_layer: stored.layers_bytes / layers.max(1),
            per_input: kept.layers_bytes / layers.max(1),
            rebuilt: if r > 0 { stored.layer_bytes } else { 0 },
            outside: if r == layers { kept.rest_bytes } else { stored.rest_bytes },
        })
    }
}

/// The formula behind [`partial_recompute_bytes`], its terms as the doc
/// comment there gives them (Chen et al. 2016, §3).
pub fn recompute_formula(
    arch: &ModelArch,
    seq: u64,
    micro_batch: u64,
    kernel: AttentionKernel,
    recomputed: u64,
) -> Result<Formula> {
    let t = RecomputeTerms::of(arch, seq, micro_batch, kernel, recomputed)?;
    let rr = || count("r", "layers recomputed (checkpointed)", t.recomputed);
    let mut terms = vec![
        mul(vec![
            sub(count("L", "layers", t.layers), rr()),
            var("A_layer", "what one stored layer keeps for backward", t.per_layer as f64, Unit::Bytes),
        ]),
        mul(vec![rr(), var("A_in", "a checkpointed layer's input", t.per_input as f64, Unit::Bytes)]),
    ];
    if t.rebuilt > 0 {
        terms.push(var("A_re", "the one layer rebuilt at a time in backward", t.rebuilt as f64, Unit::Bytes));
    }
    terms.push(var("A_out", "outside the layers: embeddings, final norm, logits, loss", t.outside as f64, Unit::Bytes));
    Ok(Formula::new(
        "Activations",
        add(terms),
        Unit::Bytes,
        "Chen et al. 2016, Sublinear Memory Cost (arXiv 1604.06174) §3; per-layer counts measured with transformers (llmem activations.rs)",
    ))
}

/// Relative compute of a training step when `recomputed` of `layers` layers
/// are recomputed: a forward pass costs 1 unit per layer and the backward
/// pass 2 (Kaplan et al. 2020, §2.1: ≈ 2N FLOPs per token forward, 6N in
/// all), and each recomputed layer runs its forward pass again:
/// `(3L + r) / 3L`, from 1 (store everything) to 4/3 (recompute all).
pub fn recompute_compute_factor(layers: u64, recomputed: u64) -> f64 {
    if layers == 0 {
        return 1.0;
    }
    let r = recomputed.min(layers) as f64;
    let l = layers as f64;
    (3.0 * l + r) / (3.0 * l)
}

/// Activation memory of a training forward pass of `arch`
/// ([`crate::activations`]: what transformers keeps, tensor by tensor).
pub fn model_activation_bytes(
    arch: &ModelArch,
    seq: u64,
    micro_batch: u64,
    kernel: AttentionKernel,
    recompute: Recompute,
) -> Result<u64> {
    Ok(activations(arch, &ActivationQuery { seq, micro_batch, kernel, recompute })?.total_bytes)
}

/// Parameters ZeRO-3/FSDP gathers at once: the unit being computed and the
/// next one, prefetched (PyTorch FSDP's default `BackwardPrefetch.BACKWARD_PRE`
/// and DeepSpeed's `stage3_prefetch_bucket_size` both overlap the next
/// unit's all-gather with the current unit's compute), one decoder layer
/// per unit, in 16-bit.
pub fn zero3_gathered_bytes(arch: &ModelArch) -> Result<u64> {
    let c = arch.param_counts()?;
    let per_layer = c.total.saturating_sub(c.embedding) / arch.num_layers.max(1);
    product(&[2, per_layer, 2], "gathered parameters")
}

/// Everything one GPU holds while training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrainingMemory {
    pub states: ModelStates,
    pub activation_bytes: u64,
    /// ZeRO-3: full parameters of the layers being all-gathered
    /// ([`zero3_gathered_bytes`]); 0 below stage 3.
    pub gathered_bytes: u64,
    pub per_gpu_bytes: u64,
    /// What one GPU would hold with no sharding and no recomputation.
    pub unsharded_bytes: u64,
    /// Sequences per optimizer step: micro-batch × accumulation steps × GPUs
    /// ÷ context-parallel size.
    pub global_batch: u64,
}

/// Inputs of a full training estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingSetup {
    pub optimizer: Optimizer,
    pub stage: ZeroStage,
    pub gpus: u64,
    pub seq: u64,
    pub micro_batch: u64,
    /// Gradient accumulation steps: they raise the global batch without
    /// raising activation memory, which depends on the micro-batch only.
    pub grad_accum: u64,
    pub recompute: Recompute,
    /// FlashAttention/SDPA (the default of every current trainer) or eager.
    pub kernel: AttentionKernel,
    pub offload_optimizer: bool,
    /// Gradients kept and accumulated in fp32 rather than in the weights'
    /// 16 bits: Megatron-LM's `--accumulate-allreduce-grads-in-fp32`,
    /// DeepSpeed's BF16 optimizer (`fp32_groups_gradients`), FSDP2 with
    /// fp32 sharded parameters (its sharded gradients take the parameters'
    /// dtype; `reduce_dtype` only sets the reduction's): 4 bytes per
    /// parameter instead of 2, sharded from ZeRO stage 2.
    pub fp32_grads: bool,
    /// How Adam runs its step ([`AdamKernel`]).
    pub adam: AdamKernel,
    /// Context parallelism: each sequence split over this many of the
    /// `gpus` (1: none); see [`TrainingSetup::local_seq`].
    pub context_parallel: u64,
}

impl TrainingSetup {
    /// Tokens of each sequence one GPU holds activations for:
    /// `seq / context_parallel`.
    ///
    /// Context parallelism splits every sequence over `context_parallel`
    /// GPUs: Megatron-core's `get_batch_on_this_cp_rank`
    /// (`megatron/training/utils.py`) cuts it into 2·cp equal chunks and gives
    /// rank r chunks r and 2·cp−1−r, so causal attention's work is balanced,
    /// and torchtitan's `context_parallel` does the same. Attention runs as
    /// ring attention (Liu et al. 2023, arXiv 2310.01889): each rank keeps
    /// its own tokens' q, k, v, output and log-sum-exp, as FlashAttention
    /// does for a sequence of that length, while the other ranks' keys and
    /// values pass through in blocks freed after the layer (not counted:
    /// two blocks of `seq/cp` tokens of one layer's K and V). Every other
    /// activation is per token, so a GPU holds the activations of
    /// `seq / cp` tokens. The model states are sharded over all `gpus`, the
    /// context-parallel ranks included (Megatron's distributed optimizer
    /// shards over data × context parallel ranks, torchtitan's FSDP mesh
    /// over `dp_shard_cp`).
    ///
    /// Errors: a size of 0, one that does not divide `gpus`, a sequence that
    /// does not split into 2·cp equal chunks, or eager attention (ring
    /// attention is built on FlashAttention's kernels).
    pub fn local_seq(&self) -> Result<u64> {
        let cp = self.context_parallel;
        let bad = |reason: String| EstimateError::OutOfRange { what: "context parallelism".into(), reason };
        if cp == 0 {
            return Err(bad("the context-parallel size must be at least 1".into()));
        }
        if cp == 1 {
            return Ok(self.seq);
        }
        if self.gpus % cp != 0 {
            return Err(bad(format!("a context-parallel size of {cp} does not divide {} GPUs", self.gpus)));
        }
        if self.seq % (2 * cp) != 0 {
            return Err(bad(format!("a sequence of {} tokens does not split into 2 × {cp} equal chunks", self.seq)));
        }
        if self.kernel == AttentionKernel::Eager {
            return Err(bad("ring attention runs on FlashAttention kernels; choose flash attention".into()));
        }
        Ok(self.seq / cp)
    }
}

/// How an Adam step is computed, which decides its temporaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdamKernel {
    /// One fused kernel per group of tensors (DeepSpeed's `FusedAdam`,
    /// `torch.optim.AdamW(fused=True)`): no temporaries.
    Fused,
    /// PyTorch's `foreach` implementation, its default on CUDA
    /// (`torch/optim/adam.py`, `_multi_tensor_adam`):
    /// `exp_avg_sq_sqrt = torch._foreach_sqrt(device_exp_avg_sqs)` makes an
    /// fp32 tensor for every parameter of the group at once, 4 bytes per
    /// parameter of the optimizer's shard.
    Foreach,
}

impl AdamKernel {
    pub fn id(self) -> &'static str {
        match self {
            AdamKernel::Fused => "fused",
            AdamKernel::Foreach => "foreach",
        }
    }

    pub fn parse(s: &str) -> Result<AdamKernel> {
        match s {
            "fused" => Ok(AdamKernel::Fused),
            "foreach" => Ok(AdamKernel::Foreach),
            other => Err(EstimateError::UnknownName {
                kind: "Adam implementation",
                name: other.chars().take(32).collect(),
                known: "fused, foreach".into(),
            }),
        }
    }
}

/// DeepSpeed's default `sub_group_size` under ZeRO-3: the fp32 gradient
/// copy of the optimizer step is made for one sub-group of at most this
/// many parameters at a time (`stage3.py`,
/// `_prepare_fp32_grad_for_sub_group`).
pub const ZERO3_SUB_GROUP: u64 = 1_000_000_000;

/// Bytes the optimizer step allocates on one GPU on top of the model
/// states, for `params` parameters under `setup` (an estimate: kernels and
/// frameworks differ):
/// - mixed-precision Adam or SGD with 16-bit gradients updates fp32 master
///   weights from an fp32 copy of the gradient shard (DeepSpeed ZeRO-1/2
///   `stage_1_and_2.py` `step`: the flat 16-bit gradient partition
///   `.to()` the fp32 groups' dtype; ZeRO-3 does it per sub-group of at
///   most [`ZERO3_SUB_GROUP`] parameters), 4 bytes per parameter of the
///   shard; none when the gradients already are fp32;
/// - `foreach` Adam's square roots of the variance, 4 bytes per parameter
///   of the shard ([`AdamKernel::Foreach`]);
/// - nothing on the GPU when the optimizer state is offloaded to the host.
pub fn optimizer_step_bytes(params: u64, setup: &TrainingSetup) -> Result<u64> {
    if setup.offload_optimizer {
        return Ok(0);
    }
    let shard =
        if setup.stage >= ZeroStage::Zero1 && setup.gpus > 1 { ceil_div(params, setup.gpus.max(1)) } else { params };
    let master = matches!(setup.optimizer, Optimizer::AdamMixed | Optimizer::SgdMomentum | Optimizer::Adam8bit);
    let upcast = if master && !setup.fp32_grads {
        let at_once = if setup.stage == ZeroStage::Zero3 { shard.min(ZERO3_SUB_GROUP) } else { shard };
        at_once.mul_or(4, "optimizer step")?
    } else {
        0
    };
    let adam = matches!(setup.optimizer, Optimizer::AdamMixed | Optimizer::AdamFp32);
    let roots = if adam && setup.adam == AdamKernel::Foreach { shard.mul_or(4, "optimizer step")? } else { 0 };
    upcast.add_or(roots, "optimizer step")
}

impl Default for TrainingSetup {
    fn default() -> Self {
        Self {
            optimizer: Optimizer::AdamMixed,
            stage: ZeroStage::Zero0,
            gpus: 8,
            seq: 4096,
            micro_batch: 1,
            grad_accum: 1,
            recompute: Recompute::None,
            kernel: AttentionKernel::Flash,
            offload_optimizer: false,
            fp32_grads: false,
            adam: AdamKernel::Fused,
            context_parallel: 1,
        }
    }
}

/// Per-GPU training memory of `arch` under `setup`.
pub fn training_memory(arch: &ModelArch, setup: &TrainingSetup) -> Result<TrainingMemory> {
    let params = arch.param_counts()?.total;
    let states = setup_states(params, setup)?;
    let seq = setup.local_seq()?;
    let activation_bytes = match setup.recompute {
        // Checkpointed: the layer inputs, and while the backward pass
        // rebuilds a layer, that layer's activations (Chen et al. 2016, §3).
        Recompute::Full => partial_recompute_bytes(arch, seq, setup.micro_batch, setup.kernel, arch.num_layers)?,
        r => model_activation_bytes(arch, seq, setup.micro_batch, setup.kernel, r)?,
    };
    let gathered_bytes =
        if setup.stage == ZeroStage::Zero3 && setup.gpus > 1 { zero3_gathered_bytes(arch)? } else { 0 };
    let unsharded = model_states(params, setup.optimizer, ZeroStage::Zero0, 1, false)?.per_gpu_bytes.add_or(
        model_activation_bytes(arch, setup.seq, setup.micro_batch, setup.kernel, Recompute::None)?,
        "training memory",
    )?;
    Ok(TrainingMemory {
        states,
        activation_bytes,
        gathered_bytes,
        per_gpu_bytes: states
            .per_gpu_bytes
            .add_or(activation_bytes, "training memory")?
            .add_or(gathered_bytes, "training memory")?,
        unsharded_bytes: unsharded,
        // Context-parallel ranks share their sequences.
        global_batch: product(
            &[setup.micro_batch, setup.grad_accum.max(1), setup.gpus / setup.context_parallel],
            "global batch",
        )?,
    })
}

/// ZeRO's model-state terms of a formula: weights, gradients and (unless
/// offloaded) optimizer state per parameter, each divided over `gpus`
/// data-parallel copies from the stage that partitions it, a shard rounded
/// up ([`model_states`]).
pub(crate) fn states_terms(params: u64, optimizer: Optimizer, stage: ZeroStage, gpus: u64, offload: bool) -> Vec<Expr> {
    grad_states_terms(params, optimizer, stage, gpus, offload, optimizer.grad_bytes())
}

/// [`states_terms`] with gradients of `grad_bytes` per parameter (4 when
/// kept in fp32, [`TrainingSetup::fp32_grads`]).
fn grad_states_terms(
    params: u64,
    optimizer: Optimizer,
    stage: ZeroStage,
    gpus: u64,
    offload: bool,
    grad_bytes: u64,
) -> Vec<Expr> {
    let n = || count("N", "data-parallel GPUs", gpus);
    let psi = || count("Ψ", "parameters", params);
    let term = |bytes_per: Expr, partitioned: bool| {
        let whole = mul(vec![bytes_per, psi()]);
        if partitioned && gpus > 1 {
            ceil(div(whole, n()))
        } else {
            whole
        }
    };
    let mut terms = vec![
        term(count("p", "bytes per parameter of the weights", optimizer.param_bytes()), stage >= ZeroStage::Zero3),
        term(count("g", "bytes per parameter of the gradients", grad_bytes), stage >= ZeroStage::Zero2),
    ];
    if !offload && params > 0 {
        let k = optimizer.state_bytes(params).map_or(0.0, |o| o as f64 / params as f64);
        terms
            .push(term(var("K", "bytes per parameter of optimizer state", k, Unit::Number), stage >= ZeroStage::Zero1));
    }
    terms
}

/// The formula behind [`TrainingMemory::per_gpu_bytes`] for `params`
/// parameters under `setup`: ZeRO's model states, each divided over the
/// data-parallel GPUs from the stage that partitions it (Rajbhandari et al.
/// 2020, "ZeRO", arXiv 1910.02054, §5 and Figure 1: parameters from stage 3,
/// gradients from 2, optimizer state from 1; a shard is rounded up to whole
/// bytes), plus the activations kept for the backward pass (measured per
/// layer, [`crate::activations`]) and ZeRO-3's gathered layers.
pub fn formula(params: u64, setup: &TrainingSetup, mem: &TrainingMemory) -> Formula {
    let grad_bytes = if setup.fp32_grads { 4 } else { setup.optimizer.grad_bytes() };
    let mut terms =
        grad_states_terms(params, setup.optimizer, setup.stage, setup.gpus, setup.offload_optimizer, grad_bytes);
    terms.push(var("A", "activations kept for the backward pass", mem.activation_bytes as f64, Unit::Bytes));
    if mem.gathered_bytes > 0 {
        terms.push(var("G", "ZeRO-3: layers gathered in full for compute", mem.gathered_bytes as f64, Unit::Bytes));
    }
    Formula::new(
        "Per GPU",
        add(terms),
        Unit::Bytes,
        "Rajbhandari et al. 2020, ZeRO (arXiv 1910.02054) §5, Figure 1; activations measured with transformers (llmem activations.rs)",
    )
}

/// The formula behind the training-against-inference ratio: one GPU
/// training with mixed-precision Adam and no sharding (2 + 2 + 12 bytes per
/// parameter, Rajbhandari et al. 2020, ZeRO, §3.1) and the activations kept
/// for backward, over serving the same model: its weights, KV cache and
/// working activations. Written to one decimal.
pub fn train_infer_formula(
    params: u64,
    train_activations: u64,
    weights: u64,
    kv: u64,
    infer_activations: u64,
) -> Formula {
    let psi = || count("Ψ", "parameters", params);
    Formula::new(
        "Training ÷ inference",
        div(
            add(vec![
                mul(vec![num(2.0), psi()]),
                mul(vec![num(2.0), psi()]),
                mul(vec![num(12.0), psi()]),
                var("A_t", "activations kept for the backward pass", train_activations as f64, Unit::Bytes),
            ]),
            add(vec![
                var("W", "weights for serving", weights as f64, Unit::Bytes),
                var("KV", "KV cache", kv as f64, Unit::Bytes),
                var("A_i", "working activations while serving", infer_activations as f64, Unit::Bytes),
            ]),
        ),
        Unit::Times(1),
        "Rajbhandari et al. 2020, ZeRO (arXiv 1910.02054) §3.1 (16 bytes per parameter); activations as transformers keeps them (llmem activations.rs)",
    )
}

/// Which projections get LoRA adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LoraTargets {
    pub attention: bool,
    pub mlp: bool,
}

/// Fine-tuning memory with LoRA (Hu et al. 2021, arXiv 2106.09685, §4: a
/// frozen W plus trainable B·A of rank r, r·(d_in + d_out) parameters per
/// adapted matrix) or QLoRA (Dettmers et al. 2023, arXiv 2305.14314: the
/// frozen base stored in NF4 with double quantization).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoraMemory {
    pub adapter_params: u64,
    /// Frozen base weights (16-bit for LoRA, NF4 for QLoRA).
    pub base_bytes: u64,
    /// Adapter weights, gradients and Adam states: PEFT keeps adapters in
    /// fp32 (`autocast_adapter_dtype=True`), so 4 + 4 + 8 = 16 bytes each.
    pub adapter_bytes: u64,
    pub total_bytes: u64,
}

/// LoRA or QLoRA memory for rank `rank` on `targets` (activations not included).
pub fn lora_memory(arch: &ModelArch, rank: u64, targets: LoraTargets, qlora: bool) -> Result<LoraMemory> {
    use TensorKind as K;
    let mut adapter_params = 0u64;
    for t in arch.tensors()? {
        let hit = match t.kind {
            K::AttnQ
            | K::AttnK
            | K::AttnV
            | K::AttnQkv
            | K::AttnOut
            | K::AttnQA
            | K::AttnQB
            | K::AttnKvA
            | K::AttnKvB => targets.attention,
            K::MlpGate
            | K::MlpUp
            | K::MlpGateUp
            | K::MlpDown
            | K::ExpertGate
            | K::ExpertUp
            | K::ExpertDown
            | K::SharedExpertGate
            | K::SharedExpertUp
            | K::SharedExpertDown => targets.mlp,
            _ => false,
        };
        if hit {
            let per = rank.mul_or(t.rows.add_or(t.cols, "LoRA")?, "LoRA parameters")?;
            adapter_params = adapter_params.add_or(per.mul_or(t.copies, "LoRA")?, "LoRA parameters")?;
        }
    }
    let base_format = if qlora { WeightFormat::Nf4 } else { WeightFormat::Float(crate::precision::Dtype::Bf16) };
    let base_bytes = weights_footprint(arch, base_format)?.total_bytes;
    let adapter_bytes = adapter_params.mul_or(16, "adapter bytes")?;
    Ok(LoraMemory {
        adapter_params,
        base_bytes,
        adapter_bytes,
        total_bytes: base_bytes.add_or(adapter_bytes, "LoRA memory")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    /// ZeRO Figure 1: Ψ = 7.5B, N_d = 64, K = 12 → 120, 31.4, 16.6 and 1.9 GB.
    #[test]
    fn zero_paper_figure_1() {
        let psi = 7_500_000_000;
        let gb = |stage| model_states(psi, Optimizer::AdamMixed, stage, 64, false).unwrap().per_gpu_bytes as f64 / 1e9;
        assert_eq!(gb(ZeroStage::Zero0), 120.0);
        assert_eq!((gb(ZeroStage::Zero1) * 10.0).round() / 10.0, 31.4);
        assert_eq!((gb(ZeroStage::Zero2) * 10.0).round() / 10.0, 16.6);
        assert_eq!((gb(ZeroStage::Zero3) * 10.0).round() / 10.0, 1.9);
        // Exact bytes: 30e9 + 90e9/64 = 31.40625e9.
        assert_eq!(
            model_states(psi, Optimizer::AdamMixed, ZeroStage::Zero1, 64, false).unwrap().per_gpu_bytes,
            31_406_250_000
        );
    }

    #[test]
    fn sixteen_bytes_per_param_not_eight() {
        let s = model_states(1_000, Optimizer::AdamMixed, ZeroStage::Zero0, 1, false).unwrap();
        assert_eq!((s.params_bytes, s.grads_bytes, s.optimizer_bytes), (2_000, 2_000, 12_000));
        let f = model_states(1_000, Optimizer::AdamFp32, ZeroStage::Zero0, 1, false).unwrap();
        assert_eq!(f.per_gpu_bytes, 16_000);
        let sgd = model_states(1_000, Optimizer::SgdMomentum, ZeroStage::Zero0, 1, false).unwrap();
        assert_eq!(sgd.per_gpu_bytes, 12_000);
        // 8-bit: 2 + 2 + 4 + 2 + 8 × ceil(1000/256) / 1000.
        let a8 = model_states(1_000, Optimizer::Adam8bit, ZeroStage::Zero0, 1, false).unwrap();
        assert_eq!(a8.per_gpu_bytes, 2_000 + 2_000 + 4_000 + 2_000 + 32);
    }

    #[test]
    fn offload_moves_optimizer_to_host() {
        let s = model_states(7_500_000_000, Optimizer::AdamMixed, ZeroStage::Zero2, 8, true).unwrap();
        assert_eq!(s.optimizer_bytes, 0);
        assert_eq!(s.offloaded_bytes, 90_000_000_000 / 8);
    }

    /// Korthikanti Table 2 for GPT-3 175B (a = 96, h = 12288, s = 2048,
    /// b = 1, L = 96): no recompute = sbh(34 + 5as/h) per layer; with
    /// 5as/h = 80 that is 114·sbh. Selective 34·sbh, full 2·sbh.
    #[test]
    fn korthikanti_gpt3() {
        let (l, h, a, s, b) = (96u64, 12_288u64, 96u64, 2_048u64, 1u64);
        let sbh = s * b * h;
        assert_eq!(activation_bytes(l, h, a, s, b, Recompute::None).unwrap(), l * sbh * 114);
        assert_eq!(activation_bytes(l, h, a, s, b, Recompute::Selective).unwrap(), l * sbh * 34);
        assert_eq!(activation_bytes(l, h, a, s, b, Recompute::Full).unwrap(), l * sbh * 2);
        assert!(activation_bytes(0, h, a, s, b, Recompute::Full).is_err());
        assert!(activation_bytes(u64::MAX, h, a, s, b, Recompute::None).is_err());
    }

    #[test]
    fn partial_recompute_interpolates() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let (s, b, k) = (4096u64, 1u64, AttentionKernel::Flash);
        let none = model_activation_bytes(&m, s, b, k, Recompute::None).unwrap();
        assert_eq!(partial_recompute_bytes(&m, s, b, k, 0).unwrap(), none);
        let full = partial_recompute_bytes(&m, s, b, k, 32).unwrap();
        let per_layer = (none
            - activations(&m, &ActivationQuery { seq: s, micro_batch: b, kernel: k, recompute: Recompute::None })
                .unwrap()
                .rest_bytes)
            / 32;
        // Every layer checkpointed: the inputs, plus one layer rebuilt at a time.
        assert_eq!(full, model_activation_bytes(&m, s, b, k, Recompute::Full).unwrap() + per_layer);
        let half = partial_recompute_bytes(&m, s, b, k, 16).unwrap();
        assert!(half < none && half > full);
        assert_eq!(recompute_compute_factor(32, 0), 1.0);
        assert!((recompute_compute_factor(32, 32) - 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(recompute_compute_factor(0, 5), 1.0);
    }

    /// Llama 3.1 8B, 4K tokens, micro-batch 1, FlashAttention, per token and
    /// layer: norms 2 × (8·4096 + 4), attention 2·32·128 + 4·8·128 +
    /// 2·32·128 + 4·32, MLP 8·14336 → 200,840 B; × 4096 × 32 layers =
    /// 26.3 GB, plus the logits' fp32 log-softmax (4 × 128,256 × 4096 =
    /// 2.1 GB) and the rest. ZeRO-3 over 8 H100s: 16 GB of states, the
    /// activations and two gathered layers — well inside 80 GB, as anyone
    /// who has trained it knows.
    #[test]
    fn training_memory_llama8b() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let setup = TrainingSetup { stage: ZeroStage::Zero3, gpus: 8, ..TrainingSetup::default() };
        let t = training_memory(&m, &setup).unwrap();
        assert_eq!(t.states.per_gpu_bytes, 8_030_261_248u64 * 16 / 8);
        let layers = 200_840u64 * 4096 * 32;
        let rest = 8 * 4096 + 4 * 4096 * 128 + (8 * 4096 + 4) * 4096 + 4 * 128_256 * 4096 + 8 * 4097 + 4;
        assert_eq!(t.activation_bytes, layers + rest);
        assert_eq!(t.gathered_bytes, 2 * ((8_030_261_248 - 128_256 * 4096) / 32) * 2);
        assert!(t.per_gpu_bytes < 50_000_000_000, "{}", t.per_gpu_bytes);
        assert_eq!(t.global_batch, 8);
        assert!(t.unsharded_bytes > t.per_gpu_bytes);
        // Eager attention adds the 4K × 4K scores of every head: 6 × 32 × 4096² per layer.
        let eager = training_memory(&m, &TrainingSetup { kernel: AttentionKernel::Eager, ..setup }).unwrap();
        assert_eq!(
            eager.activation_bytes - t.activation_bytes,
            32 * (6 * 32 * 4096 * 4096 + (8 * 32 * 128 - (2 * 32 * 128 + 4 * 8 * 128 + 2 * 32 * 128 + 4 * 32)) * 4096)
        );
    }

    /// LoRA r = 16 on Llama-3.1-8B's attention: per layer 16 × ((4096+4096)
    /// + (4096+1024) × 2 + (4096+4096)) = 425,984 → 13,631,488 over 32 layers.
    #[test]
    fn lora_params() {
        let m = preset("llama-3.1-8b").unwrap().arch().unwrap();
        let l = lora_memory(&m, 16, LoraTargets { attention: true, mlp: false }, false).unwrap();
        assert_eq!(l.adapter_params, 13_631_488);
        assert_eq!(l.base_bytes, 8_030_261_248 * 2);
        let q = lora_memory(&m, 16, LoraTargets { attention: true, mlp: false }, true).unwrap();
        // NF4 base: the embeddings and LM head stay 16-bit, so it is 5.70 GB, not 16 / 4.
        assert_eq!(q.base_bytes, 5_702_540_160);
        assert_eq!(q.adapter_bytes, 13_631_488 * 16);
    }
}
