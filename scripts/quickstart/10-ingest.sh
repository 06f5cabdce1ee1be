#!/usr/bin/env bash
# ingest: the fortune cookie files into clean, deduplicated document shards
# Reads the fortune databases that Debian's fortunes and fortunes-min packages install
# (/usr/share/games/fortunes: plain text, one fortune per block ending in a line "%"), with
# $MNEMO_RANKS ranks, into $MNEMO_OUT/docs, and prints the report. A relaunch finds the
# dataset complete (same inputs and settings) and only prints the report again.
#
# Thresholds for short texts. The published Gopher/RefinedWeb defaults are made for web
# pages of hundreds of words; a fortune is a quip of a few lines, so:
#   word_count.min=5      Gopher's minimum of 50 words would drop most fortunes;
#   stop_words off        a quip like "Are you a turtle?" has none of Gopher's eight stop
#                         words (the, be, to, of, and, that, have, with); the rule tells prose
#                         from lists in long pages, and a third of all fortunes would go;
#   top_2gram, top_3gram, top_4gram off
#                         in a 20-word text one repeated phrase is already 20% of it: these
#                         measure boilerplate of long pages, not wit ("Be what you are...");
#   line_cleanup off      hand-wrapped lines, one-word last lines and "-- Author" signatures
#                         are the text here, not navigation chrome.
# Everything else (mean word length, symbols, bullets, ellipses, alphabetic words, duplicate
# lines and paragraphs, repeated 5..10-grams) keeps its published threshold, and the three
# dedup stages run as usual (the databases repeat some fortunes).
set -euo pipefail
fortunes=/usr/share/games/fortunes
if [ ! -d "$fortunes" ]; then
    echo "error: $fortunes is missing; install the Debian packages fortunes and fortunes-min" >&2
    exit 1
fi
# The databases are the files without a dot; NAME.dat are strfile indexes, NAME.u8 links.
inputs=()
for f in "$fortunes"/*; do
    name=$(basename "$f")
    [ -f "$f" ] && [ "${name#*.}" = "$name" ] && inputs+=("$f")
done
echo "ingesting ${#inputs[@]} fortune files with $MNEMO_RANKS ranks into $MNEMO_OUT/docs"
mpirun -np "$MNEMO_RANKS" "$MNEMO_BIN/mnemo-ingest" \
    --output "$MNEMO_OUT/docs" \
    --format text --split-line % \
    --filter-param word_count.min=5 \
    --disable-filter stop_words,top_2gram,top_3gram,top_4gram,line_cleanup \
    --shard-size 512K \
    "${inputs[@]}"
echo
echo "shards: $(ls "$MNEMO_OUT"/docs/shard-*.jsonl.zst | wc -l) in $MNEMO_OUT/docs" \
    "(read one with: zstdcat $MNEMO_OUT/docs/shard-00000.jsonl.zst | head -3)"
