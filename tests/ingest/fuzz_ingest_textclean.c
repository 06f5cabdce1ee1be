/* Fuzz target: any bytes through normalisation, every filter (the English one too) and
 * MinHash. Normalised text must be valid UTF-8 without NUL and normalise to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/filters.h"
#include "ingest/minhash.h"
#include "ingest/normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ingest_filters *filters;
static ingest_minhash *minhash;
static mn_buf norm, again, scratch;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (filters == NULL) {
        ingest_filter_config config;
        ingest_filter_config_default(&config);
        config.enabled[INGEST_RULE_ENGLISH] = true;
        config.params[INGEST_RULE_WORD_COUNT][0] = 1; /* let short inputs reach every rule */
        ingest_minhash_config mc;
        ingest_minhash_config_default(&mc);
        if (ingest_filters_create(&filters, &config) != MN_OK ||
            ingest_minhash_create(&minhash, &mc) != MN_OK)
            abort();
    }
    ingest_normalize_stats stats = {0};
    if (ingest_normalize((const char *)data, size, &norm, &scratch, &stats) != MN_OK)
        return 0;
    for (size_t i = 0; i < norm.len;) {
        size_t sub, n = ingest_utf8_sequence(norm.data + i, norm.len - i, &sub);
        if (n == 0 || norm.data[i] == 0)
            abort(); /* normalised text must be valid UTF-8 without NUL */
        i += n;
    }
    if (ingest_normalize((const char *)norm.data, norm.len, &again, &scratch, &stats) == MN_OK &&
        (again.len != norm.len || memcmp(again.data, norm.data, norm.len) != 0))
        abort(); /* normalisation must be idempotent */
    ingest_filter_result result;
    if (ingest_filters_apply(filters, (const char *)norm.data, norm.len, &result) != MN_OK)
        return 0;
    uint64_t bands[14];
    bool has;
    ingest_minhash_bands(minhash, result.text, result.text_len, bands, &has);
    return 0;
}
