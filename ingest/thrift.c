/* Thrift compact protocol reader (thrift.h). */
#include "ingest/thrift.h"

void ingest_thrift_init(ingest_thrift *t, const void *data, size_t size) {
    t->start = t->p = data;
    t->end = t->p + size;
    t->depth = 0;
}

size_t ingest_thrift_offset(const ingest_thrift *t) {
    return (size_t)(t->p - t->start);
}

static mn_status need_more(const ingest_thrift *t) {
    return mn_error(MN_ERR_LIMIT, "thrift data ends after %zu bytes", ingest_thrift_offset(t));
}

static mn_status varint(ingest_thrift *t, uint64_t *value) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (t->p >= t->end)
            return need_more(t);
        uint8_t byte = *t->p++;
        if (shift == 63 && (byte & 0x7e) != 0)
            return mn_error(MN_ERR_FORMAT, "a thrift varint overflows 64 bits at byte %zu",
                            ingest_thrift_offset(t));
        v |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *value = v;
            return MN_OK;
        }
    }
    return mn_error(MN_ERR_FORMAT, "a thrift varint is longer than 10 bytes at byte %zu",
                    ingest_thrift_offset(t));
}

static int64_t unzigzag(uint64_t v) {
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

mn_status ingest_thrift_field(ingest_thrift *t, int16_t *last, int16_t *id, int *type) {
    if (t->p >= t->end)
        return need_more(t);
    uint8_t byte = *t->p++;
    *type = byte & 0x0f;
    if (byte == 0) {
        *type = THRIFT_STOP;
        return MN_OK;
    }
    int delta = byte >> 4;
    if (delta != 0) {
        *id = (int16_t)(*last + delta);
    } else {
        uint64_t raw;
        MN_FORWARD_IF_ERROR(varint(t, &raw));
        int64_t value = unzigzag(raw);
        MN_RETURN_ERROR_IF(value < INT16_MIN || value > INT16_MAX, MN_ERR_FORMAT,
                           "a thrift field id is out of range at byte %zu",
                           ingest_thrift_offset(t));
        *id = (int16_t)value;
    }
    MN_RETURN_ERROR_IF(*type > THRIFT_STRUCT, MN_ERR_FORMAT,
                       "unknown thrift field type %d at byte %zu", *type, ingest_thrift_offset(t));
    *last = *id;
    return MN_OK;
}

mn_status ingest_thrift_i64(ingest_thrift *t, int type, int64_t *value) {
    if (type == THRIFT_I8) {
        if (t->p >= t->end)
            return need_more(t);
        *value = (int8_t)*t->p++;
        return MN_OK;
    }
    MN_RETURN_ERROR_IF(type != THRIFT_I16 && type != THRIFT_I32 && type != THRIFT_I64,
                       MN_ERR_FORMAT, "an integer was expected (thrift type %d) at byte %zu", type,
                       ingest_thrift_offset(t));
    uint64_t raw;
    MN_FORWARD_IF_ERROR(varint(t, &raw));
    *value = unzigzag(raw);
    return MN_OK;
}

mn_status ingest_thrift_i32(ingest_thrift *t, int type, int32_t *value) {
    int64_t v;
    MN_FORWARD_IF_ERROR(ingest_thrift_i64(t, type, &v));
    MN_RETURN_ERROR_IF(v < INT32_MIN || v > INT32_MAX, MN_ERR_FORMAT,
                       "a 32-bit integer is out of range at byte %zu", ingest_thrift_offset(t));
    *value = (int32_t)v;
    return MN_OK;
}

mn_status ingest_thrift_binary(ingest_thrift *t, int type, const uint8_t **data, size_t *size) {
    MN_RETURN_ERROR_IF(type != THRIFT_BINARY, MN_ERR_FORMAT,
                       "a string was expected (thrift type %d) at byte %zu", type,
                       ingest_thrift_offset(t));
    uint64_t len;
    MN_FORWARD_IF_ERROR(varint(t, &len));
    if (len > (uint64_t)(t->end - t->p))
        return need_more(t);
    *data = t->p;
    *size = (size_t)len;
    t->p += len;
    return MN_OK;
}

mn_status ingest_thrift_bool(int type, int *value) {
    MN_RETURN_ERROR_IF(type != THRIFT_TRUE && type != THRIFT_FALSE, MN_ERR_FORMAT,
                       "a bool was expected (thrift type %d)", type);
    *value = type == THRIFT_TRUE;
    return MN_OK;
}

mn_status ingest_thrift_list(ingest_thrift *t, int type, int *element_type, size_t *count) {
    MN_RETURN_ERROR_IF(type != THRIFT_LIST && type != THRIFT_SET, MN_ERR_FORMAT,
                       "a list was expected (thrift type %d) at byte %zu", type,
                       ingest_thrift_offset(t));
    if (t->p >= t->end)
        return need_more(t);
    uint8_t byte = *t->p++;
    uint64_t n = byte >> 4;
    *element_type = byte & 0x0f;
    if (n == 15)
        MN_FORWARD_IF_ERROR(varint(t, &n));
    MN_RETURN_ERROR_IF(*element_type == THRIFT_STOP || *element_type > THRIFT_STRUCT, MN_ERR_FORMAT,
                       "unknown thrift list element type %d at byte %zu", *element_type,
                       ingest_thrift_offset(t));
    if (n > (uint64_t)(t->end - t->p))
        return need_more(t);
    *count = (size_t)n;
    return MN_OK;
}

mn_status ingest_thrift_list_bool(ingest_thrift *t, int *value) {
    if (t->p >= t->end)
        return need_more(t);
    *value = *t->p++ == THRIFT_TRUE;
    return MN_OK;
}

mn_status ingest_thrift_struct_begin(ingest_thrift *t) {
    MN_RETURN_ERROR_IF(t->depth >= THRIFT_MAX_DEPTH, MN_ERR_FORMAT,
                       "thrift structs nested deeper than %d at byte %zu", THRIFT_MAX_DEPTH,
                       ingest_thrift_offset(t));
    t->depth++;
    return MN_OK;
}

void ingest_thrift_struct_end(ingest_thrift *t) {
    t->depth--;
}

/* An element of a list or map: booleans there take a byte each. */
static mn_status skip_element(ingest_thrift *t, int type) {
    int value;
    if (type == THRIFT_TRUE || type == THRIFT_FALSE)
        return ingest_thrift_list_bool(t, &value);
    return ingest_thrift_skip(t, type);
}

mn_status ingest_thrift_skip(ingest_thrift *t, int type) {
    int64_t ignored;
    const uint8_t *data;
    size_t size;
    switch (type) {
        case THRIFT_TRUE:
        case THRIFT_FALSE:
            return MN_OK;
        case THRIFT_I8:
        case THRIFT_I16:
        case THRIFT_I32:
        case THRIFT_I64:
            return ingest_thrift_i64(t, type, &ignored);
        case THRIFT_DOUBLE:
            if (t->end - t->p < 8)
                return need_more(t);
            t->p += 8;
            return MN_OK;
        case THRIFT_BINARY:
            return ingest_thrift_binary(t, type, &data, &size);
        case THRIFT_LIST:
        case THRIFT_SET: {
            int element;
            size_t count;
            MN_FORWARD_IF_ERROR(ingest_thrift_list(t, type, &element, &count));
            MN_FORWARD_IF_ERROR(ingest_thrift_struct_begin(t));
            for (size_t i = 0; i < count; i++) {
                mn_status status = skip_element(t, element);
                if (status != MN_OK) {
                    ingest_thrift_struct_end(t);
                    return status;
                }
            }
            ingest_thrift_struct_end(t);
            return MN_OK;
        }
        case THRIFT_MAP: {
            uint64_t count;
            MN_FORWARD_IF_ERROR(varint(t, &count));
            if (count == 0)
                return MN_OK;
            if (t->p >= t->end)
                return need_more(t);
            uint8_t types = *t->p++;
            int key = types >> 4, value = types & 0x0f;
            MN_RETURN_ERROR_IF(key == THRIFT_STOP || value == THRIFT_STOP || key > THRIFT_STRUCT ||
                                   value > THRIFT_STRUCT,
                               MN_ERR_FORMAT, "unknown thrift map types at byte %zu",
                               ingest_thrift_offset(t));
            if (count > (uint64_t)(t->end - t->p))
                return need_more(t);
            MN_FORWARD_IF_ERROR(ingest_thrift_struct_begin(t));
            mn_status status = MN_OK;
            for (uint64_t i = 0; i < count && status == MN_OK; i++) {
                status = skip_element(t, key);
                if (status == MN_OK)
                    status = skip_element(t, value);
            }
            ingest_thrift_struct_end(t);
            return status;
        }
        case THRIFT_STRUCT: {
            MN_FORWARD_IF_ERROR(ingest_thrift_struct_begin(t));
            int16_t last = 0, id;
            int field;
            mn_status status;
            for (;;) {
                status = ingest_thrift_field(t, &last, &id, &field);
                if (status != MN_OK || field == THRIFT_STOP)
                    break;
                status = ingest_thrift_skip(t, field);
                if (status != MN_OK)
                    break;
            }
            ingest_thrift_struct_end(t);
            return status;
        }
        default:
            return mn_error(MN_ERR_FORMAT, "unknown thrift type %d at byte %zu", type,
                            ingest_thrift_offset(t));
    }
}
