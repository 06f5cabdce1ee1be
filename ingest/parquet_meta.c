/* Parquet FileMetaData and PageHeader decoding, and the schema's leaves (parquet.h). */
#include <stdlib.h>
#include <string.h>

#include "ingest/parquet.h"
#include "ingest/thrift.h"

typedef struct schema_element {
    int type; /* -1 for groups */
    int type_length;
    int repetition;
    int num_children;
    int converted_type;
    bool unsigned_int;
    const uint8_t *name;
    size_t name_len;
} schema_element;

/* Loops over the fields of a struct: `body` handles field `id` of `type` and must consume it
 * (or `continue` to skip it by default). */
#define THRIFT_FIELDS(t, id, type, body)                                           \
    do {                                                                           \
        MN_FORWARD_IF_ERROR(ingest_thrift_struct_begin(t));                        \
        int16_t last_id__ = 0;                                                     \
        for (;;) {                                                                 \
            mn_status st__ = ingest_thrift_field((t), &last_id__, &(id), &(type)); \
            if (st__ != MN_OK) {                                                   \
                ingest_thrift_struct_end(t);                                       \
                return st__;                                                       \
            }                                                                      \
            if ((type) == THRIFT_STOP)                                             \
                break;                                                             \
            st__ = body;                                                           \
            if (st__ != MN_OK) {                                                   \
                ingest_thrift_struct_end(t);                                       \
                return st__;                                                       \
            }                                                                      \
        }                                                                          \
        ingest_thrift_struct_end(t);                                               \
    } while (0)

static mn_status int_type_field(ingest_thrift *t, int16_t id, int type, bool *is_unsigned) {
    if (id == 2 && (type == THRIFT_TRUE || type == THRIFT_FALSE)) {
        *is_unsigned = type == THRIFT_FALSE;
        return MN_OK;
    }
    return ingest_thrift_skip(t, type);
}

static mn_status read_int_type(ingest_thrift *t, bool *is_unsigned) {
    int16_t id;
    int type;
    THRIFT_FIELDS(t, id, type, int_type_field(t, id, type, is_unsigned));
    return MN_OK;
}

static mn_status logical_type_field(ingest_thrift *t, int16_t id, int type, bool *is_unsigned) {
    if (id == 10 && type == THRIFT_STRUCT)
        return read_int_type(t, is_unsigned);
    return ingest_thrift_skip(t, type);
}

static mn_status read_logical_type(ingest_thrift *t, bool *is_unsigned) {
    int16_t id;
    int type;
    THRIFT_FIELDS(t, id, type, logical_type_field(t, id, type, is_unsigned));
    return MN_OK;
}

static mn_status schema_field(ingest_thrift *t, int16_t id, int type, schema_element *e) {
    int32_t v;
    switch (id) {
        case 1:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            e->type = v;
            return MN_OK;
        case 2:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            e->type_length = v;
            return MN_OK;
        case 3:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            e->repetition = v;
            return MN_OK;
        case 4:
            return ingest_thrift_binary(t, type, &e->name, &e->name_len);
        case 5:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            e->num_children = v;
            return MN_OK;
        case 6:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            e->converted_type = v;
            if (v == PQ_CONVERTED_UINT_32 || v == PQ_CONVERTED_UINT_64 || v == 11 || v == 12)
                e->unsigned_int = true;
            return MN_OK;
        case 10:
            if (type == THRIFT_STRUCT)
                return read_logical_type(t, &e->unsigned_int);
            return ingest_thrift_skip(t, type);
        default:
            return ingest_thrift_skip(t, type);
    }
}

static mn_status read_schema_element(ingest_thrift *t, schema_element *e) {
    memset(e, 0, sizeof *e);
    e->type = -1;
    e->converted_type = -1;
    int16_t id;
    int type;
    THRIFT_FIELDS(t, id, type, schema_field(t, id, type, e));
    return MN_OK;
}

static mn_status column_meta_field(ingest_thrift *t, int16_t id, int type, pq_chunk *c) {
    int32_t v;
    switch (id) {
        case 1:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            c->type = v;
            return MN_OK;
        case 4:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            c->codec = v;
            return MN_OK;
        case 5:
            return ingest_thrift_i64(t, type, &c->num_values);
        case 7:
            return ingest_thrift_i64(t, type, &c->total_compressed_size);
        case 9:
            return ingest_thrift_i64(t, type, &c->data_page_offset);
        case 11:
            return ingest_thrift_i64(t, type, &c->dictionary_page_offset);
        default:
            return ingest_thrift_skip(t, type);
    }
}

