/* Dataset manifests: a dataset is a manifest (proto/manifest.proto). Document datasets
 * (mnemo-ingest) and token datasets (mnemo-tokenize) are described the same way; mixtures
 * and splits are manifests too.
 *
 * On disk a dataset directory holds `manifest.pb` (protobuf, the source of truth) and
 * `manifest.json` (the same content for humans and jq), both written atomically, the JSON
 * twin first and the .pb last, so a manifest.pb always has its twin and a dataset is
 * complete exactly when its manifest.pb exists.
 * Shard paths are relative to the manifest's directory unless absolute.
 *
 * Anything that takes a dataset accepts the directory or the manifest.pb path (or the
 * manifest.json path, which stands for the .pb beside it).
 *
 * Entries: `bytes` and `xxh64` describe the whole shard file; `documents` and `tokens`
 * count what the entry contributes to the dataset. For an entry with a document range
 * [document_begin, document_end) (splits), that is the range only: documents ==
 * document_end - document_begin, tokens = the tokens of those documents (EOS included).
 * `weight` (mixtures, 0 = 1) scales how many of the entry's samples one epoch of the data
 * loader draws: 0.25 draws a quarter of them (a different quarter each epoch), 2.5 draws
 * every sample twice and half of them a third time (docs/formats.md).
 *
 * The JSON twin (manifest.json) holds the same fields under the same names; the 64-bit
 * hashes (tokenizer_hash, xxh64) are strings "0x%016x" since JSON numbers keep 53 bits,
 * settings and counters are objects keyed by name, a missing source is null.
 * Loading checks the format version, the kind, every entry (path, weight, range) and that
 * the totals equal the sums of the entries; it trusts nothing else in the file.
 */
#ifndef MNEMO_SHARDS_MANIFEST_H
#define MNEMO_SHARDS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define SHARD_MANIFEST_PB             "manifest.pb"
#define SHARD_MANIFEST_JSON           "manifest.json"
#define SHARD_MANIFEST_FORMAT_VERSION 1u
/* Largest manifest.pb read (about a million shard entries). */
#define SHARD_MANIFEST_MAX_BYTES ((size_t)256 << 20)

typedef enum shard_dataset_kind {
    SHARD_DATASET_UNSPECIFIED = 0,
    SHARD_DATASET_DOCUMENTS = 1, /* *.jsonl.zst */
    SHARD_DATASET_TOKENS = 2,    /* *.mtok */
} shard_dataset_kind;

typedef struct shard_manifest_entry {
    char *path; /* as stored: relative to the manifest directory, or absolute */
    uint64_t documents;
    uint64_t tokens;
    uint64_t bytes;
    uint64_t xxh64;
    double weight; /* 0 means 1 */
    char *source;  /* may be NULL */
    /* Document range [document_begin, document_end) of the shard in this dataset; both 0
     * means all documents (splits use ranges). */
    uint64_t document_begin;
    uint64_t document_end;
} shard_manifest_entry;

typedef struct shard_key_value {
    char *key;
    char *value;
} shard_key_value;

typedef struct shard_counter {
    char *name;
    int64_t value;
} shard_counter;

typedef struct shard_manifest {
    shard_dataset_kind kind;
    char *dir; /* directory the manifest was loaded from or will be saved to */
    shard_manifest_entry *shards;
    size_t n_shards;
    uint64_t tokenizer_hash; /* token datasets */
    uint64_t total_documents, total_tokens, total_bytes;
    shard_key_value *settings;
    size_t n_settings;
    shard_counter *counters;
    size_t n_counters;
    char *created_by;
    double created_at;
} shard_manifest;

/* An empty manifest of `kind` for the dataset directory `dir`. */
mn_status shard_manifest_init(shard_manifest *manifest, shard_dataset_kind kind, const char *dir);
/* Appends a copy of `entry` and adds its counts to the totals. */
mn_status shard_manifest_add(shard_manifest *manifest, const shard_manifest_entry *entry);
mn_status shard_manifest_set_setting(shard_manifest *manifest, const char *key, const char *value);
mn_status shard_manifest_set_counter(shard_manifest *manifest, const char *name, int64_t value);
/* Writes DIR/manifest.json and DIR/manifest.pb atomically (created_by and created_at are
 * filled when empty). */
mn_status shard_manifest_save(shard_manifest *manifest);
/* Loads a dataset given its directory or its manifest.pb path; checks the schema version,
 * the kind and that totals equal the sum of the entries. */
mn_status shard_manifest_load(shard_manifest *manifest, const char *path);
/* Parses and checks manifest.pb bytes (as shard_manifest_load does after reading the file);
 * `dir` becomes manifest->dir, `where` names the source in messages. */
mn_status shard_manifest_parse(shard_manifest *manifest, const uint8_t *data, size_t len,
                               const char *dir, const char *where);
/* "documents", "tokens" or "unspecified". */
const char *shard_dataset_kind_name(shard_dataset_kind kind);
/* Path of shard i usable from the current directory (new string, free()). */
char *shard_manifest_shard_path(const shard_manifest *manifest, size_t i);
void shard_manifest_free(shard_manifest *manifest);

#endif
