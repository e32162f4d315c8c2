#!/bin/sh
# Builds and runs the test suite in every leg of the matrix: gcc and clang, C99 and C11, float and
# CCN_DOUBLE, the header as C++ (g++, clang++), a two-file CCN_STATIC link, gcc for AVX2 (where
# ccn.h sums the pre-activations of small fan-in eight columns at once), 32-bit x86 (SSE, and x87
# with excess precision allowed), and every example at a tiny size. Before the legs run it writes the same net from a float and a double build
# (tests/fixture.c) for the suite's cross-precision test, which finds them through CCN_TEST_DIR.
# A leg whose compiler is missing, or whose instructions this processor lacks, is skipped and
# reported. The last line is the total:
# "N passed, N failed"; the exit status is non-zero if anything failed.
#   usage: tests/run.sh [build-dir]
#   environment: EXTRA_CFLAGS (e.g. sanitizers), RUNNER (e.g. valgrind), LEGS (names to run)
set -u
cd "$(dirname "$0")/.." || exit 2
out=${1:-build/test}
mkdir -p "$out"
W="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Werror"
C_ONLY="-Wstrict-prototypes -Wmissing-prototypes"
BASE="-O2 -g -ffp-contract=off ${EXTRA_CFLAGS:-}"
RUNNER=${RUNNER:-}

# name | compiler | flags | sources [| the tests to run, as the suite's filter: all if absent]
# The -m32 legs are 32-bit x86, where a kernel without 32-bit support runs them under qemu-i386,
# slowly, so they leave out the long learning runs: with SSE arithmetic the suite's recorded bits
# must hold as on x86-64 (float: all but two tests; double: those that bear on numerics and
# files); with x87 arithmetic (excess precision, allowed by CCN_ALLOW_EXCESS_PRECISION) the same
# subset checks results to rounding and skips, saying so, the comparisons of bits.
legs='gcc-c99-float|gcc|-std=c99 C_ONLY|tests/suite.c
gcc-c11-double|gcc|-std=c11 -DCCN_DOUBLE C_ONLY|tests/suite.c
clang-c99-float|clang|-std=c99 C_ONLY|tests/suite.c
clang-c11-double|clang|-std=c11 -DCCN_DOUBLE C_ONLY|tests/suite.c
g++-c++11-float|g++|-std=c++11 -x c++|tests/suite.c
clang++-c++17-double|clang++|-std=c++17 -x c++ -DCCN_DOUBLE|tests/suite.c
gcc-static-float|gcc|-std=c99 C_ONLY|tests/static_a.c tests/static_b.c
clang-static-double|clang|-std=c99 -DCCN_DOUBLE C_ONLY|tests/static_a.c tests/static_b.c
gcc-avx2-float|gcc|-std=c99 -mavx2 -mfma C_ONLY|tests/suite.c
gcc-m32-sse-float|gcc|-std=c99 -m32 -msse2 -mfpmath=sse C_ONLY|tests/suite.c|-learns_a_memory,-td_learns_memory
gcc-m32-sse-double|gcc|-std=c11 -m32 -msse2 -mfpmath=sse -DCCN_DOUBLE C_ONLY|tests/suite.c|M32_SUBSET
gcc-m32-x87-double|gcc|-std=c99 -m32 -mfpmath=387 -DCCN_DOUBLE -DCCN_ALLOW_EXCESS_PRECISION C_ONLY|tests/suite.c|M32_SUBSET'
M32_SUBSET=config_defaults,math_accuracy,determinism,forward_equals_reference,rtrl_equals_bptt,color_equals_rtrl
M32_SUBSET=$M32_SUBSET,ccn_gradients_exact,optimizer_formulas,save_load,file_format,other_precision,bad_file_contents
M32_SUBSET=$M32_SUBSET,nonfinite,divergence_guard,same_bits_everywhere

# the processor features a leg's flags ask for, as /proc/cpuinfo names them
cpu_lacks() {
    for f in $1; do
        case $f in
        -m32 | -m64 | -mfpmath=*) ;;
        -m*) grep -qw "${f#-m}" /proc/cpuinfo 2>/dev/null || return 0 ;;
        esac
    done
    return 1
}

# how this machine runs a 32-bit x86 program: natively (""), under qemu-i386 where the kernel
# lacks 32-bit support, or not at all (status 1: no gcc-multilib, or neither works)
m32_runner=""
m32_how() {
    printf '#include <math.h>\nint main(int c, char **v) { (void)v; return (int)sqrt((double)c - 1.0); }\n' >"$out/probe32.c"
    gcc -m32 $BASE -o "$out/probe32" "$out/probe32.c" -lm >"$out/probe32.log" 2>&1 || return 1
    if ("$out/probe32") >>"$out/probe32.log" 2>&1; then m32_runner=""; return 0; fi
    # (not with a RUNNER such as valgrind; time-limited: a sanitizer's start-up can hang under qemu)
    limit=""; command -v timeout >/dev/null 2>&1 && limit="timeout 30"
    [ -z "$RUNNER" ] && command -v qemu-i386 >/dev/null 2>&1 && $limit qemu-i386 "$out/probe32" >>"$out/probe32.log" 2>&1 &&
        { m32_runner=qemu-i386; return 0; }
    return 1
}
m32_status=unknown

