#!/usr/bin/env bash
# tokenize: the documents into token shards with 2 MPI ranks
# Writes one token shard per document shard into $MNEMO_OUT/tokens (EOS after every
# document, manifest with the tokenizer's identity), then prints the vocabulary size, the
# bytes per token and a decoded sample. A relaunch skips the shards already written.
set -euo pipefail
mpirun -np "$MNEMO_RANKS" "$MNEMO_BIN/mnemo-tokenize" \
    --tokenizer "$MNEMO_OUT/tokenizer.mtk" --output "$MNEMO_OUT/tokens" "$MNEMO_OUT/docs"
echo
"$MNEMO_BIN/mnemo-tokenizer" inspect --tokenizer "$MNEMO_OUT/tokenizer.mtk" --samples 2 \
    --max-bytes 400 "$MNEMO_OUT/tokens"
