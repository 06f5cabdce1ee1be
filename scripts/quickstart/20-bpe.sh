#!/usr/bin/env bash
# bpe: train a byte-level BPE tokenizer on the ingested documents with 2 MPI ranks
# Trains $MNEMO_OUT/tokenizer.mtk from the document dataset $MNEMO_OUT/docs (stage 10).
# Vocabulary 8192: the fortunes are a few MB of text, about 50k distinct pre-tokens; with
# 8192 ids nearly every learned token is seen hundreds of times, so a small model can learn
# its embedding, while a 32K vocabulary would spend most ids on words seen a handful of
# times (and 8192 ids still fit uint16 token shards). Special tokens: <|endoftext|> (eos,
# between documents), <|pad|> and <|landmark|> (the retriever's chunk token), mnemo-bpe's
# defaults. A relaunch with the same options finds the tokenizer trained and skips.
set -euo pipefail
docs="$MNEMO_OUT/docs"
if [ ! -f "$docs/manifest.pb" ]; then
    # Until stage 10 (mnemo-ingest) runs here: the fortunes as a document dataset, made with
    # the shards writer (one document per paragraph group).
    maker="$MNEMO_ROOT/build/bench/tokenizer/bench_tok_make_docs"
    fortunes=/usr/share/games/fortunes
    [ -x "$maker" ] && [ -d "$fortunes" ] || { echo "error: no document dataset in $docs (run stage 10)" >&2; exit 1; }
    echo "no $docs/manifest.pb yet: making a document dataset from $fortunes"
    tmp="$MNEMO_OUT/fortunes.txt"
    for f in "$fortunes"/*; do
        name=$(basename "$f")
        [ -f "$f" ] && [ "${name#*.}" = "$name" ] && sed 's/^%$//' "$f"
    done > "$tmp"
    "$maker" "$tmp" "$docs" 4 400
fi
mpirun -np "$MNEMO_RANKS" "$MNEMO_BIN/mnemo-bpe" \
    --vocab-size 8192 --pretokenizer o200k --min-frequency 2 \
    --output "$MNEMO_OUT/tokenizer.mtk" "$docs"
"$MNEMO_BIN/mnemo-tokenizer" info "$MNEMO_OUT/tokenizer.mtk" | grep -v '^setting'
