/* The LLaMA-style decoder (design §4): the model's public interface.
 *
 * CONTRACT between the model math (model.c, ops, attention variants, back ends) and the
 * training program (mnemo-train: loop, data parallelism, checkpoints, metrics), and later
 * Infini-attention, the GCA retriever and the CUDA back end.
 *
 * Parameters, gradients (and, in optimizer.h, AdamW moments) each live in ONE float32
 * allocation; named tensors are views into it at fixed offsets, in a fixed order that is
 * also the checkpoint and export layout. Shapes follow PyTorch/HF conventions: a linear
 * layer's weight is (out_features, in_features).
 */
#ifndef MNEMO_TRAINER_MODEL_H
#define MNEMO_TRAINER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum { MODEL_MAX_LAYERS = 128 };

/* Attention of one layer (a per-layer choice; later variants add kinds). */
typedef enum model_attention_kind {
    MODEL_ATTENTION_FULL = 0,    /* causal softmax attention */
    MODEL_ATTENTION_SLIDING = 1, /* causal, each query sees the last `window` keys */
} model_attention_kind;

typedef struct model_config {
    int vocab_size;      /* V */
    int n_layer;         /* L */
    int n_embd;          /* C */
    int n_head;          /* H; head size D = C / H */
    int n_kv_head;       /* Hkv; H % Hkv == 0 (grouped-query attention) */
    int ffn_hidden;      /* F (SwiGLU width) */
    int max_seq_len;     /* longest T the model is trained at (RoPE and evaluation defaults) */
    float rope_theta;    /* 10000 */
    float norm_eps;      /* RMSNorm epsilon, 1e-5 */
    bool tie_embeddings; /* output projection = token embedding */
    float init_std;      /* 0.02 */
    model_attention_kind attention[MODEL_MAX_LAYERS];
    int window[MODEL_MAX_LAYERS]; /* sliding window W per layer (SLIDING only) */
} model_config;

/* Fills `config` with the defaults of a small model and full attention everywhere. */
void model_config_default(model_config *config);
/* Checks every field (divisibility, ranges); the message names the field and the fix. */
mn_status model_config_validate(const model_config *config);

/* Parameter groups for the optimizer (design §4.6). */
typedef enum model_param_group {
    MODEL_GROUP_DECAY = 0,    /* matrices: weight decay */
    MODEL_GROUP_NO_DECAY = 1, /* norms and other vectors: no weight decay */
    MODEL_GROUP_GATE = 2,     /* Infini-attention balance factors β: own lr, no decay */
    MODEL_GROUP_COUNT
} model_param_group;

typedef struct model_tensor {
    const char *name; /* "layers.3.attn.wq" (HF names are produced by the exporter) */
    size_t offset;    /* in floats, into the parameter (and gradient) allocation */
    size_t size;      /* floats */
    int ndim;
    int shape[4];
    model_param_group group;
} model_tensor;

typedef struct model model;

/* Allocates parameters and gradients (zeroed); activations are sized at the first forward
 * for (B, T) and regrown when a larger shape comes. */
mn_status model_create(model **model, const model_config *config);
void model_free(model *model);
const model_config *model_get_config(const model *model);

/* Design §4.6: N(0, init_std), residual output projections scaled by 1/sqrt(2L), norms 1. */
void model_init_weights(model *model, uint64_t seed);

size_t model_num_params(const model *model);
float *model_params(model *model);
float *model_grads(model *model);
size_t model_num_tensors(const model *model);
const model_tensor *model_tensor_at(const model *model, size_t i);
const model_tensor *model_find_tensor(const model *model, const char *name);

/* Forward of a micro-batch. inputs and targets are (B,T); targets may be NULL (no loss),
 * and -1 in targets marks positions without loss. *loss = mean cross-entropy over the
 * positions with a target. Keeps what backward needs. */
mn_status model_forward(model *model, const int32_t *inputs, const int32_t *targets, int B, int T,
                        float *loss);
/* Logits (B,T,V) of the last forward. */
const float *model_logits(const model *model);
/* Backward of the last forward: ADDS d(loss * loss_scale)/d(params) into the gradients
 * (loss_scale = 1/grad_accum for accumulation). */
mn_status model_backward(model *model, float loss_scale);
void model_zero_grads(model *model);

/* Called during backward as soon as the gradients of a contiguous parameter range are
 * final for this micro-batch (in reverse layer order), so data parallelism can start
 * reducing them while backward goes on. Ranges are disjoint and together cover all
 * parameters once per backward. */
typedef void (*model_grad_ready_fn)(void *context, size_t offset, size_t count);
void model_set_grad_ready_hook(model *model, model_grad_ready_fn hook, void *context);

/* Model FLOPs per token of one training step (forward + backward) at sequence length T
 * (design §7): 6 * non-embedding parameters + attention terms of each layer's kind. */
double model_flops_per_token(const model_config *config, int T);

/* Incremental decoding with a KV cache (generation, passkey evaluation). */
typedef struct model_decoder model_decoder;
mn_status model_decoder_create(model_decoder **decoder, const model *model, int max_tokens);
/* Feeds one token at the next position; returns the logits (V) for the position after it,
 * valid until the next call. */
mn_status model_decoder_step(model_decoder *decoder, int32_t token, const float **logits);
void model_decoder_reset(model_decoder *decoder);
void model_decoder_free(model_decoder *decoder);

#endif
