/* Fuzz target: HTML to text, character references, charset detection and conversion. The
 * text never starts or ends with white space, whatever the markup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *html = (const char *)data;
    mn_buf out = {0};
    if (ingest_html_to_text(html, size, &out) != MN_OK)
        abort();
    if (out.len > 0 && (is_space(out.data[0]) || is_space(out.data[out.len - 1])))
        abort();
    mn_buf_clear(&out);
    if (ingest_html_decode_entities(html, size, &out) != MN_OK)
        abort();
    char charset[48];
    ingest_html_meta_charset(html, size, charset, sizeof charset);
    ingest_charset_from_content_type(html, size, charset, sizeof charset);
    ingest_charset_cache cache = {0};
    const char *charsets[] = {"windows-1252", "shift_jis", "utf-16le"};
    for (int i = 0; i < 3; i++) {
        mn_buf_clear(&out);
        if (ingest_charset_to_utf8(&cache, charsets[i], html, size, &out) != MN_OK)
            abort();
    }
    ingest_charset_cache_free(&cache);
    mn_buf_free(&out);
    return 0;
}
