/* Filter registry, configuration and the order in which rules run. The measures live in
 * filters_gopher.c (quality, English), filters_repetition.c and filters_lines.c. */
#include "ingest/filters.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ingest/filters_internal.h"

/* Defaults: Gopher (Rae et al. 2021, arXiv 2112.11446) appendix A.1.1 for the quality
 * rules and Table A1 for repetition; RefinedWeb (Penedo et al. 2023, arXiv 2306.01116)
 * section 3.2 / appendix G for line-wise corrections. docs/ingest.md gives the details. */
static const ingest_rule_info rule_table[INGEST_RULE_COUNT] = {
    [INGEST_RULE_ENGLISH] = {"english",
                             "english",
                             false,
                             {"min_stop_fraction", "min_latin_fraction"},
                             {0.15, 0.90},
                             "not English by stop-word and letter statistics"},
    [INGEST_RULE_WORD_COUNT] = {"word_count",
                                "gopher_quality",
                                true,
                                {"min", "max"},
                                {50, 100000},
                                "word count outside [min, max]"},
    [INGEST_RULE_MEAN_WORD_LENGTH] = {"mean_word_length",
                                      "gopher_quality",
                                      true,
                                      {"min", "max"},
                                      {3, 10},
                                      "mean word length outside [min, max] characters"},
    [INGEST_RULE_HASH_RATIO] =
        {"hash_ratio", "gopher_quality", true, {"max"}, {0.1}, "'#' symbols per word above max"},
    [INGEST_RULE_ELLIPSIS_RATIO] =
        {"ellipsis_ratio", "gopher_quality", true, {"max"}, {0.1}, "ellipses per word above max"},
    [INGEST_RULE_BULLET_LINES] = {"bullet_lines",
                                  "gopher_quality",
                                  true,
                                  {"max"},
                                  {0.9},
                                  "fraction of lines starting with a bullet above max"},
    [INGEST_RULE_ELLIPSIS_LINES] = {"ellipsis_lines",
                                    "gopher_quality",
                                    true,
                                    {"max"},
                                    {0.3},
                                    "fraction of lines ending with an ellipsis above max"},
    [INGEST_RULE_ALPHA_WORDS] = {"alpha_words",
                                 "gopher_quality",
                                 true,
                                 {"min"},
                                 {0.8},
                                 "fraction of words with a letter below min"},
    [INGEST_RULE_STOP_WORDS] = {"stop_words",
                                "gopher_quality",
                                true,
                                {"min"},
                                {2},
                                "fewer than min distinct Gopher stop words"},
    [INGEST_RULE_DUP_LINE_FRACTION] = {"dup_line_fraction",
                                       "gopher_repetition",
                                       true,
                                       {"max"},
                                       {0.30},
                                       "duplicate lines / lines above max"},
    [INGEST_RULE_DUP_PARAGRAPH_FRACTION] = {"dup_paragraph_fraction",
                                            "gopher_repetition",
                                            true,
                                            {"max"},
                                            {0.30},
                                            "duplicate paragraphs / paragraphs above max"},
    [INGEST_RULE_DUP_LINE_CHARS] = {"dup_line_chars",
                                    "gopher_repetition",
                                    true,
                                    {"max"},
                                    {0.20},
                                    "characters in duplicate lines above max"},
    [INGEST_RULE_DUP_PARAGRAPH_CHARS] = {"dup_paragraph_chars",
                                         "gopher_repetition",
                                         true,
                                         {"max"},
                                         {0.20},
                                         "characters in duplicate paragraphs above max"},
    [INGEST_RULE_TOP_2GRAM] = {"top_2gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.20},
                               "characters in the top 2-gram above max"},
    [INGEST_RULE_TOP_3GRAM] = {"top_3gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.18},
                               "characters in the top 3-gram above max"},
    [INGEST_RULE_TOP_4GRAM] = {"top_4gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.16},
                               "characters in the top 4-gram above max"},
    [INGEST_RULE_DUP_5GRAM] = {"dup_5gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.15},
                               "characters in repeated 5-grams above max"},
    [INGEST_RULE_DUP_6GRAM] = {"dup_6gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.14},
                               "characters in repeated 6-grams above max"},
    [INGEST_RULE_DUP_7GRAM] = {"dup_7gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.13},
                               "characters in repeated 7-grams above max"},
    [INGEST_RULE_DUP_8GRAM] = {"dup_8gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.12},
                               "characters in repeated 8-grams above max"},
    [INGEST_RULE_DUP_9GRAM] = {"dup_9gram",
                               "gopher_repetition",
                               true,
                               {"max"},
                               {0.11},
                               "characters in repeated 9-grams above max"},
    [INGEST_RULE_DUP_10GRAM] = {"dup_10gram",
                                "gopher_repetition",
                                true,
                                {"max"},
                                {0.10},
                                "characters in repeated 10-grams above max"},
    [INGEST_RULE_LINE_CLEANUP] = {"line_cleanup",
                                  "line_cleanup",
                                  true,
                                  {"max_removed_words", "max_short_words", "min_upper"},
                                  {0.05, 10, 0.5},
                                  "boilerplate lines hold more than max_removed_words of words"},
};

