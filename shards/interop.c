/* Exports to and imports from llm.c `.bin` files and Megatron-LM indexed datasets (formats in
 * shards/tools.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "shards/tools.h"

static const uint8_t megatron_magic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0};
enum { MEGATRON_HEADER_BYTES = 9 + 8 + 1 + 8 + 8 };

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---------------------------------------------------------------- llm.c */

mn_status shard_llmc_parse_header(const uint8_t *data, size_t size, const char *name,
                                  shard_llmc_header *h) {
    *h = (shard_llmc_header){0};
    MN_RETURN_ERROR_IF(size < SHARD_LLMC_HEADER_BYTES, MN_ERR_FORMAT,
                       "%s: %zu bytes, shorter than an llm.c header (1024)", name, size);
    h->magic = (int32_t)le32(data);
    h->version = (int32_t)le32(data + 4);
    int32_t count = (int32_t)le32(data + 8);
    if (h->magic == SHARD_LLMC_MAGIC_U16 && h->version == 1)
        h->width = 2;
    else if (h->magic == SHARD_LLMC_MAGIC_U32 && h->version == 7)
        h->width = 4;
    else
        return mn_error(MN_ERR_FORMAT,
                        "%s: not an llm.c token file (magic %d, version %d; expected 20240520 v1 "
                        "or 20240801 v7)",
                        name, h->magic, h->version);
    MN_RETURN_ERROR_IF(count < 0, MN_ERR_FORMAT, "%s: negative token count %d in the header", name,
                       count);
    h->tokens = (uint64_t)count;
    uint64_t expected = SHARD_LLMC_HEADER_BYTES + h->tokens * h->width;
    MN_RETURN_ERROR_IF(size < expected, MN_ERR_CORRUPT,
                       "%s: truncated: the header declares %llu tokens (%llu bytes) but the file "
                       "has %zu bytes; re-create or re-download it",
                       name, (unsigned long long)h->tokens, (unsigned long long)expected, size);
    MN_RETURN_ERROR_IF(size > expected, MN_ERR_FORMAT,
                       "%s: %llu bytes follow the %llu tokens the header declares", name,
                       (unsigned long long)(size - expected), (unsigned long long)h->tokens);
    return MN_OK;
}

/* A growable document being assembled by an importer. */
typedef struct doc_buffer {
    uint32_t *ids;
    size_t n, capacity;
} doc_buffer;

static mn_status doc_push(doc_buffer *d, uint32_t id) {
    if (d->n == d->capacity) {
        size_t grown = d->capacity ? d->capacity * 2 : 4096;
        void *p = d->ids;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, grown, sizeof *d->ids));
        d->ids = p;
        d->capacity = grown;
    }
    d->ids[d->n++] = id;
    return MN_OK;
}

static shard_writer_options writer_options(const shard_import_options *o, const char *source) {
    return (shard_writer_options){.tokenizer_hash = o->tokenizer_hash,
                                  .vocab_size = o->vocab_size,
                                  .eos_id = o->eos_id,
                                  .zstd_level = o->zstd_level,
                                  .block_tokens = o->block_tokens,
                                  .source = source};
}

mn_status shard_import_llmc(const char *bin_path, const char *mtok_path,
                            const shard_import_options *options, shard_info *info) {
    mn_mapped_file map;
    MN_FORWARD_IF_ERROR(mn_map_file(&map, bin_path));
    shard_llmc_header h;
    mn_status status = shard_llmc_parse_header(map.data, map.size, bin_path, &h);
    shard_writer *w = NULL;
    shard_writer_options wo = writer_options(options, bin_path);
    if (status == MN_OK)
        status = shard_writer_open(&w, mtok_path, &wo);
    doc_buffer doc = {0};
    bool open = false; /* an EOS has started a document */
    const uint8_t *tokens = map.data + SHARD_LLMC_HEADER_BYTES;
    for (uint64_t t = 0; status == MN_OK && t < h.tokens; t++) {
        uint32_t id = h.width == 2 ? (uint32_t)(tokens[2 * t] | tokens[2 * t + 1] << 8)
                                   : le32(tokens + 4 * t);
        if (id == options->eos_id) {
            /* llm.c puts EOS before each document: it ends the one before, if any. */
            if (open || doc.n > 0)
                status = shard_writer_append_document(w, doc.ids, doc.n);
            doc.n = 0;
            open = true;
        } else {
            status = doc_push(&doc, id);
        }
    }
    if (status == MN_OK && (open || doc.n > 0))
        status = shard_writer_append_document(w, doc.ids, doc.n);
    if (status == MN_OK)
        status = shard_writer_close(w, info);
    else
        shard_writer_abort(w);
    free(doc.ids);
    mn_unmap_file(&map);
    if (status != MN_OK && status != MN_ERR_NOMEM)
        return mn_error_context(status, "importing llm.c file %s", bin_path);
    return status;
}

