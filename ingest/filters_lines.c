/* RefinedWeb's line-wise corrections (Penedo et al. 2023, section 3.2 and appendix G):
 * a line is boilerplate when it is mainly upper case, only numbers, a counter ("3 likes"),
 * a single word, or short and matching a navigation / social / cookie pattern at its start,
 * its end or anywhere. RefinedWeb edits the short pattern lines; we remove them whole, which
 * is simpler and removes what those edits leave (one or two words of navigation). The
 * caller drops the document when the removed lines hold more than 5% of its words. */
#include <string.h>

#include "ingest/filters_internal.h"

static const char *const pattern_start[] = {
    "sign in",
    "sign up",
    "log in",
    "log out",
    "login",
    "register",
    "subscribe",
    "share this",
    "share on",
    "follow us",
    "posted by",
    "posted in",
    "posted on",
    "published by",
    "tags:",
    "tagged with",
    "filed under",
    "skip to",
    "back to top",
    "jump to",
    "previous post",
    "next post",
    "previous article",
    "next article",
    "related posts",
    "related articles",
    "copyright",
    "\xc2\xa9",
    "(c) ",
    "advertisement",
    "sponsored",
    "click here",
    "toggle navigation",
    "main menu",
    "you are here",
};

static const char *const pattern_end[] = {
    "read more",
    "read more...",
    "read more\xe2\x80\xa6",
    "read more \xc2\xbb",
    "continue reading",
    "continue reading...",
    "click here",
    "see more",
    "show more",
    "learn more",
    "(more...)",
    "more \xc2\xbb",
    "reply",
    "permalink",
};

static const char *const pattern_anywhere[] = {
    "items in cart",        "item in cart",        "add to cart",
    "shopping cart",        "your cart",           "cookie policy",
    "uses cookies",         "use of cookies",      "accept cookies",
    "privacy policy",       "terms of use",        "terms of service",
    "terms and conditions", "all rights reserved", "javascript is disabled",
    "enable javascript",    "leave a comment",     "leave a reply",
    "post a comment",       "powered by",          "newsletter",
};

static const char *const counter_words[] = {
    "like",      "likes",    "comment",   "comments",   "share",    "shares",    "view",
    "views",     "follower", "followers", "retweet",    "retweets", "reply",     "replies",
    "vote",      "votes",    "point",     "points",     "review",   "reviews",   "answer",
    "answers",   "favorite", "favorites", "favourites", "reaction", "reactions", "subscribers",
    "downloads", "tweets",   "responses", "notes",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A number as counters show it: digits with ',' or '.', optionally k/K/m/M. */
static bool is_count(const char *s, size_t n) {
    size_t digits = 0, i = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c != ',' && c != '.')
            break;
    }
    if (i < n && (s[i] == 'k' || s[i] == 'K' || s[i] == 'm' || s[i] == 'M'))
        i++;
    return digits > 0 && i == n;
}

const char *ingest_line_boilerplate(const ingest_text *t, size_t index, double max_short_words,
                                    double min_upper) {
    const ingest_line *line = &t->lines[index];
    if (line->n_words == 1)
        return "one_word";
    if (line->digits > 0 && line->letters == 0)
        return "numeric";
    if (line->letters > 0 && (double)line->upper > min_upper * (double)line->letters)
        return "uppercase";
    if ((double)line->n_words > max_short_words)
        return NULL;

    /* Lower-cased ASCII copy of the line for the patterns (short lines only). */
    char buf[512];
    size_t n = line->len < sizeof buf ? line->len : sizeof buf - 1;
    for (size_t i = 0; i < n; i++) {
        char c = t->text[line->start + i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    buf[n] = 0;

    if (line->n_words >= 2 && line->n_words <= 3) {
        const ingest_word *w0 = &t->words[line->first_word];
        const ingest_word *w1 = &t->words[line->first_word + 1];
        if (is_count(t->text + w0->start, w0->len) && w1->core_len > 0 && w1->core_len < 16) {
            char word[16];
            for (uint32_t i = 0; i < w1->core_len; i++) {
                char c = t->text[w1->core_start + i];
                word[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
            }
            for (size_t k = 0; k < COUNT(counter_words); k++)
                if (strlen(counter_words[k]) == w1->core_len &&
                    memcmp(counter_words[k], word, w1->core_len) == 0)
                    return "counter";
        }
    }
    for (size_t k = 0; k < COUNT(pattern_start); k++)
        if (strncmp(buf, pattern_start[k], strlen(pattern_start[k])) == 0)
            return "pattern_start";
    for (size_t k = 0; k < COUNT(pattern_end); k++)
        if (ends_with(buf, n, pattern_end[k]))
            return "pattern_end";
    for (size_t k = 0; k < COUNT(pattern_anywhere); k++)
        if (strstr(buf, pattern_anywhere[k]) != NULL)
            return "pattern_anywhere";
    return NULL;
}

mn_status ingest_line_cleanup(const ingest_text *t, double max_short_words, double min_upper,
                              mn_buf *out, ingest_line_cleanup_result *result) {
    *result = (ingest_line_cleanup_result){0};
    mn_buf_clear(out);
    bool any_kept = false;
    uint32_t last_paragraph = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        const ingest_line *line = &t->lines[i];
        if (ingest_line_boilerplate(t, i, max_short_words, min_upper) != NULL) {
            result->lines_removed++;
            result->words_removed += line->n_words;
            continue;
        }
        if (any_kept)
            MN_FORWARD_IF_ERROR(
                mn_buf_append(out, "\n\n", line->paragraph != last_paragraph ? 2 : 1));
        MN_FORWARD_IF_ERROR(mn_buf_append(out, t->text + line->start, line->len));
        any_kept = true;
        last_paragraph = line->paragraph;
    }
    if (out->data == NULL)
        MN_FORWARD_IF_ERROR(mn_buf_reserve(out, 1));
    return MN_OK;
}