passed=0 failed=0 skipped="" unsupported="" no32="" emulated=" "
count() { # adds the "N passed, M failed" line of a log to the totals
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    passed=$((passed + ${line%% passed*}))
    f=${line#*, }; failed=$((failed + ${f%% failed*}))
}

# build every leg, two at a time
built=""
jobs=0
for leg in $(printf '%s\n' "$legs" | tr ' ' '~'); do
    leg=$(printf '%s' "$leg" | tr '~' ' ')
    name=${leg%%|*}; rest=${leg#*|}; cc=${rest%%|*}; rest=${rest#*|}; flags=${rest%%|*}; srcs=${rest#*|}
    if [ -n "${LEGS:-}" ] && ! printf ' %s ' "$LEGS" | grep -q " $name "; then continue; fi
    if ! command -v "$cc" >/dev/null 2>&1; then skipped="$skipped $name"; continue; fi
    if cpu_lacks "$flags"; then unsupported="$unsupported $name"; continue; fi
    case " $flags " in *" -m32 "*)
        [ $m32_status = unknown ] && { if m32_how; then m32_status=yes; else m32_status=no; fi; }
        if [ $m32_status = no ]; then no32="$no32 $name"; continue; fi
        [ -n "$m32_runner" ] && emulated="$emulated$name " ;;
    esac
    flags=$(printf '%s' "$flags" | sed "s/C_ONLY/$C_ONLY/")
    srcs=${srcs%%|*}
    ( $cc $flags $BASE $W -o "$out/$name" $srcs -lm >"$out/$name.build.log" 2>&1 || rm -f "$out/$name" ) &
    built="$built $name"
    jobs=$((jobs + 1))
    if [ $jobs -ge 2 ]; then wait; jobs=0; fi
done
wait

# the cross-precision fixtures: the same net saved by a float and by a double build
# (tests/fixture.c), for the suite's test_other_precision, which finds them in CCN_TEST_DIR
for rs in 4 8; do
    def=""; [ $rs = 8 ] && def="-DCCN_DOUBLE"
    rm -f "$out/fixture-$rs.ccn"
    if ! { gcc -std=c99 $def $BASE $W $C_ONLY -o "$out/fixture-$rs" tests/fixture.c -lm &&
           $RUNNER "$out/fixture-$rs" "$out/fixture-$rs.ccn"; } >"$out/fixture-$rs.log" 2>&1; then
        echo "FAIL fixture-$rs: the cross-precision fixture was not written:"; sed -n 1,20p "$out/fixture-$rs.log"
        failed=$((failed + 1))
    fi
done
CCN_TEST_DIR=$out
export CCN_TEST_DIR

for name in $built; do
    if [ ! -x "$out/$name" ]; then
        echo "FAIL $name: build failed:"; sed -n 1,20p "$out/$name.build.log"
        failed=$((failed + 1)); continue
    fi
    how=$RUNNER; case $emulated in *" $name "*) how=$m32_runner ;; esac
    subset=$(printf '%s\n' "$legs" | grep "^$name|" | cut -d'|' -f5 | sed "s/M32_SUBSET/$M32_SUBSET/")
    $how "$out/$name" "$name" $subset >"$out/$name.log" 2>&1
    status=$?
    grep -v '^ok ' "$out/$name.log" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
    tail -n 1 "$out/$name.log" | sed "s/^/$name: /"
    count "$out/$name.log"
    if [ $status -ne 0 ] && ! grep -q '^FAIL' "$out/$name.log"; then
        echo "FAIL $name: exited with status $status"; failed=$((failed + 1))
    fi
done

# every example builds (gcc, and clang when present) and runs at a tiny size (in the build
# folder, where its figure lands), ending with its result line
for src in examples/*.c; do
    [ -e "$src" ] || continue
    ex=$(basename "$src" .c)
    if { ! command -v clang >/dev/null 2>&1 || clang -std=c99 -fsyntax-only $W $C_ONLY "$src" >"$out/ex_$ex.build.log" 2>&1; } &&
       gcc -std=c99 $BASE $W $C_ONLY -o "$out/ex_$ex" "$src" -lm >>"$out/ex_$ex.build.log" 2>&1 &&
       (cd "$out" && $RUNNER "./ex_$ex" --steps 3000 --window 1000 >"ex_$ex.log" 2>&1) &&
       grep -Eq '^(final_error|learner)=' "$out/ex_$ex.log"; then
        echo "ok   example: $ex"; passed=$((passed + 1))
    else
        echo "FAIL example: $ex"; cat "$out/ex_$ex.build.log" "$out/ex_$ex.log" 2>/dev/null | tail -n 20
        failed=$((failed + 1))
    fi
done

# the reference itself: ref_bptt.h against finite differences of its own forward pass
if gcc -std=c99 -O2 $W $C_ONLY -o "$out/ref_selftest" tests/ref_selftest.c -lm >"$out/ref_selftest.build.log" 2>&1 &&
   "$out/ref_selftest" >"$out/ref_selftest.log" 2>&1 && tail -n 1 "$out/ref_selftest.log" | grep -q '^OK (0 failures)$'; then
    echo "ok   reference: ref_bptt.h against finite differences"; passed=$((passed + 1))
else
    echo "FAIL reference: ref_bptt.h self-test"; tail -n 20 "$out/ref_selftest.build.log" "$out/ref_selftest.log"
    failed=$((failed + 1))
fi

for name in $skipped; do echo "SKIPPED leg $name: its compiler is not installed"; done
for name in $unsupported; do echo "SKIPPED leg $name: this processor lacks its instructions"; done
for name in $no32; do
    echo "SKIPPED leg $name: 32-bit x86 programs cannot be built or run here (gcc-multilib; qemu-user where the kernel runs none)"
done
for name in $emulated; do echo "note: leg $name ran under qemu-i386 (this kernel runs no 32-bit programs)"; done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
