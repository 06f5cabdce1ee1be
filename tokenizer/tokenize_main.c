/* mnemo-tokenize: document shards in, token shards out (docs/tokenizer.md). */
#include <stdio.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/mpi_helpers.h"
#include "common/program.h"
#include "common/util.h"
#include "tokenizer/pipeline.h"

int main(int argc, char **argv) {
    MN_PROGRAM_START(&argc, &argv, "mnemo-tokenize");
    const char *tokenizer = NULL, *output = NULL;
    int64_t zstd_level = 0;
    uint64_t block_tokens = 0;
    mn_cli_option options[] = {
        {"tokenizer", 't', MN_OPT_STRING, &tokenizer, "FILE", "the tokenizer (.mtk)",
         .required = true},
        {"output", 'o', MN_OPT_STRING, &output, "DIR", "token dataset directory to write",
         .required = true},
        {"zstd-level", 0, MN_OPT_INT, &zstd_level, "N", "zstd level of the blocks (0: default)"},
        {"block-tokens", 0, MN_OPT_COUNT, &block_tokens, "N",
         "tokens per block (0: the shard format's default)"},
        {0}};
    mn_cli_spec spec = {
        "mnemo-tokenize",
        "Tokenize document shards into token shards (MPI).",
        "[OPTIONS] INPUT...",
        "INPUT: document dataset directories (or their manifest.pb) or .jsonl.zst shards.\n"
        "Each input shard becomes DIR/<name>.mtok; DIR/manifest.pb is written last.\n"
        "A relaunch skips the shards already written with the same tokenizer.\n"
        "Example: mpirun -np 8 mnemo-tokenize -t tok.mtk -o data/tokens data/docs",
        options,
        1,
        -1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code)) {
        mn_mpi_finalize();
        return code;
    }
    mn_status status = MN_OK;
    if (zstd_level < 0 || zstd_level > 22)
        status = mn_error(MN_ERR_ARG, "--zstd-level %lld: expected 0 .. 22", (long long)zstd_level);
    tok_tokenize_result r = {0};
    if (status == MN_OK) {
        tok_tokenize_job job = {.inputs = argv + first,
                                .n_inputs = (size_t)(argc - first),
                                .tokenizer = tokenizer,
                                .output = output,
                                .zstd_level = (int)zstd_level,
                                .block_tokens = block_tokens};
        status = tok_tokenize_run(&job, MPI_COMM_WORLD, &r);
    }
    if (status == MN_OK) {
        char b[32];
        mn_info0("%llu shards (%llu already done), %llu documents, %llu tokens (EOS included), "
                 "%llu bad records skipped; manifest %s/manifest.pb",
                 (unsigned long long)r.shards, (unsigned long long)r.shards_skipped,
                 (unsigned long long)r.documents, (unsigned long long)r.tokens,
                 (unsigned long long)r.bad_records, output);
        if (r.new_tokens > r.new_documents)
            mn_info0("this run: %s of text, %.3f bytes per token (EOS excluded)",
                     mn_format_bytes(b, sizeof b, (double)r.text_bytes),
                     (double)r.text_bytes / (double)(r.new_tokens - r.new_documents));
    }
    return mn_program_exit(status);
}
