#include "shards/mtok.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
/* For ZSTD_d_forceIgnoreChecksum (stable since zstd 1.4.7; Debian 12 ships 1.5.4). */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "mnemo_version.h"
#include "proto/proto.h"
#include "proto/shard.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mtok.c reads and writes little-endian ids in place; add byte swapping for this target"
#endif

static const uint8_t head_magic[8] = {'M', 'N', 'E', 'M', 'O', 'T', 'O', 'K'};
static const uint8_t tail_magic[8] = {'M', 'N', 'T', 'O', 'K', 'E', 'N', 'D'};

/* The fix every message about a damaged shard ends with. */
#define DAMAGED_FIX                                                                              \
    "the file is damaged: re-create it with mnemo-tokenize (or restore it from a copy) and run " \
    "`mnemo-shard verify` on the dataset"

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---------------------------------------------------------------- writer */

typedef struct block_entry {
    uint64_t offset, compressed_size, tokens, first_document, xxh64;
} block_entry;

struct shard_writer {
    mn_atomic_file file;
    shard_writer_options options;
    char *source;
    unsigned width; /* bytes per id on disk */
    ZSTD_CCtx *cctx;
    uint8_t *block;      /* block_tokens ids in the disk dtype */
    uint64_t block_fill; /* ids in `block` */
    uint64_t block_first_document;
    uint8_t *compressed;
    size_t compressed_capacity;
    block_entry *blocks;
    size_t n_blocks, blocks_capacity;
    uint64_t *document_lengths;
    size_t n_documents, documents_capacity;
    uint64_t tokens;
    uint64_t offset; /* bytes written so far */
    mn_xxh64_stream hash;
    bool failed;
};

static mn_status writer_write(shard_writer *w, const void *data, size_t len) {
    mn_status status = mn_atomic_write(&w->file, data, len);
    if (status != MN_OK) {
        w->failed = true;
        return status;
    }
    mn_xxh64_update(&w->hash, data, len);
    w->offset += len;
    return MN_OK;
}

mn_status shard_writer_open(shard_writer **writer, const char *path,
                            const shard_writer_options *options) {
    *writer = NULL;
    MN_RETURN_ERROR_IF(options->vocab_size == 0, MN_ERR_ARG, "%s: vocab_size must be > 0", path);
    MN_RETURN_ERROR_IF(options->eos_id >= options->vocab_size, MN_ERR_ARG,
                       "%s: eos_id %u is not below vocab_size %u", path, options->eos_id,
                       options->vocab_size);
    MN_RETURN_ERROR_IF(options->zstd_level < 0 || options->zstd_level > ZSTD_maxCLevel(),
                       MN_ERR_ARG, "%s: zstd level %d is out of range (1..%d, 0 for default)", path,
                       options->zstd_level, ZSTD_maxCLevel());
    MN_RETURN_ERROR_IF(options->block_tokens > SHARD_MAX_BLOCK_TOKENS, MN_ERR_ARG,
                       "%s: %llu tokens per block is more than the %llu allowed", path,
                       (unsigned long long)options->block_tokens,
                       (unsigned long long)SHARD_MAX_BLOCK_TOKENS);
    shard_writer *w = mn_calloc(1, sizeof *w);
    if (w == NULL)
        return MN_ERR_NOMEM;
    w->options = *options;
    if (w->options.zstd_level == 0)
        w->options.zstd_level = SHARD_DEFAULT_ZSTD_LEVEL;
    if (w->options.block_tokens == 0)
        w->options.block_tokens = SHARD_DEFAULT_BLOCK_TOKENS;
    w->width = options->vocab_size <= 65536 ? 2 : 4;
    w->source = mn_strdup(options->source ? options->source : "");
    size_t block_bytes = (size_t)w->options.block_tokens * w->width;
    w->block = mn_malloc(block_bytes);
    w->compressed_capacity = ZSTD_compressBound(block_bytes);
    w->compressed = mn_malloc(w->compressed_capacity);
    w->cctx = ZSTD_createCCtx();
    mn_status status = MN_OK;
    if (w->source == NULL || w->block == NULL || w->compressed == NULL || w->cctx == NULL ||
        mn_xxh64_begin(&w->hash, 0) != 0) {
        status = mn_error(MN_ERR_NOMEM, "cannot allocate a token shard writer for %s", path);
    } else {
        size_t rc = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->options.zstd_level);
        if (!ZSTD_isError(rc))
            rc = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
        if (!ZSTD_isError(rc))
            rc = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
        if (ZSTD_isError(rc))
            status = mn_error(MN_ERR_EXTERNAL, "zstd: %s", ZSTD_getErrorName(rc));
    }
    if (status == MN_OK)
        status = mn_atomic_open(&w->file, path);
    if (status == MN_OK) {
        uint8_t header[SHARD_HEADER_BYTES];
        memcpy(header, head_magic, 8);
        put_u32(header + 8, SHARD_FORMAT_VERSION);
        put_u32(header + 12, 0);
        status = writer_write(w, header, sizeof header);
    }
    if (status != MN_OK) {
        shard_writer_abort(w);
        return status;
    }
    *writer = w;
    return MN_OK;
}

