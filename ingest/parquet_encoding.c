/* Parquet's value encodings that need state: the RLE / bit-packed hybrid and
 * DELTA_BINARY_PACKED (parquet.h has their byte layouts). */
#include <string.h>

#include "ingest/parquet.h"

static mn_status uleb128(const uint8_t **p, const uint8_t *end, uint64_t *value) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return mn_error(MN_ERR_FORMAT, "encoded values end inside a varint");
        uint8_t byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            *value = v;
            return MN_OK;
        }
    }
    return mn_error(MN_ERR_FORMAT, "a varint in encoded values is too long");
}

static int64_t unzigzag(uint64_t v) {
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* `width` bits (0..64) at bit offset `bit` of base[0..size), least significant first. */
static bool read_bits(const uint8_t *base, size_t size, uint64_t bit, int width, uint64_t *out) {
    if (width == 0) {
        *out = 0;
        return true;
    }
    uint64_t first = bit / 8, last = (bit + (uint64_t)width - 1) / 8;
    if (last >= size)
        return false;
    unsigned __int128 acc = 0;
    for (uint64_t k = last + 1; k-- > first;)
        acc = (acc << 8) | base[k];
    acc >>= bit % 8;
    *out = width == 64 ? (uint64_t)acc : (uint64_t)acc & ((UINT64_C(1) << width) - 1);
    return true;
}

void pq_rle_init(pq_rle *rle, const uint8_t *data, size_t size, int width) {
    memset(rle, 0, sizeof *rle);
    rle->p = data;
    rle->end = data + size;
    rle->width = width;
}

static mn_status next_run(pq_rle *rle) {
    while (rle->run_left == 0) {
        MN_RETURN_ERROR_IF(rle->width < 0 || rle->width > 32, MN_ERR_FORMAT,
                           "bit width %d is out of range", rle->width);
        uint64_t header;
        MN_FORWARD_IF_ERROR(uleb128(&rle->p, rle->end, &header));
        if (header & 1) {
            uint64_t groups = header >> 1;
            MN_RETURN_ERROR_IF(groups > (UINT64_C(1) << 40), MN_ERR_FORMAT,
                               "a bit-packed run is too long");
            uint64_t bytes = groups * (uint64_t)rle->width;
            rle->packed = true;
            rle->group = rle->p;
            rle->bit = 0;
            rle->run_left = groups * 8;
            /* The last run of a page may be cut short; its values are checked as read. */
            size_t avail = (size_t)(rle->end - rle->p);
            rle->p += bytes < avail ? bytes : avail;
        } else {
            int bytes = (rle->width + 7) / 8;
            MN_RETURN_ERROR_IF(rle->end - rle->p < bytes, MN_ERR_FORMAT,
                               "encoded values end inside a run");
            uint32_t value = 0;
            for (int k = 0; k < bytes; k++)
                value |= (uint32_t)rle->p[k] << (8 * k);
            rle->p += bytes;
            rle->packed = false;
            rle->value = value;
            rle->run_left = header >> 1;
        }
    }
    return MN_OK;
}

mn_status pq_rle_next(pq_rle *rle, uint32_t *value) {
    MN_FORWARD_IF_ERROR(next_run(rle));
    if (rle->packed) {
        uint64_t v;
        if (!read_bits(rle->group, (size_t)(rle->p - rle->group), rle->bit, rle->width, &v))
            return mn_error(MN_ERR_FORMAT, "encoded values end inside a bit-packed run");
        rle->bit += (uint64_t)rle->width;
        *value = (uint32_t)v;
    } else {
        *value = rle->value;
    }
    rle->run_left--;
    return MN_OK;
}

uint64_t pq_rle_run(const pq_rle *rle, uint32_t *value) {
    if (rle->packed || rle->run_left == 0)
        return 0;
    *value = rle->value;
    return rle->run_left;
}

void pq_rle_skip_run(pq_rle *rle, uint64_t n) {
    if (!rle->packed)
        rle->run_left -= n <= rle->run_left ? n : rle->run_left;
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------------------ */

static mn_status delta_header(const uint8_t **p, const uint8_t *end, pq_delta *d) {
    uint64_t first;
    MN_FORWARD_IF_ERROR(uleb128(p, end, &d->block_size));
    MN_FORWARD_IF_ERROR(uleb128(p, end, &d->miniblocks));
    MN_FORWARD_IF_ERROR(uleb128(p, end, &d->total));
    MN_FORWARD_IF_ERROR(uleb128(p, end, &first));
    MN_RETURN_ERROR_IF(d->miniblocks == 0 || d->miniblocks > 4096 || d->block_size == 0 ||
                           d->block_size > (1u << 24) || d->block_size % d->miniblocks != 0,
                       MN_ERR_FORMAT,
                       "a delta-encoded block has a bad layout (%llu values in "
                       "%llu miniblocks)",
                       (unsigned long long)d->block_size, (unsigned long long)d->miniblocks);
    d->per_miniblock = d->block_size / d->miniblocks;
    MN_RETURN_ERROR_IF(d->per_miniblock % 8 != 0, MN_ERR_FORMAT,
                       "delta-encoded miniblocks of %llu values are not whole bytes",
                       (unsigned long long)d->per_miniblock);
    d->last = unzigzag(first);
    return MN_OK;
}

mn_status pq_delta_init(pq_delta *d, const uint8_t *data, size_t size) {
    memset(d, 0, sizeof *d);
    d->p = data;
    d->end = data + size;
    return delta_header(&d->p, d->end, d);
}

/* Starts the next block: its min delta and bit widths. */
static mn_status start_block(pq_delta *d) {
    uint64_t min_delta;
    MN_FORWARD_IF_ERROR(uleb128(&d->p, d->end, &min_delta));
    MN_RETURN_ERROR_IF((uint64_t)(d->end - d->p) < d->miniblocks, MN_ERR_FORMAT,
                       "delta-encoded values end inside a block header");
    d->min_delta = unzigzag(min_delta);
    d->widths = d->p;
    d->p += d->miniblocks;
    for (uint64_t m = 0; m < d->miniblocks; m++)
        MN_RETURN_ERROR_IF(d->widths[m] > 64, MN_ERR_FORMAT,
                           "a delta-encoded miniblock has bit width %d", d->widths[m]);
    d->miniblock = 0;
    d->in_miniblock = 0;
    d->data = d->p;
    return MN_OK;
}

mn_status pq_delta_next(pq_delta *d, int64_t *value) {
    MN_RETURN_ERROR_IF(d->produced >= d->total, MN_ERR_FORMAT,
                       "more delta-encoded values are needed than the %llu encoded",
                       (unsigned long long)d->total);
    if (d->produced++ == 0) {
        *value = d->last;
        return MN_OK;
    }
    if (d->widths == NULL) {
        MN_FORWARD_IF_ERROR(start_block(d));
    } else if (d->in_miniblock == d->per_miniblock) {
        /* Past this miniblock's bits to the next miniblock, or the next block. */
        uint64_t bytes = d->widths[d->miniblock] * d->per_miniblock / 8;
        MN_RETURN_ERROR_IF(bytes > (uint64_t)(d->end - d->data), MN_ERR_FORMAT,
                           "delta-encoded values end inside a miniblock");
        d->data += bytes;
        d->p = d->data;
        d->in_miniblock = 0;
        if (++d->miniblock == d->miniblocks)
            MN_FORWARD_IF_ERROR(start_block(d));
    }
    int width = d->widths[d->miniblock];
    uint64_t delta;
    if (!read_bits(d->data, (size_t)(d->end - d->data), d->in_miniblock * (uint64_t)width, width,
                   &delta))
        return mn_error(MN_ERR_FORMAT, "delta-encoded values end inside a miniblock");
    d->in_miniblock++;
    /* Two's complement wrap-around, as the writers compute it. */
    d->last = (int64_t)((uint64_t)d->last + (uint64_t)d->min_delta + delta);
    *value = d->last;
    return MN_OK;
}

mn_status pq_delta_end(const uint8_t *data, size_t size, const uint8_t **end_out) {
    pq_delta d;
    memset(&d, 0, sizeof d);
    const uint8_t *p = data, *end = data + size;
    MN_FORWARD_IF_ERROR(delta_header(&p, end, &d));
    uint64_t remaining = d.total > 0 ? d.total - 1 : 0;
    while (remaining > 0) {
        uint64_t min_delta;
        MN_FORWARD_IF_ERROR(uleb128(&p, end, &min_delta));
        MN_RETURN_ERROR_IF((uint64_t)(end - p) < d.miniblocks, MN_ERR_FORMAT,
                           "delta-encoded values end inside a block header");
        const uint8_t *widths = p;
        p += d.miniblocks;
        for (uint64_t m = 0; m < d.miniblocks && remaining > 0; m++) {
            MN_RETURN_ERROR_IF(widths[m] > 64, MN_ERR_FORMAT,
                               "a delta-encoded miniblock has bit width %d", widths[m]);
            uint64_t bytes = widths[m] * d.per_miniblock / 8;
            MN_RETURN_ERROR_IF(bytes > (uint64_t)(end - p), MN_ERR_FORMAT,
                               "delta-encoded values end inside a miniblock");
            p += bytes;
            remaining -= remaining < d.per_miniblock ? remaining : d.per_miniblock;
        }
    }
    *end_out = p;
    return MN_OK;
}
