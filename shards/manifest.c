#include "shards/manifest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/util.h"
#include "mnemo_version.h"
#include "proto/manifest.pb-c.h"
#include "proto/proto.h"
#include "shards/json.h"

const char *shard_dataset_kind_name(shard_dataset_kind kind) {
    switch (kind) {
        case SHARD_DATASET_DOCUMENTS:
            return "documents";
        case SHARD_DATASET_TOKENS:
            return "tokens";
        default:
            return "unspecified";
    }
}

mn_status shard_manifest_init(shard_manifest *m, shard_dataset_kind kind, const char *dir) {
    *m = (shard_manifest){0};
    m->kind = kind;
    m->dir = mn_strdup(dir ? dir : ".");
    return m->dir ? MN_OK : MN_ERR_NOMEM;
}

static char *dup_or_null(const char *s) {
    return s ? mn_strdup(s) : NULL;
}

mn_status shard_manifest_add(shard_manifest *m, const shard_manifest_entry *entry) {
    MN_RETURN_ERROR_IF(entry->path == NULL || entry->path[0] == '\0', MN_ERR_ARG,
                       "a manifest entry needs a shard path");
    MN_RETURN_ERROR_IF(!isfinite(entry->weight) || entry->weight < 0, MN_ERR_ARG,
                       "shard %s: weight %g must be finite and >= 0", entry->path, entry->weight);
    void *grown = m->shards;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&grown, m->n_shards + 1, sizeof *m->shards));
    m->shards = grown;
    shard_manifest_entry *e = &m->shards[m->n_shards];
    *e = *entry;
    e->path = mn_strdup(entry->path);
    e->source = dup_or_null(entry->source);
    if (e->path == NULL || (entry->source != NULL && e->source == NULL)) {
        free(e->path);
        free(e->source);
        return MN_ERR_NOMEM;
    }
    m->n_shards++;
    m->total_documents += entry->documents;
    m->total_tokens += entry->tokens;
    m->total_bytes += entry->bytes;
    return MN_OK;
}

mn_status shard_manifest_set_setting(shard_manifest *m, const char *key, const char *value) {
    for (size_t i = 0; i < m->n_settings; i++) {
        if (strcmp(m->settings[i].key, key) == 0) {
            char *copy = mn_strdup(value);
            if (copy == NULL)
                return MN_ERR_NOMEM;
            free(m->settings[i].value);
            m->settings[i].value = copy;
            return MN_OK;
        }
    }
    void *grown = m->settings;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&grown, m->n_settings + 1, sizeof *m->settings));
    m->settings = grown;
    shard_key_value kv = {mn_strdup(key), mn_strdup(value)};
    if (kv.key == NULL || kv.value == NULL) {
        free(kv.key);
        free(kv.value);
        return MN_ERR_NOMEM;
    }
    m->settings[m->n_settings++] = kv;
    return MN_OK;
}

mn_status shard_manifest_set_counter(shard_manifest *m, const char *name, int64_t value) {
    for (size_t i = 0; i < m->n_counters; i++) {
        if (strcmp(m->counters[i].name, name) == 0) {
            m->counters[i].value = value;
            return MN_OK;
        }
    }
    void *grown = m->counters;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&grown, m->n_counters + 1, sizeof *m->counters));
    m->counters = grown;
    char *copy = mn_strdup(name);
    if (copy == NULL)
        return MN_ERR_NOMEM;
    m->counters[m->n_counters++] = (shard_counter){copy, value};
    return MN_OK;
}

/* The shortest decimal form that reads back as the same double (JSON has no NaN/Inf; the
 * values written here are checked finite). */
static mn_status append_double(mn_buf *buf, double v) {
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, v);
        if (strtod(text, NULL) == v)
            break;
    }
    /* "1" is a valid JSON number, but keep a fraction so readers see a real. */
    bool integral = strpbrk(text, ".eEn") == NULL;
    return mn_buf_appendf(buf, "%s%s", text, integral ? ".0" : "");
}

static mn_status append_key(mn_buf *buf, const char *indent, const char *key) {
    return mn_buf_appendf(buf, "%s\"%s\": ", indent, key);
}

static mn_status append_string_or_null(mn_buf *buf, const char *s) {
    if (s == NULL)
        return mn_buf_append(buf, "null", 4);
    return shard__json_append_string(buf, s, strlen(s));
}

