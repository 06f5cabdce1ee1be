/* Internal interfaces between the filter files (not for other components). */
#ifndef MNEMO_INGEST_FILTERS_INTERNAL_H
#define MNEMO_INGEST_FILTERS_INTERNAL_H

#include "common/mem.h"
#include "ingest/filters.h"
#include "ingest/text.h"

struct ingest_filters {
    ingest_filter_config config;
    ingest_text text;
    ingest_ngram_table *table;
    mn_buf cleaned; /* text after line cleanup */
};

/* Gopher quality measures of an analysed text (filters_gopher.c). */
typedef struct ingest_quality_measures {
    double non_symbol_words; /* words with a letter or a digit */
    double mean_word_length; /* mean core length of those words, in characters */
    double hash_ratio;       /* '#' characters per word */
    double ellipsis_ratio;   /* "..." (non-overlapping) and U+2026 per word */
    double bullet_lines;     /* fraction of lines starting with a bullet */
    double ellipsis_lines;   /* fraction of lines ending with "..." or U+2026 */
    double alpha_words;      /* fraction of words with a letter */
    double stop_words;       /* distinct Gopher stop words present */
} ingest_quality_measures;

void ingest_quality_measure(const ingest_text *t, ingest_quality_measures *m);

/* Gopher duplicate line and paragraph measures (filters_repetition.c). */
typedef struct ingest_dup_measures {
    double line_fraction, paragraph_fraction; /* repeated items / items */
    double line_chars, paragraph_chars;       /* characters in repeated items / characters */
} ingest_dup_measures;

mn_status ingest_dup_lines_measure(ingest_ngram_table *table, const ingest_text *t,
                                   ingest_dup_measures *m);

/* Line-wise corrections (filters_lines.c): writes the text without boilerplate lines into
 * `out` (only meaningful when lines_removed > 0). */
typedef struct ingest_line_cleanup_result {
    uint32_t lines_removed;
    uint32_t words_removed;
} ingest_line_cleanup_result;

mn_status ingest_line_cleanup(const ingest_text *t, double max_short_words, double min_upper,
                              mn_buf *out, ingest_line_cleanup_result *result);

#endif