static mn_status flush_block(shard_writer *w) {
    if (w->block_fill == 0)
        return MN_OK;
    size_t bytes = (size_t)w->block_fill * w->width;
    size_t n = ZSTD_compress2(w->cctx, w->compressed, w->compressed_capacity, w->block, bytes);
    if (ZSTD_isError(n)) {
        w->failed = true;
        return mn_error(MN_ERR_EXTERNAL, "%s: zstd compression failed: %s", w->file.path,
                        ZSTD_getErrorName(n));
    }
    if (w->n_blocks == w->blocks_capacity) {
        size_t grown = w->blocks_capacity ? w->blocks_capacity * 2 : 64;
        void *p = w->blocks;
        mn_status status = mn_realloc_array(&p, grown, sizeof *w->blocks);
        if (status != MN_OK) {
            w->failed = true;
            return status;
        }
        w->blocks = p;
        w->blocks_capacity = grown;
    }
    block_entry *b = &w->blocks[w->n_blocks];
    *b = (block_entry){.offset = w->offset,
                       .compressed_size = n,
                       .tokens = w->block_fill,
                       .first_document = w->block_first_document,
                       .xxh64 = mn_xxh64(w->block, bytes, 0)};
    MN_FORWARD_IF_ERROR(writer_write(w, w->compressed, n));
    w->n_blocks++;
    w->block_fill = 0;
    return MN_OK;
}

static mn_status put_token(shard_writer *w, uint32_t id) {
    if (w->block_fill == 0)
        w->block_first_document = w->n_documents;
    if (w->width == 2) {
        uint16_t v = (uint16_t)id;
        memcpy(w->block + w->block_fill * 2, &v, 2);
    } else {
        memcpy(w->block + w->block_fill * 4, &id, 4);
    }
    w->block_fill++;
    w->tokens++;
    if (w->block_fill == w->options.block_tokens)
        return flush_block(w);
    return MN_OK;
}

mn_status shard_writer_append_document(shard_writer *w, const uint32_t *tokens, size_t n) {
    MN_RETURN_ERROR_IF(w->failed, MN_ERR_STATE,
                       "%s: the writer failed earlier and can only be aborted", w->file.tmp_path);
    /* Checked before anything is written, so a refused document leaves no trace. */
    for (size_t i = 0; i < n; i++) {
        MN_RETURN_ERROR_IF(tokens[i] >= w->options.vocab_size, MN_ERR_ARG,
                           "%s: document %zu, position %zu: id %u is not below the vocabulary "
                           "size %u (was it encoded with another tokenizer?)",
                           w->file.path, w->n_documents, i, tokens[i], w->options.vocab_size);
        MN_RETURN_ERROR_IF(tokens[i] == w->options.eos_id, MN_ERR_ARG,
                           "%s: document %zu, position %zu: EOS (id %u) inside a document; "
                           "documents are separated by EOS, which the writer appends",
                           w->file.path, w->n_documents, i, tokens[i]);
    }
    if (w->n_documents == w->documents_capacity) {
        size_t grown = w->documents_capacity ? w->documents_capacity * 2 : 1024;
        void *p = w->document_lengths;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, grown, sizeof *w->document_lengths));
        w->document_lengths = p;
        w->documents_capacity = grown;
    }
    for (size_t i = 0; i < n; i++)
        MN_FORWARD_IF_ERROR(put_token(w, tokens[i]));
    MN_FORWARD_IF_ERROR(put_token(w, w->options.eos_id));
    w->document_lengths[w->n_documents++] = (uint64_t)n + 1;
    return MN_OK;
}

static mn_status write_footer(shard_writer *w) {
    Mnemo__ShardBlock *blocks = mn_calloc(w->n_blocks ? w->n_blocks : 1, sizeof *blocks);
    Mnemo__ShardBlock **block_ptrs = mn_calloc(w->n_blocks ? w->n_blocks : 1, sizeof(void *));
    char *created_by =
        mn_asprintf("%s %s (git %s)", mn_log_program(), MNEMO_VERSION, MNEMO_GIT_HASH);
    mn_status status = MN_OK;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    if (blocks == NULL || block_ptrs == NULL || created_by == NULL)
        status = MN_ERR_NOMEM;
    if (status == MN_OK) {
        for (size_t i = 0; i < w->n_blocks; i++) {
            mnemo__shard_block__init(&blocks[i]);
            blocks[i].offset = w->blocks[i].offset;
            blocks[i].compressed_size = w->blocks[i].compressed_size;
            blocks[i].token_count = w->blocks[i].tokens;
            blocks[i].first_document = w->blocks[i].first_document;
            blocks[i].xxh64 = w->blocks[i].xxh64;
            block_ptrs[i] = &blocks[i];
        }
        Mnemo__ShardFooter footer = MNEMO__SHARD_FOOTER__INIT;
        footer.format_version = SHARD_FORMAT_VERSION;
        footer.tokenizer_hash = w->options.tokenizer_hash;
        footer.dtype = w->width == 2 ? MNEMO__TOKEN_DTYPE__TOKEN_DTYPE_UINT16
                                     : MNEMO__TOKEN_DTYPE__TOKEN_DTYPE_UINT32;
        footer.vocab_size = w->options.vocab_size;
        footer.eos_id = w->options.eos_id;
        footer.n_blocks = w->n_blocks;
        footer.blocks = block_ptrs;
        footer.n_document_lengths = w->n_documents;
        footer.document_lengths = w->document_lengths;
        footer.total_tokens = w->tokens;
        footer.total_documents = w->n_documents;
        footer.created_by = created_by;
        footer.source = w->source;
        footer.zstd_level = w->options.zstd_level;
        footer.block_tokens = w->options.block_tokens;
        status = mn_proto_pack(&footer.base, &packed, &packed_len);
    }
    if (status == MN_OK && packed_len > SHARD_MAX_FOOTER_BYTES)
        status = mn_error(MN_ERR_LIMIT,
                          "%s: the footer would be %zu bytes, more than readers accept (%zu): "
                          "write fewer documents per shard",
                          w->file.path, packed_len, SHARD_MAX_FOOTER_BYTES);
    if (status == MN_OK)
        status = writer_write(w, packed, packed_len);
    if (status == MN_OK) {
        uint8_t trailer[SHARD_TRAILER_BYTES];
        put_u64(trailer, packed_len);
        put_u64(trailer + 8, mn_xxh64(packed, packed_len, 0));
        memcpy(trailer + 16, tail_magic, 8);
        status = writer_write(w, trailer, sizeof trailer);
    }
    free(packed);
    free(blocks);
    free(block_ptrs);
    free(created_by);
    return status;
}