/* The JSON twin: the same content as the .pb, laid out for humans and jq. 64-bit hashes are
 * hex strings ("0x...") because JSON readers keep only 53 bits of a number. */
static mn_status build_json(const shard_manifest *m, mn_buf *out) {
    mn_status s = mn_buf_appendf(
        out,
        "{\n  \"format_version\": %u,\n  \"kind\": \"%s\",\n"
        "  \"tokenizer_hash\": \"0x%016llx\",\n"
        "  \"total_documents\": %llu,\n  \"total_tokens\": %llu,\n"
        "  \"total_bytes\": %llu,\n",
        SHARD_MANIFEST_FORMAT_VERSION, shard_dataset_kind_name(m->kind),
        (unsigned long long)m->tokenizer_hash, (unsigned long long)m->total_documents,
        (unsigned long long)m->total_tokens, (unsigned long long)m->total_bytes);
    if (s == MN_OK)
        s = append_key(out, "  ", "created_by");
    if (s == MN_OK)
        s = append_string_or_null(out, m->created_by ? m->created_by : "");
    if (s == MN_OK)
        s = mn_buf_appendf(out, ",\n  \"created_at\": ");
    if (s == MN_OK)
        s = append_double(out, m->created_at);
    if (s == MN_OK)
        s = mn_buf_appendf(out, ",\n  \"settings\": {");
    for (size_t i = 0; s == MN_OK && i < m->n_settings; i++) {
        s = mn_buf_appendf(out, "%s\n    ", i ? "," : "");
        if (s == MN_OK)
            s = append_string_or_null(out, m->settings[i].key);
        if (s == MN_OK)
            s = mn_buf_append(out, ": ", 2);
        if (s == MN_OK)
            s = append_string_or_null(out, m->settings[i].value);
    }
    if (s == MN_OK)
        s = mn_buf_appendf(out, "%s},\n  \"counters\": {", m->n_settings ? "\n  " : "");
    for (size_t i = 0; s == MN_OK && i < m->n_counters; i++) {
        s = mn_buf_appendf(out, "%s\n    ", i ? "," : "");
        if (s == MN_OK)
            s = append_string_or_null(out, m->counters[i].name);
        if (s == MN_OK)
            s = mn_buf_appendf(out, ": %lld", (long long)m->counters[i].value);
    }
    if (s == MN_OK)
        s = mn_buf_appendf(out, "%s},\n  \"shards\": [", m->n_counters ? "\n  " : "");
    for (size_t i = 0; s == MN_OK && i < m->n_shards; i++) {
        const shard_manifest_entry *e = &m->shards[i];
        s = mn_buf_appendf(out, "%s\n    {\"path\": ", i ? "," : "");
        if (s == MN_OK)
            s = append_string_or_null(out, e->path);
        if (s == MN_OK)
            s = mn_buf_appendf(out,
                               ", \"documents\": %llu, \"tokens\": %llu, \"bytes\": %llu, "
                               "\"xxh64\": \"0x%016llx\", \"weight\": ",
                               (unsigned long long)e->documents, (unsigned long long)e->tokens,
                               (unsigned long long)e->bytes, (unsigned long long)e->xxh64);
        if (s == MN_OK)
            s = append_double(out, e->weight);
        if (s == MN_OK)
            s = mn_buf_append(out, ", \"source\": ", 12);
        if (s == MN_OK)
            s = append_string_or_null(out, e->source);
        if (s == MN_OK)
            s = mn_buf_appendf(out, ", \"document_begin\": %llu, \"document_end\": %llu}",
                               (unsigned long long)e->document_begin,
                               (unsigned long long)e->document_end);
    }
    if (s == MN_OK)
        s = mn_buf_appendf(out, "%s]\n}\n", m->n_shards ? "\n  " : "");
    return s;
}

