/* mnemo-tokenizer: import, export, inspect and use tokenizer files (docs/tokenizer.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/program.h"
#include "common/util.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "tokenizer/tokenizer.h"

static mn_status parse_specials(const mn_cli_list *list, tok_special_def **out, size_t *count) {
    /* Each item is TEXT=ID or TEXT=ID:ROLE. */
    *out = mn_calloc(list->count + 1, sizeof **out);
    if (*out == NULL)
        return MN_ERR_NOMEM;
    *count = list->count;
    for (size_t i = 0; i < list->count; i++) {
        char *item = list->items[i];
        char *eq = strrchr(item, '=');
        MN_RETURN_ERROR_IF(eq == NULL || eq == item, MN_ERR_ARG,
                           "--special '%s': expected TEXT=ID or TEXT=ID:ROLE", item);
        *eq = '\0';
        char *colon = strchr(eq + 1, ':');
        if (colon != NULL)
            *colon = '\0';
        int64_t id;
        MN_FORWARD_IF_ERROR_CTX(mn_parse_int64(eq + 1, &id), "--special '%s'", item);
        MN_RETURN_ERROR_IF(id < 0 || id > UINT32_MAX, MN_ERR_ARG, "--special '%s': bad id", item);
        (*out)[i].text = item;
        (*out)[i].id = (uint32_t)id;
        (*out)[i].role = colon ? colon + 1 : (strcmp(item, "<|endoftext|>") == 0 ? "eos" : "user");
    }
    return MN_OK;
}

