#include "ingest/work.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "common/hash.h"
#include "common/io.h"

enum {
    BLOCK_TARGET = 1 << 20,     /* raw bytes per block before it is closed */
    BLOCK_HEADER = 8,           /* u32 compressed size, u32 raw size */
    RECORD_HEADER = 24,         /* u64 index, 4 x u32 lengths */
    WORK_ZSTD_LEVEL = 1,        /* intermediate files: speed over size */
    BLOCK_RAW_MAX = 0x7fffffff, /* what a reader accepts */
    KEYS_BUFFER = 1 << 16,
};

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void ingest_key_pack(const ingest_key *key, int bands, uint8_t *out) {
    put_u64(out, key->record);
    put_u64(out + 8, key->text_bytes);
    put_u64(out + 16, key->text_hash);
    put_u64(out + 24, key->url_hash);
    put_u64(out + 32, key->frame_offset);
    put_u64(out + 40, key->flags);
    for (int b = 0; b < bands; b++)
        put_u64(out + 48 + 8 * b, key->bands ? key->bands[b] : 0);
}

void ingest_key_unpack(const uint8_t *in, int bands, ingest_key *key, uint64_t *bands_out) {
    key->record = get_u64(in);
    key->text_bytes = get_u64(in + 8);
    key->text_hash = get_u64(in + 16);
    key->url_hash = get_u64(in + 24);
    key->frame_offset = get_u64(in + 32);
    key->flags = get_u64(in + 40);
    for (int b = 0; b < bands; b++)
        bands_out[b] = get_u64(in + 48 + 8 * b);
    key->bands = bands > 0 ? bands_out : NULL;
}

void ingest_work_id(const char *input_path, char id[17]) {
    snprintf(id, 17, "%016llx",
             (unsigned long long)mn_xxh64(input_path, strlen(input_path), 0x6d6e656d6fULL));
}

char *ingest_work_path(const char *work_dir, const char *id, const char *suffix) {
    if (strcmp(suffix, "flags") == 0)
        return mn_asprintf("%s/flags/%s.flags", work_dir, id);
    return mn_asprintf("%s/inputs/%s.%s", work_dir, id, suffix);
}

/* ------------------------------------------------------------------------------------ */

struct ingest_work_writer {
    char *docs_path, *keys_path;
    FILE *docs, *keys;
    int bands;
    mn_buf block;  /* raw records of the open block */
    mn_buf packed; /* compressed block */
    ZSTD_CCtx *cctx;
    uint64_t offset; /* bytes written to docs so far = offset of the open block */
    uint64_t count, text_bytes;
    uint8_t *key_record;
};

static mn_status open_truncate(const char *path, FILE **fp) {
    *fp = fopen(path, "wb");
    if (*fp == NULL)
        return mn_error_errno(MN_ERR_IO, "cannot create work file %s", path);
    return MN_OK;
}

mn_status ingest_work_writer_open(ingest_work_writer **out, const char *work_dir, const char *id,
                                  int bands) {
    ingest_work_writer *w = mn_calloc(1, sizeof *w);
    if (w == NULL)
        return MN_ERR_NOMEM;
    w->bands = bands;
    w->docs_path = ingest_work_path(work_dir, id, "docs");
    w->keys_path = ingest_work_path(work_dir, id, "keys");
    w->key_record = mn_malloc(ingest_key_size(bands));
    w->cctx = ZSTD_createCCtx();
    mn_status status = MN_OK;
    if (!w->docs_path || !w->keys_path || !w->key_record || !w->cctx) {
        status = mn_error(MN_ERR_NOMEM, "out of memory opening work files");
        goto fail;
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, WORK_ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
        status = mn_error(MN_ERR_EXTERNAL, "zstd refused the work-file parameters");
        goto fail;
    }
    MN_GOTO_IF_ERROR(status, open_truncate(w->docs_path, &w->docs), fail);
    MN_GOTO_IF_ERROR(status, open_truncate(w->keys_path, &w->keys), fail);
    *out = w;
    return MN_OK;
fail:
    ingest_work_writer_abort(w);
    return status;
}

