/* mnemo-tokenize: document shards in, token shards out.
 *
 * Every input shard becomes OUTPUT/<its name>.mtk, written by the one rank it is assigned
 * to (tok_assign_shards), so the output does not depend on the number of ranks. Documents
 * are encoded as ordinary text (special-token text in a document is text, never a special
 * id) and the token shard writer appends EOS after each. A relaunch skips every shard whose
 * output exists and carries this tokenizer's identity hash; rank 0 writes the manifest
 * last, so a dataset is complete exactly when OUTPUT/manifest.pb exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/progress.h"
#include "common/stats.h"
#include "common/util.h"
#include "mnemo_version.h"
#include "shards/docshard.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "tokenizer/pipeline.h"

/* Per shard, gathered on rank 0 (a sum over ranks, where only the owner is non-zero). */
enum { F_TOKENS, F_DOCUMENTS, F_BYTES, F_XXH64, F_TEXT, F_SKIPPED, F_COUNT };

static mn_status file_xxh64(const char *path, uint64_t *hash, uint64_t *size) {
    mn_mapped_file map;
    MN_FORWARD_IF_ERROR(mn_map_file(&map, path));
    *hash = mn_xxh64(map.data, map.size, 0);
    *size = map.size;
    mn_unmap_file(&map);
    return MN_OK;
}

/* An existing output that this tokenizer made: fills the shard's fields and *done. */
static mn_status check_done(const char *path, const tok_tokenizer *t, uint64_t *fields,
                            bool *done) {
    *done = false;
    if (!mn_path_exists(path))
        return MN_OK;
    shard_reader *r = NULL;
    if (shard_reader_open(&r, path) != MN_OK) {
        mn_warn("%s is not a valid token shard (%s); writing it again", path, mn_error_message());
        return MN_OK;
    }
    uint64_t hash = shard_reader_tokenizer_hash(r);
    fields[F_TOKENS] = shard_reader_tokens(r);
    fields[F_DOCUMENTS] = shard_reader_documents(r);
    shard_reader_close(r);
    MN_RETURN_ERROR_IF(hash != tok_identity_hash(t), MN_ERR_MISMATCH,
                       "%s was made by another tokenizer (identity %016llx, this one %016llx): "
                       "remove it or choose another --output",
                       path, (unsigned long long)hash, (unsigned long long)tok_identity_hash(t));
    MN_FORWARD_IF_ERROR(file_xxh64(path, &fields[F_XXH64], &fields[F_BYTES]));
    fields[F_SKIPPED] = 1;
    *done = true;
    return MN_OK;
}

static mn_status tokenize_shard(const char *input, const char *output, const tok_tokenizer *t,
                                const tok_tokenize_job *job, tok_encoder *encoder, uint64_t *fields,
                                mn_stats *stats, mn_progress *progress) {
    docshard_reader *reader = NULL;
    shard_writer *writer = NULL;
    MN_FORWARD_IF_ERROR(docshard_reader_open(&reader, input));
    shard_writer_options options = {.tokenizer_hash = tok_identity_hash(t),
                                    .vocab_size = tok_vocab_size(t),
                                    .eos_id = (uint32_t)tok_special_id(t, "eos"),
                                    .zstd_level = job->zstd_level,
                                    .block_tokens = job->block_tokens,
                                    .source = input};
    mn_status status = shard_writer_open(&writer, output, &options);
    tok_ids ids = {0};
    uint64_t last_offset = 0, docs = 0;
    while (status == MN_OK) {
        doc_record doc;
        bool done = false;
        mn_status st = docshard_reader_next(reader, &doc, &done);
        if (st == MN_ERR_FORMAT || st == MN_ERR_LIMIT) {
            if (mn_stats_get(stats, "bad_records") < 5)
                mn_warn("skipped: %s", mn_error_message());
            mn_stats_add(stats, "bad_records", 1);
            continue;
        }
        if (st != MN_OK || done) {
            status = st;
            break;
        }
        ids.count = 0;
        status = tok_encoder_encode(encoder, (const uint8_t *)doc.text, doc.text_len, &ids);
        if (status == MN_OK)
            status = shard_writer_append_document(writer, ids.ids, ids.count);
        fields[F_TEXT] += doc.text_len;
        mn_progress_add(progress, 2, (double)ids.count + 1);
        mn_progress_add(progress, 3, 1);
        if (++docs % 256 == 0) {
            uint64_t offset = docshard_reader_compressed_offset(reader);
            mn_progress_add(progress, 1, (double)(offset - last_offset));
            last_offset = offset;
            mn_progress_tick(progress);
        }
    }
    uint64_t offset = docshard_reader_compressed_offset(reader);
    mn_progress_add(progress, 1, (double)(offset - last_offset));
    mn_progress_add(progress, 0, 1);
    docshard_reader_close(reader);
    tok_ids_free(&ids);
    if (status != MN_OK) {
        shard_writer_abort(writer);
        return mn_error_context(status, "tokenizing %s", input);
    }
    shard_info info;
    MN_FORWARD_IF_ERROR_CTX(shard_writer_close(writer, &info), "writing %s", output);
    fields[F_TOKENS] = info.tokens;
    fields[F_DOCUMENTS] = info.documents;
    fields[F_BYTES] = info.file_bytes;
    fields[F_XXH64] = info.xxh64;
    return MN_OK;
}

