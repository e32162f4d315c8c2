#!/bin/sh
# Builds and runs the test suite in every leg of the matrix: gcc and clang, C99 and C11, float and
# CCN_DOUBLE, the header as C++ (g++, clang++), a two-file CCN_STATIC link, gcc for AVX2 (where
# ccn.h sums the pre-activations of small fan-in eight columns at once), gcc for AVX-512 (where
# the lstm cells of a stage's last few columns run as a padded vector block), 32-bit x86 (SSE, and x87
# with excess precision allowed), and every example at a tiny size. Before the legs run it writes
# the same net from a float and a double build (tests/fixture.c) for the suite's cross-precision
# tests, which find them through CCN_TEST_DIR.
# A leg whose compiler is missing, or whose instructions this processor lacks, is skipped and
# reported. Progress goes to stdout as plain lines, so a slow leg never looks hung: each leg's name
# when its build starts and when it ends, then "running" and its "leg: N passed, M failed" (or
# "skipped: reason"). The last line is the total:
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
gcc-avx512-float|gcc|-std=c99 -mavx512f -mavx512vl -mavx2 -mfma C_ONLY|tests/suite.c
gcc-avx512-double|gcc|-std=c11 -mavx512f -mavx512vl -mavx2 -mfma -DCCN_DOUBLE C_ONLY|tests/suite.c
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
    if ! command -v "$cc" >/dev/null 2>&1; then
        skipped="$skipped $name"; echo "$name: skipped: its compiler is not installed"; continue
    fi
    if cpu_lacks "$flags"; then
        unsupported="$unsupported $name"; echo "$name: skipped: this processor lacks its instructions"; continue
    fi
    case " $flags " in *" -m32 "*)
        [ $m32_status = unknown ] && { if m32_how; then m32_status=yes; else m32_status=no; fi; }
        if [ $m32_status = no ]; then
            no32="$no32 $name"; echo "$name: skipped: 32-bit x86 programs cannot be built or run here"; continue
        fi
        [ -n "$m32_runner" ] && emulated="$emulated$name " ;;
    esac
    flags=$(printf '%s' "$flags" | sed "s/C_ONLY/$C_ONLY/")
    srcs=${srcs%%|*}
    echo "$name: building ($cc $flags)"
    ( if $cc $flags $BASE $W -o "$out/$name" $srcs -lm >"$out/$name.build.log" 2>&1; then echo "$name: built"
      else rm -f "$out/$name"; echo "$name: build failed"; fi ) &
    built="$built $name"
    jobs=$((jobs + 1))
    if [ $jobs -ge 2 ]; then wait; jobs=0; fi
done
wait

# the cross-precision fixtures: the same net saved by a float and by a double build
# (tests/fixture.c), for the suite's test_other_precision, and the bounds nets (every real
# setting at its extremes) each build saves in its own real size and in the other, for
# test_settings_bounds_other_build; the suite finds them in CCN_TEST_DIR
echo "fixtures: writing the cross-precision files (float and double builds of tests/fixture.c)"
for rs in 4 8; do
    def=""; [ $rs = 8 ] && def="-DCCN_DOUBLE"
    rm -f "$out/fixture-$rs.ccn" "$out/bounds-$rs.ccn" "$out/bounds-$rs-as-$((12 - rs)).ccn"
    if ! { gcc -std=c99 $def $BASE $W $C_ONLY -o "$out/fixture-$rs" tests/fixture.c -lm &&
           $RUNNER "$out/fixture-$rs" "$out/fixture-$rs.ccn" "$out/bounds-$rs.ccn" "$out/bounds-$rs-as-$((12 - rs)).ccn"; } >"$out/fixture-$rs.log" 2>&1; then
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
    echo "$name: running${how:+ under $how}${subset:+ (tests: $subset)}"
    $how "$out/$name" "$name" $subset >"$out/$name.log" 2>&1
    status=$?
    grep -v '^ok ' "$out/$name.log" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
    tail -n 1 "$out/$name.log" | sed "s/^/$name: /"
    count "$out/$name.log"
    if [ $status -ne 0 ] && ! grep -q '^FAIL' "$out/$name.log"; then
        echo "FAIL $name: exited with status $status"; failed=$((failed + 1))
    fi
done