static void writer_free(shard_writer *w) {
    if (w->hash.state != NULL)
        mn_xxh64_end(&w->hash);
    ZSTD_freeCCtx(w->cctx);
    free(w->block);
    free(w->compressed);
    free(w->blocks);
    free(w->document_lengths);
    free(w->source);
    free(w);
}

mn_status shard_writer_close(shard_writer *w, shard_info *info) {
    if (info != NULL)
        *info = (shard_info){0};
    mn_status status =
        w->failed ? mn_error(MN_ERR_STATE, "%s: the writer failed earlier", w->file.tmp_path)
                  : flush_block(w);
    if (status == MN_OK)
        status = write_footer(w);
    uint64_t digest = mn_xxh64_end(&w->hash);
    if (status == MN_OK)
        status = mn_atomic_commit(&w->file);
    else
        mn_atomic_abort(&w->file);
    if (status == MN_OK && info != NULL)
        *info = (shard_info){.tokens = w->tokens,
                             .documents = w->n_documents,
                             .blocks = w->n_blocks,
                             .file_bytes = w->offset,
                             .xxh64 = digest};
    writer_free(w);
    return status;
}

void shard_writer_abort(shard_writer *w) {
    if (w == NULL)
        return;
    mn_atomic_abort(&w->file);
    writer_free(w);
}

/* ---------------------------------------------------------------- reader */

struct shard_reader {
    char *path;
    mn_mapped_file map; /* empty for a memory image */
    const uint8_t *data;
    size_t size;
    unsigned width;
    uint32_t vocab_size, eos_id;
    uint64_t tokenizer_hash, tokens, documents, n_blocks, block_tokens;
    uint64_t largest_block; /* tokens of the largest block */
    int zstd_level;
    size_t footer_bytes;
    shard_block_info *blocks;
    size_t footer_start;
    /* The first token of each document (documents + 1 entries), built on first use from the
     * footer: a loader over packed samples never needs it, and it is the only part of a
     * reader that grows with the number of documents (8 bytes each). */
    uint64_t *document_start;
    int index_ready; /* read with acquire, set with release after document_start is built */
    pthread_mutex_t index_lock;
    char *created_by, *source;
};

struct shard_decoder {
    ZSTD_DCtx *dctx;
    uint8_t *scratch; /* the disk bytes of a uint16 block */
    size_t scratch_capacity;
};

