#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/io.h"
#include "common/mem.h"
#include "common/rng.h"

/* Word lists for the prose; any English-looking mix works, these are just varied. */
static const char *const nouns[] = {
    "river",     "garden",   "teacher", "village",   "engine",  "letter",   "market",  "window",
    "forest",    "doctor",   "bridge",  "harbour",   "painter", "station",  "kitchen", "library",
    "mountain",  "student",  "farmer",  "council",   "museum",  "theatre",  "island",  "valley",
    "machine",   "journey",  "history", "question",  "answer",  "festival", "bicycle", "orchard",
    "castle",    "musician", "soldier", "captain",   "winter",  "summer",   "evening", "morning",
    "neighbour", "company",  "factory", "newspaper", "railway", "compass",  "lantern", "meadow",
    "cottage",   "fountain", "chapter", "picture",   "mirror",  "blanket",  "pocket",  "shadow"};
static const char *const plural[] = {
    "rivers",   "gardens", "teachers", "villages", "engines",  "letters",    "markets",
    "windows",  "forests", "doctors",  "bridges",  "painters", "stations",   "students",
    "farmers",  "museums", "islands",  "machines", "journeys", "questions",  "answers",
    "bicycles", "castles", "soldiers", "captains", "evenings", "neighbours", "factories",
    "lanterns", "meadows", "cottages", "pictures"};
static const char *const verbs[] = {
    "visited", "repaired", "described", "followed",   "crossed", "painted",   "opened",
    "closed",  "carried",  "watched",   "remembered", "noticed", "explained", "measured",
    "cleaned", "built",    "found",     "moved",      "sold",    "bought",    "wrote",
    "read",    "planted",  "covered",   "reached",    "left",    "passed",    "joined",
    "changed", "studied",  "answered",  "praised"};
static const char *const adjectives[] = {
    "old",     "quiet",  "narrow",   "bright",  "heavy",    "gentle",  "ancient",  "careful",
    "distant", "empty",  "famous",   "curious", "modest",   "wooden",  "northern", "southern",
    "busy",    "simple", "strange",  "patient", "generous", "clever",  "ordinary", "golden",
    "hidden",  "broken", "friendly", "serious", "pleasant", "crowded", "silent",   "early"};
static const char *const adverbs[] = {"slowly",  "carefully", "quickly",  "again",    "often",
                                      "quietly", "happily",   "suddenly", "rarely",   "easily",
                                      "gladly",  "firmly",    "openly",   "properly", "warmly"};
static const char *const places[] = {"Lisbon", "Oslo",   "Kyoto",   "Dublin", "Quebec",  "Porto",
                                     "Bergen", "Vienna", "Seville", "Krakow", "Tallinn", "Galway",
                                     "Lyon",   "Turin",  "Ghent",   "Aarhus"};
static const char *const names[] = {"Anna",  "Tomas", "Maria", "Pieter", "Ines",  "Oskar",
                                    "Clara", "Hugo",  "Lena",  "Marco",  "Sofia", "Jonas",
                                    "Elena", "Felix", "Nora",  "Victor"};
static const char *const preps[] = {"across", "near",  "behind", "beyond", "under",
                                    "along",  "above", "inside", "around", "towards"};

#define PICK(list) list[mn_rng_below(rng, sizeof(list) / sizeof(list[0]))]

static mn_status sentence(mn_rng *rng, mn_buf *out) {
    switch (mn_rng_below(rng, 10)) {
        case 0:
            return mn_buf_appendf(out, "The %s %s %s %s the %s.", PICK(adjectives), PICK(nouns),
                                  PICK(verbs), PICK(preps), PICK(nouns));
        case 1:
            return mn_buf_appendf(out, "%s %s a %s %s and %s it %s.", PICK(names), PICK(verbs),
                                  PICK(adjectives), PICK(nouns), PICK(verbs), PICK(adverbs));
        case 2:
            return mn_buf_appendf(out, "In %d, the %s of %s %s %d %s.",
                                  1850 + (int)mn_rng_below(rng, 170), PICK(nouns), PICK(places),
                                  PICK(verbs), 2 + (int)mn_rng_below(rng, 40), PICK(plural));
        case 3:
            return mn_buf_appendf(out, "It was %s that the %s %s %s %s.", PICK(adjectives),
                                  PICK(nouns), PICK(verbs), PICK(preps), PICK(places));
        case 4:
            return mn_buf_appendf(out, "When the %s %s the %s, %s %s the %s %s with %s %s.",
                                  PICK(nouns), PICK(verbs), PICK(nouns), PICK(names), PICK(verbs),
                                  PICK(adjectives), PICK(nouns), PICK(adjectives), PICK(plural));
        case 5:
            return mn_buf_appendf(out, "Some %s have %s %s the %s %s since the %s.", PICK(plural),
                                  PICK(verbs), PICK(preps), PICK(adjectives), PICK(nouns),
                                  PICK(nouns));
        case 6:
            return mn_buf_appendf(out, "%s and %s %s to %s, where they %s a %s %s %s.", PICK(names),
                                  PICK(names), PICK(verbs), PICK(places), PICK(verbs),
                                  PICK(adjectives), PICK(nouns), PICK(adverbs));
        case 8:
            /* curly apostrophe and em dash, as web text has them */
            return mn_buf_appendf(out,
                                  "The %s\xe2\x80\x99s %s \xe2\x80\x94 %s and %s \xe2\x80\x94 "
                                  "was %s %s the %s.",
                                  PICK(nouns), PICK(nouns), PICK(adjectives), PICK(adjectives),
                                  PICK(verbs), PICK(preps), PICK(nouns));
        default:
            return mn_buf_appendf(out, "Nobody %s why the %s %s was so %s, but the %s %s it %s.",
                                  PICK(verbs), PICK(adjectives), PICK(nouns), PICK(adjectives),
                                  PICK(plural), PICK(verbs), PICK(adverbs));
    }
}

