#!/usr/bin/env bash
# Tokenizer benchmarks against their peers, in one run, on the same text (docs/benchmarks.md):
#   1. encode MB/s, one core and two, cl100k_base and o200k_base: mnemo vs tiktoken's native
#      Rust build (npm @anysphere/tiktoken-node) and the npm tiktoken (wasm); ids compared;
#   2. BPE training time and bytes/token: mnemo-bpe (1 and 2 ranks) vs HF tokenizers
#      (npm tokenizers, vocabulary 30,000) and sentencepiece's spm_train (BPE, 8,192);
#   3. mnemo-tokenize, 1 -> 2 ranks.
# Texts: the first 17.6 MB of Debian's English manual pages, and the multilingual test corpus
# (tests/tokenizer/make_corpus.py). Needs a built tree (build/) and ./test.sh's npm tools.
#
#   bench/tokenizer/run.sh [WORKDIR]      (default build/bench-tokenizer)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/build/bin"
bench="$root/build/bench/tokenizer"
work="${1:-$root/build/bench-tokenizer}"
export MNEMO_NODE_MODULES="${MNEMO_NODE_MODULES:-$root/build/npm/node_modules}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export MNEMO_LOG=warn
mkdir -p "$work"
cd "$work"
[ -x "$bench/bench_tok_encode" ] || { echo "build first: cmake --build build" >&2; exit 1; }
[ -d "$MNEMO_NODE_MODULES/tiktoken" ] || { echo "npm tools missing: run ./test.sh once" >&2; exit 1; }

json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ ! -s english.txt ]; then
    for d in /usr/share/man/man*; do
        for f in $(ls "$d" | sort); do zcat "$d/$f" 2>/dev/null || true; done
    done | head -c 17600000 > english.txt
fi
[ -s corpus.txt ] || /usr/bin/python3 "$root/tests/tokenizer/make_corpus.py" corpus.txt 2>/dev/null
for e in gpt2 cl100k_base o200k_base; do
    [ -s "$e.mtk" ] || "$bin/mnemo-tokenizer" import "$MNEMO_NODE_MODULES/tiktoken/encoders/$e.json" -o "$e.mtk" >/dev/null
done

echo
echo "== 1. encode throughput (MB/s; ids checked equal)"
printf '%-12s %-10s %10s %10s %10s %10s %10s %9s %9s\n' text encoding mnemo-1c mnemo-2c native-1c native-2c wasm-1c x-native x-wasm
for text in english corpus; do
    for e in cl100k_base o200k_base; do
        m1=$("$bench/bench_tok_encode" "$e.mtk" "$text.txt" 1 3 "mnemo-$e-$text.bin")
        m2=$("$bench/bench_tok_encode" "$e.mtk" "$text.txt" 2 3)
        peers=$(node "$root/bench/tokenizer/bench_peers.js" "$e" "$text.txt" 2 "peer-$e-$text")
        n1=$(echo "$peers" | grep '"native"' | head -1)
        n2=$(echo "$peers" | grep '"native-2"' | head -1)
        w1=$(echo "$peers" | grep '"wasm"' | head -1)
        cmp -s "mnemo-$e-$text.bin" "peer-$e-$text.native.bin" || { echo "ids differ from tiktoken native ($e, $text)"; exit 1; }
        cmp -s "mnemo-$e-$text.bin" "peer-$e-$text.wasm.bin" || { echo "ids differ from tiktoken wasm ($e, $text)"; exit 1; }
        printf '%-12s %-10s %10.1f %10.1f %10.1f %10.1f %10.1f %8sx %8sx\n' "$text" "${e%_base}" \
            "$(json "$m1" mb_per_s)" "$(json "$m2" mb_per_s)" "$(json "$n1" mb_per_s)" \
            "$(json "$n2" mb_per_s)" "$(json "$w1" mb_per_s)" \
            "$(ratio "$(json "$m1" mb_per_s)" "$(json "$n1" mb_per_s)")" \
            "$(ratio "$(json "$m1" mb_per_s)" "$(json "$w1" mb_per_s)")"
    done