mn_status shard_decoder_create(shard_decoder **decoder) {
    *decoder = mn_calloc(1, sizeof **decoder);
    if (*decoder == NULL)
        return MN_ERR_NOMEM;
    (*decoder)->dctx = ZSTD_createDCtx();
    if ((*decoder)->dctx == NULL) {
        free(*decoder);
        *decoder = NULL;
        return mn_error(MN_ERR_NOMEM, "cannot create a zstd decompression context");
    }
    /* A frame's content checksum is the low 32 bits of XXH64(content, 0); the footer holds
     * all 64 bits of the same hash and decode_block checks them, so zstd need not compute it
     * a second time (docs/decisions.md). */
    size_t rc =
        ZSTD_DCtx_setParameter((*decoder)->dctx, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
    if (ZSTD_isError(rc)) {
        shard_decoder_free(*decoder);
        *decoder = NULL;
        return mn_error(MN_ERR_EXTERNAL, "zstd: %s", ZSTD_getErrorName(rc));
    }
    return MN_OK;
}

void shard_decoder_free(shard_decoder *decoder) {
    if (decoder == NULL)
        return;
    ZSTD_freeDCtx(decoder->dctx);
    free(decoder->scratch);
    free(decoder);
}

/* Every check of the footer against the file and against itself, before anything is used. */
static mn_status load_footer(shard_reader *r, const Mnemo__ShardFooter *f, size_t footer_start) {
    MN_RETURN_ERROR_IF(f->format_version != SHARD_FORMAT_VERSION, MN_ERR_CORRUPT,
                       "footer format version %u differs from the header's %u; " DAMAGED_FIX,
                       f->format_version, SHARD_FORMAT_VERSION);
    if (f->dtype == MNEMO__TOKEN_DTYPE__TOKEN_DTYPE_UINT16)
        r->width = 2;
    else if (f->dtype == MNEMO__TOKEN_DTYPE__TOKEN_DTYPE_UINT32)
        r->width = 4;
    else
        return mn_error(MN_ERR_CORRUPT, "unknown token dtype %d in the footer; " DAMAGED_FIX,
                        (int)f->dtype);
    MN_RETURN_ERROR_IF(f->vocab_size == 0 || (r->width == 2 && f->vocab_size > 65536),
                       MN_ERR_CORRUPT,
                       "vocabulary size %u does not fit the footer's %u-byte ids; " DAMAGED_FIX,
                       f->vocab_size, r->width);
    MN_RETURN_ERROR_IF(f->eos_id >= f->vocab_size, MN_ERR_CORRUPT,
                       "EOS id %u is not below the vocabulary size %u; " DAMAGED_FIX, f->eos_id,
                       f->vocab_size);
    MN_RETURN_ERROR_IF(f->n_document_lengths != f->total_documents, MN_ERR_CORRUPT,
                       "footer lists %zu document lengths for %llu documents; " DAMAGED_FIX,
                       f->n_document_lengths, (unsigned long long)f->total_documents);
    r->vocab_size = f->vocab_size;
    r->eos_id = f->eos_id;
    r->tokenizer_hash = f->tokenizer_hash;
    r->tokens = f->total_tokens;
    r->documents = f->total_documents;
    r->n_blocks = f->n_blocks;
    r->block_tokens = f->block_tokens;
    r->zstd_level = f->zstd_level;
    r->created_by = mn_strdup(f->created_by ? f->created_by : "");
    r->source = mn_strdup(f->source ? f->source : "");
    r->blocks = mn_alloc_array(f->n_blocks ? f->n_blocks : 1, sizeof *r->blocks);
    if (!r->created_by || !r->source || !r->blocks)
        return MN_ERR_NOMEM;

    uint64_t sum = 0;
    for (size_t d = 0; d < f->n_document_lengths; d++) {
        uint64_t length = f->document_lengths[d];
        MN_RETURN_ERROR_IF(length == 0, MN_ERR_CORRUPT,
                           "document %zu has length 0 (every document holds at least its "
                           "EOS); " DAMAGED_FIX,
                           d);
        MN_RETURN_ERROR_IF(__builtin_add_overflow(sum, length, &sum) || sum > f->total_tokens,
                           MN_ERR_CORRUPT,
                           "document lengths add up to more than the %llu tokens of the "
                           "shard; " DAMAGED_FIX,
                           (unsigned long long)f->total_tokens);
    }
    MN_RETURN_ERROR_IF(sum != f->total_tokens, MN_ERR_CORRUPT,
                       "document lengths add up to %llu tokens, the footer says %llu; " DAMAGED_FIX,
                       (unsigned long long)sum, (unsigned long long)f->total_tokens);

    /* `document` holds the block's first token: it starts at `document_begin` and the next
     * one at `document_end`, walked along with the blocks. */
    uint64_t offset = SHARD_HEADER_BYTES, first_token = 0, document = 0, document_end = 0;
    if (f->n_document_lengths > 0)
        document_end = f->document_lengths[0];
    for (size_t i = 0; i < f->n_blocks; i++) {
        const Mnemo__ShardBlock *b = f->blocks[i];
        MN_RETURN_ERROR_IF(b->offset != offset, MN_ERR_CORRUPT,
                           "block %zu: footer offset %llu, but the block must start at %llu "
                           "(right after block %zu); " DAMAGED_FIX,
                           i, (unsigned long long)b->offset, (unsigned long long)offset,
                           i ? i - 1 : 0);
        MN_RETURN_ERROR_IF(
            b->compressed_size == 0 || b->compressed_size > footer_start - offset, MN_ERR_CORRUPT,
            "block %zu: compressed size %llu does not fit between offset %llu "
            "and the footer at %zu; " DAMAGED_FIX,
            i, (unsigned long long)b->compressed_size, (unsigned long long)offset, footer_start);
        MN_RETURN_ERROR_IF(
            b->token_count == 0 || b->token_count > SHARD_MAX_BLOCK_TOKENS, MN_ERR_CORRUPT,
            "block %zu: token count %llu is outside 1..%llu; " DAMAGED_FIX, i,
            (unsigned long long)b->token_count, (unsigned long long)SHARD_MAX_BLOCK_TOKENS);
        MN_RETURN_ERROR_IF(b->token_count > r->tokens - first_token, MN_ERR_CORRUPT,
                           "block %zu: token counts add up to more than the %llu tokens of the "
                           "shard; " DAMAGED_FIX,
                           i, (unsigned long long)r->tokens);
        /* The document holding this block's first token. */
        while (document + 1 < r->documents && document_end <= first_token)
            document_end += f->document_lengths[++document];
        MN_RETURN_ERROR_IF(b->first_document != document, MN_ERR_CORRUPT,
                           "block %zu: footer says its first token belongs to document %llu, "
                           "the document lengths say %llu; " DAMAGED_FIX,
                           i, (unsigned long long)b->first_document, (unsigned long long)document);
        r->blocks[i] = (shard_block_info){.offset = b->offset,
                                          .compressed_size = b->compressed_size,
                                          .tokens = b->token_count,
                                          .first_token = first_token,
                                          .first_document = b->first_document,
                                          .xxh64 = b->xxh64};
        offset += b->compressed_size;
        first_token += b->token_count;
        if (b->token_count > r->largest_block)
            r->largest_block = b->token_count;
    }
    MN_RETURN_ERROR_IF(offset != footer_start, MN_ERR_CORRUPT,
                       "blocks end at byte %llu but the footer starts at %zu; " DAMAGED_FIX,
                       (unsigned long long)offset, footer_start);
    MN_RETURN_ERROR_IF(first_token != r->tokens, MN_ERR_CORRUPT,
                       "blocks hold %llu tokens, the footer says %llu; " DAMAGED_FIX,
                       (unsigned long long)first_token, (unsigned long long)r->tokens);
    return MN_OK;
}

static mn_status reader_validate(shard_reader *r) {
    const uint8_t *d = r->data;
    size_t size = r->size;
    MN_RETURN_ERROR_IF(size < SHARD_HEADER_BYTES + SHARD_TRAILER_BYTES, MN_ERR_CORRUPT,
                       "%zu bytes, shorter than the smallest shard (%u): truncated or not a "
                       "token shard; " DAMAGED_FIX,
                       size, SHARD_HEADER_BYTES + SHARD_TRAILER_BYTES);
    MN_RETURN_ERROR_IF(memcmp(d, head_magic, 8) != 0, MN_ERR_FORMAT,
                       "wrong head magic (not a mnemo token shard *.mtok)");
    uint32_t version = get_u32(d + 8);
    MN_RETURN_ERROR_IF(version > SHARD_FORMAT_VERSION, MN_ERR_UNSUPPORTED,
                       "format version %u is newer than this mnemo reads (%u): upgrade mnemo",
                       version, SHARD_FORMAT_VERSION);
    MN_RETURN_ERROR_IF(version != SHARD_FORMAT_VERSION || get_u32(d + 12) != 0, MN_ERR_CORRUPT,
                       "bad header (version %u, reserved %u); " DAMAGED_FIX, version,
                       get_u32(d + 12));
    const uint8_t *trailer = d + size - SHARD_TRAILER_BYTES;
    MN_RETURN_ERROR_IF(memcmp(trailer + 16, tail_magic, 8) != 0, MN_ERR_CORRUPT,
                       "wrong tail magic: the file is truncated or was not closed by its writer; "
                       "re-create it with mnemo-tokenize (a relaunch resumes)");
    uint64_t footer_len = get_u64(trailer);
    uint64_t room = size - SHARD_HEADER_BYTES - SHARD_TRAILER_BYTES;
    MN_RETURN_ERROR_IF(footer_len > SHARD_MAX_FOOTER_BYTES, MN_ERR_LIMIT,
                       "footer length %llu is over the %zu-byte cap; " DAMAGED_FIX,
                       (unsigned long long)footer_len, SHARD_MAX_FOOTER_BYTES);
    MN_RETURN_ERROR_IF(footer_len > room, MN_ERR_CORRUPT,
                       "footer length %llu does not fit in the %zu-byte file; " DAMAGED_FIX,
                       (unsigned long long)footer_len, size);
    size_t footer_start = size - SHARD_TRAILER_BYTES - (size_t)footer_len;
    const uint8_t *footer = d + footer_start;
    uint64_t stored = get_u64(trailer + 8), computed = mn_xxh64(footer, (size_t)footer_len, 0);
    MN_RETURN_ERROR_IF(stored != computed, MN_ERR_CORRUPT,
                       "footer checksum mismatch (stored xxh64 0x%016llx, computed 0x%016llx); "
                       "" DAMAGED_FIX,
                       (unsigned long long)stored, (unsigned long long)computed);
    ProtobufCMessage *message = NULL;
    MN_FORWARD_IF_ERROR(mn_proto_unpack(&mnemo__shard_footer__descriptor, footer,
                                        (size_t)footer_len, SHARD_MAX_FOOTER_BYTES, "footer",
                                        &message));
    r->footer_bytes = (size_t)footer_len;
    r->footer_start = footer_start;
    mn_status status = load_footer(r, (const Mnemo__ShardFooter *)message, footer_start);
    protobuf_c_message_free_unpacked(message, NULL);
    return status;
}

static mn_status reader_finish_open(shard_reader **reader, shard_reader *r) {
    mn_status status = reader_validate(r);
    if (status != MN_OK) {
        status = mn_error_context(status, "shard %s", r->path);
        shard_reader_close(r);
        return status;
    }
    *reader = r;
    return MN_OK;
}

mn_status shard_reader_open(shard_reader **reader, const char *path) {
    *reader = NULL;
    shard_reader *r = mn_calloc(1, sizeof *r);
    if (r == NULL)
        return MN_ERR_NOMEM;
    pthread_mutex_init(&r->index_lock, NULL);
    r->path = mn_strdup(path);
    if (r->path == NULL) {
        pthread_mutex_destroy(&r->index_lock);
        free(r);
        return MN_ERR_NOMEM;
    }
    mn_status status = mn_map_file(&r->map, path);
    if (status != MN_OK) {
        shard_reader_close(r);
        return status;
    }
    r->data = r->map.data;
    r->size = r->map.size;
    return reader_finish_open(reader, r);
}

mn_status shard_reader_open_memory(shard_reader **reader, const void *data, size_t size,
                                   const char *name) {
    *reader = NULL;
    shard_reader *r = mn_calloc(1, sizeof *r);
    if (r == NULL)
        return MN_ERR_NOMEM;
    pthread_mutex_init(&r->index_lock, NULL);
    r->path = mn_strdup(name);
    if (r->path == NULL) {
        pthread_mutex_destroy(&r->index_lock);
        free(r);
        return MN_ERR_NOMEM;
    }
    r->data = data;
    r->size = size;
    return reader_finish_open(reader, r);
}

void shard_reader_close(shard_reader *r) {
    if (r == NULL)
        return;
    mn_unmap_file(&r->map);
    free(r->blocks);
    free(r->document_start);
    pthread_mutex_destroy(&r->index_lock);
    free(r->created_by);
    free(r->source);
    free(r->path);
    free(r);
}

uint64_t shard_reader_tokens(const shard_reader *r) {
    return r->tokens;
}

uint64_t shard_reader_documents(const shard_reader *r) {
    return r->documents;
}

uint64_t shard_reader_blocks(const shard_reader *r) {
    return r->n_blocks;
}

uint64_t shard_reader_tokenizer_hash(const shard_reader *r) {
    return r->tokenizer_hash;
}

uint32_t shard_reader_vocab_size(const shard_reader *r) {
    return r->vocab_size;
}

uint32_t shard_reader_eos_id(const shard_reader *r) {
    return r->eos_id;
}

uint64_t shard_reader_block_tokens(const shard_reader *r, uint64_t block) {
    return block < r->n_blocks ? r->blocks[block].tokens : 0;
}

uint64_t shard_reader_block_first_token(const shard_reader *r, uint64_t block) {
    return block < r->n_blocks ? r->blocks[block].first_token : r->tokens;
}

shard_block_info shard_reader_block_info(const shard_reader *r, uint64_t block) {
    return block < r->n_blocks ? r->blocks[block] : (shard_block_info){0};
}

void shard_reader_describe(const shard_reader *r, shard_description *out) {
    uint64_t compressed = 0;
    for (uint64_t i = 0; i < r->n_blocks; i++)
        compressed += r->blocks[i].compressed_size;
    *out = (shard_description){.path = r->path,
                               .format_version = SHARD_FORMAT_VERSION,
                               .dtype_bytes = r->width,
                               .vocab_size = r->vocab_size,
                               .eos_id = r->eos_id,
                               .tokenizer_hash = r->tokenizer_hash,
                               .tokens = r->tokens,
                               .documents = r->documents,
                               .blocks = r->n_blocks,
                               .block_tokens = r->block_tokens,
                               .zstd_level = r->zstd_level,
                               .file_bytes = r->size,
                               .footer_bytes = r->footer_bytes,
                               .compressed_bytes = compressed,
                               .created_by = r->created_by,
                               .source = r->source};
}

uint64_t shard_reader_block_of_token(const shard_reader *r, uint64_t token) {
    uint64_t lo = 0, hi = r->n_blocks; /* the answer is in [lo, hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (r->blocks[mid].first_token <= token)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Widens little-endian uint16 ids to uint32 and returns the largest: the one pass over a
 * decoded block besides its checksum, so it is vectorised by hand (SSE2 is part of x86-64;
 * SSE2 has no unsigned 16-bit max, hence the sign flip). */
static uint32_t widen_u16(const uint8_t *src, uint32_t *out, size_t n) {
    size_t i = 0;
    uint32_t largest = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), flip = _mm_set1_epi16((short)0x8000);
    __m128i vmax = _mm_set1_epi16((short)0x8000); /* 0 after the flip */
    for (; i + 8 <= n; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + 2 * i));
        _mm_storeu_si128((__m128i *)(out + i), _mm_unpacklo_epi16(v, zero));
        _mm_storeu_si128((__m128i *)(out + i + 4), _mm_unpackhi_epi16(v, zero));
        vmax = _mm_max_epi16(vmax, _mm_xor_si128(v, flip));
    }
    uint16_t lanes[8];
    _mm_storeu_si128((__m128i *)lanes, _mm_xor_si128(vmax, flip));
    for (int k = 0; k < 8; k++)
        largest = lanes[k] > largest ? lanes[k] : largest;
