/* mnemo-bpe: trains a byte-level BPE tokenizer on document shards (docs/tokenizer.md). */
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/program.h"
#include "tokenizer/pipeline.h"

int main(int argc, char **argv) {
    MN_PROGRAM_START(&argc, &argv, "mnemo-bpe");
    const char *output = NULL, *name = NULL, *pretok = "cl100k";
    const char *eos = "<|endoftext|>", *pad = "<|pad|>", *landmark = "<|landmark|>";
    uint64_t vocab = 32000, min_frequency = 2, max_bytes = 0, max_memory = (uint64_t)4 << 30;
    bool force = false;
    mn_cli_list user = {0};
    static const char *const pretoks[] = {"gpt2", "cl100k", "o200k", NULL};
    mn_cli_option options[] = {
        {"output", 'o', MN_OPT_STRING, &output, "FILE", "tokenizer file to write (.mtk)",
         .required = true},
        {"vocab-size", 'v', MN_OPT_COUNT, &vocab, "N",
         "ids in all: 256 bytes + merges + special tokens"},
        {"min-frequency", 0, MN_OPT_COUNT, &min_frequency, "N",
         "stop when the best pair occurs fewer times"},
        {"pretokenizer", 'p', MN_OPT_CHOICE, &pretok, "NAME",
         "how text is split before merging (tiktoken's patterns)", pretoks},
        {"eos", 0, MN_OPT_STRING, &eos, "TEXT", "end-of-document special token ('' for none)"},
        {"pad", 0, MN_OPT_STRING, &pad, "TEXT", "padding special token ('' for none)"},
        {"landmark", 0, MN_OPT_STRING, &landmark, "TEXT",
         "the retriever's chunk landmark token ('' for none)"},
        {"special", 0, MN_OPT_LIST, &user, "TEXT", "another (user) special token"},
        {"max-bytes", 0, MN_OPT_SIZE, &max_bytes, "BYTES",
         "sample at most this much text, spread over all shards (0 = all)"},
        {"max-memory", 0, MN_OPT_SIZE, &max_memory, "BYTES",
         "per-rank cap on pre-token counts; rare ones are dropped beyond it (0 = none)"},
        {"name", 0, MN_OPT_STRING, &name, "NAME", "tokenizer name (default: output base name)"},
        {"force", 0, MN_OPT_FLAG, &force, NULL, "retrain even if OUTPUT exists"},
        {0}};
    mn_cli_spec spec = {
        "mnemo-bpe",
        "Train a byte-level BPE tokenizer on document shards (MPI).",
        "[OPTIONS] INPUT...",
        "INPUT: document dataset directories (or their manifest.pb) or .jsonl.zst shards.\n"
        "Relaunching with the same options skips the work when OUTPUT exists.\n"
        "Example: mpirun -np 4 mnemo-bpe --vocab-size 32k -o tok.mtk data/docs",
        options,
        1,
        -1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code)) {
        mn_cli_list_free(&user);
        mn_mpi_finalize();
        return code;
    }
    tok_special_def *specials = mn_calloc(user.count + 3, sizeof *specials);
    size_t n = 0;
    mn_status status = specials ? MN_OK : MN_ERR_NOMEM;
    if (status == MN_OK) {
        if (eos[0])
            specials[n++] = (tok_special_def){eos, 0, "eos"};
        if (pad[0])
            specials[n++] = (tok_special_def){pad, 0, "pad"};
        if (landmark[0])
            specials[n++] = (tok_special_def){landmark, 0, "landmark"};
        for (size_t i = 0; i < user.count; i++)
            specials[n++] = (tok_special_def){user.items[i], 0, "user"};
        if (vocab > UINT32_MAX || vocab < 256 + n)
            status = mn_error(MN_ERR_ARG, "--vocab-size %llu: needs at least 256 + %zu",
                              (unsigned long long)vocab, n);
    }
    bool skipped = false;
    if (status == MN_OK) {
        tok_bpe_job job = {.inputs = argv + first,
                           .n_inputs = (size_t)(argc - first),
                           .output = output,
                           .name = name,
                           .pretokenizer = pretok,
                           .vocab_size = (uint32_t)vocab,
                           .min_frequency = min_frequency,
                           .max_bytes = max_bytes,
                           .max_memory = max_memory,
                           .specials = specials,
                           .n_specials = n,
                           .force = force};
        status = tok_bpe_run(&job, MPI_COMM_WORLD, &skipped);
    }
    if (status == MN_OK && skipped)
        mn_info0("%s already trained with these options; nothing to do (--force retrains)", output);
    free(specials);
    mn_cli_list_free(&user);
    return mn_program_exit(status);
}
