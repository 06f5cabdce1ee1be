/* Hugging Face tokenizer.json import and export (byte-level BPE).
 *
 * Token strings use GPT-2's byte-to-unicode map: the 188 printable bytes ('!'..'~',
 * '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 bytes map to U+0100.. in byte
 * order. Export writes:
 *   pre_tokenizer: Sequence[Split(Regex = tiktoken's pat_str, Isolated),
 *                           ByteLevel(add_prefix_space false, use_regex false)]
 *   model: BPE with ignore_merges = true (a piece that is a token is taken whole, as
 *          tiktoken does), vocab (token string -> id), and merges: for every token, every
 *          split into two tokens, ordered by the token's id (its rank), then the left and
 *          right ids. HF merges a pair when it is in the list, tiktoken when the
 *          concatenation has a rank; listing every split makes them agree.
 *   added_tokens: the special tokens (special = true, normalized = false);
 *   decoder: ByteLevel.
 * Import accepts model.type "BPE" with a byte-level vocabulary, merges as "a b" strings or
 * ["a", "b"] pairs, a pre-tokenizer that is ByteLevel with use_regex (gpt2) or a Split
 * whose regex is one of the three known patterns, and requires merge order to follow id
 * order (mnemo's model: a token's id is its rank).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "tokenizer/tok_internal.h"

static uint32_t byte_map[256];
static int16_t unicode_map[512]; /* code point (< 512) -> byte, -1 when none */
static pthread_once_t maps_once = PTHREAD_ONCE_INIT;

static void fill_maps(void) {
    bool printable[256] = {false};
    for (int b = '!'; b <= '~'; b++)
        printable[b] = true;
    for (int b = 0xa1; b <= 0xac; b++)
        printable[b] = true;
    for (int b = 0xae; b <= 0xff; b++)
        printable[b] = true;
    uint32_t next = 256;
    for (int b = 0; b < 256; b++)
        byte_map[b] = printable[b] ? (uint32_t)b : next++;
    for (int i = 0; i < 512; i++)
        unicode_map[i] = -1;
    for (int b = 0; b < 256; b++)
        unicode_map[byte_map[b]] = (int16_t)b;
}

static void build_maps(void) {
    pthread_once(&maps_once, fill_maps);
}

uint32_t tok__byte_to_unicode(uint8_t byte) {
    build_maps();
    return byte_map[byte];
}

int tok__unicode_to_byte(uint32_t codepoint) {
    build_maps();
    return codepoint < 512 ? unicode_map[codepoint] : -1;
}

/* Appends the byte-level string of `bytes` (UTF-8 of the mapped code points). */
static mn_status to_hf_string(const uint8_t *bytes, size_t len, mn_buf *out) {
    for (size_t i = 0; i < len; i++) {
        uint32_t cp = tok__byte_to_unicode(bytes[i]);
        uint8_t u[2];
        if (cp < 0x80) {
            MN_FORWARD_IF_ERROR(mn_buf_append_byte(out, (uint8_t)cp));
        } else {
            u[0] = (uint8_t)(0xc0 | (cp >> 6));
            u[1] = (uint8_t)(0x80 | (cp & 0x3f));
            MN_FORWARD_IF_ERROR(mn_buf_append(out, u, 2));
        }
    }
    return MN_OK;
}

/* Decodes a byte-level string into bytes; false when a character is outside the map. */
static bool from_hf_string(const char *s, mn_buf *out) {
    const uint8_t *p = (const uint8_t *)s;
    while (*p) {
        uint32_t cp;
        if (p[0] < 0x80) {
            cp = p[0];
            p += 1;
        } else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
            cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
            p += 2;
        } else {
            return false;
        }
        int b = tok__unicode_to_byte(cp);
        if (b < 0 || mn_buf_append_byte(out, (uint8_t)b) != MN_OK)
            return false;
    }
    return true;
}

/* ---- export ---- */

typedef struct merge {
    uint32_t id, left, right;
} merge;

static int merge_order(const void *a, const void *b) {
    const merge *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    if (x->left != y->left)
        return x->left < y->left ? -1 : 1;
    return x->right < y->right ? -1 : x->right > y->right;
}

static json_t *pretokenizer_json(const tok_tokenizer *t) {
    return json_pack("{s:s, s:[{s:s, s:{s:s}, s:s, s:b}, {s:s, s:b, s:b, s:b}]}", "type",
                     "Sequence", "pretokenizers", "type", "Split", "pattern", "Regex",
                     tok_pretokenizer_pattern(t->pretok), "behavior", "Isolated", "invert", 0,
                     "type", "ByteLevel", "add_prefix_space", 0, "trim_offsets", 1, "use_regex", 0);
}

