/* Imports of tiktoken rank files.
 *
 * `.tiktoken` (tiktoken's load_tiktoken_bpe): one token per line, "BASE64 RANK", where
 *   BASE64 is the standard alphabet with padding and RANK a decimal id.
 * npm `tiktoken` encoder JSON (encoders/NAME.json): an object with "pat_str" (the regular
 *   expression), "special_tokens" {text: id}, optional "explicit_n_vocab", and "bpe_ranks",
 *   a string in the package's compressed form: lines "! OFFSET B64 B64 ..." where the i-th
 *   base64 token has rank OFFSET + i (lines not starting with '!' are "BASE64 RANK").
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "tokenizer/tok_internal.h"

static int b64_value(uint8_t c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes standard base64 (padding optional) into out (capacity >= len * 3 / 4 + 3). */
static bool b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len) {
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = o;
    return true;
}

typedef struct rank_table {
    uint8_t **bytes; /* by rank */
    size_t *lens;
    uint32_t size; /* highest rank + 1 */
    uint32_t cap;
} rank_table;

static void rank_table_free(rank_table *r) {
    for (uint32_t i = 0; i < r->size; i++)
        free(r->bytes[i]);
    free(r->bytes);
    free(r->lens);
    *r = (rank_table){0};
}

static mn_status rank_table_set(rank_table *r, uint64_t rank, const uint8_t *b64, size_t len,
                                const char *what, size_t line) {
    MN_RETURN_ERROR_IF(rank >= TOK_MAX_VOCAB, MN_ERR_FORMAT, "%s line %zu: rank %llu is too large",
                       what, line, (unsigned long long)rank);
    MN_RETURN_ERROR_IF(len == 0 || len > TOK_MAX_TOKEN_LEN * 2, MN_ERR_FORMAT,
                       "%s line %zu: bad token length", what, line);
    if (rank >= r->cap) {
        uint32_t cap = r->cap ? r->cap : 1024;
        while (cap <= rank)
            cap *= 2;
        void *b = r->bytes, *l = r->lens;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&b, cap, sizeof *r->bytes));
        r->bytes = b;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&l, cap, sizeof *r->lens));
        r->lens = l;
        memset(r->bytes + r->cap, 0, (cap - r->cap) * sizeof *r->bytes);
        memset(r->lens + r->cap, 0, (cap - r->cap) * sizeof *r->lens);
        r->cap = cap;
    }
    MN_RETURN_ERROR_IF(r->bytes[rank] != NULL, MN_ERR_FORMAT,
                       "%s line %zu: rank %llu appears twice", what, line,
                       (unsigned long long)rank);
    uint8_t *bytes = mn_malloc(len);
    if (bytes == NULL)
        return MN_ERR_NOMEM;
    size_t n;
    if (!b64_decode(b64, len, bytes, &n) || n == 0) {
        free(bytes);
        return mn_error(MN_ERR_FORMAT, "%s line %zu: '%.*s' is not base64", what, line,
                        (int)(len > 40 ? 40 : len), (const char *)b64);
    }
    r->bytes[rank] = bytes;
    r->lens[rank] = n;
    if (rank + 1 > r->size)
        r->size = (uint32_t)rank + 1;
    return MN_OK;
}

static mn_status parse_u64(const uint8_t *s, size_t len, uint64_t *out) {
    MN_RETURN_ERROR_IF(len == 0 || len > 12, MN_ERR_FORMAT, "bad number");
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        MN_RETURN_ERROR_IF(s[i] < '0' || s[i] > '9', MN_ERR_FORMAT, "bad number");
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return MN_OK;
}

