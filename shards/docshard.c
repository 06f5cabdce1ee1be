#include "shards/docshard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/mem.h"
#include "shards/json.h"

/* Uncompressed JSON is handed to zstd in pieces of this size, so the writer's memory does not
 * grow with the document (a 64 MiB text is escaped and compressed piece by piece). */
enum { STAGE_FLUSH_BYTES = 128 << 10, ESCAPE_PIECE_BYTES = 64 << 10 };

struct docshard_writer {
    mn_atomic_file file;
    ZSTD_CCtx *cctx;
    mn_buf stage; /* JSON not yet given to zstd */
    uint8_t *out; /* compressed output staging */
    size_t out_capacity;
    mn_xxh64_stream hash;
    uint64_t documents, text_bytes, file_bytes;
    uint64_t json_bytes; /* JSON handed to zstd so far (the stage holds the rest) */
    bool failed;         /* an I/O or compression error happened: only abort is possible */
};

static mn_status writer_emit(docshard_writer *w, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in = {w->stage.data, w->stage.len, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->out_capacity, 0};
        size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        if (ZSTD_isError(left)) {
            w->failed = true;
            return mn_error(MN_ERR_EXTERNAL, "%s: zstd compression failed: %s", w->file.path,
                            ZSTD_getErrorName(left));
        }
        if (out.pos > 0) {
            mn_status status = mn_atomic_write(&w->file, w->out, out.pos);
            if (status != MN_OK) {
                w->failed = true;
                return status;
            }
            mn_xxh64_update(&w->hash, w->out, out.pos);
            w->file_bytes += out.pos;
        }
        bool input_done = in.pos == in.size;
        if (mode == ZSTD_e_continue ? input_done : (input_done && left == 0))
            break;
    }
    w->json_bytes += w->stage.len;
    mn_buf_clear(&w->stage);
    return MN_OK;
}

static mn_status stage_maybe_flush(docshard_writer *w) {
    if (w->stage.len >= STAGE_FLUSH_BYTES)
        return writer_emit(w, ZSTD_e_continue);
    return MN_OK;
}

/* Appends "key":"escaped value" (with a leading comma unless first). */
static mn_status stage_member(docshard_writer *w, const char *key, const char *value, size_t len,
                              bool first) {
    MN_FORWARD_IF_ERROR(mn_buf_appendf(&w->stage, "%s\"%s\":\"", first ? "{" : ",", key));
    for (size_t done = 0; done < len;) {
        size_t piece = len - done < ESCAPE_PIECE_BYTES ? len - done : ESCAPE_PIECE_BYTES;
        MN_FORWARD_IF_ERROR(shard__json_escape(&w->stage, value + done, piece));
        done += piece;
        MN_FORWARD_IF_ERROR(stage_maybe_flush(w));
    }
    return mn_buf_append_byte(&w->stage, '"');
}

mn_status docshard_writer_open(docshard_writer **writer, const char *path, int zstd_level) {
    *writer = NULL;
    MN_RETURN_ERROR_IF(zstd_level < 0 || zstd_level > ZSTD_maxCLevel(), MN_ERR_ARG,
                       "zstd level %d is out of range (1..%d, 0 for the default)", zstd_level,
                       ZSTD_maxCLevel());
    docshard_writer *w = mn_calloc(1, sizeof *w);
    if (w == NULL)
        return MN_ERR_NOMEM;
    w->out_capacity = ZSTD_CStreamOutSize();
    w->out = mn_malloc(w->out_capacity);
    w->cctx = ZSTD_createCCtx();
    mn_status status = MN_OK;
    if (w->out == NULL || w->cctx == NULL || mn_xxh64_begin(&w->hash, 0) != 0) {
        status = mn_error(MN_ERR_NOMEM, "cannot allocate a document shard writer for %s", path);
    } else {
        /* Single-threaded compression (nbWorkers 0, the default) keeps the output a pure
         * function of the input, so shards are byte-identical across runs and rank counts. */
        size_t rc = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
                                           zstd_level == 0 ? 3 : zstd_level);
        if (!ZSTD_isError(rc))
            rc = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
        if (ZSTD_isError(rc))
            status = mn_error(MN_ERR_EXTERNAL, "zstd: %s", ZSTD_getErrorName(rc));
    }
    if (status == MN_OK)
        status = mn_atomic_open(&w->file, path);
    if (status != MN_OK) {
        ZSTD_freeCCtx(w->cctx);
        free(w->out);
        if (w->hash.state != NULL)
            mn_xxh64_end(&w->hash);
        free(w);
        return status;
    }
    *writer = w;
    return MN_OK;
}

