/* The tokenizer object: validation, lookup tables, identity hash, the *.mtk file.
 *
 * The *.mtk file is the protobuf message mnemo.Tokenizer (proto/tokenizer.proto):
 *   format_version = 1; name; pretokenizer ("gpt2" | "cl100k" | "o200k");
 *   vocab[i] = the bytes of ordinary token i, or empty for ids that are special tokens or
 *   unassigned; special_tokens {text, id, role}; vocab_size (special tokens included);
 *   identity_hash; training_settings; created_by.
 * The model is tiktoken's: the id of a token is its merge rank.
 *
 * Identity hash (xxh64, seed 0) over, in order:
 *   "mnemo-tokenizer-1" NUL, the pre-tokenizer name NUL, vocab_size (u32 LE),
 *   for each id: length (u32 LE) and bytes (length 0 for ids without bytes),
 *   the number of special tokens (u32 LE), and for each in id order: id (u32 LE),
 *   text length (u32 LE), text, role NUL.
 * The name, settings and creator are not part of it: renaming a tokenizer does not change
 * the ids it produces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/mem.h"
#include "mnemo_version.h"
#include "proto/proto.h"
#include "proto/tokenizer.pb-c.h"
#include "tokenizer/tok_internal.h"

uint64_t tok__hash_bytes(const uint8_t *bytes, size_t len) {
    return XXH3_64bits(bytes, len);
}

void tok_ids_free(tok_ids *ids) {
    if (ids == NULL)
        return;
    free(ids->ids);
    *ids = (tok_ids){0};
}

mn_status tok__ids_reserve(tok_ids *ids, size_t extra) {
    if (ids->capacity - ids->count >= extra)
        return MN_OK;
    size_t want = ids->capacity ? ids->capacity : 256;
    while (want - ids->count < extra) {
        MN_RETURN_ERROR_IF(want > SIZE_MAX / 2 / sizeof(uint32_t), MN_ERR_NOMEM,
                           "token id array too large");
        want *= 2;
    }
    void *p = ids->ids;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&p, want, sizeof(uint32_t)));
    ids->ids = p;
    ids->capacity = want;
    return MN_OK;
}

uint32_t tok__lookup(const tok_tokenizer *t, const uint8_t *bytes, size_t len) {
    uint64_t i = tok__hash_bytes(bytes, len) & t->vocab_mask;
    for (;;) {
        uint32_t id = t->vocab_slots[i];
        if (id == TOK_NO_ID)
            return TOK_NO_ID;
        if (t->length[id] == len && memcmp(t->pool + t->offset[id], bytes, len) == 0)
            return id;
        i = (i + 1) & t->vocab_mask;
    }
}

uint32_t tok__pair(const tok_tokenizer *t, uint32_t left, uint32_t right) {
    uint64_t key = (((uint64_t)left << 32) | right) + 1;
    uint64_t i = mn_mix64(key) & t->pair_mask;
    for (;;) {
        uint64_t k = t->pair_keys[i];
        if (k == key)
            return t->pair_values[i];
        if (k == 0)
            return TOK_NO_ID;
        i = (i + 1) & t->pair_mask;
    }
}

static uint64_t table_size_for(uint64_t count) {
    uint64_t size = 16;
    while (size < count * 2)
        size *= 2;
    return size;
}

static mn_status build_tables(tok_tokenizer *t) {
    uint64_t assigned = 0;
    for (uint32_t id = 0; id < t->vocab_size; id++)
        assigned += t->length[id] != 0;
    t->vocab_mask = table_size_for(assigned) - 1;
    MN_ALLOC_OR_RETURN(t->vocab_slots, t->vocab_mask + 1, sizeof(uint32_t));
    memset(t->vocab_slots, 0xff, (t->vocab_mask + 1) * sizeof(uint32_t));
    for (int b = 0; b < 256; b++)
        t->byte_id[b] = TOK_NO_ID;
    for (uint32_t id = 0; id < t->vocab_size; id++) {
        uint32_t len = t->length[id];
        if (len == 0)
            continue;
        const uint8_t *bytes = t->pool + t->offset[id];
        uint64_t i = tok__hash_bytes(bytes, len) & t->vocab_mask;
        while (t->vocab_slots[i] != TOK_NO_ID) {
            uint32_t other = t->vocab_slots[i];
            if (t->length[other] == len && memcmp(t->pool + t->offset[other], bytes, len) == 0)
                return mn_error(MN_ERR_FORMAT,
                                "tokens %u and %u have the same bytes (each byte string must "
                                "be one token)",
                                other, id);
            i = (i + 1) & t->vocab_mask;
        }
        t->vocab_slots[i] = id;
        if (len == 1)
            t->byte_id[bytes[0]] = id;
    }
    for (int b = 0; b < 256; b++)
        MN_RETURN_ERROR_IF(t->byte_id[b] == TOK_NO_ID, MN_ERR_FORMAT,
                           "byte 0x%02x is not a token: a byte-level BPE vocabulary must hold "
                           "all 256 single bytes",
                           b);

    /* Pairs: every split of every token into two tokens. */
    uint64_t pairs = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            t->pair_mask = table_size_for(pairs) - 1;
            t->pair_keys = mn_calloc(t->pair_mask + 1, sizeof(uint64_t));
            MN_ALLOC_OR_RETURN(t->pair_values, t->pair_mask + 1, sizeof(uint32_t));
            if (t->pair_keys == NULL)
                return MN_ERR_NOMEM;
        }
        for (uint32_t id = 0; id < t->vocab_size; id++) {
            uint32_t len = t->length[id];
            const uint8_t *bytes = t->pool + t->offset[id];
            for (uint32_t k = 1; k < len; k++) {
                uint32_t left = tok__lookup(t, bytes, k);
                if (left == TOK_NO_ID)
                    continue;
                uint32_t right = tok__lookup(t, bytes + k, len - k);
                if (right == TOK_NO_ID)
                    continue;
                if (pass == 0) {
                    pairs++;
                    continue;
                }
                uint64_t key = (((uint64_t)left << 32) | right) + 1;
                uint64_t i = mn_mix64(key) & t->pair_mask;
                while (t->pair_keys[i] != 0)
                    i = (i + 1) & t->pair_mask;
                t->pair_keys[i] = key;
                t->pair_values[i] = id;
            }
        }
    }
    return MN_OK;
}