#endif
    for (; i < n; i++) {
        uint32_t id = (uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8;
        out[i] = id;
        largest = id > largest ? id : largest;
    }
    return largest;
}

static mn_status block_fail(const shard_reader *r, uint64_t block, const char *what) {
    const shard_block_info *b = &r->blocks[block];
    return mn_error(MN_ERR_CORRUPT,
                    "shard %s block %llu (offset %llu, %llu bytes, %llu tokens): %s; " DAMAGED_FIX,
                    r->path, (unsigned long long)block, (unsigned long long)b->offset,
                    (unsigned long long)b->compressed_size, (unsigned long long)b->tokens, what);
}

mn_status shard_reader_decode_block(const shard_reader *r, shard_decoder *decoder, uint64_t block,
                                    uint32_t *out) {
    MN_RETURN_ERROR_IF(block >= r->n_blocks, MN_ERR_ARG, "shard %s has %llu blocks, no block %llu",
                       r->path, (unsigned long long)r->n_blocks, (unsigned long long)block);
    const shard_block_info *b = &r->blocks[block];
    const uint8_t *frame = r->data + b->offset;
    size_t csize = (size_t)b->compressed_size;
    size_t expected = (size_t)b->tokens * r->width;
    char what[256];
    unsigned long long declared = ZSTD_getFrameContentSize(frame, csize);
    if (declared == ZSTD_CONTENTSIZE_ERROR)
        return block_fail(r, block, "not a zstd frame");
    if (declared != expected) {
        snprintf(what, sizeof what,
                 "the frame declares %s%llu bytes but the footer's %llu tokens need %zu",
                 declared == ZSTD_CONTENTSIZE_UNKNOWN ? "an unknown size, not " : "",
                 declared == ZSTD_CONTENTSIZE_UNKNOWN ? 0ull : declared,
                 (unsigned long long)b->tokens, expected);
        return block_fail(r, block, what);
    }
    size_t frame_size = ZSTD_findFrameCompressedSize(frame, csize);
    if (ZSTD_isError(frame_size) || frame_size != csize) {
        snprintf(what, sizeof what, "the zstd frame is %s, not the footer's %zu bytes",
                 ZSTD_isError(frame_size) ? "cut short" : "of another size", csize);
        return block_fail(r, block, what);
    }
    uint8_t *bytes = (uint8_t *)out;
    if (r->width == 2) {
        if (decoder->scratch_capacity < expected) {
            uint8_t *grown = mn_malloc(expected);
            if (grown == NULL)
                return MN_ERR_NOMEM;
            free(decoder->scratch);
            decoder->scratch = grown;
            decoder->scratch_capacity = expected;
        }
        bytes = decoder->scratch;
    }
    size_t n = ZSTD_decompressDCtx(decoder->dctx, bytes, expected, frame, csize);
    if (ZSTD_isError(n)) {
        snprintf(what, sizeof what, "zstd: %s", ZSTD_getErrorName(n));
        return block_fail(r, block, what);
    }
    if (n != expected)
        return block_fail(r, block, "the frame decodes to fewer bytes than it declares");
    uint64_t digest = mn_xxh64(bytes, expected, 0);
    if (digest != b->xxh64) {
        snprintf(what, sizeof what, "xxh64 mismatch (footer 0x%016llx, data 0x%016llx)",
                 (unsigned long long)b->xxh64, (unsigned long long)digest);
        return block_fail(r, block, what);
    }
    size_t count = (size_t)b->tokens;
    uint32_t max_id = 0;
    if (r->width == 2) {
        max_id = widen_u16(bytes, out, count);
    } else {
        for (size_t i = 0; i < count; i++)
            max_id = out[i] > max_id ? out[i] : max_id;
    }
    if (max_id >= r->vocab_size) {
        size_t at = 0;
        while (at < count && out[at] < r->vocab_size)
            at++;
        snprintf(what, sizeof what,
                 "token %zu of the block is id %u, not below the vocabulary "
                 "size %u",
                 at, out[at], r->vocab_size);
        return block_fail(r, block, what);
    }
    return MN_OK;
}

