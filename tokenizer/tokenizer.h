/* Byte-level BPE tokenizer: the public interface of tokenizer/.
 *
 * CONTRACT used by shards/ (mnemo-shard cat), the trainer (generation, evaluation) and
 * mnemo-tokenize. The model is tiktoken's: a token's id is its merge rank, the vocabulary
 * maps byte strings to ids, text is split by a pre-tokenizer (`gpt2`, `cl100k`, `o200k`)
 * before merging, and special tokens are matched only where allowed.
 *
 * Special-token roles: "eos" (<|endoftext|>), "pad", "landmark" (the retriever's chunk
 * token, design §4.3), "user" (any other).
 *
 * A loaded tokenizer is immutable: every function taking `const tok_tokenizer *` is safe
 * to call from several threads at once.
 */
#ifndef MNEMO_TOKENIZER_TOKENIZER_H
#define MNEMO_TOKENIZER_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/mem.h"

typedef struct tok_tokenizer tok_tokenizer;

/* A growable array of token ids; zero-initialise, tok_ids_free after. */
typedef struct tok_ids {
    uint32_t *ids;
    size_t count;
    size_t capacity;
} tok_ids;

void tok_ids_free(tok_ids *ids);

/* Loads a tokenizer file (*.mtk, proto/tokenizer.proto), checking its identity hash. */
mn_status tok_load(tok_tokenizer **tokenizer, const char *path);
void tok_free(tok_tokenizer *tokenizer);

/* Number of ids, special tokens included (every id is < this). */
uint32_t tok_vocab_size(const tok_tokenizer *tokenizer);
/* Identity hash of pre-tokenizer, vocabulary and special tokens; stored in token shards. */
uint64_t tok_identity_hash(const tok_tokenizer *tokenizer);
/* The id of the special token with `role` ("eos", "pad", "landmark"), or -1 when absent. */
int64_t tok_special_id(const tok_tokenizer *tokenizer, const char *role);
/* "gpt2", "cl100k" or "o200k". */
const char *tok_pretokenizer_name(const tok_tokenizer *tokenizer);

/* Appends the ids of `text` encoded as ordinary text: special-token text is encoded like
 * any other text (tiktoken's encode_ordinary). Any bytes are accepted, valid UTF-8 or not. */
mn_status tok_encode(const tok_tokenizer *tokenizer, const uint8_t *text, size_t len, tok_ids *out);
/* Appends the bytes of `ids` (exact inverse of encoding for any byte string). Ids out of
 * range are an error naming the id. */
mn_status tok_decode(const tok_tokenizer *tokenizer, const uint32_t *ids, size_t n, mn_buf *out);
/* The bytes of one id (valid as long as the tokenizer). */
mn_status tok_token_bytes(const tok_tokenizer *tokenizer, uint32_t id, const uint8_t **bytes,
                          size_t *len);

/* --- Additions by the tokenizer component (beyond the lead's contract) --- */

/* The pre-tokenizers: hand-made scanners equal to tiktoken's `pat_str` of each encoding
 * (docs/tokenizer.md). Invalid UTF-8 splits as if each maximal invalid subpart (Unicode
 * Table 3-7; what Python's and WHATWG's decoders replace) were U+FFFD. */
typedef enum tok_pretokenizer {
    TOK_PRETOK_GPT2 = 0, /* r50k_base, p50k_base, gpt2 */
    TOK_PRETOK_CL100K = 1,
    TOK_PRETOK_O200K = 2,
    TOK_PRETOK_COUNT
} tok_pretokenizer;

/* "gpt2" | "cl100k" | "o200k" (also accepts "r50k", "p50k", "cl100k_base", "o200k_base"). */
mn_status tok_pretokenizer_parse(const char *name, tok_pretokenizer *kind);
const char *tok_pretokenizer_kind_name(tok_pretokenizer kind);
/* tiktoken's regular expression for `kind` (for documentation and reference tests). */
const char *tok_pretokenizer_pattern(tok_pretokenizer kind);
/* The end of the piece that starts at `pos` (< len) of text[0, len): always > pos. */
size_t tok_pretokenize_next(tok_pretokenizer kind, const uint8_t *text, size_t len, size_t pos);

