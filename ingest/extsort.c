#include "ingest/extsort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/mem.h"

enum { MERGE_FANIN = 64, RUN_BUFFER = 1 << 16, RADIX_MIN = 4096 };

typedef struct run_reader {
    FILE *fp;
    ingest_pair head;
    bool live;
} run_reader;

struct ingest_sorter {
    char *dir;
    ingest_pair *items, *aux;
    size_t cap, n, pos;
    uint64_t total;
    char **runs;
    int n_runs, cap_runs, next_run_id;
    bool finished, merging;
    run_reader *readers;
    int n_readers;
    int *heap; /* indices into readers, a binary min-heap */
    int heap_len;
};

static int pair_cmp(const void *a, const void *b) {
    const ingest_pair *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool pair_less(const ingest_pair *x, const ingest_pair *y) {
    return x->key < y->key || (x->key == y->key && x->id < y->id);
}

void ingest_pairs_sort(ingest_pair *pairs, ingest_pair *aux, size_t count) {
    if (count < RADIX_MIN) {
        qsort(pairs, count, sizeof *pairs, pair_cmp);
        return;
    }
    /* LSD radix sort on the key, 16 bits per pass (4 passes end back in `pairs`), then ties
     * (rare: only duplicates share a key) ordered by id with insertion sort. */
    size_t *counts = mn_calloc((size_t)1 << 16, sizeof(size_t));
    if (counts == NULL) {
        qsort(pairs, count, sizeof *pairs, pair_cmp); /* no memory for counters: slower path */
        return;
    }
    ingest_pair *from = pairs, *to = aux;
    for (int shift = 0; shift < 64; shift += 16) {
        memset(counts, 0, ((size_t)1 << 16) * sizeof(size_t));
        for (size_t i = 0; i < count; i++)
            counts[(from[i].key >> shift) & 0xffff]++;
        size_t sum = 0;
        for (size_t d = 0; d < (1 << 16); d++) {
            size_t c = counts[d];
            counts[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < count; i++)
            to[counts[(from[i].key >> shift) & 0xffff]++] = from[i];
        ingest_pair *t = from;
        from = to;
        to = t;
    }
    free(counts);
    for (size_t i = 1; i < count; i++) {
        if (pairs[i].key != pairs[i - 1].key || pairs[i].id >= pairs[i - 1].id)
            continue;
        ingest_pair x = pairs[i];
        size_t j = i;
        while (j > 0 && pairs[j - 1].key == x.key && pairs[j - 1].id > x.id) {
            pairs[j] = pairs[j - 1];
            j--;
        }
        pairs[j] = x;
    }
}

mn_status ingest_sorter_create(ingest_sorter **out, const char *spill_dir, size_t memory_bytes) {
    ingest_sorter *s = mn_calloc(1, sizeof *s);
    if (s == NULL)
        return MN_ERR_NOMEM;
    size_t cap = memory_bytes / (2 * sizeof(ingest_pair));
    s->cap = cap < 4096 ? 4096 : cap;
    s->dir = mn_strdup(spill_dir);
    s->items = mn_alloc_array(s->cap, sizeof(ingest_pair));
    s->aux = mn_alloc_array(s->cap, sizeof(ingest_pair));
    if (!s->dir || !s->items || !s->aux) {
        ingest_sorter_free(s);
        return mn_error(MN_ERR_NOMEM, "cannot allocate %zu bytes to sort deduplication keys",
                        2 * s->cap * sizeof(ingest_pair));
    }
    *out = s;
    return MN_OK;
}

static mn_status add_run_path(ingest_sorter *s, char **path) {
    if (s->n_runs == s->cap_runs) {
        int cap = s->cap_runs ? s->cap_runs * 2 : 16;
        void *p = s->runs;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, (size_t)cap, sizeof(char *)));
        s->runs = p;
        s->cap_runs = cap;
    }
    *path = mn_asprintf("%s/run-%06d.bin", s->dir, s->next_run_id++);
    if (*path == NULL)
        return MN_ERR_NOMEM;
    s->runs[s->n_runs++] = *path;
    return MN_OK;
}

static mn_status spill(ingest_sorter *s) {
    if (s->n == 0)
        return MN_OK;
    ingest_pairs_sort(s->items, s->aux, s->n);
    MN_FORWARD_IF_ERROR(mn_make_dirs(s->dir));
    char *path;
    MN_FORWARD_IF_ERROR(add_run_path(s, &path));
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        return mn_error_errno(MN_ERR_IO, "cannot create spill file %s", path);
    mn_status status = mn_fwrite_all(fp, s->items, s->n * sizeof(ingest_pair), path);
    if (fclose(fp) != 0 && status == MN_OK)
        status = mn_error_errno(MN_ERR_IO, "cannot write spill file %s", path);
    s->n = 0;
    return status;
}

mn_status ingest_sorter_add(ingest_sorter *s, const ingest_pair *pairs, size_t count) {
    MN_RETURN_ERROR_IF(s->finished, MN_ERR_STATE, "sorter already finished");
    while (count > 0) {
        size_t room = s->cap - s->n, take = count < room ? count : room;
        memcpy(s->items + s->n, pairs, take * sizeof *pairs);
        s->n += take;
        s->total += take;
        pairs += take;
        count -= take;
        if (s->n == s->cap)
            MN_FORWARD_IF_ERROR(spill(s));
    }
    return MN_OK;
}

static mn_status reader_advance(ingest_sorter *s, run_reader *r, const char *path) {
    size_t got = fread(&r->head, sizeof r->head, 1, r->fp);
    if (got == 1)
        return MN_OK;
    if (ferror(r->fp))
        return mn_error_errno(MN_ERR_IO, "cannot read spill file %s", path);
    r->live = false;
    (void)s;
    return MN_OK;
}