mn_status shard_reader_read_block(const shard_reader *r, uint64_t block, uint32_t *out) {
    shard_decoder *decoder;
    MN_FORWARD_IF_ERROR(shard_decoder_create(&decoder));
    mn_status status = shard_reader_decode_block(r, decoder, block, out);
    shard_decoder_free(decoder);
    return status;
}

mn_status shard_reader_read_tokens(const shard_reader *r, uint64_t begin, uint64_t count,
                                   uint32_t *out) {
    MN_RETURN_ERROR_IF(begin > r->tokens || count > r->tokens - begin, MN_ERR_ARG,
                       "shard %s: tokens [%llu, +%llu) are outside its %llu tokens", r->path,
                       (unsigned long long)begin, (unsigned long long)count,
                       (unsigned long long)r->tokens);
    if (count == 0)
        return MN_OK;
    shard_decoder *decoder;
    MN_FORWARD_IF_ERROR(shard_decoder_create(&decoder));
    uint32_t *whole = NULL;
    mn_status status = MN_OK;
    for (uint64_t block = shard_reader_block_of_token(r, begin); status == MN_OK && count > 0;
         block++) {
        const shard_block_info *b = &r->blocks[block];
        uint64_t within = begin - b->first_token;
        uint64_t take = b->tokens - within < count ? b->tokens - within : count;
        if (within == 0 && take == b->tokens) {
            status = shard_reader_decode_block(r, decoder, block, out);
        } else {
            if (whole == NULL &&
                (whole = mn_alloc_array((size_t)r->largest_block, sizeof *whole)) == NULL) {
                status = MN_ERR_NOMEM;
                break;
            }
            status = shard_reader_decode_block(r, decoder, block, whole);
            if (status == MN_OK)
                memcpy(out, whole + within, (size_t)take * sizeof *out);
        }
        out += take;
        begin += take;
        count -= take;
    }
    free(whole);
    shard_decoder_free(decoder);
    return status;
}

