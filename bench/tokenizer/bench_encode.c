/* Encode throughput of mnemo's tokenizer on one text: MB/s with 1..N threads (each thread
 * encodes its own contiguous part, cut at a line end), and an xxh64 of all ids so that the
 * driver (bench/tokenizer/run.sh) can check them against the peers'.
 *
 *   bench_tok_encode TOKENIZER.mtk TEXT [THREADS] [REPEAT] [IDS_OUT]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/util.h"
#include "tokenizer/tokenizer.h"

typedef struct job {
    const tok_tokenizer *t;
    const uint8_t *text;
    size_t len;
    int repeat;
    tok_ids ids;
    mn_status status;
} job;

static void *run(void *arg) {
    job *j = arg;
    tok_encoder *e = NULL;
    j->status = tok_encoder_create(&e, j->t);
    for (int r = 0; r < j->repeat && j->status == MN_OK; r++) {
        j->ids.count = 0;
        j->status = tok_encoder_encode(e, j->text, j->len, &j->ids);
    }
    tok_encoder_free(e);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s TOKENIZER.mtk TEXT [THREADS] [REPEAT] [IDS_OUT]\n", argv[0]);
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 1, repeat = argc > 4 ? atoi(argv[4]) : 3;
    if (threads < 1 || threads > 64 || repeat < 1)
        return 2;
    tok_tokenizer *t = NULL;
    uint8_t *text;
    size_t len;
    if (tok_load(&t, argv[1]) != MN_OK ||
        mn_read_file(argv[2], (size_t)1 << 34, &text, &len) != MN_OK) {
        fprintf(stderr, "bench_tok_encode: %s\n", mn_error_message());
        return 1;
    }
    job jobs[64];
    pthread_t tids[64];
    size_t start = 0;
    for (int i = 0; i < threads; i++) {
        size_t end = i + 1 == threads ? len : len * (size_t)(i + 1) / (size_t)threads;
        while (end < len && text[end - 1] != '\n')
            end++;
        if (end < start)
            end = start;
        jobs[i] = (job){t, text + start, end - start, repeat, {0}, MN_OK};
        start = end;
    }
    double t0 = mn_now();
    for (int i = 0; i < threads; i++)
        pthread_create(&tids[i], NULL, run, &jobs[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    double seconds = mn_now() - t0;
    mn_xxh64_stream hash;
    mn_xxh64_begin(&hash, 0);
    size_t count = 0;
    FILE *out = argc > 5 ? fopen(argv[5], "wb") : NULL;
    for (int i = 0; i < threads; i++) {
        if (jobs[i].status != MN_OK) {
            fprintf(stderr, "bench_tok_encode: %s\n", mn_error_message());
            return 1;
        }
        mn_xxh64_update(&hash, jobs[i].ids.ids, jobs[i].ids.count * 4);
        if (out)
            fwrite(jobs[i].ids.ids, 4, jobs[i].ids.count, out);
        count += jobs[i].ids.count;
        tok_ids_free(&jobs[i].ids);
    }
    if (out)
        fclose(out);
    double mb = (double)len * repeat / 1e6;
    printf("{\"tool\":\"mnemo\",\"threads\":%d,\"bytes\":%zu,\"ids\":%zu,\"seconds\":%.4f,"
           "\"mb_per_s\":%.2f,\"xxh64\":\"%016llx\"}\n",
           threads, len, count, seconds / repeat, mb / seconds,
           (unsigned long long)mn_xxh64_end(&hash));
    free(text);
    tok_free(t);
    return 0;
}
