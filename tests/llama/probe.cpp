// Sizes a GGUF model the way llama.cpp would load it, without allocating or
// reading weights: llama_model_params.no_alloc makes llama.cpp lay out the
// model, KV cache and worst-case compute buffers as a real load does and
// report their sizes (llama_get_memory_breakdown). One line of JSON per
// case on stdout. With PROBE_GRAPH=PREFIX set, each case's worst-case graph
// is also written to PREFIX.<case index>.jsonl.
//
// usage: probe MODEL.gguf CASE...   where CASE is
//   n_ctx,n_batch,n_ubatch,n_seq_max,flash_attn(0|1),type_k,type_v,n_gpu_layers
// (type ids as in enum ggml_type). Built by `cargo xtask` against the
// llama.cpp shared library that node-llama-cpp ships.
#include "llama.h"
#include "llama-ext.h"
#include "ggml-backend.h"
#include "ggml-impl.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

// Writes the worst-case prompt graph llama.cpp reserves its compute buffer
// for (llama_graph_reserve with the sizes llama_context::sched_reserve
// uses), one JSON object per tensor, nodes then leafs in graph order.
static void dump_graph(llama_context * ctx, const char * path, unsigned n_ctx, unsigned n_ubatch, unsigned n_seq) {
    unsigned n_tokens = n_ctx < n_ubatch ? n_ctx : n_ubatch;
    ggml_cgraph * gf = llama_graph_reserve(ctx, n_tokens, n_seq, n_tokens);
    FILE * f = fopen(path, "w");
    if (!gf || !f) {
        fprintf(stderr, "could not dump the graph to %s\n", path);
        if (f) fclose(f);
        return;
    }
    std::map<const ggml_tensor *, int> id;
    for (int i = 0; i < gf->n_nodes; i++) id[gf->nodes[i]] = i;
    for (int i = 0; i < gf->n_leafs; i++) id[gf->leafs[i]] = gf->n_nodes + i;
    auto idx = [&](const ggml_tensor * t) { auto it = id.find(t); return t == nullptr ? -1 : it == id.end() ? -2 : it->second; };
    for (int i = 0; i < gf->n_nodes + gf->n_leafs; i++) {
        const ggml_tensor * t = i < gf->n_nodes ? gf->nodes[i] : gf->leafs[i - gf->n_nodes];
        fprintf(f, "{\"i\":%d,\"leaf\":%s,\"name\":\"%s\",\"op\":\"%s\",\"desc\":\"%s\",\"type\":\"%s\","
                "\"ne\":[%lld,%lld,%lld,%lld],\"nb\":[%zu,%zu,%zu,%zu],\"nbytes\":%zu,\"view_src\":%d,"
                "\"view_offs\":%zu,\"flags\":%d,\"external\":%s,\"src\":[",
                i, i < gf->n_nodes ? "false" : "true", t->name, ggml_op_name(t->op), ggml_op_desc(t), ggml_type_name(t->type),
                (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3],
                t->nb[0], t->nb[1], t->nb[2], t->nb[3], ggml_nbytes(t), idx(t->view_src), t->view_offs, (int) t->flags,
                (t->data != nullptr || t->buffer != nullptr) ? "true" : "false");
        for (int s = 0; s < GGML_MAX_SRC; s++) {
            fprintf(f, "%s%d", s ? "," : "", idx(t->src[s]));
        }
        fprintf(f, "]}\n");
    }
    fclose(f);
}

static std::string g_log;

static void on_log(ggml_log_level level, const char * text, void *) {
    (void) level;
    g_log += text;
}

// The last "<what> buffer size = X MiB" number logged, as printed (MiB, 2 decimals).
static double logged_mib(const char * what) {
    double last = -1.0;
    size_t pos = 0;
    std::string needle = std::string(what) + " buffer size = ";
    while ((pos = g_log.find(needle, pos)) != std::string::npos) {
        pos += needle.size();
        last = atof(g_log.c_str() + pos);
    }
    return last;
}