/* The footer's document lengths, unpacked again (they were checked at open). */
static mn_status unpack_lengths(const shard_reader *r, Mnemo__ShardFooter **footer) {
    ProtobufCMessage *message = NULL;
    MN_FORWARD_IF_ERROR_CTX(mn_proto_unpack(&mnemo__shard_footer__descriptor,
                                            r->data + r->footer_start, r->footer_bytes,
                                            SHARD_MAX_FOOTER_BYTES, "footer", &message),
                            "shard %s", r->path);
    *footer = (Mnemo__ShardFooter *)message;
    MN_RETURN_ERROR_IF((*footer)->n_document_lengths != r->documents, MN_ERR_CORRUPT,
                       "shard %s: the footer changed while the shard was open", r->path);
    return MN_OK;
}

/* Builds document_start once; safe when several threads ask at the same time. */
static mn_status ensure_document_index(const shard_reader *cr) {
    shard_reader *r = (shard_reader *)cr; /* a cache: the reader's contents do not change */
    if (__atomic_load_n(&r->index_ready, __ATOMIC_ACQUIRE))
        return MN_OK;
    pthread_mutex_lock(&r->index_lock);
    mn_status status = MN_OK;
    if (!r->index_ready) {
        Mnemo__ShardFooter *footer = NULL;
        status = unpack_lengths(r, &footer);
        uint64_t *start = NULL;
        if (status == MN_OK &&
            (start = mn_alloc_array((size_t)r->documents + 1, sizeof *start)) == NULL)
            status = MN_ERR_NOMEM;
        if (status == MN_OK) {
            start[0] = 0;
            for (uint64_t d = 0; d < r->documents; d++)
                start[d + 1] = start[d] + footer->document_lengths[d];
            r->document_start = start;
            __atomic_store_n(&r->index_ready, 1, __ATOMIC_RELEASE);
        }
        if (footer != NULL)
            protobuf_c_message_free_unpacked(&footer->base, NULL);
    }
    pthread_mutex_unlock(&r->index_lock);
    return status;
}

