#!/bin/sh
# make slurm-check: the Slurm array script of examples/sweep/sweep.sh on a real, private,
# single-node Slurm cluster. It starts munged and slurmctld + slurmd as root with their own key,
# socket, ports, configuration and state under the build folder (SLURM_CONF points the daemons and
# sbatch at it, so /etc is left alone), submits a small sweep of tests/sweep_fake.sh with sbatch,
# waits for the array, checks every result file and the aggregate table, submits it again (every
# task must skip its finished job), and stops the daemons it started.
# Needs root and Debian's slurm-wlm (slurmctld, slurmd, sbatch) and munge.
#   usage: tests/slurm_check.sh [build-dir]
set -u
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
d=$root/${1:-build}/slurm-check
for tool in munged slurmctld slurmd sbatch sinfo squeue; do
    command -v $tool >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v $tool >/dev/null 2>&1 || { echo "slurm-check: $tool is not installed (Debian: apt-get install slurm-wlm munge)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm-check: the daemons of this private cluster run as root: run it as root"; exit 1; }

pids=""
stop() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    done
    pids=""
}
fail() { echo "FAIL slurm-check: $*"; for f in slurmctld.log slurmd.log munged.log; do [ -s "$d/$f" ] && { echo "--- $f"; tail -n 15 "$d/$f"; }; done; stop; exit 1; }
trap 'stop; exit 130' INT TERM

rm -rf "$d"; mkdir -p "$d/state" "$d/spool" "$d/sweep"
chmod 755 "$d" # munged wants its socket reachable
host=$(hostname -s 2>/dev/null || hostname)
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
# the node's memory as slurmd sees it (without it Slurm takes 1 MB, and any --mem is refused)
mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')

# munge: its own key and socket
dd if=/dev/urandom of="$d/munge.key" bs=1024 count=1 2>/dev/null && chmod 600 "$d/munge.key"
munged --force -S "$d/munge.sock" --key-file="$d/munge.key" --pid-file="$d/munged.pid" \
    --log-file="$d/munged.log" --seed-file="$d/munged.seed" || fail "munged did not start"
pids="$pids $(cat "$d/munged.pid")"

# ports away from a real cluster's 6817/6818
cat >"$d/slurm.conf" <<EOF
ClusterName=sweepcheck
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=${mem:-1000} State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=10 State=UP
EOF
SLURM_CONF=$d/slurm.conf
export SLURM_CONF
slurmctld -D -i >"$d/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D >"$d/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
    i=$((i + 1)); [ $i -le 60 ] || fail "the node did not come up in 30 s (sinfo: $(sinfo -h 2>&1))"
    sleep 0.5
done
echo "ok   slurm-check: a single-node cluster is up ($(sinfo -h -o '%N %T %c CPUs' 2>&1))"

cp tests/sweep_fake.sh "$d/sweep/fake.sh"
cat >"$d/sweep/check.sweep" <<'EOF'
results = res
[fake]
command = sh fake.sh --json --learner {learner} --step-size {step_size} --seed {seed}
learner = ccn
step_size = 0.1 0.01
seed = 1..4
EOF
cd "$d/sweep" || fail "no $d/sweep"
sh "$root/examples/sweep/sweep.sh" slurm check.sweep --time 2 --mem 100M --max-running 4 >array.sh || fail "sweep.sh slurm"
FAKE_COUNTER=$d/sweep/ran
export FAKE_COUNTER
timeout 180 sbatch --wait -o "$d/sweep/slurm-%A_%a.out" array.sh >sbatch.out 2>&1 || fail "sbatch --wait: $(cat sbatch.out)"
n=$(ls res/fake 2>/dev/null | grep -c '\.json$')
[ "$n" -eq 8 ] || fail "8 result files expected, $n found ($(cat slurm-*.out 2>/dev/null | head -n 5))"
[ "$(wc -l <ran)" -eq 8 ] || fail "8 jobs expected to run, the counter says $(wc -l <ran)"
echo "ok   slurm-check: sbatch ran the array of 8 jobs ($(cat sbatch.out))"
gcc -std=c99 -O2 -o aggregate "$root/examples/sweep/aggregate.c" -lm || fail "aggregate.c does not build"
./aggregate --select step_size --select-seeds 1-2 --report-seeds 3-4 res >table.txt || fail "aggregate"
grep -qx 'ccn      0.01 0.1         0.1     2 ± 0         2      3 ± 2  4 ± 2' table.txt ||
    fail "the selection table is not the expected one: $(cat table.txt)"
echo "ok   slurm-check: the aggregate of the cluster's results"
timeout 180 sbatch --wait -o "$d/sweep/slurm-%A_%a.out" array.sh >sbatch2.out 2>&1 || fail "sbatch --wait (again): $(cat sbatch2.out)"
[ "$(wc -l <ran)" -eq 8 ] || fail "a second submission ran jobs again (the counter says $(wc -l <ran))"
echo "ok   slurm-check: a second submission skips the finished jobs"
stop
echo "slurm-check: passed (the daemons are stopped; their logs are in $d)"
