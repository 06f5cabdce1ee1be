#!/usr/bin/env bash
# the pipeline programs and their options
# Prints what each mnemo program is (its --help). Later stages run them.
set -euo pipefail
shopt -s nullglob
programs=("$MNEMO_BIN"/mnemo-*)
if [ "${#programs[@]}" -eq 0 ]; then
    echo "no mnemo programs are built yet"
    exit 0
fi
for program in "${programs[@]}"; do
    echo "----- $(basename "$program") -----"
    "$program" --help | sed -n '1,200p'
    echo
done