/* Parses rank data in either form (see the top of this file). */
static mn_status parse_ranks(const uint8_t *data, size_t len, const char *what, rank_table *r) {
    size_t line = 0, pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && data[end] != '\n')
            end++;
        line++;
        size_t stop = end;
        if (stop > pos && data[stop - 1] == '\r')
            stop--;
        if (stop > pos) {
            /* Split the line on single spaces. */
            size_t f0 = pos, f0e = pos;
            while (f0e < stop && data[f0e] != ' ')
                f0e++;
            MN_RETURN_ERROR_IF(f0e == stop, MN_ERR_FORMAT,
                               "%s line %zu: expected \"BASE64 RANK\" (or \"! OFFSET B64...\")",
                               what, line);
            size_t f1 = f0e + 1, f1e = f1;
            while (f1e < stop && data[f1e] != ' ')
                f1e++;
            uint64_t number = 0;
            mn_status st = parse_u64(data + f1, f1e - f1, &number);
            MN_RETURN_ERROR_IF(st != MN_OK, MN_ERR_FORMAT, "%s line %zu: '%.*s' is not a rank",
                               what, line, (int)(f1e - f1 > 20 ? 20 : f1e - f1),
                               (const char *)data + f1);
            if (f0e - f0 == 1 && data[f0] == '!') {
                uint64_t rank = number;
                size_t p = f1e;
                while (p < stop) {
                    p++; /* the space */
                    size_t q = p;
                    while (q < stop && data[q] != ' ')
                        q++;
                    MN_FORWARD_IF_ERROR(rank_table_set(r, rank++, data + p, q - p, what, line));
                    p = q;
                }
            } else {
                MN_RETURN_ERROR_IF(f1e != stop, MN_ERR_FORMAT,
                                   "%s line %zu: extra fields after \"BASE64 RANK\"", what, line);
                MN_FORWARD_IF_ERROR(rank_table_set(r, number, data + f0, f0e - f0, what, line));
            }
        }
        pos = end + 1;
    }
    MN_RETURN_ERROR_IF(r->size == 0, MN_ERR_FORMAT, "%s: no ranks found", what);
    return MN_OK;
}

static mn_status build(tok_tokenizer **out, const rank_table *r, uint32_t vocab_size,
                       const char *name, const char *pretok, const tok_special_def *specials,
                       size_t n_specials, const char *what) {
    const uint8_t **bytes = mn_calloc(vocab_size, sizeof *bytes);
    size_t *lens = mn_calloc(vocab_size, sizeof *lens);
    mn_status status = MN_OK;
    if (bytes == NULL || lens == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < r->size; i++) {
        bytes[i] = r->bytes[i];
        lens[i] = r->bytes[i] ? r->lens[i] : 0;
    }
    const char *key = "source";
    tok_definition def = {.name = name,
                          .pretokenizer = pretok,
                          .vocab_size = vocab_size,
                          .token_bytes = bytes,
                          .token_lens = lens,
                          .specials = specials,
                          .n_specials = n_specials,
                          .setting_keys = &key,
                          .setting_values = &what,
                          .n_settings = 1};
    status = tok_create(out, &def);
    if (status != MN_OK)
        mn_error_context(status, "%s", what);
done:
    free(bytes);
    free(lens);
    return status;
}

static const char *base_name_of(const char *path, char *buf, size_t size) {
    const char *slash = strrchr(path, '/');
    snprintf(buf, size, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot != NULL && dot != buf)
        *dot = '\0';
    return buf;
}

