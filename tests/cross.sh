#!/bin/sh
# The suite on other processors, under qemu-user: aarch64 and s390x (big-endian), float and
# CCN_DOUBLE, each built with its Debian cross compiler, statically linked. Every test must pass
# there as on x86-64, the recorded bits of tests/test_bits.c included (the same bits on every
# platform). s390x float builds with -fexcess-precision=fast: under strict ISO C (-std=c99)
# gcc evaluates float in double there (FLT_EVAL_METHOD 1), which ccn.h refuses. A target whose
# compiler or emulator is missing is skipped and reported. Slow (an emulator): make cross.
#   usage: tests/cross.sh [build-dir]
#   needs: gcc-aarch64-linux-gnu, gcc-s390x-linux-gnu, qemu-user (Debian)
set -u
cd "$(dirname "$0")/.." || exit 2
out=${1:-build/cross}
mkdir -p "$out"
W="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Werror -Wstrict-prototypes -Wmissing-prototypes"
BASE="-O2 -g -ffp-contract=off"

# name | compiler | emulator | flags
legs='aarch64-float|aarch64-linux-gnu-gcc|qemu-aarch64|-std=c99
aarch64-double|aarch64-linux-gnu-gcc|qemu-aarch64|-std=c11 -DCCN_DOUBLE
s390x-float|s390x-linux-gnu-gcc|qemu-s390x|-std=c99 -fexcess-precision=fast
s390x-double|s390x-linux-gnu-gcc|qemu-s390x|-std=c99 -DCCN_DOUBLE'

# the cross-precision fixtures, written natively (tests/run.sh does the same)
for rs in 4 8; do
    def=""; [ $rs = 8 ] && def="-DCCN_DOUBLE"
    gcc -std=c99 $def $BASE $W -o "$out/fixture-$rs" tests/fixture.c -lm && "$out/fixture-$rs" "$out/fixture-$rs.ccn" ||
        echo "note: fixture-$rs.ccn was not written: other_precision will fail"
done
CCN_TEST_DIR=$out
export CCN_TEST_DIR

passed=0 failed=0 skipped=""
for leg in $(printf '%s\n' "$legs" | tr ' ' '~'); do
    leg=$(printf '%s' "$leg" | tr '~' ' ')
    name=${leg%%|*}; rest=${leg#*|}; cc=${rest%%|*}; rest=${rest#*|}; emu=${rest%%|*}; flags=${rest#*|}
    if ! command -v "$cc" >/dev/null 2>&1 || ! command -v "$emu" >/dev/null 2>&1; then
        skipped="$skipped $name"; continue
    fi
    if ! $cc $flags $BASE $W -static -o "$out/$name" tests/suite.c -lm >"$out/$name.build.log" 2>&1; then
        echo "FAIL $name: build failed:"; sed -n 1,20p "$out/$name.build.log"
        failed=$((failed + 1)); continue
    fi
    $emu "$out/$name" "$name" >"$out/$name.log" 2>&1
    grep -E '^FAIL|check failed|recorded|skipped' "$out/$name.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/$name.log" | tail -n 1)
    echo "$name: ${line:-no result}"
    if [ -z "$line" ]; then failed=$((failed + 1)); continue; fi
    passed=$((passed + ${line%% passed*}))
    f=${line#*, }; failed=$((failed + ${f%% failed*}))
done
for name in $skipped; do echo "SKIPPED $name: its cross compiler or qemu-user is not installed"; done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
