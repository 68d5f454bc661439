//! The size of a long-term memory store: documents cut into chunks, one
//! embedding per chunk, an index over the embeddings and the chunks' text.
//!
//! Chunking: a document of `T` tokens cut into windows of `C` tokens that
//! overlap by `O` makes `1 + ceil((T − C) / (C − O))` chunks when `T > C`
//! (one chunk otherwise), the sliding split LangChain's
//! `RecursiveCharacterTextSplitter` and LlamaIndex's `SentenceSplitter`
//! approximate with their `chunk_size` / `chunk_overlap` settings.
//!
//! Indexes, as FAISS lays them out in RAM (FAISS wiki, "Faiss indexes",
//! the bytes-per-vector column, and "Guidelines to choose an index"):
//! - **Flat** (`IndexFlat`, `IndexScalarQuantizer` for fp16/int8,
//!   `IndexBinaryFlat` for 1-bit codes): the vectors and nothing else, ids
//!   implicit.
//! - **HNSW** (`IndexHNSWFlat`): the vectors plus the graph. Each vector
//!   draws a top level `l` with `P(l ≥ k) = M^−k` (`HNSW::set_default_probas`
//!   in `faiss/impl/HNSW.cpp`, level multiplier `1/ln M`, Malkov & Yashunin
//!   2018, arXiv 1603.09320, §4.1) and keeps `2M` neighbour slots on level 0
//!   and `M` on each level above, as 4-byte ids: `2M + M/(M − 1)` slots
//!   expected per vector (the paper's §4.2.3 gives the same structure). FAISS
//!   adds an 8-byte offset and a 4-byte level per vector (`HNSW::offsets`,
//!   `HNSW::levels`). The wiki's round figure is `4d + 8M` bytes per vector.
//!   Link bytes are an expectation: levels are random.
//! - **IVF-PQ** (`IndexIVFPQ`): per vector an `m`-byte code (8 bits per
//!   sub-quantizer) and its 8-byte id in the inverted list; once, the
//!   coarse centroids (`nlist × d` floats) and the PQ codebooks
//!   (`256 × d` floats). Jégou et al. 2011, "Product quantization for nearest
//!   neighbor search", IEEE TPAMI 33(1), §II and §IV.
//!
//! The chunks' text is stored beside the index (on disk, or in the same
//! database): about 4 bytes of UTF-8 per token for English text with a BPE
//! tokenizer (OpenAI, "What are tokens and how to count them": one token is
//! about four characters of English) — an estimate; other languages and
//! code differ.

use crate::error::{ceil_div, Checked, EstimateError, Result};
use crate::formula::{add, ceil, count, div, mul, num, sub, Formula, Unit};
use serde::Serialize;

/// An embedding model: its output width, from its model card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Embedder {
    pub id: &'static str,
    pub name: &'static str,
    pub dim: u64,
}

/// Embedding models people index with, and their widths: all-MiniLM-L6-v2
/// (sentence-transformers model card: 384), BGE base and BGE-M3 (BAAI
/// model cards: 768 and 1024), OpenAI text-embedding-3-small and -large
/// (OpenAI embeddings guide: 1536 and 3072 by default), Qwen3-Embedding-8B
/// (Qwen model card: up to 4096).
pub const EMBEDDERS: &[Embedder] = &[
    Embedder { id: "all-minilm-l6-v2", name: "all-MiniLM-L6-v2 (384)", dim: 384 },
    Embedder { id: "bge-base-en-v1.5", name: "BGE base v1.5 (768)", dim: 768 },
    Embedder { id: "bge-m3", name: "BGE-M3 (1024)", dim: 1024 },
    Embedder { id: "text-embedding-3-small", name: "OpenAI text-embedding-3-small (1536)", dim: 1536 },
    Embedder { id: "text-embedding-3-large", name: "OpenAI text-embedding-3-large (3072)", dim: 3072 },
    Embedder { id: "qwen3-embedding-8b", name: "Qwen3-Embedding-8B (4096)", dim: 4096 },
];

/// The embedder with this id.
pub fn embedder(id: &str) -> Option<&'static Embedder> {
    EMBEDDERS.iter().find(|e| e.id.eq_ignore_ascii_case(id))
}