/* Special tokens: definition and the sets of tiktoken's encode(allowed, disallowed). */
typedef struct tok_special_def {
    const char *text; /* UTF-8, non-empty */
    uint32_t id;
    const char *role; /* "eos", "pad", "landmark" or "user" */
} tok_special_def;

typedef enum tok_special_set_kind {
    TOK_SPECIAL_SET_NONE = 0, /* no special token */
    TOK_SPECIAL_SET_ALL = 1,  /* every special token (for `disallowed`: all not allowed) */
    TOK_SPECIAL_SET_LIST = 2, /* the texts in `texts` */
} tok_special_set_kind;

typedef struct tok_special_set {
    tok_special_set_kind kind;
    const char *const *texts;
    size_t count;
} tok_special_set;

/* tiktoken's encode(text, allowed_special, disallowed_special): fails with MN_ERR_ARG naming
 * the token and its byte offset when the text contains a disallowed special token; allowed
 * ones become their id; any other special-token text is encoded as ordinary text. Where
 * several special tokens could start at one offset the longest wins; the earliest start
 * wins otherwise. tiktoken's defaults are allowed = NONE, disallowed = ALL. */
mn_status tok_encode_special(const tok_tokenizer *tokenizer, const uint8_t *text, size_t len,
                             tok_special_set allowed, tok_special_set disallowed, tok_ids *out);

size_t tok_special_count(const tok_tokenizer *tokenizer);
/* Special token i (< tok_special_count), in id order. */
tok_special_def tok_special_at(const tok_tokenizer *tokenizer, size_t i);
/* True when `id` is a special token's id. */
bool tok_is_special(const tok_tokenizer *tokenizer, uint32_t id);
/* The tokenizer's name ("cl100k_base", or what training or import gave it). */
const char *tok_name(const tok_tokenizer *tokenizer);
/* The id of a byte string that is one ordinary token, or -1. */
int64_t tok_token_id(const tok_tokenizer *tokenizer, const uint8_t *bytes, size_t len);

/* A reusable encoder for hot loops: keeps a cache of pieces already encoded and scratch
 * memory. One per thread; the tokenizer must outlive it. */
typedef struct tok_encoder tok_encoder;
mn_status tok_encoder_create(tok_encoder **encoder, const tok_tokenizer *tokenizer);
void tok_encoder_free(tok_encoder *encoder);
/* Same ids as tok_encode. */
mn_status tok_encoder_encode(tok_encoder *encoder, const uint8_t *text, size_t len, tok_ids *out);

/* Operation counters of the BPE merge loop, for tests that prove linear time by counting
 * (process-wide, relaxed atomics; reset with tok_merge_stats_reset). */
typedef struct tok_merge_stats {
    uint64_t heap_pushes;
    uint64_t heap_pops;
    uint64_t merges;
    uint64_t scan_steps; /* pair-rank reads of the short-piece loop */
} tok_merge_stats;
void tok_merge_stats_reset(void);
tok_merge_stats tok_merge_stats_get(void);

/* Building, saving, importing and exporting. */
typedef struct tok_definition {
    const char *name;
    const char *pretokenizer; /* "gpt2", "cl100k", "o200k" */
    uint32_t vocab_size;      /* ids are 0 .. vocab_size-1, special tokens included */
    /* token_bytes[i], token_lens[i]: the bytes of ordinary token i; length 0 for ids that
     * are special tokens or unassigned (cl100k_base has such holes). */
    const uint8_t *const *token_bytes;
    const size_t *token_lens;
    const tok_special_def *specials;
    size_t n_specials;
    /* Training settings recorded in the file (key/value pairs), may be empty. */
    const char *const *setting_keys;
    const char *const *setting_values;
    size_t n_settings;
} tok_definition;

/* Validates and builds a tokenizer: every byte 0..255 must be an ordinary token, byte
 * strings unique, special ids on ids without bytes, special texts unique. */
mn_status tok_create(tok_tokenizer **tokenizer, const tok_definition *definition);
/* Writes the *.mtk file atomically. */
mn_status tok_save(const tok_tokenizer *tokenizer, const char *path);
/* Training settings stored in the file: count, and key/value i. */
size_t tok_setting_count(const tok_tokenizer *tokenizer);
void tok_setting_at(const tok_tokenizer *tokenizer, size_t i, const char **key, const char **value);

