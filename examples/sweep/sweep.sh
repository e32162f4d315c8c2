#!/bin/sh
# sweep.sh - many independent runs (learners x step sizes x seeds) from one small description,
# on a laptop (xargs -P, or GNU parallel) or on a Slurm cluster (a job array), resumable.
# POSIX sh (tested with dash and bash) and POSIX awk; the format is in examples/README.md.
#
#   sweep.sh jobs   DESC [--results DIR]                     the job list, one command a line
#   sweep.sh run    DESC|JOBS [-j N] [--engine xargs|parallel]   run what is not done yet
#   sweep.sh slurm  DESC|JOBS [--time T] [--mem M] ... > array.sh    a Slurm job-array script
#   sweep.sh status DESC|JOBS [-v]                           done / failed / pending counts
#
# Every job writes its result lines to a file named after its settings, first under a temporary
# name that is moved into place only when the command succeeded: a result file's presence means
# the job finished, so a job whose file exists is skipped, and a sweep resumes where it stopped.
set -u
prog=sweep.sh

usage() {
    cat <<'EOF'
usage: sweep.sh COMMAND ARGS...
  jobs DESC [--results DIR]       print the job list of a sweep description, one shell command
                                  per line (run one with sh -c; each skips itself when done)
  run DESC|JOBS [-j N] [--engine xargs|parallel] [--results DIR]
                                  run the jobs whose result file is missing, N at a time
                                  (default: the number of cores); exit 1 if any failed
  slurm DESC|JOBS [--results DIR] [--time T] [--mem M] [--cpus C] [--max-running K]
        [--per-task M] [--partition P] [--account A] [--job-name NAME] [--sbatch 'OPT']
        [--pending]               print a Slurm job-array script (submit it with sbatch): task k
                                  runs line k of the job list (lines (k-1)*M+1..k*M with
                                  --per-task M); --pending lists only the jobs not yet done
  status DESC|JOBS [-v] [--results DIR]
                                  count the jobs done, failed, partial and pending (-v: name
                                  the failed ones and show their errors)
  --help                          this text

A description (DESC) is a text file of blocks; '#' starts a comment:
  results = results/my_sweep          where result files go (optional; default: results/<DESC's
                                      name without .sweep>; --results overrides)
  [ccn]                               a block, named (the name is the results' subfolder)
  command = build/trace_patterning --json --learner {learner} --step-size {step_size} --seed {seed}
  learner = columnar ccn              every name = value... line is a setting; the block's jobs
  step_size = 0.01 0.001              are the cross product of its settings, each {name} in the
  seed = 1..10                        command replaced by the value (a..b: the whole numbers)
or, to give each job a list (a program that runs a list in one process: trace_patterning
steps its nets of one shape together as a batch):
  step_size = [0.01 0.001]            [...] is ONE value, its words joined by commas as written
  seed = [1..10]                      ({step_size} -> 0.01,0.001, {seed} -> 1..10); [1..5] [6..10]
                                      is two values: two jobs of five seeds each
A job's result file: <results>/<block>/<name>=<value>,....json (values with characters other
than letters, digits, '.', '_' and '-' %-escaped: step_size=0.01%2C0.001); its command's stdout
goes there (all its lines: a list's job writes one line per run), its stderr to <file>.err,
which stays only if the job failed.
JOBS is a job list written by 'sweep.sh jobs'.
EOF
}

die() { echo "$prog: $*" >&2; exit 2; }

# The job list of a description, on stdout: one line per job of every block, in the order of the
# description, the first setting varying slowest.
gen_jobs() { # DESC RESULTS-OVERRIDE
    [ -r "$1" ] || die "$1: cannot read the description"
    base=$(basename "$1"); base=${base%.sweep}
    LC_ALL=C awk -v desc="$1" -v override="$2" -v base="$base" '
function fail(msg) { printf "%s: %s:%d: %s\n", "sweep.sh", desc, NR, msg > "/dev/stderr"; bad = 1; exit 2 }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function shq(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
function arg(s) { return s ~ /^[A-Za-z0-9._:,\/+=@%^-]+$/ ? s : shq(s) }
function esc(s,   out, i, c) {
    out = ""
    for (i = 1; i <= length(s); ++i) {
        c = substr(s, i, 1)
        out = out (c ~ /[A-Za-z0-9._-]/ ? c : sprintf("%%%02X", ord[c]))
    }
    return out
}
function flush(   i, k, idx, cmd, name, line, rest, key, f) {
    if (block == "") return
    if (command == "") fail("block [" block "] has no command")
    if (nkeys == 0) fail("block [" block "] has no settings")
    # every {name} in the command must be a setting, and every setting must be in the command:
    # otherwise jobs would differ in their file names but not in what they run, or the reverse
    rest = command
    while (match(rest, /\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
        key = substr(rest, RSTART + 1, RLENGTH - 2)
        if (!(key in isset)) fail("block [" block "]: the command uses {" key "}, which is not a setting")
        used[key] = 1
        rest = substr(rest, RSTART + RLENGTH)
    }
    for (k = 1; k <= nkeys; ++k)
        if (!(keys[k] in used)) fail("block [" block "]: the setting " keys[k] " is not used in the command")
    for (k = 1; k <= nkeys; ++k) idx[k] = 1
    for (;;) {
        cmd = command; name = ""
        for (k = 1; k <= nkeys; ++k) {
            rest = cmd; cmd = ""
            while ((i = index(rest, "{" keys[k] "}")) > 0) {
                cmd = cmd substr(rest, 1, i - 1) arg(vals[k, idx[k]])
                rest = substr(rest, i + length(keys[k]) + 2)
            }
            cmd = cmd rest
            name = name (k > 1 ? "," : "") keys[k] "=" esc(vals[k, idx[k]])
        }
        f = results "/" block "/" name ".json"
        if (f in seen) fail("block [" block "]: two jobs write " f)
        seen[f] = 1
        print "f=" shq(f) "; t=\"$f.part$$\"; test -e \"$f\" || { mkdir -p \"${f%/*}\" && ( " cmd " ) >\"$t\" 2>\"$t.err\" && mv -f \"$t\" \"$f\" && rm -f \"$t.err\" \"$f.err\" || { rm -f \"$t\"; mv -f \"$t.err\" \"$f.err\" 2>/dev/null; false; }; }"
        ++njobs
        for (k = nkeys; k >= 1 && ++idx[k] > nvals[k]; --k) idx[k] = 1
        if (k < 1) break
    }
    for (k in used) delete used[k]
    for (k in isset) delete isset[k]
    block = ""; command = ""; nkeys = 0
}
BEGIN {
    for (i = 1; i < 256; ++i) ord[sprintf("%c", i)] = i
    results = override != "" ? override : "results/" base
    sub(/\/+$/, "", results); if (results == "") results = "."
}
{ sub(/\r$/, ""); sub(/(^|[ \t])#.*/, ""); line = trim($0) }
line == "" { next }
line ~ /^\[.*\]$/ {
    flush()
    block = trim(substr(line, 2, length(line) - 2))
    if (block !~ /^[A-Za-z0-9._-]+$/ || block ~ /^\.\.?$/) fail("a block name is letters, digits, ., _ and -: [" block "]")
    if (block in blocks) fail("block [" block "] is named twice")
    blocks[block] = 1; blockline = NR
    next
}
{
    eq = index(line, "=")
    if (eq == 0) fail("expected [block], name = values, or a comment: " line)
    key = trim(substr(line, 1, eq - 1)); value = trim(substr(line, eq + 1))
    if (key !~ /^[A-Za-z_][A-Za-z0-9_]*$/) fail("a setting name is a letter or _, then letters, digits or _: " key)
    if (key == "results") {
        if (block != "") fail("results = ... goes before the first block")
        if (value == "") fail("results = needs a folder")
        if (override == "") { results = value; sub(/\/+$/, "", results); if (results == "") results = "." }
        next
    }
    if (block == "") fail("a [block] line must come before " key " = ...")
    if (key == "command") {
        if (command != "") fail("block [" block "] has two commands")
        if (value == "") fail("block [" block "]: an empty command")
        command = value
        next
    }
    if (key in isset) fail("block [" block "]: " key " is set twice")
    if (value == "") fail("block [" block "]: " key " has no values")
    nk = ++nkeys; keys[nk] = key; isset[key] = 1; nvals[nk] = 0
    rest = value
    while (rest != "") {
        if (substr(rest, 1, 1) == "[") { # [a b ...]: one value, the words joined by commas as written
            cb = index(rest, "]")
            if (cb == 0) fail("block [" block "]: " key ": a [ without its ]")
            inner = trim(substr(rest, 2, cb - 2))
            if (inner == "") fail("block [" block "]: " key ": an empty [ ]")
            if (index(inner, "[")) fail("block [" block "]: " key ": a [ inside [ ]")
            if (substr(rest, cb + 1, 1) !~ /^[ \t]?$/) fail("block [" block "]: " key ": a value right after ]: " rest)
            n = split(inner, w, /[ \t]+/); word = w[1]
            for (i = 2; i <= n; ++i) word = word "," w[i]
            vals[nk, ++nvals[nk]] = word
            rest = trim(substr(rest, cb + 1))
            continue
        }
        match(rest, /^[^ \t]+/); word = substr(rest, 1, RLENGTH); rest = trim(substr(rest, RLENGTH + 1))
        if (word ~ /[][]/) fail("block [" block "]: " key ": a [ or ] inside a value: " word)
        if (word ~ /^-?[0-9]+\.\.-?[0-9]+$/) { # a range of whole numbers
            split(word, ab, /\.\./)
            if (ab[2] - ab[1] > 1000000 || ab[2] < ab[1]) fail(key ": the range " word " is empty or too long")
            for (v = ab[1] + 0; v <= ab[2] + 0; ++v) vals[nk, ++nvals[nk]] = v
        } else vals[nk, ++nvals[nk]] = word
    }
}
END {
    if (bad) exit 2
    flush()
    if (bad) exit 2
    if (njobs == 0) { printf "%s: %s: no jobs (no [block] with a command and settings)\n", "sweep.sh", desc > "/dev/stderr"; exit 2 }
}' "$1"
}

# The job list of DESC or JOBS (a file written by 'sweep.sh jobs') into the file $2.
load_jobs() { # DESC|JOBS OUT RESULTS-OVERRIDE
    [ -r "$1" ] || die "$1: cannot read it"
    if is_joblist "$1"; then
        [ -z "$3" ] || die "--results applies to a description, not to a job list ($1)"
        grep -v '^[[:space:]]*$' "$1" >"$2"
    else
        gen_jobs "$1" "$3" >"$2" || exit 2
    fi
}

# A job list is lines that each start with f='...'; anything else is taken for a description.
is_joblist() { ! grep -v '^[[:space:]]*$' "$1" | grep -qv "^f='"; }

# The result file of each job line (the f='...' at its start, its quotes written '\''), one a line.
result_files() {
    LC_ALL=C awk '{
        s = substr($0, 4); f = ""
        while ((i = index(s, "\047")) > 0) {
            f = f substr(s, 1, i - 1)
            if (substr(s, i, 4) != "\047\\\047\047") break
            f = f "\047"; s = substr(s, i + 4)
        }
        print f
    }' "$1"
}

cores() { getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1; }

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
mktemp_dir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/sweep.XXXXXX") || die "cannot make a temporary folder"
    trap cleanup EXIT
    trap 'cleanup; exit 130' INT
    trap 'cleanup; exit 143' TERM
}

# Splits the job list $1 into $tmp/done, $tmp/failed, $tmp/partial and $tmp/pending (job lines),
# by the files each job leaves: the result, <result>.err (failed), <result>.part<pid> (running,
# or interrupted).
classify() {
    : >"$tmp/done"; : >"$tmp/failed"; : >"$tmp/partial"; : >"$tmp/pending"
    result_files "$1" >"$tmp/files"
    # one listing per results folder, not one test per job: a sweep has thousands
    sed 's|/[^/]*$||' "$tmp/files" | sort -u | while IFS= read -r dir; do
        [ -d "$dir" ] && ls -1 "$dir" | sed "s|^|$(printf '%s' "$dir" | sed 's/[|&\\]/\\&/g')/|"
    done >"$tmp/present"
    paste "$tmp/files" "$1" | LC_ALL=C awk -v dir="$tmp" '
        FILENAME == ARGV[1] {
            present[$0] = 1
            if (match($0, /\.part[0-9]+$/)) partial[substr($0, 1, RSTART - 1)] = 1
            next
        }
        {
            tab = index($0, "\t"); f = substr($0, 1, tab - 1); job = substr($0, tab + 1)
            if (f in present) { print job > (dir "/done"); next }
            if ((f ".err") in present) print job > (dir "/failed")
            else if (f in partial) print job > (dir "/partial")
            print job > (dir "/pending")
        }' "$tmp/present" -
}

lines() { wc -l <"$1" | tr -d ' '; }

cmd_jobs() {
    desc="" results=""
    while [ $# -gt 0 ]; do
        case $1 in
            --results) [ $# -ge 2 ] || die "--results needs a folder"; results=$2; shift ;;
            --results=*) results=${1#*=} ;;
            -h|--help) usage; exit 0 ;;
            -*) die "jobs: unknown option '$1' (see --help)" ;;
            *) [ -z "$desc" ] || die "jobs: one description at a time"; desc=$1 ;;
        esac
        shift
    done
    [ -n "$desc" ] || die "jobs: which description? (see --help)"
    gen_jobs "$desc" "$results"
}

cmd_status() {
    src="" results="" verbose=0
    while [ $# -gt 0 ]; do
        case $1 in
            -v|--verbose) verbose=1 ;;
            --results) [ $# -ge 2 ] || die "--results needs a folder"; results=$2; shift ;;
            --results=*) results=${1#*=} ;;
            -h|--help) usage; exit 0 ;;
            -*) die "status: unknown option '$1' (see --help)" ;;
            *) [ -z "$src" ] || die "status: one description or job list at a time"; src=$1 ;;
        esac
        shift
    done
    [ -n "$src" ] || die "status: which description or job list? (see --help)"
    mktemp_dir
    load_jobs "$src" "$tmp/jobs" "$results"
    classify "$tmp/jobs"
    n=$(lines "$tmp/jobs"); d=$(lines "$tmp/done"); f=$(lines "$tmp/failed")
    p=$(lines "$tmp/partial"); q=$(lines "$tmp/pending")
    echo "$n jobs: $d done, $q pending ($f failed, $p partial: running or interrupted)"
    if [ $verbose = 1 ] && [ "$f" -gt 0 ]; then
        result_files "$tmp/failed" | while IFS= read -r r; do
            echo "failed: $r"; tail -n 3 "$r.err" | sed 's/^/    /'
        done
    fi
}