static mn_status read_column_meta(ingest_thrift *t, pq_chunk *c) {
    int16_t id;
    int type;
    c->has_meta = true;
    THRIFT_FIELDS(t, id, type, column_meta_field(t, id, type, c));
    return MN_OK;
}

static mn_status column_chunk_field(ingest_thrift *t, int16_t id, int type, pq_chunk *c) {
    if (id == 1 && type == THRIFT_BINARY) {
        const uint8_t *path;
        size_t len;
        MN_FORWARD_IF_ERROR(ingest_thrift_binary(t, type, &path, &len));
        c->external = len > 0;
        return MN_OK;
    }
    if (id == 3 && type == THRIFT_STRUCT)
        return read_column_meta(t, c);
    return ingest_thrift_skip(t, type);
}

static mn_status read_column_chunk(ingest_thrift *t, pq_chunk *c) {
    memset(c, 0, sizeof *c);
    c->dictionary_page_offset = -1;
    int16_t id;
    int type;
    THRIFT_FIELDS(t, id, type, column_chunk_field(t, id, type, c));
    return MN_OK;
}

static mn_status row_group_field(ingest_thrift *t, int16_t id, int type, pq_row_group *g) {
    if (id == 1) {
        int element;
        size_t count;
        MN_FORWARD_IF_ERROR(ingest_thrift_list(t, type, &element, &count));
        MN_RETURN_ERROR_IF(element != THRIFT_STRUCT, MN_ERR_FORMAT,
                           "row group columns are not structs");
        MN_RETURN_ERROR_IF(g->chunks != NULL, MN_ERR_FORMAT, "row group columns listed twice");
        g->chunks = mn_calloc(count ? count : 1, sizeof *g->chunks);
        MN_RETURN_ERROR_IF(g->chunks == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
        g->n_chunks = count;
        for (size_t i = 0; i < count; i++)
            MN_FORWARD_IF_ERROR(read_column_chunk(t, &g->chunks[i]));
        return MN_OK;
    }
    if (id == 3)
        return ingest_thrift_i64(t, type, &g->num_rows);
    return ingest_thrift_skip(t, type);
}

static mn_status read_row_group(ingest_thrift *t, pq_row_group *g) {
    int16_t id;
    int type;
    THRIFT_FIELDS(t, id, type, row_group_field(t, id, type, g));
    return MN_OK;
}

typedef struct meta_decoder {
    schema_element *schema;
    size_t n_schema;
} meta_decoder;

static mn_status file_meta_field(ingest_thrift *t, int16_t id, int type, pq_meta *meta,
                                 meta_decoder *d) {
    int element;
    size_t count;
    switch (id) {
        case 2:
            MN_FORWARD_IF_ERROR(ingest_thrift_list(t, type, &element, &count));
            MN_RETURN_ERROR_IF(element != THRIFT_STRUCT || d->schema != NULL, MN_ERR_FORMAT,
                               "the schema is not a list of elements");
            d->schema = mn_calloc(count ? count : 1, sizeof *d->schema);
            MN_RETURN_ERROR_IF(d->schema == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
            for (size_t i = 0; i < count; i++) {
                MN_FORWARD_IF_ERROR(read_schema_element(t, &d->schema[i]));
                d->n_schema = i + 1;
            }
            return MN_OK;
        case 3:
            return ingest_thrift_i64(t, type, &meta->num_rows);
        case 4:
            MN_FORWARD_IF_ERROR(ingest_thrift_list(t, type, &element, &count));
            MN_RETURN_ERROR_IF(element != THRIFT_STRUCT || meta->row_groups != NULL, MN_ERR_FORMAT,
                               "the row groups are not a list of structs");
            meta->row_groups = mn_calloc(count ? count : 1, sizeof *meta->row_groups);
            MN_RETURN_ERROR_IF(meta->row_groups == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
            for (size_t i = 0; i < count; i++) {
                meta->n_row_groups = i + 1;
                MN_FORWARD_IF_ERROR(read_row_group(t, &meta->row_groups[i]));
            }
            return MN_OK;
        case 6: {
            const uint8_t *s;
            size_t len;
            MN_FORWARD_IF_ERROR(ingest_thrift_binary(t, type, &s, &len));
            free(meta->created_by);
            meta->created_by = mn_strndup((const char *)s, len < 200 ? len : 200);
            MN_RETURN_ERROR_IF(meta->created_by == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
            return MN_OK;
        }
        default:
            return ingest_thrift_skip(t, type);
    }
}

static mn_status read_file_meta(ingest_thrift *t, pq_meta *meta, meta_decoder *d) {
    int16_t id;
    int type;
    THRIFT_FIELDS(t, id, type, file_meta_field(t, id, type, meta, d));
    return MN_OK;
}

typedef struct group_frame {
    int remaining;
    int definition, repetition;
    size_t path_len;
} group_frame;

/* Walks the depth-first schema list into leaves with dotted paths and maximum levels. */
static mn_status flatten_schema(const meta_decoder *d, pq_meta *meta) {
    MN_RETURN_ERROR_IF(d->n_schema == 0, MN_ERR_FORMAT, "the schema is empty");
    MN_RETURN_ERROR_IF(d->schema[0].num_children < 0 ||
                           (size_t)d->schema[0].num_children >= d->n_schema + 1,
                       MN_ERR_FORMAT, "the schema root has a bad child count");
    meta->leaves = mn_calloc(d->n_schema, sizeof *meta->leaves);
    MN_RETURN_ERROR_IF(meta->leaves == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    group_frame stack[THRIFT_MAX_DEPTH];
    size_t depth = 0;
    mn_buf path = {0};
    stack[depth++] = (group_frame){d->schema[0].num_children, 0, 0, 0};
    mn_status status = MN_OK;
    for (size_t i = 1; i < d->n_schema && status == MN_OK;) {
        while (depth > 0 && stack[depth - 1].remaining == 0)
            depth--;
        if (depth == 0) {
            status = mn_error(MN_ERR_FORMAT, "the schema lists elements outside its tree");
            break;
        }
        group_frame *parent = &stack[depth - 1];
        const schema_element *e = &d->schema[i++];
        parent->remaining--;
        path.len = parent->path_len;
        if (path.len > 0)
            status = mn_buf_append_byte(&path, '.');
        if (status == MN_OK)
            status = mn_buf_append(&path, e->name, e->name_len);
        if (status != MN_OK)
            break;
        int definition = parent->definition + (e->repetition != PQ_REQUIRED);
        int repetition = parent->repetition + (e->repetition == PQ_REPEATED);
        if (e->num_children > 0) {
            if (depth == THRIFT_MAX_DEPTH || (size_t)e->num_children > d->n_schema - i) {
                status =
                    mn_error(MN_ERR_FORMAT, "the schema group %s is malformed", (char *)path.data);
                break;
            }
            stack[depth++] = (group_frame){e->num_children, definition, repetition, path.len};
            continue;
        }
        if (e->type < PQ_BOOLEAN || e->type > PQ_FIXED_LEN_BYTE_ARRAY) {
            status =
                mn_error(MN_ERR_FORMAT, "the schema leaf %s has no valid type", (char *)path.data);
            break;
        }
        pq_leaf *leaf = &meta->leaves[meta->n_leaves];
        leaf->path = mn_strndup((const char *)path.data, path.len);
        if (leaf->path == NULL) {
            status = MN_ERR_NOMEM;
            break;
        }
        meta->n_leaves++;
        leaf->type = e->type;
        leaf->type_length = e->type_length;
        leaf->converted_type = e->converted_type;
        leaf->unsigned_int = e->unsigned_int;
        leaf->max_definition = definition;
        leaf->max_repetition = repetition;
    }
    for (size_t k = 0; k < depth && status == MN_OK; k++)
        if (stack[k].remaining != 0)
            status = mn_error(MN_ERR_FORMAT, "the schema ends before its groups do");
    mn_buf_free(&path);
    return status;
}

mn_status pq_meta_decode(const uint8_t *data, size_t size, pq_meta *meta) {
    memset(meta, 0, sizeof *meta);
    meta_decoder d = {0};
    ingest_thrift t;
    ingest_thrift_init(&t, data, size);
    mn_status status = read_file_meta(&t, meta, &d);
    if (status == MN_ERR_LIMIT)
        status = mn_error(MN_ERR_FORMAT, "the footer metadata is cut short");
    if (status == MN_OK)
        status = flatten_schema(&d, meta);
    free(d.schema);
    if (status != MN_OK)
        pq_meta_free(meta);
    return status;
}

void pq_meta_free(pq_meta *meta) {
    for (size_t i = 0; i < meta->n_leaves; i++)
        free(meta->leaves[i].path);
    free(meta->leaves);
    for (size_t i = 0; i < meta->n_row_groups; i++)
        free(meta->row_groups[i].chunks);
    free(meta->row_groups);
    free(meta->created_by);
    memset(meta, 0, sizeof *meta);
}

/* ---- page headers ------------------------------------------------------------------------ */

static mn_status data_page_field(ingest_thrift *t, int16_t id, int type, pq_page_header *h,
                                 bool dictionary) {
    int32_t v;
    if (dictionary && id == 3)
        return ingest_thrift_skip(t, type); /* is_sorted */
    switch (id) {
        case 1:
            return ingest_thrift_i32(t, type, &h->num_values);
        case 2:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            h->encoding = v;
            return MN_OK;
        case 3:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            h->definition_encoding = v;
            return MN_OK;
        default:
            return ingest_thrift_skip(t, type);
    }
}

static mn_status data_page_v2_field(ingest_thrift *t, int16_t id, int type, pq_page_header *h) {
    int32_t v;
    int flag;
    switch (id) {
        case 1:
            return ingest_thrift_i32(t, type, &h->num_values);
        case 2:
            return ingest_thrift_i32(t, type, &h->num_nulls);
        case 3:
            return ingest_thrift_i32(t, type, &h->num_rows);
        case 4:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            h->encoding = v;
            return MN_OK;
        case 5:
            return ingest_thrift_i32(t, type, &h->definition_bytes);
        case 6:
            return ingest_thrift_i32(t, type, &h->repetition_bytes);
        case 7:
            MN_FORWARD_IF_ERROR(ingest_thrift_bool(type, &flag));
            h->is_compressed = flag;
            return MN_OK;
        default:
            return ingest_thrift_skip(t, type);
    }
}

static mn_status read_sub_header(ingest_thrift *t, int16_t which, pq_page_header *h) {
    int16_t id;
    int type;
    if (which == 8) {
        THRIFT_FIELDS(t, id, type, data_page_v2_field(t, id, type, h));
    } else {
        /* DataPageHeader and DictionaryPageHeader share fields 1 and 2. */
        THRIFT_FIELDS(t, id, type, data_page_field(t, id, type, h, which == 7));
    }
    return MN_OK;
}

static mn_status page_header_field(ingest_thrift *t, int16_t id, int type, pq_page_header *h) {
    int32_t v;
    switch (id) {
        case 1:
            MN_FORWARD_IF_ERROR(ingest_thrift_i32(t, type, &v));
            h->type = v;
            return MN_OK;
        case 2:
            return ingest_thrift_i32(t, type, &h->uncompressed_size);
        case 3:
            return ingest_thrift_i32(t, type, &h->compressed_size);
        case 5:
        case 7:
        case 8:
            if (type == THRIFT_STRUCT)
                return read_sub_header(t, id, h);
            return ingest_thrift_skip(t, type);
        default:
            return ingest_thrift_skip(t, type);
    }
}

mn_status pq_page_header_decode(const uint8_t *data, size_t size, pq_page_header *h) {
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = true;
    ingest_thrift t;
    ingest_thrift_init(&t, data, size);
    int16_t id;
    int type;
    {
        ingest_thrift *tp = &t;
        THRIFT_FIELDS(tp, id, type, page_header_field(tp, id, type, h));
    }
    h->header_size = ingest_thrift_offset(&t);
    MN_RETURN_ERROR_IF(h->uncompressed_size < 0 || h->compressed_size < 0 || h->num_values < 0 ||
                           h->num_nulls < 0 || h->definition_bytes < 0 || h->repetition_bytes < 0,
                       MN_ERR_FORMAT, "a page header holds a negative size");
    return MN_OK;
}
