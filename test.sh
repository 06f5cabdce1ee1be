#!/usr/bin/env bash
# Runs every mnemo test on a fresh Debian 12 machine: installs the missing Debian packages and
# the npm reference tools, checks formatting, builds, runs the suite with ctest, then builds
# and runs it again under AddressSanitizer + UndefinedBehaviorSanitizer (clang, with libFuzzer
# for the fuzz targets). Exits non-zero if anything failed; ctest's summary lines come last.
#
#   ./test.sh                 everything
#   ./test.sh --quick         the normal build only (no sanitizer pass)
#   ./test.sh -R REGEX        only tests whose name matches (both builds)
#   MNEMO_TEST_JOBS=N         parallel tests (default: number of cores)
set -uo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

quick=0
ctest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        -R) ctest_args+=(-R "$2"); shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) mnemo_die "unknown argument '$1' (see ./test.sh --help)" ;;
    esac
    shift
done

start=$(date +%s)
mnemo_install_packages build test
npm_dir="$PWD/build/npm"
mnemo_npm_install "$npm_dir"

mnemo_log "checking formatting (clang-format, .clang-format)"
unformatted=$(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' '*.cu' |
    while read -r f; do [ -f "$f" ] && ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1 && echo "$f"; done)
format_rc=0
if [ -n "$unformatted" ]; then
    echo "these files are not clang-formatted (fix: clang-format -i FILE):"
    echo "$unformatted" | sed 's/^/  /'
    format_rc=1
fi

jobs="${MNEMO_TEST_JOBS:-$(nproc)}"
summaries=()
failed=$format_rc

run_suite() { # name dir [extra ctest args]
    local name="$1" dir="$2" rc
    shift 2
    mnemo_log "running the $name suite ($dir)"
    (cd "$dir" && ctest -j"$jobs" --output-on-failure --timeout 900 "${ctest_args[@]}" "$@") 2>&1 | tee "$dir/ctest.log"
    rc=${PIPESTATUS[0]}
    summaries+=("$name: $(grep -E 'tests passed|No tests were found' "$dir/ctest.log" | tail -1)")
    [ "$rc" -eq 0 ] || failed=1
}

mnemo_build build -DMNEMO_WERROR=ON -DMNEMO_NPM_DIR="$npm_dir"
run_suite normal build

if [ "$quick" -eq 0 ]; then
    CC=clang mnemo_build build-asan -DMNEMO_SANITIZE=ON -DMNEMO_WERROR=ON -DMNEMO_BENCH=OFF \
        -DMNEMO_NPM_DIR="$npm_dir"
    # Tests labelled nosanitize only drive already-tested programs from shell scripts
    # (Slurm, network namespaces); the sanitizer pass skips them.
    run_suite "sanitizer (ASan+UBSan)" build-asan -LE nosanitize
fi

echo
[ "$format_rc" -eq 0 ] && echo "format: all C sources clang-formatted" || echo "format: FAILED"
echo "took $(( $(date +%s) - start )) s"
for s in "${summaries[@]}"; do echo "$s"; done
exit "$failed"