const ingest_rule_info *ingest_rule_get(ingest_rule rule) {
    return rule >= 0 && rule < INGEST_RULE_COUNT ? &rule_table[rule] : NULL;
}

void ingest_filter_config_default(ingest_filter_config *config) {
    memset(config, 0, sizeof *config);
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        config->enabled[r] = rule_table[r].enabled_by_default;
        for (int p = 0; p < INGEST_RULE_MAX_PARAMS; p++)
            config->params[r][p] = rule_table[r].param_defaults[p];
    }
}

static mn_status list_rule_names(mn_buf *out) {
    for (int r = 0; r < INGEST_RULE_COUNT; r++)
        MN_FORWARD_IF_ERROR(mn_buf_appendf(out, "%s%s", r ? ", " : "", rule_table[r].name));
    return MN_OK;
}

mn_status ingest_filter_config_enable(ingest_filter_config *config, const char *name, bool on) {
    bool found = false;
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        if (strcmp(name, "all") == 0 || strcmp(name, rule_table[r].name) == 0 ||
            strcmp(name, rule_table[r].group) == 0) {
            config->enabled[r] = on;
            found = true;
        }
    }
    if (found)
        return MN_OK;
    mn_buf names = {0};
    mn_status status = list_rule_names(&names);
    if (status == MN_OK)
        status = mn_error(MN_ERR_ARG,
                          "unknown filter '%s'; filters are: all, the groups english, "
                          "gopher_quality, gopher_repetition, line_cleanup, or the rules %s",
                          name, (const char *)names.data);
    mn_buf_free(&names);
    return status;
}

mn_status ingest_filter_config_set(ingest_filter_config *config, const char *assignment) {
    const char *dot = strchr(assignment, '.');
    const char *eq = strchr(assignment, '=');
    MN_RETURN_ERROR_IF(dot == NULL || eq == NULL || eq < dot, MN_ERR_ARG,
                       "'%s' is not RULE.PARAM=VALUE (for example word_count.min=20)", assignment);
    size_t rule_len = (size_t)(dot - assignment), param_len = (size_t)(eq - dot - 1);
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        const ingest_rule_info *info = &rule_table[r];
        if (strlen(info->name) != rule_len || strncmp(info->name, assignment, rule_len) != 0)
            continue;
        for (int p = 0; p < INGEST_RULE_MAX_PARAMS && info->param_names[p] != NULL; p++) {
            const char *pname = info->param_names[p];
            if (strlen(pname) != param_len || strncmp(pname, dot + 1, param_len) != 0)
                continue;
            double value;
            if (mn_parse_double(eq + 1, &value) != MN_OK || value < 0)
                return mn_error(MN_ERR_ARG, "'%s': the value must be a number >= 0", assignment);
            config->params[r][p] = value;
            return MN_OK;
        }
        mn_buf names = {0};
        for (int p = 0; p < INGEST_RULE_MAX_PARAMS && info->param_names[p] != NULL; p++)
            MN_FORWARD_IF_ERROR(
                mn_buf_appendf(&names, "%s%s", p ? ", " : "", info->param_names[p]));
        mn_status status = mn_error(MN_ERR_ARG, "'%s': filter %s has the parameters %s", assignment,
                                    info->name, (const char *)names.data);
        mn_buf_free(&names);
        return status;
    }
    mn_buf names = {0};
    MN_FORWARD_IF_ERROR(list_rule_names(&names));
    mn_status status = mn_error(MN_ERR_ARG, "'%s': unknown filter; filters are %s", assignment,
                                (const char *)names.data);
    mn_buf_free(&names);
    return status;
}