# every example builds (gcc, and clang when present) and, in the build folder, runs at a tiny
# size: with --json every stdout line is a result line with the agreed keys in their order
# (examples/cli.h) and "final" is the curve's last entry; in text mode it writes its figure; a
# bad flag and a bad value exit 2 naming the flag; an unwritable --svg path exits 1 naming it
num='(-?[0-9][0-9.eE+-]*|null)'
result_re="^\{\"example\":\"EXAMPLE\",\"learner\":\"[a-z_]+\",\"seed\":[0-9]+,\"steps\":[0-9]+,\"settings\":\{\"precision\":\"(float|double)\"[^{}]*\},\"metric\":\"[a-z_]+\",\"window\":[0-9]+,\"curve\":\[$num(,$num)*\],\"final\":$num,\"us_per_step\":$num(,\"[a-z_]+\":($num|\"[^\"]*\"))*\}$"
example_fails() { # prints why the example $1 (built as $out/ex_$1) fails its checks, if it does
    ( cd "$out" && $RUNNER "./ex_$1" --steps 3e3 --window 1000 --json --svg "" >"ex_$1.jsonl" 2>"ex_$1.json.log" ) ||
        { echo "--json run exited with status $?"; return; }
    [ -s "$out/ex_$1.jsonl" ] || { echo "--json run printed no result line"; return; }
    re=$(printf '%s' "$result_re" | sed "s/EXAMPLE/$1/")
    bad=$(grep -Evn "$re" "$out/ex_$1.jsonl" | head -n 1)
    [ -z "$bad" ] || { echo "not a result line: $bad"; return; }
    bad=$(awk '{ c = $0; sub(/.*"curve":\[/, "", c); sub(/\].*/, "", c); n = split(c, v, ",");
                 f = $0; sub(/.*"final":/, "", f); sub(/,.*/, "", f); if (v[n] != f) { print NR ": " v[n] " " f; exit } }' \
              "$out/ex_$1.jsonl")
    [ -z "$bad" ] || { echo "\"final\" is not the curve's last entry on line $bad"; return; }
    rm -f "$out/ex_$1.svg"
    ( cd "$out" && $RUNNER "./ex_$1" --steps 3e3 --window 1000 --svg "ex_$1.svg" >"ex_$1.log" 2>&1 ) ||
        { echo "text run exited with status $?"; return; }
    grep -q '</svg>' "$out/ex_$1.svg" 2>/dev/null || { echo "text run wrote no figure at ex_$1.svg"; return; }
    for bad_args in "--no-such-flag 1" "--steps 12x"; do
        ( cd "$out" && "./ex_$1" $bad_args >/dev/null 2>"ex_$1.err" ); status=$?
        flag=${bad_args%% *}
        [ $status -eq 2 ] || { echo "'$bad_args' exited with status $status, not 2"; return; }
        grep -q -- "$flag" "$out/ex_$1.err" || { echo "'$bad_args': stderr does not name $flag"; return; }
    done
    ( cd "$out" && "./ex_$1" --steps 3e3 --window 1000 --svg "no-such-dir/ex_$1.svg" >/dev/null 2>"ex_$1.err" ); status=$?
    [ $status -eq 1 ] || { echo "an unwritable --svg exited with status $status, not 1"; return; }
    grep -q "no-such-dir/ex_$1.svg" "$out/ex_$1.err" || echo "an unwritable --svg: stderr does not name the path"
}
for src in examples/*.c; do
    [ -e "$src" ] || continue
    ex=$(basename "$src" .c)
    echo "example $ex: building and running at a tiny size"
    why=""
    if ! { { ! command -v clang >/dev/null 2>&1 || clang -std=c99 -fsyntax-only $W $C_ONLY "$src" >"$out/ex_$ex.build.log" 2>&1; } &&
           gcc -std=c99 $BASE $W $C_ONLY -o "$out/ex_$ex" "$src" -lm >>"$out/ex_$ex.build.log" 2>&1; }; then
        why="build failed"
    else
        why=$(example_fails "$ex")
    fi
    if [ -z "$why" ]; then
        echo "ok   example: $ex"; passed=$((passed + 1))
    else
        echo "FAIL example: $ex: $why"
        cat "$out/ex_$ex.build.log" "$out/ex_$ex.json.log" "$out/ex_$ex.log" 2>/dev/null | tail -n 20
        failed=$((failed + 1))
    fi
done
# trace_patterning's batches: one process over 2 seeds x 2 step sizes (each ccn.h kind one
# ccn_batch of 4 nets, through constructive's stage changes; and with --batch 0, each net by its
# own call) prints the lines of the 4 processes of one seed and step size each, byte for byte
# but us_per_step
if [ -x "$out/ex_trace_patterning" ]; then
    tp_args="--steps 3e3 --window 1000 --json --svg '' --learner columnar,ccn,constructive,tbptt,zero --tbptt 5:8"
    (cd "$out" && for s in 1 2; do for a in 0.01 0.001; do
        eval "$RUNNER ./ex_trace_patterning $tp_args --seed $s --step-size $a"; done; done) >"$out/tp_one.jsonl" 2>&1
    (cd "$out" && eval "$RUNNER ./ex_trace_patterning $tp_args --seed 1..2 --step-size 0.01,0.001") >"$out/tp_batch.jsonl" 2>&1
    (cd "$out" && eval "$RUNNER ./ex_trace_patterning $tp_args --seed 1..2 --step-size 0.01,0.001 --batch 0") \
        >"$out/tp_batch0.jsonl" 2>&1
    for f in one batch batch0; do sed 's/,"us_per_step":[^,}]*//' "$out/tp_$f.jsonl" | sort >"$out/tp_$f.sorted"; done
    for f in batch batch0; do
        if [ "$(wc -l <"$out/tp_one.sorted")" -eq 20 ] && cmp "$out/tp_one.sorted" "$out/tp_$f.sorted" >/dev/null; then
            echo "ok   example: trace_patterning --seed 1..2 --step-size 0.01,0.001 ($f) prints the 4 single runs' lines"
            passed=$((passed + 1))
        else
            echo "FAIL example: trace_patterning's lines ($f) differ from the single runs' (<: single, >: $f)"
            diff "$out/tp_one.sorted" "$out/tp_$f.sorted" | head -n 6; failed=$((failed + 1))
        fi
    done
