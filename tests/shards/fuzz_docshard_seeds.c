/* Writes seeds for fuzz_docshard into the directory argv[1]: a document shard made by our
 * writer, raw JSON Lines with every construct the parser knows, and a shard of foreign JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "shards/docshard.h"

static const char raw_lines[] =
    "{\"id\":\"a\",\"text\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\","
    "\"source\":\"s\",\"url\":null,\"meta\":{\"k\":[1,-2.5e+3,true,false,null,\"x\"]}}\n"
    "{\"text\":\"\",\"id\":12}\r\n"
    "\n"
    "{\"id\":\"b\",\"text\":\"x\"} \n"
    "{\"id\":\"c\",\"text\":\"\\u0000\\u001f\"}\n";

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    char *shard = mn_path_join(argv[1], "writer.jsonl.zst");
    char *raw = mn_path_join(argv[1], "raw.jsonl");
    docshard_writer *w;
    int rc = 1;
    if (shard && raw && docshard_writer_open(&w, shard, 1) == MN_OK) {
        const char *texts[] = {"hello \"world\"\n", "t\x01\x7f \xc3\xa9", ""};
        for (int i = 0; i < 3; i++) {
            doc_record d = {.id = "id",
                            .id_len = 2,
                            .text = texts[i],
                            .text_len = strlen(texts[i]),
                            .source = "seed",
                            .source_len = 4,
                            .extra_json = i == 1 ? "\"n\":[1,{\"a\":null}]" : NULL,
                            .extra_json_len = i == 1 ? 18 : 0};
            if (i == 0) {
                d.url = "http://x";
                d.url_len = 8;
            }
            if (docshard_writer_append(w, &d) != MN_OK)
                break;
        }
        if (docshard_writer_close(w, NULL) == MN_OK &&
            mn_write_file_atomic(raw, raw_lines, sizeof raw_lines - 1) == MN_OK)
            rc = 0;
    }
    if (rc != 0)
        fprintf(stderr, "fuzz_docshard_seeds: %s\n", mn_error_message());
    free(shard);
    free(raw);
    return rc;
}
