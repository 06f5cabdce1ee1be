/* Placeholder until the warc reader lands: files of this format are reported and skipped. */
#include "ingest/reader_impl.h"

static mn_status stub_open(ingest_reader *reader) {
    reader->reason = "unsupported_format";
    return mn_error(MN_ERR_UNSUPPORTED, "the warc reader is not built yet");
}

static mn_status stub_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    *done = true;
    return MN_OK;
}

const ingest__backend ingest__warc_backend = {stub_open, stub_next, NULL, NULL};