mn_status ingest_filter_config_describe(const ingest_filter_config *config, mn_buf *out) {
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        const ingest_rule_info *info = &rule_table[r];
        if (!config->enabled[r]) {
            MN_FORWARD_IF_ERROR(mn_buf_appendf(out, "%s=off\n", info->name));
            continue;
        }
        for (int p = 0; p < INGEST_RULE_MAX_PARAMS && info->param_names[p] != NULL; p++)
            MN_FORWARD_IF_ERROR(mn_buf_appendf(out, "%s.%s=%.15g\n", info->name,
                                               info->param_names[p], config->params[r][p]));
    }
    return MN_OK;
}

mn_status ingest_filters_create(ingest_filters **out, const ingest_filter_config *config) {
    ingest_filters *f = mn_calloc(1, sizeof *f);
    if (f == NULL)
        return MN_ERR_NOMEM;
    f->config = *config;
    mn_status status = ingest_ngram_table_create(&f->table);
    if (status != MN_OK) {
        free(f);
        return status;
    }
    *out = f;
    return MN_OK;
}

void ingest_filters_free(ingest_filters *f) {
    if (f == NULL)
        return;
    ingest_text_free(&f->text);
    ingest_ngram_table_free(f->table);
    mn_buf_free(&f->cleaned);
    free(f);
}

/* Records a failure of `rule` with measured `value` and returns true. */
static bool fail(ingest_filter_result *result, ingest_rule rule, double value) {
    result->keep = false;
    result->rule = rule;
    result->value = value;
    return true;
}

#define ON(rule)       (f->config.enabled[rule])
#define PARAM(rule, p) (f->config.params[rule][p])

static bool check_english(ingest_filters *f, ingest_filter_result *result) {
    if (!ON(INGEST_RULE_ENGLISH))
        return false;
    double stop = ingest_english_stop_fraction(&f->text);
    if (stop < PARAM(INGEST_RULE_ENGLISH, 0))
        return fail(result, INGEST_RULE_ENGLISH, stop);
    double latin = ingest_latin_letter_fraction(&f->text);
    if (latin < PARAM(INGEST_RULE_ENGLISH, 1))
        return fail(result, INGEST_RULE_ENGLISH, latin);
    return false;
}