static mn_status check_utf8_field(const char *what, const char *s, size_t len,
                                  const doc_record *d) {
    size_t valid = shard__utf8_valid_prefix((const uint8_t *)s, len);
    if (valid == len)
        return MN_OK;
    return mn_error(MN_ERR_FORMAT,
                    "document \"%.*s\": %s is not valid UTF-8 (byte %zu is 0x%02x); repair the "
                    "text before writing it (document shards hold valid JSON only)",
                    (int)(d->id_len > 80 ? 80 : d->id_len), d->id ? d->id : "", what, valid,
                    (unsigned)(uint8_t)s[valid]);
}

mn_status docshard_writer_append(docshard_writer *w, const doc_record *doc) {
    MN_RETURN_ERROR_IF(w->failed, MN_ERR_STATE,
                       "%s: the writer failed earlier and can only be aborted", w->file.tmp_path);
    MN_RETURN_ERROR_IF(doc->id == NULL || doc->text == NULL || doc->source == NULL, MN_ERR_ARG,
                       "a document needs an id, a text and a source (id %s, text %s, source %s)",
                       doc->id ? "set" : "NULL", doc->text ? "set" : "NULL",
                       doc->source ? "set" : "NULL");
    /* Everything is checked before anything is staged, so a refused document leaves the
     * shard untouched and the writer usable. */
    MN_FORWARD_IF_ERROR(check_utf8_field("id", doc->id, doc->id_len, doc));
    MN_FORWARD_IF_ERROR(check_utf8_field("text", doc->text, doc->text_len, doc));
    MN_FORWARD_IF_ERROR(check_utf8_field("source", doc->source, doc->source_len, doc));
    if (doc->url != NULL)
        MN_FORWARD_IF_ERROR(check_utf8_field("url", doc->url, doc->url_len, doc));
    if (doc->extra_json != NULL && doc->extra_json_len > 0)
        MN_FORWARD_IF_ERROR_CTX(shard__json_check_members(doc->extra_json, doc->extra_json_len),
                                "document \"%.*s\": extra members are not valid JSON members",
                                (int)(doc->id_len > 80 ? 80 : doc->id_len), doc->id);

    mn_status status = stage_member(w, "id", doc->id, doc->id_len, true);
    if (status == MN_OK)
        status = stage_member(w, "text", doc->text, doc->text_len, false);
    if (status == MN_OK)
        status = stage_member(w, "source", doc->source, doc->source_len, false);
    if (status == MN_OK && doc->url != NULL)
        status = stage_member(w, "url", doc->url, doc->url_len, false);
    if (status == MN_OK && doc->extra_json != NULL && doc->extra_json_len > 0) {
        status = mn_buf_append_byte(&w->stage, ',');
        if (status == MN_OK)
            status = mn_buf_append(&w->stage, doc->extra_json, doc->extra_json_len);
    }
    if (status == MN_OK)
        status = mn_buf_append(&w->stage, "}\n", 2);
    if (status == MN_OK)
        status = stage_maybe_flush(w);
    if (status != MN_OK) {
        w->failed = true;
        return status;
    }
    w->documents++;
    w->text_bytes += doc->text_len;
    return MN_OK;
}

