# Shared by ./test.sh and ./quickstart.sh: Debian packages, builds, the npm reference tools.
# Source it; functions only.

mnemo_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
mnemo_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

mnemo_root_prefix() {
    if [ "$(id -u)" -eq 0 ]; then
        echo ""
    elif command -v sudo >/dev/null 2>&1; then
        echo "sudo"
    else
        mnemo_die "installing Debian packages needs root or sudo; install them by hand: $*"
    fi
}

# mnemo_install_packages LIST...: installs the packages of scripts/packages/LIST.txt that
# are missing (nodejs/npm are skipped when a node is already on PATH).
mnemo_install_packages() {
    local here list pkg missing=()
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    for list in "$@"; do
        while read -r pkg; do
            pkg="${pkg%%#*}"
            pkg="$(echo "$pkg" | tr -d '[:space:]')"
            [ -n "$pkg" ] || continue
            if [ "$pkg" = nodejs ] || [ "$pkg" = npm ]; then
                command -v "${pkg/nodejs/node}" >/dev/null 2>&1 && continue
            fi
            dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$pkg")
        done < "$here/packages/$list.txt"
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    mnemo_log "installing Debian packages: ${missing[*]}"
    local sudo
    sudo="$(mnemo_root_prefix "${missing[*]}")"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
        mnemo_die "apt-get update failed (is the Debian mirror reachable?)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || mnemo_die "apt-get install ${missing[*]} failed"
}

# mnemo_build DIR [CMAKE_ARGS...]: configures (once) and builds the tree in DIR.
mnemo_build() {
    local dir="$1"
    shift
    mnemo_log "configuring and building $dir"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log"; mnemo_die "cmake configure of $dir failed"; }
    cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1 ||
        { grep -E -B2 -A8 'error|Error' "$dir.build.log" | head -80; mnemo_die "build of $dir failed (full log: $dir.build.log)"; }
}

# Open MPI refuses root unless told; every script and test runs with these.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none

# mnemo_npm_install DIR: installs tests/reference/package.json's tools into DIR/node_modules
# (skipped when they are already there at the same versions). Tests that need them find
# the folder through MNEMO_NODE_MODULES and skip with a visible message when it is absent.
mnemo_npm_install() {
    local dir="$1" here
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    mkdir -p "$dir"
    if [ -d "$dir/node_modules" ] && cmp -s "$here/tests/reference/package.json" "$dir/package.json"; then
        return 0
    fi
    mnemo_log "installing reference tools from the npm registry into $dir"
    cp "$here/tests/reference/package.json" "$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >npm-install.log 2>&1) ||
        { tail -20 "$dir/npm-install.log"; rm -f "$dir/package.json"; mnemo_die "npm install failed (is the npm registry reachable?)"; }
}
