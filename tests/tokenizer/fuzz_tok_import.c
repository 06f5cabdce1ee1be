/* Fuzz target: the tiktoken rank parsers (.tiktoken lines, npm encoder JSON) and the HF
 * tokenizer.json importer. The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>

#include "tokenizer/tok_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    tok_tokenizer *t = NULL;
    tok_special_def eos = {"<|endoftext|>", 300, "eos"};
    mn_status status;
    if (data[0] & 1)
        status =
            tok__import_tiktoken_memory(&t, data + 1, size - 1, "fuzz", NULL, "cl100k", &eos, 1);
    else
        status = tok__import_hf_memory(&t, data + 1, size - 1, "fuzz");
    if (status == MN_OK)
        tok_free(t);
    return 0;
}