uint64_t docshard_writer_bytes(const docshard_writer *w) {
    return w->json_bytes + w->stage.len;
}

mn_status docshard_writer_close(docshard_writer *w, docshard_info *info) {
    if (info != NULL)
        *info = (docshard_info){0};
    mn_status status =
        w->failed ? mn_error(MN_ERR_STATE, "%s: the writer failed earlier", w->file.tmp_path)
                  : writer_emit(w, ZSTD_e_end);
    uint64_t digest = mn_xxh64_end(&w->hash);
    if (status == MN_OK)
        status = mn_atomic_commit(&w->file);
    else
        mn_atomic_abort(&w->file);
    if (status == MN_OK && info != NULL)
        *info = (docshard_info){w->documents, w->text_bytes, w->file_bytes, digest};
    ZSTD_freeCCtx(w->cctx);
    mn_buf_free(&w->stage);
    free(w->out);
    free(w);
    return status;
}

void docshard_writer_abort(docshard_writer *w) {
    if (w == NULL)
        return;
    mn_atomic_abort(&w->file);
    if (w->hash.state != NULL)
        mn_xxh64_end(&w->hash);
    ZSTD_freeCCtx(w->cctx);
    mn_buf_free(&w->stage);
    free(w->out);
    free(w);
}

/* ---- reader ---- */

enum { READ_CHUNK_BYTES = 1 << 20 };

struct docshard_reader {
    char *name;
    FILE *fp;              /* file source, or NULL */
    const uint8_t *memory; /* memory source */
    size_t memory_size;
    ZSTD_DCtx *dctx;
    uint8_t *in; /* compressed input window (file source) */
    ZSTD_inBuffer input;
    bool input_eof;    /* no more compressed bytes */
    size_t frame_left; /* last ZSTD_decompressStream result: 0 at a frame boundary */
    uint64_t consumed; /* compressed bytes taken by the decompressor */
    uint8_t *data;     /* decompressed window: [start, end) not yet returned */
    size_t capacity, start, end, scanned; /* scanned: bytes after start known to hold no '\n' */
    size_t max_line;
    uint64_t line;
    bool finished;   /* end reached or stream damaged: next calls report done */
    bool discarding; /* inside an over-long line that is being skipped */
    mn_buf extra;
};

static mn_status reader_new(docshard_reader **reader, const char *name) {
    *reader = NULL;
    docshard_reader *r = mn_calloc(1, sizeof *r);
    if (r == NULL)
        return MN_ERR_NOMEM;
    r->name = mn_strdup(name);
    r->dctx = ZSTD_createDCtx();
    r->capacity = READ_CHUNK_BYTES;
    r->data = mn_malloc(r->capacity);
    r->max_line = DOCSHARD_MAX_LINE;
    if (r->name == NULL || r->dctx == NULL || r->data == NULL) {
        docshard_reader_close(r);
        return mn_error(MN_ERR_NOMEM, "cannot allocate a document shard reader for %s", name);
    }
    *reader = r;
    return MN_OK;
}

static mn_status check_magic(docshard_reader *r, const uint8_t *head, size_t n) {
    uint32_t magic = 0;
    if (n >= 4)
        magic = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
                (uint32_t)head[3] << 24;
    bool zstd = magic == 0xfd2fb528u || (magic & 0xfffffff0u) == 0x184d2a50u;
    MN_RETURN_ERROR_IF(n == 0, MN_ERR_CORRUPT,
                       "%s: empty file (a document shard is a zstd stream; re-create it)", r->name);
    MN_RETURN_ERROR_IF(!zstd, MN_ERR_FORMAT,
                       "%s: not a zstd-compressed file (a document shard is *.jsonl.zst; "
                       "compress plain JSON Lines with `zstd`)",
                       r->name);
    return MN_OK;
}