static void heap_down(ingest_sorter *s, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len &&
            pair_less(&s->readers[s->heap[l]].head, &s->readers[s->heap[m]].head))
            m = l;
        if (r < s->heap_len &&
            pair_less(&s->readers[s->heap[r]].head, &s->readers[s->heap[m]].head))
            m = r;
        if (m == i)
            return;
        int t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

static void close_readers(ingest_sorter *s) {
    for (int i = 0; i < s->n_readers; i++)
        if (s->readers[i].fp)
            fclose(s->readers[i].fp);
    free(s->readers);
    free(s->heap);
    s->readers = NULL;
    s->heap = NULL;
    s->n_readers = s->heap_len = 0;
}

/* Opens runs [first, first + count) for merging. */
static mn_status open_merge(ingest_sorter *s, int first, int count) {
    s->readers = mn_calloc((size_t)count, sizeof(run_reader));
    s->heap = mn_calloc((size_t)count, sizeof(int));
    if (!s->readers || !s->heap)
        return MN_ERR_NOMEM;
    s->n_readers = count;
    for (int i = 0; i < count; i++) {
        const char *path = s->runs[first + i];
        run_reader *r = &s->readers[i];
        r->fp = fopen(path, "rb");
        if (r->fp == NULL)
            return mn_error_errno(MN_ERR_IO, "cannot open spill file %s", path);
        setvbuf(r->fp, NULL, _IOFBF, RUN_BUFFER);
        r->live = true;
        MN_FORWARD_IF_ERROR(reader_advance(s, r, path));
        if (r->live)
            s->heap[s->heap_len++] = i;
    }
    for (int i = s->heap_len / 2 - 1; i >= 0; i--)
        heap_down(s, i);
    return MN_OK;
}

static mn_status merge_pop(ingest_sorter *s, int first, ingest_pair *pair, bool *done) {
    if (s->heap_len == 0) {
        *done = true;
        return MN_OK;
    }
    *done = false;
    int top = s->heap[0];
    run_reader *r = &s->readers[top];
    *pair = r->head;
    MN_FORWARD_IF_ERROR(reader_advance(s, r, s->runs[first + top]));
    if (!r->live)
        s->heap[0] = s->heap[--s->heap_len];
    heap_down(s, 0);
    return MN_OK;
}

/* Merges runs in groups of MERGE_FANIN into bigger runs until at most MERGE_FANIN remain. */
static mn_status reduce_runs(ingest_sorter *s) {
    while (s->n_runs > MERGE_FANIN) {
        int count = MERGE_FANIN;
        MN_FORWARD_IF_ERROR(open_merge(s, 0, count));
        char *path;
        MN_FORWARD_IF_ERROR(add_run_path(s, &path));
        FILE *fp = fopen(path, "wb");
        if (fp == NULL)
            return mn_error_errno(MN_ERR_IO, "cannot create spill file %s", path);
        setvbuf(fp, NULL, _IOFBF, RUN_BUFFER);
        mn_status status = MN_OK;
        for (;;) {
            ingest_pair p;
            bool done;
            MN_GOTO_IF_ERROR(status, merge_pop(s, 0, &p, &done), out);
            if (done)
                break;
            MN_GOTO_IF_ERROR(status, mn_fwrite_all(fp, &p, sizeof p, path), out);
        }
    out:
        if (fclose(fp) != 0 && status == MN_OK)
            status = mn_error_errno(MN_ERR_IO, "cannot write spill file %s", path);
        close_readers(s);
        MN_FORWARD_IF_ERROR(status);
        for (int i = 0; i < count; i++) {
            unlink(s->runs[i]);
            free(s->runs[i]);
        }
        memmove(s->runs, s->runs + count, (size_t)(s->n_runs - count) * sizeof(char *));
        s->n_runs -= count;
    }
    return MN_OK;
}

mn_status ingest_sorter_finish(ingest_sorter *s) {
    MN_RETURN_ERROR_IF(s->finished, MN_ERR_STATE, "sorter already finished");
    s->finished = true;
    if (s->n_runs == 0) {
        ingest_pairs_sort(s->items, s->aux, s->n);
        s->pos = 0;
        return MN_OK;
    }
    MN_FORWARD_IF_ERROR(spill(s));
    /* The buffers are not needed while merging. */
    free(s->items);
    free(s->aux);
    s->items = s->aux = NULL;
    MN_FORWARD_IF_ERROR(reduce_runs(s));
    s->merging = true;
    return open_merge(s, 0, s->n_runs);
}

mn_status ingest_sorter_next(ingest_sorter *s, ingest_pair *pair, bool *done) {
    MN_RETURN_ERROR_IF(!s->finished, MN_ERR_STATE, "sorter read before ingest_sorter_finish");
    if (s->merging)
        return merge_pop(s, 0, pair, done);
    if (s->pos >= s->n) {
        *done = true;
        return MN_OK;
    }
    *done = false;
    *pair = s->items[s->pos++];
    return MN_OK;
}

uint64_t ingest_sorter_count(const ingest_sorter *s) {
    return s->total;
}

int ingest_sorter_runs(const ingest_sorter *s) {
    return s->next_run_id;
}

void ingest_sorter_free(ingest_sorter *s) {
    if (s == NULL)
        return;
    close_readers(s);
    for (int i = 0; i < s->n_runs; i++) {
        unlink(s->runs[i]);
        free(s->runs[i]);
    }
    free(s->runs);
    if (s->next_run_id > 0)
        rmdir(s->dir);
    free(s->dir);
    free(s->items);
    free(s->aux);
    free(s);
}