/* Token file being written by an llm.c export. */
typedef struct llmc_out {
    mn_atomic_file file;
    uint64_t tokens;
    bool open;
} llmc_out;

static mn_status llmc_finish(llmc_out *out, unsigned width) {
    uint8_t header[SHARD_LLMC_HEADER_BYTES] = {0};
    put_le32(header, width == 2 ? SHARD_LLMC_MAGIC_U16 : SHARD_LLMC_MAGIC_U32);
    put_le32(header + 4, width == 2 ? 1 : 7);
    put_le32(header + 8, (uint32_t)out->tokens);
    mn_status status = MN_OK;
    if (fflush(out->file.fp) != 0 || fseek(out->file.fp, 0, SEEK_SET) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot write %s", out->file.tmp_path);
    if (status == MN_OK)
        status = mn_atomic_write(&out->file, header, sizeof header);
    if (status == MN_OK)
        status = mn_atomic_commit(&out->file);
    else
        mn_atomic_abort(&out->file);
    out->open = false;
    return status;
}

typedef struct llmc_export {
    const char *path_format;
    size_t *file_number;
    uint64_t limit;
    unsigned width;
    uint32_t eos;
    llmc_out out;
    uint64_t tokens;
    uint8_t *scratch;
    size_t scratch_capacity;
} llmc_export;

static mn_status llmc_visit(void *context, uint64_t document, const uint32_t *ids, size_t n) {
    llmc_export *x = context;
    uint64_t need = (uint64_t)n + 1;
    MN_RETURN_ERROR_IF(need > x->limit, MN_ERR_LIMIT,
                       "document %llu has %llu tokens, more than an llm.c file may hold (%llu)",
                       (unsigned long long)document, (unsigned long long)need,
                       (unsigned long long)x->limit);
    if (x->out.open && x->out.tokens + need > x->limit)
        MN_FORWARD_IF_ERROR(llmc_finish(&x->out, x->width));
    if (!x->out.open) {
        char path[4096];
        snprintf(path, sizeof path, x->path_format, (*x->file_number)++);
        MN_FORWARD_IF_ERROR(mn_atomic_open(&x->out.file, path));
        x->out.open = true;
        x->out.tokens = 0;
        uint8_t zeros[SHARD_LLMC_HEADER_BYTES] = {0}; /* the header is written last */
        MN_FORWARD_IF_ERROR(mn_atomic_write(&x->out.file, zeros, sizeof zeros));
    }
    size_t bytes = (size_t)need * x->width;
    if (bytes > x->scratch_capacity) {
        uint8_t *grown = mn_malloc(bytes);
        if (grown == NULL)
            return MN_ERR_NOMEM;
        free(x->scratch);
        x->scratch = grown;
        x->scratch_capacity = bytes;
    }
    /* llm.c's layout: EOS, then the document. */
    for (size_t i = 0; i <= n; i++) {
        uint32_t id = i == 0 ? x->eos : ids[i - 1];
        if (x->width == 2) {
            x->scratch[2 * i] = (uint8_t)id;
            x->scratch[2 * i + 1] = (uint8_t)(id >> 8);
        } else {
            put_le32(x->scratch + 4 * i, id);
        }
    }
    MN_FORWARD_IF_ERROR(mn_atomic_write(&x->out.file, x->scratch, bytes));
    x->out.tokens += need;
    x->tokens += need;
    return MN_OK;
}

mn_status shard_export_llmc(const shard_manifest *m, size_t i, const char *path_format,
                            uint64_t max_file_tokens, size_t *file_number, uint64_t *tokens) {
    char *path = shard_manifest_shard_path(m, i);
    shard_reader *r = NULL;
    mn_status status = path ? shard_reader_open(&r, path) : MN_ERR_NOMEM;
    llmc_export x = {.path_format = path_format, .file_number = file_number, .limit = INT32_MAX};
    if (max_file_tokens > 0 && max_file_tokens < x.limit)
        x.limit = max_file_tokens;
    if (status == MN_OK) {
        x.width = shard_reader_vocab_size(r) <= 65536 ? 2 : 4;
        x.eos = shard_reader_eos_id(r);
        shard_reader_close(r);
        status = shard_entry_documents(m, i, 0, UINT64_MAX, llmc_visit, &x);
    }
    if (status == MN_OK && x.out.open)
        status = llmc_finish(&x.out, x.width);
    else if (x.out.open)
        mn_atomic_abort(&x.out.file);
    free(x.scratch);
    free(path);
    if (tokens != NULL)
        *tokens = x.tokens;
    return status;
}

/* ---------------------------------------------------------------- Megatron */

mn_status shard_megatron_parse_index(const uint8_t *data, size_t size, uint64_t bin_size,
                                     const char *name, shard_megatron_index *x) {
    *x = (shard_megatron_index){0};
    MN_RETURN_ERROR_IF(size < MEGATRON_HEADER_BYTES || memcmp(data, megatron_magic, 9) != 0,
                       MN_ERR_FORMAT, "%s: not a Megatron-LM index (no MMIDIDX header)", name);
    uint64_t version = le64(data + 9);
    MN_RETURN_ERROR_IF(version != 1, MN_ERR_UNSUPPORTED, "%s: index version %llu (only 1 is known)",
                       name, (unsigned long long)version);
    x->dtype_code = data[17];
    static const struct {
        unsigned width;
        bool is_signed;
    } dtypes[9] = {{0, 0},    {1, false}, {1, true}, {2, true}, {4, true},
                   {8, true}, {0, 0},     {0, 0},    {2, false}};
    MN_RETURN_ERROR_IF(x->dtype_code == 6 || x->dtype_code == 7, MN_ERR_UNSUPPORTED,
                       "%s: dtype code %u holds floating-point values, not token ids", name,
                       x->dtype_code);
    MN_RETURN_ERROR_IF(x->dtype_code == 0 || x->dtype_code > 8, MN_ERR_FORMAT,
                       "%s: unknown dtype code %u", name, x->dtype_code);
    x->width = dtypes[x->dtype_code].width;
    x->is_signed = dtypes[x->dtype_code].is_signed;
    uint64_t n = le64(data + 18), d = le64(data + 26);
    /* Each sequence takes 12 index bytes and each document 8: bound the counts by the file
     * before multiplying. */
    MN_RETURN_ERROR_IF(n > size / 12 || d > size / 8 || d == 0, MN_ERR_FORMAT,
                       "%s: %llu sequences and %llu document indices cannot fit in %zu bytes", name,
                       (unsigned long long)n, (unsigned long long)d, size);
    uint64_t expected = MEGATRON_HEADER_BYTES + n * 12 + d * 8;
    MN_RETURN_ERROR_IF(size != expected && size != expected + n, MN_ERR_CORRUPT,
                       "%s: %zu bytes, but %llu sequences and %llu document indices need %llu "
                       "(or %llu with sequence modes)",
                       name, size, (unsigned long long)n, (unsigned long long)d,
                       (unsigned long long)expected, (unsigned long long)(expected + n));
    x->sequences = n;
    x->documents = d - 1;
    x->lengths = data + MEGATRON_HEADER_BYTES;
    x->pointers = x->lengths + n * 4;
    x->document_index = x->pointers + n * 8;
    for (uint64_t s = 0; s < n; s++) {
        int32_t length = (int32_t)le32(x->lengths + 4 * s);
        uint64_t pointer = le64(x->pointers + 8 * s);
        MN_RETURN_ERROR_IF(length < 0, MN_ERR_CORRUPT, "%s: sequence %llu has length %d", name,
                           (unsigned long long)s, length);
        uint64_t bytes = (uint64_t)length * x->width;
        MN_RETURN_ERROR_IF(pointer % x->width != 0 || pointer > bin_size ||
                               bytes > bin_size - pointer,
                           MN_ERR_CORRUPT,
                           "%s: sequence %llu (%d tokens at byte %llu) lies outside the %llu-byte "
                           ".bin: the files do not belong together or are damaged",
                           name, (unsigned long long)s, length, (unsigned long long)pointer,
                           (unsigned long long)bin_size);
    }
    uint64_t previous = 0;
    for (uint64_t k = 0; k < d; k++) {
        uint64_t v = le64(x->document_index + 8 * k);
        MN_RETURN_ERROR_IF(
            (k == 0 && v != 0) || v < previous || v > n || (k == d - 1 && v != n), MN_ERR_CORRUPT,
            "%s: document index %llu is %llu (must start at 0, never decrease and "
            "end at %llu)",
            name, (unsigned long long)k, (unsigned long long)v, (unsigned long long)n);
        previous = v;
    }
    return MN_OK;
}

static mn_status megatron_token(const shard_megatron_index *x, const uint8_t *p, uint32_t *id) {
    int64_t v;
    switch (x->width) {
        case 1:
            v = x->is_signed ? (int8_t)p[0] : p[0];
            break;
        case 2: {
            uint16_t u = (uint16_t)(p[0] | p[1] << 8);
            v = x->is_signed ? (int16_t)u : u;
            break;
        }
        case 4:
            v = (int32_t)le32(p);
            break;
        default:
            v = (int64_t)le64(p);
            break;
    }
    MN_RETURN_ERROR_IF(v < 0 || v > UINT32_MAX, MN_ERR_FORMAT, "token id %lld is not a valid id",
                       (long long)v);
    *id = (uint32_t)v;
    return MN_OK;
}

mn_status shard_import_megatron(const char *prefix, const char *mtok_path,
                                const shard_import_options *options, shard_info *info) {
    char *idx_path = mn_asprintf("%s.idx", prefix), *bin_path = mn_asprintf("%s.bin", prefix);
    mn_mapped_file idx = {0}, bin = {0};
    mn_status status = idx_path && bin_path ? MN_OK : MN_ERR_NOMEM;
    if (status == MN_OK)
        status = mn_map_file(&idx, idx_path);
    if (status == MN_OK)
        status = mn_map_file(&bin, bin_path);
    shard_megatron_index x;
    if (status == MN_OK)
        status = shard_megatron_parse_index(idx.data, idx.size, bin.size, idx_path, &x);
    shard_writer *w = NULL;
    shard_writer_options wo = writer_options(options, prefix);
    if (status == MN_OK)
        status = shard_writer_open(&w, mtok_path, &wo);
    doc_buffer doc = {0};
    for (uint64_t d = 0; status == MN_OK && d < x.documents; d++) {
        uint64_t first = le64(x.document_index + 8 * d), last = le64(x.document_index + 8 * d + 8);
        doc.n = 0;
        for (uint64_t s = first; status == MN_OK && s < last; s++) {
            uint64_t length = le32(x.lengths + 4 * s), pointer = le64(x.pointers + 8 * s);
            const uint8_t *p = bin.data + pointer;
            for (uint64_t t = 0; status == MN_OK && t < length; t++) {
                uint32_t id = 0;
                status = megatron_token(&x, p + t * x.width, &id);
                if (status != MN_OK) {
                    status = mn_error_context(status, "%s sequence %llu token %llu", bin_path,
                                              (unsigned long long)s, (unsigned long long)t);
                } else if (id == options->eos_id) { /* EOS ends a document */
                    status = shard_writer_append_document(w, doc.ids, doc.n);
                    doc.n = 0;
                } else {
                    status = doc_push(&doc, id);
                }
            }
        }
        if (status == MN_OK && doc.n > 0) /* a document without a final EOS */
            status = shard_writer_append_document(w, doc.ids, doc.n);
    }
    if (status == MN_OK)
        status = shard_writer_close(w, info);
    else
        shard_writer_abort(w);
    free(doc.ids);
    mn_unmap_file(&idx);
    mn_unmap_file(&bin);
    free(idx_path);
    free(bin_path);
    if (status != MN_OK && status != MN_ERR_NOMEM)
        return mn_error_context(status, "importing Megatron dataset %s", prefix);
    return status;
}

typedef struct megatron_export {
    mn_atomic_file bin;
    unsigned width;
    uint32_t eos;
    uint32_t *lengths;
    size_t n, capacity;
    uint8_t *scratch;
    size_t scratch_capacity;
    uint64_t tokens;
} megatron_export;

static mn_status megatron_visit(void *context, uint64_t document, const uint32_t *ids, size_t n) {
    megatron_export *x = context;
    uint64_t length = (uint64_t)n + 1;
    MN_RETURN_ERROR_IF(length > INT32_MAX, MN_ERR_LIMIT,
                       "document %llu has %llu tokens, more than a Megatron sequence holds",
                       (unsigned long long)document, (unsigned long long)length);
    if (x->n == x->capacity) {
        size_t grown = x->capacity ? x->capacity * 2 : 4096;
        void *p = x->lengths;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, grown, sizeof *x->lengths));
        x->lengths = p;
        x->capacity = grown;
    }
    size_t bytes = (size_t)length * x->width;
    if (bytes > x->scratch_capacity) {
        uint8_t *grown = mn_malloc(bytes);
        if (grown == NULL)
            return MN_ERR_NOMEM;
        free(x->scratch);
        x->scratch = grown;
        x->scratch_capacity = bytes;
    }
    /* Megatron's --append-eod layout: the document, then EOS. */
    for (size_t i = 0; i < length; i++) {
        uint32_t id = i < n ? ids[i] : x->eos;
        if (x->width == 2) {
            x->scratch[2 * i] = (uint8_t)id;
            x->scratch[2 * i + 1] = (uint8_t)(id >> 8);
        } else {
            put_le32(x->scratch + 4 * i, id);
        }
    }
    MN_FORWARD_IF_ERROR(mn_atomic_write(&x->bin, x->scratch, bytes));
    x->lengths[x->n++] = (uint32_t)length;
    x->tokens += length;
    return MN_OK;
}

