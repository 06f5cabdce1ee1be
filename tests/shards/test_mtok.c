/* Token shards (*.mtok): round trips (uint16, uint32), random access, independent blocks,
 * refusals, and every kind of damage reported with the shard, the block and the fix. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/rng.h"
#include "proto/proto.h"
#include "proto/shard.pb-c.h"
#include "shards/mtok.h"
#include "tests/harness/mn_test.h"
#include "tests/shards/shard_test_util.h"

/* A token stream of `docs` documents with ids below vocab - 1 (vocab - 1 is EOS). */
typedef struct corpus {
    uint32_t *ids; /* the shard's stream: documents with their EOS */
    uint64_t *starts;
    size_t n_docs, n_tokens;
} corpus;

static void corpus_free(corpus *c) {
    free(c->ids);
    free(c->starts);
}

/* Writes `n_docs` random documents (lengths 0..max_len) and returns the expected stream. */
static corpus write_shard(const char *path, uint32_t vocab, size_t n_docs, size_t max_len,
                          uint64_t block_tokens, uint64_t seed, shard_info *info) {
    corpus c = {0};
    mn_rng rng;
    mn_rng_seed(&rng, seed);
    size_t cap = n_docs * (max_len + 1) + 1;
    c.ids = malloc(cap * sizeof *c.ids);
    c.starts = malloc((n_docs + 1) * sizeof *c.starts);
    shard_writer_options options = {.tokenizer_hash = 0xabcdef0123456789ull,
                                    .vocab_size = vocab,
                                    .eos_id = vocab - 1,
                                    .block_tokens = block_tokens,
                                    .source = "test corpus"};
    shard_writer *w;
    MN_ASSERT_OK_FATAL(shard_writer_open(&w, path, &options));
    for (size_t d = 0; d < n_docs; d++) {
        size_t len = mn_rng_below(&rng, max_len + 1);
        c.starts[d] = c.n_tokens;
        uint32_t *doc = c.ids + c.n_tokens;
        for (size_t i = 0; i < len; i++) {
            /* Mostly small ids (compressible, like text), sometimes the largest. */
            uint64_t pick = mn_rng_below(&rng, 8);
            doc[i] =
                (uint32_t)(pick == 0 ? vocab - 2 : mn_rng_below(&rng, pick == 1 ? vocab - 1 : 300));
        }
        MN_ASSERT_OK(shard_writer_append_document(w, doc, len));
        c.n_tokens += len;
        c.ids[c.n_tokens++] = vocab - 1;
    }
    c.starts[n_docs] = c.n_tokens;
    c.n_docs = n_docs;
    MN_ASSERT_OK_FATAL(shard_writer_close(w, info));
    return c;
}

