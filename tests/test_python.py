"""Tests of the Python binding, examples/python/ccn.py (run by tests/run.sh, one leg per python3):
its results are the C library's bit for bit (tests/python_driver.c, the per-step calls in C),
the sequence calls are the per-step calls, in every form they take (lists, flat buffers, NumPy
arrays), each net of a Batch is the net its own per-net calls make (its members Nets of their
own, set, refusals), the layout check catches a Config that does not match ccn_config,
errors become CCNError, the library is rebuilt when ccn.h changes, and trace_patterning.py
prints the C demo's result line. The NumPy tests are skipped, and say so, where NumPy is not installed.

    usage: python3 tests/test_python.py [build-dir]   (CCN_PY_CACHE: where the library goes)
Prints "ok   <python>: <test>" per test, SKIP/FAIL lines, and last "N passed, N failed"."""

import array
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "python"))
os.makedirs(OUT, exist_ok=True)
os.environ.setdefault("CCN_PY_CACHE", os.path.join(OUT, "cache"))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
import ccn  # noqa: E402

NUMPY = ccn._np
PRECISIONS = ("float", "double")


def inputs(code, T=200):
    """The driver's inputs: x (T x 3) then targets (T x 2), 2u - 1 rounded to the real."""
    rng = ccn.Rng(7)
    x = array.array(code, [2.0 * rng.uniform() - 1.0 for _ in range(3 * T)])
    target = array.array(code, [2.0 * rng.uniform() - 1.0 for _ in range(2 * T)])
    return [list(x[3 * t:3 * t + 3]) for t in range(T)], [list(target[2 * t:2 * t + 2]) for t in range(T)]


CONFIGS = {  # as tests/python_driver.c
    "sup": dict(n_inputs=3, n_outputs=2, n_columns=9, kind="lstm", columns_per_stage=3, steps_per_stage=60,
                optimizer="adam", step_size=0.01, input_norm_rate=0.99, feature_norm_rate=0.99, seed=3),
    "td": dict(n_inputs=3, n_columns=6, kind="gated", links=1.0, learner="td", td_lambda=0.9, optimizer="rmsprop",
               step_size=0.01, scale_readout_step=1, seed=4),
    "fwd": dict(n_inputs=3, n_outputs=2, n_columns=5, method="forward", feature_layers=1, seed=5),
    "gru": dict(n_inputs=3, n_outputs=2, n_columns=6, kind="gru", columns_per_stage=2, steps_per_stage=70,
                step_size=0.05, seed=6),
    "grutd": dict(n_inputs=3, n_columns=4, kind="gru", links=1.0, learner="td", td_lambda=0.8, optimizer="adam",
                  step_size=0.01, seed=7),
}
CUMULANTS = [float(t % 7 == 3) for t in range(200)]
GAMMAS = [0.0 if t % 50 == 49 else 0.9 for t in range(200)]


def run_driver():
    """Builds and runs tests/python_driver.c (float and double) once; returns its folder."""
    d = os.path.join(OUT, "driver")
    if getattr(run_driver, "done", False):
        return d
    os.makedirs(d, exist_ok=True)
    cc = ccn._compiler()
    for precision in PRECISIONS:
        exe = os.path.join(d, "driver-" + precision)
        flags = ["-DCCN_DOUBLE"] if precision == "double" else []
        subprocess.run(cc + ["-std=c99", "-O2", "-ffp-contract=off"] + flags + ["-o", exe,
                       os.path.join(ROOT, "tests", "python_driver.c"), "-lm"], check=True)
        subprocess.run([exe, d], check=True)
    run_driver.done = True
    return d


def c_outputs(d, precision, name):
    size = 8 if precision == "double" else 4
    with open(os.path.join(d, "driver-%d-%s.txt" % (size, name))) as f:
        return [[float.fromhex(v) for v in line.split()] for line in f]


def c_saved(d, precision, name):
    size = 8 if precision == "double" else 4
    with open(os.path.join(d, "driver-%d-%s.ccn" % (size, name)), "rb") as f:
        return f.read()


class WithoutNumpy:
    """The binding as it is where NumPy is not installed."""

    def __enter__(self):
        self.saved, ccn._np = ccn._np, None

    def __exit__(self, *exc):
        ccn._np = self.saved


