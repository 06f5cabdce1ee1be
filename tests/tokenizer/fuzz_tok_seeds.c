/* Writes seed inputs for the tokenizer fuzz targets into DIR: a small valid .mtk, a
 * .tiktoken rank file and an npm-style encoder JSON (both prefixed with the selector byte of
 * fuzz_tok_import), a tokenizer.json, and texts in several scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "tokenizer/tok_internal.h"

static int write_seed(const char *dir, const char *name, const void *data, size_t len) {
    char *path = mn_path_join(dir, name);
    int rc = path && mn_write_file_atomic(path, data, len) == MN_OK ? 0 : 1;
    free(path);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int rc = mn_make_dirs(dir) == MN_OK ? 0 : 1;
    /* A tokenizer: bytes plus a few merges and two specials. */
    const char *merges[] = {"ab", "abc", " the", "\xc3\xa9t\xc3\xa9"};
    const uint8_t *bytes[262];
    size_t lens[262];
    static uint8_t single[256];
    for (int b = 0; b < 256; b++) {
        single[b] = (uint8_t)b;
        bytes[b] = &single[b];
        lens[b] = 1;
    }
    for (int i = 0; i < 4; i++) {
        bytes[256 + i] = (const uint8_t *)merges[i];
        lens[256 + i] = strlen(merges[i]);
    }
    bytes[260] = bytes[261] = NULL;
    lens[260] = lens[261] = 0;
    tok_special_def specials[] = {{"<|endoftext|>", 260, "eos"}, {"<|landmark|>", 261, "landmark"}};
    tok_definition def = {.name = "seed",
                          .pretokenizer = "o200k",
                          .vocab_size = 262,
                          .token_bytes = bytes,
                          .token_lens = lens,
                          .specials = specials,
                          .n_specials = 2};
    tok_tokenizer *t = NULL;
    if (tok_create(&t, &def) != MN_OK)
        return 1;
    char *mtk = mn_path_join(dir, "seed.mtk");
    rc |= mtk && tok_save(t, mtk) == MN_OK ? 0 : 1;
    free(mtk);
    char *hf = mn_path_join(dir, "tokenizer.json.tmpseed");
    if (hf && tok_export_hf(t, hf) == MN_OK) {
        uint8_t *data;
        size_t len;
        if (mn_read_file(hf, 1 << 24, &data, &len) == MN_OK) {
            uint8_t *seed = malloc(len + 1);
            seed[0] = 0; /* selector: HF */
            memcpy(seed + 1, data, len);
            rc |= write_seed(dir, "seed-hf.json", seed, len + 1);
            free(seed);
            free(data);
        }
        remove(hf);
    }
    free(hf);
    static const char tiktoken[] = "\x01YQ== 0\nYg== 1\nYWI= 2\n";
    rc |= write_seed(dir, "seed.tiktoken", tiktoken, sizeof tiktoken - 1);
    static const char npm[] = "\x01{\"pat_str\":\"'s|'t|'re|'ve|'m|'ll|'d| ?\\\\p{L}+| ?\\\\p{N}+| "
                              "?[^\\\\s\\\\p{L}\\\\p{N}]+|\\\\s+(?!\\\\S)|\\\\s+\",\"special_"
                              "tokens\":{\"<|endoftext|>\":3},\"bpe_ranks\":\"! 0 YQ== Yg== "
                              "YWI=\"}";
    rc |= write_seed(dir, "seed-npm.json", npm, sizeof npm - 1);
    static const char text[] = "The quick brown fox's DON'T 12345  \n\n  \xc3\xa9t\xc3\xa9 "
                               "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 "
                               "<|endoftext|> a\xcc\x81 \xff\xfe\xc0\xaf x\xe2\x80\xa8y";
    rc |= write_seed(dir, "text.txt", text, sizeof text - 1);
    tok_free(t);
    return rc;
}
