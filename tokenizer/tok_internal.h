/* Internals shared by the files of tokenizer/ (not for other components). */
#ifndef MNEMO_TOKENIZER_TOK_INTERNAL_H
#define MNEMO_TOKENIZER_TOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/tokenizer.h"

#define TOK_FORMAT_VERSION 1u
/* Bounds on what a file may declare (validated before use). */
#define TOK_MAX_VOCAB      (1u << 24)
#define TOK_MAX_TOKEN_LEN  (1u << 16)
#define TOK_MAX_FILE_BYTES ((size_t)1 << 30)
#define TOK_MAX_SPECIALS   4096u
#define TOK_NO_ID          UINT32_MAX

typedef struct tok_special {
    char *text;
    size_t len;
    uint32_t id;
    char *role;
} tok_special;

struct tok_tokenizer {
    char *name;
    tok_pretokenizer pretok;
    uint32_t vocab_size;
    /* Ordinary tokens: bytes of id i are pool[offset[i] .. offset[i] + length[i]);
     * length 0 = special or unassigned. */
    uint8_t *pool;
    uint64_t *offset;
    uint32_t *length;
    uint32_t byte_id[256];
    /* bytes -> id: open addressing over ids (TOK_NO_ID = empty), hash of the bytes. */
    uint32_t *vocab_slots;
    uint64_t vocab_mask;
    /* (left id, right id) -> id of the concatenation, for every split of every token into
     * two tokens: exactly tiktoken's rule (merge two parts when their concatenation has a
     * rank), with integer keys. */
    uint64_t *pair_keys; /* (left << 32 | right) + 1; 0 = empty */
    uint32_t *pair_values;
    uint64_t pair_mask;
    tok_special *specials; /* sorted by id */
    size_t n_specials;
    uint8_t special_first_byte[256]; /* 1 when some special token starts with that byte */
    uint64_t identity_hash;
    char **setting_keys;
    char **setting_values;
    size_t n_settings;
    char *created_by;
};

/* Builds the class table once (thread-safe); tok_pretokenize_next calls it itself. */
void tok__pretok_init(void);
/* tok_pretokenize_next without the init check (call tok__pretok_init first). */
size_t tok__pretok_next_fast(tok_pretokenizer kind, const uint8_t *text, size_t len, size_t pos);

uint64_t tok__hash_bytes(const uint8_t *bytes, size_t len);
/* The id of an ordinary token's bytes, or TOK_NO_ID. */
uint32_t tok__lookup(const tok_tokenizer *tokenizer, const uint8_t *bytes, size_t len);
/* The id that merging `left` and `right` gives, or TOK_NO_ID. */
uint32_t tok__pair(const tok_tokenizer *tokenizer, uint32_t left, uint32_t right);

/* BPE of one piece (no whole-piece lookup): appends ids to out. `scratch` is reused. */
typedef struct tok_scratch {
    void *data;
    size_t capacity;
} tok_scratch;
mn_status tok__bpe_piece(const tok_tokenizer *tokenizer, const uint8_t *piece, size_t len,
                         tok_scratch *scratch, tok_ids *out);
void tok__scratch_free(tok_scratch *scratch);

mn_status tok__ids_reserve(tok_ids *ids, size_t extra);
static inline mn_status tok__ids_push(tok_ids *ids, uint32_t id) {
    if (ids->count == ids->capacity) {
        mn_status status = tok__ids_reserve(ids, 1);
        if (status != MN_OK)
            return status;
    }
    ids->ids[ids->count++] = id;
    return MN_OK;
}

/* The parsers behind tok_load, tok_import_tiktoken and tok_import_hf, on a buffer (also the
 * entry points of the fuzz targets); `what` names the source in messages. */
mn_status tok__load_memory(tok_tokenizer **tokenizer, const uint8_t *data, size_t len,
                           const char *what);
mn_status tok__import_tiktoken_memory(tok_tokenizer **tokenizer, const uint8_t *data, size_t len,
                                      const char *what, const char *name, const char *pretokenizer,
                                      const tok_special_def *specials, size_t n_specials);
mn_status tok__import_hf_memory(tok_tokenizer **tokenizer, const uint8_t *data, size_t len,
                                const char *what);

/* GPT-2's byte-to-unicode map used by HF byte-level BPE: byte b <-> code point. */
uint32_t tok__byte_to_unicode(uint8_t byte);
/* Inverse; returns -1 for code points outside the map. */
int tok__unicode_to_byte(uint32_t codepoint);

#endif
