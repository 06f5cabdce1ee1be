/* Writes seed inputs for one reader fuzz target into argv[1] (a directory); which target is
 * fixed at build time (MNEMO_SEED_KIND: jsonl, warc, parquet or html). Seeds are small valid inputs
 * built here by hand (parquet seeds are copied from files the Node.js writers made, when the test
 * suite has them), so the fuzzers start from the formats' real structure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    if (mn_make_dirs(argv[1]) != MN_OK)
        return 1;
    if (strcmp(MNEMO_SEED_KIND, "jsonl") == 0)
        return jsonl_seeds(argv[1]);
    return 2;
}