/// How each component of an embedding is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VectorDtype {
    F32,
    F16,
    Int8,
    /// One bit per component (binary quantization).
    Binary,
}

impl VectorDtype {
    pub const ALL: [VectorDtype; 4] = [VectorDtype::F32, VectorDtype::F16, VectorDtype::Int8, VectorDtype::Binary];

    pub fn id(self) -> &'static str {
        match self {
            VectorDtype::F32 => "f32",
            VectorDtype::F16 => "f16",
            VectorDtype::Int8 => "int8",
            VectorDtype::Binary => "binary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == s)
    }

    /// Bytes of one vector of `dim` components.
    pub fn vector_bytes(self, dim: u64) -> Result<u64> {
        Ok(match self {
            VectorDtype::F32 => dim.mul_or(4, "vector bytes")?,
            VectorDtype::F16 => dim.mul_or(2, "vector bytes")?,
            VectorDtype::Int8 => dim,
            VectorDtype::Binary => ceil_div(dim, 8),
        })
    }
}

/// The index over the embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum IndexKind {
    Flat,
    /// HNSW with `m` links per vector on the upper levels (`2m` on level 0).
    Hnsw {
        m: u64,
    },
    /// IVF with `nlist` lists and product quantization to `m` bytes per vector.
    IvfPq {
        nlist: u64,
        m: u64,
    },
}

/// A memory store to size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StoreQuery {
    pub documents: u64,
    /// Average tokens per document.
    pub tokens_per_document: u64,
    pub chunk_tokens: u64,
    pub overlap_tokens: u64,
    /// Embedding width.
    pub dim: u64,
    pub dtype: VectorDtype,
    pub index: IndexKind,
}

/// Where a store's bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoreSize {
    pub chunks: u64,
    /// The embeddings as the index keeps them (full vectors for flat and
    /// HNSW; PQ codes for IVF-PQ).
    pub vector_bytes: u64,
    /// HNSW's neighbour lists, offsets and levels (expected).
    pub graph_bytes: u64,
    /// IVF's 8-byte ids in the inverted lists.
    pub id_bytes: u64,
    /// IVF's coarse centroids and PQ codebooks, once per index.
    pub codebook_bytes: u64,
    /// The index in RAM: everything above.
    pub index_bytes: u64,
    /// The chunks' text, overlap included (estimated at 4 bytes per token).
    pub text_bytes: u64,
    /// The full-precision (f32) embeddings, for comparison.
    pub f32_vector_bytes: u64,
}

/// Bytes of text per token (see the module documentation).
pub const TEXT_BYTES_PER_TOKEN: u64 = 4;

/// Chunks one document of `tokens` makes.
pub fn chunks_per_document(tokens: u64, chunk: u64, overlap: u64) -> Result<u64> {
    if chunk == 0 || overlap >= chunk {
        return Err(EstimateError::OutOfRange {
            what: "chunking".into(),
            reason: format!("the overlap ({overlap}) must be smaller than the chunk ({chunk} tokens)"),
        });
    }
    if tokens <= chunk {
        return Ok(u64::from(tokens > 0));
    }
    Ok(1 + ceil_div(tokens - chunk, chunk - overlap))
}