fi

# the reference itself: ref_bptt.h against finite differences of its own forward pass
echo "reference: building and running its self-test"
if gcc -std=c99 -O2 $W $C_ONLY -o "$out/ref_selftest" tests/ref_selftest.c -lm >"$out/ref_selftest.build.log" 2>&1 &&
   "$out/ref_selftest" >"$out/ref_selftest.log" 2>&1 && tail -n 1 "$out/ref_selftest.log" | grep -q '^OK (0 failures)$'; then
    echo "ok   reference: ref_bptt.h against finite differences"; passed=$((passed + 1))
else
    echo "FAIL reference: ref_bptt.h self-test"; tail -n 20 "$out/ref_selftest.build.log" "$out/ref_selftest.log"
    failed=$((failed + 1))
fi

# the API tests again with -DNDEBUG: an argument check must never be an assert; and
# test_null_arguments must call every public function that takes a pointer
echo "api: building the API tests with -DNDEBUG"
if gcc -std=c99 -DNDEBUG $BASE $W $C_ONLY -o "$out/api_ndebug" tests/api_ndebug.c -lm >"$out/api_ndebug.build.log" 2>&1 &&
   $RUNNER "$out/api_ndebug" >"$out/api_ndebug.log" 2>&1 && tail -n 1 "$out/api_ndebug.log" | grep -q ' 0 failed$'; then
    echo "ok   api: NULL arguments and refusals under NDEBUG"; passed=$((passed + 1))
else
    echo "FAIL api: NULL arguments and refusals under NDEBUG"; tail -n 20 "$out/api_ndebug.build.log" "$out/api_ndebug.log"
    failed=$((failed + 1))
fi
untested=""
for f in $(sed -n '1,/stop here if you only want the API/p' ccn.h | grep -o '^CCN_API [^(]*(' | sed 's/($//; s/.*[ *]//'); do
    case $f in ccn_version|ccn_result_string) continue ;; esac # no pointer argument
    sed -n '/^static void test_null_arguments/,/^}/p' tests/test_api.c | grep -Eq "(^|[^a-z_])$f\(" || untested="$untested $f"
done
if [ -z "$untested" ]; then
    echo "ok   api: every public function is called with NULL"; passed=$((passed + 1))
else
    echo "FAIL api: test_null_arguments (tests/test_api.c) does not call:$untested"; failed=$((failed + 1))
fi