mn_status docshard_reader_open(docshard_reader **reader, const char *path) {
    MN_FORWARD_IF_ERROR(reader_new(reader, path));
    docshard_reader *r = *reader;
    r->fp = fopen(path, "rb");
    mn_status status = MN_OK;
    if (r->fp == NULL)
        status =
            mn_error_errno(errno == ENOENT ? MN_ERR_NOT_FOUND : MN_ERR_IO, "cannot open %s", path);
    else if ((r->in = mn_malloc(ZSTD_DStreamInSize())) == NULL)
        status = MN_ERR_NOMEM;
    if (status == MN_OK) {
        size_t n = fread(r->in, 1, ZSTD_DStreamInSize(), r->fp);
        if (ferror(r->fp))
            status = mn_error_errno(MN_ERR_IO, "cannot read %s", path);
        r->input = (ZSTD_inBuffer){r->in, n, 0};
        r->input_eof = n < ZSTD_DStreamInSize();
        if (status == MN_OK)
            status = check_magic(r, r->in, n);
    }
    if (status != MN_OK) {
        docshard_reader_close(r);
        *reader = NULL;
    }
    return status;
}

mn_status docshard_reader_open_memory(docshard_reader **reader, const void *data, size_t size,
                                      const char *name) {
    MN_FORWARD_IF_ERROR(reader_new(reader, name));
    docshard_reader *r = *reader;
    r->memory = data;
    r->memory_size = size;
    r->input = (ZSTD_inBuffer){data, size, 0};
    r->input_eof = true;
    mn_status status = check_magic(r, data, size);
    if (status != MN_OK) {
        docshard_reader_close(r);
        *reader = NULL;
    }
    return status;
}

void docshard_reader_set_max_line(docshard_reader *reader, size_t max_line) {
    reader->max_line = max_line < 16 ? 16 : max_line;
}

/* Refills the compressed input window from the file when it is used up. */
static mn_status refill_input(docshard_reader *r) {
    if (r->input.pos < r->input.size || r->input_eof || r->fp == NULL)
        return MN_OK;
    size_t n = fread(r->in, 1, ZSTD_DStreamInSize(), r->fp);
    MN_RETURN_ERROR_IF(ferror(r->fp), MN_ERR_IO, "cannot read %s: %s", r->name, strerror(errno));
    r->input = (ZSTD_inBuffer){r->in, n, 0};
    if (n == 0)
        r->input_eof = true;
    return MN_OK;
}

/* Decompresses more data after r->end. Sets *more = false when the stream is exhausted. */
static mn_status fill(docshard_reader *r, bool *more) {
    *more = false;
    while (r->end < r->capacity) {
        MN_FORWARD_IF_ERROR(refill_input(r));
        bool input_left = r->input.pos < r->input.size;
        ZSTD_outBuffer out = {r->data + r->end, r->capacity - r->end, 0};
        size_t before = r->input.pos;
        size_t rc = ZSTD_decompressStream(r->dctx, &out, &r->input);
        r->consumed += r->input.pos - before;
        if (ZSTD_isError(rc))
            return mn_error(MN_ERR_CORRUPT,
                            "%s: corrupt zstd data near compressed byte %llu: %s (the file is "
                            "damaged: re-create it or restore it from a copy)",
                            r->name, (unsigned long long)r->consumed, ZSTD_getErrorName(rc));
        /* A call that neither reads nor writes reports the header size of a next frame,
         * not the state of the last one, so only calls that made progress count. */
        if (r->input.pos != before || out.pos > 0)
            r->frame_left = rc;
        r->end += out.pos;
        if (out.pos > 0) {
            *more = true;
            return MN_OK;
        }
        /* No output: either the decoder needs more input or everything is decoded. */
        if (!input_left && r->input_eof)
            break;
    }
    if (r->end >= r->capacity) {
        *more = true; /* caller must make room */
        return MN_OK;
    }
    MN_RETURN_ERROR_IF(r->frame_left != 0, MN_ERR_CORRUPT,
                       "%s: truncated: the zstd stream ends inside a frame after %llu "
                       "compressed bytes (the file was cut short: re-create it or restore it)",
                       r->name, (unsigned long long)r->consumed);
    return MN_OK;
}