mn_status tok_export_hf(const tok_tokenizer *t, const char *path) {
    mn_status status = MN_OK;
    json_t *root = json_object(), *vocab = json_object(), *merges = json_array(),
           *added = json_array();
    merge *list = NULL;
    size_t n_list = 0, cap_list = 0;
    mn_buf a = {0}, b = {0};
    char *text = NULL;
    if (!root || !vocab || !merges || !added) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    for (uint32_t id = 0; id < t->vocab_size && status == MN_OK; id++) {
        if (t->length[id] == 0)
            continue;
        mn_buf_clear(&a);
        status = to_hf_string(t->pool + t->offset[id], t->length[id], &a);
        if (status == MN_OK && json_object_set_new(vocab, (const char *)a.data, json_integer(id)))
            status = mn_error(MN_ERR_NOMEM, "building the vocabulary JSON");
        /* Every split of the token into two tokens is a merge with the token's rank. */
        const uint8_t *bytes = t->pool + t->offset[id];
        for (uint32_t k = 1; k < t->length[id] && status == MN_OK; k++) {
            uint32_t left = tok__lookup(t, bytes, k);
            uint32_t right =
                left == TOK_NO_ID ? TOK_NO_ID : tok__lookup(t, bytes + k, t->length[id] - k);
            if (right == TOK_NO_ID)
                continue;
            if (n_list == cap_list) {
                cap_list = cap_list ? cap_list * 2 : 4096;
                void *p = list;
                status = mn_realloc_array(&p, cap_list, sizeof *list);
                list = p;
            }
            if (status == MN_OK)
                list[n_list++] = (merge){id, left, right};
        }
    }
    if (status != MN_OK)
        goto done;
    qsort(list, n_list, sizeof *list, merge_order);
    for (size_t i = 0; i < n_list && status == MN_OK; i++) {
        mn_buf_clear(&a);
        status = to_hf_string(t->pool + t->offset[list[i].left], t->length[list[i].left], &a);
        if (status == MN_OK)
            status = mn_buf_append_byte(&a, ' ');
        if (status == MN_OK)
            status = to_hf_string(t->pool + t->offset[list[i].right], t->length[list[i].right], &a);
        if (status == MN_OK && json_array_append_new(merges, json_string((const char *)a.data)))
            status = mn_error(MN_ERR_NOMEM, "building the merges JSON");
    }
    for (size_t i = 0; i < t->n_specials && status == MN_OK; i++) {
        json_t *tok =
            json_pack("{s:I, s:s, s:b, s:b, s:b, s:b, s:b}", "id", (json_int_t)t->specials[i].id,
                      "content", t->specials[i].text, "single_word", 0, "lstrip", 0, "rstrip", 0,
                      "normalized", 0, "special", 1);
        if (tok == NULL || json_array_append_new(added, tok))
            status = mn_error(MN_ERR_FORMAT, "special token '%s' is not valid UTF-8",
                              t->specials[i].text);
    }
    if (status != MN_OK)
        goto done;
    json_t *model =
        json_pack("{s:s, s:n, s:n, s:n, s:n, s:b, s:b, s:b, s:o, s:o}", "type", "BPE", "dropout",
                  "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", 0,
                  "byte_fallback", 0, "ignore_merges", 1, "vocab", vocab, "merges", merges);
    vocab = merges = NULL; /* owned by model now */
    json_t *decoder = json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 0,
                                "trim_offsets", 1, "use_regex", 1);
    if (model == NULL || decoder == NULL ||
        json_object_set_new(root, "version", json_string("1.0")) ||
        json_object_set_new(root, "truncation", json_null()) ||
        json_object_set_new(root, "padding", json_null()) ||
        json_object_set_new(root, "added_tokens", added) ||
        json_object_set_new(root, "normalizer", json_null()) ||
        json_object_set_new(root, "pre_tokenizer", pretokenizer_json(t)) ||
        json_object_set_new(root, "post_processor", json_null()) ||
        json_object_set_new(root, "decoder", decoder) ||
        json_object_set_new(root, "model", model)) {
        added = NULL;
        status = mn_error(MN_ERR_NOMEM, "building tokenizer.json");
        goto done;
    }
    added = NULL;
    text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
    if (text == NULL) {
        status = mn_error(MN_ERR_NOMEM, "serialising tokenizer.json");
        goto done;
    }
    status = mn_write_file_atomic(path, text, strlen(text));