/// The store's size.
pub fn store_size(q: &StoreQuery) -> Result<StoreSize> {
    if q.dim == 0 {
        return Err(EstimateError::OutOfRange { what: "embedding width".into(), reason: "must be at least 1".into() });
    }
    let per_doc = chunks_per_document(q.tokens_per_document, q.chunk_tokens, q.overlap_tokens)?;
    let chunks = per_doc.mul_or(q.documents, "chunks")?;
    let f32_vector_bytes = VectorDtype::F32.vector_bytes(q.dim)?.mul_or(chunks, "vector bytes")?;
    let full = q.dtype.vector_bytes(q.dim)?.mul_or(chunks, "vector bytes")?;
    let (vector_bytes, graph_bytes, id_bytes, codebook_bytes) = match q.index {
        IndexKind::Flat => (full, 0, 0, 0),
        IndexKind::Hnsw { m } => {
            if m < 2 {
                return Err(EstimateError::OutOfRange { what: "HNSW M".into(), reason: "must be at least 2".into() });
            }
            // Expected slots: 2M on level 0, M for each level above; a level
            // k ≥ 1 is reached with probability M^−k, so Σ M·M^−k = M/(M−1).
            let slots_x = (2 * m).mul_or(m - 1, "HNSW links")?.add_or(m, "HNSW links")?;
            let link_bytes = ceil_div(slots_x.mul_or(4, "HNSW links")?.mul_or(chunks, "HNSW links")?, m - 1);
            let graph = link_bytes.add_or(chunks.mul_or(8 + 4, "HNSW offsets")?, "HNSW graph")?;
            (full, graph, 0, 0)
        }
        IndexKind::IvfPq { nlist, m } => {
            if m == 0 || q.dim % m != 0 {
                return Err(EstimateError::OutOfRange {
                    what: "PQ sub-quantizers".into(),
                    reason: format!("{m} must divide the embedding width {}", q.dim),
                });
            }
            let codes = m.mul_or(chunks, "PQ codes")?;
            let ids = chunks.mul_or(8, "IVF ids")?;
            let centroids = nlist.mul_or(q.dim, "IVF centroids")?.mul_or(4, "IVF centroids")?;
            let codebooks = (256 * 4u64).mul_or(q.dim, "PQ codebooks")?;
            (codes, 0, ids, centroids.add_or(codebooks, "codebooks")?)
        }
    };
    let index_bytes =
        vector_bytes.add_or(graph_bytes, "index")?.add_or(id_bytes, "index")?.add_or(codebook_bytes, "index")?;
    let text_bytes = chunk_text_tokens(q)?.mul_or(TEXT_BYTES_PER_TOKEN, "text bytes")?;
    Ok(StoreSize {
        chunks,
        vector_bytes,
        graph_bytes,
        id_bytes,
        codebook_bytes,
        index_bytes,
        text_bytes,
        f32_vector_bytes,
    })
}

/// The formula behind [`StoreSize::index_bytes`] for `q` (module docs for
/// each index's layout and sources): the vectors (or PQ codes), plus HNSW's
/// expected neighbour slots and per-vector offset and level, or IVF's ids,
/// centroids and codebooks.
pub fn index_formula(q: &StoreQuery, s: &StoreSize) -> Formula {
    let n = || count("n", "chunks (one vector each)", s.chunks);
    let terms = match q.index {
        IndexKind::Flat | IndexKind::Hnsw { .. } => {
            let v = q.dtype.vector_bytes(q.dim).unwrap_or(0);
            let mut t = vec![mul(vec![n(), count("v", "bytes per vector (width × bytes per component)", v)])];
            if let IndexKind::Hnsw { m } = q.index {
                let m = || count("M", "HNSW links per vector on the upper levels", m);
                let m1 = || sub(m(), num(1.0));
                t.push(ceil(div(mul(vec![n(), num(4.0), add(vec![mul(vec![num(2.0), m(), m1()]), m()])]), m1())));
                t.push(mul(vec![n(), num(12.0)]));
            }
            t
        }
        IndexKind::IvfPq { nlist, m } => {
            let d = || count("d", "embedding width", q.dim);
            vec![
                mul(vec![n(), count("m", "PQ code bytes per vector", m)]),
                mul(vec![n(), num(8.0)]),
                mul(vec![count("L", "IVF lists (coarse centroids)", nlist), d(), num(4.0)]),
                mul(vec![num(256.0), d(), num(4.0)]),
            ]
        }
    };
    Formula::new(
        "Index in RAM",
        add(terms),
        Unit::Bytes,
        "FAISS wiki, Faiss indexes (bytes per vector) and faiss/impl/HNSW.cpp; Malkov & Yashunin 2018 (arXiv 1603.09320) §4; Jégou et al. 2011, IEEE TPAMI 33(1) §II, §IV",
    )
}

