"""The Python binding's speed (make bench-python): the sequence calls over chunks of 1000 steps
against the C per-step loop on the same data, the same nets and the same compiled ccn.h
(bench/python_baseline.c, built with the flags of ccn.py's library), and the cost of one
per-step call from Python.

    usage: python3 bench/python_bench.py [--steps N] [--repeats R] [--native] [--cases a,b]

Cases: the trace-patterning nets (examples/trace_patterning.c: columnar 7:7, ccn 20:4,
constructive 10:1; lstm, TD through ccn_td_steps, the environment of trace_env.h as
examples/python/trace_patterning.py generates it) and 100 columns x 128 inputs (tanh SGD through
ccn_learn_steps, lstm TD through ccn_td_steps). Each figure is the fastest of R repeats, each on
a fresh net, the C and Python repeats taken in turn. Columns: C per-step loop; Python sequence calls (list-free: array.array chunks, or
NumPy where installed); their ratio; the binding's fixed cost of one sequence call (a call of
0 steps) and its share of a chunk's C time (the part of the ratio that is the binding's: the
rest is the machine's noise, as the C and Python runs execute the same compiled loop); one
Python call per step (td_step/learn_step on a list), and its overhead per call over the C
step.

Case tp-batch16 (a table of its own): 16 trace-patterning nets (columnar 7:7, seeds 1..16, step
sizes 1e-4 (1 + i % 4), net i on the environment of seed 1 + i: bench.c's S3 nets), --steps / 4
rounds of one step of every net, in microseconds per learner-step (a round's time / 16): C, 16
ccn_td_step calls and one ccn_batch_td_step (bench/python_baseline.c); Python, 16 Net.td_step
calls on lists, one Batch.td_step on lists (16 rows, 16 cumulants, one gamma), and one
Batch.td_step on arrays with out= (NumPy where installed, else an array.array a round)."""

import array
import hashlib
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
import ccn  # noqa: E402
from trace_patterning import TraceEnv, make_net, net_config  # noqa: E402

CASES = ("tp-columnar", "tp-ccn", "tp-constructive", "tanh-sgd-100x128", "lstm-td-100x128", "tp-batch16")
TP = {"tp-columnar": (7, 7), "tp-ccn": (20, 4), "tp-constructive": (10, 1)}
CHUNK = 1000


def baseline(case, steps, repeats, native):
    """The C per-step loop's microseconds per step."""
    return float(baseline_words(case, steps, repeats, native)[0])