static uint64_t compute_identity(const tok_tokenizer *t) {
    mn_xxh64_stream stream;
    if (mn_xxh64_begin(&stream, 0) != 0)
        return 0;
    static const char magic[] = "mnemo-tokenizer-1";
    mn_xxh64_update(&stream, magic, sizeof magic); /* NUL included */
    const char *pretok = tok_pretokenizer_kind_name(t->pretok);
    mn_xxh64_update(&stream, pretok, strlen(pretok) + 1);
    uint8_t le[4];
#define PUT_U32(v)                                                                    \
    do {                                                                              \
        uint32_t v_ = (v);                                                            \
        le[0] = (uint8_t)v_, le[1] = (uint8_t)(v_ >> 8), le[2] = (uint8_t)(v_ >> 16), \
        le[3] = (uint8_t)(v_ >> 24);                                                  \
        mn_xxh64_update(&stream, le, 4);                                              \
    } while (0)
    PUT_U32(t->vocab_size);
    for (uint32_t id = 0; id < t->vocab_size; id++) {
        PUT_U32(t->length[id]);
        mn_xxh64_update(&stream, t->pool + t->offset[id], t->length[id]);
    }
    PUT_U32((uint32_t)t->n_specials);
    for (size_t i = 0; i < t->n_specials; i++) {
        PUT_U32(t->specials[i].id);
        PUT_U32((uint32_t)t->specials[i].len);
        mn_xxh64_update(&stream, t->specials[i].text, t->specials[i].len);
        mn_xxh64_update(&stream, t->specials[i].role, strlen(t->specials[i].role) + 1);
    }
#undef PUT_U32
    return mn_xxh64_end(&stream);
}

