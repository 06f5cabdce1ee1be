/* Fuzz target: the *.mtk parser and validator (tok_load on untrusted bytes). */
#include <stdint.h>
#include <stdlib.h>

#include "tokenizer/tok_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tok_tokenizer *t = NULL;
    if (tok__load_memory(&t, data, size, "fuzz") == MN_OK) {
        /* A tokenizer that loads must encode and decode its own bytes. */
        tok_ids ids = {0};
        if (tok_encode(t, data, size > 4096 ? 4096 : size, &ids) == MN_OK) {
            mn_buf out = {0};
            if (tok_decode(t, ids.ids, ids.count, &out) != MN_OK ||
                out.len != (size > 4096 ? 4096 : size))
                abort();
            mn_buf_free(&out);
        }
        tok_ids_free(&ids);
        tok_free(t);
    }
    return 0;
}
