#!/usr/bin/env bash
# Kill a real mnemo-ingest in the middle and relaunch it: the relaunch skips finished work and
# the shards are byte-identical to those of an uninterrupted run.
#   1. SIGKILL of a one-process run in phase 1, relaunched with 2 ranks
#   2. SIGUSR1 to mpirun -np 2 in phase 3 (writing shards): exit code 75, relaunched alone
#   3. SIGTERM of a one-process run in phase 1: exit code 75, relaunched with 2 ranks
#   4. a relaunch of a finished run does nothing and says so
# The sanitizer build runs case 1 only (each start costs seconds there).
# MNEMO_INGEST_TEST_DELAY_MS (a test hook) slows each input and shard so the kills land
# in the middle. Usage: test_ingest_resume.sh PATH/TO/ingest_corpus
set -euo pipefail
corpus_tool="$1"
bin="$MNEMO_BIN_DIR/mnemo-ingest"
mpiexec="$MNEMO_MPIEXEC"
tmp="$MNEMO_TEST_TMPDIR/ingest-resume"
rm -rf "$tmp"
mkdir -p "$tmp"

fail() { echo "FAIL: $*" >&2; exit 1; }

"$corpus_tool" "$tmp/corpus" 16 40 60 11 zstd planted >/dev/null
opts=(--include '*.jsonl.zst' --shard-size 16K --quiet)

# Waits until DIR holds at least N files named *SUFFIX, while process PID lives.
wait_for() {
    local dir="$1" n="$2" suffix="$3" pid="$4" tries=0
    while [ "$(find "$dir" -name "*$suffix" 2>/dev/null | wc -l)" -lt "$n" ]; do
        kill -0 "$pid" 2>/dev/null || fail "the run ended before $n $suffix files appeared in $dir"
        tries=$((tries + 1))
        [ "$tries" -lt 1200 ] || fail "timed out waiting for $dir"
        sleep 0.05
    done
}

same_shards() {
    local a="$1" b="$2" n=0
    for f in "$a"/shard-*.jsonl.zst; do
        cmp -s "$f" "$b/$(basename "$f")" || fail "$(basename "$f") differs between $a and $b"
        n=$((n + 1))
    done
    [ "$n" -eq "$(ls "$b"/shard-*.jsonl.zst | wc -l)" ] || fail "shard counts differ"
    [ "$n" -gt 3 ] || fail "expected more than 3 shards, got $n"
    [ -f "$b/manifest.pb" ] && [ -f "$b/manifest.json" ] && [ -f "$b/report.json" ] ||
        fail "$b lacks its manifest or report"
    [ ! -e "$b/.ingest-work" ] || fail "$b still has its work folder"
    echo "ok: $n shards identical ($a, $b)"
}

"$mpiexec" -np 2 "$bin" -o "$tmp/ref" "${opts[@]}" "$tmp/corpus"

# 1. SIGKILL in phase 1 (no chance to clean up), relaunch on 2 ranks.
MNEMO_INGEST_TEST_DELAY_MS=150 "$bin" -o "$tmp/a" "${opts[@]}" "$tmp/corpus" 2>/dev/null &
pid=$!
wait_for "$tmp/a/.ingest-work/inputs" 4 .done "$pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null && fail "a killed run exited 0"
done_before=$(find "$tmp/a/.ingest-work/inputs" -name '*.done' | wc -l)
[ "$done_before" -lt 16 ] || fail "the run finished phase 1 before it was killed"
"$mpiexec" -np 2 "$bin" -o "$tmp/a" "${opts[@]}" "$tmp/corpus" 2>"$tmp/a.log"
grep -q "resuming: $done_before of 16 inputs" "$tmp/a.log" ||
    fail "the relaunch did not resume from $done_before finished inputs: $(cat "$tmp/a.log")"
same_shards "$tmp/ref" "$tmp/a"

# 2. SIGUSR1 (mpirun forwards it) while shards are written: exit 75; relaunch alone.
# (The sanitizer build, where every start costs seconds, runs case 1 only.)
if [ "${MNEMO_SANITIZED:-0}" != 1 ]; then
set +e
MNEMO_INGEST_TEST_DELAY_MS=120 "$mpiexec" -np 2 "$bin" -o "$tmp/b" "${opts[@]}" "$tmp/corpus" \
    2>"$tmp/b1.log" &
pid=$!
wait_for "$tmp/b/.ingest-work/shards" 3 .done "$pid"
kill -USR1 "$pid"
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 75 ] || fail "a stopped run exited $rc, expected 75: $(tail -5 "$tmp/b1.log")"
grep -q "stopped on request" "$tmp/b1.log" || fail "no 'stopped on request' message"
[ ! -e "$tmp/b/manifest.pb" ] || fail "a stopped run wrote a manifest"
"$bin" -o "$tmp/b" "${opts[@]}" "$tmp/corpus" 2>/dev/null
same_shards "$tmp/ref" "$tmp/b"

# 3. SIGTERM of a one-process run in phase 1: exit 75, then a relaunch on 2 ranks.
set +e
MNEMO_INGEST_TEST_DELAY_MS=150 "$bin" -o "$tmp/c" "${opts[@]}" "$tmp/corpus" 2>"$tmp/c1.log" &
pid=$!
wait_for "$tmp/c/.ingest-work/inputs" 2 .done "$pid"
kill -TERM "$pid"
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 75 ] || fail "SIGTERM gave exit code $rc, expected 75"
"$mpiexec" -np 2 "$bin" -o "$tmp/c" "${opts[@]}" "$tmp/corpus" 2>/dev/null
same_shards "$tmp/ref" "$tmp/c"

# 4. A finished run: nothing to do, exit 0, the report printed again.
out=$("$bin" -o "$tmp/c" --include '*.jsonl.zst' --shard-size 16K "$tmp/corpus" 2>"$tmp/d.log")
grep -q "nothing to do" "$tmp/d.log" || fail "a finished run was not recognised"
echo "$out" | grep -q "mnemo-ingest report" || fail "the report was not printed again"
same_shards "$tmp/ref" "$tmp/c"
fi

rm -rf "$tmp"
echo "PASS"
