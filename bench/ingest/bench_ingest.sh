#!/usr/bin/env bash
# Benchmark of mnemo-ingest (docs/benchmarks.md, "Ingest"): jsonl.zst -> filtered,
# deduplicated document shards, with and without MinHash, on 1 and 2 ranks, against the peer
# `zstd -d` of the same input (the I/O ceiling: reading the corpus and nothing else).
#
#   bench_ingest.sh CORPUS_TOOL MNEMO_INGEST [WORK_DIR] [FILES] [DOCS_PER_FILE]
#
# MB are 10^6 bytes of uncompressed JSON Lines input. "per core" divides by the CPU seconds
# (user + system) of all ranks, which stays meaningful on a shared machine; wall-clock rates
# and the 1 -> 2 rank speedup are printed too. Runs use mpirun -np N (OMPI_ALLOW_RUN_AS_ROOT
# is needed as root, as everywhere).
set -euo pipefail
corpus_tool="$1"
ingest="$2"
work="${3:-${TMPDIR:-/tmp}/mnemo-bench-ingest}"
files="${4:-8}"
docs="${5:-4000}"
mpiexec="${MNEMO_MPIEXEC:-mpiexec}"
export OMPI_MCA_rmaps_base_oversubscribe=1

corpus="$work/corpus-$files-$docs"
if [ ! -d "$corpus" ]; then
    echo "writing the benchmark corpus ($files files x $docs documents of 400-800 words)..."
    "$corpus_tool" "$corpus" "$files" "$docs" 400 1 zstd >/dev/null
fi
uncompressed=$(zstd -dc "$corpus"/*.jsonl.zst | wc -c)
compressed=$(cat "$corpus"/*.jsonl.zst | wc -c)
# calc EXPRESSION: floating-point arithmetic with awk (no bc needed)
calc() { awk "BEGIN { print $* }"; }
mb=$(calc "$uncompressed / 1000000")

# measure COMMAND...: runs COMMAND, prints "wall_seconds cpu_seconds" (cpu: user + system of
# the command and all its children, e.g. every rank under mpirun)
measure() {
    local TIMEFORMAT="%R %U %S" # bash's own `time`: no /usr/bin/time needed
    { time "$@" >/dev/null 2>"$work/run.log"; } 2>"$work/time.txt" ||
        { tail -5 "$work/run.log" >&2; exit 1; }
    awk '{printf "%.3f %.3f\n", $1, $2 + $3}' "$work/time.txt"
}

printf "corpus: %d files, %.1f MB of JSON Lines (%.1f MB as .zst); %s; %d cores\n" \
    "$(ls "$corpus"/*.jsonl.zst | wc -l)" "$mb" "$(calc "$compressed / 1000000")" \
    "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
printf "%-28s %5s %8s %8s %10s %12s %8s\n" run ranks wall_s cpu_s "MB/s" "MB/s/core" "vs_zstd"

read -r zw zc < <(measure bash -c "zstd -dc '$corpus'/*.jsonl.zst > /dev/null")
zrate=$(calc "$mb / $zc")
printf "%-28s %5d %8.2f %8.2f %10.1f %12.1f %8s\n" "zstd -d (peer)" 1 "$zw" "$zc" \
    "$(calc "$mb / $zw")" "$zrate" "1.00"

declare -A wall
for mode in "exact,url" "exact,url,fuzzy"; do
    label="mnemo-ingest --dedup $mode"
    for ranks in 1 2; do
        out="$work/out"
        rm -rf "$out"
        read -r w c < <(measure "$mpiexec" -np "$ranks" "$ingest" -q -o "$out" --dedup "$mode" \
            --shard-size 16M \
            "$corpus")
        [ -f "$out/manifest.pb" ] || { echo "the run did not complete" >&2; exit 1; }
        wall["$mode/$ranks"]=$w
        rate=$(calc "$mb / $c")
        printf "%-28s %5d %8.2f %8.2f %10.1f %12.1f %8.2f\n" "$label" "$ranks" "$w" "$c" \
            "$(calc "$mb / $w")" "$rate" "$(calc "$rate / $zrate")"
        if [ "$ranks" -eq 1 ]; then
            goal=100
            [ "$mode" = "exact,url" ] || goal=30
            met=$(calc "($rate >= $goal) ? 1 : 0")
            echo "  goal >= $goal MB/s per core: $([ "$met" -eq 1 ] && echo met || echo NOT met)"
        fi
    done
    printf "  speedup 1 -> 2 ranks (wall): %.2fx\n" \
        "$(calc "${wall[$mode/1]} / ${wall[$mode/2]}")"
done
rm -rf "$work/out"