mn_status shard_manifest_save(shard_manifest *m) {
    MN_RETURN_ERROR_IF(m->kind != SHARD_DATASET_DOCUMENTS && m->kind != SHARD_DATASET_TOKENS,
                       MN_ERR_ARG, "manifest for %s has no dataset kind", m->dir);
    if (m->created_by == NULL || m->created_by[0] == '\0') {
        free(m->created_by);
        m->created_by =
            mn_asprintf("%s %s (git %s)", mn_log_program(), MNEMO_VERSION, MNEMO_GIT_HASH);
        if (m->created_by == NULL)
            return MN_ERR_NOMEM;
    }
    if (m->created_at == 0)
        m->created_at = mn_wall_clock();
    MN_FORWARD_IF_ERROR(mn_make_dirs(m->dir));

    Mnemo__ManifestShard *entries = mn_calloc(m->n_shards ? m->n_shards : 1, sizeof *entries);
    Mnemo__ManifestShard **entry_ptrs = mn_calloc(m->n_shards ? m->n_shards : 1, sizeof(void *));
    Mnemo__Setting *settings = mn_calloc(m->n_settings ? m->n_settings : 1, sizeof *settings);
    Mnemo__Setting **setting_ptrs = mn_calloc(m->n_settings ? m->n_settings : 1, sizeof(void *));
    Mnemo__Counter *counters = mn_calloc(m->n_counters ? m->n_counters : 1, sizeof *counters);
    Mnemo__Counter **counter_ptrs = mn_calloc(m->n_counters ? m->n_counters : 1, sizeof(void *));
    char *json_path = mn_path_join(m->dir, SHARD_MANIFEST_JSON);
    char *pb_path = mn_path_join(m->dir, SHARD_MANIFEST_PB);
    mn_buf json = {0};
    mn_status status = MN_OK;
    if (!entries || !entry_ptrs || !settings || !setting_ptrs || !counters || !counter_ptrs ||
        !json_path || !pb_path)
        status = MN_ERR_NOMEM;
    if (status == MN_OK) {
        for (size_t i = 0; i < m->n_shards; i++) {
            const shard_manifest_entry *e = &m->shards[i];
            Mnemo__ManifestShard *x = &entries[i];
            mnemo__manifest_shard__init(x);
            x->path = e->path;
            x->documents = e->documents;
            x->tokens = e->tokens;
            x->bytes = e->bytes;
            x->xxh64 = e->xxh64;
            x->weight = e->weight;
            x->source = e->source ? e->source : "";
            x->document_begin = e->document_begin;
            x->document_end = e->document_end;
            entry_ptrs[i] = x;
        }
        for (size_t i = 0; i < m->n_settings; i++) {
            mnemo__setting__init(&settings[i]);
            settings[i].key = m->settings[i].key;
            settings[i].value = m->settings[i].value;
            setting_ptrs[i] = &settings[i];
        }
        for (size_t i = 0; i < m->n_counters; i++) {
            mnemo__counter__init(&counters[i]);
            counters[i].name = m->counters[i].name;
            counters[i].value = m->counters[i].value;
            counter_ptrs[i] = &counters[i];
        }
        status = build_json(m, &json);
        if (status != MN_OK)
            status = mn_error_context(status, "manifest %s", json_path);
    }
    /* The twin first and the .pb last: a dataset is complete exactly when manifest.pb
     * exists, and then its twin exists too. */
    if (status == MN_OK)
        status = mn_write_file_atomic(json_path, json.data, json.len);
    if (status == MN_OK) {
        Mnemo__Manifest pb = MNEMO__MANIFEST__INIT;
        pb.format_version = SHARD_MANIFEST_FORMAT_VERSION;
        pb.kind = (Mnemo__DatasetKind)m->kind;
        pb.n_shards = m->n_shards;
        pb.shards = entry_ptrs;
        pb.tokenizer_hash = m->tokenizer_hash;
        pb.total_documents = m->total_documents;
        pb.total_tokens = m->total_tokens;
        pb.total_bytes = m->total_bytes;
        pb.n_settings = m->n_settings;
        pb.settings = setting_ptrs;
        pb.n_counters = m->n_counters;
        pb.counters = counter_ptrs;
        pb.created_by = m->created_by;
        pb.created_at = m->created_at;
        status = mn_proto_write_file(&pb.base, pb_path);
    }
    mn_buf_free(&json);
    free(json_path);
    free(pb_path);
    free(entries);
    free(entry_ptrs);
    free(settings);
    free(setting_ptrs);
    free(counters);
    free(counter_ptrs);
    return status;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0 && (n == k || s[n - k - 1] == '/');
}