static mn_status write_manifest(const tok_tokenize_job *job, const tok_tokenizer *t,
                                const tok_input_list *inputs, char (*names)[256],
                                const uint64_t *fields, const mn_stats *stats) {
    shard_manifest m;
    MN_FORWARD_IF_ERROR(shard_manifest_init(&m, SHARD_DATASET_TOKENS, job->output));
    m.tokenizer_hash = tok_identity_hash(t);
    mn_status status = MN_OK;
    for (size_t i = 0; i < inputs->count && status == MN_OK; i++) {
        const uint64_t *f = fields + i * F_COUNT;
        shard_manifest_entry e = {.path = names[i],
                                  .documents = f[F_DOCUMENTS],
                                  .tokens = f[F_TOKENS],
                                  .bytes = f[F_BYTES],
                                  .xxh64 = f[F_XXH64],
                                  .source = inputs->paths[i]};
        status = shard_manifest_add(&m, &e);
    }
    char hash[32], vocab[32];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)tok_identity_hash(t));
    snprintf(vocab, sizeof vocab, "%u", tok_vocab_size(t));
    if (status == MN_OK)
        status = shard_manifest_set_setting(&m, "tokenizer", job->tokenizer);
    if (status == MN_OK)
        status = shard_manifest_set_setting(&m, "tokenizer.name", tok_name(t));
    if (status == MN_OK)
        status = shard_manifest_set_setting(&m, "tokenizer.identity", hash);
    if (status == MN_OK)
        status = shard_manifest_set_setting(&m, "tokenizer.vocab_size", vocab);
    if (status == MN_OK)
        status = shard_manifest_set_setting(&m, "tokenizer.pretokenizer", tok_pretokenizer_name(t));
    if (status == MN_OK)
        status = shard_manifest_set_counter(&m, "bad_records", mn_stats_get(stats, "bad_records"));
    if (status == MN_OK)
        status = shard_manifest_save(&m);
    shard_manifest_free(&m);
    return status;
}

