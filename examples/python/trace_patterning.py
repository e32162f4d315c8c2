"""trace_patterning.py - the C demo's ccn.h learners (examples/trace_patterning.c) from Python,
with the same results bit for bit: the environment of examples/trace_env.h, ported line for
line and drawing from ccn.h's own generator (ccn.Rng), and the nets stepped through
Net.run_td, one C call per block of 1024 steps.

    python3 trace_patterning.py                       # CCN 20:4, 2e6 steps, as make demo's ccn column
    python3 trace_patterning.py --learner columnar --steps 1e5 --window 1e4
    python3 trace_patterning.py --json                # the C demo's --json result line

With --json it prints the line `trace_patterning --learner ccn --json` prints (but for
us_per_step, the time); without it, the MSRE every tenth of the run and the final MSRE as the
C demo does for its columns. Flags: --steps, --window, --seed, --step-size, --isi LO:HI,
--learner ccn|columnar|constructive, --precision float|double, --native (-march=native).
"""

import array
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccn  # noqa: E402

INPUTS = 12
GAMMA = 0.9
BLOCK = 1024
LEARNERS = {"columnar": (7, 7), "ccn": (20, 4), "constructive": (10, 1)}


class TraceEnv:
    """examples/trace_env.h: 6 CS bits, 1 US bit, 5 distractors; 10 of the 20 three-bit CS
    patterns are followed by the US ISI steps later."""

    def __init__(self, seed, isi_lo=14, isi_hi=26):
        self.rng = ccn.Rng(seed)
        self.isi_lo, self.isi_hi = isi_lo, isi_hi
        self.pattern = []
        for a in range(6):
            for b in range(a + 1, 6):
                for c in range(b + 1, 6):
                    self.pattern.append([1.0 if i in (a, b, c) else 0.0 for i in range(6)])
        order = list(range(20))
        for i in range(19, 0, -1):  # a random half of the patterns is valid
            j = self.uniform_int(0, i)
            order[i], order[j] = order[j], order[i]
        self.valid = [False] * 20
        for i in range(20):
            self.valid[order[i]] = i < 10
        self.t = 0
        self.new_trial()

    def uniform_int(self, lo, hi):
        return lo + int(self.rng.uniform() * float(hi - lo + 1))

    def new_trial(self):
        self.cs = self.t
        self.trial_pattern = self.uniform_int(0, 19)
        isi = self.uniform_int(self.isi_lo, self.isi_hi)
        iti = self.uniform_int(80, 120)
        self.us = self.cs + isi if self.valid[self.trial_pattern] else -1
        self.next = self.cs + isi + iti

    def step(self, x):
        """Appends this step's 12 inputs to x; returns the cumulant (the US bit)."""
        if self.t == self.next:
            self.new_trial()
        if self.t == self.cs:
            x.extend(self.pattern[self.trial_pattern])
        else:
            x.extend((0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
        us = 1.0 if self.t == self.us else 0.0
        x.append(us)
        u = self.rng.uniform
        x.extend([1.0 if u() < 1.0 / (10.0 * (i + 1)) else 0.0 for i in range(5)])
        self.t += 1
        return us

    def true_return(self):
        """The return at the step just produced: gamma^(steps until the US - 1), else 0."""
        now = self.t - 1
        until = self.us - now
        if self.us < 0 or now < self.cs or until <= 0:
            return 0.0
        g = 1.0
        for _ in range(1, until):
            g *= GAMMA
        return g


def net_config(F, d, steps, alpha, seed):
    """The C demo's make_ccn's configuration (trace_env.h's trace_ccn_config, init_scale 0.1): F
    lstm columns in stages of d over steps, TD(0.99), RMSProp, normalisers."""
    stages = (F + d - 1) // d
    per_stage = int(steps / stages) if stages > 1 else 0
    return dict(n_inputs=INPUTS, n_columns=F, kind="lstm", columns_per_stage=d,
                steps_per_stage=1 if stages > 1 and per_stage == 0 else per_stage, learner="td",
                td_lambda=0.99, optimizer="rmsprop", step_size=alpha, scale_readout_step=1,
                input_norm_rate=0.99999, feature_norm_rate=0.99999, norm_var_floor=0.01, seed=seed,
                init_scale=0.1)


def make_net(F, d, steps, alpha, seed, precision, native):
    """The C demo's make_ccn: a Net of net_config."""
    return ccn.Net(precision=precision, native=native, **net_config(F, d, steps, alpha, seed))


def g9(v):
    return "%.9g" % v if v - v == 0 else "null"


def main(argv):
    o = dict(steps=2e6, window=1e5, seed=1, alpha=0.001, isi=(14, 26), learner="ccn", json=False,
             precision="float", native=None)
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("-h", "--help"):
            print(__doc__)
            return 0
        if a == "--json":
            o["json"] = True
        elif a == "--native":
            o["native"] = True
        elif a in ("--steps", "--window", "--seed", "--step-size", "--isi", "--learner", "--precision") and args:
            v = args.pop(0)
            if a == "--steps":
                o["steps"] = float(v)
            elif a == "--window":
                o["window"] = float(v)
            elif a == "--seed":
                o["seed"] = int(float(v))
            elif a == "--step-size":
                o["alpha"] = float(v)
            elif a == "--isi":
                lo, hi = v.split(":")
                o["isi"] = (int(lo), int(hi))
            elif a == "--learner":
                if v not in LEARNERS:
                    print("trace_patterning.py: --learner: '%s' is not one of %s" % (v, ", ".join(LEARNERS)),
                          file=sys.stderr)
                    return 2
                o["learner"] = v
            else:
                o["precision"] = v
        else:
            print("trace_patterning.py: unknown or incomplete flag %s (see --help)" % a, file=sys.stderr)
            return 2
    steps, window = o["steps"], o["window"]
    blocks = int(math.ceil(steps / window))
    F, d = LEARNERS[o["learner"]]
    net = make_net(F, d, steps, o["alpha"], o["seed"], o["precision"], o["native"])
    env = TraceEnv(o["seed"], *o["isi"])
    curve, zero_curve = [0.0] * blocks, [0.0] * blocks
    acc = zero_acc = seconds = 0.0
    code = "d" if o["precision"] == "double" else "f"
    out = array.array(code, bytes(BLOCK * (8 if code == "d" else 4)))
    rows_shown = 0
    if not o["json"]:
        print("trace patterning from Python: ISI %d..%d, %.0f steps, MSRE over blocks of %.0f steps, alpha %g"
              % (o["isi"][0], o["isi"][1], steps, window, o["alpha"]))
        print("%10s %8s %8s" % ("step", o["learner"], "zero"))
    t = 0.0
    while t < steps:
        n = int(steps - t) if steps - t < BLOCK else BLOCK
        xs, cs, gs = array.array(code), array.array(code), []
        for _ in range(n):  # the environment
            cs.append(env.step(xs))
            gs.append(env.true_return())
        t0 = time.process_time()
        ys = net.run_td(xs, cs, GAMMA, out=out if n == BLOCK else None)
        seconds += time.process_time() - t0
        b = t
        for i in range(n):  # the metric, as the C demo computes it
            y = ys[i]
            acc += (y - gs[i]) * (y - gs[i])
            zero_acc += (0.0 - gs[i]) * (0.0 - gs[i])
            if math.fmod(b + 1, window) == 0 or b + 1 == steps:
                start = math.floor(b / window) * window
                curve[int(b / window)] = acc / (b + 1 - start)
                zero_curve[int(b / window)] = zero_acc / (b + 1 - start)
                acc = zero_acc = 0.0
            b += 1
        t += n
        now = blocks if t >= steps else int(t / window)
        if not o["json"]:
            for k in range(rows_shown, now):
                if (k + 1) % (blocks // 10 if blocks // 10 > 0 else 1) == 0 or k + 1 == blocks:
                    x = (k + 1) * window if k + 1 < blocks else steps
                    print("%10.0f %8.5f %8.5f" % (x, curve[k], zero_curve[k]))
            rows_shown = now
    net.close()
    if o["json"]:
        print('{"example":"trace_patterning","learner":"%s","seed":%d,"steps":%.0f,"settings":{"precision":"%s",'
              '"step_size":%s,"isi":"%d:%d","window":%.0f},"metric":"msre","window":%.0f,"curve":[%s],"final":%s,'
              '"us_per_step":%s}' % (o["learner"], o["seed"], steps, o["precision"], g9(o["alpha"]), o["isi"][0],
                                     o["isi"][1], window, window, ",".join(g9(v) for v in curve), g9(curve[-1]),
                                     g9(seconds / steps * 1e6)))
    else:
        print("\nfinal MSRE (the last block of %.0f steps):" % window)
        print("  %-18s %.5f   %.3f us/step (the net's C calls)" % (o["learner"], curve[-1], seconds / steps * 1e6))
        print("  %-18s %.5f" % ("zero", zero_curve[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