static mn_status import_json(tok_tokenizer **out, const uint8_t *data, size_t len, const char *path,
                             const char *name, const char *pretok_override) {
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, 0, &jerr);
    MN_RETURN_ERROR_IF(root == NULL, MN_ERR_FORMAT, "%s line %d: invalid JSON: %s", path, jerr.line,
                       jerr.text);
    mn_status status = MN_OK;
    rank_table ranks = {0};
    tok_special_def *specials = NULL;
    size_t n_specials = 0;
    const char *pat = json_string_value(json_object_get(root, "pat_str"));
    const char *bpe = json_string_value(json_object_get(root, "bpe_ranks"));
    json_t *special_obj = json_object_get(root, "special_tokens");
    if (pat == NULL || bpe == NULL || !json_is_object(special_obj)) {
        status = mn_error(MN_ERR_FORMAT,
                          "%s: not a tiktoken encoder JSON (needs \"pat_str\", \"bpe_ranks\" "
                          "and \"special_tokens\")",
                          path);
        goto done;
    }
    const char *pretok = pretok_override;
    if (pretok == NULL) {
        for (int k = 0; k < TOK_PRETOK_COUNT && pretok == NULL; k++)
            if (strcmp(pat, tok_pretokenizer_pattern((tok_pretokenizer)k)) == 0)
                pretok = tok_pretokenizer_kind_name((tok_pretokenizer)k);
        if (pretok == NULL) {
            status = mn_error(MN_ERR_UNSUPPORTED,
                              "%s: pat_str '%s' is none of the gpt2, cl100k and o200k patterns "
                              "(mnemo has scanners for those three only)",
                              path, pat);
            goto done;
        }
    }
    MN_GOTO_IF_ERROR(status, parse_ranks((const uint8_t *)bpe, strlen(bpe), path, &ranks), done);
    size_t n = json_object_size(special_obj);
    specials = mn_calloc(n + 1, sizeof *specials);
    if (specials == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    uint32_t vocab_size = ranks.size;
    const char *key;
    json_t *value;
    json_object_foreach(special_obj, key, value) {
        json_int_t id = json_integer_value(value);
        if (!json_is_integer(value) || id < 0 || id >= TOK_MAX_VOCAB) {
            status = mn_error(MN_ERR_FORMAT, "%s: special token '%s' has no valid id", path, key);
            goto done;
        }
        specials[n_specials].text = key;
        specials[n_specials].id = (uint32_t)id;
        specials[n_specials].role = strcmp(key, "<|endoftext|>") == 0 ? "eos" : "user";
        n_specials++;
        if ((uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    json_t *explicit_n = json_object_get(root, "explicit_n_vocab");
    if (json_is_integer(explicit_n) && json_integer_value(explicit_n) > (json_int_t)vocab_size &&
        json_integer_value(explicit_n) <= TOK_MAX_VOCAB)
        vocab_size = (uint32_t)json_integer_value(explicit_n);
    char buf[256];
    status = build(out, &ranks, vocab_size, name ? name : base_name_of(path, buf, sizeof buf),
                   pretok, specials, n_specials, path);
done:
    free(specials);
    rank_table_free(&ranks);
    json_decref(root);
    return status;
}

mn_status tok__import_tiktoken_memory(tok_tokenizer **out, const uint8_t *data, size_t len,
                                      const char *path, const char *name, const char *pretokenizer,
                                      const tok_special_def *specials, size_t n_specials) {
    *out = NULL;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    if (i < len && data[i] == '{')
        return import_json(out, data, len, path, name, pretokenizer);
    rank_table ranks = {0};
    mn_status status = parse_ranks(data, len, path, &ranks);
    if (status == MN_OK && pretokenizer == NULL)
        status = mn_error(MN_ERR_ARG,
                          "%s: a .tiktoken file does not say its pre-tokenizer: give it "
                          "(gpt2, cl100k or o200k)",
                          path);
    if (status == MN_OK) {
        uint32_t vocab_size = ranks.size;
        for (size_t k = 0; k < n_specials; k++)
            if (specials[k].id < TOK_MAX_VOCAB && specials[k].id + 1 > vocab_size)
                vocab_size = specials[k].id + 1;
        char buf[256];
        status = build(out, &ranks, vocab_size, name ? name : base_name_of(path, buf, sizeof buf),
                       pretokenizer, specials, n_specials, path);
    }
    rank_table_free(&ranks);
    return status;
}

mn_status tok_import_tiktoken(tok_tokenizer **out, const char *path, const char *name,
                              const char *pretokenizer, const tok_special_def *specials,
                              size_t n_specials) {
    *out = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    MN_FORWARD_IF_ERROR(mn_read_file(path, TOK_MAX_FILE_BYTES, &data, &len));
    mn_status status =
        tok__import_tiktoken_memory(out, data, len, path, name, pretokenizer, specials, n_specials);
    free(data);
    return status;
}
