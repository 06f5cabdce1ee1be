#!/usr/bin/env bash
# The main job: the whole mnemo pipeline on a small real corpus that a Debian package ships,
# across 2 local MPI ranks, in minutes. Installs the missing Debian packages, builds, then
# runs each stage in scripts/quickstart/ in order. Outputs go to quickstart-out/ (or $1).
# A relaunch resumes: every stage skips the work it finds complete.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

export MNEMO_ROOT="$PWD"
export MNEMO_BIN="$PWD/build/bin"
export MNEMO_OUT="$(mkdir -p "${1:-quickstart-out}" && cd "${1:-quickstart-out}" && pwd)"
export MNEMO_RANKS=2
export MNEMO_PROGRESS_INTERVAL=${MNEMO_PROGRESS_INTERVAL:-5}

start=$(date +%s)
mnemo_install_packages build quickstart
mnemo_build build

for stage in scripts/quickstart/[0-9]*.sh; do
    mnemo_log "stage: $(sed -n '2s/^# *//p' "$stage")"
    bash "$stage"
done
mnemo_log "quickstart finished in $(( $(date +%s) - start )) s; outputs in $MNEMO_OUT"