cmd_run() {
    src="" results="" j="" engine=xargs
    while [ $# -gt 0 ]; do
        case $1 in
            -j|--jobs) [ $# -ge 2 ] || die "-j needs a number"; j=$2; shift ;;
            -j*) j=${1#-j} ;;
            --jobs=*) j=${1#*=} ;;
            --engine) [ $# -ge 2 ] || die "--engine needs xargs or parallel"; engine=$2; shift ;;
            --engine=*) engine=${1#*=} ;;
            --results) [ $# -ge 2 ] || die "--results needs a folder"; results=$2; shift ;;
            --results=*) results=${1#*=} ;;
            -h|--help) usage; exit 0 ;;
            -*) die "run: unknown option '$1' (see --help)" ;;
            *) [ -z "$src" ] || die "run: one description or job list at a time"; src=$1 ;;
        esac
        shift
    done
    [ -n "$src" ] || die "run: which description or job list? (see --help)"
    [ -n "$j" ] || j=$(cores)
    case $j in ''|*[!0-9]*|0) die "-j: '$j' is not a whole number >= 1" ;; esac
    case $engine in
        xargs) ;;
        parallel) parallel --version 2>/dev/null | grep -q 'GNU parallel' ||
                      die "--engine parallel needs GNU parallel (Debian: apt-get install parallel)" ;;
        *) die "--engine: '$engine' is neither xargs nor parallel" ;;
    esac
    mktemp_dir
    load_jobs "$src" "$tmp/jobs" "$results"
    classify "$tmp/jobs"
    n=$(lines "$tmp/jobs"); q=$(lines "$tmp/pending")
    echo "$n jobs: $((n - q)) done, running $q, $j at a time"
    [ "$q" -gt 0 ] || exit 0
    # Each worker takes a line number (no quoting for xargs to get wrong) and runs that line;
    # a job's own output goes to its files, so only these one-line reports reach the terminal.
    worker='job=$(sed -n "$1"p "$0"); f=$(printf "%s\n" "$job" | sed -e "s/^f='"'"'//" -e "s/'"'"'; .*//")