int main(int argc, char ** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf n_ctx,n_batch,n_ubatch,n_seq,fa,type_k,type_v,ngl ...\n", argv[0]);
        return 2;
    }
    llama_log_set(on_log, nullptr);
    // The CPU backend is a plugin; load the baseline x86-64 build so the
    // figures do not depend on which CPU features this machine has.
    const char * backend = getenv("PROBE_CPU_BACKEND");
    if (!backend || !ggml_backend_load(backend)) {
        fprintf(stderr, "could not load the CPU backend (PROBE_CPU_BACKEND=%s)\n", backend ? backend : "");
        return 2;
    }
    llama_backend_init();
    for (int c = 2; c < argc; c++) {
        unsigned n_ctx, n_batch, n_ubatch, n_seq;
        int fa, tk, tv, ngl;
        if (sscanf(argv[c], "%u,%u,%u,%u,%d,%d,%d,%d", &n_ctx, &n_batch, &n_ubatch, &n_seq, &fa, &tk, &tv, &ngl) != 8) {
            fprintf(stderr, "bad case %s\n", argv[c]);
            return 2;
        }
        g_log.clear();
        llama_model_params mp = llama_model_default_params();
        mp.no_alloc = true;
        mp.load_mode = getenv("PROBE_MMAP") ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
        mp.n_gpu_layers = ngl;
        mp.use_extra_bufts = false;
        llama_model * model = llama_model_load_from_file(argv[1], mp);
        if (!model) {
            printf("{\"case\":\"%s\",\"error\":\"model did not load\"}\n", argv[c]);
            fprintf(stderr, "%s", g_log.c_str());
            continue;
        }
        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = n_ctx;
        cp.n_batch = n_batch;
        cp.n_ubatch = n_ubatch;
        cp.n_seq_max = n_seq;
        cp.flash_attn_type = fa ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
        cp.type_k = (ggml_type) tk;
        cp.type_v = (ggml_type) tv;
        // llama-server's and llama-cli's defaults (common/common.h).
        cp.swa_full = false;
        cp.kv_unified = false;
        cp.n_threads = 1;
        cp.n_threads_batch = 1;
        llama_context * ctx = llama_init_from_model(model, cp);
        if (!ctx) {
            printf("{\"case\":\"%s\",\"error\":\"context did not initialise\"}\n", argv[c]);
            fprintf(stderr, "%s", g_log.c_str());
            llama_model_free(model);
            continue;
        }
        if (const char * prefix = getenv("PROBE_GRAPH")) {
            std::string path = std::string(prefix) + "." + std::to_string(c - 2) + ".jsonl";
            dump_graph(ctx, path.c_str(), llama_n_ctx(ctx), n_ubatch, n_seq);
        }
        size_t model_b = 0, context_b = 0, compute_b = 0;
        std::string per_buft;
        for (const auto & [buft, mb] : llama_get_memory_breakdown(ctx)) {
            model_b += mb.model;
            context_b += mb.context;
            compute_b += mb.compute;
            char line[256];
            snprintf(line, sizeof line, "%s{\"buft\":\"%s\",\"model\":%zu,\"context\":%zu,\"compute\":%zu}",
                     per_buft.empty() ? "" : ",", ggml_backend_buft_name(buft), mb.model, mb.context, mb.compute);
            per_buft += line;
        }
        printf("{\"case\":\"%s\",\"model\":%zu,\"context\":%zu,\"compute\":%zu,\"output_mib\":%.2f,"
               "\"n_ctx\":%u,\"n_seq\":%u,\"by_buffer_type\":[%s]}\n",
               argv[c], model_b, context_b, compute_b, logged_mib("output"), llama_n_ctx(ctx),
               llama_n_seq_max(ctx), per_buft.c_str());
        fflush(stdout);
        if (getenv("PROBE_LOG")) {
            fprintf(stderr, "%s", g_log.c_str());
        }
        llama_free(ctx);
        llama_model_free(model);
    }
    llama_backend_free();
    return 0;
}
