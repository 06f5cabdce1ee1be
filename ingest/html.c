/* HTML to plain text (see html.h for what is kept and what is dropped). */
#include "ingest/html.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/json.h"

enum { BREAK_NONE = 0, BREAK_SPACE = 1, BREAK_LINE = 2, BREAK_PARAGRAPH = 3 };
enum { MAX_OPEN = 256, NAME_MAX_LEN = 15 };

typedef struct element {
    char name[NAME_MAX_LEN + 1];
    bool drop;
    bool pre;
} element;

typedef struct converter {
    mn_buf *out;
    size_t start;   /* out->len when the conversion began */
    int pending;    /* the strongest break seen since the last text */
    mn_buf scratch; /* a decoded character reference */
    element open[MAX_OPEN];
    size_t depth;
    size_t dropping; /* open elements whose content is dropped */
    size_t pre;      /* open pre elements */
} converter;

/* A start or end tag as parsed; spans point into the document. */
typedef struct tag {
    char name[NAME_MAX_LEN + 1];
    bool end, self_closing, hidden;
    const char *aria_hidden, *role, *charset, *http_equiv, *content;
    size_t aria_hidden_len, role_len, charset_len, http_equiv_len, content_len;
} tag;

static bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c) {
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static unsigned char lower(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool in_list(const char *name, const char *const *list) {
    for (; *list != NULL; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

static const char *const dropped[] = {
    "script", "style",   "noscript", "template", "head",   "title",  "nav",
    "header", "footer",  "aside",    "form",     "button", "select", "textarea",
    "svg",    "math",    "iframe",   "object",   "canvas", "audio",  "video",
    "dialog", "noembed", "noframes", "datalist", NULL};
/* Elements whose content is raw text up to their end tag (no markup inside). */
static const char *const raw_text[] = {"script",   "style",     "textarea", "title",
                                       "xmp",      "iframe",    "noembed",  "noframes",
                                       "noscript", "plaintext", NULL};
static const char *const void_elements[] = {"area",  "base",   "br",    "col",  "embed",
                                            "hr",    "img",    "input", "link", "meta",
                                            "param", "source", "track", "wbr",  NULL};
static const char *const paragraph_level[] = {
    "address", "article",  "aside",  "blockquote", "body", "center",  "details", "dialog", "div",
    "dl",      "fieldset", "figure", "footer",     "form", "h1",      "h2",      "h3",     "h4",
    "h5",      "h6",       "header", "hr",         "html", "main",    "nav",     "ol",     "p",
    "pre",     "section",  "table",  "ul",         "menu", "listing", NULL};
static const char *const line_level[] = {"br",      "li",         "dt",     "dd",     "tr",
                                         "caption", "figcaption", "option", "legend", "summary",
                                         "thead",   "tbody",      "tfoot",  NULL};
static const char *const landmark_roles[] = {"navigation",    "banner", "contentinfo",
                                             "complementary", "search", NULL};
/* Start tags that close an open element of the same name (HTML's implied end tags). */
static const char *const self_closing_siblings[] = {"p",  "li", "dt",     "dd", "tr",
                                                    "td", "th", "option", NULL};

static int break_level(const char *name) {
    if (in_list(name, paragraph_level))
        return BREAK_PARAGRAPH;
    if (in_list(name, line_level))
        return BREAK_LINE;
    if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
        return BREAK_SPACE;
    return BREAK_NONE;
}

/* ---- output --------------------------------------------------------------------------- */

static mn_status flush_pending(converter *c) {
    mn_buf *out = c->out;
    if (out->len == c->start) {
        c->pending = BREAK_NONE; /* no break before the first text */
        return MN_OK;
    }
    if (c->pending == BREAK_SPACE) {
        unsigned char last = out->data[out->len - 1];
        if (last != ' ' && last != '\n')
            MN_FORWARD_IF_ERROR(mn_buf_append_byte(out, ' '));
    } else if (c->pending >= BREAK_LINE) {
        while (out->len > c->start && out->data[out->len - 1] == ' ')
            out->len--;
        size_t newlines = 0;
        while (newlines < out->len - c->start && out->data[out->len - 1 - newlines] == '\n')
            newlines++;
        size_t want = c->pending == BREAK_PARAGRAPH ? 2 : 1;
        for (; newlines < want; newlines++)
            MN_FORWARD_IF_ERROR(mn_buf_append_byte(out, '\n'));
    }
    c->pending = BREAK_NONE;
    return MN_OK;
}

/* Text (already decoded) into the output, collapsing white space outside pre. */
static mn_status emit(converter *c, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (c->pre == 0 && is_space((unsigned char)s[i])) {
            if (c->pending < BREAK_SPACE)
                c->pending = BREAK_SPACE;
            i++;
            continue;
        }
        size_t run = i;
        if (c->pre == 0) {
            while (run < n && !is_space((unsigned char)s[run]))
                run++;
        } else {
            run = n;
        }
        if (c->pending != BREAK_NONE)
            MN_FORWARD_IF_ERROR(flush_pending(c));
        MN_FORWARD_IF_ERROR(mn_buf_append(c->out, s + i, run - i));
        i = run;
    }
    return MN_OK;
}

/* ---- character references --------------------------------------------------------------- */

static const unsigned short windows_1252_high[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};

static const ingest_html_entity *find_entity(const char *name, size_t n) {
    size_t lo = 0, hi = ingest_html_entity_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *candidate = ingest_html_entities[mid].name;
        int cmp = strncmp(candidate, name, n);
        if (cmp == 0 && candidate[n] != '\0')
            cmp = 1;
        if (cmp == 0)
            return &ingest_html_entities[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Decodes the reference at s[0] == '&'; returns the bytes it used (0: not a reference, the
 * '&' is literal) and appends its characters to `out`. */
static size_t decode_reference(const char *s, size_t n, mn_buf *out, mn_status *status) {
    *status = MN_OK;
    if (n >= 3 && s[1] == '#') {
        size_t i = 2;
        bool hex = s[2] == 'x' || s[2] == 'X';
        if (hex)
            i++;
        size_t digits_start = i;
        unsigned long cp = 0;
        while (i < n) {
            unsigned char d = (unsigned char)s[i];
            int v = d >= '0' && d <= '9'                        ? d - '0'
                    : hex && lower(d) >= 'a' && lower(d) <= 'f' ? lower(d) - 'a' + 10
                                                                : -1;
            if (v < 0)
                break;
            if (cp <= 0x10ffff)
                cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            i++;
        }
        if (i == digits_start)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            cp = 0xfffd;
        else if (cp >= 0x80 && cp <= 0x9f)
            cp = windows_1252_high[cp - 0x80];
        *status = ingest_utf8_append(out, (unsigned)cp);
        return i;
    }
    size_t i = 1;
    while (i < n && i <= 33 && is_alnum((unsigned char)s[i]))
        i++;
    if (i == 1)
        return 0;
    if (i < n && s[i] == ';') {
        const ingest_html_entity *entity = find_entity(s + 1, i);
        if (entity != NULL) {
            *status = mn_buf_append(out, entity->value, strlen(entity->value));
            return i + 1;
        }
    }
    /* The legacy names also match without ';', the longest first ("&copy2024"). */
    for (size_t len = i - 1; len >= 2; len--) {
        const ingest_html_entity *entity = find_entity(s + 1, len);
        if (entity != NULL) {
            *status = mn_buf_append(out, entity->value, strlen(entity->value));
            return len + 1;
        }
    }
    return 0;
}

mn_status ingest_html_decode_entities(const char *text, size_t n, mn_buf *out) {
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(text + i, '&', n - i);
        size_t end = amp != NULL ? (size_t)(amp - text) : n;
        MN_FORWARD_IF_ERROR(mn_buf_append(out, text + i, end - i));
        i = end;
        if (amp == NULL)
            break;
        mn_status status;
        size_t used = decode_reference(text + i, n - i, out, &status);
        MN_FORWARD_IF_ERROR(status);
        if (used == 0) {
            MN_FORWARD_IF_ERROR(mn_buf_append_byte(out, '&'));
            used = 1;
        }
        i += used;
    }
    return MN_OK;
}

/* Text between tags, references decoded, into the output. */
static mn_status emit_text(converter *c, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t end = amp != NULL ? (size_t)(amp - s) : n;
        MN_FORWARD_IF_ERROR(emit(c, s + i, end - i));
        i = end;
        if (amp == NULL)
            break;
        mn_status status;
        mn_buf_clear(&c->scratch);
        size_t used = decode_reference(s + i, n - i, &c->scratch, &status);
        MN_FORWARD_IF_ERROR(status);
        if (used > 0) {
            MN_FORWARD_IF_ERROR(emit(c, (const char *)c->scratch.data, c->scratch.len));
        } else {
            MN_FORWARD_IF_ERROR(emit(c, "&", 1));
            used = 1;
        }
        i += used;
    }
    return MN_OK;
}

/* ---- tags --------------------------------------------------------------------------------- */

static bool span_equals(const char *s, size_t n, const char *word) {
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Parses the tag at html[i] == '<' followed by a letter (or "</" and a letter); returns the
 * index after its '>' (or n). Attribute values that never close end at the next '>'. */
static size_t parse_tag(const char *html, size_t n, size_t i, tag *t) {
    memset(t, 0, sizeof *t);
    i++;
    if (html[i] == '/') {
        t->end = true;
        i++;
    }
    size_t len = 0;
    while (i < n && !is_space((unsigned char)html[i]) && html[i] != '/' && html[i] != '>') {
        if (len < NAME_MAX_LEN)
            t->name[len++] = (char)lower((unsigned char)html[i]);
        i++;
    }
    t->name[len] = '\0';
    for (;;) {
        while (i < n && (is_space((unsigned char)html[i]) || html[i] == '/')) {
            if (html[i] == '/' && i + 1 < n && html[i + 1] == '>')
                t->self_closing = true;
            i++;
        }
        if (i >= n)
            return n;
        if (html[i] == '>')
            return i + 1;
        size_t name_start = i;
        while (i < n && !is_space((unsigned char)html[i]) && html[i] != '=' && html[i] != '>' &&
               html[i] != '/')
            i++;
        if (i == name_start)
            i++; /* a stray '=' */
        size_t name_len = i - name_start;
        while (i < n && is_space((unsigned char)html[i]))
            i++;
        const char *value = NULL;
        size_t value_len = 0;
        if (i < n && html[i] == '=') {
            i++;
            while (i < n && is_space((unsigned char)html[i]))
                i++;
            if (i < n && (html[i] == '"' || html[i] == '\'')) {
                const char *close = memchr(html + i + 1, html[i], n - i - 1);
                if (close == NULL) {
                    /* Never closed: the tag ends at the next '>'. */
                    const char *gt = memchr(html + i, '>', n - i);
                    return gt != NULL ? (size_t)(gt - html) + 1 : n;
                }
                value = html + i + 1;
                value_len = (size_t)(close - value);
                i = (size_t)(close - html) + 1;
            } else {
                value = html + i;
                while (i < n && !is_space((unsigned char)html[i]) && html[i] != '>')
                    i++;
                value_len = (size_t)(html + i - value);
            }
        }
        const char *attr = html + name_start;
        if (span_equals(attr, name_len, "hidden")) {
            t->hidden = true;
        } else if (span_equals(attr, name_len, "aria-hidden")) {
            t->aria_hidden = value;
            t->aria_hidden_len = value_len;
        } else if (span_equals(attr, name_len, "role")) {
            t->role = value;
            t->role_len = value_len;
        } else if (span_equals(attr, name_len, "charset")) {
            t->charset = value;
            t->charset_len = value_len;
        } else if (span_equals(attr, name_len, "http-equiv")) {
            t->http_equiv = value;
            t->http_equiv_len = value_len;
        } else if (span_equals(attr, name_len, "content")) {
            t->content = value;
            t->content_len = value_len;
        }
    }
}

static void pop_to(converter *c, size_t depth) {
    while (c->depth > depth) {
        element *e = &c->open[--c->depth];
        c->dropping -= e->drop;
        c->pre -= e->pre;
    }
}

static int stronger(int pending, int level) {
    return level > pending ? level : pending;
}

static void start_element(converter *c, const tag *t) {
    int level = break_level(t->name);
    c->pending = stronger(c->pending, level);
    if (in_list(t->name, void_elements))
        return;
    if (c->depth > 0) {
        const char *top = c->open[c->depth - 1].name;
        if ((in_list(t->name, self_closing_siblings) && strcmp(top, t->name) == 0) ||
            (level == BREAK_PARAGRAPH && strcmp(top, "p") == 0))
            pop_to(c, c->depth - 1);
    }
    bool drop = in_list(t->name, dropped) || t->hidden ||
                (t->aria_hidden != NULL && span_equals(t->aria_hidden, t->aria_hidden_len, "true"));
    if (t->role != NULL)
        for (const char *const *role = landmark_roles; *role != NULL; role++)
            drop = drop || span_equals(t->role, t->role_len, *role);
    if (c->depth == MAX_OPEN)
        return; /* deeper than any real page: the element is not tracked */
    element *e = &c->open[c->depth++];
    memcpy(e->name, t->name, sizeof e->name);
    e->drop = drop;
    e->pre = strcmp(t->name, "pre") == 0 || strcmp(t->name, "listing") == 0;
    c->dropping += e->drop;
    c->pre += e->pre;
}

static void end_element(converter *c, const tag *t) {
    c->pending = stronger(c->pending, break_level(t->name));
    for (size_t k = c->depth; k-- > 0;) {
        if (strcmp(c->open[k].name, t->name) == 0) {
            pop_to(c, k);
            return;
        }
    }
    /* An end tag without its start tag is ignored, as browsers do. */
}

/* Index just past the end tag of raw-text element `name` opened before html[i], or n. */
static size_t skip_raw_text(const char *html, size_t n, size_t i, const char *name) {
    size_t len = strlen(name);
    while (i < n) {
        const char *lt = memchr(html + i, '<', n - i);
        if (lt == NULL)
            return n;
        i = (size_t)(lt - html);
        if (i + 2 + len <= n && html[i + 1] == '/' && strncasecmp(html + i + 2, name, len) == 0 &&
            (i + 2 + len == n || is_space((unsigned char)html[i + 2 + len]) ||
             html[i + 2 + len] == '>' || html[i + 2 + len] == '/')) {
            const char *gt = memchr(html + i, '>', n - i);
            return gt != NULL ? (size_t)(gt - html) + 1 : n;
        }
        i++;
    }
    return n;
}

static size_t find(const char *html, size_t n, size_t i, const char *needle) {
    size_t len = strlen(needle);
    while (i + len <= n) {
        const char *hit = memchr(html + i, needle[0], n - i);
        if (hit == NULL)
            return n;
        i = (size_t)(hit - html);
        if (i + len <= n && memcmp(html + i, needle, len) == 0)
            return i;
        i++;
    }
    return n;
}

mn_status ingest_html_to_text(const char *html, size_t n, mn_buf *out) {
    converter *c = mn_calloc(1, sizeof *c);
    MN_RETURN_ERROR_IF(c == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    c->out = out;
    c->start = out->len;
    mn_status status = MN_OK;
    size_t i = 0;
    while (i < n && status == MN_OK) {
        const char *lt = memchr(html + i, '<', n - i);
        size_t end = lt != NULL ? (size_t)(lt - html) : n;
        if (c->dropping == 0)
            status = emit_text(c, html + i, end - i);
        i = end;
        if (lt == NULL || status != MN_OK)
            break;
        unsigned char next = i + 1 < n ? (unsigned char)html[i + 1] : 0;
        if (next == '!' && i + 3 < n && html[i + 2] == '-' && html[i + 3] == '-') {
            size_t close = find(html, n, i + 4, "-->");
            i = close < n ? close + 3 : n;
        } else if (next == '!' || next == '?' ||
                   (next == '/' && i + 2 < n && !is_alpha((unsigned char)html[i + 2]))) {
            const char *gt = memchr(html + i, '>', n - i);
            i = gt != NULL ? (size_t)(gt - html) + 1 : n;
        } else if (is_alpha(next) || (next == '/' && i + 2 < n)) {
            tag t;
            i = parse_tag(html, n, i, &t);
            if (t.end) {
                end_element(c, &t);
            } else if (in_list(t.name, raw_text)) {
                c->pending = stronger(c->pending, break_level(t.name));
                i = strcmp(t.name, "plaintext") == 0 ? n : skip_raw_text(html, n, i, t.name);
            } else {
                start_element(c, &t);
            }
        } else {
            if (c->dropping == 0)
                status = emit(c, "<", 1);
            i++;
        }
    }
    /* No leading or trailing white space or breaks. */
    while (out->len > c->start && is_space(out->data[out->len - 1]))
        out->len--;
    size_t lead = 0;
    while (c->start + lead < out->len && is_space(out->data[c->start + lead]))
        lead++;
    if (lead > 0) {
        memmove(out->data + c->start, out->data + c->start + lead, out->len - c->start - lead);
        out->len -= lead;
    }
    if (out->data != NULL)
        out->data[out->len] = '\0';
    mn_buf_free(&c->scratch);
    free(c);
    return status;
}

/* ---- charsets ---------------------------------------------------------------------------- */

/* Copies the charset token at s (after "charset") into `charset`, lowercased. */
static bool copy_charset_value(const char *s, size_t n, char *charset, size_t size) {
    size_t i = 0;
    while (i < n && is_space((unsigned char)s[i]))
        i++;
    if (i >= n || s[i] != '=')
        return false;
    i++;
    while (i < n && is_space((unsigned char)s[i]))
        i++;
    if (i < n && (s[i] == '"' || s[i] == '\''))
        i++;
    size_t len = 0;
    while (i < n && !is_space((unsigned char)s[i]) && s[i] != ';' && s[i] != '"' && s[i] != '\'' &&
           s[i] != ',' && len + 1 < size)
        charset[len++] = (char)lower((unsigned char)s[i++]);
    charset[len] = '\0';
    return len > 0;
}

bool ingest_charset_from_content_type(const char *value, size_t n, char *charset, size_t size) {
    for (size_t i = 0; i + 7 <= n; i++)
        if (strncasecmp(value + i, "charset", 7) == 0 &&
            copy_charset_value(value + i + 7, n - i - 7, charset, size))
            return true;
    return false;
}

bool ingest_html_meta_charset(const char *html, size_t n, char *charset, size_t size) {
    if (n > 1024)
        n = 1024;
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(html + i, '<', n - i);
        if (lt == NULL)
            return false;
        i = (size_t)(lt - html);
        if (i + 4 < n && html[i + 1] == '!' && html[i + 2] == '-' && html[i + 3] == '-') {
            size_t close = find(html, n, i + 4, "-->");
            i = close < n ? close + 3 : n;
            continue;
        }
        if (i + 5 < n && strncasecmp(html + i + 1, "meta", 4) == 0 &&
            (is_space((unsigned char)html[i + 5]) || html[i + 5] == '/')) {
            tag t;
            i = parse_tag(html, n, i, &t);
            if (t.charset != NULL && t.charset_len > 0) {
                size_t len = 0;
                for (size_t k = 0; k < t.charset_len && len + 1 < size; k++)
                    if (!is_space((unsigned char)t.charset[k]))
                        charset[len++] = (char)lower((unsigned char)t.charset[k]);
                charset[len] = '\0';
                if (len > 0)
                    return true;
            }
            if (t.http_equiv != NULL &&
                span_equals(t.http_equiv, t.http_equiv_len, "content-type") && t.content != NULL &&
                ingest_charset_from_content_type(t.content, t.content_len, charset, size))
                return true;
            continue;
        }
        i++;
    }
    return false;
}
