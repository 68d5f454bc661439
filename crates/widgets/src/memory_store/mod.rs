//! 08 · Sizing a long-term memory store: documents → chunks → embeddings →
//! an index (flat, HNSW, IVF-PQ) in RAM, and the chunks' text beside it
//! ([`llmem_estimator::vector_store::store_size`]).

use crate::bars::{Segment, StackedBar};
use crate::controls::{next_uid, Choice, Select, StepSlider};
use crate::frame::WidgetFrame;
use crate::params::Params;
use crate::units::show;
use leptos::prelude::*;
use llmem_estimator::{
    units::{fixed, group_thousands},
    vector_store::{embedder, store_size, suggested_nlist, IndexKind, StoreQuery, StoreSize, VectorDtype, EMBEDDERS},
};

pub const DOC_STEPS: [u64; 7] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];
pub const TOKEN_STEPS: [u64; 7] = [200, 500, 1_000, 2_000, 5_000, 20_000, 100_000];
pub const CHUNK_STEPS: [u64; 6] = [128, 256, 512, 1_024, 2_048, 8_192];
pub const OVERLAP_STEPS: [u64; 6] = [0, 32, 64, 128, 256, 512];
/// HNSW's `M` or PQ's bytes per vector, by index kind.
pub const LINK_STEPS: [u64; 4] = [8, 16, 32, 64];

/// The store for the widget's settings; an error text when the settings
/// cannot make a store (an overlap as large as the chunk, a PQ size that
/// does not divide the width).
#[allow(clippy::too_many_arguments)]
pub fn size_for(
    documents: u64,
    tokens: u64,
    chunk: u64,
    overlap: u64,
    embed: &str,
    dtype: &str,
    index: &str,
    links: u64,
) -> Result<(StoreSize, StoreQuery), String> {
    let dim = embedder(embed).map_or(768, |e| e.dim);
    let dtype = VectorDtype::parse(dtype).unwrap_or(VectorDtype::F32);
    let per_doc =
        llmem_estimator::vector_store::chunks_per_document(tokens, chunk, overlap).map_err(|e| e.to_string())?;
    let index = match index {
        "hnsw" => IndexKind::Hnsw { m: links },
        "ivf-pq" => IndexKind::IvfPq { nlist: suggested_nlist(per_doc.saturating_mul(documents)), m: links },
        _ => IndexKind::Flat,
    };
    let q = StoreQuery {
        documents,
        tokens_per_document: tokens,
        chunk_tokens: chunk,
        overlap_tokens: overlap,
        dim,
        dtype,
        index,
    };
    store_size(&q).map(|s| (s, q)).map_err(|e| e.to_string())
}

/// The index against the same vectors as plain float32.
fn compare(s: &StoreSize, dim: u64) -> String {
    let f32 = s.f32_vector_bytes;
    if s.index_bytes == f32 {
        format!("Each chunk is one {dim}-wide embedding: {} as float32, and that is all this index stores.", show(f32))
    } else if s.index_bytes > f32 {
        format!(
            "Each chunk is one {dim}-wide embedding: {} as float32. The index keeps them and adds {} of its own.",
            show(f32),
            show(s.index_bytes - f32)
        )
    } else {
        format!(
            "Each chunk is one {dim}-wide embedding: {} as float32. This index holds them in {}, {}× less.",
            show(f32),
            show(s.index_bytes),
            fixed(f32 as f64 / s.index_bytes.max(1) as f64, 1)
        )
    }
}

