#!/usr/bin/env bash
# Token shard benchmark (docs/benchmarks.md, "## Shards"): write and read throughput per core,
# compression against raw uint16 at several zstd levels and block sizes, loader throughput.
# The text is the fortune cookie corpus encoded by the GPT-2 tokenizer (imported from the npm
# tiktoken package that test.sh installs into build/npm).
#   bench/shards/run.sh [--tokens N] [--trainer-tps X]    (X: tokens/s of the quickstart trainer)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${MNEMO_BUILD_DIR:-build}"
encoder="${MNEMO_NODE_MODULES:-$build/npm/node_modules}/tiktoken/encoders/gpt2.json"
[ -f "$encoder" ] || { echo "run ./test.sh once (it installs npm tiktoken into $build/npm)" >&2; exit 1; }
[ -d /usr/share/games/fortunes ] || { echo "install the fortunes package" >&2; exit 1; }
cmake --build "$build" --target bench_shards mnemo-tokenizer -j2 >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/bin/mnemo-tokenizer" import --from tiktoken -o "$work/gpt2.mtk" "$encoder" >/dev/null
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
"$build/bench/shards/bench_shards" --tokenizer "$work/gpt2.mtk" --dir "$work" "$@"
