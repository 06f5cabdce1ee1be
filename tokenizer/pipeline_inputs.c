/* Inputs of mnemo-bpe and mnemo-tokenize: listing document shards, assigning them to ranks. */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "shards/manifest.h"
#include "tokenizer/pipeline.h"

static mn_status list_add(tok_input_list *list, const char *path) {
    uint64_t size;
    MN_FORWARD_IF_ERROR_CTX(mn_file_size(path, &size), "document shard %s", path);
    void *p = list->paths, *s = list->sizes;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&p, list->count + 1, sizeof *list->paths));
    list->paths = p;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&s, list->count + 1, sizeof *list->sizes));
    list->sizes = s;
    list->paths[list->count] = mn_strdup(path);
    if (list->paths[list->count] == NULL)
        return MN_ERR_NOMEM;
    list->sizes[list->count++] = size;
    return MN_OK;
}

mn_status tok_input_list_build(tok_input_list *list, char *const *inputs, size_t n_inputs) {
    *list = (tok_input_list){0};
    for (size_t i = 0; i < n_inputs; i++) {
        const char *input = inputs[i];
        size_t len = strlen(input);
        bool manifest =
            mn_is_directory(input) || (len >= 11 && strcmp(input + len - 11, "manifest.pb") == 0);
        if (!manifest) {
            MN_RETURN_ERROR_IF(!mn_path_exists(input), MN_ERR_NOT_FOUND,
                               "input %s does not exist (give a document dataset directory, its "
                               "manifest.pb, or .jsonl.zst shards)",
                               input);
            MN_FORWARD_IF_ERROR(list_add(list, input));
            continue;
        }
        shard_manifest m;
        MN_FORWARD_IF_ERROR_CTX(shard_manifest_load(&m, input), "input %s", input);
        mn_status status = MN_OK;
        if (m.kind != SHARD_DATASET_DOCUMENTS)
            status = mn_error(MN_ERR_ARG, "input %s is not a document dataset (kind %d)", input,
                              (int)m.kind);
        for (size_t k = 0; status == MN_OK && k < m.n_shards; k++) {
            char *path = shard_manifest_shard_path(&m, k);
            status = path ? list_add(list, path) : MN_ERR_NOMEM;
            free(path);
        }
        shard_manifest_free(&m);
        MN_FORWARD_IF_ERROR(status);
    }
    MN_RETURN_ERROR_IF(list->count == 0, MN_ERR_ARG, "no document shards in the inputs");
    return MN_OK;
}

void tok_input_list_free(tok_input_list *list) {
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    free(list->sizes);
    *list = (tok_input_list){0};
}

typedef struct sized {
    uint64_t size;
    size_t index;
} sized;

static int by_size_desc(const void *a, const void *b) {
    const sized *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void tok_assign_shards(const uint64_t *sizes, size_t count, int world, int *owner) {
    sized *order = malloc((count ? count : 1) * sizeof *order);
    uint64_t *load = calloc((size_t)world, sizeof *load);
    if (order == NULL || load == NULL) { /* still deterministic: round robin */
        for (size_t i = 0; i < count; i++)
            owner[i] = (int)(i % (size_t)world);
        free(order);
        free(load);
        return;
    }
    for (size_t i = 0; i < count; i++)
        order[i] = (sized){sizes[i], i};
    qsort(order, count, sizeof *order, by_size_desc);
    for (size_t k = 0; k < count; k++) {
        int best = 0;
        for (int r = 1; r < world; r++)
            if (load[r] < load[best])
                best = r;
        owner[order[k].index] = best;
        load[best] += order[k].size + 1;
    }
    free(order);
    free(load);
}

void tok_token_shard_name(const char *document_shard, char *out, size_t size) {
    const char *slash = strrchr(document_shard, '/');
    const char *base = slash ? slash + 1 : document_shard;
    size_t len = strlen(base);
    if (len > 10 && strcmp(base + len - 10, ".jsonl.zst") == 0)
        len -= 10;
    else if (memchr(base, '.', len) != NULL && strrchr(base, '.') != base)
        len = (size_t)(strrchr(base, '.') - base);
    snprintf(out, size, "%.*s.mtok", (int)len, base);
}

mn_status tok_polite_barrier(MPI_Comm comm) {
    MPI_Request request;
    MN_MPI_TRY(MPI_Ibarrier(comm, &request));
    int done = 0;
    while (!done) {
        MN_MPI_TRY(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
        if (!done)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return MN_OK;
}