if sh -c "$job" </dev/null; then echo "done   $f"; else echo "FAILED $f (see $f.err)"; exit 1; fi'
    if [ "$engine" = parallel ]; then
        awk -v n="$q" 'BEGIN { for (i = 1; i <= n; ++i) print i }' |
            parallel --will-cite -q -j "$j" sh -c "$worker" "$tmp/pending" {}
    else
        awk -v n="$q" 'BEGIN { for (i = 1; i <= n; ++i) print i }' |
            xargs -n 1 -P "$j" sh -c "$worker" "$tmp/pending"
    fi
    status=$?
    classify "$tmp/jobs"
    d=$(lines "$tmp/done"); f=$(lines "$tmp/failed")
    echo "$n jobs: $d done, $((n - d)) not done ($f failed)"
    [ $status -eq 0 ] && [ "$d" -eq "$n" ]
}

cmd_slurm() {
    src="" results="" time="" mem="" cpus=1 maxrun="" per=1 partition="" account="" name="" extra="" pending=0
    while [ $# -gt 0 ]; do
        case $1 in
            --time|--mem|--cpus|--max-running|--per-task|--partition|--account|--job-name|--sbatch|--results)
                [ $# -ge 2 ] || die "$1 needs a value"
                case $1 in
                    --time) time=$2 ;; --mem) mem=$2 ;; --cpus) cpus=$2 ;; --max-running) maxrun=$2 ;;
                    --per-task) per=$2 ;; --partition) partition=$2 ;; --account) account=$2 ;;
                    --job-name) name=$2 ;; --results) results=$2 ;;
                    --sbatch) extra="$extra
