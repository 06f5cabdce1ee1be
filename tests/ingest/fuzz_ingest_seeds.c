/* Writes seed inputs for one reader fuzz target into argv[1] (a directory); which target is
 * fixed at build time (MNEMO_SEED_KIND: jsonl, warc, parquet or html). Seeds are small valid inputs
 * built here by hand (parquet seeds are copied from files the Node.js writers made, when the test
 * suite has them), so the fuzzers start from the formats' real structure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h>

#include "common/io.h"
#include "common/mem.h"

static int write_seed(const char *dir, const char *name, const void *data, size_t len) {
    char *path = mn_path_join(dir, name);
    if (path == NULL)
        return 1;
    int rc = mn_write_file_atomic(path, data, len) == MN_OK ? 0 : 1;
    free(path);
    return rc;
}

static int jsonl_seeds(const char *dir) {
    static const char lines[] =
        "{\"text\": \"Hello\\nworld \\u00e9\\ud83d\\ude00\", \"id\": \"a-1\", \"url\": "
        "\"https://x.org/\", \"meta\": {\"k\": [1, 2.5e3, null, true]}, \"date\": \"2023\"}\n"
        "{\"content\": \"second\", \"id\": 7}\n\n{\"raw_content\": \"third\"}\r\n"
        "{\"text\": 5}\n[1,2]\n{\"text\":\"unterminated\n";
    static const char array[] = "[{\"text\": \"a\"}, {\"text\": \"b\", \"id\": 2}, 3]";
    static const char bom[] = "\xef\xbb\xbf{\"text\": \"bom\"}\n";
    /* gzip of "{\"text\":\"gz\"}\n" as the gzip tool writes it (header, stored block). */
    static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                                       0x01, 0x0e, 0x00, 0xf1, 0xff, '{',  '"',  't',  'e',  'x',
                                       't',  '"',  ':',  '"',  'g',  'z',  '"',  '}',  '\n', 0x00,
                                       0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00};
    return write_seed(dir, "lines.jsonl", lines, sizeof lines - 1) |
           write_seed(dir, "array.json", array, sizeof array - 1) |
           write_seed(dir, "bom.jsonl", bom, sizeof bom - 1) |
           write_seed(dir, "small.gz", gz, sizeof gz);
}

static int warc_seeds(const char *dir) {
    static const char response[] =
        "WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Length: 11\r\n\r\nsoftware: x"
        "\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
        "WARC-Target-URI: http://a.b/\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
        "Content-Type: application/http; msgtype=response\r\nContent-Length: 131\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=windows-1252\r\n"
        "Transfer-Encoding: chunked\r\n\r\n1a\r\n<p>caf\xe9 &amp; <b>x</b></p>\r\n0\r\n\r\n"
        "\r\n\r\n";
    static const char wet[] =
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://c.d/\r\n"
        "WARC-Record-ID: <urn:uuid:2>\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
        "\r\nsome text\r\n\r\nWARC/1.0\r\nWARC-Type: request\r\nContent-Length: 0\r\n\r\n"
        "\r\n\r\n";
    return write_seed(dir, "response.warc", response, sizeof response - 1) |
           write_seed(dir, "wet.warc", wet, sizeof wet - 1);
}

static int html_seeds(const char *dir) {
    static const char page[] =
        "<!DOCTYPE html><html><head><meta charset=\"iso-8859-1\"><title>T</title>"
        "<style>p{}</style><script>if(a<b)x='</p>'</script></head><body><header>h</header>"
        "<nav><a href=/>n</a></nav><main><h1>Head</h1><p>Para &eacute;&#233;&#x1F600;&copy"
        "<br>line</p><pre>  pre\n  text</pre><ul><li>a<li>b</ul><table><tr><td>1<td>2</table>"
        "<div role=navigation>x</div><div hidden>y</div><!-- c --><p class='a>b'>q</p></main>"
        "<footer>f</footer></body></html>";
    static const char broken[] = "<p title=\"open>text &am &#x; <<>></ p><scr<script>x";
    return write_seed(dir, "page.html", page, sizeof page - 1) |
           write_seed(dir, "broken.html", broken, sizeof broken - 1);
}

/* Parquet seeds come from the same independent writers as the tests (make_parquet.mjs
 * --small) when the npm tools are installed; otherwise from a minimal file made here. */
static int parquet_seeds(const char *dir) {
    const char *modules = getenv("MNEMO_NODE_MODULES");
    const char *source = getenv("MNEMO_SOURCE_DIR");
    if (modules != NULL && source != NULL) {
        char *probe = mn_path_join(modules, "parquet-wasm/package.json");
        bool present = probe != NULL && mn_path_exists(probe);
        free(probe);
        char command[8192];
        snprintf(command, sizeof command,
                 "node '%s/tests/ingest/make_parquet.mjs' '%s' --small >/dev/null 2>&1", source,
                 dir);
        if (present && system(command) == 0)
            return 0;
    }
    /* "PAR1", a column chunk of one uncompressed PLAIN page (one value "hi"), the footer. */
    static const unsigned char file[] = {
        'P', 'A', 'R', '1',
        /* PageHeader: type 0, sizes 6, 6, DataPageHeader{1 values, PLAIN, RLE} */
        0x15, 0x00, 0x15, 0x0c, 0x15, 0x0c, 0x2c, 0x15, 0x02, 0x15, 0x00, 0x15, 0x06, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 'h', 'i',
        /* FileMetaData{1 version, 2 schema[root{name,num_children 1}, text{type 6, REQUIRED}],
         * 3 num_rows 1, 4 row_groups[{1 columns[{2 file_offset, 3 meta}], 2 size, 3 rows}]} */
        0x15, 0x02, 0x19, 0x2c, 0x48, 0x01, 'r', 0x15, 0x02, 0x00, 0x15, 0x0c, 0x25, 0x00, 0x18,
        0x04, 't', 'e', 'x', 't', 0x00, 0x16, 0x02, 0x19, 0x1c, 0x19, 0x1c, 0x26, 0x08, 0x1c, 0x15,
        0x0c, 0x19, 0x15, 0x00, 0x19, 0x18, 0x04, 't', 'e', 'x', 't', 0x15, 0x00, 0x16, 0x02, 0x16,
        0x2a, 0x16, 0x2a, 0x26, 0x08, 0x00, 0x00, 0x16, 0x2a, 0x16, 0x02, 0x00, 0x00,
        /* footer length, magic */
        0x3c, 0x00, 0x00, 0x00, 'P', 'A', 'R', '1'};
    return write_seed(dir, "minimal.parquet", file, sizeof file);
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    if (mn_make_dirs(argv[1]) != MN_OK)
        return 1;
    if (strcmp(MNEMO_SEED_KIND, "jsonl") == 0)
        return jsonl_seeds(argv[1]);
    if (strcmp(MNEMO_SEED_KIND, "warc") == 0)
        return warc_seeds(argv[1]);
    if (strcmp(MNEMO_SEED_KIND, "html") == 0)
        return html_seeds(argv[1]);
    if (strcmp(MNEMO_SEED_KIND, "parquet") == 0)
        return parquet_seeds(argv[1]);
    return 2;
}