void tok_free(tok_tokenizer *t) {
    if (t == NULL)
        return;
    free(t->name);
    free(t->pool);
    free(t->offset);
    free(t->length);
    free(t->vocab_slots);
    free(t->pair_keys);
    free(t->pair_values);
    for (size_t i = 0; i < t->n_specials; i++) {
        free(t->specials[i].text);
        free(t->specials[i].role);
    }
    free(t->specials);
    for (size_t i = 0; i < t->n_settings; i++) {
        free(t->setting_keys[i]);
        free(t->setting_values[i]);
    }
    free(t->setting_keys);
    free(t->setting_values);
    free(t->created_by);
    free(t);
}

static int special_by_id(const void *a, const void *b) {
    const tok_special *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool valid_role(const char *role) {
    return strcmp(role, "eos") == 0 || strcmp(role, "pad") == 0 || strcmp(role, "landmark") == 0 ||
           strcmp(role, "user") == 0;
}

mn_status tok_create(tok_tokenizer **out, const tok_definition *def) {
    *out = NULL;
    tok_pretokenizer kind;
    MN_FORWARD_IF_ERROR(tok_pretokenizer_parse(def->pretokenizer, &kind));
    MN_RETURN_ERROR_IF(def->vocab_size == 0 || def->vocab_size > TOK_MAX_VOCAB, MN_ERR_FORMAT,
                       "vocabulary size %u is out of range (1 .. %u)", def->vocab_size,
                       TOK_MAX_VOCAB);
    MN_RETURN_ERROR_IF(def->n_specials > TOK_MAX_SPECIALS, MN_ERR_FORMAT,
                       "%zu special tokens (at most %u)", def->n_specials, TOK_MAX_SPECIALS);
    tok_tokenizer *t = mn_calloc(1, sizeof *t);
    if (t == NULL)
        return MN_ERR_NOMEM;
    mn_status status = MN_OK;
    t->pretok = kind;
    t->vocab_size = def->vocab_size;
    t->name = mn_strdup(def->name ? def->name : "");
    t->offset = mn_alloc_array(def->vocab_size, sizeof *t->offset);
    t->length = mn_calloc(def->vocab_size, sizeof *t->length);
    if (t->name == NULL || t->offset == NULL || t->length == NULL) {
        status = MN_ERR_NOMEM;
        goto fail;
    }
    uint64_t total = 0;
    for (uint32_t id = 0; id < def->vocab_size; id++) {
        size_t len = def->token_lens[id];
        if (len > TOK_MAX_TOKEN_LEN) {
            status = mn_error(MN_ERR_FORMAT, "token %u is %zu bytes long (at most %u)", id, len,
                              TOK_MAX_TOKEN_LEN);
            goto fail;
        }
        t->offset[id] = total;
        t->length[id] = (uint32_t)len;
        total += len;
    }
    t->pool = mn_malloc(total ? total : 1);
    if (t->pool == NULL) {
        status = MN_ERR_NOMEM;
        goto fail;
    }
    for (uint32_t id = 0; id < def->vocab_size; id++)
        if (t->length[id])
            memcpy(t->pool + t->offset[id], def->token_bytes[id], t->length[id]);

    t->specials = mn_calloc(def->n_specials ? def->n_specials : 1, sizeof *t->specials);
    if (t->specials == NULL) {
        status = MN_ERR_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < def->n_specials; i++) {
        const tok_special_def *s = &def->specials[i];
        const char *role = s->role && s->role[0] ? s->role : "user";
        if (s->text == NULL || s->text[0] == '\0') {
            status = mn_error(MN_ERR_FORMAT, "special token %zu has an empty text", i);
            goto fail;
        }
        if (!valid_role(role)) {
            status = mn_error(MN_ERR_FORMAT,
                              "special token '%s' has role '%s' (expected eos, pad, landmark "
                              "or user)",
                              s->text, role);
            goto fail;
        }
        if (s->id >= def->vocab_size || t->length[s->id] != 0) {
            status = mn_error(
                MN_ERR_FORMAT, "special token '%s' has id %u, which is %s (vocabulary size %u)",
                s->text, s->id, s->id >= def->vocab_size ? "out of range" : "an ordinary token",
                def->vocab_size);
            goto fail;
        }
        t->specials[i].text = mn_strdup(s->text);
        t->specials[i].len = strlen(s->text);
        t->specials[i].id = s->id;
        t->specials[i].role = mn_strdup(role);
        t->n_specials = i + 1;
        if (t->specials[i].text == NULL || t->specials[i].role == NULL) {
            status = MN_ERR_NOMEM;
            goto fail;
        }
    }
    qsort(t->specials, t->n_specials, sizeof *t->specials, special_by_id);
    for (size_t i = 0; i < t->n_specials; i++) {
        for (size_t j = 0; j < i; j++) {
            if (t->specials[j].id == t->specials[i].id ||
                strcmp(t->specials[j].text, t->specials[i].text) == 0) {
                status = mn_error(MN_ERR_FORMAT, "special tokens '%s' and '%s' share %s",
                                  t->specials[j].text, t->specials[i].text,
                                  t->specials[j].id == t->specials[i].id ? "an id" : "a text");
                goto fail;
            }
            if (strcmp(t->specials[i].role, "user") != 0 &&
                strcmp(t->specials[j].role, t->specials[i].role) == 0) {
                status = mn_error(MN_ERR_FORMAT, "two special tokens have the role '%s'",
                                  t->specials[i].role);
                goto fail;
            }
        }
        t->special_first_byte[(uint8_t)t->specials[i].text[0]] = 1;
    }
    if (def->n_settings) {
        t->setting_keys = mn_calloc(def->n_settings, sizeof(char *));
        t->setting_values = mn_calloc(def->n_settings, sizeof(char *));
        if (t->setting_keys == NULL || t->setting_values == NULL) {
            status = MN_ERR_NOMEM;
            goto fail;
        }
        for (size_t i = 0; i < def->n_settings; i++) {
            t->setting_keys[i] = mn_strdup(def->setting_keys[i] ? def->setting_keys[i] : "");
            t->setting_values[i] = mn_strdup(def->setting_values[i] ? def->setting_values[i] : "");
            t->n_settings = i + 1;
            if (t->setting_keys[i] == NULL || t->setting_values[i] == NULL) {
                status = MN_ERR_NOMEM;
                goto fail;
            }
        }
    }
    MN_GOTO_IF_ERROR(status, build_tables(t), fail);
    t->identity_hash = compute_identity(t);
    tok__pretok_init();
    *out = t;
    return MN_OK;
fail:
    tok_free(t);
    return status;
}

uint32_t tok_vocab_size(const tok_tokenizer *t) {
    return t->vocab_size;
}

uint64_t tok_identity_hash(const tok_tokenizer *t) {
    return t->identity_hash;
}

const char *tok_pretokenizer_name(const tok_tokenizer *t) {
    return tok_pretokenizer_kind_name(t->pretok);
}

const char *tok_name(const tok_tokenizer *t) {
    return t->name;
}

int64_t tok_special_id(const tok_tokenizer *t, const char *role) {
    for (size_t i = 0; i < t->n_specials; i++)
        if (strcmp(t->specials[i].role, role) == 0)
            return t->specials[i].id;
    return -1;
}

size_t tok_special_count(const tok_tokenizer *t) {
    return t->n_specials;
}

tok_special_def tok_special_at(const tok_tokenizer *t, size_t i) {
    return (tok_special_def){t->specials[i].text, t->specials[i].id, t->specials[i].role};
}

bool tok_is_special(const tok_tokenizer *t, uint32_t id) {
    for (size_t i = 0; i < t->n_specials; i++)
        if (t->specials[i].id == id)
            return true;
    return false;
}

int64_t tok_token_id(const tok_tokenizer *t, const uint8_t *bytes, size_t len) {
    if (len == 0)
        return -1;
    uint32_t id = tok__lookup(t, bytes, len);
    return id == TOK_NO_ID ? -1 : (int64_t)id;
}

size_t tok_setting_count(const tok_tokenizer *t) {
    return t->n_settings;
}

void tok_setting_at(const tok_tokenizer *t, size_t i, const char **key, const char **value) {
    *key = t->setting_keys[i];
    *value = t->setting_values[i];
}

mn_status tok_token_bytes(const tok_tokenizer *t, uint32_t id, const uint8_t **bytes, size_t *len) {
    MN_RETURN_ERROR_IF(id >= t->vocab_size, MN_ERR_ARG,
                       "token id %u is out of range (vocabulary size %u)", id, t->vocab_size);
    if (t->length[id] != 0) {
        *bytes = t->pool + t->offset[id];
        *len = t->length[id];
        return MN_OK;
    }
    for (size_t i = 0; i < t->n_specials; i++) {
        if (t->specials[i].id == id) {
            *bytes = (const uint8_t *)t->specials[i].text;
            *len = t->specials[i].len;
            return MN_OK;
        }
    }
    return mn_error(MN_ERR_ARG, "token id %u is not assigned in this vocabulary", id);
}

mn_status tok_decode(const tok_tokenizer *t, const uint32_t *ids, size_t n, mn_buf *out) {
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id < t->vocab_size && t->length[id] != 0) {
            MN_FORWARD_IF_ERROR(mn_buf_append(out, t->pool + t->offset[id], t->length[id]));
            continue;
        }
        const uint8_t *bytes;
        size_t len;
        MN_FORWARD_IF_ERROR_CTX(tok_token_bytes(t, id, &bytes, &len), "decoding id %zu", i);
        MN_FORWARD_IF_ERROR(mn_buf_append(out, bytes, len));
    }
    return MN_OK;
}