static mn_status flush_block(ingest_work_writer *w) {
    if (w->block.len == 0)
        return MN_OK;
    size_t bound = ZSTD_compressBound(w->block.len);
    mn_buf_clear(&w->packed);
    MN_FORWARD_IF_ERROR(mn_buf_reserve(&w->packed, BLOCK_HEADER + bound));
    size_t n =
        ZSTD_compress2(w->cctx, w->packed.data + BLOCK_HEADER, bound, w->block.data, w->block.len);
    MN_RETURN_ERROR_IF(ZSTD_isError(n), MN_ERR_EXTERNAL, "zstd compression failed for %s: %s",
                       w->docs_path, ZSTD_getErrorName(n));
    put_u32(w->packed.data, (uint32_t)n);
    put_u32(w->packed.data + 4, (uint32_t)w->block.len);
    MN_FORWARD_IF_ERROR(mn_fwrite_all(w->docs, w->packed.data, BLOCK_HEADER + n, w->docs_path));
    w->offset += BLOCK_HEADER + n;
    mn_buf_clear(&w->block);
    return MN_OK;
}

mn_status ingest_work_writer_add(ingest_work_writer *w, const ingest_work_doc *doc) {
    MN_RETURN_ERROR_IF(doc->text_len > UINT32_MAX / 2 || doc->id_len > UINT32_MAX / 2 ||
                           doc->url_len > UINT32_MAX / 2 || doc->extra_len > UINT32_MAX / 2,
                       MN_ERR_LIMIT, "document too large for the work file %s", w->docs_path);
    size_t record = RECORD_HEADER + doc->id_len + doc->url_len + doc->extra_len + doc->text_len;
    if (w->block.len > 0 && w->block.len + record > BLOCK_TARGET)
        MN_FORWARD_IF_ERROR(flush_block(w));
    MN_RETURN_ERROR_IF(record > UINT32_MAX / 2, MN_ERR_LIMIT, "document of %zu bytes too large",
                       record);
    uint8_t head[RECORD_HEADER];
    put_u64(head, w->count);
    put_u32(head + 8, (uint32_t)doc->id_len);
    put_u32(head + 12, (uint32_t)doc->url_len);
    put_u32(head + 16, (uint32_t)doc->extra_len);
    put_u32(head + 20, (uint32_t)doc->text_len);
    MN_FORWARD_IF_ERROR(mn_buf_append(&w->block, head, sizeof head));
    MN_FORWARD_IF_ERROR(mn_buf_append(&w->block, doc->id, doc->id_len));
    MN_FORWARD_IF_ERROR(mn_buf_append(&w->block, doc->url, doc->url_len));
    MN_FORWARD_IF_ERROR(mn_buf_append(&w->block, doc->extra, doc->extra_len));
    MN_FORWARD_IF_ERROR(mn_buf_append(&w->block, doc->text, doc->text_len));

    ingest_key key = {
        .record = doc->record,
        .text_bytes = doc->text_len,
        .text_hash = mn_xxh64(doc->text, doc->text_len, 0),
        .url_hash = 0,
        .frame_offset = w->offset,
        .flags = doc->bands ? INGEST_KEY_HAS_SIGNATURE : 0,
        .bands = doc->bands,
    };
    if (doc->url_len > 0) {
        key.url_hash = mn_xxh64(doc->url, doc->url_len, 0);
        if (key.url_hash == 0)
            key.url_hash = 1; /* 0 means "no URL" */
    }
    ingest_key_pack(&key, w->bands, w->key_record);
    MN_FORWARD_IF_ERROR(
        mn_fwrite_all(w->keys, w->key_record, ingest_key_size(w->bands), w->keys_path));
    w->count++;
    w->text_bytes += doc->text_len;
    if (w->block.len >= BLOCK_TARGET)
        MN_FORWARD_IF_ERROR(flush_block(w));
    return MN_OK;
}

uint64_t ingest_work_writer_count(const ingest_work_writer *w) {
    return w->count;
}

uint64_t ingest_work_writer_text_bytes(const ingest_work_writer *w) {
    return w->text_bytes;
}

