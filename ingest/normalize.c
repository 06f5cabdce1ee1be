#include "ingest/normalize.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Bytes copied as they are: printable ASCII, space and tab. Everything else goes through
 * the slow path (newlines, controls, multi-byte sequences). */
static bool plain_ascii[256];
static bool plain_ready;

static void plain_init(void) {
    if (plain_ready)
        return;
    for (int c = 0x20; c < 0x7f; c++)
        plain_ascii[c] = true;
    plain_ascii['\t'] = true;
    plain_ready = true; /* benign race: every thread writes the same values */
}

size_t ingest_utf8_sequence(const uint8_t *s, size_t avail, size_t *subpart) {
    uint8_t b0 = s[0];
    *subpart = 1;
    if (b0 < 0x80)
        return 1;
    /* Unicode Table 3-7: the allowed range of the second byte depends on the first; later
     * bytes are always 80..BF. */
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 3;
        if (b0 == 0xe0)
            lo = 0xa0;
        else if (b0 == 0xed)
            hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 4;
        if (b0 == 0xf0)
            lo = 0x90;
        else if (b0 == 0xf4)
            hi = 0x8f;
    } else {
        return 0; /* 80..C1, F5..FF never start a sequence */
    }
    for (size_t k = 1; k < need; k++) {
        if (k >= avail) {
            *subpart = k;
            return 0;
        }
        uint8_t b = s[k];
        bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf);
        if (!ok) {
            *subpart = k;
            return 0;
        }
    }
    return need;
}

static uint32_t utf8_decode(const uint8_t *s, size_t n) {
    switch (n) {
        case 1:
            return s[0];
        case 2:
            return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        case 3:
            return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        default:
            return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
                   ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
    }
}

static const uint8_t replacement[3] = {0xef, 0xbf, 0xbd};

/* NFC quick check. A code point is "inert" when text containing it can only change under
 * NFC because of other code points: its combining class is 0, it is NFC itself, and it is
 * never a non-first element of a canonical decomposition (so it never composes with what
 * precedes it). Text whose code points are all inert is already NFC, and skips utf8proc;
 * that is almost all web text, whose curly quotes, dashes and accented letters are inert.
 * The table (one bit per code point, 136 KiB) is built from utf8proc's own data on first
 * use. */
static uint8_t *inert_bits;

static void mark_not_inert(uint8_t *bits, utf8proc_int32_t cp) {
    if (cp >= 0 && cp < 0x110000)
        bits[cp >> 3] &= (uint8_t) ~(1u << (cp & 7));
}

static void inert_init(void) {
    if (inert_bits != NULL)
        return;
    uint8_t *bits = malloc(0x110000 / 8);
    if (bits == NULL)
        return; /* without the table every text takes the slow, always-correct path */
    memset(bits, 0xff, 0x110000 / 8);
    for (utf8proc_int32_t cp = 0; cp < 0x110000; cp++) {
        const utf8proc_property_t *p = utf8proc_get_property(cp);
        if (p->combining_class != 0)
            mark_not_inert(bits, cp);
        if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0)
            continue; /* no canonical decomposition */
        utf8proc_int32_t parts[32];
        int last = 0;
        utf8proc_ssize_t n = utf8proc_decompose_char(cp, parts, 32, UTF8PROC_DECOMPOSE, &last);
        if (n < 1 || n > 32) {
            mark_not_inert(bits, cp);
            continue;
        }
        for (utf8proc_ssize_t k = 1; k < n; k++)
            mark_not_inert(bits, parts[k]);
        /* Itself NFC? (false for singletons and excluded compositions) */
        utf8proc_uint8_t buf[8], *nfc = NULL;
        utf8proc_ssize_t len = utf8proc_encode_char(cp, buf);
        utf8proc_ssize_t m = utf8proc_map(buf, len, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (m != len || memcmp(nfc, buf, (size_t)len) != 0)
            mark_not_inert(bits, cp);
        free(nfc);
    }
    /* Hangul composes algorithmically: vowel and trailing jamo are seconds (the loop above
     * found them through the syllables' decompositions; this states it for the reader). */
    for (utf8proc_int32_t cp = 0x1161; cp <= 0x11c2; cp++)
        mark_not_inert(bits, cp);
    inert_bits = bits; /* benign race: a second builder builds the same table */
}

bool ingest_nfc_inert(uint32_t cp) {
    inert_init();
    if (inert_bits == NULL || cp >= 0x110000)
        return false;
    return (inert_bits[cp >> 3] >> (cp & 7)) & 1;
}

mn_status ingest_utf8_repair(const char *text, size_t len, mn_buf *out, uint64_t *replaced) {
    const uint8_t *s = (const uint8_t *)text;
    uint64_t count = 0;
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, len + 1));
    size_t i = 0, run = 0;
    while (i < len) {
        size_t subpart, n = s[i] < 0x80 ? 1 : ingest_utf8_sequence(s + i, len - i, &subpart);
        if (n > 0) {
            i += n;
            continue;
        }
        MN_FORWARD_IF_ERROR(mn_buf_append(out, s + run, i - run));
        MN_FORWARD_IF_ERROR(mn_buf_append(out, replacement, 3));
        count++;
        i += subpart;
        run = i;
    }
    MN_FORWARD_IF_ERROR(mn_buf_append(out, s + run, len - run));
    if (replaced != NULL)
        *replaced = count;
    return MN_OK;
}

