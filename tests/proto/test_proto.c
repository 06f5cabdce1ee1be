/* proto/: schemas round-trip, unpack is bounded, TensorBoard events are wire-compatible. */
#include <stdlib.h>
#include <string.h>

#include "proto/checkpoint.pb-c.h"
#include "proto/manifest.pb-c.h"
#include "proto/proto.h"
#include "proto/shard.pb-c.h"
#include "proto/tensorboard.pb-c.h"
#include "proto/tokenizer.pb-c.h"
#include "tests/harness/mn_test.h"

static void test_footer_round_trips(void) {
    Mnemo__ShardBlock blocks[2] = {MNEMO__SHARD_BLOCK__INIT, MNEMO__SHARD_BLOCK__INIT};
    Mnemo__ShardBlock *block_ptrs[2] = {&blocks[0], &blocks[1]};
    blocks[0].offset = 8;
    blocks[0].compressed_size = 1000;
    blocks[0].token_count = 65536;
    blocks[1].offset = 1008;
    blocks[1].xxh64 = 0xfedcba9876543210ull;
    uint64_t lengths[3] = {10, 20, 65506};
    Mnemo__ShardFooter footer = MNEMO__SHARD_FOOTER__INIT;
    footer.format_version = 1;
    footer.tokenizer_hash = 0x0123456789abcdefull;
    footer.dtype = MNEMO__TOKEN_DTYPE__TOKEN_DTYPE_UINT16;
    footer.n_blocks = 2;
    footer.blocks = block_ptrs;
    footer.n_document_lengths = 3;
    footer.document_lengths = lengths;
    footer.created_by = "test";
    uint8_t *data;
    size_t len;
    MN_ASSERT_OK_FATAL(mn_proto_pack(&footer.base, &data, &len));
    ProtobufCMessage *out;
    MN_ASSERT_OK_FATAL(
        mn_proto_unpack(&mnemo__shard_footer__descriptor, data, len, 1 << 20, "footer", &out));
    Mnemo__ShardFooter *back = (Mnemo__ShardFooter *)out;
    MN_ASSERT_EQ_U64(back->tokenizer_hash, 0x0123456789abcdefull);
    MN_ASSERT_EQ_INT(back->dtype, MNEMO__TOKEN_DTYPE__TOKEN_DTYPE_UINT16);
    MN_ASSERT_EQ_U64(back->n_blocks, 2);
    MN_ASSERT_EQ_U64(back->blocks[1]->xxh64, 0xfedcba9876543210ull);
    MN_ASSERT_EQ_U64(back->n_document_lengths, 3);
    MN_ASSERT_EQ_U64(back->document_lengths[2], 65506);
    MN_ASSERT_EQ_STR(back->created_by, "test");
    protobuf_c_message_free_unpacked(out, NULL);

    /* The bound is checked before parsing; garbage is a format error naming the source. */
    MN_ASSERT_STATUS(mn_proto_unpack(&mnemo__shard_footer__descriptor, data, len, len - 1,
                                     "x.mtok footer", &out),
                     MN_ERR_LIMIT);
    MN_ASSERT_ERROR_CONTAINS("x.mtok footer");
    static const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3};
    MN_ASSERT_STATUS(mn_proto_unpack(&mnemo__shard_footer__descriptor, garbage, sizeof garbage,
                                     1 << 20, "y.mtok footer", &out),
                     MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("y.mtok footer");
    free(data);
}

static void test_files_round_trip_through_atomic_write(void) {
    Mnemo__Setting setting = MNEMO__SETTING__INIT;
    setting.key = "min_words";
    setting.value = "50";
    Mnemo__Setting *settings[1] = {&setting};
    Mnemo__ManifestShard shard = MNEMO__MANIFEST_SHARD__INIT;
    shard.path = "shard-00000.jsonl.zst";
    shard.documents = 12;
    Mnemo__ManifestShard *shards[1] = {&shard};
    Mnemo__Manifest manifest = MNEMO__MANIFEST__INIT;
    manifest.kind = MNEMO__DATASET_KIND__DATASET_KIND_DOCUMENTS;
    manifest.n_shards = 1;
    manifest.shards = shards;
    manifest.n_settings = 1;
    manifest.settings = settings;
    const char *path = mn_test_path("manifest.pb");
    MN_ASSERT_OK_FATAL(mn_proto_write_file(&manifest.base, path));
    ProtobufCMessage *out;
    MN_ASSERT_OK_FATAL(mn_proto_read_file(&mnemo__manifest__descriptor, path, 1 << 20, &out));
    Mnemo__Manifest *back = (Mnemo__Manifest *)out;
    MN_ASSERT_EQ_U64(back->n_shards, 1);
    MN_ASSERT_EQ_STR(back->shards[0]->path, "shard-00000.jsonl.zst");
    MN_ASSERT_EQ_STR(back->settings[0]->value, "50");
    protobuf_c_message_free_unpacked(out, NULL);
    MN_ASSERT_STATUS(mn_proto_read_file(&mnemo__manifest__descriptor, path, 4, &out), MN_ERR_LIMIT);
}