#SBATCH $2" ;;
                esac
                shift ;;
            --pending) pending=1 ;;
            -h|--help) usage; exit 0 ;;
            -*) die "slurm: unknown option '$1' (see --help)" ;;
            *) [ -z "$src" ] || die "slurm: one description or job list at a time"; src=$1 ;;
        esac
        shift
    done
    [ -n "$src" ] || die "slurm: which description or job list? (see --help)"
    case $cpus in ''|*[!0-9]*|0) die "--cpus: '$cpus' is not a whole number >= 1" ;; esac
    case $per in ''|*[!0-9]*|0) die "--per-task: '$per' is not a whole number >= 1" ;; esac
    case $maxrun in *[!0-9]*) die "--max-running: '$maxrun' is not a whole number" ;; esac
    mktemp_dir
    load_jobs "$src" "$tmp/jobs" "$results"
    list=$tmp/jobs
    if [ $pending = 1 ]; then classify "$tmp/jobs"; list=$tmp/pending; fi
    n=$(lines "$list")
    [ "$n" -gt 0 ] || die "slurm: no jobs to run (all done?)"
    tasks=$(( (n + per - 1) / per ))
    [ -n "$name" ] || { name=$(basename "$src"); name=${name%.*}; }
    [ "$tasks" -le 1000 ] || echo "$prog: $tasks array tasks: more than Slurm's default MaxArraySize allows (1001); --per-task M runs M jobs per task" >&2
    dir=$(pwd)
    case $dir in *"'"*) die "the current folder's name has a quote in it" ;; esac
    echo "#!/bin/sh"
    echo "#SBATCH --job-name=$name"
    echo "#SBATCH --array=1-$tasks${maxrun:+%$maxrun}"
    echo "#SBATCH --ntasks=1"
    echo "#SBATCH --cpus-per-task=$cpus"
    [ -z "$time" ] || echo "#SBATCH --time=$time"
    [ -z "$mem" ] || echo "#SBATCH --mem=$mem"
    [ -z "$partition" ] || echo "#SBATCH --partition=$partition"
    [ -z "$account" ] || echo "#SBATCH --account=$account"
    [ -z "$extra" ] || printf '%s\n' "$extra" | sed '1d'
    cat <<EOF