/// Tokens of text across all chunks (overlaps counted twice, as stored).
fn chunk_text_tokens(q: &StoreQuery) -> Result<u64> {
    let t = q.tokens_per_document;
    let per_doc = chunks_per_document(t, q.chunk_tokens, q.overlap_tokens)?;
    // Every chunk but the last is full; the last holds what remains.
    let tokens = if per_doc <= 1 {
        t
    } else {
        let before_last = (per_doc - 1).mul_or(q.chunk_tokens, "chunk tokens")?;
        let covered = (per_doc - 1) * (q.chunk_tokens - q.overlap_tokens);
        before_last + (t - covered).min(q.chunk_tokens)
    };
    tokens.mul_or(q.documents, "chunk tokens")
}

/// The IVF list count FAISS's guidelines suggest for `n` vectors: about
/// `4·√n` ("Guidelines to choose an index": between 4·√n and 16·√n),
/// at least 1.
pub fn suggested_nlist(n: u64) -> u64 {
    ((4.0 * (n as f64).sqrt()) as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(index: IndexKind) -> StoreQuery {
        StoreQuery {
            documents: 1_000_000,
            tokens_per_document: 1_000,
            chunk_tokens: 512,
            overlap_tokens: 64,
            dim: 768,
            dtype: VectorDtype::F32,
            index,
        }
    }

    #[test]
    fn chunking() {
        assert_eq!(chunks_per_document(0, 512, 0).unwrap(), 0);
        assert_eq!(chunks_per_document(512, 512, 64).unwrap(), 1);
        // 1,000 tokens: [0,512), [448,960), [896,1000) — three chunks.
        assert_eq!(chunks_per_document(1000, 512, 64).unwrap(), 3);
        assert_eq!(chunks_per_document(1024, 512, 0).unwrap(), 2);
        assert!(chunks_per_document(10, 64, 64).is_err());
    }

    /// Flat f32: 4·d bytes per vector, nothing else (FAISS wiki).
    #[test]
    fn flat_is_the_vectors() {
        let s = store_size(&q(IndexKind::Flat)).unwrap();
        assert_eq!(s.chunks, 3_000_000);
        assert_eq!(s.index_bytes, 3_000_000 * 768 * 4);
        // Text: 512 + 512 + 104 tokens per document.
        assert_eq!(s.text_bytes, 1_000_000 * (512 + 512 + 104) * 4);
        let b = store_size(&StoreQuery { dtype: VectorDtype::Binary, ..q(IndexKind::Flat) }).unwrap();
        assert_eq!(b.index_bytes, 3_000_000 * 96);
    }

    /// HNSW32: 2·32 + 32/31 expected slots of 4 bytes, plus 12 bytes of
    /// offset and level, next to the wiki's round 4d + 8M.
    #[test]
    fn hnsw_graph() {
        let s = store_size(&q(IndexKind::Hnsw { m: 32 })).unwrap();
        let n = 3_000_000u64;
        let links = (n * 4 * (64 * 31 + 32)).div_ceil(31);
        assert_eq!(s.graph_bytes, links + n * 12);
        let wiki = n * (768 * 4 + 8 * 32);
        let ours = s.index_bytes as f64;
        assert!((ours / wiki as f64 - 1.0).abs() < 0.02, "{ours} vs {wiki}");
    }

    /// IVF-PQ: m + 8 bytes per vector, plus centroids and codebooks.
    #[test]
    fn ivf_pq() {
        let s = store_size(&q(IndexKind::IvfPq { nlist: 4096, m: 64 })).unwrap();
        let n = 3_000_000u64;
        assert_eq!(s.vector_bytes + s.id_bytes, n * (64 + 8));
        assert_eq!(s.codebook_bytes, 4096 * 768 * 4 + 256 * 768 * 4);
        assert!(store_size(&q(IndexKind::IvfPq { nlist: 16, m: 7 })).is_err());
        assert_eq!(suggested_nlist(3_000_000), 6928);
    }

    #[test]
    fn absurd_inputs_are_errors_not_panics() {
        let big = StoreQuery { documents: u64::MAX, ..q(IndexKind::Hnsw { m: 64 }) };
        assert!(store_size(&big).is_err());
        assert!(store_size(&StoreQuery { dim: 0, ..q(IndexKind::Flat) }).is_err());
        assert!(store_size(&q(IndexKind::Hnsw { m: 1 })).is_err());
    }
}
