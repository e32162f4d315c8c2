#!/bin/sh
# A stand-in example for the sweep tools' tests (tests/run.sh): prints one result line in the
# examples' format (examples/README.md) whose numbers are known, so the aggregator's table can be
# checked against figures computed by hand. The final metric by seed 1..4 is 1 1 1 5 at step size
# 0.1 and 3 3 1 1 otherwise, plus 10 for the learner columnar; the curve is 9 8 final+2 final.
# --step-size and --seed also take lists as trace_patterning does (0.1,0.01; 1..4 or 1,3): one
# line per step size and seed. Each call appends "learner step_size seed" (as given) to
# $FAKE_COUNTER (when set), so a test sees which jobs ran; --fail-seed S prints half a line and
# fails when S is among the seeds.
learner=ccn step=0.1 seed=1 fail_seed=
while [ $# -gt 0 ]; do
    case $1 in
        --learner) learner=$2; shift ;;
        --step-size) step=$2; shift ;;
        --seed) seed=$2; shift ;;
        --fail-seed) fail_seed=$2; shift ;;
        --json) ;;
        *) echo "sweep_fake: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -z "${FAKE_COUNTER:-}" ] || echo "$learner $step $seed" >>"$FAKE_COUNTER"
seeds=$(echo "$seed" | awk -F, '{
    for (i = 1; i <= NF; ++i)
        if (split($i, ab, /\.\./) == 2) for (s = ab[1]; s <= ab[2]; ++s) print s
        else print $i
}')
if [ -n "$fail_seed" ] && printf '%s\n' $seeds | grep -qx "$fail_seed"; then
    printf '{"example":"fake","learner":"%s",' "$learner"
    echo "sweep_fake: failing on purpose on seed $fail_seed" >&2
    exit 1
fi
for a in $(echo "$step" | tr , ' '); do
    for s in $seeds; do
        awk -v l="$learner" -v a="$a" -v s="$s" 'BEGIN {
    split(a == 0.1 ? "1 1 1 5" : "3 3 1 1", v, " ")
    f = v[s] + (l == "columnar" ? 10 : 0)
    printf "{\"example\":\"fake\",\"learner\":\"%s\",\"seed\":%d,\"steps\":4000,", l, s
    printf "\"settings\":{\"step_size\":%s,\"seed\":%d,\"isi\":\"14:26\",\"window\":1000},", a, s
    printf "\"metric\":\"msre\",\"window\":1000,\"curve\":[9,8,%d,%d],\"final\":%d,\"us_per_step\":1.5}\n", f + 2, f, f
}'
    done
done