# C89 is refused with a clear message, not a cascade of syntax errors
printf '#include "ccn.h"\nint ccn_c89_probe;\n' >"$out/c89.c"
if gcc -std=c89 -pedantic-errors -I. -fsyntax-only "$out/c89.c" >"$out/c89.log" 2>&1; then
    echo "FAIL c89: ccn.h compiled as C89 without its #error"; failed=$((failed + 1))
elif grep -q 'ccn.h needs C99 or C++' "$out/c89.log"; then
    echo "ok   c89: refused with \"ccn.h needs C99 or C++\""; passed=$((passed + 1))
else
    echo "FAIL c89: no \"ccn.h needs C99 or C++\" among the errors:"; head -n 5 "$out/c89.log"; failed=$((failed + 1))
fi
# the Python binding (examples/python/ccn.py): tests/test_python.py with each python3 found, the
# one on PATH and /usr/bin/python3 when that is another (NumPy may be in one and not the other)
pys=$( (command -v python3; [ -x /usr/bin/python3 ] && echo /usr/bin/python3) 2>/dev/null | awk '!seen[$0]++')
[ -n "$pys" ] || echo "SKIPPED python: python3 is not installed"
for py in $pys; do
    CCN_PY_CACHE=$out/python/cache "$py" tests/test_python.py "$out/python" >"$out/python.log" 2>&1
    grep -v '^ok ' "$out/python.log" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
    tail -n 1 "$out/python.log" | sed "s|^|python ($py): |"
    count "$out/python.log"
