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

#endif