static int count_words(const char *s) {
    int n = 0;
    bool in = false;
    for (; *s; s++) {
        bool space = *s == ' ' || *s == '\n';
        n += !space && !in;
        in = !space;
    }
    return n;
}

/* Prose of about `words` words in paragraphs of 3-6 sentences. */
static mn_status prose(mn_rng *rng, int words, bool more_marks, mn_buf *out) {
    mn_buf_clear(out);
    int in_paragraph = 0, target = 3 + (int)mn_rng_below(rng, 4), have = 0;
    while (have < words) {
        size_t before = out->len;
        if (out->len > 0)
            MN_FORWARD_IF_ERROR(mn_buf_appendf(out, in_paragraph == 0 ? "\n\n" : " "));
        /* NFD text is rare on the web; the tests want some, the benchmark real rates */
        if (mn_rng_below(rng, more_marks ? 100 : 5000) == 0)
            MN_FORWARD_IF_ERROR(
                mn_buf_appendf(out, "They met at the cafe\xcc\x81 by the %s.", PICK(nouns)));
        else
            MN_FORWARD_IF_ERROR(sentence(rng, out));
        have += count_words((const char *)out->data + before);
        if (++in_paragraph == target) {
            in_paragraph = 0;
            target = 3 + (int)mn_rng_below(rng, 4);
        }
    }
    return MN_OK;
}

/* Appends `s` as a JSON string body. */
static mn_status json_escape(mn_buf *out, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            MN_FORWARD_IF_ERROR(mn_buf_appendf(out, "\\%c", c));
        else if (c == '\n')
            MN_FORWARD_IF_ERROR(mn_buf_append(out, "\\n", 2));
        else if (c < 0x20)
            MN_FORWARD_IF_ERROR(mn_buf_appendf(out, "\\u%04x", c));
        else
            MN_FORWARD_IF_ERROR(mn_buf_append_byte(out, c));
    }
    return MN_OK;
}

typedef struct out_file {
    FILE *fp;
    ZSTD_CCtx *cctx;
    mn_buf packed;
    const char *path;
} out_file;

static mn_status out_write(out_file *f, const void *data, size_t len, ZSTD_EndDirective end) {
    if (f->cctx == NULL)
        return mn_fwrite_all(f->fp, data, len, f->path);
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        mn_buf_clear(&f->packed);
        MN_FORWARD_IF_ERROR(mn_buf_reserve(&f->packed, ZSTD_CStreamOutSize()));
        ZSTD_outBuffer o = {f->packed.data, ZSTD_CStreamOutSize(), 0};
        size_t left = ZSTD_compressStream2(f->cctx, &o, &in, end);
        MN_RETURN_ERROR_IF(ZSTD_isError(left), MN_ERR_EXTERNAL, "zstd: %s",
                           ZSTD_getErrorName(left));
        MN_FORWARD_IF_ERROR(mn_fwrite_all(f->fp, o.dst, o.pos, f->path));
        if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return MN_OK;
    }
}

typedef struct original {
    char id[32], url[64];
    char *text;
} original;