done:
    free(text);
    free(list);
    mn_buf_free(&a);
    mn_buf_free(&b);
    json_decref(root);
    json_decref(vocab);
    json_decref(merges);
    json_decref(added);
    return status;
}

/* ---- import ---- */

/* The pre-tokenizer a tokenizer.json describes, or NULL. */
static const char *detect_pretokenizer(json_t *pre) {
    const char *type = json_string_value(json_object_get(pre, "type"));
    if (type == NULL)
        return NULL;
    if (strcmp(type, "ByteLevel") == 0)
        return json_is_false(json_object_get(pre, "use_regex")) ? NULL : "gpt2";
    if (strcmp(type, "Split") == 0) {
        const char *re =
            json_string_value(json_object_get(json_object_get(pre, "pattern"), "Regex"));
        for (int k = 0; re && k < TOK_PRETOK_COUNT; k++)
            if (strcmp(re, tok_pretokenizer_pattern((tok_pretokenizer)k)) == 0)
                return tok_pretokenizer_kind_name((tok_pretokenizer)k);
        return NULL;
    }
    if (strcmp(type, "Sequence") == 0) {
        json_t *list = json_object_get(pre, "pretokenizers");
        size_t i;
        json_t *item;
        const char *found = NULL;
        json_array_foreach(list, i, item) {
            const char *k = detect_pretokenizer(item);
            if (k != NULL && found == NULL)
                found = k;
        }
        return found;
    }
    return NULL;
}

static const char *role_of(const char *content) {
    if (strcmp(content, "<|endoftext|>") == 0)
        return "eos";
    if (strcmp(content, "<|pad|>") == 0)
        return "pad";
    if (strcmp(content, "<|landmark|>") == 0)
        return "landmark";
    return "user";
}

mn_status tok_import_hf(tok_tokenizer **out, const char *path) {
    *out = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    MN_FORWARD_IF_ERROR(mn_read_file(path, TOK_MAX_FILE_BYTES, &data, &len));
    mn_status status = tok__import_hf_memory(out, data, len, path);
    free(data);
    return status;
}

