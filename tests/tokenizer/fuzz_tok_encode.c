/* Fuzz target: pre-tokenizers and BPE on arbitrary bytes. Properties checked on every
 * input and every pre-tokenizer: each piece is non-empty and inside the text, and decoding
 * the ids gives back the input exactly; with special tokens allowed as well. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tok_tokenizer *tokenizers[TOK_PRETOK_COUNT];

static void build(void) {
    static const char *merges[] = {"th", "the", " the", "in", "ing", "\xc3\xa9", "  ",  "    ",
                                   "12", "123", "\n\n", "'s", "ab",  "aab",      "abab"};
    enum { N = sizeof merges / sizeof merges[0] };
    const uint8_t *bytes[256 + N + 1];
    size_t lens[256 + N + 1];
    static uint8_t single[256];
    for (int b = 0; b < 256; b++) {
        single[b] = (uint8_t)b;
        bytes[b] = &single[b];
        lens[b] = 1;
    }
    for (int i = 0; i < N; i++) {
        bytes[256 + i] = (const uint8_t *)merges[i];
        lens[256 + i] = strlen(merges[i]);
    }
    bytes[256 + N] = NULL;
    lens[256 + N] = 0;
    tok_special_def eos = {"<|endoftext|>", 256 + N, "eos"};
    for (int k = 0; k < TOK_PRETOK_COUNT; k++) {
        tok_definition def = {.name = "fuzz",
                              .pretokenizer = tok_pretokenizer_kind_name((tok_pretokenizer)k),
                              .vocab_size = 256 + N + 1,
                              .token_bytes = bytes,
                              .token_lens = lens,
                              .specials = &eos,
                              .n_specials = 1};
        if (tok_create(&tokenizers[k], &def) != MN_OK)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (tokenizers[0] == NULL)
        build();
    for (int k = 0; k < TOK_PRETOK_COUNT; k++) {
        for (size_t pos = 0; pos < size;) {
            size_t end = tok_pretokenize_next((tok_pretokenizer)k, data, size, pos);
            if (end <= pos || end > size)
                abort();
            pos = end;
        }
        tok_ids ids = {0};
        mn_buf out = {0};
        if (tok_encode(tokenizers[k], data, size, &ids) != MN_OK ||
            tok_decode(tokenizers[k], ids.ids, ids.count, &out) != MN_OK || out.len != size ||
            (size && memcmp(out.data, data, size) != 0))
            abort();
        ids.count = 0;
        mn_buf_clear(&out);
        tok_special_set all = {TOK_SPECIAL_SET_ALL, NULL, 0},
                        none = {TOK_SPECIAL_SET_NONE, NULL, 0};
        if (tok_encode_special(tokenizers[k], data, size, all, none, &ids) != MN_OK ||
            tok_decode(tokenizers[k], ids.ids, ids.count, &out) != MN_OK || out.len != size)
            abort();
        tok_ids_free(&ids);
        mn_buf_free(&out);
    }
    return 0;
}
