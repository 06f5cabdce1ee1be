/* Quality filters of mnemo-ingest: Gopher (MassiveText) quality and repetition rules,
 * RefinedWeb's line-wise corrections, and a simple English filter.
 *
 * Every rule has a name (used on the command line, in the report and in the manifest's
 * counters "filter.<name>.docs"), can be switched off, and has thresholds with the
 * published defaults (docs/ingest.md cites the source of each number):
 *
 *   rule                 parameters (default)            removes a document when
 *   english (off)        min_stop_fraction (0.15)        English stop words < fraction of words
 *                        min_latin_fraction (0.90)       or Latin letters < fraction of letters
 *   word_count           min (50), max (100000)          non-symbol words outside [min, max]
 *   mean_word_length     min (3), max (10)               mean core length outside [min, max]
 *   hash_ratio           max (0.1)                       '#' per word > max
 *   ellipsis_ratio       max (0.1)                       "..." and U+2026 per word > max
 *   bullet_lines         max (0.9)                       lines starting with a bullet > max
 *   ellipsis_lines       max (0.3)                       lines ending with an ellipsis > max
 *   alpha_words          min (0.8)                       words with a letter < min
 *   stop_words           min (2)                         distinct Gopher stop words < min
 *   dup_line_fraction        max (0.30)   duplicate lines / lines
 *   dup_paragraph_fraction   max (0.30)   duplicate paragraphs / paragraphs
 *   dup_line_chars           max (0.20)   characters in duplicate lines / characters
 *   dup_paragraph_chars      max (0.20)   characters in duplicate paragraphs / characters
 *   top_2gram, top_3gram, top_4gram  max (0.20, 0.18, 0.16)  characters covered by the most
 *                                        frequent n-gram / word characters
 *   dup_5gram .. dup_10gram  max (0.15, 0.14, 0.13, 0.12, 0.11, 0.10)  characters covered by
 *                                        repeated n-grams / word characters
 *   line_cleanup         max_removed_words (0.05), max_short_words (10), min_upper (0.5):
 *                        removes boilerplate lines; drops the document when the removed lines
 *                        hold more than max_removed_words of its words
 *
 * Rules run in the order above (the English filter first, then Gopher quality, Gopher
 * repetition, then line-wise corrections as RefinedWeb does); the first rule a document
 * fails removes it and is the one counted.
 */
#ifndef MNEMO_INGEST_FILTERS_H
#define MNEMO_INGEST_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/mem.h"
#include "ingest/text.h"

typedef enum ingest_rule {
    INGEST_RULE_ENGLISH = 0,
    INGEST_RULE_WORD_COUNT,
    INGEST_RULE_MEAN_WORD_LENGTH,
    INGEST_RULE_HASH_RATIO,
    INGEST_RULE_ELLIPSIS_RATIO,
    INGEST_RULE_BULLET_LINES,
    INGEST_RULE_ELLIPSIS_LINES,
    INGEST_RULE_ALPHA_WORDS,
    INGEST_RULE_STOP_WORDS,
    INGEST_RULE_DUP_LINE_FRACTION,
    INGEST_RULE_DUP_PARAGRAPH_FRACTION,
    INGEST_RULE_DUP_LINE_CHARS,
    INGEST_RULE_DUP_PARAGRAPH_CHARS,
    INGEST_RULE_TOP_2GRAM,
    INGEST_RULE_TOP_3GRAM,
    INGEST_RULE_TOP_4GRAM,
    INGEST_RULE_DUP_5GRAM,
    INGEST_RULE_DUP_6GRAM,
    INGEST_RULE_DUP_7GRAM,
    INGEST_RULE_DUP_8GRAM,
    INGEST_RULE_DUP_9GRAM,
    INGEST_RULE_DUP_10GRAM,
    INGEST_RULE_LINE_CLEANUP,
    INGEST_RULE_COUNT
} ingest_rule;

enum { INGEST_RULE_MAX_PARAMS = 3 };

/* Static description of a rule: its name, group, parameters with defaults, and source. */
typedef struct ingest_rule_info {
    const char *name;
    const char *group; /* "english", "gopher_quality", "gopher_repetition", "line_cleanup" */
    bool enabled_by_default;
    const char *param_names[INGEST_RULE_MAX_PARAMS]; /* NULL-terminated */
    double param_defaults[INGEST_RULE_MAX_PARAMS];
    const char *summary; /* one line for --help and the report */
} ingest_rule_info;

