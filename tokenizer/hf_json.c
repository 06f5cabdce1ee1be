/* Hugging Face tokenizer.json import and export (placeholder until implemented). */
#include "tokenizer/tok_internal.h"

mn_status tok_import_hf(tok_tokenizer **tokenizer, const char *path) {
    *tokenizer = NULL;
    return mn_error(MN_ERR_UNSUPPORTED, "%s: HF import is not implemented yet", path);
}

mn_status tok_export_hf(const tok_tokenizer *tokenizer, const char *path) {
    return mn_error(MN_ERR_UNSUPPORTED, "%s: HF export is not implemented yet", path);
}