done

echo
echo "== 2. BPE training on english.txt (17.6 MB)"
[ -f docs/manifest.pb ] || "$bench/bench_tok_make_docs" english.txt docs 8 >/dev/null
train() { # ranks vocab output
    local start end
    start=$(date +%s.%N)
    mpirun -np "$1" "$bin/mnemo-bpe" --vocab-size "$2" --min-frequency 1 --pretokenizer gpt2 \
        --eos '' --pad '' --landmark '' --force -o "$3" docs >/dev/null 2>&1
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.2f}')"
}
bpt() { # mtk -> bytes/token on english.txt
    local r
    r=$("$bench/bench_tok_encode" "$1" english.txt 1 1)
    python3 -c "print(f'{$(json "$r" bytes) / $(json "$r" ids):.3f}')"
}
t1=$(train 1 30000 mnemo-30k-np1.mtk)
t2=$(train 2 30000 mnemo-30k-np2.mtk)
cmp -s mnemo-30k-np1.mtk mnemo-30k-np2.mtk || echo "(note: the 1- and 2-rank files differ only in settings if at all)"
hf=$(node "$root/bench/tokenizer/bench_hf_train.js" english.txt hf-30k.json 2>/dev/null | tail -1)
printf '%-28s %10s %12s\n' tool seconds bytes/token
printf '%-28s %10s %12s\n' "mnemo-bpe 30k, 1 rank" "$t1" "$(bpt mnemo-30k-np1.mtk)"
printf '%-28s %10s %12s\n' "mnemo-bpe 30k, 2 ranks" "$t2" "$(bpt mnemo-30k-np2.mtk)"
printf '%-28s %10.2f %12.3f\n' "HF tokenizers 30k" "$(json "$hf" seconds)" "$(json "$hf" bytes_per_token)"
echo "   mnemo (2 ranks) vs HF: $(ratio "$(json "$hf" seconds)" "$t2")x faster"
if command -v spm_train >/dev/null; then
    s8=$(train 2 8192 mnemo-8k-np2.mtk)
    start=$(date +%s.%N)
    spm_train --input=english.txt --model_prefix=spm-8k --vocab_size=8192 --model_type=bpe \
        --minloglevel=2 >/dev/null 2>&1
    end=$(date +%s.%N)
    sp=$(python3 -c "print(f'{$end - $start:.2f}')")
    ids=$(spm_encode --model=spm-8k.model --output_format=id < english.txt | wc -w)
    printf '%-28s %10s %12s\n' "mnemo-bpe 8192, 2 ranks" "$s8" "$(bpt mnemo-8k-np2.mtk)"
    printf '%-28s %10s %12s\n' "spm_train bpe 8192" "$sp" "$(python3 -c "print(f'{17600000 / $ids:.3f}')")"
    echo "   mnemo (2 ranks) vs spm_train: $(ratio "$sp" "$s8")x faster"
else
    echo "   spm_train not installed (apt-get install sentencepiece)"
fi

echo
echo "== 3. mnemo-tokenize, cl100k_base, english.txt as 8 shards"
for np in 1 2; do
    rm -rf "tokens-np$np"
    start=$(date +%s.%N)
    mpirun -np "$np" "$bin/mnemo-tokenize" -t cl100k_base.mtk -o "tokens-np$np" docs >/dev/null 2>&1
    end=$(date +%s.%N)
    secs=$(python3 -c "print(f'{$end - $start:.2f}')")
    eval "tok$np=$secs"
    echo "   $np rank(s): $secs s, $(python3 -c "print(f'{17.6 / $secs:.1f}')") MB/s (process start included)"
done
cmp -s tokens-np1/part-00000.mtok tokens-np2/part-00000.mtok && echo "   token shards identical for 1 and 2 ranks"
echo "   scaling 1 -> 2 ranks: $(ratio "$tok1" "$tok2")x"