/* Moves the unread bytes to the front and grows the window (up to the line cap) so that a
 * line of up to max_line bytes fits. */
static mn_status make_room(docshard_reader *r) {
    if (r->start > 0) {
        memmove(r->data, r->data + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end < r->capacity)
        return MN_OK;
    size_t limit = r->max_line + READ_CHUNK_BYTES;
    if (r->capacity >= limit)
        return MN_OK;
    size_t grown = r->capacity * 2 < limit ? r->capacity * 2 : limit;
    void *p = r->data;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&p, grown, 1));
    r->data = p;
    r->capacity = grown;
    return MN_OK;
}

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

mn_status docshard_reader_next(docshard_reader *r, doc_record *doc, bool *done) {
    *done = false;
    *doc = (doc_record){0};
    for (;;) {
        if (r->finished) {
            *done = true;
            return MN_OK;
        }
        uint8_t *nl = r->end > r->start + r->scanned ? memchr(r->data + r->start + r->scanned, '\n',
                                                              r->end - r->start - r->scanned)
                                                     : NULL;
        if (nl == NULL) {
            r->scanned = r->end - r->start;
            if (r->discarding || r->scanned > r->max_line) {
                /* Skip the over-long line without keeping it. */
                r->discarding = true;
                r->start = r->end = r->scanned = 0;
            }
            mn_status status = make_room(r);
            bool more = false;
            if (status == MN_OK)
                status = fill(r, &more);
            if (status != MN_OK) {
                r->finished = true;
                return status;
            }
            if (more)
                continue;
            /* End of the stream. */
            r->finished = true;
            if (r->discarding) {
                r->line++;
                return mn_error(MN_ERR_LIMIT,
                                "%s line %llu: longer than the %zu-byte line cap; skipped", r->name,
                                (unsigned long long)r->line, r->max_line);
            }
            if (r->end == r->start || blank((char *)r->data + r->start, r->end - r->start)) {
                *done = true;
                return MN_OK;
            }
            nl = r->data + r->end; /* last line without a newline */
        }
        size_t line_start = r->start;
        size_t line_len = (size_t)(nl - (r->data + line_start));
        r->start = (size_t)(nl - r->data) + (nl < r->data + r->end ? 1 : 0);
        r->scanned = 0;
        r->line++;
        if (r->discarding) {
            r->discarding = false;
            return mn_error(MN_ERR_LIMIT,
                            "%s line %llu: longer than the %zu-byte line cap; skipped", r->name,
                            (unsigned long long)r->line, r->max_line);
        }
        if (line_len > r->max_line)
            return mn_error(MN_ERR_LIMIT,
                            "%s line %llu: %zu bytes, longer than the %zu-byte line cap; skipped",
                            r->name, (unsigned long long)r->line, line_len, r->max_line);
        char *text = (char *)r->data + line_start;
        if (blank(text, line_len))
            continue; /* blank lines carry no document */
        mn_status status = shard__json_parse_document(text, line_len, doc, &r->extra);
        if (status != MN_OK) {
            *doc = (doc_record){0};
            return mn_error_context(status, "%s line %llu: not a valid document; skipped", r->name,
                                    (unsigned long long)r->line);
        }
        return MN_OK;
    }
}

uint64_t docshard_reader_line(const docshard_reader *reader) {
    return reader->line;
}

uint64_t docshard_reader_compressed_offset(const docshard_reader *reader) {
    return reader->consumed;
}

void docshard_reader_close(docshard_reader *r) {
    if (r == NULL)
        return;
    if (r->fp != NULL)
        fclose(r->fp);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    free(r->data);
    free(r->name);
    mn_buf_free(&r->extra);
    free(r);
}
