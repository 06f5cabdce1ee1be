#!/usr/bin/env bash
# mnemo-shard end to end: import, inspect, verify (and its failures), stats, split, mix, cat,
# export and import round trips checked by an independent Python reader of the llm.c and
# Megatron formats (formats_ref.py), under MPI too; with the npm tiktoken package present,
# text encoded by tiktoken is decoded back by `cat` through our tokenizer.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${MNEMO_BIN_DIR:?}"
shard="$bin/mnemo-shard"
ref="/usr/bin/python3 $here/formats_ref.py"
mpiexec="${MNEMO_MPIEXEC:-mpiexec}"
work="${MNEMO_TEST_TMPDIR:-/tmp}/test_mnemo_shard-$$"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
# Under the sanitizers every program start costs seconds (Open MPI's start-up with full
# unwinding), so that build runs each subcommand once and skips repeats, MPI and tiktoken.
sanitized="${MNEMO_SANITIZED:-0}"
full() { # runs its arguments only in the normal build
    if [ "$sanitized" = 1 ]; then return 0; fi
    "$@"
}
check() { # description, command...
    local what="$1"
    shift
    if "$@" >"$work/last.out" 2>"$work/last.err"; then
        echo "ok   $what"
    else
        echo "FAIL $what (exit $?)"
        sed 's/^/     | /' "$work/last.out" "$work/last.err" | tail -20
        failures=$((failures + 1))
    fi
}
expect_fail() { # description, expected exit code, needle in stderr, command...
    local what="$1" code="$2" needle="$3" rc
    shift 3
    "$@" >"$work/last.out" 2>"$work/last.err"
    rc=$?
    if [ "$rc" -eq "$code" ] && grep -qF -- "$needle" "$work/last.err"; then
        echo "ok   $what"
    else
        echo "FAIL $what: exit $rc (expected $code), stderr:"
        sed 's/^/     | /' "$work/last.err" | tail -10
        echo "     (looked for: $needle)"
        failures=$((failures + 1))
    fi
}

full check "usage: --help" "$shard" --help
full expect_fail "usage: unknown command" 2 "unknown command" "$shard" frobnicate
full expect_fail "usage: verify needs an argument" 2 "expected at least 1" "$shard" verify
full expect_fail "import needs a vocabulary" 2 "give --tokenizer" "$shard" import -o x a.bin

# A reference llm.c file (EOS before each document, as llm.c writes them).
check "reference llm.c file" $ref make-llmc ref.bin docs.json 400 7
check "import llm.c" "$shard" import -o ds --vocab-size 50257 --eos-id 50256 \
    --tokenizer-hash 0x1234 --block-tokens 4096 ref.bin
full check "inspect dataset" "$shard" inspect ds
check "inspect shard" "$shard" inspect --blocks ds/ref.mtok
check "verify dataset" "$shard" verify ds
full check "verify with the right tokenizer" "$shard" verify --tokenizer-hash 1234 ds
check "stats --json" bash -c "'$shard' stats --json ds > stats.json"
check "stats match the documents" $ref check-stats stats.json docs.json
full check "stats text" "$shard" stats ds
check "cat --ids" bash -c "'$shard' cat --ids -d 5 -n 20 ds > ids.txt"
check "cat --ids prints documents 5..24" $ref check-ids ids.txt docs.json 5

# Round trips through the independent reader.
check "export llm.c" "$shard" export -f llmc -o out/llmc ds
check "llm.c export equals the original file" cmp out/llmc/mnemo_000000.bin ref.bin
full check "llm.c export read by the reference" $ref check-llmc out/llmc/mnemo_000000.bin docs.json
check "export Megatron" "$shard" export -f megatron -o out/meg/corpus ds
check "Megatron export read by the reference" $ref check-megatron out/meg/corpus docs.json
check "import Megatron" "$shard" import -f megatron -o back --vocab-size 50257 --eos-id 50256 \
    --tokenizer-hash 1234 --block-tokens 4096 out/meg/corpus
full check "Megatron round trip gives the same documents" bash -c "
    '$shard' cat --ids back > back.ids && '$shard' cat --ids ds > ds.ids && cmp back.ids ds.ids"
full check "import again resumes (keeps the shard)" "$shard" import -f megatron -o back \
    --vocab-size 50257 --eos-id 50256 --tokenizer-hash 1234 out/meg/corpus.idx
full check "resumed import's manifest verifies" "$shard" verify back

