/* Text normalisation, the first step every document goes through in mnemo-ingest.
 *
 * In order:
 *  1. UTF-8 repair: every ill-formed sequence becomes U+FFFD, one replacement per "maximal
 *     subpart" (Unicode 15, section 3.9, "U+FFFD Substitution of Maximal Subparts"; the
 *     WHATWG encoding standard does the same), so "\xE2\x82" is one U+FFFD, "\xC0\xAF" two.
 *  2. Newlines and controls: CR LF and lone CR become LF; VT, FF, U+0085 (NEL) and U+2028
 *     become LF, U+2029 a paragraph break (two LFs); other C0 controls (U+0000 included),
 *     DEL, C1 controls and U+FEFF (byte order mark / zero-width no-break space) are removed.
 *     TAB is kept.
 *  3. Whitespace: spaces and tabs at the end of a line are removed, three or more line
 *     breaks collapse to two (one blank line = a paragraph break), and the document is
 *     trimmed of whitespace at both ends.
 *  4. Unicode NFC (utf8proc). Text made only of "inert" code points (ingest_nfc_inert) is
 *     already NFC and skips utf8proc: that is nearly all text, which makes NFC cheap.
 *
 * The output is valid UTF-8 in NFC without NUL bytes; a normalised text normalises to
 * itself (the function is idempotent), which exact deduplication relies on.
 */
#ifndef MNEMO_INGEST_NORMALIZE_H
#define MNEMO_INGEST_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/mem.h"

typedef struct ingest_normalize_stats {
    uint64_t invalid_sequences; /* ill-formed UTF-8 sequences replaced by U+FFFD */
    uint64_t controls_removed;  /* control characters and BOMs dropped */
    bool nfc_changed;           /* NFC changed the text */
} ingest_normalize_stats;

/* Normalises `len` bytes of `text` into `out` (cleared first; NUL-terminated after the
 * call). `scratch` is a work buffer the caller keeps between calls to avoid allocations.
 * Fails only when memory runs out (or utf8proc reports an internal error). */
mn_status ingest_normalize(const char *text, size_t len, mn_buf *out, mn_buf *scratch,
                           ingest_normalize_stats *stats);

/* Step 1 alone: appends `text` with ill-formed sequences replaced to `out`; returns the
 * number of replacements. Exposed for tests. */
mn_status ingest_utf8_repair(const char *text, size_t len, mn_buf *out, uint64_t *replaced);

/* True when `cp` cannot take part in any NFC change: combining class 0, NFC by itself, and
 * never composing with a preceding character. Built from utf8proc's tables on first use. */
bool ingest_nfc_inert(uint32_t cp);

/* Length of the well-formed UTF-8 sequence starting at s[0] (1..4), or 0 when s[0] starts an
 * ill-formed one; `avail` bytes are readable. Sets *subpart to the length of the maximal
 * subpart to replace in that case. */
size_t ingest_utf8_sequence(const uint8_t *s, size_t avail, size_t *subpart);

#endif