static mn_status write_megatron_index(const char *path, const megatron_export *x) {
    mn_atomic_file f;
    MN_FORWARD_IF_ERROR(mn_atomic_open(&f, path));
    uint8_t header[MEGATRON_HEADER_BYTES];
    memcpy(header, megatron_magic, 9);
    put_le64(header + 9, 1);
    header[17] = x->width == 2 ? 8 : 4; /* uint16 or int32 */
    put_le64(header + 18, x->n);
    put_le64(header + 26, x->n + 1);
    mn_status status = mn_atomic_write(&f, header, sizeof header);
    uint8_t word[8];
    for (size_t s = 0; status == MN_OK && s < x->n; s++) {
        put_le32(word, x->lengths[s]);
        status = mn_atomic_write(&f, word, 4);
    }
    uint64_t pointer = 0;
    for (size_t s = 0; status == MN_OK && s < x->n; s++) {
        put_le64(word, pointer);
        status = mn_atomic_write(&f, word, 8);
        pointer += (uint64_t)x->lengths[s] * x->width;
    }
    for (size_t s = 0; status == MN_OK && s <= x->n; s++) {
        put_le64(word, s); /* one sequence per document */
        status = mn_atomic_write(&f, word, 8);
    }
    if (status == MN_OK)
        return mn_atomic_commit(&f);
    mn_atomic_abort(&f);
    return status;
}