static void test_tensorboard_event_bytes_match_tensorflow(void) {
    /* Expected bytes written out from the field numbers of TensorFlow's event.proto and
     * summary.proto: Event{wall_time=1.5, step=3, summary{value{tag="loss",
     * simple_value=2.0}}}. */
    static const uint8_t expected[] = {
        0x09, 0,    0,    0,    0,   0,   0, 0xf8, 0x3f, /* 1: wall_time, double 1.5 */
        0x10, 0x03,                                      /* 2: step, varint 3 */
        0x2a, 0x0d,                                      /* 5: summary, 13 bytes */
        0x0a, 0x0b,                                      /*   1: value, 11 bytes */
        0x0a, 0x04, 'l',  'o',  's', 's',                /*     1: tag */
        0x15, 0x00, 0x00, 0x00, 0x40};                   /*     2: simple_value, float 2.0 */
    Tensorboard__Summary__Value value = TENSORBOARD__SUMMARY__VALUE__INIT;
    value.tag = "loss";
    value.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    value.simple_value = 2.0f;
    Tensorboard__Summary__Value *values[1] = {&value};
    Tensorboard__Summary summary = TENSORBOARD__SUMMARY__INIT;
    summary.n_value = 1;
    summary.value = values;
    Tensorboard__Event event = TENSORBOARD__EVENT__INIT;
    event.wall_time = 1.5;
    event.step = 3;
    event.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY;
    event.summary = &summary;
    uint8_t *data;
    size_t len;
    MN_ASSERT_OK_FATAL(mn_proto_pack(&event.base, &data, &len));
    MN_ASSERT_EQ_U64(len, sizeof expected);
    if (len == sizeof expected)
        MN_ASSERT_EQ_MEM(data, expected, len);
    free(data);
}

static void test_tokenizer_and_checkpoint_schemas_pack(void) {
    ProtobufCBinaryData vocab[2] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"ab"}};
    Mnemo__Tokenizer tok = MNEMO__TOKENIZER__INIT;
    tok.pretokenizer = "cl100k";
    tok.n_vocab = 2;
    tok.vocab = vocab;
    uint8_t *data;
    size_t len;
    MN_ASSERT_OK_FATAL(mn_proto_pack(&tok.base, &data, &len));
    ProtobufCMessage *out;
    MN_ASSERT_OK_FATAL(
        mn_proto_unpack(&mnemo__tokenizer__descriptor, data, len, 1 << 20, "tok", &out));
    Mnemo__Tokenizer *back = (Mnemo__Tokenizer *)out;
    MN_ASSERT_EQ_U64(back->n_vocab, 2);
    MN_ASSERT_EQ_U64(back->vocab[1].len, 2);
    MN_ASSERT_EQ_MEM(back->vocab[1].data, "ab", 2);
    protobuf_c_message_free_unpacked(out, NULL);
    free(data);

    uint64_t shape[2] = {4, 8};
    Mnemo__TensorEntry tensor = MNEMO__TENSOR_ENTRY__INIT;
    tensor.name = "wte";
    tensor.n_shape = 2;
    tensor.shape = shape;
    Mnemo__TensorEntry *tensors[1] = {&tensor};
    Mnemo__CheckpointMeta meta = MNEMO__CHECKPOINT_META__INIT;
    meta.step = 20;
    meta.n_tensors = 1;
    meta.tensors = tensors;
    MN_ASSERT_OK_FATAL(mn_proto_pack(&meta.base, &data, &len));
    MN_ASSERT_OK_FATAL(
        mn_proto_unpack(&mnemo__checkpoint_meta__descriptor, data, len, 1 << 20, "meta", &out));
    Mnemo__CheckpointMeta *meta_back = (Mnemo__CheckpointMeta *)out;
    MN_ASSERT_EQ_U64(meta_back->step, 20);
    MN_ASSERT_EQ_U64(meta_back->tensors[0]->shape[1], 8);
    protobuf_c_message_free_unpacked(out, NULL);
    free(data);
}

static const mn_test_case cases[] = {
    {"a shard footer round-trips; unpack is bounded and names its source", test_footer_round_trips},
    {"a manifest round-trips through an atomic file", test_files_round_trip_through_atomic_write},
    {"TensorBoard events have TensorFlow's exact bytes",
     test_tensorboard_event_bytes_match_tensorflow},
    {"tokenizer and checkpoint messages round-trip", test_tokenizer_and_checkpoint_schemas_pack},
    {0}};

static const mn_test_suite suites[] = {{"proto", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