mn_status tok_tokenize_run(const tok_tokenize_job *job, MPI_Comm comm,
                           tok_tokenize_result *result) {
    int rank, world;
    MN_MPI_TRY(MPI_Comm_rank(comm, &rank));
    MN_MPI_TRY(MPI_Comm_size(comm, &world));
    *result = (tok_tokenize_result){0};
    double start = mn_now();
    tok_tokenizer *t = NULL;
    tok_encoder *encoder = NULL;
    tok_input_list inputs = {0};
    int *owner = NULL;
    char(*names)[256] = NULL;
    uint64_t *fields = NULL, *all_fields = NULL;
    mn_stats *stats = mn_stats_create();
    mn_progress *progress = NULL;
    mn_status status = stats ? tok_load(&t, job->tokenizer) : MN_ERR_NOMEM;
    if (status == MN_OK && tok_special_id(t, "eos") < 0)
        status = mn_error(MN_ERR_ARG,
                          "tokenizer %s has no special token with the role eos: documents "
                          "need one between them (mnemo-bpe adds <|endoftext|> by default)",
                          job->tokenizer);
    if (status == MN_OK)
        status = tok_encoder_create(&encoder, t);
    if (status == MN_OK)
        status = tok_input_list_build(&inputs, job->inputs, job->n_inputs);
    if (status == MN_OK) {
        owner = mn_alloc_array(inputs.count, sizeof *owner);
        names = mn_calloc(inputs.count, sizeof *names);
        fields = mn_calloc(inputs.count * F_COUNT, sizeof *fields);
        all_fields = mn_calloc(inputs.count * F_COUNT, sizeof *all_fields);
        if (!owner || !names || !fields || !all_fields)
            status = MN_ERR_NOMEM;
    }
    for (size_t i = 0; status == MN_OK && i < inputs.count; i++) {
        tok_token_shard_name(inputs.paths[i], names[i], sizeof names[i]);
        for (size_t k = 0; k < i && status == MN_OK; k++)
            if (strcmp(names[k], names[i]) == 0)
                status = mn_error(MN_ERR_ARG,
                                  "input shards %s and %s would both be written to %s: give "
                                  "shards with distinct names (or tokenize them separately)",
                                  inputs.paths[k], inputs.paths[i], names[i]);
    }
    if (status == MN_OK && rank == 0)
        status = mn_make_dirs(job->output);
    status = mn_mpi_agree(status, comm);
    if (status != MN_OK)
        goto done;
    tok_assign_shards(inputs.sizes, inputs.count, world, owner);
    uint64_t my_size = 0;
    for (size_t i = 0; i < inputs.count; i++)
        if (owner[i] == rank)
            my_size += inputs.sizes[i];
    mn_progress_field pf[] = {{"shards", MN_UNIT_COUNT},
                              {"input", MN_UNIT_BYTES},
                              {"tokens", MN_UNIT_COUNT},
                              {"docs", MN_UNIT_COUNT}};
    mn_info0("tokenizing %zu shards with %s (%u ids, %s) on %d rank%s into %s", inputs.count,
             tok_name(t), tok_vocab_size(t), tok_pretokenizer_name(t), world, world > 1 ? "s" : "",
             job->output);
    MN_GOTO_IF_ERROR(
        status, mn_progress_begin(&progress, "tokenize", comm, pf, 4, 1, (double)my_size), done);
    for (size_t i = 0; i < inputs.count && status == MN_OK; i++) {
        if (owner[i] != rank)
            continue;
        char *path = mn_path_join(job->output, names[i]);
        if (path == NULL) {
            status = MN_ERR_NOMEM;
            break;
        }
        uint64_t *f = fields + i * F_COUNT;
        bool done_already = false;
        status = check_done(path, t, f, &done_already);
        if (status == MN_OK && done_already) {
            mn_progress_add(progress, 0, 1);
            mn_progress_add(progress, 1, (double)inputs.sizes[i]);
        } else if (status == MN_OK) {
            status = tokenize_shard(inputs.paths[i], path, t, job, encoder, f, stats, progress);
        }
        free(path);
        mn_progress_tick(progress);
    }
    mn_status end = tok_polite_barrier(comm);
    if (end == MN_OK)
        end = mn_progress_end(progress, NULL);
    if (status == MN_OK)
        status = end;
    status = mn_mpi_agree(status, comm);
    if (status != MN_OK)
        goto done;
    MN_GOTO_IF_ERROR(status,
                     mn_mpi_check(MPI_Reduce(fields, all_fields, (int)(inputs.count * F_COUNT),
                                             MPI_UINT64_T, MPI_SUM, 0, comm),
                                  "MPI_Reduce"),
                     done);
    MN_GOTO_IF_ERROR(status, mn_stats_reduce(stats, comm), done);
    if (rank == 0) {
        status = write_manifest(job, t, &inputs, names, all_fields, stats);
        for (size_t i = 0; i < inputs.count; i++) {
            const uint64_t *f = all_fields + i * F_COUNT;
            result->shards++;
            result->shards_skipped += f[F_SKIPPED];
            result->documents += f[F_DOCUMENTS];
            result->tokens += f[F_TOKENS];
            result->text_bytes += f[F_TEXT];
            if (!f[F_SKIPPED]) {
                result->new_documents += f[F_DOCUMENTS];
                result->new_tokens += f[F_TOKENS];
            }
        }
        result->bad_records = (uint64_t)mn_stats_get(stats, "bad_records");
    }
    status = mn_mpi_agree(status, comm);
    if (status == MN_OK) {
        uint64_t r[6] = {result->shards, result->shards_skipped, result->documents,
                         result->tokens, result->text_bytes,     result->bad_records};
        status = mn_mpi_check(MPI_Bcast(r, 6, MPI_UINT64_T, 0, comm), "MPI_Bcast");
        *result = (tok_tokenize_result){r[0], r[1], r[2], r[3], r[4], r[5], 0};
    }
    result->seconds = mn_now() - start;
done:
    free(fields);
    free(all_fields);
    free(names);
    free(owner);
    tok_input_list_free(&inputs);
    tok_encoder_free(encoder);
    tok_free(t);
    mn_stats_free(stats);
    return status;
}