# Written by sweep.sh from $src: $n jobs, $per per array task. Submit with: sbatch THIS-FILE
# Array task k runs lines (k-1)*$per+1 .. k*$per of the job list below, from the folder this was
# written in; a job whose result file exists is skipped (so resubmitting resumes a sweep).
# Try a task by hand: SLURM_ARRAY_TASK_ID=1 sh THIS-FILE
cd '$dir' || exit 1
task=\${SLURM_ARRAY_TASK_ID:?this is a Slurm array script: submit it with sbatch, or set SLURM_ARRAY_TASK_ID}
first=\$(( (task - 1) * $per + 1 )); last=\$(( task * $per ))
jobs=\$(sed -n "\${first},\${last}p" <<'SWEEP_JOBS'
EOF
    cat "$list"
    cat <<'EOF'
SWEEP_JOBS
)
[ -n "$jobs" ] || { echo "sweep: array task $task has no job (the list is shorter)" >&2; exit 1; }
printf '%s\n' "$jobs" | {
    status=0
    while IFS= read -r job; do
        sh -c "$job" </dev/null || { status=1; echo "sweep: FAILED: $job" >&2; }
    done
    exit $status
}
EOF
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
sub=$1; shift
case $sub in
    jobs) cmd_jobs "$@" ;;
    run) cmd_run "$@" ;;
    slurm) cmd_slurm "$@" ;;
    status) cmd_status "$@" ;;
    -h|--help|help) usage ;;
    *) die "unknown command '$sub' (jobs, run, slurm, status; see --help)" ;;
esac
