/* Writes valid messages of every on-disk schema into the directory argv[1], as seeds for
 * fuzz_proto_unpack. */
#include <stdio.h>
#include <stdlib.h>

#include "common/io.h"
#include "proto/manifest.pb-c.h"
#include "proto/proto.h"
#include "proto/shard.pb-c.h"

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    Mnemo__ShardBlock block = MNEMO__SHARD_BLOCK__INIT;
    block.offset = 8;
    block.compressed_size = 100;
    block.token_count = 1000;
    Mnemo__ShardBlock *blocks[1] = {&block};
    uint64_t lengths[2] = {400, 600};
    Mnemo__ShardFooter footer = MNEMO__SHARD_FOOTER__INIT;
    footer.format_version = 1;
    footer.n_blocks = 1;
    footer.blocks = blocks;
    footer.n_document_lengths = 2;
    footer.document_lengths = lengths;
    Mnemo__ManifestShard shard = MNEMO__MANIFEST_SHARD__INIT;
    shard.path = "a.mtok";
    shard.tokens = 1000;
    Mnemo__ManifestShard *shards[1] = {&shard};
    Mnemo__Manifest manifest = MNEMO__MANIFEST__INIT;
    manifest.n_shards = 1;
    manifest.shards = shards;
    char *p1 = mn_path_join(argv[1], "footer.pb"), *p2 = mn_path_join(argv[1], "manifest.pb");
    int rc = mn_proto_write_file(&footer.base, p1) == MN_OK &&
                     mn_proto_write_file(&manifest.base, p2) == MN_OK
                 ? 0
                 : 1;
    free(p1);
    free(p2);
    return rc;
}