static int cmd_import(int argc, char **argv) {
    const char *from = "tiktoken", *output = NULL, *name = NULL, *pretok = NULL;
    mn_cli_list specials = {0};
    static const char *const formats[] = {"tiktoken", "hf", NULL};
    mn_cli_option options[] = {
        {"from", 0, MN_OPT_CHOICE, &from, "FORMAT",
         "tiktoken (.tiktoken rank file or npm tiktoken encoder JSON) or hf (tokenizer.json)",
         formats},
        {"output", 'o', MN_OPT_STRING, &output, "FILE", "the .mtk file to write", .required = true},
        {"name", 0, MN_OPT_STRING, &name, "NAME", "tokenizer name (default: the file's name)"},
        {"pretokenizer", 0, MN_OPT_STRING, &pretok, "NAME",
         "gpt2, cl100k or o200k (needed for .tiktoken files)"},
        {"special", 0, MN_OPT_LIST, &specials, "TEXT=ID[:ROLE]",
         "special token of a .tiktoken file (role eos, pad, landmark or user)"},
        {0}};
    mn_cli_spec spec = {"mnemo-tokenizer import",
                        "Convert a tiktoken or HF tokenizer to .mtk.",
                        "[OPTIONS] INPUT",
                        NULL,
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    tok_tokenizer *t = NULL;
    tok_special_def *defs = NULL;
    size_t n_defs = 0;
    mn_status status = parse_specials(&specials, &defs, &n_defs);
    if (status == MN_OK) {
        if (strcmp(from, "hf") == 0)
            status = tok_import_hf(&t, argv[first]);
        else
            status = tok_import_tiktoken(&t, argv[first], name, pretok, defs, n_defs);
    }
    if (status == MN_OK)
        status = tok_save(t, output);
    if (status == MN_OK)
        printf("%s: %s, pre-tokenizer %s, %u ids, %zu special tokens, identity %016llx\n", output,
               tok_name(t), tok_pretokenizer_name(t), tok_vocab_size(t), tok_special_count(t),
               (unsigned long long)tok_identity_hash(t));
    tok_free(t);
    free(defs);
    mn_cli_list_free(&specials);
    return mn_program_exit(status);
}

static int cmd_export(int argc, char **argv) {
    const char *output = NULL;
    mn_cli_option options[] = {{"output", 'o', MN_OPT_STRING, &output, "FILE",
                                "tokenizer.json to write", .required = true},
                               {0}};
    mn_cli_spec spec = {"mnemo-tokenizer export",
                        "Write a Hugging Face tokenizer.json (byte-level BPE).",
                        "[OPTIONS] MTK",
                        NULL,
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    tok_tokenizer *t = NULL;
    mn_status status = tok_load(&t, argv[first]);
    if (status == MN_OK)
        status = tok_export_hf(t, output);
    tok_free(t);
    return mn_program_exit(status);
}

static int cmd_info(int argc, char **argv) {
    mn_cli_option options[] = {{0}};
    mn_cli_spec spec = {
        "mnemo-tokenizer info", "Describe a tokenizer file.", "MTK", NULL, options, 1, 1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    tok_tokenizer *t = NULL;
    mn_status status = tok_load(&t, argv[first]);
    if (status == MN_OK) {
        printf("name:          %s\n", tok_name(t));
        printf("pre-tokenizer: %s\n", tok_pretokenizer_name(t));
        printf("vocabulary:    %u ids\n", tok_vocab_size(t));
        printf("identity:      %016llx\n", (unsigned long long)tok_identity_hash(t));
        for (size_t i = 0; i < tok_special_count(t); i++) {
            tok_special_def s = tok_special_at(t, i);
            printf("special:       %-8u %-9s %s\n", s.id, s.role, s.text);
        }
        for (size_t i = 0; i < tok_setting_count(t); i++) {
            const char *k, *v;
            tok_setting_at(t, i, &k, &v);
            printf("setting:       %s = %s\n", k, v);
        }
    }
    tok_free(t);
    return mn_program_exit(status);
}

static int cmd_encode(int argc, char **argv) {
    const char *input = "-";
    bool allow_special = false, binary = false;
    mn_cli_option options[] = {
        {"input", 'i', MN_OPT_STRING, &input, "FILE", "text to encode ('-' = standard input)"},
        {"allow-special", 0, MN_OPT_FLAG, &allow_special, NULL,
         "turn special-token text into special ids (default: encode it as ordinary text)"},
        {"binary", 0, MN_OPT_FLAG, &binary, NULL, "write ids as little-endian uint32 to stdout"},
        {0}};
    mn_cli_spec spec = {"mnemo-tokenizer encode",
                        "Print the token ids of a text, one per line.",
                        "[OPTIONS] MTK",
                        NULL,
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    tok_tokenizer *t = NULL;
    mn_buf text = {0};
    tok_ids ids = {0};
    mn_status status = tok_load(&t, argv[first]);
    if (status == MN_OK) {
        if (strcmp(input, "-") == 0) {
            uint8_t chunk[65536];
            size_t n;
            while (status == MN_OK && (n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
                status = mn_buf_append(&text, chunk, n);
        } else {
            uint8_t *data;
            size_t len;
            status = mn_read_file(input, (size_t)1 << 40, &data, &len);
            if (status == MN_OK) {
                text.data = data;
                text.len = len;
                text.cap = len + 1;
            }
        }
    }
    if (status == MN_OK) {
        if (allow_special)
            status = tok_encode_special(t, text.data, text.len,
                                        (tok_special_set){TOK_SPECIAL_SET_ALL, NULL, 0},
                                        (tok_special_set){TOK_SPECIAL_SET_NONE, NULL, 0}, &ids);
        else
            status = tok_encode(t, text.data, text.len, &ids);
    }
    if (status == MN_OK) {
        if (binary) {
            status = mn_fwrite_all(stdout, ids.ids, ids.count * sizeof(uint32_t), "stdout");
        } else {
            for (size_t i = 0; i < ids.count; i++)
                printf("%u\n", ids.ids[i]);
        }
    }
    tok_ids_free(&ids);
    mn_buf_free(&text);
    tok_free(t);
    return mn_program_exit(status);
}

static int cmd_decode(int argc, char **argv) {
    mn_cli_option options[] = {{0}};
    mn_cli_spec spec = {"mnemo-tokenizer decode",
                        "Read ids (whitespace-separated) from stdin and print their bytes.",
                        "MTK",
                        NULL,
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    tok_tokenizer *t = NULL;
    mn_status status = tok_load(&t, argv[first]);
    tok_ids ids = {0};
    mn_buf out = {0};
    unsigned long long v;
    while (status == MN_OK && scanf("%llu", &v) == 1) {
        if (ids.count == ids.capacity) {
            void *p = ids.ids;
            size_t cap = ids.capacity ? ids.capacity * 2 : 1024;
            status = mn_realloc_array(&p, cap, sizeof(uint32_t));
            ids.ids = p;
            ids.capacity = cap;
        }
        if (status == MN_OK)
            ids.ids[ids.count++] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    }
    if (status == MN_OK)
        status = tok_decode(t, ids.ids, ids.count, &out);
    if (status == MN_OK)
        status = mn_fwrite_all(stdout, out.data, out.len, "stdout");
    mn_buf_free(&out);
    tok_ids_free(&ids);
    tok_free(t);
    return mn_program_exit(status);
}

/* Decodes a token dataset: totals, bytes per token (decoded text bytes over ids, EOS
 * excluded) and the first document(s) as text. */
static int cmd_inspect(int argc, char **argv) {
    const char *tokenizer = NULL;
    int64_t samples = 1, max_bytes = 600;
    mn_cli_option options[] = {
        {"tokenizer", 't', MN_OPT_STRING, &tokenizer, "FILE", "the tokenizer (.mtk)",
         .required = true},
        {"samples", 0, MN_OPT_INT, &samples, "N", "documents to print decoded"},
        {"max-bytes", 0, MN_OPT_INT, &max_bytes, "N", "bytes printed per sample"},
        {0}};
    mn_cli_spec spec = {"mnemo-tokenizer inspect",
                        "Summarise a token dataset and print decoded samples.",
                        "[OPTIONS] DATASET",
                        NULL,
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    tok_tokenizer *t = NULL;
    shard_manifest m = {0};
    bool loaded = false;
    mn_status status = tok_load(&t, tokenizer);
    if (status == MN_OK) {
        status = shard_manifest_load(&m, argv[first]);
        loaded = status == MN_OK;
    }
    if (status == MN_OK && m.tokenizer_hash != tok_identity_hash(t))
        status = mn_error(MN_ERR_MISMATCH, "%s was tokenized with another tokenizer (%016llx)",
                          argv[first], (unsigned long long)m.tokenizer_hash);
    uint64_t text_bytes = 0, ids_total = 0, printed = 0;
    mn_buf text = {0};
    for (size_t i = 0; status == MN_OK && i < m.n_shards; i++) {
        char *path = shard_manifest_shard_path(&m, i);
        shard_reader *r = NULL;
        status = path ? shard_reader_open(&r, path) : MN_ERR_NOMEM;
        for (uint64_t d = 0; status == MN_OK && d < shard_reader_documents(r); d++) {
            uint64_t begin, length;
            status = shard_reader_document(r, d, &begin, &length);
            uint32_t *ids = status == MN_OK ? mn_alloc_array(length, sizeof *ids) : NULL;
            if (status == MN_OK && ids == NULL)
                status = MN_ERR_NOMEM;
            if (status == MN_OK)
                status = shard_reader_read_tokens(r, begin, length, ids);
            mn_buf_clear(&text);
            if (status == MN_OK)
                status = tok_decode(t, ids, length - 1, &text); /* without the EOS */
            text_bytes += text.len;
            ids_total += length - 1;
            if (status == MN_OK && (int64_t)printed < samples) {
                size_t n = text.len < (size_t)max_bytes ? text.len : (size_t)max_bytes;
                printf("--- document %llu of %s (%llu tokens) ---\n%.*s%s\n", (unsigned long long)d,
                       m.shards[i].path, (unsigned long long)length, (int)n,
                       (const char *)text.data, n < text.len ? " [...]" : "");
                printed++;
            }
            free(ids);
        }
        shard_reader_close(r);
        free(path);
    }
    if (status == MN_OK)
        printf("tokenizer %s: %u ids (%s); dataset %s: %zu shards, %llu documents, %llu tokens "
               "(EOS included), %.3f bytes per token\n",
               tok_name(t), tok_vocab_size(t), tok_pretokenizer_name(t), argv[first], m.n_shards,
               (unsigned long long)m.total_documents, (unsigned long long)m.total_tokens,
               ids_total ? (double)text_bytes / (double)ids_total : 0.0);
    mn_buf_free(&text);
    if (loaded)
        shard_manifest_free(&m);
    tok_free(t);
    return mn_program_exit(status);
}

int main(int argc, char **argv) {
    MN_PROGRAM_START(&argc, &argv, "mnemo-tokenizer");
    static const mn_cli_command commands[] = {
        {"import", "convert a tiktoken rank file or HF tokenizer.json to .mtk", cmd_import},
        {"export", "write a Hugging Face tokenizer.json", cmd_export},
        {"info", "describe a tokenizer file", cmd_info},
        {"encode", "print the token ids of a text", cmd_encode},
        {"decode", "print the bytes of token ids", cmd_decode},
        {"inspect", "summarise a token dataset, bytes per token, decoded samples", cmd_inspect},
        {0}};
    int code =
        mn_cli_dispatch("mnemo-tokenizer", "Import, export, inspect and use tokenizer files.",
                        commands, argc, argv);
    mn_mpi_finalize(); /* after --help or a usage error; a no-op after mn_program_exit */
    return code;
}
