/* HTML to plain text, and character sets to UTF-8, for the WARC reader.
 *
 * The conversion keeps what a reader of the page sees as its text and drops the rest:
 *   - elements whose content is not prose are dropped whole: script, style, noscript,
 *     template, head (and title), nav, header, footer, aside, form and its controls
 *     (button, select, textarea), svg, math, iframe, object, canvas, audio, video, dialog;
 *     and any element marked hidden, aria-hidden="true", or with an ARIA landmark role of
 *     the same kinds (navigation, banner, contentinfo, complementary, search);
 *   - block elements end paragraphs ("\n\n": p, div, headings, lists, tables, sections...),
 *     line-level ones end lines ("\n": br, li, tr, dt, dd...), table cells are separated by a
 *     space; runs of white space collapse to one space except inside pre;
 *   - named (all 2231 of HTML5) and numeric character references are decoded as browsers do
 *     (U+0080..U+009F as Windows-1252, invalid code points as U+FFFD, the legacy names also
 *     without ';');
 *   - comments, doctypes and processing instructions are dropped.
 * Parsing is one pass over the bytes with a bounded stack of open elements: an end tag
 * closes the elements opened after its start tag (so an unclosed <nav> ends with its
 * parent), and unknown or malformed markup never makes the converter fail or loop.
 */
#ifndef MNEMO_INGEST_HTML_H
#define MNEMO_INGEST_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/mem.h"

/* Appends the text of the UTF-8 HTML document html[0..n) to `out`, without leading or
 * trailing white space. */
mn_status ingest_html_to_text(const char *html, size_t n, mn_buf *out);

/* Appends text[0..n) with character references decoded (no other processing). */
mn_status ingest_html_decode_entities(const char *text, size_t n, mn_buf *out);

/* The charset named in a Content-Type value ("text/html; charset=ISO-8859-1"), lowercased
 * into `charset`; false when it names none. */
bool ingest_charset_from_content_type(const char *value, size_t n, char *charset, size_t size);

/* The charset an HTML document declares in its first 1024 bytes (<meta charset=...> or
 * <meta http-equiv="Content-Type" content="...; charset=...">), as HTML5's prescan finds
 * it; false when none. */
bool ingest_html_meta_charset(const char *html, size_t n, char *charset, size_t size);

/* Converts text in `charset` to UTF-8, appending to `out`. UTF-8 (and unknown or empty
 * names) are copied as they are; ISO-8859-1, US-ASCII and Windows-1252 (which HTML treats
 * as one) through the Windows-1252 table; other charsets through iconv, with bytes that do
 * not convert written as U+FFFD. `cache` keeps the last iconv handle (zero-initialise; free
 * with ingest_charset_cache_free). */
typedef struct ingest_charset_cache {
    char name[48];
    void *handle; /* iconv_t, or NULL */
    bool failed;  /* iconv does not know `name` */
} ingest_charset_cache;

mn_status ingest_charset_to_utf8(ingest_charset_cache *cache, const char *charset, const char *in,
                                 size_t n, mn_buf *out);
void ingest_charset_cache_free(ingest_charset_cache *cache);

/* The named character references (html_entities.c, generated), sorted by name. */
typedef struct ingest_html_entity {
    const char *name;  /* "amp;", "amp", "NotEqualTilde;", ... */
    const char *value; /* UTF-8 */
} ingest_html_entity;

extern const ingest_html_entity ingest_html_entities[];
extern const size_t ingest_html_entity_count;

#endif