/// The memory-store widget.
#[component]
pub fn MemoryStore(
    /// Resolved parameters (defaults, `data-*` attributes, URL).
    params: Params,
) -> impl IntoView {
    let uid = next_uid();
    let docs = RwSignal::new(params.u64("docs"));
    let tokens = RwSignal::new(params.u64("tokens"));
    let chunk = RwSignal::new(params.u64("chunk"));
    let overlap = RwSignal::new(params.u64("overlap"));
    let embed = RwSignal::new(params.get("embedder").to_string());
    let dtype = RwSignal::new(params.get("dtype").to_string());
    let index = RwSignal::new(params.get("index").to_string());
    let links = RwSignal::new(params.u64("links"));
    let data = Memo::new(move |_| {
        size_for(
            docs.get(),
            tokens.get(),
            chunk.get(),
            overlap.get(),
            &embed.get(),
            &dtype.get(),
            &index.get(),
            links.get(),
        )
    });
    let state = Signal::derive(move || {
        vec![
            ("docs", docs.get().to_string()),
            ("tokens", tokens.get().to_string()),
            ("chunk", chunk.get().to_string()),
            ("overlap", overlap.get().to_string()),
            ("embedder", embed.get()),
            ("dtype", dtype.get()),
            ("index", index.get()),
            ("links", links.get().to_string()),
        ]
    });
    let index_segments = Signal::derive(move || match data.get() {
        Ok((s, q)) => vec![
            Segment {
                label: if matches!(q.index, IndexKind::IvfPq { .. }) { "PQ codes" } else { "vectors" },
                bytes: s.vector_bytes,
                class: "lw-c-weights",
            },
            Segment { label: "HNSW graph links", bytes: s.graph_bytes, class: "lw-c-act" },
            Segment { label: "ids in the inverted lists", bytes: s.id_bytes, class: "lw-c-opt" },
            Segment { label: "centroids and codebooks", bytes: s.codebook_bytes, class: "lw-c-muted" },
        ],
        Err(_) => Vec::new(),
    });
    let text_segments = Signal::derive(move || match data.get() {
        Ok((s, _)) => {
            vec![Segment { label: "chunk text (about 4 bytes per token)", bytes: s.text_bytes, class: "lw-c-kv" }]
        }
        Err(_) => Vec::new(),
    });
    let scale = Signal::derive(move || data.get().map_or(1, |(s, _)| s.index_bytes.max(s.text_bytes).max(1)));
    let embed_options: Vec<(String, String)> =
        EMBEDDERS.iter().map(|e| (e.id.to_string(), e.name.to_string())).collect();
    let dtype_options: Vec<(String, String)> =
        [("f32", "float32"), ("f16", "float16"), ("int8", "int8"), ("binary", "1 bit")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    let index_options: Vec<(String, String)> = [("flat", "Flat (exact)"), ("hnsw", "HNSW graph"), ("ivf-pq", "IVF-PQ")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let formula: crate::formula::FormulaFn =
        std::sync::Arc::new(move || data.get().ok().map(|(s, q)| llmem_estimator::vector_store::index_formula(&q, &s)));
    let is_flat = Signal::derive(move || index.get() == "flat");
    let is_pq = Signal::derive(move || index.get() == "ivf-pq");
    view! {
        <WidgetFrame params=params.clone() uid=uid.clone() state=state class="lw-store" formula
            subtitle="Documents become chunks, chunks become vectors, vectors go into an index. What the memory costs in RAM, and the text kept beside it.".into()>
            <div class="lw-controls">
                <StepSlider id=format!("{uid}-docs") label="Documents" steps=&DOC_STEPS
                    count=Signal::stored(DOC_STEPS.len()) value=docs
                    text=Callback::new(group_thousands) />
                <StepSlider id=format!("{uid}-tokens") label="Tokens per document" steps=&TOKEN_STEPS
                    count=Signal::stored(TOKEN_STEPS.len()) value=tokens
                    text=Callback::new(group_thousands) />
                <StepSlider id=format!("{uid}-chunk") label="Chunk size (tokens)" steps=&CHUNK_STEPS
                    count=Signal::stored(CHUNK_STEPS.len()) value=chunk
                    text=Callback::new(group_thousands) />
                <StepSlider id=format!("{uid}-overlap") label="Chunk overlap (tokens)" steps=&OVERLAP_STEPS
                    count=Signal::stored(OVERLAP_STEPS.len()) value=overlap
                    text=Callback::new(group_thousands) />
                <Select id=format!("{uid}-embedder") label="Embedding model" options=embed_options value=embed />
                <Select id=format!("{uid}-dtype") label="Vectors stored as" options=dtype_options value=dtype />
                <Choice name=format!("{uid}-index") legend="Index" options=index_options value=index />
                <StepSlider id=format!("{uid}-links") label="HNSW M, or PQ bytes per vector" steps=&LINK_STEPS
                    count=Signal::stored(LINK_STEPS.len()) value=links disabled=is_flat
                    text=Callback::new(move |l: u64| if is_pq.get() { format!("{l} bytes") } else { format!("M = {l}") }) />
            </div>
            <StackedBar label=Signal::derive(|| "Index in RAM".to_string()) segments=index_segments scale=scale />
            <StackedBar label=Signal::derive(|| "Chunk text, on disk or in the database".to_string()) segments=text_segments scale=scale />
            <div class="lw-result" aria-live="polite">
                {move || match data.get() {
                    Ok((s, q)) => view! {
                        <p class="lw-big">{show(s.index_bytes)}" "<span class="lw-big-label">
                            {format!("of index in RAM for {} chunks of up to {} tokens", group_thousands(s.chunks), group_thousands(q.chunk_tokens))}</span></p>
                        <p class="lw-detail">{compare(&s, q.dim)}</p>
                        <p class="lw-detail">{match q.index {
                            IndexKind::Flat => "A flat index compares the query with every vector: exact, and the vectors are all it stores.".to_string(),
                            IndexKind::Hnsw { m } => format!("HNSW keeps {} neighbour ids per vector on the bottom level and {m} on each level above, about {} bytes of links per vector next to {} of vector.",
                                2 * m, s.graph_bytes / s.chunks.max(1), show(s.vector_bytes / s.chunks.max(1))),
                            IndexKind::IvfPq { nlist, m } => format!("IVF-PQ splits the vectors into {} lists and keeps a {m}-byte code and an 8-byte id per vector; the full vectors are not kept, so results are approximate and often re-ranked.",
                                group_thousands(nlist)),
                        }}</p>
                        <p class="lw-source">"Index layouts as FAISS stores them; text at about 4 bytes per token (an estimate for English)."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="lw-detail lw-warn">{format!("No store for these settings: {e}.")}</p> }.into_any(),
                }}
            </div>
        </WidgetFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let (s, q) = size_for(1_000_000, 1_000, 512, 64, "bge-base-en-v1.5", "f32", "hnsw", 32).unwrap();
        assert_eq!(q.dim, 768);
        assert_eq!(s.chunks, 3_000_000);
        assert!(size_for(1_000, 1_000, 128, 128, "bge-m3", "f32", "flat", 32).is_err());
        assert!(size_for(1_000, 1_000, 512, 0, "all-minilm-l6-v2", "f32", "ivf-pq", 64).is_ok());
        assert!(compare(&s, 768).contains("adds"));
        let (flat, _) = size_for(1_000, 1_000, 512, 64, "bge-m3", "f32", "flat", 32).unwrap();
        assert!(compare(&flat, 1024).contains("all this index stores"));
        let (pq, _) = size_for(1_000, 1_000, 512, 64, "bge-m3", "f32", "ivf-pq", 32).unwrap();
        assert!(compare(&pq, 1024).contains("× less"));
    }
}