/* Resolves a dataset argument to its directory and manifest.pb path. */
static mn_status resolve(const char *path, char **dir, char **pb_path) {
    *dir = *pb_path = NULL;
    if (mn_is_directory(path)) {
        *dir = mn_strdup(path);
        *pb_path = mn_path_join(path, SHARD_MANIFEST_PB);
    } else if (ends_with(path, SHARD_MANIFEST_PB) || ends_with(path, SHARD_MANIFEST_JSON)) {
        char parent[4096];
        mn_path_dirname(path, parent, sizeof parent);
        *dir = mn_strdup(parent);
        *pb_path = mn_path_join(parent, SHARD_MANIFEST_PB);
    } else {
        return mn_error(mn_path_exists(path) ? MN_ERR_ARG : MN_ERR_NOT_FOUND,
                        "%s is not a dataset (give a dataset directory or its manifest.pb)", path);
    }
    if (*dir == NULL || *pb_path == NULL) {
        free(*dir);
        free(*pb_path);
        *dir = *pb_path = NULL;
        return MN_ERR_NOMEM;
    }
    return MN_OK;
}

/* Every invariant of a manifest read from disk, checked before it is used. */
static mn_status validate(const Mnemo__Manifest *pb, const char *where) {
    MN_RETURN_ERROR_IF(pb->format_version == 0, MN_ERR_FORMAT,
                       "%s: no format version (not a mnemo manifest?)", where);
    MN_RETURN_ERROR_IF(pb->format_version > SHARD_MANIFEST_FORMAT_VERSION, MN_ERR_UNSUPPORTED,
                       "%s: manifest format version %u is newer than this mnemo reads (%u): "
                       "upgrade mnemo",
                       where, pb->format_version, SHARD_MANIFEST_FORMAT_VERSION);
    MN_RETURN_ERROR_IF(pb->kind != MNEMO__DATASET_KIND__DATASET_KIND_DOCUMENTS &&
                           pb->kind != MNEMO__DATASET_KIND__DATASET_KIND_TOKENS,
                       MN_ERR_FORMAT, "%s: unknown dataset kind %d", where, (int)pb->kind);
    uint64_t documents = 0, tokens = 0, bytes = 0;
    bool overflow = false;
    for (size_t i = 0; i < pb->n_shards; i++) {
        const Mnemo__ManifestShard *e = pb->shards[i];
        MN_RETURN_ERROR_IF(e->path == NULL || e->path[0] == '\0', MN_ERR_FORMAT,
                           "%s: shard entry %zu has no path", where, i);
        MN_RETURN_ERROR_IF(!isfinite(e->weight) || e->weight < 0, MN_ERR_FORMAT,
                           "%s: shard %s has weight %g (must be finite and >= 0)", where, e->path,
                           e->weight);
        MN_RETURN_ERROR_IF(e->document_begin > e->document_end, MN_ERR_FORMAT,
                           "%s: shard %s has document range [%llu, %llu) that ends before it "
                           "begins",
                           where, e->path, (unsigned long long)e->document_begin,
                           (unsigned long long)e->document_end);
        MN_RETURN_ERROR_IF(
            e->document_end > 0 && e->document_end - e->document_begin != e->documents,
            MN_ERR_FORMAT,
            "%s: shard %s lists %llu documents but its range [%llu, %llu) holds "
            "%llu",
            where, e->path, (unsigned long long)e->documents, (unsigned long long)e->document_begin,
            (unsigned long long)e->document_end,
            (unsigned long long)(e->document_end - e->document_begin));
        overflow |= __builtin_add_overflow(documents, e->documents, &documents);
        overflow |= __builtin_add_overflow(tokens, e->tokens, &tokens);
        overflow |= __builtin_add_overflow(bytes, e->bytes, &bytes);
    }
    MN_RETURN_ERROR_IF(overflow, MN_ERR_FORMAT, "%s: shard counts overflow 64 bits", where);
    MN_RETURN_ERROR_IF(
        documents != pb->total_documents || tokens != pb->total_tokens || bytes != pb->total_bytes,
        MN_ERR_CORRUPT,
        "%s: totals (%llu documents, %llu tokens, %llu bytes) differ from the sum "
        "of its shards (%llu, %llu, %llu): the manifest was edited or damaged; "
        "re-create it",
        where, (unsigned long long)pb->total_documents, (unsigned long long)pb->total_tokens,
        (unsigned long long)pb->total_bytes, (unsigned long long)documents,
        (unsigned long long)tokens, (unsigned long long)bytes);
    return MN_OK;
}