static void check_round_trip(uint32_t vocab, uint64_t block_tokens) {
    const char *path = mn_test_path(vocab <= 65536 ? "rt16.mtok" : "rt32.mtok");
    shard_info info;
    size_t n_docs = (size_t)(300 * mn_test_scale()) + 5;
    corpus c = write_shard(path, vocab, n_docs, 700, block_tokens, vocab, &info);
    MN_ASSERT_EQ_U64(info.tokens, c.n_tokens);
    MN_ASSERT_EQ_U64(info.documents, n_docs);
    MN_ASSERT_EQ_U64(info.blocks, (c.n_tokens + block_tokens - 1) / block_tokens);
    size_t file_len;
    uint8_t *file = shard_test_read_file(path, &file_len);
    MN_ASSERT_FATAL(file != NULL);
    MN_ASSERT_EQ_U64(info.file_bytes, file_len);
    MN_ASSERT_EQ_U64(info.xxh64, mn_xxh64(file, file_len, 0));
    MN_ASSERT_EQ_MEM(file, "MNEMOTOK\x01\0\0\0\0\0\0\0", 16);
    MN_ASSERT_EQ_MEM(file + file_len - 8, "MNTOKEND", 8);
    free(file);

    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    MN_ASSERT_EQ_U64(shard_reader_tokens(r), c.n_tokens);
    MN_ASSERT_EQ_U64(shard_reader_documents(r), n_docs);
    MN_ASSERT_EQ_U64(shard_reader_blocks(r), info.blocks);
    MN_ASSERT_EQ_U64(shard_reader_tokenizer_hash(r), 0xabcdef0123456789ull);
    MN_ASSERT_EQ_U64(shard_reader_vocab_size(r), vocab);
    MN_ASSERT_EQ_U64(shard_reader_eos_id(r), vocab - 1);
    shard_description desc;
    shard_reader_describe(r, &desc);
    MN_ASSERT_EQ_U64(desc.dtype_bytes, vocab <= 65536 ? 2 : 4);
    MN_ASSERT_EQ_U64(desc.block_tokens, block_tokens);
    MN_ASSERT_EQ_INT(desc.zstd_level, SHARD_DEFAULT_ZSTD_LEVEL);
    MN_ASSERT_EQ_STR(desc.source, "test corpus");

    uint32_t *all = malloc(c.n_tokens * sizeof *all);
    MN_ASSERT_OK(shard_reader_read_tokens(r, 0, c.n_tokens, all));
    MN_ASSERT_EQ_MEM(all, c.ids, c.n_tokens * sizeof *all);
    uint32_t *block = malloc(block_tokens * sizeof *block);
    size_t block_errors = 0;
    for (uint64_t b = 0; b < info.blocks; b++) {
        uint64_t first = shard_reader_block_first_token(r, b);
        uint64_t n = shard_reader_block_tokens(r, b);
        MN_ASSERT_EQ_U64(first, b * block_tokens);
        if (shard_reader_read_block(r, b, block) != MN_OK ||
            memcmp(block, c.ids + first, n * sizeof *block) != 0)
            block_errors++;
        /* first_document is the document that holds the block's first token */
        shard_block_info bi = shard_reader_block_info(r, b);
        MN_ASSERT_TRUE(c.starts[bi.first_document] <= first &&
                       first < c.starts[bi.first_document + 1]);
        MN_ASSERT_EQ_U64(shard_reader_block_of_token(r, first + n - 1), b);
    }
    MN_ASSERT_EQ_U64(block_errors, 0);
    for (size_t d = 0; d < n_docs; d++) {
        uint64_t begin, length;
        MN_ASSERT_OK(shard_reader_document(r, d, &begin, &length));
        if (begin != c.starts[d] || length != c.starts[d + 1] - c.starts[d]) {
            MN_ASSERT_EQ_U64(begin, c.starts[d]);
            break;
        }
    }
    uint64_t begin, length;
    MN_ASSERT_STATUS(shard_reader_document(r, n_docs, &begin, &length), MN_ERR_ARG);
    MN_ASSERT_STATUS(shard_reader_read_tokens(r, c.n_tokens - 1, 2, all), MN_ERR_ARG);
    shard_reader_close(r);

    shard_info verified;
    MN_ASSERT_OK(shard_verify(path, 0xabcdef0123456789ull, &verified));
    MN_ASSERT_EQ_U64(verified.xxh64, info.xxh64);
    MN_ASSERT_EQ_U64(verified.tokens, info.tokens);
    free(all);
    free(block);
    corpus_free(&c);
}

static void test_round_trip_u16(void) {
    check_round_trip(50257, 1000);
}

static void test_round_trip_u32(void) {
    check_round_trip(100277, 777);
}

static void test_random_access(void) {
    const char *path = mn_test_path("random.mtok");
    shard_info info;
    corpus c = write_shard(path, 4096, 200, 300, 512, 7, &info);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    mn_rng rng;
    mn_rng_seed(&rng, 99);
    uint32_t *out = malloc(4000 * sizeof *out);
    size_t bad = 0;
    for (int i = 0; i < 200; i++) {
        uint64_t count = mn_rng_below(&rng, 3000);
        uint64_t begin = mn_rng_below(&rng, c.n_tokens - count + 1);
        if (shard_reader_read_tokens(r, begin, count, out) != MN_OK ||
            memcmp(out, c.ids + begin, count * sizeof *out) != 0)
            bad++;
    }
    MN_ASSERT_EQ_U64(bad, 0);
    shard_reader_close(r);

    /* Any block decodes alone: with every other block's bytes destroyed, block k still reads
     * (from a memory image, so nothing else of the file is touched). */
    size_t len;
    uint8_t *file = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(file != NULL);
    MN_ASSERT_OK_FATAL(shard_reader_open_memory(&r, file, len, "image"));
    uint64_t k = info.blocks / 2;
    shard_block_info target = shard_reader_block_info(r, k);
    for (uint64_t b = 0; b < info.blocks; b++) {
        if (b == k)
            continue;
        shard_block_info other = shard_reader_block_info(r, b);
        memset(file + other.offset, 0xa5, other.compressed_size);
    }
    MN_ASSERT_OK(shard_reader_read_block(r, k, out));
    MN_ASSERT_EQ_MEM(out, c.ids + target.first_token, target.tokens * sizeof *out);
    MN_ASSERT_STATUS(shard_reader_read_block(r, k == 0 ? 1 : 0, out), MN_ERR_CORRUPT);
    shard_reader_close(r);
    free(file);
    free(out);
    corpus_free(&c);
}