static mn_status close_checked(FILE **fp, const char *path) {
    FILE *f = *fp;
    *fp = NULL;
    if (f == NULL)
        return MN_OK;
    if (fflush(f) != 0) {
        mn_status status = mn_error_errno(MN_ERR_IO, "cannot write work file %s", path);
        fclose(f);
        return status;
    }
    if (fclose(f) != 0)
        return mn_error_errno(MN_ERR_IO, "cannot close work file %s", path);
    return MN_OK;
}

mn_status ingest_work_write_file(const char *path, const void *data, size_t len) {
    char *tmp = mn_asprintf("%s.tmp", path);
    if (tmp == NULL)
        return MN_ERR_NOMEM;
    FILE *fp = fopen(tmp, "wb");
    mn_status status = fp ? mn_fwrite_all(fp, data, len, tmp)
                          : mn_error_errno(MN_ERR_IO, "cannot create work file %s", tmp);
    if (status == MN_OK)
        status = close_checked(&fp, tmp);
    if (fp != NULL)
        fclose(fp);
    if (status == MN_OK && rename(tmp, path) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot rename %s to %s", tmp, path);
    if (status != MN_OK)
        unlink(tmp);
    free(tmp);
    return status;
}

static void writer_free(ingest_work_writer *w) {
    if (w->docs)
        fclose(w->docs);
    if (w->keys)
        fclose(w->keys);
    ZSTD_freeCCtx(w->cctx);
    mn_buf_free(&w->block);
    mn_buf_free(&w->packed);
    free(w->docs_path);
    free(w->keys_path);
    free(w->key_record);
    free(w);
}

mn_status ingest_work_writer_close(ingest_work_writer *w, uint64_t *docs_bytes) {
    mn_status status = flush_block(w);
    if (docs_bytes != NULL)
        *docs_bytes = w->offset;
    if (status == MN_OK)
        status = close_checked(&w->docs, w->docs_path);
    if (status == MN_OK)
        status = close_checked(&w->keys, w->keys_path);
    if (status != MN_OK) {
        ingest_work_writer_abort(w);
        return status;
    }
    writer_free(w);
    return MN_OK;
}

void ingest_work_writer_abort(ingest_work_writer *w) {
    if (w == NULL)
        return;
    if (w->docs_path)
        unlink(w->docs_path);
    if (w->keys_path)
        unlink(w->keys_path);
    writer_free(w);
}

/* ------------------------------------------------------------------------------------ */

mn_status ingest_meta_write(const char *path, const ingest_input_meta *meta) {
    json_t *root = json_object(), *counters = json_object();
    char settings[17];
    snprintf(settings, sizeof settings, "%016llx", (unsigned long long)meta->settings);
    mn_status status = MN_OK;
    if (root == NULL || counters == NULL ||
        json_object_set_new(root, "format", json_integer(INGEST_WORK_VERSION)) ||
        json_object_set_new(root, "path", json_string(meta->path)) ||
        json_object_set_new(root, "size", json_integer((json_int_t)meta->size)) ||
        json_object_set_new(root, "mtime_ns", json_integer((json_int_t)meta->mtime_ns)) ||
        json_object_set_new(root, "settings", json_string(settings)) ||
        json_object_set_new(root, "kept", json_integer((json_int_t)meta->kept)) ||
        json_object_set_new(root, "kept_bytes", json_integer((json_int_t)meta->kept_bytes)) ||
        json_object_set_new(root, "docs_bytes", json_integer((json_int_t)meta->docs_bytes)) ||
        json_object_set_new(root, "seconds", json_real(meta->seconds))) {
        status = mn_error(MN_ERR_NOMEM, "cannot build the marker %s", path);
        goto done;
    }
    for (size_t i = 0; meta->counters && i < meta->counters->count; i++) {
        const mn_stat *s = &meta->counters->items[i];
        json_t *v = s->type == MN_STAT_INT ? json_integer(s->i) : json_real(s->d);
        if (v == NULL || json_object_set_new(counters, s->name, v)) {
            status = mn_error(MN_ERR_NOMEM, "cannot build the marker %s", path);
            goto done;
        }
    }
    json_object_set(root, "counters", counters);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (text == NULL) {
        status = mn_error(MN_ERR_NOMEM, "cannot format the marker %s", path);
        goto done;
    }
    status = ingest_work_write_file(path, text, strlen(text));
    free(text);
done:
    json_decref(counters);
    json_decref(root);
    return status;
}

mn_status ingest_meta_read(const char *path, ingest_input_meta *meta) {
    *meta = (ingest_input_meta){0};
    if (!mn_path_exists(path))
        return mn_error(MN_ERR_NOT_FOUND, "%s: no marker", path);
    uint8_t *data = NULL;
    size_t size = 0;
    MN_FORWARD_IF_ERROR(mn_read_file(path, 16u << 20, &data, &size));
    json_error_t error;
    json_t *root = json_loadb((const char *)data, size, 0, &error);
    free(data);
    MN_RETURN_ERROR_IF(root == NULL, MN_ERR_FORMAT, "%s: damaged marker (%s)", path, error.text);
    mn_status status = MN_OK;
    json_t *format = json_object_get(root, "format"), *p = json_object_get(root, "path");
    json_t *settings = json_object_get(root, "settings"),
           *counters = json_object_get(root, "counters");
    if (!json_is_integer(format) || json_integer_value(format) != INGEST_WORK_VERSION ||
        !json_is_string(p) || !json_is_string(settings) || !json_is_object(counters) ||
        !json_is_integer(json_object_get(root, "size")) ||
        !json_is_integer(json_object_get(root, "kept"))) {
        status = mn_error(MN_ERR_FORMAT, "%s: damaged or older marker", path);
        goto done;
    }
    meta->path = mn_strdup(json_string_value(p));
    meta->size = (uint64_t)json_integer_value(json_object_get(root, "size"));
    meta->mtime_ns = (int64_t)json_integer_value(json_object_get(root, "mtime_ns"));
    meta->settings = strtoull(json_string_value(settings), NULL, 16);
    meta->kept = (uint64_t)json_integer_value(json_object_get(root, "kept"));
    meta->kept_bytes = (uint64_t)json_integer_value(json_object_get(root, "kept_bytes"));
    meta->docs_bytes = (uint64_t)json_integer_value(json_object_get(root, "docs_bytes"));
    meta->seconds = json_number_value(json_object_get(root, "seconds"));
    meta->counters = mn_stats_create();
    if (meta->path == NULL || meta->counters == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    const char *name;
    json_t *value;
    json_object_foreach(counters, name, value) {
        if (json_is_integer(value))
            status = mn_stats_add(meta->counters, name, (int64_t)json_integer_value(value));
        else if (json_is_real(value))
            status = mn_stats_add_f64(meta->counters, name, json_real_value(value));
        else
            status = mn_error(MN_ERR_FORMAT, "%s: counter %s is not a number", path, name);
        if (status != MN_OK)
            break;
    }
done:
    json_decref(root);
    if (status != MN_OK)
        ingest_meta_free(meta);
    return status;
}

void ingest_meta_free(ingest_input_meta *meta) {
    free(meta->path);
    mn_stats_free(meta->counters);
    *meta = (ingest_input_meta){0};
}

/* ------------------------------------------------------------------------------------ */

struct ingest_keys_reader {
    FILE *fp;
    char *path;
    int bands;
    size_t record_size;
    uint64_t count, expected;
    uint8_t *buf;
    uint64_t *band_values;
};

mn_status ingest_keys_open(ingest_keys_reader **out, const char *path, int bands,
                           uint64_t expected_count) {
    ingest_keys_reader *r = mn_calloc(1, sizeof *r);
    if (r == NULL)
        return MN_ERR_NOMEM;
    r->bands = bands;
    r->record_size = ingest_key_size(bands);
    r->expected = expected_count;
    r->path = mn_strdup(path);
    r->buf = mn_malloc(r->record_size);
    r->band_values = mn_calloc((size_t)bands + 1, sizeof(uint64_t));
    mn_status status = MN_OK;
    if (!r->path || !r->buf || !r->band_values) {
        status = MN_ERR_NOMEM;
        goto fail;
    }
    uint64_t size = 0;
    MN_GOTO_IF_ERROR(status, mn_file_size(path, &size), fail);
    if (size != expected_count * r->record_size) {
        status = mn_error(MN_ERR_CORRUPT,
                          "work file %s has %llu bytes, expected %llu; delete the output's "
                          ".ingest-work folder to redo phase 1",
                          path, (unsigned long long)size,
                          (unsigned long long)(expected_count * r->record_size));
        goto fail;
    }
    r->fp = fopen(path, "rb");
    if (r->fp == NULL) {
        status = mn_error_errno(MN_ERR_IO, "cannot open work file %s", path);
        goto fail;
    }
    setvbuf(r->fp, NULL, _IOFBF, KEYS_BUFFER);
    *out = r;
    return MN_OK;
fail:
    ingest_keys_close(r);
    return status;
}

mn_status ingest_keys_next(ingest_keys_reader *r, ingest_key *key, bool *done) {
    if (r->count >= r->expected) {
        *done = true;
        return MN_OK;
    }
    *done = false;
    if (fread(r->buf, 1, r->record_size, r->fp) != r->record_size)
        return mn_error_errno(MN_ERR_IO, "cannot read work file %s", r->path);
    ingest_key_unpack(r->buf, r->bands, key, r->band_values);
    r->count++;
    return MN_OK;
}

void ingest_keys_close(ingest_keys_reader *r) {
    if (r == NULL)
        return;
    if (r->fp)
        fclose(r->fp);
    free(r->path);
    free(r->buf);
    free(r->band_values);
    free(r);
}

/* ------------------------------------------------------------------------------------ */

size_t ingest_docs_block_limit(size_t max_record_bytes) {
    /* a block closes at BLOCK_TARGET, so it holds less than that plus one whole record (the
     * record's text, id, url and metadata all came from one input record) */
    return BLOCK_TARGET + RECORD_HEADER + 2 * max_record_bytes + (64u << 10);
}

struct ingest_docs_reader {
    FILE *fp;
    char *path;
    size_t max_block;
    uint64_t file_size, offset;
    mn_buf packed, raw;
    size_t at; /* parse position in raw */
    ZSTD_DCtx *dctx;
};

mn_status ingest_docs_open(ingest_docs_reader **out, const char *path, uint64_t offset,
                           size_t max_block) {
    ingest_docs_reader *r = mn_calloc(1, sizeof *r);
    if (r == NULL)
        return MN_ERR_NOMEM;
    r->max_block = max_block;
    r->path = mn_strdup(path);
    r->dctx = ZSTD_createDCtx();
    mn_status status = MN_OK;
    if (r->path == NULL || r->dctx == NULL) {
        status = MN_ERR_NOMEM;
        goto fail;
    }
    MN_GOTO_IF_ERROR(status, mn_file_size(path, &r->file_size), fail);
    if (offset > r->file_size) {
        status = mn_error(MN_ERR_CORRUPT, "work file %s: offset %llu beyond its end", path,
                          (unsigned long long)offset);
        goto fail;
    }
    r->fp = fopen(path, "rb");
    if (r->fp == NULL || fseeko(r->fp, (off_t)offset, SEEK_SET) != 0) {
        status = mn_error_errno(MN_ERR_IO, "cannot open work file %s", path);
        goto fail;
    }
    r->offset = offset;
    *out = r;
    return MN_OK;
fail:
    ingest_docs_close(r);
    return status;
}

static mn_status read_block(ingest_docs_reader *r, bool *done) {
    *done = false;
    if (r->offset == r->file_size) {
        *done = true;
        return MN_OK;
    }
    uint8_t head[BLOCK_HEADER];
    MN_RETURN_ERROR_IF(r->file_size - r->offset < BLOCK_HEADER ||
                           fread(head, 1, BLOCK_HEADER, r->fp) != BLOCK_HEADER,
                       MN_ERR_CORRUPT, "work file %s: truncated block at offset %llu", r->path,
                       (unsigned long long)r->offset);
    uint32_t packed = get_u32(head), raw = get_u32(head + 4);
    MN_RETURN_ERROR_IF(packed > r->file_size - r->offset - BLOCK_HEADER || raw > r->max_block,
                       MN_ERR_CORRUPT, "work file %s: damaged block header at offset %llu", r->path,
                       (unsigned long long)r->offset);
    mn_buf_clear(&r->packed);
    mn_buf_clear(&r->raw);
    MN_FORWARD_IF_ERROR(mn_buf_reserve(&r->packed, packed));
    MN_FORWARD_IF_ERROR(mn_buf_reserve(&r->raw, raw));
    MN_RETURN_ERROR_IF(fread(r->packed.data, 1, packed, r->fp) != packed, MN_ERR_IO,
                       "cannot read work file %s", r->path);
    size_t n = ZSTD_decompressDCtx(r->dctx, r->raw.data, raw, r->packed.data, packed);
    MN_RETURN_ERROR_IF(ZSTD_isError(n) || n != raw, MN_ERR_CORRUPT,
                       "work file %s: block at offset %llu does not decompress (%s)", r->path,
                       (unsigned long long)r->offset,
                       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
    r->raw.len = raw;
    r->at = 0;
    r->offset += BLOCK_HEADER + packed;
    return MN_OK;
}

/* Parses the record at data[*at]; advances *at. */
static mn_status parse_record(const uint8_t *data, size_t len, size_t *at, const char *what,
                              ingest_work_doc *doc, uint64_t *index) {
    size_t p = *at;
    MN_RETURN_ERROR_IF(len - p < RECORD_HEADER, MN_ERR_CORRUPT,
                       "%s: truncated record header at %zu", what, p);
    *index = get_u64(data + p);
    uint64_t id_len = get_u32(data + p + 8), url_len = get_u32(data + p + 12);
    uint64_t extra_len = get_u32(data + p + 16), text_len = get_u32(data + p + 20);
    p += RECORD_HEADER;
    MN_RETURN_ERROR_IF(id_len + url_len + extra_len + text_len > len - p, MN_ERR_CORRUPT,
                       "%s: record lengths run past the block at %zu", what, *at);
    *doc = (ingest_work_doc){0};
    doc->id = (const char *)data + p;
    doc->id_len = id_len;
    p += id_len;
    doc->url = (const char *)data + p;
    doc->url_len = url_len;
    p += url_len;
    doc->extra = (const char *)data + p;
    doc->extra_len = extra_len;
    p += extra_len;
    doc->text = (const char *)data + p;
    doc->text_len = text_len;
    p += text_len;
    *at = p;
    return MN_OK;
}

mn_status ingest_docs_next(ingest_docs_reader *r, ingest_work_doc *doc, uint64_t *index,
                           bool *done) {
    *done = false;
    if (r->at >= r->raw.len) {
        bool end;
        MN_FORWARD_IF_ERROR(read_block(r, &end));
        if (end) {
            *done = true;
            return MN_OK;
        }
    }
    return parse_record(r->raw.data, r->raw.len, &r->at, r->path, doc, index);
}

void ingest_docs_close(ingest_docs_reader *r) {
    if (r == NULL)
        return;
    if (r->fp)
        fclose(r->fp);
    ZSTD_freeDCtx(r->dctx);
    mn_buf_free(&r->packed);
    mn_buf_free(&r->raw);
    free(r->path);
    free(r);
}

mn_status ingest_docs_parse(const uint8_t *data, size_t len, const char *what,
                            mn_status (*each)(void *ctx, const ingest_work_doc *doc,
                                              uint64_t index),
                            void *ctx) {
    size_t at = 0;
    while (at < len) {
        ingest_work_doc doc;
        uint64_t index;
        MN_FORWARD_IF_ERROR(parse_record(data, len, &at, what, &doc, &index));
        if (each != NULL)
            MN_FORWARD_IF_ERROR(each(ctx, &doc, index));
    }
    return MN_OK;
}