/* Appends one line break to the cleaned text: drops trailing spaces and tabs first, never
 * starts the text with a break and never writes a third break in a row. */
static mn_status append_break(mn_buf *out) {
    while (out->len > 0 && (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\t'))
        out->len--;
    if (out->len == 0)
        return MN_OK;
    if (out->len >= 2 && out->data[out->len - 1] == '\n' && out->data[out->len - 2] == '\n')
        return MN_OK;
    return mn_buf_append_byte(out, '\n');
}

static bool is_space_byte(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n';
}

/* Steps 1-3 in one pass. Returns whether a code point that is not NFC-inert was seen, i.e.
 * whether NFC could change anything. */
static mn_status clean_pass(const uint8_t *s, size_t len, mn_buf *out,
                            ingest_normalize_stats *stats, bool *may_need_nfc) {
    plain_init();
    mn_buf_clear(out);
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, len + 1));
    bool high = false;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && plain_ascii[s[j]])
            j++;
        if (j > i) {
            /* Leading whitespace of the document is dropped here, cheaply. */
            if (out->len == 0)
                while (i < j && (s[i] == ' ' || s[i] == '\t'))
                    i++;
            MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, j - i));
            i = j;
            continue;
        }
        uint8_t c = s[i];
        if (c == '\n' || c == 0x0b || c == 0x0c) {
            MN_FORWARD_IF_ERROR(append_break(out));
            i++;
        } else if (c == '\r') {
            MN_FORWARD_IF_ERROR(append_break(out));
            i++;
            if (i < len && s[i] == '\n')
                i++;
        } else if (c < 0x80) {
            stats->controls_removed++; /* other C0 controls and DEL */
            i++;
        } else {
            size_t subpart, n = ingest_utf8_sequence(s + i, len - i, &subpart);
            if (n == 0) {
                MN_FORWARD_IF_ERROR(mn_buf_append(out, replacement, 3));
                stats->invalid_sequences++;
                i += subpart;
                continue;
            }
            uint32_t cp = utf8_decode(s + i, n);
            if (cp == 0x85 || cp == 0x2028) {
                MN_FORWARD_IF_ERROR(append_break(out));
            } else if (cp == 0x2029) {
                MN_FORWARD_IF_ERROR(append_break(out));
                MN_FORWARD_IF_ERROR(append_break(out));
            } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xfeff) {
                stats->controls_removed++;
            } else {
                MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, n));
                if (cp >= 0x300 && !high && !ingest_nfc_inert(cp))
                    high = true;
            }
            i += n;
        }
    }
    while (out->len > 0 && is_space_byte(out->data[out->len - 1]))
        out->len--;
    if (out->data != NULL)
        out->data[out->len] = 0;
    *may_need_nfc = high;
    return MN_OK;
}

mn_status ingest_normalize(const char *text, size_t len, mn_buf *out, mn_buf *scratch,
                           ingest_normalize_stats *stats) {
    ingest_normalize_stats local = {0};
    bool need_nfc = false;
    MN_FORWARD_IF_ERROR(clean_pass((const uint8_t *)text, len, out, &local, &need_nfc));
    if (need_nfc && out->len > 0) {
        /* The sequence of utf8proc_map_custom, with a buffer we keep: decompose (canonical,
         * combining marks reordered), then recompose and re-encode in place. */
        const utf8proc_option_t options = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        /* One code point of room is kept back: reencode writes a terminating NUL. */
        utf8proc_ssize_t cap =
            scratch->cap >= 8 ? (utf8proc_ssize_t)(scratch->cap / sizeof(utf8proc_int32_t)) - 1 : 0;
        utf8proc_ssize_t n;
        for (;;) {
            n = utf8proc_decompose(out->data, (utf8proc_ssize_t)out->len,
                                   (utf8proc_int32_t *)scratch->data, cap, options);
            MN_RETURN_ERROR_IF(n < 0, MN_ERR_EXTERNAL, "utf8proc: %s", utf8proc_errmsg(n));
            if (n <= cap)
                break;
            mn_buf_clear(scratch);
            MN_FORWARD_IF_ERROR(mn_buf_reserve(scratch, ((size_t)n + 1) * 4 + 1));
            cap = (utf8proc_ssize_t)(scratch->cap / sizeof(utf8proc_int32_t)) - 1;
        }
        utf8proc_ssize_t bytes = utf8proc_reencode((utf8proc_int32_t *)scratch->data, n, options);
        MN_RETURN_ERROR_IF(bytes < 0, MN_ERR_EXTERNAL, "utf8proc: %s", utf8proc_errmsg(bytes));
        if ((size_t)bytes != out->len || memcmp(scratch->data, out->data, out->len) != 0) {
            local.nfc_changed = true;
            mn_buf_clear(out);
            MN_FORWARD_IF_ERROR(mn_buf_append(out, scratch->data, (size_t)bytes));
        }
    }
    if (out->data == NULL)
        MN_FORWARD_IF_ERROR(mn_buf_reserve(out, 1));
    out->data[out->len] = 0;
    if (stats != NULL) {
        stats->invalid_sequences += local.invalid_sequences;
        stats->controls_removed += local.controls_removed;
        stats->nfc_changed = stats->nfc_changed || local.nfc_changed;
    }
    return MN_OK;
}