/* ---- *.mtk files ---- */

mn_status tok_save(const tok_tokenizer *t, const char *path) {
    Mnemo__Tokenizer msg = MNEMO__TOKENIZER__INIT;
    mn_status status = MN_OK;
    msg.format_version = TOK_FORMAT_VERSION;
    msg.name = t->name;
    msg.pretokenizer = (char *)tok_pretokenizer_kind_name(t->pretok);
    msg.vocab_size = t->vocab_size;
    msg.identity_hash = t->identity_hash;
    char created_by[128];
    snprintf(created_by, sizeof created_by, "mnemo %s (git %s)", MNEMO_VERSION, MNEMO_GIT_HASH);
    msg.created_by = t->created_by ? t->created_by : created_by;
    msg.n_vocab = t->vocab_size;
    msg.vocab = mn_calloc(t->vocab_size, sizeof *msg.vocab);
    Mnemo__SpecialToken *specials = mn_calloc(t->n_specials + 1, sizeof *specials);
    Mnemo__SpecialToken **special_ptrs = mn_calloc(t->n_specials + 1, sizeof *special_ptrs);
    Mnemo__Setting *settings = mn_calloc(t->n_settings + 1, sizeof *settings);
    Mnemo__Setting **setting_ptrs = mn_calloc(t->n_settings + 1, sizeof *setting_ptrs);
    if (msg.vocab == NULL || specials == NULL || special_ptrs == NULL || settings == NULL ||
        setting_ptrs == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    for (uint32_t id = 0; id < t->vocab_size; id++) {
        msg.vocab[id].len = t->length[id];
        msg.vocab[id].data = t->pool + t->offset[id];
    }
    for (size_t i = 0; i < t->n_specials; i++) {
        mnemo__special_token__init(&specials[i]);
        specials[i].text = t->specials[i].text;
        specials[i].id = t->specials[i].id;
        specials[i].role = t->specials[i].role;
        special_ptrs[i] = &specials[i];
    }
    msg.n_special_tokens = t->n_specials;
    msg.special_tokens = special_ptrs;
    for (size_t i = 0; i < t->n_settings; i++) {
        mnemo__setting__init(&settings[i]);
        settings[i].key = t->setting_keys[i];
        settings[i].value = t->setting_values[i];
        setting_ptrs[i] = &settings[i];
    }
    msg.n_training_settings = t->n_settings;
    msg.training_settings = setting_ptrs;
    status = mn_proto_write_file(&msg.base, path);
    if (status != MN_OK)
        mn_error_context(status, "writing tokenizer %s", path);
done:
    free(msg.vocab);
    free(specials);
    free(special_ptrs);
    free(settings);
    free(setting_ptrs);
    return status;
}

/* Builds a tokenizer from an unpacked message; `what` names the source in messages. */
static mn_status from_message(tok_tokenizer **out, const Mnemo__Tokenizer *msg, const char *what) {
    MN_RETURN_ERROR_IF(msg->format_version != TOK_FORMAT_VERSION, MN_ERR_UNSUPPORTED,
                       "%s: tokenizer format version %u (this build reads version %u)", what,
                       msg->format_version, TOK_FORMAT_VERSION);
    MN_RETURN_ERROR_IF(msg->n_vocab != msg->vocab_size, MN_ERR_FORMAT,
                       "%s: %zu vocabulary entries but vocab_size %u", what, msg->n_vocab,
                       msg->vocab_size);
    MN_RETURN_ERROR_IF(msg->vocab_size == 0 || msg->vocab_size > TOK_MAX_VOCAB, MN_ERR_FORMAT,
                       "%s: vocabulary size %u is out of range", what, msg->vocab_size);
    const uint8_t **bytes = mn_alloc_array(msg->n_vocab, sizeof *bytes);
    size_t *lens = mn_alloc_array(msg->n_vocab, sizeof *lens);
    tok_special_def *specials = mn_calloc(msg->n_special_tokens + 1, sizeof *specials);
    const char **keys = mn_calloc(msg->n_training_settings + 1, sizeof *keys);
    const char **values = mn_calloc(msg->n_training_settings + 1, sizeof *values);
    mn_status status = MN_OK;
    if (bytes == NULL || lens == NULL || specials == NULL || keys == NULL || values == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < msg->n_vocab; i++) {
        bytes[i] = msg->vocab[i].data;
        lens[i] = msg->vocab[i].len;
    }
    for (size_t i = 0; i < msg->n_special_tokens; i++) {
        specials[i].text = msg->special_tokens[i]->text;
        specials[i].id = msg->special_tokens[i]->id;
        specials[i].role = msg->special_tokens[i]->role;
    }
    for (size_t i = 0; i < msg->n_training_settings; i++) {
        keys[i] = msg->training_settings[i]->key;
        values[i] = msg->training_settings[i]->value;
    }
    tok_definition def = {.name = msg->name,
                          .pretokenizer = msg->pretokenizer,
                          .vocab_size = msg->vocab_size,
                          .token_bytes = bytes,
                          .token_lens = lens,
                          .specials = specials,
                          .n_specials = msg->n_special_tokens,
                          .setting_keys = keys,
                          .setting_values = values,
                          .n_settings = msg->n_training_settings};
    status = tok_create(out, &def);
    if (status != MN_OK) {
        mn_error_context(status, "%s", what);
        goto done;
    }
    if ((*out)->identity_hash != msg->identity_hash) {
        status = mn_error(MN_ERR_CORRUPT,
                          "%s: identity hash mismatch (file says %016llx, contents give %016llx): "
                          "the file is damaged or was edited; re-create it",
                          what, (unsigned long long)msg->identity_hash,
                          (unsigned long long)(*out)->identity_hash);
        tok_free(*out);
        *out = NULL;
        goto done;
    }
    if (msg->created_by && msg->created_by[0])
        (*out)->created_by = mn_strdup(msg->created_by);
done:
    free(bytes);
    free(lens);
    free(specials);
    free(keys);
    free(values);
    return status;
}

mn_status tok__load_memory(tok_tokenizer **out, const uint8_t *data, size_t len, const char *what);
mn_status tok__load_memory(tok_tokenizer **out, const uint8_t *data, size_t len, const char *what) {
    *out = NULL;
    ProtobufCMessage *message = NULL;
    MN_FORWARD_IF_ERROR(mn_proto_unpack(&mnemo__tokenizer__descriptor, data, len,
                                        TOK_MAX_FILE_BYTES, what, &message));
    mn_status status = from_message(out, (const Mnemo__Tokenizer *)message, what);
    protobuf_c_message_free_unpacked(message, NULL);
    return status;
}

mn_status tok_load(tok_tokenizer **out, const char *path) {
    *out = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    MN_FORWARD_IF_ERROR_CTX(mn_read_file(path, TOK_MAX_FILE_BYTES, &data, &len),
                            "loading tokenizer");
    char what[512];
    snprintf(what, sizeof what, "tokenizer %s", path);
    mn_status status = tok__load_memory(out, data, len, what);
    free(data);
    return status;
}