def baseline_words(case, steps, repeats, native):
    """What bench/python_baseline.c prints, as words."""
    lib = ccn.load_library("float", native)
    src = os.path.join(ROOT, "bench", "python_baseline.c")
    with open(src, "rb") as f:  # (the library's name follows ccn.h; this, the baseline's source too)
        tag = hashlib.sha256(f.read()).hexdigest()[:8]
    exe = os.path.join(os.path.dirname(lib.path), "python_baseline-%s-%s" % (tag, os.path.basename(lib.path)[:-3]))
    if not os.path.exists(exe):
        flags = [f for f in ccn.build_flags("float", native) if f != "-shared"]
        subprocess.run(ccn._compiler() + flags + ["-o", exe, src, "-lm"],
                       check=True)
    out = subprocess.run([exe, case, str(steps), str(repeats)], stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    return out.split()


def data(case, steps):
    """The baseline's inputs: (x flat, targets, cumulants, m)."""
    if case in TP:
        env = TraceEnv(1)
        x, cum = array.array("f"), array.array("f")
        for _ in range(steps):
            cum.append(env.step(x))
        return x, None, cum, 12
    rng = ccn.Rng(1)
    x = array.array("f", [2.0 * rng.uniform() - 1.0 for _ in range(steps * 128)])
    target = array.array("f", [2.0 * rng.uniform() - 1.0 for _ in range(steps)])
    cum = array.array("f", [1.0 if v > 0 else 0.0 for v in target])
    return x, target, cum, 128


def new_net(case, steps, native):
    if case in TP:
        F, d = TP[case]
        return make_net(F, d, steps, 0.001, 1, "float", native), True
    if case == "tanh-sgd-100x128":
        return ccn.Net(n_inputs=128, n_columns=100, step_size=0.001, seed=1, native=native), False
    return ccn.Net(n_inputs=128, n_columns=100, kind="lstm", learner="td", td_lambda=0.9, step_size=0.001, seed=1,
                   native=native), True


def python_sequence(case, steps, repeats, native, d):
    x, target, cum, m = d
    np = ccn._np
    best = float("inf")
    if np is not None:
        x, cum = np.frombuffer(x, dtype=np.float32).reshape(-1, m), np.frombuffer(cum, dtype=np.float32)
        target = None if target is None else np.frombuffer(target, dtype=np.float32).reshape(-1, 1)
        out = np.empty(CHUNK, dtype=np.float32)
        out2 = out.reshape(-1, 1)
    else:
        x, cum = memoryview(x), memoryview(cum)
        target = None if target is None else memoryview(target)
        out = array.array("f", bytes(4 * CHUNK))
        out2 = out
    for _ in range(repeats):
        net, td = new_net(case, steps, native)
        t0 = time.perf_counter()
        for s in range(0, steps, CHUNK):
            e = min(s + CHUNK, steps)
            if np is not None:
                xs = x[s:e]
            else:
                xs = x[s * m:e * m]
            if td:
                net.run_td(xs, cum[s:e], 0.9, out=out if e - s == CHUNK else None)
            else:
                net.run(xs, target[s:e], out=out2 if e - s == CHUNK else None)
        best = min(best, time.perf_counter() - t0)
        net.close()
    return best / steps * 1e6


def call_cost(case, native, d):
    """The binding's fixed cost of one sequence call (microseconds): a call of 0 steps, the
    fastest of 300, in the form the sequence timing uses."""
    x, target, cum, m = d
    np = ccn._np
    net, td = new_net(case, 1000, native)
    if np is not None:
        xs, cs, ts = np.zeros((0, m), dtype=np.float32), np.zeros(0, dtype=np.float32), np.zeros((0, 1), np.float32)
    else:
        xs, cs, ts = memoryview(x)[:0], memoryview(cum)[:0], memoryview(cum)[:0]
    best = float("inf")
    for _ in range(300):
        t0 = time.perf_counter()
        if td:
            net.run_td(xs, cs, 0.9)
        else:
            net.run(xs, ts)
        best = min(best, time.perf_counter() - t0)
    net.close()
    return best * 1e6


def python_per_step(case, steps, repeats, native, d):
    x, target, cum, m = d
    rows = [list(x[t * m:(t + 1) * m]) for t in range(steps)]
    cums = list(cum)
    best = float("inf")
    for _ in range(repeats):
        net, td = new_net(case, steps, native)
        t0 = time.perf_counter()
        if td:
            step = net.td_step
            for t in range(steps):
                step(rows[t], cums[t], 0.9)
        else:
            step = net.learn_step
            for t in range(steps):
                step(rows[t], (target[t],))
        best = min(best, time.perf_counter() - t0)
        net.close()
    return best / steps * 1e6


B16 = 16


def batch16_data(rounds):
    """Net i's rounds of inputs and cumulants, round-major: (x flat, cumulants flat)."""
    envs = [TraceEnv(1 + i) for i in range(B16)]
    x, cum = array.array("f"), array.array("f")
    for _ in range(rounds):
        for e in envs:
            cum.append(e.step(x))
    return x, cum


def batch16_configs(rounds):
    return [net_config(7, 7, rounds, 1e-4 * (1 + i % 4), 1 + i) for i in range(B16)]


def batch16_alone(rounds, native, d):
    """16 Net.td_step calls a round: microseconds per learner-step."""
    x, cum = d
    rows = [list(x[k * 12:(k + 1) * 12]) for k in range(rounds * B16)]
    cums = list(cum)
    nets = [ccn.Net(native=native, **c) for c in batch16_configs(rounds)]
    steps = [n.td_step for n in nets]
    t0 = time.perf_counter()
    k = 0
    for _ in range(rounds):
        for step in steps:
            step(rows[k], cums[k], 0.9)
            k += 1
    t = time.perf_counter() - t0
    for n in nets:
        n.close()
    return t / rounds / B16 * 1e6


def batch16_lists(rounds, native, d):
    """One Batch.td_step a round on a list of 16 lists: microseconds per learner-step."""
    x, cum = d
    rows = [[list(x[(t * B16 + i) * 12:(t * B16 + i + 1) * 12]) for i in range(B16)] for t in range(rounds)]
    cums = [list(cum[t * B16:(t + 1) * B16]) for t in range(rounds)]
    with ccn.Batch(batch16_configs(rounds), native=native) as b:
        step = b.td_step
        t0 = time.perf_counter()
        for t in range(rounds):
            step(rows[t], cums[t], 0.9)
        t = time.perf_counter() - t0
    return t / rounds / B16 * 1e6


def batch16_arrays(rounds, native, d):
    """One Batch.td_step a round on arrays, out= given: microseconds per learner-step."""
    x, cum = d
    np = ccn._np
    if np is not None:
        xs = np.frombuffer(x, dtype=np.float32).reshape(rounds, B16, 12)
        cs = np.frombuffer(cum, dtype=np.float32).reshape(rounds, B16)
        out = np.empty(B16, dtype=np.float32)
    else:
        xs = [x[t * B16 * 12:(t + 1) * B16 * 12] for t in range(rounds)]  # (array.array slices: copies)
        cs = [cum[t * B16:(t + 1) * B16] for t in range(rounds)]
        out = array.array("f", bytes(4 * B16))
    with ccn.Batch(batch16_configs(rounds), native=native) as b:
        step = b.td_step
        t0 = time.perf_counter()
        for t in range(rounds):
            step(xs[t], cs[t], 0.9, out=out)
        t = time.perf_counter() - t0
    return t / rounds / B16 * 1e6


def batch16(steps, repeats, native):
    rounds = max(steps // 4, 100)
    d = batch16_data(rounds)
    c_alone = c_batch = alone = lists = arrays = float("inf")
    for r in range(repeats):  # interleaved, as the cases above
        a, b = (float(v) for v in baseline_words("tp-batch16", rounds, 1, native))
        c_alone, c_batch = min(c_alone, a), min(c_batch, b)
        alone = min(alone, batch16_alone(rounds, native, d))
        lists = min(lists, batch16_lists(rounds, native, d))
        arrays = min(arrays, batch16_arrays(rounds, native, d))
    print()
    print("16 trace-patterning nets (columnar 7:7), %d rounds, fastest of %d: us per learner-step (a round / 16)"
          % (rounds, repeats))
    print("%14s %14s %16s %16s %18s" % ("C td_step x16", "C batch", "Py td_step x16", "Py Batch lists",
                                        "Py Batch " + ("numpy" if ccn._np is not None else "buffer")))
    print("%14.3f %14.3f %16.3f %16.3f %18.3f" % (c_alone, c_batch, alone, lists, arrays))
    print("Python over C, per learner-step: %.3f us (16 calls), %.3f us (Batch, lists), %.3f us (Batch, arrays)"
          % (alone - c_alone, lists - c_batch, arrays - c_batch))


def main(argv):
    steps, repeats, native, cases = 20000, 15, None, list(CASES)
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--steps":
            steps = int(float(args.pop(0)))
        elif a == "--repeats":
            repeats = int(args.pop(0))
        elif a == "--native":
            native = True
        elif a == "--cases":
            cases = args.pop(0).split(",")
        else:
            print(__doc__)
            return 2
    lib = ccn.load_library("float", native)
    print("Python %s, NumPy %s; ccn.h built with: %s" % (sys.version.split()[0],
          "in use" if ccn.numpy_enabled() else "not in use", " ".join(ccn.build_flags("float", native))))
    print("%d steps, fastest of %d; chunks of %d steps" % (steps, repeats, CHUNK))
    print("%-18s %10s %12s %7s %10s %8s %12s %12s" % ("case", "C us/step", "Py seq", "ratio", "call us", "share",
                                                       "Py per-step", "overhead"))
    for case in cases:
        if case == "tp-batch16":
            continue
        n = steps if case in TP else max(steps // 5, CHUNK)
        d = data(case, n)
        c = seq = per = float("inf")
        for r in range(repeats):  # interleaved, so that a busy moment of the machine hits both sides
            c = min(c, baseline(case, n, 1, native))
            seq = min(seq, python_sequence(case, n, 1, native, d))
            if r % 2 == 0:
                per = min(per, python_per_step(case, n, 1, native, d))
        call = call_cost(case, native, d)
        print("%-18s %10.3f %12.3f %7.3f %10.2f %7.2f%% %12.3f %12.3f" % (case, c, seq, seq / c, call,
                                                                        100.0 * call / CHUNK / c, per, per - c))
        sys.stdout.flush()
    if "tp-batch16" in cases:
        batch16(steps, repeats, native)
    del lib
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