mn_status shard_export_megatron(const shard_manifest *m, const char *prefix, uint64_t *tokens,
                                shard_progress_fn progress, void *context) {
    MN_RETURN_ERROR_IF(m->kind != SHARD_DATASET_TOKENS, MN_ERR_ARG,
                       "dataset %s holds documents, not tokens", m->dir);
    megatron_export x = {0};
    char *bin_path = mn_asprintf("%s.bin", prefix), *idx_path = mn_asprintf("%s.idx", prefix);
    mn_status status = bin_path && idx_path ? MN_OK : MN_ERR_NOMEM;
    for (size_t i = 0; status == MN_OK && i < m->n_shards; i++) {
        char *path = shard_manifest_shard_path(m, i);
        shard_reader *r = NULL;
        status = path ? shard_reader_open(&r, path) : MN_ERR_NOMEM;
        if (status == MN_OK) {
            unsigned width = shard_reader_vocab_size(r) < 65500 ? 2 : 4;
            if (i == 0) {
                x.width = width;
                x.eos = shard_reader_eos_id(r);
            } else if (width != x.width || shard_reader_eos_id(r) != x.eos) {
                status = mn_error(MN_ERR_MISMATCH,
                                  "shard %s has another vocabulary than the first shard", path);
            }
            shard_reader_close(r);
        }
        free(path);
    }
    if (status == MN_OK)
        status = mn_atomic_open(&x.bin, bin_path);
    for (size_t i = 0; status == MN_OK && i < m->n_shards; i++) {
        uint64_t before = x.tokens;
        status = shard_entry_documents(m, i, 0, UINT64_MAX, megatron_visit, &x);
        if (status == MN_OK && progress != NULL)
            progress(context, x.tokens - before);
    }
    /* The .bin first and the .idx last: the index marks a complete export. */
    if (status == MN_OK)
        status = mn_atomic_commit(&x.bin);
    else if (x.bin.fp != NULL)
        mn_atomic_abort(&x.bin);
    if (status == MN_OK)
        status = write_megatron_index(idx_path, &x);
    if (tokens != NULL)
        *tokens = x.tokens;
    free(x.lengths);
    free(x.scratch);
    free(bin_path);
    free(idx_path);
    return status;
}