static mn_status from_pb(shard_manifest *m, const Mnemo__Manifest *pb) {
    m->kind = (shard_dataset_kind)pb->kind;
    m->tokenizer_hash = pb->tokenizer_hash;
    m->created_at = pb->created_at;
    m->created_by = mn_strdup(pb->created_by ? pb->created_by : "");
    if (m->created_by == NULL)
        return MN_ERR_NOMEM;
    for (size_t i = 0; i < pb->n_shards; i++) {
        const Mnemo__ManifestShard *e = pb->shards[i];
        shard_manifest_entry entry = {
            .path = e->path,
            .documents = e->documents,
            .tokens = e->tokens,
            .bytes = e->bytes,
            .xxh64 = e->xxh64,
            .weight = e->weight,
            .source = e->source && e->source[0] ? e->source : NULL,
            .document_begin = e->document_begin,
            .document_end = e->document_end,
        };
        MN_FORWARD_IF_ERROR(shard_manifest_add(m, &entry));
    }
    for (size_t i = 0; i < pb->n_settings; i++)
        MN_FORWARD_IF_ERROR(
            shard_manifest_set_setting(m, pb->settings[i]->key ? pb->settings[i]->key : "",
                                       pb->settings[i]->value ? pb->settings[i]->value : ""));
    for (size_t i = 0; i < pb->n_counters; i++)
        MN_FORWARD_IF_ERROR(shard_manifest_set_counter(
            m, pb->counters[i]->name ? pb->counters[i]->name : "", pb->counters[i]->value));
    return MN_OK;
}

mn_status shard_manifest_parse(shard_manifest *m, const uint8_t *data, size_t len, const char *dir,
                               const char *where) {
    MN_FORWARD_IF_ERROR(shard_manifest_init(m, SHARD_DATASET_UNSPECIFIED, dir));
    ProtobufCMessage *message = NULL;
    mn_status status = mn_proto_unpack(&mnemo__manifest__descriptor, data, len,
                                       SHARD_MANIFEST_MAX_BYTES, where, &message);
    if (status == MN_OK)
        status = validate((const Mnemo__Manifest *)message, where);
    if (status == MN_OK)
        status = from_pb(m, (const Mnemo__Manifest *)message);
    if (message != NULL)
        protobuf_c_message_free_unpacked(message, NULL);
    if (status != MN_OK)
        shard_manifest_free(m);
    return status;
}

mn_status shard_manifest_load(shard_manifest *m, const char *path) {
    *m = (shard_manifest){0};
    char *dir, *pb_path;
    MN_FORWARD_IF_ERROR(resolve(path, &dir, &pb_path));
    uint8_t *data = NULL;
    size_t len = 0;
    mn_status status = mn_read_file(pb_path, SHARD_MANIFEST_MAX_BYTES, &data, &len);
    if (status == MN_ERR_NOT_FOUND)
        status = mn_error(MN_ERR_NOT_FOUND,
                          "%s has no %s: it is not a dataset, or the program that writes it has "
                          "not finished (run it again to resume)",
                          dir, SHARD_MANIFEST_PB);
    if (status == MN_OK)
        status = shard_manifest_parse(m, data, len, dir, pb_path);
    free(data);
    free(dir);
    free(pb_path);
    return status;
}

char *shard_manifest_shard_path(const shard_manifest *m, size_t i) {
    return mn_path_join(m->dir, m->shards[i].path);
}

void shard_manifest_free(shard_manifest *m) {
    for (size_t i = 0; i < m->n_shards; i++) {
        free(m->shards[i].path);
        free(m->shards[i].source);
    }
    for (size_t i = 0; i < m->n_settings; i++) {
        free(m->settings[i].key);
        free(m->settings[i].value);
    }
    for (size_t i = 0; i < m->n_counters; i++)
        free(m->counters[i].name);
    free(m->shards);
    free(m->settings);
    free(m->counters);
    free(m->created_by);
    free(m->dir);
    *m = (shard_manifest){0};
}
