/* Character sets to UTF-8 (html.h): a table for Windows-1252 and the labels HTML maps to
 * it, iconv (glibc) for the others. */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "ingest/html.h"
#include "ingest/json.h"

/* WHATWG Encoding: these labels all mean windows-1252. */
static const char *const windows_1252_labels[] = {
    "windows-1252", "cp1252",         "x-cp1252",        "iso-8859-1",  "iso8859-1",
    "iso_8859-1",   "iso88591",       "iso-ir-100",      "latin1",      "latin-1",
    "l1",           "cp819",          "ibm819",          "csisolatin1", "us-ascii",
    "ascii",        "ansi_x3.4-1968", "iso_8859-1:1987", NULL};
static const char *const utf8_labels[] = {"utf-8", "utf8", "unicode-1-1-utf-8", "", NULL};

static bool is_label(const char *charset, const char *const *labels) {
    for (; *labels != NULL; labels++)
        if (strcmp(charset, *labels) == 0)
            return true;
    return false;
}

static const unsigned short windows_1252_high[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};

static mn_status windows_1252_to_utf8(const unsigned char *in, size_t n, mn_buf *out) {
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, n * 3));
    for (size_t i = 0; i < n; i++) {
        unsigned cp = in[i];
        if (cp < 0x80) {
            out->data[out->len++] = (uint8_t)cp;
            continue;
        }
        if (cp < 0xa0)
            cp = windows_1252_high[cp - 0x80];
        if (cp < 0x800) {
            out->data[out->len++] = (uint8_t)(0xc0 | (cp >> 6));
            out->data[out->len++] = (uint8_t)(0x80 | (cp & 0x3f));
        } else {
            out->data[out->len++] = (uint8_t)(0xe0 | (cp >> 12));
            out->data[out->len++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
            out->data[out->len++] = (uint8_t)(0x80 | (cp & 0x3f));
        }
    }
    out->data[out->len] = '\0';
    return MN_OK;
}

void ingest_charset_cache_free(ingest_charset_cache *cache) {
    if (cache->handle != NULL)
        iconv_close((iconv_t)cache->handle);
    memset(cache, 0, sizeof *cache);
}

static mn_status iconv_to_utf8(iconv_t cd, const char *in, size_t n, mn_buf *out) {
    iconv(cd, NULL, NULL, NULL, NULL); /* reset the shift state */
    char *src = (char *)in;
    size_t left = n;
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, 0));
    while (left > 0) {
        MN_FORWARD_IF_ERROR(mn_buf_reserve(out, left * 4 + 16));
        char *dst = (char *)out->data + out->len;
        size_t room = out->cap - out->len - 1, before = room;
        size_t rc = iconv(cd, &src, &left, &dst, &room);
        out->len += before - room;
        if (rc == (size_t)-1) {
            if (errno == E2BIG)
                continue;
            /* EILSEQ or EINVAL (a sequence cut at the end): one byte becomes U+FFFD. */
            MN_FORWARD_IF_ERROR(mn_buf_append(out, "\xef\xbf\xbd", 3));
            src++;
            left--;
            iconv(cd, NULL, NULL, NULL, NULL);
        }
    }
    out->data[out->len] = '\0';
    return MN_OK;
}

mn_status ingest_charset_to_utf8(ingest_charset_cache *cache, const char *charset, const char *in,
                                 size_t n, mn_buf *out) {
    if (charset == NULL || is_label(charset, utf8_labels))
        return mn_buf_append(out, in, n);
    if (is_label(charset, windows_1252_labels))
        return windows_1252_to_utf8((const unsigned char *)in, n, out);
    if (strcmp(cache->name, charset) != 0) {
        ingest_charset_cache_free(cache);
        strncpy(cache->name, charset, sizeof cache->name - 1);
        iconv_t cd = iconv_open("UTF-8", charset);
        if (cd == (iconv_t)-1)
            cache->failed = true;
        else
            cache->handle = cd;
    }
    if (cache->failed)
        return mn_buf_append(out, in, n); /* unknown: taken as UTF-8, repaired later */
    return iconv_to_utf8((iconv_t)cache->handle, in, n, out);
}