const ingest_rule_info *ingest_rule_get(ingest_rule rule);

typedef struct ingest_filter_config {
    bool enabled[INGEST_RULE_COUNT];
    double params[INGEST_RULE_COUNT][INGEST_RULE_MAX_PARAMS];
} ingest_filter_config;

/* The published defaults (all rules on except english). */
void ingest_filter_config_default(ingest_filter_config *config);
/* Switches rules on or off by rule name, group name or "all"; an unknown name is an
 * MN_ERR_ARG error listing the valid ones. */
mn_status ingest_filter_config_enable(ingest_filter_config *config, const char *name, bool on);
/* Sets a parameter from "RULE.PARAM=VALUE" (e.g. "word_count.min=5"); checks the name and
 * that the value is a finite number in the parameter's range. */
mn_status ingest_filter_config_set(ingest_filter_config *config, const char *assignment);
/* Appends the effective configuration as "rule.param=value" lines, rules that are off as
 * "rule=off" (used in the manifest settings and the run fingerprint). */
mn_status ingest_filter_config_describe(const ingest_filter_config *config, mn_buf *out);

/* Reusable state of the filters (hash tables, the text analysis, line-cleanup output). */
typedef struct ingest_filters ingest_filters;

mn_status ingest_filters_create(ingest_filters **filters, const ingest_filter_config *config);
void ingest_filters_free(ingest_filters *filters);

typedef struct ingest_filter_result {
    bool keep;
    ingest_rule rule;       /* the first rule that failed, when !keep */
    const char *text;       /* the text to keep (line cleanup may have removed lines); */
    size_t text_len;        /*   valid until the next call */
    uint32_t lines_removed; /* by line cleanup */
    uint32_t words_removed; /* words in those lines */
    double value;           /* the measured value of the failing rule (for tests) */
} ingest_filter_result;

/* Applies every enabled rule to a normalised document. */
mn_status ingest_filters_apply(ingest_filters *filters, const char *text, size_t len,
                               ingest_filter_result *result);

/* --- The measures, exposed for tests (t analysed by ingest_text_analyze) --- */

/* Gopher stop words ("the", "be", "to", "of", "and", "that", "have", "with") present. */
int ingest_count_gopher_stop_words(const ingest_text *t);
/* Fraction of words whose lower-cased core is in the English stop list. */
double ingest_english_stop_fraction(const ingest_text *t);
/* Fraction of letters that are Latin (ASCII, Latin-1 Supplement, Latin Extended). */
double ingest_latin_letter_fraction(const ingest_text *t);

typedef struct ingest_ngram_table ingest_ngram_table;
mn_status ingest_ngram_table_create(ingest_ngram_table **table);
void ingest_ngram_table_free(ingest_ngram_table *table);

/* Characters (in words) covered by every occurrence of the most frequent word n-gram that
 * occurs at least twice, divided by t->word_chars (0 when no n-gram repeats). Ties between
 * equally frequent n-grams go to the one that occurs first. */
mn_status ingest_top_ngram_fraction(ingest_ngram_table *table, const ingest_text *t, int n,
                                    double *fraction);
/* Both at once: the top n-gram fraction, and the fraction of characters covered by every
 * occurrence (the first included) of every n-gram that occurs twice or more. The latter
 * bounds the top m-gram fraction and the repeated m-gram fraction for every m > n (each
 * such occurrence contains repeated n-grams), which lets the filters skip measures that
 * cannot fail. `repeated` may be NULL. */
mn_status ingest_top_ngram_measure(ingest_ngram_table *table, const ingest_text *t, int n,
                                   double *top, double *repeated);
/* Characters (in words) covered by occurrences of word n-grams that already occurred
 * earlier in the document, divided by t->word_chars; each character counted once. */
mn_status ingest_dup_ngram_fraction(ingest_ngram_table *table, const ingest_text *t, int n,
                                    double *fraction);

/* Line cleanup (RefinedWeb, Penedo et al. 2023, appendix G.2): the reason a line is
 * boilerplate, or NULL to keep it. `max_short_words` and `min_upper` are the rule's
 * parameters. */
const char *ingest_line_boilerplate(const ingest_text *t, size_t line, double max_short_words,
                                    double min_upper);

#endif