# Split and mix.
check "split" "$shard" split --train split/train --val split/val --val-fraction 0.05 ds
full check "verify split" "$shard" verify split/train split/val
full check "split counts add up" bash -c "
    t=\$('$shard' stats --json split/train | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"documents\"])')
    v=\$('$shard' stats --json split/val | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"documents\"])')
    [ \$((t + v)) -eq 400 ] && [ \"\$v\" -gt 0 ]"
check "mix 70/30" bash -c "'$shard' mix -o mixed split/train=70 split/val=30 > mix.out"
check "mixture shares" grep -q "70.00% of the tokens" mix.out
full check "verify mixture" "$shard" verify mixed

# Damage: each fault is named with the shard, the block and the fix.
cp -r ds damaged
/usr/bin/python3 - <<'EOF'
p = "damaged/ref.mtok"
data = bytearray(open(p, "rb").read())
data[16 + 2000] ^= 0x10  # inside block 0
open(p, "wb").write(bytes(data))
EOF
expect_fail "verify finds a flipped bit" 1 "ref.mtok block 0 (offset 16" "$shard" verify damaged
full expect_fail "... and says what to do" 1 "re-create it with mnemo-tokenize" "$shard" verify damaged
cp ds/ref.mtok damaged/ref.mtok
truncate -s -100 damaged/ref.mtok
full expect_fail "verify finds a truncated shard" 1 "damaged/ref.mtok is" "$shard" verify damaged
expect_fail "a single truncated shard" 1 "truncated or was not closed" "$shard" verify damaged/ref.mtok
full expect_fail "verify refuses another tokenizer" 1 "re-tokenize it" "$shard" verify \
    --tokenizer-hash 99 ds
full check "import with another tokenizer" "$shard" import -o other --vocab-size 50257 --eos-id 50256 \
    --tokenizer-hash 0x99 ref.bin
full expect_fail "mix refuses two tokenizers" 1 "needs one tokenizer" "$shard" mix -o bad ds=1 other=1

# MPI: shards spread over ranks.
full check "verify under mpirun -np 2" "$mpiexec" --oversubscribe -np 2 "$shard" verify ds split/train mixed
full expect_fail "verify under mpirun finds damage" 1 "failed verification" \
    "$mpiexec" --oversubscribe -np 2 "$shard" verify ds damaged
full check "stats under mpirun -np 3" bash -c "'$mpiexec' --oversubscribe -np 3 '$shard' stats --json ds > stats3.json && cmp stats.json stats3.json"

# Text: tiktoken (npm) encodes, mnemo decodes.
modules="${MNEMO_NODE_MODULES:-}"
if [ "$sanitized" = 1 ]; then
    echo "SKIP text round trip through tiktoken (sanitizer build)"
elif [ -n "$modules" ] && [ -f "$modules/tiktoken/encoders/gpt2.json" ] && command -v node >/dev/null; then
    check "gpt2 tokenizer from tiktoken" "$bin/mnemo-tokenizer" import --from tiktoken \
        -o gpt2.mtk "$modules/tiktoken/encoders/gpt2.json"
    printf 'The quick brown fox.\nCaf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x94 na\xc3\xafve \xf0\x9f\x98\x80\n' > text1.txt
    printf 'Second document, with  two spaces\tand a tab.\n' > text2.txt
    check "tiktoken encodes two documents as llm.c" node -e "
        const fs = require('fs'), path = require('path');
        const m = process.env.MNEMO_NODE_MODULES;
        const { Tiktoken } = require(path.join(m, 'tiktoken', 'lite', 'tiktoken.cjs'));
        const spec = JSON.parse(fs.readFileSync(path.join(m, 'tiktoken', 'encoders', 'gpt2.json')));
        const enc = new Tiktoken(spec.bpe_ranks, spec.special_tokens, spec.pat_str);
        const ids = [];
        for (const f of ['text1.txt', 'text2.txt']) {
            ids.push(50256, ...enc.encode_ordinary(fs.readFileSync(f, 'utf8')));
        }
        const header = new Int32Array(256);
        header[0] = 20240520; header[1] = 1; header[2] = ids.length;
        fs.writeFileSync('text.bin', Buffer.concat([Buffer.from(header.buffer), Buffer.from(new Uint16Array(ids).buffer)]));
    "
    check "import with the tokenizer file" "$shard" import -o text -t gpt2.mtk text.bin
    check "cat decodes the text back" bash -c "'$shard' cat -t gpt2.mtk --separator '' text > text.out && cat text1.txt text2.txt | cmp - text.out"
    check "cat one document" bash -c "'$shard' cat -t gpt2.mtk -d 1 -n 1 --separator '' text | cmp - text2.txt"
    expect_fail "cat refuses another tokenizer's data" 1 "decode with the tokenizer that made" \
        "$shard" cat -t gpt2.mtk ds
else
    echo "SKIP text round trip through tiktoken (MNEMO_NODE_MODULES has no tiktoken)"
fi

if [ "$failures" -eq 0 ]; then
    rm -rf "$work"
    echo "all mnemo-shard checks passed"
    exit 0
fi
echo "$failures check(s) failed; files kept in $work"
exit 1
