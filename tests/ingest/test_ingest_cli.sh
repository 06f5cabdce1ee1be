#!/usr/bin/env bash
# mnemo-ingest as users run it: --help and --version, errors before any work (missing input,
# bad options, an output that cannot be made, another dataset in the output) with their exit
# codes, and a run whose report counts bad records and filters.
#   Usage: test_ingest_cli.sh PATH/TO/ingest_corpus
set -uo pipefail
corpus_tool="$1"
bin="$MNEMO_BIN_DIR/mnemo-ingest"
tmp="$MNEMO_TEST_TMPDIR/ingest-cli"
rm -rf "$tmp"
mkdir -p "$tmp"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE PATTERN COMMAND...: runs COMMAND, checks its exit code and that its output
# (stdout and stderr) matches PATTERN.
expect() {
    local code="$1" pattern="$2"
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    [ "$rc" -eq "$code" ] || fail "'$*' exited $rc, expected $code: $out"
    echo "$out" | grep -qE -- "$pattern" || fail "'$*' output lacks /$pattern/: $out"
    echo "ok: $* -> $rc"
}

"$corpus_tool" "$tmp/corpus" 3 60 60 5 planted >/dev/null || fail "corpus"

expect 0 "--output DIR" "$bin" --help
expect 0 "--filter-param" "$bin" --help
expect 0 "mnemo-ingest .*git" "$bin" --version
expect 2 "--output" "$bin" "$tmp/corpus"
expect 2 "no input" "$bin" -o "$tmp/out"
expect 1 "/no/such/corpus" "$bin" -o "$tmp/out" /no/such/corpus
[ ! -e "$tmp/out" ] || fail "a failed start created the output folder"
expect 2 "shard-size" "$bin" -o "$tmp/out" --shard-size lots "$tmp/corpus"
expect 2 "unknown filter 'colour'" "$bin" -o "$tmp/out" --disable-filter colour "$tmp/corpus"
expect 2 "word_count has the parameters min, max" "$bin" -o "$tmp/out" \
    --filter-param word_count.least=3 "$tmp/corpus"
expect 2 "--dedup sometimes" "$bin" -o "$tmp/out" --dedup sometimes "$tmp/corpus"
expect 2 "zstd-level" "$bin" -o "$tmp/out" --zstd-level 40 "$tmp/corpus"
expect 2 "memory-budget" "$bin" -o "$tmp/out" --max-record-bytes 1G "$tmp/corpus"
expect 1 "output folder" "$bin" -o /etc/hostname/docs "$tmp/corpus"
[ ! -e "$tmp/out" ] || fail "a failed start created the output folder"

# A real run (a glob that mnemo-ingest expands itself): bad lines and filtered documents
# show in the report (JSON and table).
corpus="$tmp/corpus/part-*.jsonl"
expect 0 "removed by filters" "$bin" -o "$tmp/out" "$corpus"
python3 - "$tmp/out/report.json" "$tmp/out/manifest.json" <<'PY' || fail "report contents"
import json, sys
report = json.load(open(sys.argv[1]))
manifest = json.load(open(sys.argv[2]))
docs = report["documents"]
assert report["inputs"]["files"] == 3, report["inputs"]
assert docs["bad_records"] > 0 and docs["bad_records"] == sum(report["bad_records"].values())
assert set(report["bad_records"]) <= {"bad_json", "missing_text"}, report["bad_records"]
assert docs["removed_by_filters"] > 0
removed = {d["stage"]: d["docs"] for d in report["dedup"]}
assert removed["exact"] > 0 and removed["url"] > 0 and removed["fuzzy"] > 0, removed
assert docs["out"] == manifest["total_documents"], (docs["out"], manifest["total_documents"])
assert docs["out"] == docs["in"] - docs["removed_by_filters"] - sum(removed.values())
assert manifest["kind"] == "documents" and len(manifest["shards"]) == report["shards"]["count"]
print("ok: report and manifest agree")
PY
# Another dataset in the same output is refused, and --overwrite replaces it.
expect 1 "add --overwrite" "$bin" -o "$tmp/out" --dedup none "$corpus"
expect 0 "exact +off" "$bin" -o "$tmp/out" --dedup none --overwrite "$corpus"
# An empty input and filters that keep nothing: a complete, empty dataset, and the report says
# why.
: >"$tmp/empty.jsonl"
expect 0 "empty_file 1" "$bin" -o "$tmp/none" "$tmp/empty.jsonl" "$tmp/corpus/part-0000.jsonl" \
    --filter-param word_count.min=100000 --filter-param word_count.max=1000000
[ -f "$tmp/none/manifest.pb" ] || fail "an empty dataset has no manifest"
ls "$tmp"/none/shard-* >/dev/null 2>&1 && fail "an empty dataset has shards"

# An output folder inside the input folder: its files are never read as inputs, so the
# relaunch finds the same inputs and the dataset complete.
mkdir -p "$tmp/nest"
cp "$tmp"/corpus/part-*.jsonl "$tmp/nest/"
expect 0 "removed by filters" "$bin" -o "$tmp/nest/docs" "$tmp/nest"
expect 0 "are not inputs.*|nothing to do" "$bin" -o "$tmp/nest/docs" "$tmp/nest"
expect 0 "nothing to do" "$bin" -o "$tmp/nest/docs" "$tmp/nest"
rm -rf "$tmp"
echo PASS