mn_status shard_reader_document_span(const shard_reader *r, uint64_t first, uint64_t end,
                                     uint64_t *token_begin, uint64_t *token_end) {
    MN_RETURN_ERROR_IF(first > end || end > r->documents, MN_ERR_ARG,
                       "shard %s has %llu documents, not [%llu, %llu)", r->path,
                       (unsigned long long)r->documents, (unsigned long long)first,
                       (unsigned long long)end);
    if (__atomic_load_n(&r->index_ready, __ATOMIC_ACQUIRE)) {
        *token_begin = r->document_start[first];
        *token_end = r->document_start[end];
        return MN_OK;
    }
    /* Summed from the footer without keeping an index. */
    Mnemo__ShardFooter *footer;
    MN_FORWARD_IF_ERROR(unpack_lengths(r, &footer));
    uint64_t sum = 0;
    for (uint64_t d = 0; d < end; d++) {
        if (d == first)
            *token_begin = sum;
        sum += footer->document_lengths[d];
    }
    if (first == end)
        *token_begin = sum;
    *token_end = sum;
    protobuf_c_message_free_unpacked(&footer->base, NULL);
    return MN_OK;
}

mn_status shard_reader_document(const shard_reader *r, uint64_t doc, uint64_t *begin,
                                uint64_t *length) {
    MN_FORWARD_IF_ERROR(ensure_document_index(r));
    MN_RETURN_ERROR_IF(doc >= r->documents, MN_ERR_ARG,
                       "shard %s has %llu documents, no document %llu", r->path,
                       (unsigned long long)r->documents, (unsigned long long)doc);
    *begin = r->document_start[doc];
    *length = r->document_start[doc + 1] - r->document_start[doc];
    return MN_OK;
}

mn_status shard_verify(const char *path, uint64_t expect_tokenizer, shard_info *info) {
    if (info != NULL)
        *info = (shard_info){0};
    shard_reader *r;
    MN_FORWARD_IF_ERROR(shard_reader_open(&r, path));
    mn_status status = MN_OK;
    if (expect_tokenizer != 0 && r->tokenizer_hash != expect_tokenizer)
        status = mn_error(MN_ERR_MISMATCH,
                          "shard %s was made by tokenizer 0x%016llx, not the dataset's 0x%016llx: "
                          "re-tokenize it with the dataset's tokenizer or remove it from the "
                          "manifest",
                          path, (unsigned long long)r->tokenizer_hash,
                          (unsigned long long)expect_tokenizer);
    shard_decoder *decoder = NULL;
    uint32_t *ids = NULL;
    if (status == MN_OK)
        status = ensure_document_index(r);
    if (status == MN_OK)
        status = shard_decoder_create(&decoder);
    if (status == MN_OK && r->n_blocks > 0 &&
        (ids = mn_alloc_array((size_t)r->largest_block, sizeof *ids)) == NULL)
        status = MN_ERR_NOMEM;
    uint64_t document = 0;
    for (uint64_t block = 0; status == MN_OK && block < r->n_blocks; block++) {
        status = shard_reader_decode_block(r, decoder, block, ids);
        const shard_block_info *b = &r->blocks[block];
        for (uint64_t i = 0; status == MN_OK && i < b->tokens; i++) {
            uint64_t position = b->first_token + i;
            while (r->document_start[document + 1] <= position)
                document++;
            bool at_end = position + 1 == r->document_start[document + 1];
            if (at_end != (ids[i] == r->eos_id)) {
                char what[200];
                snprintf(what, sizeof what,
                         at_end ? "document %llu ends with id %u instead of EOS %u"
                                : "EOS inside document %llu (id %u at a non-final position; EOS "
                                  "is %u)",
                         (unsigned long long)document, ids[i], r->eos_id);
                status = block_fail(r, block, what);
            }
        }
    }
    if (status == MN_OK && info != NULL)
        *info = (shard_info){.tokens = r->tokens,
                             .documents = r->documents,
                             .blocks = r->n_blocks,
                             .file_bytes = r->size,
                             .xxh64 = mn_xxh64(r->data, r->size, 0)};
    free(ids);
    shard_decoder_free(decoder);
    shard_reader_close(r);
    return status;
}