class BitsAsC(unittest.TestCase):
    def test_per_step_calls_are_the_c_librarys(self):
        """learn_step, td_step and step from Python: the outputs and saved bytes of C's calls"""
        d = run_driver()
        for precision in PRECISIONS:
            code = "d" if precision == "double" else "f"
            xs, ts = inputs(code)
            with ccn.Net(precision=precision, **CONFIGS["sup"]) as net:
                ys = [net.learn_step(x, t) for x, t in zip(xs, ts)]
                self.assertEqual(ys, c_outputs(d, precision, "sup"))
                self.assertEqual(net.save(), c_saved(d, precision, "sup"))
                self.assertEqual(net.stage, 2)
            with ccn.Net(precision=precision, **CONFIGS["td"]) as net:
                ps = [[net.td_step(x, c, g)] for x, c, g in zip(xs, CUMULANTS, GAMMAS)]
                self.assertEqual(ps, c_outputs(d, precision, "td"))
                self.assertEqual(net.save(), c_saved(d, precision, "td"))
            with ccn.Net(precision=precision, **CONFIGS["fwd"]) as net:
                ys = [net.step(x) for x in xs]
                self.assertEqual(ys, c_outputs(d, precision, "fwd"))
                self.assertEqual(net.save(), c_saved(d, precision, "fwd"))

    def check_sequences(self, form):
        d = run_driver()
        for precision in PRECISIONS:
            code = "d" if precision == "double" else "f"
            xs, ts = inputs(code)
            conv = {
                "list": lambda rows: rows,
                "buffer": lambda rows: array.array(code, [v for r in rows for v in (r if isinstance(r, list) else [r])]),
                "numpy": lambda rows: NUMPY.array(rows, dtype=NUMPY.float64 if code == "d" else NUMPY.float32),
            }[form]
            back = {
                "list": lambda out, w: out if w > 1 or not out or isinstance(out[0], list) else [[v] for v in out],
                "buffer": lambda out, w: [list(out[i * w:(i + 1) * w]) for i in range(len(out) // w)],
                "numpy": lambda out, w: [[float(v) for v in (row if w > 1 else [row])] for row in out],
            }[form]
            with ccn.Net(precision=precision, **CONFIGS["sup"]) as net:
                out = net.run(conv(xs[:70]), conv(ts[:70]))
                out2 = net.run(conv(xs[70:]), conv(ts[70:]))
                self.assertEqual(type(out), {"list": list, "buffer": array.array, "numpy": NUMPY and NUMPY.ndarray}[form])
                self.assertEqual(back(out, 2) + back(out2, 2), c_outputs(d, precision, "sup"))
                self.assertEqual(net.save(), c_saved(d, precision, "sup"))
            with ccn.Net(precision=precision, **CONFIGS["td"]) as net:
                out = net.run_td(conv(xs), conv(CUMULANTS), conv(GAMMAS))
                self.assertEqual(back(out, 1), c_outputs(d, precision, "td"))
                self.assertEqual(net.save(), c_saved(d, precision, "td"))
            with ccn.Net(precision=precision, **CONFIGS["fwd"]) as net:
                out = net.predict(conv(xs))
                self.assertEqual(back(out, 2), c_outputs(d, precision, "fwd"))
                self.assertEqual(net.save(), c_saved(d, precision, "fwd"))

    def test_sequences_from_lists(self):
        """run, run_td, predict on lists of lists: the C per-step calls' outputs and bytes"""
        with WithoutNumpy():
            self.check_sequences("list")

    def test_sequences_from_flat_buffers(self):
        """the same from array.array buffers, returning array.array"""
        with WithoutNumpy():
            self.check_sequences("buffer")

    def test_sequences_from_numpy(self):
        """the same from NumPy arrays, returning NumPy arrays"""
        if NUMPY is None:
            self.skipTest("NumPy is not installed for %s" % sys.executable)
        self.check_sequences("numpy")

    def test_gru_through_the_binding(self):
        """kind 'gru': learn_step, run, td_step, run_td (lists, NumPy): the C per-step calls' bits"""
        d = run_driver()
        forms = [("list", lambda rows: rows)]
        if NUMPY is not None:
            forms.append(("numpy", lambda rows: NUMPY.array(rows, dtype=NUMPY.float64 if code == "d" else NUMPY.float32)))
        for precision in PRECISIONS:
            code = "d" if precision == "double" else "f"
            xs, ts = inputs(code)
            want, want_td = c_outputs(d, precision, "gru"), c_outputs(d, precision, "grutd")
            with ccn.Net(precision=precision, **CONFIGS["gru"]) as net:
                self.assertEqual(net.config.kind, 4)
                self.assertEqual([net.learn_step(x, t) for x, t in zip(xs, ts)], want)
                self.assertEqual(net.save(), c_saved(d, precision, "gru"))
                self.assertEqual(net.stage, 2)
            with ccn.Net(precision=precision, **CONFIGS["grutd"]) as net:
                self.assertEqual([[net.td_step(x, c, g)] for x, c, g in zip(xs, CUMULANTS, GAMMAS)], want_td)
                self.assertEqual(net.save(), c_saved(d, precision, "grutd"))
            for form, conv in forms:
                with ccn.Net(precision=precision, **CONFIGS["gru"]) as net:
                    out = net.run(conv(xs[:90]), conv(ts[:90])), net.run(conv(xs[90:]), conv(ts[90:]))
                    self.assertEqual([[float(v) for v in row] for o in out for row in o], want, form)
                    self.assertEqual(net.save(), c_saved(d, precision, "gru"))
                with ccn.Net(precision=precision, **CONFIGS["grutd"]) as net:
                    out = net.run_td(conv(xs), conv(CUMULANTS), conv(GAMMAS))
                    self.assertEqual([[float(v)] for v in out], want_td, form)
                    self.assertEqual(net.save(), c_saved(d, precision, "grutd"))


class Views(unittest.TestCase):
    def check_params(self):
        with ccn.Net(n_inputs=2, n_columns=3, step_size=0.1, seed=1) as net:
            p = net.params
            self.assertEqual(len(p), net.param_count)
            p[net.readout_offset] = 0.5  # writes the net's own parameters
            y = net.step([1.0, -1.0])
            with ccn.Net(n_inputs=2, n_columns=3, step_size=0.1, seed=1) as ref:
                self.assertNotEqual(y, ref.step([1.0, -1.0]))
            self.assertEqual(net.params[net.readout_offset], 0.5)
            net.learn([1.0])
            self.assertNotEqual(net.params[net.readout_offset], 0.5)
            self.assertEqual(len(net.grad), net.param_count)
            return p

    def test_params_memoryview(self):
        """without NumPy: params and grad are writable memoryviews of the net's arrays"""
        with WithoutNumpy():
            self.assertIsInstance(self.check_params(), memoryview)

    def test_params_numpy(self):
        """with NumPy: params and grad are NumPy arrays over the net's arrays (no copy)"""
        if NUMPY is None:
            self.skipTest("NumPy is not installed for %s" % sys.executable)
        self.assertIsInstance(self.check_params(), NUMPY.ndarray)


class Layout(unittest.TestCase):
    def lib(self):
        return ccn.load_library("float")

    def wrong(self, fields, **attrs):
        return type("Wrong", (ctypes.Structure,), dict(_fields_=fields, **attrs))

    def test_the_layout_matches(self):
        """Config passes the check against the compiled ccn_config"""
        ccn.check_layout(self.lib())
        self.assertEqual(ctypes.sizeof(ccn.Config), self.lib().ccnpy_config_size())

    def test_a_wrong_layout_is_caught(self):
        """a field's type, a missing field, a packed struct, a wrong constant: LayoutError"""
        good = list(ccn.Config._fields_)
        bad_type = [(n, ctypes.c_float if n == "links" else t) for n, t in good]
        missing = [(n, t) for n, t in good if n != "clip_norm"]
        swapped = good[:]
        swapped[0], swapped[1] = swapped[1], swapped[0]
        for fields, attrs, words in ((bad_type, {}, "Config.links is c_float, ccn.h declares double"),
                                     (missing, {}, "ccn.h has clip_norm that Config lacks"),
                                     (swapped, {}, "the order differs"),
                                     (good, {"_pack_": 4}, "Config.steps_per_stage is at offset 44, ccn_config.steps_per_stage at 48")):
            with self.assertRaises(ccn.LayoutError) as e:
                ccn.check_layout(self.lib(), self.wrong(fields, **attrs))
            self.assertIn(words, str(e.exception))
        saved = ccn.NAMES["kind"]["lstm"]
        try:
            ccn.NAMES["kind"]["lstm"] = 5
            with self.assertRaises(ccn.LayoutError) as e:
                ccn.check_layout(self.lib(), ccn.Config)
            self.assertIn("CCN_LSTM = 3, NAMES['kind'] says 5", str(e.exception))
        finally:
            ccn.NAMES["kind"]["lstm"] = saved


    def test_names_follow_the_header(self):
        """a name of NAMES is its C constant where ccn.h declares it, refused where not"""
        lib, declared = self.lib(), 0
        for field, table in ccn.NAMES.items():
            for name, value in table.items():
                if "CCN_" + name.upper() in lib.enums[field]:
                    self.assertEqual(getattr(ccn.Config(**{field: name}), field), value)
                    declared += 1
                else:  # e.g. 'gru' before ccn.h has CCN_GRU
                    with self.assertRaises(ValueError) as e:
                        ccn.Config(**{field: name})
                    self.assertIn("this ccn.h has no CCN_" + name.upper(), str(e.exception))
        self.assertGreaterEqual(declared, 11)
        self.assertEqual(sum(len(v) for v in lib.enums.values()), declared)


class Errors(unittest.TestCase):
    def test_errors_raise_ccnerror(self):
        """a refusal is CCNError with the ccn_result's name, message and the field"""
        with self.assertRaises(ccn.CCNError) as e:
            ccn.Net(n_inputs=3, n_columns=4, td_lambda=0.5)
        self.assertEqual((e.exception.name, e.exception.field), ("CCN_ERR_UNUSED_SETTING", "td_lambda"))
        with self.assertRaises(ccn.CCNError) as e:
            ccn.Net(n_inputs=0, n_columns=4)
        self.assertEqual(e.exception.name, "CCN_ERR_BAD_SIZE")
        with ccn.Net(n_inputs=2, n_columns=3, step_size=0.1) as net:
            with self.assertRaises(ccn.CCNError) as e:
                net.learn([0.0])
            self.assertEqual(e.exception.name, "CCN_ERR_NO_STEP")
            self.assertIn("ccn_learn: CCN_ERR_NO_STEP", str(e.exception))
            with self.assertRaises(ccn.CCNError) as e:
                net.step([float("inf"), 0.0])
            self.assertEqual(e.exception.name, "CCN_ERR_NOT_FINITE")
            with self.assertRaises(ccn.CCNError) as e:
                net.td_step([0.0, 0.0], 0.0, 0.9)
            self.assertEqual(e.exception.name, "CCN_ERR_BAD_LEARNER")
            with self.assertRaises(ccn.CCNError) as e:
                net.next_stage()
            self.assertEqual(e.exception.name, "CCN_ERR_NO_MORE_STAGES")
        self.assertRaises(ValueError, net.step, [0.0, 0.0])  # closed
        self.assertRaises(TypeError, ccn.Net, n_inputs=2, n_columns=3, n_colums=4)
        self.assertRaises(ValueError, ccn.Net, n_inputs=2, n_columns=3, kind="lsmt")
        self.assertRaises(ValueError, ccn.Net(n_inputs=2, n_columns=3).run, [[0.0, 0.0]], [[0.0], [1.0]])
        with ccn.Net(n_inputs=2, n_columns=3, learner="td", td_lambda=0.5) as net:  # empty sequences
            self.assertEqual((net.run_td([], [], 0.9), net.predict([]), net.step_count), ([], [], 0))
            self.assertEqual(net.run_td(array.array(net._lib.code), [], 0.9), array.array(net._lib.code))

    def test_a_sequence_stops_at_the_first_bad_step(self):
        """a NaN at step k: CCNError with done == k, the net that ran k steps, their outputs"""
        with WithoutNumpy():
            for precision in PRECISIONS:
                xs, ts = inputs("d" if precision == "double" else "f", 40)
                k = 17
                bad = [list(x) for x in xs]
                bad[k][1] = float("nan")
                with ccn.Net(precision=precision, **CONFIGS["sup"]) as a, \
                        ccn.Net(precision=precision, **CONFIGS["sup"]) as b:
                    ys = [a.learn_step(x, t) for x, t in zip(xs[:k], ts[:k])]
                    with self.assertRaises(ccn.CCNError) as e:
                        b.run(bad, ts)
                    self.assertEqual((e.exception.name, e.exception.done), ("CCN_ERR_NOT_FINITE", k))
                    self.assertEqual(e.exception.outputs, ys)
                    self.assertEqual(a.save(), b.save())
                    ts2 = [list(t) for t in ts]
                    ts2[k][0] = float("inf")
                    with self.assertRaises(ccn.CCNError) as e:
                        b.run(xs[k:], ts2[k:])  # the target at row 0 of this call
                    self.assertEqual(e.exception.done, 0)
                    self.assertEqual(a.save(), b.save())
                with ccn.Net(precision=precision, **CONFIGS["td"]) as a, \
                        ccn.Net(precision=precision, **CONFIGS["td"]) as b:
                    for x, c, g in zip(xs[:k], CUMULANTS, GAMMAS):
                        a.td_step(x, c, g)
                    gammas = GAMMAS[:40]
                    gammas[k] = 1.5
                    with self.assertRaises(ccn.CCNError) as e:
                        b.run_td(xs, CUMULANTS[:40], gammas)
                    self.assertEqual((e.exception.name, e.exception.done), ("CCN_ERR_BAD_GAMMA", k))
                    self.assertEqual(a.save(), b.save())

    def test_no_compiler_is_a_clear_error(self):
        """no C compiler: BuildError saying so"""
        saved = dict(os.environ)
        try:
            os.environ["CC"] = "/nonexistent/cc"
            with self.assertRaises(ccn.BuildError) as e:
                ccn._compiler()
            self.assertIn("no such compiler", str(e.exception))
            del os.environ["CC"]
            os.environ["PATH"] = tempfile.mkdtemp()
            with self.assertRaises(ccn.BuildError) as e:
                ccn._compiler()
            self.assertIn("needs a C compiler", str(e.exception))
        finally:
            os.environ.clear()
            os.environ.update(saved)


class Out(unittest.TestCase):
    def want(self, precision="float"):
        xs, ts = inputs("d" if precision == "double" else "f", 4)
        with ccn.Net(precision=precision, **CONFIGS["sup"]) as net:
            return xs, ts, net.run(xs, ts)

    def test_out_of_another_form_is_written(self):
        """out= that is not the net's contiguous reals (a list, a flat list): written, not a copy"""
        with WithoutNumpy():
            xs, ts, want = self.want()
            for out, back in (([[0.0, 0.0] for _ in range(4)], lambda o: o),
                              ([0.0] * 8, lambda o: [o[2 * i:2 * i + 2] for i in range(4)])):
                with ccn.Net(**CONFIGS["sup"]) as net:
                    self.assertIs(net.run(xs, ts, out=out), out)
                    self.assertEqual(back(out), want)
            with ccn.Net(**CONFIGS["sup"]) as net:
                buf = array.array("f", bytes(4 * 8))
                self.assertIs(net.run(xs, ts, out=buf), buf)
                self.assertEqual([list(buf[2 * i:2 * i + 2]) for i in range(4)], want)
            with ccn.Net(**CONFIGS["sup"]) as net:
                with self.assertRaises(TypeError):
                    net.run(xs, ts, out=[(0.0, 0.0)] * 4)  # tuples cannot be written
                with self.assertRaises(ValueError) as e:
                    net.run(xs, ts, out=memoryview(array.array("f", bytes(4 * 8))).toreadonly())
                self.assertIn("read-only", str(e.exception))
                self.assertEqual(net.step_count, 0)  # refused before any step

    def test_out_numpy_of_another_type_is_written(self):
        """out= a float64 or non-contiguous NumPy array on a float net: written; read-only: refused"""
        if NUMPY is None:
            self.skipTest("NumPy is not installed for %s" % sys.executable)
        np = NUMPY
        with ccn.Net(n_inputs=3, n_columns=4, step_size=0.1, seed=1) as net, \
                ccn.Net(n_inputs=3, n_columns=4, step_size=0.1, seed=1) as ref:  # the review's case
            o = np.zeros((4, 1))
            self.assertIs(net.run(np.ones((4, 3)), np.ones((4, 1)), out=o), o)
            self.assertEqual(o.tolist(), ref.run(np.ones((4, 3)), np.ones((4, 1))).tolist())
            self.assertTrue((o[1:] != 0).all(), o)
        xs, ts, want = self.want()
        wide = np.zeros((4, 5), dtype=np.float32)
        for out in (np.zeros((4, 2)), wide[:, 1:3], np.zeros(8, dtype=np.float32), np.zeros(8)):
            with ccn.Net(**CONFIGS["sup"]) as net:
                net.run(np.array(xs, dtype=np.float32), np.array(ts, dtype=np.float32), out=out)
                self.assertEqual(out.reshape(4, 2).tolist(), want)
        self.assertEqual((wide[:, 0] == 0).all() and (wide[:, 3:] == 0).all(), True)
        with ccn.Net(**CONFIGS["td"]) as net, ccn.Net(**CONFIGS["td"]) as ref:
            p = np.zeros(5)
            net.run_td(np.ones((5, 3)), np.ones(5), 0.9, out=p)
            self.assertEqual(p.tolist(), ref.run_td([[1.0] * 3] * 5, [1.0] * 5, 0.9))
            self.assertTrue((p[2:] != 0).all(), p)
        ro = np.zeros((4, 2), dtype=np.float32)
        ro.flags.writeable = False
        with ccn.Net(**CONFIGS["sup"]) as net:
            with self.assertRaises(ValueError) as e:
                net.run(xs, ts, out=ro)
            self.assertIn("read-only", str(e.exception))
            self.assertEqual((net.step_count, ro.any()), (0, False))

    def test_out_after_an_error_holds_the_rows_written(self):
        """out= of another type and an error midway: out holds the rows that ran"""
        if NUMPY is None:
            self.skipTest("NumPy is not installed for %s" % sys.executable)
        xs, ts = inputs("f", 10)
        xs[6][0] = float("nan")
        with ccn.Net(**CONFIGS["sup"]) as a, ccn.Net(**CONFIGS["sup"]) as b:
            want = a.run(xs[:6], ts[:6])
            out = NUMPY.full((10, 2), 7.0)
            with self.assertRaises(ccn.CCNError) as e:
                b.run(xs, ts[:10], out=out)
            self.assertEqual(e.exception.done, 6)
            self.assertEqual(out[:6].tolist(), want)
            self.assertTrue((out[6:] == 7.0).all())


class Contract(unittest.TestCase):
    def test_the_failing_row_is_in_outputs_when_it_ran(self):
        """an error after the step ran (a NaN output, CCN_ERR_DIVERGED): e.outputs has its row"""
        with WithoutNumpy():
            xs, ts = inputs("f", 5)
            ts = [t[:1] for t in ts]
            with ccn.Net(n_inputs=3, n_columns=4, step_size=0.1, seed=1) as net:
                net.run(xs[:2], ts[:2])
                net.params[net.readout_offset] = float("nan")
                with self.assertRaises(ccn.CCNError) as e:
                    net.run(xs[2:], ts[2:])
                self.assertEqual((e.exception.name, e.exception.done, net.step_count), ("CCN_ERR_NOT_FINITE", 0, 3))
                self.assertEqual(len(e.exception.outputs), 1)
                self.assertNotEqual(e.exception.outputs[0][0], e.exception.outputs[0][0])  # the NaN it ran to
            with ccn.Net(n_inputs=3, n_columns=4, learner="td", td_lambda=0.5, step_size=0.1, refuse_nonfinite=1,
                         seed=1) as net:
                net.params[net.readout_offset] = float("nan")
                with self.assertRaises(ccn.CCNError) as e:
                    net.run_td(xs, [1.0] * 5, [0.9] * 5)
                self.assertEqual((e.exception.name, e.exception.done, net.step_count), ("CCN_ERR_DIVERGED", 1, 2))
                self.assertEqual(len(e.exception.outputs), 2)
                buf = array.array("f", [5.0] * 5)
                with self.assertRaises(ccn.CCNError) as e:  # a flat buffer: the rows that ran, as well
                    net.run_td(array.array("f", [v for x in xs for v in x]), [1.0] * 5, [0.9] * 5, out=buf)
                self.assertEqual((e.exception.done, len(e.exception.outputs)), (0, 1))
                self.assertEqual(buf[1:].tolist(), [5.0] * 4)
            with ccn.Net(**dict(CONFIGS["sup"], n_outputs=1)) as net:  # a bad input: that step did not run, no row
                bad = [list(x) for x in xs]
                bad[3][0] = float("inf")
                with self.assertRaises(ccn.CCNError) as e:
                    net.run(bad, ts)
                self.assertEqual((e.exception.done, len(e.exception.outputs), net.step_count), (3, 3, 3))

    def test_numpy_scalars_and_lists_of_them(self):
        """a NumPy float32 as the one gamma, a flat list of np.float32: taken as numbers"""
        if NUMPY is None:
            self.skipTest("NumPy is not installed for %s" % sys.executable)
        np = NUMPY
        xs, _ = inputs("f", 6)
        with ccn.Net(**CONFIGS["td"]) as a, ccn.Net(**CONFIGS["td"]) as b:
            want = a.run_td(xs, CUMULANTS[:6], 0.5)
            self.assertEqual(b.run_td(xs, [np.float32(v) for v in CUMULANTS[:6]], np.float32(0.5)), want)
            self.assertEqual(a.save(), b.save())
        with ccn.Net(n_inputs=1, n_columns=2, learner="td", td_lambda=0.5) as a, \
                ccn.Net(n_inputs=1, n_columns=2, learner="td", td_lambda=0.5) as b:
            self.assertEqual(b.run_td([np.float64(0.25), np.float32(1)], [0.0, 1.0], np.float64(0.9)),
                             a.run_td([0.25, 1.0], [0.0, 1.0], 0.9))

    def test_load_of_a_missing_path_is_ccnerror(self):
        """Net.load of a path that does not open: CCNError CCN_ERR_OPEN, as save"""
        missing = os.path.join(OUT, "no-such-dir", "net.ccn")
        for call in (lambda: ccn.Net.load(missing), lambda: ccn.Net(n_inputs=1, n_columns=1).save(missing)):
            with self.assertRaises(ccn.CCNError) as e:
                call()
            self.assertEqual(e.exception.name, "CCN_ERR_OPEN")

    def test_a_symlinked_module_finds_ccn_h(self):
        """ccn.py imported through a symbolic link finds ccn.h next to the file itself"""
        d = tempfile.mkdtemp(dir=OUT)
        os.symlink(os.path.join(ROOT, "examples", "python", "ccn.py"), os.path.join(d, "ccn.py"))
        env = dict(os.environ)
        env.pop("CCN_H", None)
        done = subprocess.run([sys.executable, "-c", "import ccn; print(ccn.Net(n_inputs=1, n_columns=1).precision)"],
                              cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        self.assertEqual(done.stdout.strip(), "float", done.stdout)


# ---- batches: each member is the net its own per-net calls make --------------------------------
BATCH = {  # after CONFIGS[name] (the driver's net): nets that differ in what a batch lets differ
    "sup": [dict(seed=11, optimizer="rmsprop", step_size=0.005, links=1.0),
            dict(seed=12, optimizer="sgd", step_size=0.02, input_norm_rate=0, feature_norm_rate=0),
            dict(seed=13, clip_norm=0.5, init_scale=0.3)],
    "td": [dict(seed=14, td_lambda=0.5, optimizer="adam"), dict(seed=15, optimizer="sgd", obgd_kappa=2.0),
           dict(seed=16, links=0.0, refuse_nonfinite=1, scale_readout_step=0)],
    "fwd": [dict(seed=17), dict(seed=18, init_scale=0.5)],
    "gru": [dict(seed=19, optimizer="adam"), dict(seed=20, links=1.0, step_size=0.01)],
    "grutd": [dict(seed=21, td_lambda=0.0, optimizer="rmsprop"), dict(seed=22, links=0.0)],
}
CALLS = {"sup": "learn", "td": "td", "fwd": "step", "gru": "learn", "grutd": "td"}


def batch_configs(name):
    return [CONFIGS[name]] + [dict(CONFIGS[name], **v) for v in BATCH[name]]


def streams(code, count, T=200):
    """Net i's (inputs, targets, cumulants, gammas): the driver's, begun 17 i steps later (net 0:
    the driver's own)."""
    xs, ts = inputs(code)

    def rot(seq, i):
        return [seq[(t + 17 * i) % 200] for t in range(T)]
    return [(rot(xs, i), rot(ts, i), rot(CUMULANTS, i), rot(GAMMAS, i)) for i in range(count)]


def rows_at(data, t):
    """Step t of every net: [(x, target, cumulant, gamma)], row i net i's."""
    return [tuple(s[k][t] for k in range(4)) for s in data]


def alone_step(net, call, x, t, c, g):
    """One per-net call: its outputs as a row."""
    if call == "learn":
        return net.learn_step(x, t)
    if call == "td":
        return [net.td_step(x, c, g)]
    return net.step(x)


def batch_step(b, call, rows, conv=lambda v: v, out=None):
    """One batch call on rows[i] = (x, target, cumulant, gamma) of net i: (what it returned, the
    outputs as per-net rows of floats)."""
    xs = conv([r[0] for r in rows])
    if call == "learn":
        got = b.learn_step(xs, conv([r[1] for r in rows]), out=out)
    elif call == "td":
        got = b.td_step(xs, conv([r[2] for r in rows]), conv([r[3] for r in rows]), out=out)
    else:
        got = b.step(xs, out=out)
    return got, per_net_rows(got, b.n_outputs)


def per_net_rows(got, w):
    flat = [float(v) for v in (got.reshape(-1) if hasattr(got, "reshape") else
                               [u for r in got for u in (r if isinstance(r, list) else [r])])]
    return [flat[i * w:(i + 1) * w] for i in range(len(flat) // w)]


def alone(precision, name, T=200):
    """The batch's nets made and stepped one at a time by Net: [(outputs, saved bytes, net)]."""
    code = "d" if precision == "double" else "f"
    cfgs = batch_configs(name)
    res = []
    for cfg, (xs, ts, cs, gs) in zip(cfgs, streams(code, len(cfgs), T)):
        net = ccn.Net(precision=precision, **cfg)
        res.append(([alone_step(net, CALLS[name], *a) for a in zip(xs, ts, cs, gs)], net.save(), net))
    return res


class Batches(unittest.TestCase):
    def test_batch_members_are_their_per_net_calls(self):
        """Batch step, learn_step, td_step: each net the outputs and bytes of its own per-net calls
        (net 0: the C driver's), over kinds, optimisers, stages, TD and inference"""
        d = run_driver()
        with WithoutNumpy():
            for precision in PRECISIONS:
                code = "d" if precision == "double" else "f"
                for name, call in CALLS.items():
                    cfgs = batch_configs(name)
                    want = alone(precision, name)
                    data = streams(code, len(cfgs))
                    with ccn.Batch(cfgs, precision=precision) as b:
                        self.assertEqual((len(b), b.precision), (len(cfgs), precision))
                        got = [[] for _ in cfgs]
                        for t in range(200):
                            for i, row in enumerate(batch_step(b, call, rows_at(data, t))[1]):
                                got[i].append(row)
                        self.assertEqual(got[0], c_outputs(d, precision, name), (precision, name))
                        self.assertEqual(b[0].save(), c_saved(d, precision, name), (precision, name))
                        for i, (ys, saved, net) in enumerate(want):
                            self.assertEqual(got[i], ys, (precision, name, i))
                            self.assertEqual(b[i].save(), saved, (precision, name, i))
                            self.assertEqual((b[i].stage, b[i].step_count), (net.stage, 200))
                            net.close()
                        self.assertEqual(b.results(), ["CCN_OK"] * len(cfgs))

    def check_forms(self, form):
        for precision in PRECISIONS:
            code = "d" if precision == "double" else "f"
            conv = {
                "list": lambda rows: rows,
                "buffer": lambda rows: array.array(code, [v for r in rows for v in (r if isinstance(r, list) else [r])]),
                "numpy": lambda rows: NUMPY.array(rows, dtype=NUMPY.float64 if code == "d" else NUMPY.float32),
            }[form]
            kind = {"list": list, "buffer": array.array, "numpy": NUMPY and NUMPY.ndarray}[form]
            for name in ("sup", "td", "fwd"):
                call, T = CALLS[name], 40
                want = alone(precision, name, T)
                data = streams(code, len(want), T)
                with ccn.Batch(batch_configs(name), precision=precision) as b:
                    for t in range(T):
                        got, per_net = batch_step(b, call, rows_at(data, t), conv)
                        self.assertEqual(type(got), kind, (form, name))
                        self.assertEqual(len(got), len(b) * (b.n_outputs if form == "buffer" else 1))
                        if form == "list":
                            self.assertIsInstance(got[0], float if call == "td" else list)
                        if form == "numpy":
                            self.assertEqual(got.shape, (len(b),) if call == "td" else (len(b), b.n_outputs))
                        self.assertEqual(per_net, [w[0][t] for w in want], (precision, name, t))
                    for i, (_, saved, net) in enumerate(want):
                        self.assertEqual(b[i].save(), saved)
                        net.close()
            # out=: written into an array of the caller's; one gamma for every net
            with ccn.Batch(batch_configs("sup"), precision=precision) as b, \
                    ccn.Batch(batch_configs("sup"), precision=precision) as ref:
                n, data = len(b), streams(code, len(b), 3)
                for t in range(3):
                    want = ref.learn_step([r[0] for r in rows_at(data, t)], [r[1] for r in rows_at(data, t)])
                    out = {"list": [[0.0, 0.0] for _ in range(n)], "buffer": array.array(code, [0.0] * (2 * n)),
                           "numpy": NUMPY is not None and NUMPY.zeros((n, 2))}[form]
                    got, per_net = batch_step(b, "learn", rows_at(data, t), conv, out=out)
                    self.assertIs(got, out)
                    self.assertEqual(per_net, want)
            with ccn.Batch(batch_configs("td"), precision=precision) as b, \
                    ccn.Batch(batch_configs("td"), precision=precision) as ref:
                n, data = len(b), streams(code, len(b), 3)
                for t in range(3):
                    xs, cs = [s[0][t] for s in data], [s[2][t] for s in data]
                    want = ref.td_step(xs, cs, 0.9)
                    out = {"list": [0.0] * n, "buffer": array.array(code, [0.0] * n),
                           "numpy": NUMPY is not None and NUMPY.zeros(n)}[form]
                    self.assertIs(b.td_step(conv(xs), conv(cs), 0.9, out=out), out)
                    self.assertEqual([float(v) for v in out], want)
                self.assertEqual([b[i].save() for i in range(n)], [ref[i].save() for i in range(n)])

    def test_batch_forms_lists(self):
        """Batch calls on lists of per-net lists return lists (td_step: floats); out= a list"""
        with WithoutNumpy():
            self.check_forms("list")

    def test_batch_forms_flat_buffers(self):
        """Batch calls on array.array buffers return array.array; out= a buffer"""
        with WithoutNumpy():
            self.check_forms("buffer")

    def test_batch_forms_numpy(self):
        """Batch calls on NumPy arrays return NumPy arrays; out= a float64 array on either net"""
        if NUMPY is None:
            self.skipTest("NumPy is not installed for %s" % sys.executable)
        self.check_forms("numpy")

    def test_batch_takes_every_form_net_run_takes(self):
        """the forms besides the short ways (lists of lists, array.array, NumPy of the net's
        reals): a flat list, rows of tuples, a memoryview, NumPy scalars, float64 on a float net,
        out= a memoryview or a list of lists: the same results; 1e40 in float: CCN_ERR_NOT_FINITE"""
        data = streams("f", 4, 12)
        with ccn.Batch(batch_configs("sup")) as b, ccn.Batch(batch_configs("sup")) as ref:
            def check(xs, ts, t, out=None):
                want = ref.learn_step([r[0] for r in rows_at(data, t)], [r[1] for r in rows_at(data, t)])
                got = b.learn_step(xs, ts, out=out)
                if out is not None:
                    self.assertIs(got, out)
                self.assertEqual(per_net_rows(got, 2), want, t)
                return want
            for t in range(12):
                xs, ts = [r[0] for r in rows_at(data, t)], [r[1] for r in rows_at(data, t)]
                flat_x, flat_t = [v for x in xs for v in x], [v for y in ts for v in y]
                k = t % (6 if NUMPY is not None else 4)
                if k == 0:
                    check(flat_x, flat_t, t)
                elif k == 1:
                    check([tuple(x) for x in xs], [tuple(y) for y in ts], t, out=[[0.0, 0.0] for _ in range(4)])
                elif k == 2:
                    out = array.array("f", [0.0] * 8)
                    want = check(memoryview(array.array("f", flat_x)), memoryview(array.array("f", flat_t)), t,
                                 out=memoryview(out))
                    self.assertEqual(per_net_rows(out, 2), want)  # through the memoryview
                elif k == 3:
                    check(array.array("f", flat_x), ts, t, out=array.array("f", [0.0] * 8))
                elif k == 4:
                    check([[NUMPY.float32(v) for v in x] for x in xs], NUMPY.array(ts, dtype=NUMPY.float64), t)
                else:
                    check(NUMPY.array(xs, dtype=NUMPY.float64), NUMPY.array(ts, dtype=NUMPY.float32).reshape(-1), t,
                          out=NUMPY.zeros((4, 2), dtype=NUMPY.float32))
            self.assertEqual([n.save() for n in b], [n.save() for n in ref])
            big = [list(x) for x in xs]
            big[3][0] = 1e40  # inf in float, as Net.step takes it
            with self.assertRaises(ccn.CCNError) as e:
                b.step(big)
            self.assertEqual(e.exception.name, "CCN_ERR_NOT_FINITE")
            with self.assertRaises(ValueError) as e:
                b.step(xs[:3] + [xs[3][:2]])
            self.assertIn("a row of 2 values, not 3", str(e.exception))
            with self.assertRaises(TypeError):
                b.step(xs[:3] + [["a", 0.0, 0.0]])
            with self.assertRaises(TypeError):
                b.step(array.array("d", flat_x))
            self.assertEqual([n.save() for n in b], [n.save() for n in ref])

    def test_batch_members_are_nets(self):
        """batch[i] is a Net of the batch's own net i: stepped alone, saved, copied, its params and
        step size set; closing it leaves the net to the batch; it keeps the batch alive"""
        import gc
        import weakref
        data = streams("f", 4, 60)

        def step_alone(net, i, t):
            return alone_step(net, "td", *[s[t] for s in data[i]])
        with WithoutNumpy():
            ref = [ccn.Net(**c) for c in batch_configs("td")]
            b = ccn.Batch(batch_configs("td"))
            v = b[2]
            self.assertIsInstance(v, ccn.Net)
            self.assertIs(v, b.net(2))
            self.assertIs(v, b[-2])
            self.assertEqual([n.config.seed for n in b], [c["seed"] for c in batch_configs("td")])
            self.assertRaises(IndexError, b.net, 4)
            self.assertRaises(IndexError, lambda: b[-5])
            for t in range(20):
                self.assertEqual(batch_step(b, "td", rows_at(data, t))[1], [step_alone(ref[i], i, t) for i in range(4)])
            for t in range(20, 30):  # net 2 alone, then the batch goes on from where it left it
                self.assertEqual(step_alone(v, 2, t), step_alone(ref[2], 2, t))
            for t in range(30, 40):
                self.assertEqual(batch_step(b, "td", rows_at(data, t))[1], [step_alone(ref[i], i, t) for i in range(4)])
            self.assertEqual((v.step_count, b[0].step_count), (40, 30))
            self.assertEqual(v.save(), ref[2].save())
            p = v.params
            self.assertIsInstance(p, memoryview)
            p[v.readout_offset] = 0.25  # the batch's own net: the batch steps with it
            ref[2].params[ref[2].readout_offset] = 0.25
            v.set_step_size(0.002)
            ref[2].set_step_size(0.002)
            c = v.copy()  # an independent net of its own
            self.assertEqual(c.save(), v.save())
            for t in range(40, 45):
                self.assertEqual(batch_step(b, "td", rows_at(data, t))[1], [step_alone(ref[i], i, t) for i in range(4)])
            loaded = ccn.Net.load(c.save())
            self.assertEqual(step_alone(c, 2, 40), step_alone(loaded, 2, 40))
            loaded.close()
            c.close()
            self.assertEqual([n.save() for n in b], [r.save() for r in ref])
            v.close()  # the Net stops; the batch keeps its net
            self.assertRaises(ValueError, v.save)
            self.assertIsNot(b[2], v)
            for t in range(45, 50):
                self.assertEqual(batch_step(b, "td", rows_at(data, t))[1], [step_alone(ref[i], i, t) for i in range(4)])
            self.assertEqual(b[2].save(), ref[2].save())
            w, keep = b[1], b[1].params
            alive = weakref.ref(b)
            del b
            gc.collect()
            self.assertIsNotNone(alive())  # kept by its member's Net
            self.assertEqual(step_alone(w, 1, 50), step_alone(ref[1], 1, 50))
            self.assertEqual((w.save(), keep[0]), (ref[1].save(), ref[1].params[0]))
            del w, keep
            gc.collect()
            self.assertIsNone(alive())
            b = ccn.Batch(batch_configs("td"))
            u = b[0]
            b.close()  # closes its members' Nets
            self.assertRaises(ValueError, u.save)
            self.assertRaises(ValueError, b.net, 0)
            self.assertRaises(ValueError, b.td_step, [[0.0] * 3] * 4, [0.0] * 4, 0.9)
            self.assertEqual(repr(b), "<ccn.Batch closed>")
            for r in ref:
                r.close()

    def test_batch_set_from_a_loaded_net(self):
        """set(i, Net.load(bytes net i saved)): net i goes on as the loaded net alone, its Net
        follows; a net of another shape, index or precision is refused, net i unchanged"""
        data = streams("f", 4, 80)

        def step_alone(net, i, t):
            return alone_step(net, "learn", *[s[t] for s in data[i]])
        with WithoutNumpy():
            ref = [ccn.Net(**c) for c in batch_configs("sup")]
            with ccn.Batch(batch_configs("sup")) as b:
                for t in range(30):
                    batch_step(b, "learn", rows_at(data, t))
                    [step_alone(ref[i], i, t) for i in range(4)]
                saved, view = b[1].save(), b[1]
                for t in range(30, 50):  # net 1 moves on; ref[1] stays at the saved net
                    batch_step(b, "learn", rows_at(data, t))
                    [step_alone(ref[i], i, t) for i in (0, 2, 3)]
                self.assertNotEqual(view.save(), saved)
                loaded = ccn.Net.load(saved)
                b.set(1, loaded)
                self.assertIs(b[1], view)
                self.assertEqual(view.save(), saved)  # the Net of net 1 is the new net
                loaded.close()  # the batch's net is a copy
                for t in range(50, 80):
                    self.assertEqual(batch_step(b, "learn", rows_at(data, t))[1],
                                     [step_alone(ref[i], i, t) for i in range(4)])
                self.assertEqual([n.save() for n in b], [r.save() for r in ref])
                self.assertEqual([(n.step_count, n.stage) for n in b], [(r.step_count, r.stage) for r in ref])
                self.assertEqual((b[0].step_count, b[1].step_count), (80, 60))
                # a net of another build of the same precision goes through its bytes
                saved_env = dict(os.environ)
                try:
                    os.environ["CCN_PY_CFLAGS"] = "-O1"
                    other = ccn.Net.load(b[3].save())
                finally:
                    os.environ.clear()
                    os.environ.update(saved_env)
                self.assertIsNot(other._lib, b[3]._lib)
                b.set(-1, other)
                self.assertEqual(b[3].save(), ref[3].save())
                before = b[2].save()
                with self.assertRaises(ccn.CCNError) as e:
                    b.set(2, ccn.Net(**dict(CONFIGS["sup"], n_columns=6)))
                self.assertEqual((e.exception.name, e.exception.index), ("CCN_ERR_BAD_BATCH", 2))
                self.assertIn("ccn_batch_set: CCN_ERR_BAD_BATCH", str(e.exception))
                self.assertRaises(IndexError, b.set, 4, ref[2])
                self.assertRaises(ValueError, b.set, 2, ccn.Net.load(before, precision="double"))
                self.assertRaises(TypeError, b.set, 2, before)
                self.assertEqual(b[2].save(), before)
            for r in ref:
                r.close()

    def test_batch_refusals_are_ccnerror(self):
        """a batch of nets that differ in shape, a refused configuration, a bad row: CCNError and
        nothing changed; one net's own failure: that net's alone, the others step on"""
        td = batch_configs("td")
        for cfgs, want in (([td[0], td[1], dict(td[2], kind="lstm")], ("CCN_ERR_BAD_BATCH", "kind", 2)),
                           ([td[0], dict(td[1], n_inputs=4)], ("CCN_ERR_BAD_BATCH", "n_inputs", 1)),
                           ([td[0], td[1], td[2], dict(td[3], td_lambda=1.5)], ("CCN_ERR_BAD_LEARNER", "td_lambda", 3)),
                           ([], ("CCN_ERR_BAD_BATCH", None, None))):
            with self.assertRaises(ccn.CCNError) as e:
                ccn.Batch(cfgs)
            self.assertEqual((e.exception.name, e.exception.field, e.exception.index), want)
            self.assertTrue(str(e.exception).startswith("ccn_batch_create: " + want[0]), str(e.exception))
        e = ccn.CCNError(0, "X", "m", "kind", call="ccn_batch_create", index=2)
        self.assertIn("(configs[2]) (field kind)", str(e))
        data = streams("f", 4, 10)
        with WithoutNumpy(), ccn.Batch([ccn.Config(**c) for c in td]) as b:
            for t in range(5):
                batch_step(b, "td", rows_at(data, t))
            before = [n.save() for n in b]
            xs, cs, gs = [s[0][5] for s in data], [s[2][5] for s in data], [s[3][5] for s in data]
            bad = [list(x) for x in xs]
            bad[2][1] = float("nan")
            for call, name in ((lambda: b.td_step(bad, cs, gs), "CCN_ERR_NOT_FINITE"),
                               (lambda: b.td_step(xs, cs[:3] + [float("inf")], gs), "CCN_ERR_NOT_FINITE"),
                               (lambda: b.td_step(xs, cs, gs[:3] + [1.5]), "CCN_ERR_BAD_GAMMA"),
                               (lambda: b.step(bad), "CCN_ERR_NOT_FINITE"),
                               (lambda: b.learn_step(bad, [[0.0]] * 4), "CCN_ERR_NOT_FINITE")):
                with self.assertRaises(ccn.CCNError) as e:
                    call()
                self.assertEqual((e.exception.name, e.exception.index, e.exception.results), (name, 0, [name] * 4))
                self.assertEqual(b.results(), [name] * 4)
            self.assertRaises(ValueError, b.td_step, xs[:3], cs[:3], gs[:3])
            self.assertRaises(ValueError, b.td_step, xs, cs[:3], gs)
            self.assertRaises(ValueError, b.td_step, [x[:2] for x in xs], cs, gs)
            self.assertRaises(ValueError, b.td_step, xs, cs, gs, out=[0.0] * 3)
            self.assertEqual([n.save() for n in b], before)
            self.assertEqual([n.step_count for n in b], [5] * 4)
        sup = batch_configs("sup")
        data = streams("f", 4, 10)
        with WithoutNumpy(), ccn.Batch(sup) as b:
            ref = [ccn.Net(**c) for c in sup]
            for t in range(3):
                batch_step(b, "learn", rows_at(data, t))
                [alone_step(ref[i], "learn", *rows_at(data, t)[i]) for i in range(4)]
            with self.assertRaises(ccn.CCNError) as e:  # a learner's refusal: nothing changes
                batch_step(b, "td", rows_at(data, 3))
            self.assertEqual((e.exception.name, b.results()), ("CCN_ERR_BAD_LEARNER", ["CCN_ERR_BAD_LEARNER"] * 4))
            for net in (b[1], ref[1]):
                net.params[net.readout_offset] = float("nan")
            with self.assertRaises(ccn.CCNError) as e:
                batch_step(b, "learn", rows_at(data, 3))
            want = ["CCN_OK", "CCN_ERR_NOT_FINITE", "CCN_OK", "CCN_OK"]
            self.assertEqual((e.exception.name, e.exception.index, e.exception.results),
                             ("CCN_ERR_NOT_FINITE", 1, want))
            self.assertEqual(b.results(), want)
            self.assertIn("ccn_batch_learn_step: CCN_ERR_NOT_FINITE", str(e.exception))
            self.assertIn("(net 1)", str(e.exception))
            rows = per_net_rows(e.exception.outputs, 2)
            for i in (0, 2, 3):
                self.assertEqual(rows[i], alone_step(ref[i], "learn", *rows_at(data, 3)[i]))
            with self.assertRaises(ccn.CCNError) as e1:
                alone_step(ref[1], "learn", *rows_at(data, 3)[1])
            self.assertEqual(e1.exception.name, "CCN_ERR_NOT_FINITE")
            self.assertEqual([n.save() for n in b], [r.save() for r in ref])
            self.assertEqual([n.step_count for n in b], [4] * 4)
            for r in ref:
                r.close()

    def test_batch_shape_is_the_headers(self):
        """ccn.BATCH_SHAPE (the fields Batch names in a CCN_ERR_BAD_BATCH) is ccn.h's CCN__BATCH_SHAPE"""
        import re
        with open(os.path.join(ROOT, "ccn.h")) as f:
            m = re.search(r"#define CCN__BATCH_SHAPE\(X\)((?:[^\n]*\\\n)*[^\n]*)", f.read())
        self.assertIsNotNone(m)
        self.assertEqual(tuple(re.findall(r"\bX\((\w+)\)", m.group(1))), ccn.BATCH_SHAPE)


class Files(unittest.TestCase):
    def test_save_load_copy_continue_bit_for_bit(self):
        """save to bytes and to a path, load, copy: each continues as the original"""
        xs, ts = inputs("f", 60)
        with ccn.Net(**CONFIGS["sup"]) as net:
            net.run(xs[:30], ts[:30])
            data = net.save()
            path = os.path.join(OUT, "test_python.ccn")
            net.save(path)
            others = [ccn.Net.load(data), ccn.Net.load(path), net.copy(), ccn.Net.load(bytearray(data))]
            want = net.run(xs[30:], ts[30:])
            for other in others:
                self.assertEqual(other.run(xs[30:], ts[30:]), want)
                self.assertEqual(other.save(), net.save())
                other.close()
            as_double = ccn.Net.load(data, precision="double")
            self.assertEqual(as_double.precision, "double")
            self.assertEqual(ccn.Net.load(as_double.save()).precision, "double")
        with self.assertRaises(ccn.CCNError) as e:
            ccn.Net.load(data[:-1])
        self.assertEqual(e.exception.name, "CCN_ERR_TRUNCATED")

    def test_a_cached_library_needs_no_compiler(self):
        """built once, the library is found again with no compiler on PATH and CC unset"""
        saved = dict(os.environ)
        try:
            os.environ["CCN_PY_CACHE"] = tempfile.mkdtemp(dir=OUT)
            os.environ["CCN_PY_CFLAGS"] = "-O0"  # (quicker to build: the cache is what is tested)
            built, _ = ccn.build_library("float")
            os.environ.pop("CC", None)
            os.environ["PATH"] = tempfile.mkdtemp(dir=OUT)
            self.assertRaises(ccn.BuildError, ccn._compiler)
            self.assertEqual(ccn.build_library("float")[0], built)
            os.environ["CC"] = "/nonexistent/cc"
            self.assertEqual(ccn.build_library("float")[0], built)
            done = subprocess.run([sys.executable, "-c", "import ccn; ccn.Net(n_inputs=1, n_columns=1); print('ok')"],
                                  cwd=os.path.join(ROOT, "examples", "python"), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, universal_newlines=True)
            self.assertEqual(done.stdout.strip(), "ok", done.stdout)
            os.environ["CCN_PY_CFLAGS"] = "-O1"  # not built with these flags: no compiler is an error
            with self.assertRaises(ccn.BuildError) as e:
                ccn.build_library("float")
            self.assertIn("no such compiler", str(e.exception))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_a_changed_header_is_built_again(self):
        """the cached library's name follows ccn.h: a changed ccn.h is compiled anew"""
        d = tempfile.mkdtemp(dir=OUT)
        header = os.path.join(d, "ccn.h")
        shutil.copy(os.path.join(ROOT, "ccn.h"), header)
        saved = dict(os.environ)
        try:
            os.environ["CCN_H"] = header
            os.environ["CCN_PY_CFLAGS"] = "-O0"  # (quicker to build: the cache is what is tested)
            first, _ = ccn.build_library("float")
            self.assertEqual(ccn.build_library("float")[0], first)  # cached
            with open(header, "a") as f:
                f.write("\n/* changed */\n")
            second, _ = ccn.build_library("float")
            self.assertNotEqual(first, second)
            self.assertTrue(os.path.exists(first) and os.path.exists(second))
        finally:
            os.environ.clear()
            os.environ.update(saved)


class Example(unittest.TestCase):
    def test_trace_patterning_prints_the_c_demos_line(self):
        """examples/python/trace_patterning.py --json: the C demo's result line (but the time)"""
        exe = os.path.join(OUT, "trace_patterning")
        subprocess.run(ccn._compiler() + ["-std=c99", "-O2", "-ffp-contract=off", "-o", exe,
                       os.path.join(ROOT, "examples", "trace_patterning.c"), "-lm"], check=True)
        args = ["--steps", "6000", "--window", "2000", "--json"]
        c = subprocess.run([exe, "--learner", "ccn", "--svg", ""] + args, stdout=subprocess.PIPE,
                           universal_newlines=True, check=True).stdout
        py = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", "trace_patterning.py")] + args,
                            stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout

        def strip(s):
            return s.strip().rsplit(',"us_per_step"', 1)[0]
        self.assertTrue(strip(c).startswith('{"example":"trace_patterning","learner":"ccn"'), c)
        self.assertEqual(strip(py), strip(c))


def main():
    label = "python%d.%d%s" % (sys.version_info[0], sys.version_info[1], "+numpy" if NUMPY is not None else "")
    tests = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    passed = failed = 0

    def flatten(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                yield from flatten(t)
            else:
                yield t
    for test in flatten(tests):
        result = unittest.TestResult()
        test.run(result)
        name = test.id().rsplit(".", 1)[-1]
        if result.skipped:
            print("SKIPPED %s: %s: %s" % (label, name, result.skipped[0][1]))
        elif result.wasSuccessful():
            print("ok   %s: %s" % (label, name))
            passed += 1
        else:
            print("FAIL %s: %s" % (label, name))
            for _, tb in result.errors + result.failures:
                print("    " + tb.replace("\n", "\n    "))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