static bool check_quality(ingest_filters *f, ingest_filter_result *result) {
    bool any = false;
    for (int r = INGEST_RULE_WORD_COUNT; r <= INGEST_RULE_STOP_WORDS; r++)
        any = any || ON(r);
    if (!any)
        return false;
    ingest_quality_measures m;
    ingest_quality_measure(&f->text, &m);
    if (ON(INGEST_RULE_WORD_COUNT) && (m.non_symbol_words < PARAM(INGEST_RULE_WORD_COUNT, 0) ||
                                       m.non_symbol_words > PARAM(INGEST_RULE_WORD_COUNT, 1)))
        return fail(result, INGEST_RULE_WORD_COUNT, m.non_symbol_words);
    if (ON(INGEST_RULE_MEAN_WORD_LENGTH) &&
        (m.mean_word_length < PARAM(INGEST_RULE_MEAN_WORD_LENGTH, 0) ||
         m.mean_word_length > PARAM(INGEST_RULE_MEAN_WORD_LENGTH, 1)))
        return fail(result, INGEST_RULE_MEAN_WORD_LENGTH, m.mean_word_length);
    if (ON(INGEST_RULE_HASH_RATIO) && m.hash_ratio > PARAM(INGEST_RULE_HASH_RATIO, 0))
        return fail(result, INGEST_RULE_HASH_RATIO, m.hash_ratio);
    if (ON(INGEST_RULE_ELLIPSIS_RATIO) && m.ellipsis_ratio > PARAM(INGEST_RULE_ELLIPSIS_RATIO, 0))
        return fail(result, INGEST_RULE_ELLIPSIS_RATIO, m.ellipsis_ratio);
    if (ON(INGEST_RULE_BULLET_LINES) && m.bullet_lines > PARAM(INGEST_RULE_BULLET_LINES, 0))
        return fail(result, INGEST_RULE_BULLET_LINES, m.bullet_lines);
    if (ON(INGEST_RULE_ELLIPSIS_LINES) && m.ellipsis_lines > PARAM(INGEST_RULE_ELLIPSIS_LINES, 0))
        return fail(result, INGEST_RULE_ELLIPSIS_LINES, m.ellipsis_lines);
    if (ON(INGEST_RULE_ALPHA_WORDS) && m.alpha_words < PARAM(INGEST_RULE_ALPHA_WORDS, 0))
        return fail(result, INGEST_RULE_ALPHA_WORDS, m.alpha_words);
    if (ON(INGEST_RULE_STOP_WORDS) && m.stop_words < PARAM(INGEST_RULE_STOP_WORDS, 0))
        return fail(result, INGEST_RULE_STOP_WORDS, m.stop_words);
    return false;
}