mn_status tok__import_hf_memory(tok_tokenizer **out, const uint8_t *data, size_t len,
                                const char *path) {
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, 0, &jerr);
    MN_RETURN_ERROR_IF(root == NULL, MN_ERR_FORMAT, "%s line %d: %s", path, jerr.line, jerr.text);
    mn_status status = MN_OK;
    uint8_t **bytes = NULL;
    size_t *lens = NULL;
    tok_special_def *specials = NULL;
    size_t n_specials = 0;
    uint32_t vocab_size = 0;
    json_t *model = json_object_get(root, "model");
    json_t *vocab = json_object_get(model, "vocab");
    json_t *merges = json_object_get(model, "merges");
    json_t *added = json_object_get(root, "added_tokens");
    const char *type = json_string_value(json_object_get(model, "type"));
    if (type == NULL || strcmp(type, "BPE") != 0 || !json_is_object(vocab)) {
        status = mn_error(MN_ERR_UNSUPPORTED, "%s: model is not a BPE with a vocab (type %s)", path,
                          type ? type : "missing");
        goto done;
    }
    const char *pretok = detect_pretokenizer(json_object_get(root, "pre_tokenizer"));
    if (pretok == NULL) {
        status = mn_error(MN_ERR_UNSUPPORTED,
                          "%s: the pre-tokenizer is neither byte-level GPT-2 nor a Split on the "
                          "cl100k or o200k pattern (mnemo has scanners for those only)",
                          path);
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach(vocab, key, value) {
        json_int_t id = json_integer_value(value);
        if (!json_is_integer(value) || id < 0 || id >= TOK_MAX_VOCAB) {
            status = mn_error(MN_ERR_FORMAT, "%s: vocab entry '%s' has no valid id", path, key);
            goto done;
        }
        if ((uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    size_t i;
    json_array_foreach(added, i, value) {
        json_int_t id = json_integer_value(json_object_get(value, "id"));
        if (id >= 0 && id < TOK_MAX_VOCAB && (uint32_t)id + 1 > vocab_size)
            vocab_size = (uint32_t)id + 1;
    }
    bytes = mn_calloc(vocab_size + 1, sizeof *bytes);
    lens = mn_calloc(vocab_size + 1, sizeof *lens);
    specials = mn_calloc(json_array_size(added) + 1, sizeof *specials);
    if (bytes == NULL || lens == NULL || specials == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    json_array_foreach(added, i, value) {
        const char *content = json_string_value(json_object_get(value, "content"));
        json_int_t id = json_integer_value(json_object_get(value, "id"));
        if (content == NULL || id < 0 || (uint32_t)id >= vocab_size) {
            status = mn_error(MN_ERR_FORMAT, "%s: added token %zu has no content or id", path, i);
            goto done;
        }
        specials[n_specials++] = (tok_special_def){content, (uint32_t)id, role_of(content)};
    }
    json_object_foreach(vocab, key, value) {
        uint32_t id = (uint32_t)json_integer_value(value);
        bool special = false;
        for (size_t k = 0; k < n_specials; k++)
            special |= specials[k].id == id;
        if (special)
            continue; /* GPT-2 lists <|endoftext|> in both places */
        mn_buf b = {0};
        if (!from_hf_string(key, &b) || b.len == 0) {
            mn_buf_free(&b);
            status = mn_error(MN_ERR_UNSUPPORTED,
                              "%s: vocab entry '%s' is not a byte-level string (GPT-2's "
                              "byte-to-unicode map)",
                              path, key);
            goto done;
        }
        if (bytes[id] != NULL) {
            mn_buf_free(&b);
            status = mn_error(MN_ERR_FORMAT, "%s: id %u appears twice in the vocab", path, id);
            goto done;
        }
        bytes[id] = b.data;
        lens[id] = b.len;
    }
    /* Merge order must follow id order (a token's parts may have higher ids than the token
     * itself: tiktoken merges by the rank of the concatenation). */
    int64_t last = -1;
    json_array_foreach(merges, i, value) {
        char pair[2][1024];
        if (json_is_string(value)) {
            const char *s = json_string_value(value), *space = strchr(s, ' ');
            if (space == NULL || (size_t)(space - s) >= sizeof pair[0] ||
                strlen(space + 1) >= sizeof pair[1]) {
                status = mn_error(MN_ERR_FORMAT, "%s: merge %zu '%s' is not \"A B\"", path, i, s);
                goto done;
            }
            snprintf(pair[0], sizeof pair[0], "%.*s", (int)(space - s), s);
            snprintf(pair[1], sizeof pair[1], "%s", space + 1);
        } else if (json_is_array(value) && json_array_size(value) == 2 &&
                   json_is_string(json_array_get(value, 0)) &&
                   json_is_string(json_array_get(value, 1))) {
            snprintf(pair[0], sizeof pair[0], "%s", json_string_value(json_array_get(value, 0)));
            snprintf(pair[1], sizeof pair[1], "%s", json_string_value(json_array_get(value, 1)));
        } else {
            status =
                mn_error(MN_ERR_FORMAT, "%s: merge %zu is neither \"A B\" nor [A, B]", path, i);
            goto done;
        }
        char both[2048];
        snprintf(both, sizeof both, "%s%s", pair[0], pair[1]);
        json_t *l = json_object_get(vocab, pair[0]), *r = json_object_get(vocab, pair[1]),
               *m = json_object_get(vocab, both);
        if (!l || !r || !m) {
            status = mn_error(MN_ERR_FORMAT,
                              "%s: merge %zu ('%s' '%s') uses or makes a token "
                              "missing from the vocab",
                              path, i, pair[0], pair[1]);
            goto done;
        }
        json_int_t id = json_integer_value(m);
        if (id < last) {
            status = mn_error(MN_ERR_UNSUPPORTED,
                              "%s: merge %zu ('%s' '%s' -> id %lld) does not follow id order: "
                              "mnemo's model (a token's id is its merge rank, as in tiktoken) "
                              "cannot reproduce this tokenizer exactly",
                              path, i, pair[0], pair[1], (long long)id);
            goto done;
        }
        last = id;
    }
    char name[256];
    const char *slash = strrchr(path, '/');
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    const char *skey = "source";
    tok_definition def = {.name = name,
                          .pretokenizer = pretok,
                          .vocab_size = vocab_size,
                          .token_bytes = (const uint8_t *const *)bytes,
                          .token_lens = lens,
                          .specials = specials,
                          .n_specials = n_specials,
                          .setting_keys = &skey,
                          .setting_values = &path,
                          .n_settings = 1};
    status = tok_create(out, &def);
    if (status != MN_OK)
        mn_error_context(status, "%s", path);
done:
    for (uint32_t k = 0; bytes && k < vocab_size; k++)
        free(bytes[k]);
    free(bytes);
    free(lens);
    free(specials);
    json_decref(root);
    return status;
}