/* Imports tiktoken ranks: a `.tiktoken` file ("BASE64 RANK" per line; `pretokenizer` and
 * the special tokens must then be given: pass `specials`) or an encoder JSON of the npm
 * `tiktoken` package (encoders/NAME.json: pat_str, special_tokens, bpe_ranks), whose
 * pat_str must be one of the three known patterns. `pretokenizer` may be NULL for JSON.
 * <|endoftext|> gets the role "eos". */
mn_status tok_import_tiktoken(tok_tokenizer **tokenizer, const char *path, const char *name,
                              const char *pretokenizer, const tok_special_def *specials,
                              size_t n_specials);
/* Imports a Hugging Face tokenizer.json with a byte-level BPE model. */
mn_status tok_import_hf(tok_tokenizer **tokenizer, const char *path);
/* Exports a Hugging Face tokenizer.json (byte-level BPE, GPT-2's byte-to-unicode map). */
mn_status tok_export_hf(const tok_tokenizer *tokenizer, const char *path);

/* --- BPE training (mnemo-bpe; docs/tokenizer.md) --- */

/* Counts of unique pre-tokens (byte strings). */
typedef struct tok_word_counts tok_word_counts;
mn_status tok_word_counts_create(tok_word_counts **counts);
void tok_word_counts_free(tok_word_counts *counts);
/* Splits `text` with the pre-tokenizer and counts each piece once. */
mn_status tok_word_counts_add_text(tok_word_counts *counts, tok_pretokenizer kind,
                                   const uint8_t *text, size_t len);
mn_status tok_word_counts_add(tok_word_counts *counts, const uint8_t *word, size_t len,
                              uint64_t count);
size_t tok_word_counts_size(const tok_word_counts *counts);    /* unique words */
uint64_t tok_word_counts_total(const tok_word_counts *counts); /* sum of counts */
size_t tok_word_counts_memory(const tok_word_counts *counts);  /* bytes held */
/* Drops the words counted fewer than `min_count` times; *dropped tells how many. */
mn_status tok_word_counts_prune(tok_word_counts *counts, uint64_t min_count, size_t *dropped);
/* Word i (< size), in insertion order (after a prune: the survivors' order). */
void tok_word_counts_at(const tok_word_counts *counts, size_t i, const uint8_t **word, size_t *len,
                        uint64_t *count);
/* Serialisation for MPI exchange: appends "len varint, bytes, count varint" per word, for
 * the words whose xxh64 % parts == part (parts = 1: all). */
mn_status tok_word_counts_pack(const tok_word_counts *counts, uint32_t part, uint32_t parts,
                               mn_buf *out);
/* Adds packed words; `what` names the source in errors. */
mn_status tok_word_counts_unpack(tok_word_counts *counts, const uint8_t *data, size_t len,
                                 const char *what);

typedef struct tok_train_options {
    uint32_t vocab_size;    /* total ids: 256 bytes + merges + special tokens */
    uint64_t min_frequency; /* a pair must occur at least this often to be merged (>= 1) */
    const char *pretokenizer;
    const char *name;
    const tok_special_def *specials; /* texts and roles; ids are assigned after the merges */
    size_t n_specials;
    const char *const *setting_keys; /* recorded in the file */
    const char *const *setting_values;
    size_t n_settings;
    /* Called every `progress_every` merges (may be NULL). */
    void (*progress)(void *context, uint32_t merges_done, uint32_t merges_wanted);
    void *progress_context;
    uint32_t progress_every;
} tok_train_options;

typedef struct tok_train_stats {
    uint32_t merges;           /* merges learned */
    uint32_t reused;           /* merges whose bytes were already a token (no new id) */
    uint64_t words;            /* unique words trained on */
    uint64_t pair_updates;     /* pair-count updates: the incremental algorithm's work */
    bool stopped_by_frequency; /* the best pair fell below min_frequency before vocab_size */
} tok_train_stats;

/* Learns byte-level BPE merges from word counts. Ids: bytes are ids 0..255 (id = byte
 * value), each merge gets the next id, special tokens follow the last merge. Each step
 * merges the most frequent adjacent pair; ties go to the smallest (left id, right id).
 * When the merged bytes are already a token (two different pairs can spell the same
 * bytes), the existing id is reused and no id is added. Deterministic. */
mn_status tok_train_bpe(tok_tokenizer **tokenizer, const tok_word_counts *counts,
                        const tok_train_options *options, tok_train_stats *stats);

#endif