static void test_empty_shard(void) {
    const char *path = mn_test_path("empty.mtok");
    shard_writer_options options = {.vocab_size = 10, .eos_id = 9};
    shard_writer *w;
    MN_ASSERT_OK_FATAL(shard_writer_open(&w, path, &options));
    shard_info info;
    MN_ASSERT_OK(shard_writer_close(w, &info));
    MN_ASSERT_EQ_U64(info.tokens, 0);
    MN_ASSERT_EQ_U64(info.blocks, 0);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    MN_ASSERT_EQ_U64(shard_reader_tokens(r), 0);
    MN_ASSERT_EQ_U64(shard_reader_documents(r), 0);
    MN_ASSERT_OK(shard_reader_read_tokens(r, 0, 0, NULL));
    shard_reader_close(r);
    MN_ASSERT_OK(shard_verify(path, 0, NULL));
}

static void test_writer_refusals(void) {
    const char *path = mn_test_path("refuse.mtok");
    shard_writer_options options = {.vocab_size = 100, .eos_id = 0, .block_tokens = 4};
    shard_writer *w;
    MN_ASSERT_OK_FATAL(shard_writer_open(&w, path, &options));
    uint32_t good[] = {1, 2, 3, 4, 5};
    uint32_t out_of_range[] = {1, 100};
    uint32_t with_eos[] = {1, 0, 2};
    MN_ASSERT_OK(shard_writer_append_document(w, good, 5));
    MN_ASSERT_STATUS(shard_writer_append_document(w, out_of_range, 2), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("document 1, position 1: id 100 is not below the vocabulary size");
    MN_ASSERT_STATUS(shard_writer_append_document(w, with_eos, 3), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("EOS (id 0) inside a document");
    MN_ASSERT_OK(shard_writer_append_document(w, good, 2));
    MN_ASSERT_TRUE(mn_path_exists(mn_test_path("refuse.mtok.tmp")));
    MN_ASSERT_TRUE(!mn_path_exists(path));
    shard_info info;
    MN_ASSERT_OK(shard_writer_close(w, &info));
    MN_ASSERT_TRUE(!mn_path_exists(mn_test_path("refuse.mtok.tmp")));
    MN_ASSERT_EQ_U64(info.documents, 2);
    MN_ASSERT_EQ_U64(info.tokens, 9);
    MN_ASSERT_EQ_U64(info.blocks, 3);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    uint32_t all[9];
    uint32_t expected[9] = {1, 2, 3, 4, 5, 0, 1, 2, 0};
    MN_ASSERT_OK(shard_reader_read_tokens(r, 0, 9, all));
    MN_ASSERT_EQ_MEM(all, expected, sizeof expected);
    shard_reader_close(r);
    MN_ASSERT_OK(shard_verify(path, 0, NULL));

    options.eos_id = 100;
    MN_ASSERT_STATUS(shard_writer_open(&w, path, &options), MN_ERR_ARG);
    options.eos_id = 0;
    options.block_tokens = SHARD_MAX_BLOCK_TOKENS + 1;
    MN_ASSERT_STATUS(shard_writer_open(&w, path, &options), MN_ERR_ARG);

    MN_ASSERT_OK_FATAL(shard_writer_open(&w, mn_test_path("aborted.mtok"),
                                         &(shard_writer_options){.vocab_size = 5}));
    MN_ASSERT_OK(shard_writer_append_document(w, good, 4));
    shard_writer_abort(w);
    MN_ASSERT_TRUE(!mn_path_exists(mn_test_path("aborted.mtok")));
    MN_ASSERT_TRUE(!mn_path_exists(mn_test_path("aborted.mtok.tmp")));
}

static void test_deterministic(void) {
    shard_info a, b;
    corpus ca = write_shard(mn_test_path("det-a.mtok"), 50257, 50, 400, 256, 5, &a);
    corpus cb = write_shard(mn_test_path("det-b.mtok"), 50257, 50, 400, 256, 5, &b);
    MN_ASSERT_EQ_U64(a.file_bytes, b.file_bytes);
    MN_ASSERT_EQ_U64(a.xxh64, b.xxh64);
    corpus_free(&ca);
    corpus_free(&cb);
}

/* ---- damage ---- */

typedef struct image {
    uint8_t *data;
    size_t len;
    size_t footer_start, footer_len;
} image;

static image load_image(const char *path) {
    image im = {0};
    im.data = shard_test_read_file(path, &im.len);
    MN_ASSERT_FATAL(im.data != NULL && im.len >= 40);
    uint64_t footer_len = 0;
    memcpy(&footer_len, im.data + im.len - 24, 8);
    im.footer_len = (size_t)footer_len;
    im.footer_start = im.len - 24 - im.footer_len;
    return im;
}

/* Rewrites `path` from `im` with the footer replaced by `footer` (valid checksum). */
static void write_with_footer(const char *path, const image *im, Mnemo__ShardFooter *footer) {
    uint8_t *packed;
    size_t packed_len;
    MN_ASSERT_OK_FATAL(mn_proto_pack(&footer->base, &packed, &packed_len));
    size_t len = im->footer_start + packed_len + 24;
    uint8_t *out = malloc(len);
    memcpy(out, im->data, im->footer_start);
    memcpy(out + im->footer_start, packed, packed_len);
    uint64_t f = packed_len, h = mn_xxh64(packed, packed_len, 0);
    memcpy(out + im->footer_start + packed_len, &f, 8);
    memcpy(out + im->footer_start + packed_len + 8, &h, 8);
    memcpy(out + len - 8, "MNTOKEND", 8);
    MN_ASSERT_TRUE(shard_test_rewrite(path, out, len));
    free(out);
    free(packed);
}

typedef void (*footer_edit)(Mnemo__ShardFooter *f);
static void edit_offset(Mnemo__ShardFooter *f) {
    f->blocks[2]->offset += 1;
}
static void edit_csize(Mnemo__ShardFooter *f) {
    f->blocks[1]->compressed_size += 5;
}
static void edit_csize_huge(Mnemo__ShardFooter *f) {
    f->blocks[3]->compressed_size = UINT64_MAX - 3;
}
static void edit_count(Mnemo__ShardFooter *f) {
    f->blocks[2]->token_count += 1;
}
static void edit_count_huge(Mnemo__ShardFooter *f) {
    f->blocks[0]->token_count = 1ull << 40;
}
static void edit_first_document(Mnemo__ShardFooter *f) {
    f->blocks[3]->first_document += 1;
}
static void edit_document_length(Mnemo__ShardFooter *f) {
    f->document_lengths[4] += 1;
}
static void edit_zero_length(Mnemo__ShardFooter *f) {
    f->document_lengths[0] = 0;
}
static void edit_totals(Mnemo__ShardFooter *f) {
    f->total_documents += 1;
}
static void edit_dtype(Mnemo__ShardFooter *f) {
    f->vocab_size = 70000;
}
static void edit_eos(Mnemo__ShardFooter *f) {
    f->eos_id = f->vocab_size;
}
static void edit_version(Mnemo__ShardFooter *f) {
    f->format_version = 9;
}
static void edit_drop_block(Mnemo__ShardFooter *f) {
    f->n_blocks -= 1;
}

static void test_lying_footer(void) {
    const char *path = mn_test_path("liar.mtok");
    const char *good = mn_test_path("liar-good.mtok");
    shard_info info;
    corpus c = write_shard(good, 50257, 40, 200, 300, 11, &info);
    MN_ASSERT_FATAL(info.blocks >= 5);
    image im = load_image(good);
    struct {
        footer_edit edit;
        const char *needle;
    } cases[] = {
        {edit_offset, "block 2: footer offset"},
        {edit_csize, "block 2: footer offset"}, /* block 1 grows: block 2 no longer follows */
        {edit_csize_huge, "block 3: compressed size"},
        {edit_count, "token counts add up to more"},
        {edit_count_huge, "block 0: token count"},
        {edit_first_document, "block 3: footer says its first token belongs to document"},
        {edit_document_length, "document lengths add up to"},
        {edit_zero_length, "document 0 has length 0"},
        {edit_totals, "document lengths for"},
        {edit_dtype, "does not fit the footer's 2-byte ids"},
        {edit_eos, "EOS id"},
        {edit_version, "footer format version 9"},
        {edit_drop_block, "blocks end at byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ProtobufCMessage *message;
        MN_ASSERT_OK_FATAL(mn_proto_unpack(&mnemo__shard_footer__descriptor,
                                           im.data + im.footer_start, im.footer_len, 1 << 26,
                                           "test", &message));
        Mnemo__ShardFooter *footer = (Mnemo__ShardFooter *)message;
        size_t n_blocks = footer->n_blocks;
        cases[i].edit(footer);
        write_with_footer(path, &im, footer);
        footer->n_blocks = n_blocks; /* so that every block is freed */
        protobuf_c_message_free_unpacked(message, NULL);
        shard_reader *r = NULL;
        MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_CORRUPT);
        MN_ASSERT_ERROR_CONTAINS("shard ");
        MN_ASSERT_ERROR_CONTAINS("liar.mtok: ");
        MN_ASSERT_ERROR_CONTAINS(cases[i].needle);
        MN_ASSERT_ERROR_CONTAINS("re-create it with mnemo-tokenize");
        MN_ASSERT_STATUS(shard_verify(path, 0, NULL), MN_ERR_CORRUPT);
    }

    /* A footer that lies about a block's checksum opens (the footer is consistent) but the
     * block does not read. */
    ProtobufCMessage *message;
    MN_ASSERT_OK_FATAL(mn_proto_unpack(&mnemo__shard_footer__descriptor, im.data + im.footer_start,
                                       im.footer_len, 1 << 26, "test", &message));
    ((Mnemo__ShardFooter *)message)->blocks[1]->xxh64 ^= 1;
    write_with_footer(path, &im, (Mnemo__ShardFooter *)message);
    protobuf_c_message_free_unpacked(message, NULL);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    uint32_t *out = malloc(300 * sizeof *out);
    MN_ASSERT_OK(shard_reader_read_block(r, 0, out));
    MN_ASSERT_STATUS(shard_reader_read_block(r, 1, out), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("liar.mtok block 1 (offset");
    MN_ASSERT_ERROR_CONTAINS("xxh64 mismatch");
    shard_reader_close(r);
    MN_ASSERT_STATUS(shard_verify(path, 0, NULL), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("block 1");
    free(out);
    free(im.data);
    corpus_free(&c);
}

static void test_flipped_bits(void) {
    const char *good = mn_test_path("flip-good.mtok"), *path = mn_test_path("flip.mtok");
    shard_info info;
    corpus c = write_shard(good, 50257, 60, 300, 400, 13, &info);
    image im = load_image(good);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, good));
    uint64_t n_blocks = shard_reader_blocks(r);
    size_t detected = 0, tried = 0;
    uint32_t *out = malloc(400 * sizeof *out);
    for (uint64_t b = 0; b < n_blocks; b++) {
        shard_block_info bi = shard_reader_block_info(r, b);
        /* A bit in the middle and one in the frame header of each block. */
        uint64_t spots[2] = {bi.offset + bi.compressed_size / 2, bi.offset + 5};
        for (int s = 0; s < 2; s++) {
            im.data[spots[s]] ^= 0x04;
            MN_ASSERT_TRUE(shard_test_rewrite(path, im.data, im.len));
            im.data[spots[s]] ^= 0x04;
            shard_reader *damaged;
            tried++;
            MN_ASSERT_OK_FATAL(shard_reader_open(&damaged, path)); /* footer intact */
            mn_status status = shard_reader_read_block(damaged, b, out);
            char needle[64];
            snprintf(needle, sizeof needle, "flip.mtok block %llu (", (unsigned long long)b);
            if (status == MN_ERR_CORRUPT && strstr(mn_error_message(), needle) != NULL)
                detected++;
            /* The other blocks are unaffected. */
            uint64_t other = (b + 1) % n_blocks;
            MN_ASSERT_OK(shard_reader_read_block(damaged, other, out));
            shard_reader_close(damaged);
            MN_ASSERT_STATUS(shard_verify(path, 0, NULL), MN_ERR_CORRUPT);
        }
    }
    MN_ASSERT_EQ_U64(detected, tried);
    shard_reader_close(r);

    /* A flipped bit in the footer is caught by the footer checksum. */
    im.data[im.footer_start + im.footer_len / 2] ^= 0x01;
    MN_ASSERT_TRUE(shard_test_rewrite(path, im.data, im.len));
    MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("footer checksum mismatch");
    free(out);
    free(im.data);
    corpus_free(&c);
}

static void test_truncated_and_foreign(void) {
    const char *good = mn_test_path("trunc-good.mtok"), *path = mn_test_path("trunc.mtok");
    shard_info info;
    corpus c = write_shard(good, 50257, 30, 200, 256, 17, &info);
    image im = load_image(good);
    size_t cuts[] = {0, 10, 39, im.len / 3, im.len - 25, im.len - 1};
    shard_reader *r;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        MN_ASSERT_TRUE(shard_test_rewrite(path, im.data, cuts[i]));
        mn_status status = shard_reader_open(&r, path);
        MN_ASSERT_TRUE(status == MN_ERR_CORRUPT || status == MN_ERR_FORMAT);
        MN_ASSERT_ERROR_CONTAINS("trunc.mtok");
    }
    MN_ASSERT_TRUE(shard_test_rewrite(path, im.data, im.len - 1));
    MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("truncated or was not closed");

    uint8_t *copy = malloc(im.len);
    memcpy(copy, im.data, im.len);
    copy[0] = 'X';
    MN_ASSERT_TRUE(shard_test_rewrite(path, copy, im.len));
    MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("wrong head magic (not a mnemo token shard");
    memcpy(copy, im.data, im.len);
    copy[8] = 2;
    MN_ASSERT_TRUE(shard_test_rewrite(path, copy, im.len));
    MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_UNSUPPORTED);
    MN_ASSERT_ERROR_CONTAINS("upgrade mnemo");
    memcpy(copy, im.data, im.len);
    uint64_t huge = (uint64_t)SHARD_MAX_FOOTER_BYTES + 1;
    memcpy(copy + im.len - 24, &huge, 8);
    MN_ASSERT_TRUE(shard_test_rewrite(path, copy, im.len));
    MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_LIMIT);
    uint64_t too_long = im.len;
    memcpy(copy + im.len - 24, &too_long, 8);
    MN_ASSERT_TRUE(shard_test_rewrite(path, copy, im.len));
    MN_ASSERT_STATUS(shard_reader_open(&r, path), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("does not fit");
    free(copy);

    /* A shard from another tokenizer. */
    MN_ASSERT_STATUS(shard_verify(good, 0x1111, NULL), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("was made by tokenizer 0xabcdef0123456789");
    MN_ASSERT_ERROR_CONTAINS("re-tokenize it");
    free(im.data);
    corpus_free(&c);
}

/* Ids with the high bit set go through the vectorised widening; an id at or above the
 * vocabulary is caught wherever it sits in the block. */
static void test_large_ids_and_vocabulary_check(void) {
    const char *path = mn_test_path("high-ids.mtok");
    shard_writer_options o = {.vocab_size = 65536, .eos_id = 0, .block_tokens = 37};
    shard_writer *w;
    MN_ASSERT_OK_FATAL(shard_writer_open(&w, path, &o));
    uint32_t ids[29];
    for (int i = 0; i < 29; i++)
        ids[i] = i == 17 ? 65535u : (uint32_t)(32768 + i * 7);
    MN_ASSERT_OK(shard_writer_append_document(w, ids, 29));
    MN_ASSERT_OK(shard_writer_append_document(w, ids + 3, 5));
    MN_ASSERT_OK(shard_writer_close(w, NULL));
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    uint32_t out[37];
    MN_ASSERT_OK(shard_reader_read_block(r, 0, out));
    MN_ASSERT_EQ_MEM(out, ids, sizeof ids);
    MN_ASSERT_EQ_U64(out[29], 0);
    MN_ASSERT_EQ_U64(out[30], ids[3]);
    shard_reader_close(r);
    MN_ASSERT_OK(shard_verify(path, 0, NULL));

    /* the same blocks under a footer that claims 40,000 ids */
    image im = load_image(path);
    ProtobufCMessage *message;
    MN_ASSERT_OK_FATAL(mn_proto_unpack(&mnemo__shard_footer__descriptor, im.data + im.footer_start,
                                       im.footer_len, 1 << 20, "test", &message));
    ((Mnemo__ShardFooter *)message)->vocab_size = 40000;
    write_with_footer(path, &im, (Mnemo__ShardFooter *)message);
    protobuf_c_message_free_unpacked(message, NULL);
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    MN_ASSERT_STATUS(shard_reader_read_block(r, 0, out), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS(
        "token 17 of the block is id 65535, not below the vocabulary size 40000");
    shard_reader_close(r);
    free(im.data);
}

typedef struct span_job {
    const shard_reader *reader;
    const corpus *c;
    uint64_t wrong;
} span_job;

static void *document_lookups(void *arg) {
    span_job *job = arg;
    for (size_t d = 0; d < job->c->n_docs; d++) {
        uint64_t begin, length;
        if (shard_reader_document(job->reader, d, &begin, &length) != MN_OK ||
            begin != job->c->starts[d] || length != job->c->starts[d + 1] - job->c->starts[d])
            job->wrong++;
    }
    return NULL;
}

/* Spans summed from the footer equal the document index; the index, built lazily, is built
 * once even when several threads ask for it together. */
static void test_document_spans(void) {
    const char *path = mn_test_path("spans.mtok");
    shard_info info;
    corpus c = write_shard(path, 50257, 120, 90, 64, 23, &info);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    uint64_t spans[4][2] = {{0, 120}, {5, 6}, {17, 17}, {40, 119}};
    uint64_t before[4][2];
    for (int k = 0; k < 4; k++)
        MN_ASSERT_OK(
            shard_reader_document_span(r, spans[k][0], spans[k][1], &before[k][0], &before[k][1]));
    pthread_t threads[4];
    span_job jobs[4];
    for (int k = 0; k < 4; k++) {
        jobs[k] = (span_job){r, &c, 0};
        pthread_create(&threads[k], NULL, document_lookups, &jobs[k]);
    }
    uint64_t wrong = 0;
    for (int k = 0; k < 4; k++) {
        pthread_join(threads[k], NULL);
        wrong += jobs[k].wrong;
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    for (int k = 0; k < 4; k++) {
        uint64_t begin, end;
        MN_ASSERT_OK(shard_reader_document_span(r, spans[k][0], spans[k][1], &begin, &end));
        MN_ASSERT_EQ_U64(begin, c.starts[spans[k][0]]);
        MN_ASSERT_EQ_U64(end, c.starts[spans[k][1]]);
        MN_ASSERT_EQ_U64(before[k][0], begin);
        MN_ASSERT_EQ_U64(before[k][1], end);
    }
    uint64_t begin, end;
    MN_ASSERT_STATUS(shard_reader_document_span(r, 3, 121, &begin, &end), MN_ERR_ARG);
    shard_reader_close(r);
    corpus_free(&c);
}

static const mn_test_case mtok_cases[] = {
    {"document spans from the footer equal the lazily built document index", test_document_spans},
    {"ids with the high bit set read back; ids over the vocabulary are caught",
     test_large_ids_and_vocabulary_check},
    {"uint16 shards read back exactly (blocks, tokens, documents, footer)", test_round_trip_u16},
    {"uint32 shards read back exactly", test_round_trip_u32},
    {"random token ranges read across blocks; any block decodes alone", test_random_access},
    {"an empty shard is valid", test_empty_shard},
    {"ids out of range and EOS inside a document are refused, leaving no trace",
     test_writer_refusals},
    {"identical input gives byte-identical shards", test_deterministic},
    {"a footer that lies about offsets, sizes, counts or documents is refused at open",
     test_lying_footer},
    {"flipped bits are caught in the block they hit (and in the footer)", test_flipped_bits},
    {"truncated files, wrong magics, oversized footers and foreign tokenizers are named",
     test_truncated_and_foreign},
    {0}};

static const mn_test_suite suites[] = {{"mtok", mtok_cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