done
# the sweep tools (examples/sweep): the job list, a local run, resume, a failing job, the Slurm
# array script's line selection, and the aggregator's table and selection, on a stand-in example
# (tests/sweep_fake.sh) whose numbers are known, so each figure checked was computed by hand
sw=$out/sweep
echo "sweep: checking examples/sweep's tools on a stand-in example"
rm -rf "$sw"; mkdir -p "$sw"
cp tests/sweep_fake.sh "$sw/fake.sh"
sweep_sh=$(pwd)/examples/sweep/sweep.sh
FAKE_COUNTER=$(pwd)/$sw/ran
export FAKE_COUNTER
swcheck() { # NAME COMMAND...: one counted check, its output kept in $sw/check.log
    swname=$1; shift
    if "$@" >"$sw/check.out" 2>&1; then echo "ok   sweep: $swname"; passed=$((passed + 1))
    else echo "FAIL sweep: $swname"; tail -n 15 "$sw/check.out"; failed=$((failed + 1)); fi
    { echo "== $swname"; cat "$sw/check.out"; } >>"$sw/check.log"
}
sweq() { # FILE EXPECTED: the file's text is exactly EXPECTED
    printf '%s\n' "$2" >"$1.want"
    diff "$1.want" "$1"
}
cat >"$sw/t.sweep" <<'EOF'
# two learners x two step sizes x four seeds; the metric is known (tests/sweep_fake.sh)
results = res
[main]
command = sh fake.sh --json --learner {learner} --step-size {step_size} --seed {seed}
learner = ccn columnar
step_size = 0.1 0.01     # a comment
seed = 1..4
EOF
cat >"$sw/fail.sweep" <<'EOF'
[fails]
command = sh fake.sh --seed {seed} --fail-seed 2
seed = 1..2
EOF
cat >"$sw/bad.sweep" <<'EOF'
[b]
command = sh fake.sh --seed {seed}
seed = 1 2
step_size = 0.1
EOF
cat >"$sw/tb.sweep" <<'EOF'
# t.sweep's 16 runs in 2 jobs: [...] is one value, so each learner's job runs its list of step
# sizes and seeds in one process (as trace_patterning batches its nets)
results = resb
[main]
command = sh fake.sh --json --learner {learner} --step-size {step_size} --seed {seed}
learner = ccn columnar
step_size = [0.1 0.01]
seed = [1..4]
EOF
cat >"$sw/tsplit.sweep" <<'EOF'
[split]
command = sh fake.sh --json --step-size {step_size} --seed {seed}
step_size = 0.1 [ 0.01   0.001 ]
seed = [1..2] [3..4] 5..6
EOF
cat >"$sw/bad2.sweep" <<'EOF'
[b]
command = sh fake.sh --seed {seed}
seed = [1 2
EOF
(cd "$sw" && sh "$sweep_sh" jobs tb.sweep >jobsb.txt 2>&1; sh "$sweep_sh" jobs tsplit.sweep >split.txt 2>&1
 ! command -v bash >/dev/null || bash "$sweep_sh" jobs tsplit.sweep >split.bash 2>&1)
(cd "$sw" && sh "$sweep_sh" jobs t.sweep >jobs.txt 2>&1; ! command -v bash >/dev/null || bash "$sweep_sh" jobs t.sweep >jobs.bash 2>&1)
swcheck "jobs: 16 lines, the cross product with seed fastest" sh -c "
    [ \$(wc -l <'$sw/jobs.txt') -eq 16 ] &&
    sed -n 1p '$sw/jobs.txt' | grep -qF \"f='res/main/learner=ccn,step_size=0.1,seed=1.json'; \" &&
    sed -n 1p '$sw/jobs.txt' | grep -qF '( sh fake.sh --json --learner ccn --step-size 0.1 --seed 1 )' &&
    sed -n 7p '$sw/jobs.txt' | grep -qF \"f='res/main/learner=ccn,step_size=0.01,seed=3.json'\" &&
    sed -n 16p '$sw/jobs.txt' | grep -qF -e '--learner columnar --step-size 0.01 --seed 4 )'"
if command -v bash >/dev/null 2>&1; then
    swcheck "jobs: the same list under bash as under sh" cmp "$sw/jobs.txt" "$sw/jobs.bash"
fi
swcheck "jobs: a setting the command does not use is an error" sh -c "
    ! (cd '$sw' && sh '$sweep_sh' jobs bad.sweep) >'$sw/bad.out' 2>&1 &&
    grep -q 'the setting step_size is not used in the command' '$sw/bad.out'"
swcheck "jobs: a [list] is one value, its words joined by commas: 2 jobs for 16 runs" sh -c "
    [ \$(wc -l <'$sw/jobsb.txt') -eq 2 ] &&
    sed -n 1p '$sw/jobsb.txt' | grep -qF \"f='resb/main/learner=ccn,step_size=0.1%2C0.01,seed=1..4.json'; \" &&
    sed -n 1p '$sw/jobsb.txt' | grep -qF '( sh fake.sh --json --learner ccn --step-size 0.1,0.01 --seed 1..4 )' &&
    sed -n 2p '$sw/jobsb.txt' | grep -qF -e '--learner columnar --step-size 0.1,0.01 --seed 1..4 )'"
swcheck "jobs: [a] [b] are two values, beside plain values and ranges" sh -c "
    [ \$(wc -l <'$sw/split.txt') -eq 8 ] &&
    sed -n 1p '$sw/split.txt' | grep -qF \"f='results/tsplit/split/step_size=0.1,seed=1..2.json'\" &&
    sed -n 4p '$sw/split.txt' | grep -qF -e '--step-size 0.1 --seed 6 )' &&
    sed -n 6p '$sw/split.txt' | grep -qF -e '--step-size 0.01,0.001 --seed 3..4 )' &&
    sed -n 6p '$sw/split.txt' | grep -qF \"f='results/tsplit/split/step_size=0.01%2C0.001,seed=3..4.json'\" &&
    { ! command -v bash >/dev/null || cmp '$sw/split.txt' '$sw/split.bash'; }"
swcheck "jobs: a [ without its ] is an error" sh -c "
    ! (cd '$sw' && sh '$sweep_sh' jobs bad2.sweep) >'$sw/bad2.out' 2>&1 &&
    grep -qF 'bad2.sweep:3: block [b]: seed: a [ without its ]' '$sw/bad2.out'"
sh "$sweep_sh" jobs examples/sweep/trace_patterning_select.sweep >"$sw/tp.jobs" 2>&1
swcheck "jobs: examples/sweep/trace_patterning_select.sweep, 6 batched + 384 jobs, all --json" sh -c "
    [ \$(grep -c \"^f='build/sweeps/tp_select/columnar/learner=\" '$sw/tp.jobs') -eq 6 ] &&
    [ \$(grep -c -e '--step-size 0.01,0.003,0.001,0.0003,0.0001 --isi [0-9:]* --seed 1..3 )' '$sw/tp.jobs') -eq 6 ] &&
    [ \$(grep -c \"^f='build/sweeps/tp_select/tbptt/isi=\" '$sw/tp.jobs') -eq 384 ] &&
    [ \$(wc -l <'$sw/tp.jobs') -eq 390 ] && [ \$(grep -c ' --json ' '$sw/tp.jobs') -eq 390 ]"
sh "$sweep_sh" jobs examples/sweep/trace_patterning_report.sweep >"$sw/tpr.jobs" 2>&1
swcheck "jobs: examples/sweep/trace_patterning_report.sweep, 3 batched + 160 jobs of 10M steps on seeds 11-20" sh -c "
    [ \$(wc -l <'$sw/tpr.jobs') -eq 163 ] && [ \$(grep -c ' --steps 1e7 ' '$sw/tpr.jobs') -eq 163 ] &&
    [ \$(grep -c 'seed=1[1-9].json\\|seed=20.json' '$sw/tpr.jobs') -eq 160 ] &&
    [ \$(grep -c \"seed=11..20.json'.* --seed 11..20 )\" '$sw/tpr.jobs') -eq 3 ]"
: >"$sw/ran"
swcheck "run -j 2: every job ran once and left its result" sh -c "
    (cd '$sw' && sh '$sweep_sh' run t.sweep -j 2) &&
    [ \$(wc -l <'$sw/ran') -eq 16 ] && [ \$(sort -u '$sw/ran' | wc -l) -eq 16 ] &&
    [ \$(ls '$sw/res/main' | grep -c '\\.json\$') -eq 16 ] &&
    grep -q '\"learner\":\"columnar\",\"seed\":3,.*\"final\":11,' '$sw/res/main/learner=columnar,step_size=0.1,seed=3.json'"
if parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
    : >"$sw/ran"
    swcheck "run --engine parallel (GNU parallel): every job ran once" sh -c "
        (cd '$sw' && sh '$sweep_sh' run t.sweep --results res.parallel --engine parallel -j 2) &&
        [ \$(sort -u '$sw/ran' | wc -l) -eq 16 ] && [ \$(wc -l <'$sw/ran') -eq 16 ] &&
        [ \$(ls '$sw/res.parallel/main' | grep -c '\\.json\$') -eq 16 ]"
fi
rm -f "$sw/res/main/learner=ccn,step_size=0.01,seed=3.json"
: >"$sw/ran"
swcheck "status: 15 done, 1 pending after one result was deleted" sh -c "
    (cd '$sw' && sh '$sweep_sh' status t.sweep) | grep -qx '16 jobs: 15 done, 1 pending (0 failed, 0 partial: running or interrupted)'"
swcheck "resume: only the job without a result runs again" sh -c "
    (cd '$sw' && sh '$sweep_sh' run jobs.txt -j 2) && [ \"\$(cat '$sw/ran')\" = 'ccn 0.01 3' ] &&
    [ -s '$sw/res/main/learner=ccn,step_size=0.01,seed=3.json' ]"
swcheck "a failing job leaves no result file, its error in .err, nothing partial" sh -c "
    ! (cd '$sw' && sh '$sweep_sh' run fail.sweep -j 2) &&
    [ -s '$sw/results/fail/fails/seed=1.json' ] && [ ! -e '$sw/results/fail/fails/seed=2.json' ] &&
    grep -q 'failing on purpose' '$sw/results/fail/fails/seed=2.json.err' &&
    [ \$(ls '$sw/results/fail/fails' | wc -l) -eq 2 ]"
(cd "$sw" && sh "$sweep_sh" slurm jobs.txt --time 0:05:00 --mem 1G --max-running 3 >array.sh &&
    sh "$sweep_sh" slurm t.sweep --per-task 3 >array3.sh)
mv "$sw/res" "$sw/res.all"
: >"$sw/ran"
swcheck "slurm: the array script runs line k of the job list for task k" sh -c "
    grep -qx '#SBATCH --array=1-16%3' '$sw/array.sh' && grep -qx '#SBATCH --time=0:05:00' '$sw/array.sh' &&
    grep -qx '#SBATCH --mem=1G' '$sw/array.sh' &&
    SLURM_ARRAY_TASK_ID=11 sh '$sw/array.sh' && [ \"\$(cat '$sw/ran')\" = 'columnar 0.1 3' ] &&
    [ \$(ls '$sw/res/main') = 'learner=columnar,step_size=0.1,seed=3.json' ] &&
    SLURM_ARRAY_TASK_ID=11 sh '$sw/array.sh' && [ \$(wc -l <'$sw/ran') -eq 1 ]"
: >"$sw/ran"
swcheck "slurm --per-task 3: task 2 runs lines 4 to 6" sh -c "
    grep -qx '#SBATCH --array=1-6' '$sw/array3.sh' && SLURM_ARRAY_TASK_ID=2 sh '$sw/array3.sh' &&
    [ \"\$(tr '\\n' / <'$sw/ran')\" = 'ccn 0.1 4/ccn 0.01 1/ccn 0.01 2/' ]"
rm -rf "$sw/res"; mv "$sw/res.all" "$sw/res"
: >"$sw/ran"
swcheck "run: a list's job runs once and writes all its runs' lines to its one result file" sh -c "
    (cd '$sw' && sh '$sweep_sh' run tb.sweep -j 2) && [ \$(wc -l <'$sw/ran') -eq 2 ] &&
    grep -qx 'ccn 0.1,0.01 1..4' '$sw/ran' && grep -qx 'columnar 0.1,0.01 1..4' '$sw/ran' &&
    [ \$(ls '$sw/resb/main' | wc -l) -eq 2 ] &&
    [ \$(wc -l <'$sw/resb/main/learner=columnar,step_size=0.1%2C0.01,seed=1..4.json') -eq 8 ] &&
    grep -q '\"learner\":\"columnar\",\"seed\":3,.*\"step_size\":0.1,.*\"final\":11,' '$sw/resb/main/learner=columnar,step_size=0.1%2C0.01,seed=1..4.json'"
rm -f "$sw/resb/main/learner=ccn,step_size=0.1%2C0.01,seed=1..4.json"
: >"$sw/ran"
swcheck "status and resume: a list's job is done or pending as a whole" sh -c "
    (cd '$sw' && sh '$sweep_sh' status tb.sweep) | grep -qx '2 jobs: 1 done, 1 pending (0 failed, 0 partial: running or interrupted)' &&
    (cd '$sw' && sh '$sweep_sh' run tb.sweep -j 2) && [ \"\$(cat '$sw/ran')\" = 'ccn 0.1,0.01 1..4' ] &&
    [ \$(wc -l <'$sw/resb/main/learner=ccn,step_size=0.1%2C0.01,seed=1..4.json') -eq 8 ]"
# the aggregator: final by seed 1..4 is 1 1 1 5 (0.1) and 3 3 1 1 (0.01), plus 10 for columnar,
# and the curve 9 8 f+2 f, so the last half's mean is f+1 and the whole curve's (19+2f)/4:
#   0.1: final 2, se sqrt(12/3/4) = 1; 0.01: final 2, se sqrt(4/3/4) = 0.577
#   --tail 1, 0.1: (19+2*2)/4 = 5.75, se 2*1/4 = 0.5; 0.01: 5.75, se 2*0.577/4 = 0.289;
#   columnar: (19+2*12)/4 = 10.75, with the same standard errors
#   chosen on seeds 1-2 (tails 2 against 4): 0.1; on seeds 3-4 its finals 5 1: 3, se 2; tails 4, se 2
#   chosen on seeds 3-4 instead (tails 4 against 2): 0.01, on seeds 1-2 finals 3 3: 3, se 0
if { ! command -v clang >/dev/null 2>&1 || clang -std=c99 -fsyntax-only $W $C_ONLY examples/sweep/aggregate.c >"$sw/aggregate.build.log" 2>&1; } &&
   gcc -std=c99 $BASE $W $C_ONLY -o "$sw/aggregate" examples/sweep/aggregate.c -lm >>"$sw/aggregate.build.log" 2>&1; then
    echo "ok   sweep: aggregate.c builds"; passed=$((passed + 1))
else
    echo "FAIL sweep: aggregate.c builds"; tail -n 20 "$sw/aggregate.build.log"; failed=$((failed + 1))
fi
$RUNNER "$sw/aggregate" "$sw/res" >"$sw/table.txt" 2>"$sw/table.err"
swcheck "aggregate: the table's means and standard errors" sweq "$sw/table.txt" \
'# fake (msre); common settings: isi=14:26 window=1000
learner   step_size  seeds  final      last 50%
ccn       0.01       4      2 ± 0.58   3 ± 0.58
ccn       0.1        4      2 ± 1      3 ± 1
columnar  0.01       4      12 ± 0.58  13 ± 0.58
columnar  0.1        4      12 ± 1     13 ± 1'
$RUNNER "$sw/aggregate" "$sw/resb" >"$sw/tableb.txt" 2>"$sw/tableb.err"
$RUNNER "$sw/aggregate" --select step_size --select-seeds 1-2 --report-seeds 3-4 "$sw/resb" >"$sw/selectb.txt" 2>&1
$RUNNER "$sw/aggregate" --select step_size --select-seeds 1-2 --report-seeds 3-4 "$sw/res" >"$sw/selecta.txt" 2>&1
swcheck "aggregate: the lists' 2 result files give the table and selection of the 16 one-run files" sh -c "
    cmp '$sw/table.txt' '$sw/tableb.txt' && [ ! -s '$sw/tableb.err' ] && cmp '$sw/selecta.txt' '$sw/selectb.txt'"
$RUNNER "$sw/aggregate" --markdown --tail 1 "$sw/res/main" >"$sw/table.md" 2>&1
swcheck "aggregate --markdown --tail 1: the whole curve's mean" sweq "$sw/table.md" \
'fake (msre); common settings: isi=14:26 window=1000

| learner  | step_size | seeds | final     | last 100%    |
|----------|----------:|------:|----------:|-------------:|
| ccn      | 0.01      | 4     | 2 ± 0.58  | 5.75 ± 0.29  |
| ccn      | 0.1       | 4     | 2 ± 1     | 5.75 ± 0.5   |
| columnar | 0.01      | 4     | 12 ± 0.58 | 10.75 ± 0.29 |
| columnar | 0.1       | 4     | 12 ± 1    | 10.75 ± 0.5  |'
$RUNNER "$sw/aggregate" --select step_size --select-seeds 1-2 --report-seeds 3-4 --svg "$sw/select.svg" "$sw/res" >"$sw/select.txt" 2>&1
swcheck "aggregate --select: chosen on seeds 1-2, reported on seeds 3-4" sweq "$sw/select.txt" \
'# fake (msre); common settings: isi=14:26 window=1000
# step_size chosen in each row by the lowest mean over the last 50% of the curve on seeds 1-2; reported on seeds 3-4
learner   step_size tried  chosen  on seeds 1-2  seeds  final   last 50%
ccn       0.01 0.1         0.1     2 ± 0         2      3 ± 2   4 ± 2
columnar  0.01 0.1         0.1     12 ± 0        2      13 ± 2  14 ± 2'
$RUNNER "$sw/aggregate" --select step_size --select-seeds 3-4 --report-seeds 1-2 "$sw/res" >"$sw/select2.txt" 2>&1
swcheck "aggregate --select: chosen on seeds 3-4, reported on seeds 1-2" sh -c "
    grep -qx 'ccn       0.01 0.1         0.01    2 ± 0         2      3 ± 0   4 ± 0' '$sw/select2.txt'"
swcheck "aggregate --select: overlapping seeds are refused" sh -c "
    ! '$sw/aggregate' --select step_size --select-seeds 1-3 --report-seeds 3-4 '$sw/res' 2>'$sw/overlap.err' &&
    grep -q 'overlap' '$sw/overlap.err'"
$RUNNER "$sw/aggregate" --svg "$sw/all.svg" "$sw/res" >/dev/null 2>&1
swcheck "aggregate --svg: a curve and a band per group, the chosen ones with --select" sh -c "
    [ \$(grep -c '<polyline' '$sw/all.svg') -eq 4 ] && [ \$(grep -c '<polygon' '$sw/all.svg') -eq 4 ] &&
    [ \$(grep -c '<polyline' '$sw/select.svg') -eq 2 ] && tail -n 1 '$sw/all.svg' | grep -qx '</svg>'"

for name in $skipped; do echo "SKIPPED leg $name: its compiler is not installed"; done
for name in $unsupported; do echo "SKIPPED leg $name: this processor lacks its instructions"; done
for name in $no32; do
    echo "SKIPPED leg $name: 32-bit x86 programs cannot be built or run here (gcc-multilib; qemu-user where the kernel runs none)"
done
for name in $emulated; do echo "note: leg $name ran under qemu-i386 (this kernel runs no 32-bit programs)"; done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