static mn_status check_repetition(ingest_filters *f, ingest_filter_result *result, bool *failed) {
    *failed = false;
    ingest_dup_measures d = {0};
    if (ON(INGEST_RULE_DUP_LINE_FRACTION) || ON(INGEST_RULE_DUP_PARAGRAPH_FRACTION) ||
        ON(INGEST_RULE_DUP_LINE_CHARS) || ON(INGEST_RULE_DUP_PARAGRAPH_CHARS))
        MN_FORWARD_IF_ERROR(ingest_dup_lines_measure(f->table, &f->text, &d));
    const struct {
        ingest_rule rule;
        double value;
    } simple[] = {{INGEST_RULE_DUP_LINE_FRACTION, d.line_fraction},
                  {INGEST_RULE_DUP_PARAGRAPH_FRACTION, d.paragraph_fraction},
                  {INGEST_RULE_DUP_LINE_CHARS, d.line_chars},
                  {INGEST_RULE_DUP_PARAGRAPH_CHARS, d.paragraph_chars}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (ON(simple[i].rule) && simple[i].value > PARAM(simple[i].rule, 0)) {
            *failed = fail(result, simple[i].rule, simple[i].value);
            return MN_OK;
        }
    if (ON(INGEST_RULE_TOP_2GRAM)) {
        double frac;
        MN_FORWARD_IF_ERROR(ingest_top_ngram_fraction(f->table, &f->text, 2, &frac));
        if (frac > PARAM(INGEST_RULE_TOP_2GRAM, 0)) {
            *failed = fail(result, INGEST_RULE_TOP_2GRAM, frac);
            return MN_OK;
        }
    }
    /* `bound` caps every measure still to come: characters covered by repeated 3-grams
     * bound the top 4-gram and the repeated 5..10-gram fractions, and a repeated n-gram
     * contains a repeated (n-1)-gram at the same place, so each repeated n-gram fraction
     * bounds the next. A rule whose threshold is at least the bound cannot fail and is not
     * computed; the results are those of computing everything. */
    double bound = 1.0;
    bool later = ON(INGEST_RULE_TOP_4GRAM);
    for (int r = INGEST_RULE_DUP_5GRAM; r <= INGEST_RULE_DUP_10GRAM; r++)
        later = later || ON(r);
    if (ON(INGEST_RULE_TOP_3GRAM) || later) {
        double top;
        MN_FORWARD_IF_ERROR(ingest_top_ngram_measure(f->table, &f->text, 3, &top, &bound));
        if (ON(INGEST_RULE_TOP_3GRAM) && top > PARAM(INGEST_RULE_TOP_3GRAM, 0)) {
            *failed = fail(result, INGEST_RULE_TOP_3GRAM, top);
            return MN_OK;
        }
    }
    if (ON(INGEST_RULE_TOP_4GRAM) && PARAM(INGEST_RULE_TOP_4GRAM, 0) < bound) {
        double frac;
        MN_FORWARD_IF_ERROR(ingest_top_ngram_fraction(f->table, &f->text, 4, &frac));
        if (frac > PARAM(INGEST_RULE_TOP_4GRAM, 0)) {
            *failed = fail(result, INGEST_RULE_TOP_4GRAM, frac);
            return MN_OK;
        }
    }
    for (int n = 5; n <= 10; n++) {
        bool can_fail = false;
        for (int m = n; m <= 10; m++) {
            ingest_rule later_rule = (ingest_rule)(INGEST_RULE_DUP_5GRAM + m - 5);
            can_fail = can_fail || (ON(later_rule) && PARAM(later_rule, 0) < bound);
        }
        if (!can_fail)
            break;
        ingest_rule rule = (ingest_rule)(INGEST_RULE_DUP_5GRAM + n - 5);
        if (!ON(rule))
            continue;
        double frac;
        MN_FORWARD_IF_ERROR(ingest_dup_ngram_fraction(f->table, &f->text, n, &frac));
        if (frac > PARAM(rule, 0)) {
            *failed = fail(result, rule, frac);
            return MN_OK;
        }
        bound = frac;
    }
    return MN_OK;
}

mn_status ingest_filters_apply(ingest_filters *f, const char *text, size_t len,
                               ingest_filter_result *result) {
    *result = (ingest_filter_result){.keep = true, .text = text, .text_len = len};
    bool any = false;
    for (int r = 0; r < INGEST_RULE_COUNT; r++)
        any = any || ON(r);
    if (!any)
        return MN_OK; /* nothing to measure */
    MN_FORWARD_IF_ERROR(ingest_text_analyze(&f->text, text, len));
    if (check_english(f, result) || check_quality(f, result))
        return MN_OK;
    bool failed;
    MN_FORWARD_IF_ERROR(check_repetition(f, result, &failed));
    if (failed)
        return MN_OK;
    if (ON(INGEST_RULE_LINE_CLEANUP)) {
        ingest_line_cleanup_result lc;
        MN_FORWARD_IF_ERROR(ingest_line_cleanup(&f->text, PARAM(INGEST_RULE_LINE_CLEANUP, 1),
                                                PARAM(INGEST_RULE_LINE_CLEANUP, 2), &f->cleaned,
                                                &lc));
        result->lines_removed = lc.lines_removed;
        result->words_removed = lc.words_removed;
        double removed = f->text.n_words ? (double)lc.words_removed / (double)f->text.n_words : 0;
        bool emptied = lc.lines_removed > 0 && f->cleaned.len == 0;
        if (removed > PARAM(INGEST_RULE_LINE_CLEANUP, 0) || emptied) {
            fail(result, INGEST_RULE_LINE_CLEANUP, removed);
            return MN_OK;
        }
        if (lc.lines_removed > 0) {
            result->text = (const char *)f->cleaned.data;
            result->text_len = f->cleaned.len;
        }
    }
    return MN_OK;
}
