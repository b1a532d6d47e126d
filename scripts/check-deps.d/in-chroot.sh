# Runs inside scripts/check-deps's clean Debian 12 chroot, with the source read-only at /src: installs the
# build group and nothing else, then makes every build CI makes. Any missing package fails a step here.
set -euo pipefail
say() { echo "check-deps: [$(($(date +%s) - T0)) s] $*"; }
quiet() { # runs a step, showing its output only when it fails
    local log=/tmp/step.log
    "$@" > "$log" 2>&1 || { tail -40 "$log"; say "FAILED: $*"; return 1; }
}
cd /src
scripts/install-deps build
# Without optimisation (--buildtype=plain): what is proven here is that the packages suffice, which no -O level
# changes, and it halves the compile time; the CI stages after this one build with the project's own flags.
say "gcc --werror: meson setup and build"
quiet meson setup /tmp/gcc --werror --buildtype=plain
quiet ninja -C /tmp/gcc
say "clang --werror, ASan+UBSan: meson setup, build, and the unit suite while the fuzz targets build"
quiet env CC=clang meson setup /tmp/asan --werror --buildtype=plain -Db_sanitize=address,undefined -Db_lundef=false
quiet ninja -C /tmp/asan
# The unit suite mostly waits (scripted servers, the pool's delays): it runs beside the fuzz build.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C /tmp/asan --suite unit --print-errorlogs --num-processes 2 > /tmp/unit.log 2>&1 &
unit=$!
say "libFuzzer targets (clang, -Dfuzz=true): build, and run each for a second"
fuzz=0
KURYR_FUZZ_BUILD=/tmp/fuzz quiet tests/fuzz/run 1 || fuzz=1
wait $unit || { tail -40 /tmp/unit.log; say "FAILED: the unit suite under ASan+UBSan"; exit 1; }
say "unit suite under ASan+UBSan: $(grep -E '^Ok:' /tmp/unit.log | tr -s ' ')"
exit $fuzz
