#!/usr/bin/env bash
# verify the token shards, show their statistics, split train/validation (mnemo-shard)
# Reads $MNEMO_OUT/tokens (stage 30, mnemo-tokenize); writes $MNEMO_OUT/split/train and
# $MNEMO_OUT/split/val (manifests over the same shard files, read by stage 40). A relaunch
# skips the verification and the split when the token dataset has not changed since.
set -euo pipefail
tokens="$MNEMO_OUT/tokens"
split="$MNEMO_OUT/split"
shard="$MNEMO_BIN/mnemo-shard"
ranks="${MNEMO_RANKS:-2}"
if [ ! -f "$tokens/manifest.pb" ]; then
    echo "35-shards: $tokens/manifest.pb is missing (stage 30 writes it); run ./quickstart.sh" >&2
    exit 1
fi
# The identity of the token dataset: its manifest lists every shard's size and xxh64.
identity="$(cksum <"$tokens/manifest.pb" | cut -d' ' -f1,2)"
mkdir -p "$split"

if [ "$(cat "$split/VERIFIED" 2>/dev/null)" = "$identity" ]; then
    echo "token shards verified earlier (unchanged since)"
else
    mpirun -np "$ranks" "$shard" verify "$tokens"
    echo "$identity" >"$split/VERIFIED.tmp" && mv "$split/VERIFIED.tmp" "$split/VERIFIED"
fi

mpirun -np "$ranks" "$shard" stats "$tokens"

if [ "$(cat "$split/SPLIT" 2>/dev/null)" = "$identity" ] &&
    [ -f "$split/train/manifest.pb" ] && [ -f "$split/val/manifest.pb" ]; then
    echo "train/validation split done earlier (unchanged since):"
    "$shard" inspect "$split/train" | sed -n '1p;4,5p'
    "$shard" inspect "$split/val" | sed -n '1p;4,5p'
else
    # 2% of every shard's tokens (its last documents) for validation: deterministic.
    "$shard" split --train "$split/train" --val "$split/val" --val-fraction 0.02 "$tokens"
    echo "$identity" >"$split/SPLIT.tmp" && mv "$split/SPLIT.tmp" "$split/SPLIT"
fi