mn_status corpus_write(const corpus_options *o, uint64_t *bad_lines) {
    MN_FORWARD_IF_ERROR(mn_make_dirs(o->dir));
    mn_rng rng_state, *rng = &rng_state;
    mn_rng_seed(rng, o->seed);
    mn_buf text = {0}, line = {0}, expect = {0};
    original *originals = NULL;
    size_t n_originals = 0, cap_originals = 0;
    uint64_t bad = 0;
    mn_status status = MN_OK;
    for (int f = 0; f < o->files && status == MN_OK; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/part-%04d.jsonl%s", o->dir, f, o->zstd ? ".zst" : "");
        out_file file = {.fp = fopen(path, "wb"), .path = path};
        if (file.fp == NULL)
            return mn_error_errno(MN_ERR_IO, "cannot create %s", path);
        if (o->zstd) {
            file.cctx = ZSTD_createCCtx();
            ZSTD_CCtx_setParameter(file.cctx, ZSTD_c_compressionLevel, 3);
        }
        for (int d = 0; d < o->docs_per_file && status == MN_OK; d++) {
            char id[32], url[64];
            snprintf(id, sizeof id, "f%04d-%06d", f, d);
            snprintf(url, sizeof url, "https://site%d.example.org/page/%d-%d",
                     (int)mn_rng_below(rng, 50), f, d);
            const char *fate = "kept";
            uint64_t pick = o->planted ? mn_rng_below(rng, 100) : 99;
            original *src = n_originals > 0 ? &originals[mn_rng_below(rng, n_originals)] : NULL;
            if (pick < 2) {
                /* not a document: a broken line, or one without a text field */
                const char *broken = pick == 0 ? "{\"id\": \"broken\", \"text\": \"unterminated\n"
                                               : "{\"id\": \"no-text\", \"body\": \"words\"}\n";
                status = out_write(&file, broken, strlen(broken), ZSTD_e_continue);
                bad++;
                continue;
            }
            if (pick < 6 && src != NULL) {
                mn_buf_clear(&text);
                status = mn_buf_append(&text, src->text, strlen(src->text));
                fate = "exact";
            } else if (pick < 10 && src != NULL) {
                /* one word changed and a short sentence added: Jaccard about 0.95 */
                mn_buf_clear(&text);
                status = mn_buf_append(&text, src->text, strlen(src->text));
                char *space = strchr((char *)text.data + text.len / 2, ' ');
                if (space != NULL && space[1] != 0)
                    space[1] = space[1] == 'Q' ? 'Z' : 'Q';
                if (status == MN_OK)
                    status = mn_buf_appendf(&text, " Read on %s.", PICK(places));
                fate = "fuzzy";
            } else if (pick < 13 && src != NULL) {
                snprintf(url, sizeof url, "%s", src->url);
                status = prose(rng, o->words_per_doc, o->planted, &text);
                fate = "url";
            } else if (pick < 16) {
                mn_buf_clear(&text);
                if (pick == 13)
                    status = mn_buf_appendf(&text, "Back at %d, see you there.", 3 + f % 5);
                else
                    for (int k = 0; k < 20 && status == MN_OK; k++)
                        status = mn_buf_appendf(&text, "%s- %s %s %s", k ? "\n" : "",
                                                PICK(adjectives), PICK(nouns), PICK(adverbs));
                fate = "filter";
            } else {
                int words =
                    o->words_per_doc + (int)mn_rng_below(rng, (uint64_t)o->words_per_doc + 1);
                status = prose(rng, words, o->planted, &text);
                if (status == MN_OK && o->planted && pick >= 40) {
                    if (n_originals == cap_originals) {
                        cap_originals = cap_originals ? 2 * cap_originals : 64;
                        void *p = originals;
                        status = mn_realloc_array(&p, cap_originals, sizeof(original));
                        originals = p;
                    }
                    if (status == MN_OK) {
                        original *orig = &originals[n_originals++];
                        snprintf(orig->id, sizeof orig->id, "%s", id);
                        snprintf(orig->url, sizeof orig->url, "%s", url);
                        orig->text = mn_strdup((const char *)text.data);
                    }
                }
            }
            if (status != MN_OK)
                break;
            if (strcmp(fate, "kept") != 0 && src != NULL && strcmp(fate, "filter") != 0)
                status = mn_buf_appendf(&expect, "%s\tkept\n", src->id);
            if (status == MN_OK && o->planted)
                status = mn_buf_appendf(&expect, "%s\t%s\n", id, fate);
            mn_buf_clear(&line);
            if (status == MN_OK)
                status =
                    mn_buf_appendf(&line, "{\"id\":\"%s\",\"url\":\"%s\",\"text\":\"", id, url);
            if (status == MN_OK)
                status = json_escape(&line, (const char *)text.data, text.len);
            if (status == MN_OK)
                status = mn_buf_append(&line, "\"}\n", 3);
            if (status == MN_OK)
                status = out_write(&file, line.data, line.len, ZSTD_e_continue);
        }
        if (status == MN_OK && file.cctx != NULL)
            status = out_write(&file, "", 0, ZSTD_e_end);
        ZSTD_freeCCtx(file.cctx);
        mn_buf_free(&file.packed);
        if (fclose(file.fp) != 0 && status == MN_OK)
            status = mn_error_errno(MN_ERR_IO, "cannot write %s", path);
    }
    if (status == MN_OK && o->planted) {
        char path[4096];
        snprintf(path, sizeof path, "%s/expect.tsv", o->dir);
        status =
            mn_write_file_atomic(path, expect.data ? (const char *)expect.data : "", expect.len);
    }
    for (size_t i = 0; i < n_originals; i++)
        free(originals[i].text);
    free(originals);
    mn_buf_free(&text);
    mn_buf_free(&line);
    mn_buf_free(&expect);
    if (bad_lines != NULL)
        *bad_lines = bad;
    return status;
}
