/* AdamW with parameter groups, gradient clipping and learning-rate schedules (design §4.6).
 *
 * CONTRACT between the model math and mnemo-train. The two moments live in one float32
 * allocation laid out like the parameters (checkpoints store it as one tensor each).
 */
#ifndef MNEMO_TRAINER_OPTIMIZER_H
#define MNEMO_TRAINER_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "trainer/model.h"

typedef enum lr_schedule_kind {
    LR_SCHEDULE_COSINE = 0, /* linear warmup, cosine decay to min_lr_ratio * lr */
    LR_SCHEDULE_WSD = 1,    /* warmup, stable, then decay over the last decay_fraction */
    LR_SCHEDULE_CONSTANT = 2,
} lr_schedule_kind;

typedef struct optimizer_config {
    float lr;           /* peak learning rate */
    float beta1, beta2; /* 0.9, 0.95 */
    float eps;          /* 1e-8 */
    float weight_decay; /* 0.1, matrices only */
    float grad_clip;    /* global norm; 0 disables */
    float gate_lr;      /* peak lr of MODEL_GROUP_GATE (1e-2), same schedule shape as lr */
    lr_schedule_kind schedule;
    uint64_t warmup_steps;
    uint64_t total_steps;
    float min_lr_ratio;   /* final lr / peak lr */
    float decay_fraction; /* WSD: fraction of total_steps spent decaying */
} optimizer_config;

void optimizer_config_default(optimizer_config *config);
mn_status optimizer_config_validate(const optimizer_config *config);

/* The learning rate at `step` (0-based) for the peak `lr`. */
float lr_at_step(const optimizer_config *config, float lr, uint64_t step);

typedef struct adamw adamw;

mn_status adamw_create(adamw **optimizer, const model *model, const optimizer_config *config);
void adamw_free(adamw *optimizer);
/* The global L2 norm of the gradients (computed in double). */
double grad_global_norm(const float *grads, size_t n);
/* One update at `step` with the gradients in model_grads: clips to grad_clip by
 * `grad_norm` (the caller computes it, after data-parallel averaging), applies each
 * group's learning rate and weight decay. Deterministic for a given input. */
mn_status adamw_step(adamw *optimizer, model *model, uint64_t step, double grad_norm);
/* The moment buffers (2 * model_num_params floats: m then v) for checkpoints. */
float *adamw_state(adamw *optimizer);
size_t adamw_state_size(const adamw *optimizer);

#endif
