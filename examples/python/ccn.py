"""ccn.py - ccn.h from Python: the standard library only (ctypes), NumPy optional.

    import ccn
    net = ccn.Net(n_inputs=3, n_outputs=1, n_columns=8, step_size=0.01, seed=1)
    ys = net.run(xs, targets)          # a whole sequence in one C call, the per-step calls' bits

On first use the module compiles ccn.h into a shared library with the system C compiler (the
CC environment variable, else cc, gcc or clang) and caches it, next to this file (in
__ccncache__) or, where that is not writable, in the user's cache directory ($XDG_CACHE_HOME or
~/.cache, under ccn-py). The cached library's name carries a hash of ccn.h, of the C source
this module generates from it, of the flags and of the module's __version__, so a changed ccn.h
is compiled again; then a short hash of the compiler's command. A compiler is needed only to
build: without one (no CC, none on PATH) a cached library of that ccn.h, source, flags and
version is used, whichever compiler built it. Flags: -O3 -fno-math-errno -ffp-contract=off
(portable, and without contraction the results are the bits of every C build of ccn.h, as
ccn.h's RANDOMNESS says); native=True (or CCN_PY_NATIVE=1) adds -march=native, and
CCN_PY_CFLAGS adds flags of your own. CCN_PY_CACHE names the cache directory, CCN_H the header.

The configuration is Config, a ctypes structure built from one table (CONFIG_FIELDS) that is
checked, when the library loads, against ccn.h's own struct: the field names and types as the
header declares them, and sizeof(ccn_config) and every field's offsetof from a probe compiled
into the library. So the two cannot drift apart silently: a mismatch raises LayoutError. The
names of kinds, methods, learners and optimisers are checked against the C constants the same
way.

Sequences (Net.run, Net.run_td, Net.predict) go to ccn_learn_steps, ccn_td_steps and ccn_steps:
one foreign call per sequence, so the per-step cost of a Python loop is not paid. They take a
list of per-step lists, a NumPy array (n x width), or a flat buffer (array.array, memoryview,
bytearray, ... of the net's reals), and return the outputs in the same form. out= writes them
into an array of the caller's instead: where it is not the net's contiguous reals (a float64
NumPy array on a float net, a non-contiguous one, a list) the results are copied into it after
the C call; what cannot be written (a read-only array or buffer, a tuple) is refused before.

Errors raise CCNError, which carries the ccn_result's name (CCNError.name, e.g.
"CCN_ERR_NOT_FINITE"), its number (code) and ccn_result_string's message; from a sequence
call also done, the steps that succeeded, and outputs, the rows C wrote. A sequence stops at
its first failing step. A failure its arguments show (a NaN or infinite input, target or
cumulant; a gamma outside [0, 1]) is found before that step runs: the net is the net that ran
done steps, and outputs has done rows. A failure only the step reveals (CCN_ERR_NOT_FINITE for
an output that is not finite, CCN_ERR_DIVERGED with refuse_nonfinite) comes after the step ran
and before its update, as the per-step call: the net ran done + 1 steps, and outputs has
done + 1 rows, the failing step's last (ccn.h's "many steps in one call").

Batch(configs) is ccn.h's batch: many nets of one shape, stepped by one foreign call
(Batch.step, learn_step, td_step: row i of each array is net i's), each with the bits of its
own per-net calls; batch[i] is net i as a Net that does not own it. See Batch.

python3 ccn.py --self-test builds the library and checks it; python3 ccn.py --help says more.
"""

import array
import ctypes
import hashlib
import glob
import itertools
import numbers
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import weakref

__all__ = ["Net", "Batch", "Config", "Rng", "CCNError", "BuildError", "LayoutError", "CONFIG_FIELDS", "NAMES", "BATCH_SHAPE",
           "load_library", "check_layout", "numpy_enabled"]
__version__ = "1"

_HERE = os.path.dirname(os.path.realpath(__file__))  # through a symbolic link: ccn.h is by the file itself

# ---- the configuration: one table ------------------------------------------------------------
# (field, C type as ccn.h declares it, meaning). Every field's default is 0, which ccn.h reads as
# the default shown. Config is built from this table and nothing else; check_layout compares it
# with ccn.h's struct at load time.
CONFIG_FIELDS = (
    ("n_inputs", "int", "m > 0, required"),
    ("n_outputs", "int", "0 -> 1 (learner 'td': exactly 1)"),
    ("n_columns", "int", "n > 0, required (all stages together)"),
    ("kind", "int", "0 -> 'tanh'; 'gated', 'lstm', 'gru' (NAMES['kind'])"),
    ("method", "int", "0 -> 'color'; 'rtrl' (exact, slow), 'forward' (inference only)"),
    ("feature_layers", "int", "private ReLU layers per column: 0, 1 or 2"),
    ("feature_width", "int", "W, 0 -> 5; only with feature_layers > 0"),
    ("feedforward", "int", "1: columns ignore their own previous state"),
    ("links", "double", "expected foreign links per column, within its stage"),
    ("columns_per_stage", "int", "d, 0 -> n_columns (one stage)"),
    ("steps_per_stage", "int64_t", "S, 0 -> stages advance only by next_stage()"),
    ("learner", "int", "0 -> 'supervised'; 'td'"),
    ("td_lambda", "double", "lambda of 'td', in [0, 1]"),
    ("optimizer", "int", "0 -> 'sgd'; 'rmsprop', 'adam'"),
    ("step_size", "double", "alpha; 0 means no learning"),
    ("rms_beta", "double", "0 -> 0.9999; only with 'rmsprop'"),
    ("adam_beta1", "double", "0 -> 0.9; only with 'adam'"),
    ("adam_beta2", "double", "0 -> 0.999; only with 'adam'"),
    ("opt_epsilon", "double", "0 -> 1e-8; only with 'rmsprop' or 'adam'"),
    ("scale_readout_step", "int", "1: the readout's alpha is divided by the active columns"),
    ("input_norm_rate", "double", "r of the input normalisers, 0 -> 1 (off)"),
    ("feature_norm_rate", "double", "r of the readout's feature normaliser, 0 -> 1 (off)"),
    ("norm_var_floor", "double", "variance floor, 0 -> 0.01; only with a rate < 1"),
    ("init_scale", "double", "column weights U(-s, s); 0 -> 1/sqrt(fan-in)"),
    ("seed", "uint64_t", "any value, 0 included"),
    ("n_workers", "int", "workers of a parallel-for, 0 -> 1"),
    ("refuse_nonfinite", "int", "1: an update that would make a parameter NaN or infinite is refused"),
    ("clip_norm", "double", "> 0: the update direction is clipped to this global norm"),
    ("obgd_kappa", "double", "> 0 ('td' with 'sgd'): ObGD's overshoot bound"),
)

# The names the enum-valued fields take, and the C constants they stand for (CCN_<NAME>). Checked
# against ccn.h when the library loads: every constant ccn.h declares for the field must be here
# with its value; a name here that this ccn.h lacks is refused when used.
NAMES = {
    "kind": {"tanh": 1, "gated": 2, "lstm": 3, "gru": 4},
    "method": {"color": 1, "rtrl": 2, "forward": 3},
    "learner": {"supervised": 1, "td": 2},
    "optimizer": {"sgd": 1, "rmsprop": 2, "adam": 3},
}

_CTYPES = {"int": ctypes.c_int, "double": ctypes.c_double, "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64}


class Config(ctypes.Structure):
    """ccn_config, built from CONFIG_FIELDS. Config(n_inputs=3, kind='lstm', ...): keyword names
    as in ccn_config; kind, method, learner and optimizer as names (NAMES) or as the numbers of
    the C constants. Unset fields are 0, which ccn.h reads as their default."""

    _fields_ = [(name, _CTYPES[ctype]) for name, ctype, _ in CONFIG_FIELDS]

    def __init__(self, **fields):
        super().__init__()
        for key, value in fields.items():
            setattr(self, key, value)

    def __setattr__(self, key, value):
        if key not in _FIELD_NAMES:
            raise TypeError("ccn_config has no field %r (fields: %s)" % (key, ", ".join(_FIELD_NAMES)))
        if key in NAMES and isinstance(value, str):
            value = _name_value(key, value)
        super().__setattr__(key, value)

    def as_dict(self):
        """Every field and its value (numbers, as the C struct holds them)."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def __repr__(self):
        set_ = ["%s=%r" % (k, v) for k, v in self.as_dict().items() if v]
        return "Config(%s)" % ", ".join(set_)


_FIELD_NAMES = tuple(name for name, _, _ in CONFIG_FIELDS)
_UNAVAILABLE = {}  # field -> names this ccn.h does not declare (filled by check_layout)


def _name_value(field, name):
    table = NAMES[field]
    key = name.lower()
    if key not in table:
        raise ValueError("%s %r is not one of %s" % (field, name, ", ".join(sorted(table))))
    if key in _UNAVAILABLE.get(field, ()):
        raise ValueError("%s %r: this ccn.h has no CCN_%s" % (field, name, key.upper()))
    return table[key]


# ---- errors -------------------------------------------------------------------------------
class CCNError(Exception):
    """A call of ccn.h returned an error. name: the ccn_result's name ("CCN_ERR_NOT_FINITE"),
    code: its number, message: ccn_result_string's text, field: the configuration field a
    refused configuration is about (or None); from a sequence call, done: the steps that
    succeeded, outputs: the rows C wrote (in the form the call returns, or those rows of out=):
    done rows, and the failing step's row after them when that step ran (an output not finite,
    CCN_ERR_DIVERGED: see the module's documentation). From a Batch: index, the member (or
    configs[index]) the error is about, and from its steps results, every member's result name
    (Batch.results()), and outputs, the call's outputs (the rows of members whose result is
    CCN_OK are their outputs)."""

    def __init__(self, code, name, message, field=None, done=None, outputs=None, call=None, index=None,
                 results=None):
        self.code, self.name, self.message, self.field = code, name, message, field
        self.done, self.outputs, self.call = done, outputs, call
        self.index, self.results = index, results
        text = "%s: %s" % (name, message)
        if call:
            text = "%s: %s" % (call, text)
        if index is not None:
            text += (" (configs[%d])" if call == "ccn_batch_create" else " (net %d)") % index
        if field:
            text += " (field %s)" % field
        if done is not None:
            text += " (after %d steps)" % done
        super().__init__(text)


class BuildError(RuntimeError):
    """The shared library could not be built (no C compiler, or the compiler failed)."""


class LayoutError(RuntimeError):
    """Config (CONFIG_FIELDS) or NAMES does not match ccn.h's ccn_config or constants."""


# ---- NumPy, optional ----------------------------------------------------------------------
_np = None
if os.environ.get("CCN_PY_NO_NUMPY", "") not in ("1", "yes", "true"):
    try:
        import numpy as _np  # noqa: F811
    except ImportError:
        _np = None


def numpy_enabled():
    """True when NumPy is in use (installed, and CCN_PY_NO_NUMPY is not set)."""
    return _np is not None


# ---- reading ccn.h ------------------------------------------------------------------------
def _header_path():
    return os.path.abspath(os.environ.get("CCN_H") or os.path.join(_HERE, "..", "..", "ccn.h"))


def _parse_header(text):
    """The configuration's fields [(name, type)], and the constants: per enum field its CCN_
    names, and the ccn_result names, in declaration order, as ccn.h declares them."""
    m = re.search(r"typedef struct ccn_config \{(.*?)\} ccn_config;", text, re.S)
    if not m:
        raise LayoutError("ccn.h: no 'typedef struct ccn_config { ... } ccn_config;' found")
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        d = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_ ]*?)\s+([A-Za-z_][A-Za-z0-9_]*)", decl)
        if not d:
            raise LayoutError("ccn.h: a ccn_config member this module cannot read: %r" % decl)
        fields.append((d.group(2), " ".join(d.group(1).split())))
    enums = {}
    for m in re.finditer(r"enum\s*\{([^}]*)\}\s*;\s*/\*\s*ccn_config\.(\w+)", text):
        enums.setdefault(m.group(2), []).extend(re.findall(r"\b(CCN_[A-Z0-9_]+)\s*=", m.group(1)))
    m = re.search(r"typedef enum ccn_result \{(.*?)\} ccn_result;", text, re.S)
    if not m:
        raise LayoutError("ccn.h: no 'typedef enum ccn_result { ... } ccn_result;' found")
    results = re.findall(r"^\s*(CCN_(?:OK|ERR_[A-Z0-9_]+))\b", re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S), re.M)
    return fields, enums, results


def _probe_source(header_dir, fields, enums, results):
    """The C file the library is built from: ccn.h's implementation and the probe, which reports
    sizeof(ccn_config), each field's offsetof, and the constants' values."""
    consts = [c for f in sorted(enums) for c in enums[f]] + results
    lines = [
        "/* generated by ccn.py: ccn.h and the layout probe ccn.py checks its Config with */",
        "#define CCN_IMPLEMENTATION",
        '#include "ccn.h"',
        "#include <stddef.h>",
        "size_t ccnpy_config_size(void);",
        "size_t ccnpy_config_offset(int i);",
        "long ccnpy_const(int i);",
        "int ccnpy_real_size(void);",
        "size_t ccnpy_config_size(void) { return sizeof(ccn_config); }",
        "static const size_t ccnpy_offsets[] = {%s};" % ", ".join("offsetof(ccn_config, %s)" % n for n, _ in fields),
        "size_t ccnpy_config_offset(int i) { return ccnpy_offsets[i]; }",
        "static const long ccnpy_consts[] = {%s};" % ", ".join("(long)%s" % c for c in consts),
        "long ccnpy_const(int i) { return ccnpy_consts[i]; }",
        "int ccnpy_real_size(void) { return (int)sizeof(ccn_real); }",
    ]
    return "\n".join(lines) + "\n", consts


# ---- building and loading the library ------------------------------------------------------
_BASE_FLAGS = ["-std=c99", "-O3", "-fno-math-errno", "-ffp-contract=off", "-fPIC", "-shared"]


def _compiler():
    cc = os.environ.get("CC")
    if cc:
        words = shlex.split(cc)
        if words and shutil.which(words[0]):
            return words
        raise BuildError("CC=%r: no such compiler" % cc)
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return [path]
    raise BuildError("ccn.py needs a C compiler to build ccn.h, and found none (cc, gcc or clang on PATH, "
                     "or the CC environment variable): install one, e.g. apt-get install gcc")


def _cache_dirs():
    env = os.environ.get("CCN_PY_CACHE")
    if env:
        return [env]
    user = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [os.path.join(_HERE, "__ccncache__"), os.path.join(user, "ccn-py")]


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".w", delete=True)
        probe.close()
        return True
    except OSError:
        return False


def build_flags(precision="float", native=None):
    """The compiler flags of the library of this precision ('float' or 'double')."""
    if native is None:
        native = os.environ.get("CCN_PY_NATIVE", "") in ("1", "yes", "true")
    flags = list(_BASE_FLAGS)
    if precision == "double":
        flags.append("-DCCN_DOUBLE")
    elif precision != "float":
        raise ValueError("precision %r is not 'float' or 'double'" % (precision,))
    if native:
        flags.append("-march=native")
    flags += shlex.split(os.environ.get("CCN_PY_CFLAGS", ""))
    return flags


def build_library(precision="float", native=None, verbose=False):
    """Compiles (or finds in the cache) the library and returns (path, header facts)."""
    header = _header_path()
    try:
        with open(header, "rb") as f:
            header_bytes = f.read()
    except OSError as e:
        raise BuildError("ccn.py cannot read ccn.h at %s (%s); set CCN_H to its path" % (header, e))
    fields, enums, results = _parse_header(header_bytes.decode("utf-8", "replace"))
    source, consts = _probe_source(os.path.dirname(header), fields, enums, results)
    facts = (fields, enums, results, consts)
    try:
        cc, no_cc = _compiler(), None
    except BuildError as e:
        cc, no_cc = None, e
    flags = build_flags(precision, native)
    key = hashlib.sha256()
    for part in (header_bytes, source.encode(), " ".join(flags).encode(), __version__.encode()):
        key.update(part)
        key.update(b"\0")
    # libccn-<precision>-<ccn.h, source, flags, version>-<compiler>.so: the compiler is a part of
    # its own, so that without one a library built before for this ccn.h and flags is still found
    stem = "libccn-%s-%s-" % (precision, key.hexdigest()[:16])
    dirs = _cache_dirs()
    if cc is None:
        for d in dirs:
            found = glob.glob(os.path.join(glob.escape(d), glob.escape(stem) + "*.so"))
            if found:
                return max(found, key=os.path.getmtime), facts  # (the newest, if several compilers built it)
        raise no_cc
    name = stem + hashlib.sha256(" ".join(cc).encode()).hexdigest()[:8] + ".so"
    for d in dirs:
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path, facts
    for d in dirs:
        if _writable_dir(d):
            break
    else:
        raise BuildError("ccn.py: no writable cache directory among %s (set CCN_PY_CACHE)" % ", ".join(dirs))
    path = os.path.join(d, name)
    fd, tmp_c = tempfile.mkstemp(dir=d, prefix=".ccnpy-", suffix=".c")
    with os.fdopen(fd, "w") as f:
        f.write(source)
    tmp_so = tmp_c[:-2] + ".so"
    cmd = cc + flags + ["-I", os.path.dirname(header), "-o", tmp_so, tmp_c, "-lm"]
    if verbose:
        print("ccn.py: building %s: %s" % (name, " ".join(cmd)), file=sys.stderr)
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        if done.returncode != 0:
            raise BuildError("ccn.py: the compiler failed building ccn.h (%s):\n%s" % (" ".join(cmd), done.stdout))
        os.replace(tmp_so, path)  # atomic: a concurrent build finds a whole library or none
    finally:
        for p in (tmp_c, tmp_so):
            try:
                os.remove(p)
            except OSError:
                pass
    return path, facts


class _Lib:
    """One loaded library (a precision): the ccn.h functions with their C signatures."""

    def __init__(self, path, facts, precision):
        self.path, self.precision = path, precision
        self.fields, self.enums, self.results, self.consts = facts
        self.dll = ctypes.CDLL(path)
        d = self.dll
        self.real = ctypes.c_double if precision == "double" else ctypes.c_float
        self.code = "d" if precision == "double" else "f"
        R, V, S, I = self.real, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
        PS = ctypes.POINTER(ctypes.c_size_t)
        sig = {
            "ccnpy_config_size": (S, []), "ccnpy_config_offset": (S, [I]), "ccnpy_const": (ctypes.c_long, [I]),
            "ccnpy_real_size": (I, []),
            "ccn_version": (I, []), "ccn_result_string": (ctypes.c_char_p, [I]),
            "ccn_config_resolve": (I, [V, V]), "ccn_config_check": (I, [V, ctypes.POINTER(ctypes.c_char_p)]),
            "ccn_create": (I, [V, V, ctypes.POINTER(V)]), "ccn_destroy": (None, [V]),
            "ccn_copy": (I, [V, V, ctypes.POINTER(V)]), "ccn_get_config": (V, [V]),
            "ccn_step": (I, [V, V, V]), "ccn_reset_state": (None, [V]),
            "ccn_learn": (I, [V, V]), "ccn_learn_with_error": (I, [V, V]),
            "ccn_learn_step": (I, [V, V, V, V]), "ccn_td_step": (I, [V, V, R, R, V]),
            "ccn_steps": (I, [V, S, V, V, PS]), "ccn_learn_steps": (I, [V, S, V, V, V, PS]),
            "ccn_td_steps": (I, [V, S, V, V, V, V, PS]),
            "ccn_td_error": (R, [V]), "ccn_set_step_size": (I, [V, ctypes.c_double]),
            "ccn_set_flush_subnormals": (I, [V, I]),
            "ccn_next_stage": (I, [V]), "ccn_stage": (I, [V]), "ccn_stage_count": (I, [V]),
            "ccn_active_columns": (I, [V]),
            "ccn_param_count": (S, [V]), "ccn_params": (V, [V]), "ccn_grad": (V, [V]), "ccn_zero_grad": (None, [V]),
            "ccn_readout_offset": (S, [V]), "ccn_state": (V, [V]), "ccn_cell": (V, [V]), "ccn_output": (V, [V]),
            "ccn_step_count": (ctypes.c_uint64, [V]),
            "ccn_nonfinite_count": (S, [V]), "ccn_trace_max": (R, [V]),
            "ccn_saved_size": (S, [V]), "ccn_save_to_memory": (I, [V, V, S, PS]),
            "ccn_load_from_memory": (I, [V, S, V, ctypes.POINTER(V)]),
            "ccn_save_file": (I, [V, ctypes.c_char_p]), "ccn_load_file": (I, [ctypes.c_char_p, V, ctypes.POINTER(V)]),
            "ccn_rng_seed": (None, [V, ctypes.c_uint64]), "ccn_rng_next": (ctypes.c_uint64, [V]),
            "ccn_rng_uniform": (ctypes.c_double, [V]),
            "ccn_batch_create": (I, [V, I, V, ctypes.POINTER(V)]), "ccn_batch_destroy": (None, [V]),
            "ccn_batch_count": (I, [V]), "ccn_batch_net": (V, [V, I]), "ccn_batch_set": (I, [V, I, V]),
            "ccn_batch_step": (I, [V, V, V]), "ccn_batch_learn_step": (I, [V, V, V, V]),
            "ccn_batch_td_step": (I, [V, V, V, V, V]), "ccn_batch_result": (I, [V, I]),
        }
        for fname, (restype, argtypes) in sig.items():
            fn = getattr(d, fname)
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, fname[4:] if fname.startswith("ccn_") else fname, fn)
        if self.ccnpy_real_size() != ctypes.sizeof(self.real):
            raise LayoutError("the %s library's ccn_real has %d bytes" % (precision, self.ccnpy_real_size()))
        values = {c: self.ccnpy_const(i) for i, c in enumerate(self.consts)}
        self.result_names = {values[c]: c for c in self.results}
        self.const_values = values

    def error(self, code, call=None, **extra):
        name = self.result_names.get(code, "ccn_result %d" % code)
        return CCNError(code, name, self.result_string(code).decode(), call=call, **extra)


def check_layout(lib, config_class=None):
    """Checks a Config class (default: Config) against the library's ccn_config: the header's
    field names and types in order, sizeof and each offsetof from the compiled probe; and NAMES
    against the C constants. Raises LayoutError naming the first difference."""
    cls = config_class or Config
    ours = [(name, ctype) for name, ctype in cls._fields_]
    theirs = lib.fields
    by_type = {v: k for k, v in _CTYPES.items()}
    names_ours = [n for n, _ in ours]
    names_theirs = [n for n, _ in theirs]
    if names_ours != names_theirs:
        missing = [n for n in names_theirs if n not in names_ours]
        extra = [n for n in names_ours if n not in names_theirs]
        raise LayoutError("Config's fields differ from ccn.h's ccn_config: %s%s%s" % (
            "ccn.h has %s that Config lacks; " % ", ".join(missing) if missing else "",
            "Config has %s that ccn.h lacks; " % ", ".join(extra) if extra else "",
            "the order differs" if not missing and not extra else ""))
    for (name, ctype), (_, ctext) in zip(ours, theirs):
        if by_type.get(ctype) != ctext:
            raise LayoutError("Config.%s is %s, ccn.h declares %s" % (name, ctype.__name__, ctext))
    size = lib.ccnpy_config_size()
    for i, (name, _) in enumerate(ours):
        off_c, off_py = lib.ccnpy_config_offset(i), getattr(cls, name).offset
        if off_c != off_py:
            raise LayoutError("Config.%s is at offset %d, ccn_config.%s at %d" % (name, off_py, name, off_c))
    if ctypes.sizeof(cls) != size:
        raise LayoutError("Config has %d bytes, ccn_config %d" % (ctypes.sizeof(cls), size))
    for field, consts in lib.enums.items():
        table = NAMES.get(field)
        if table is None:
            raise LayoutError("ccn.h has constants for ccn_config.%s, which NAMES lacks" % field)
        declared = set()
        for c in consts:
            short = c[4:].lower()
            value = lib.const_values[c]
            if table.get(short) != value:
                raise LayoutError("ccn.h: %s = %d, NAMES['%s'] says %r" % (c, value, field, table.get(short)))
            declared.add(short)
        if config_class is None:
            _UNAVAILABLE[field] = set(table) - declared


_LIBS = {}
_LIBS_LOCK = threading.Lock()


def load_library(precision="float", native=None, verbose=False):
    """The library of this precision, built on first use and cached; its layout checked."""
    flags = tuple(build_flags(precision, native))
    with _LIBS_LOCK:
        lib = _LIBS.get(flags)
        if lib is None:
            path, facts = build_library(precision, native, verbose)
            lib = _Lib(path, facts, precision)
            check_layout(lib)
            _LIBS[flags] = lib
        return lib


# ---- sequences in and out ------------------------------------------------------------------
def _is_numpy(x):
    return _np is not None and isinstance(x, _np.ndarray)


class _Seq:
    """A caller's sequence as a C array of reals: form ('list', 'numpy', 'buffer'), the number
    of steps, a pointer, and whatever keeps the memory alive."""

    __slots__ = ("form", "n", "ptr", "keep", "direct")


def _as_reals(lib, data, width, what, n=None, out=False):
    """data as n rows of width reals (n None: as many as data holds). out: data is to be written,
    where the C array is a copy (direct False) by _write_back after the call; what cannot be
    written (read-only, tuples) is refused before the call."""
    s = _Seq()
    s.direct = False
    real = lib.real
    if _is_numpy(data):
        if out and not data.flags.writeable:
            raise ValueError("%s: the NumPy array is read-only" % what)
        a = _np.ascontiguousarray(data, dtype=_np.float64 if lib.code == "d" else _np.float32)
        s.direct = a is data
        if a.ndim == 2 and a.shape[1] == width:
            rows = a.shape[0]
        elif a.ndim == 1 and (width == 1 or a.shape[0] % width == 0):
            rows = a.shape[0] // width
        else:
            raise ValueError("%s: a NumPy array of shape %s is not rows of %d" % (what, a.shape, width))
        s.form, s.n, s.ptr, s.keep = "numpy", rows, a.ctypes.data, a
    elif isinstance(data, (list, tuple)):
        if out and not isinstance(data, list):
            raise TypeError("%s: a %s cannot be written; a list, a NumPy array or a writable buffer can"
                            % (what, type(data).__name__))
        if data and not isinstance(data[0], numbers.Real):
            for row in data:
                if out and not isinstance(row, list):
                    raise TypeError("%s: a row that is a %s cannot be written; rows that are lists can"
                                    % (what, type(row).__name__))
                if len(row) != width:
                    raise ValueError("%s: a row of %d values, not %d" % (what, len(row), width))
            flat = array.array(lib.code, itertools.chain.from_iterable(data))
        else:
            flat = array.array(lib.code, data)
            if len(flat) % width:
                raise ValueError("%s: %d values are not rows of %d" % (what, len(flat), width))
        s.form, s.n, s.keep = "list", len(flat) // width, flat if len(flat) else array.array(lib.code, [0.0])
        s.ptr = s.keep.buffer_info()[0]  # (a valid pointer for an empty sequence too)
    else:
        try:
            mv = memoryview(data)
        except TypeError:
            raise TypeError("%s: a list of per-step lists, a NumPy array or a buffer of reals, not %s"
                            % (what, type(data).__name__)) from None
        fmt = mv.format.lstrip("@=<")
        if fmt != lib.code or mv.itemsize != ctypes.sizeof(real):
            raise TypeError("%s: a buffer of %s (format '%s'), not format %r, for a %s net" % (
                what, lib.precision, lib.code, mv.format, lib.precision))
        if not mv.c_contiguous:
            raise ValueError("%s: the buffer is not contiguous" % what)
        if out and mv.readonly:
            raise ValueError("%s: the buffer is read-only" % what)
        count = mv.nbytes // mv.itemsize
        if count % width:
            raise ValueError("%s: %d values are not rows of %d" % (what, count, width))
        if mv.readonly:
            keep = (real * count).from_buffer_copy(mv)
        else:
            keep = (real * count).from_buffer(mv.cast("B")) if count else (real * 1)()
            s.direct = True
        s.form, s.n, s.ptr, s.keep = "buffer", count // width, ctypes.addressof(keep), keep
    if n is not None and s.n != n:
        raise ValueError("%s: %d steps, the inputs have %d" % (what, s.n, n))
    return s


def _scalar_or_reals(lib, value, n, what):
    if isinstance(value, numbers.Real):  # (a NumPy scalar too)
        flat = array.array(lib.code, [value]) * max(n, 1)
        s = _Seq()
        s.form, s.n, s.ptr, s.keep = "list", n, flat.buffer_info()[0], flat
        return s
    return _as_reals(lib, value, 1, what, n)


def _new_out(lib, form, n, width, flat_rows):
    """An output array for n rows of width: (object, pointer)."""
    if form == "numpy":
        shape = (n,) if flat_rows else (n, width)
        a = _np.empty(shape, dtype=_np.float64 if lib.code == "d" else _np.float32)
        return a, a.ctypes.data
    a = array.array(lib.code, bytes(n * width * ctypes.sizeof(lib.real)))
    return a, a.buffer_info()[0] if n * width else 0


def _write_back(out, s, rows, width):
    """Copies the first `rows` rows C wrote into s (a copy of out) into out itself."""
    k = rows * width
    if _is_numpy(out):
        if out.ndim == 1:
            out[:k] = s.keep.reshape(-1)[:k]
        else:
            out[:rows] = s.keep[:rows]
    elif out and isinstance(out[0], list):
        values = s.keep.tolist()
        for i in range(rows):
            out[i][:] = values[i * width:(i + 1) * width]
    else:
        out[:k] = s.keep[:k].tolist()


def _rows_of(out, rows, width):
    """The first `rows` rows of the caller's out (what CCNError.outputs holds for it)."""
    if _is_numpy(out) and out.ndim > 1 or isinstance(out, list) and out and isinstance(out[0], list):
        return out[:rows]
    return out[:rows * width]


def _finish_out(obj, form, rows, width, flat_rows):
    """The outputs of the first `rows` steps in the caller's form."""
    if form == "numpy":
        return obj[:rows]
    if form == "buffer":
        return obj[:rows * width] if rows * width != len(obj) else obj
    values = obj.tolist()
    if flat_rows:
        return values[:rows]
    return [values[i * width:(i + 1) * width] for i in range(rows)]


# ---- the net -------------------------------------------------------------------------------
class _Handle:
    """What Net and Batch share: a C handle (_p) closed by close(), on deletion, or at the end
    of a with block; _h() gives it, or ValueError once closed."""

    _what = "handle"

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _h(self):
        if not self._p:
            raise ValueError("the %s is closed" % self._what)
        return self._p


class Net(_Handle):
    """A ccn.h net. Net(n_inputs=3, n_columns=8, kind='lstm', step_size=0.01, ...): keyword
    names as in ccn_config (Config; a Config may be given first instead), precision='float' or
    'double' (which library), native=True for -march=native. kind, method, learner and
    optimizer take names ('lstm', 'rtrl', 'td', 'adam') or the C constants. A refused
    configuration raises CCNError naming the field. close() (or a with block) frees it at once;
    otherwise it is freed with the object."""

    _what = "net"

    _owner = None  # a member of a Batch (Batch.net): the batch, which owns the net

    def __init__(self, config=None, *, precision="float", native=None, **fields):
        self._p = None
        lib = load_library(precision, native)
        if config is None:
            config = Config(**fields)
        elif fields:
            config = Config(**dict(_config_dict(config), **fields))
        elif not isinstance(config, Config):
            config = Config(**_config_dict(config))
        out = ctypes.c_void_p()
        r = lib.create(ctypes.byref(config), None, ctypes.byref(out))
        if r != 0:
            field = ctypes.c_char_p()
            lib.config_check(ctypes.byref(config), ctypes.byref(field))
            raise lib.error(r, "ccn_create", field=field.value.decode() if field.value else None)
        self._adopt(lib, out)

    @classmethod
    def _wrap(cls, lib, handle):
        net = cls.__new__(cls)
        net._p = None
        net._adopt(lib, handle)
        return net

    def _adopt(self, lib, handle):
        self._lib = lib
        self._p = handle.value
        cfg = Config.from_address(lib.get_config(self._p))
        self._m, self._o = cfg.n_inputs, cfg.n_outputs
        R = lib.real
        self._xb, self._yb, self._tb = (R * self._m)(), (R * self._o)(), (R * self._o)()
        self._pred = R()
        self._done = ctypes.c_size_t()
        d = lib.dll
        self._c_step, self._c_learn_step, self._c_td_step = d.ccn_step, d.ccn_learn_step, d.ccn_td_step

    # -- lifetime --
    def close(self):
        """Frees the net now (views from params, grad, state become invalid). A Batch's member
        (Batch.net) is not freed: this Net stops using it, the batch keeps it."""
        if self._p:
            if self._owner is None:
                self._lib.destroy(self._p)
            self._p = None
        self._owner = None


    def _check(self, r, call, **extra):
        if r != 0:
            raise self._lib.error(r, call, **extra)

    def copy(self):
        """An independent copy that continues bit for bit (ccn_copy)."""
        out = ctypes.c_void_p()
        self._check(self._lib.copy(self._h(), None, ctypes.byref(out)), "ccn_copy")
        return Net._wrap(self._lib, out)

    @property
    def config(self):
        """The resolved configuration (a copy: defaults applied)."""
        c = Config()
        ctypes.memmove(ctypes.byref(c), self._lib.get_config(self._h()), ctypes.sizeof(Config))
        return c

    @property
    def precision(self):
        """'float' or 'double': the library's ccn_real."""
        return self._lib.precision

    n_inputs = property(lambda self: self._m, doc="m, the inputs per step")
    n_outputs = property(lambda self: self._o, doc="the outputs per step")

    # -- one step --
    def _x(self, x):
        try:
            self._xb[:] = x
        except (ValueError, TypeError):
            if len(x) != self._m:
                raise ValueError("x has %d entries, the net %d inputs" % (len(x), self._m)) from None
            self._xb[:] = [float(v) for v in x]
        return self._xb

    def _ret(self, like):
        if _is_numpy(like):
            return _np.array(self._yb, dtype=_np.float64 if self._lib.code == "d" else _np.float32)
        return self._yb[:]

    def step(self, x):
        """ccn_step: reads x (n_inputs values), returns the outputs (a list; a NumPy array for
        a NumPy x)."""
        r = self._c_step(self._h(), self._x(x), self._yb)
        if r:
            raise self._lib.error(r, "ccn_step")
        return self._ret(x)

    def learn(self, target):
        """ccn_learn: one optimiser step on 1/2 |y - target|^2 for the last step."""
        self._tb[:] = target
        self._check(self._lib.learn(self._h(), self._tb), "ccn_learn")

    def learn_with_error(self, dl_dy):
        """ccn_learn_with_error: one optimiser step for a given dL/dy."""
        self._tb[:] = dl_dy
        self._check(self._lib.learn_with_error(self._h(), self._tb), "ccn_learn_with_error")

    def learn_step(self, x, target):
        """ccn_learn_step: a step and its update in one call; returns the outputs (before the
        update)."""
        self._tb[:] = target
        r = self._c_learn_step(self._h(), self._x(x), self._tb, self._yb)
        if r:
            raise self._lib.error(r, "ccn_learn_step")
        return self._ret(x)

    def td_step(self, x, cumulant, gamma):
        """ccn_td_step (learner 'td'): feeds x_{t+1} with c_{t+1} and gamma_{t+1}, learns from the
        TD error, returns the new prediction (a float)."""
        r = self._c_td_step(self._h(), self._x(x), cumulant, gamma, ctypes.byref(self._pred))
        if r:
            raise self._lib.error(r, "ccn_td_step")
        return self._pred.value

    # -- sequences --
    def _sequence(self, call, name, xs, extra, width_out, flat_rows, out):
        lib, h = self._lib, self._h()
        seq = _as_reals(lib, xs, self._m, "xs")
        n = seq.n
        args = [s(n) for s in extra]
        if out is None:
            obj, optr = _new_out(lib, seq.form, n, width_out, flat_rows)
        else:
            o = _as_reals(lib, out, width_out, "out", n, out=True)
            optr = o.ptr
        before = lib.step_count(h)
        done = self._done
        r = call(h, n, seq.ptr, *[a.ptr for a in args], optr, ctypes.byref(done))
        # the rows C wrote: every row, or on an error the steps that ran, which are done, and
        # the failing step too when it ran (an output not finite, CCN_ERR_DIVERGED)
        rows = min(n, lib.step_count(h) - before) if r else n
        if out is None:
            res = _finish_out(obj, seq.form, rows, width_out, flat_rows)
        else:
            if not o.direct:
                _write_back(out, o, rows, width_out)
            res = out
        if r:
            raise lib.error(r, name, done=done.value, outputs=res if out is None else _rows_of(out, rows, width_out))
        return res

    def run(self, xs, targets, out=None):
        """ccn_learn_steps: n steps, learning at each (n calls of learn_step, the same bits).
        xs: n rows of n_inputs; targets: n rows of n_outputs; returns the n outputs (each
        before its step's update) in xs's form: a list of lists, a NumPy array (n x n_outputs),
        or a flat array.array. out: an array (NumPy, a writable buffer, a list) to write them
        into instead, and returned. On an error, CCNError with done (the steps that
        succeeded) and outputs (the rows written). A bad input or target is found before its
        step: the failing step did not run. An output that is not finite or CCN_ERR_DIVERGED
        comes after the failing step ran, without its update: its row is in outputs."""
        lib = self._lib
        return self._sequence(lib.dll.ccn_learn_steps, "ccn_learn_steps", xs,
                              [lambda n: _as_reals(lib, targets, self._o, "targets", n)], self._o, False, out)

    def predict(self, xs, out=None):
        """ccn_steps: n steps without learning (n calls of step); returns the n outputs as run."""
        return self._sequence(self._lib.dll.ccn_steps, "ccn_steps", xs, [], self._o, False, out)

    def run_td(self, xs, cumulants, gammas, out=None):
        """ccn_td_steps (learner 'td'): n calls of td_step. cumulants and gammas: n values each
        (a gamma may be one number for every step); returns the n predictions: a list of
        floats, a 1-D NumPy array, or an array.array, as xs. out and errors as run's (a bad
        input, cumulant or gamma: the failing step did not run; CCN_ERR_DIVERGED: it ran)."""
        lib = self._lib
        return self._sequence(lib.dll.ccn_td_steps, "ccn_td_steps", xs,
                              [lambda n: _scalar_or_reals(lib, cumulants, n, "cumulants"),
                               lambda n: _scalar_or_reals(lib, gammas, n, "gammas")], 1, True, out)

    # -- state, stages, health --
    def reset_state(self):
        """Zeroes the recurrent state, traces and eligibility (ccn_reset_state)."""
        self._lib.reset_state(self._h())

    def next_stage(self):
        """Freezes the current stage and starts the next (CCNError CCN_ERR_NO_MORE_STAGES on the last)."""
        self._check(self._lib.next_stage(self._h()), "ccn_next_stage")

    stage = property(lambda self: self._lib.stage(self._h()), doc="the current (learning) stage")
    stage_count = property(lambda self: self._lib.stage_count(self._h()), doc="the number of stages")
    active_columns = property(lambda self: self._lib.active_columns(self._h()), doc="columns started so far")
    step_count = property(lambda self: self._lib.step_count(self._h()), doc="steps since creation")
    td_error = property(lambda self: self._lib.td_error(self._h()), doc="the last TD error")
    param_count = property(lambda self: self._lib.param_count(self._h()), doc="the number of parameters")
    readout_offset = property(lambda self: self._lib.readout_offset(self._h()), doc="index of W_out in params")

    def nonfinite_count(self):
        """How many of the reals the net keeps are NaN or infinite (ccn_nonfinite_count)."""
        return self._lib.nonfinite_count(self._h())

    def trace_max(self):
        """The largest |trace| (ccn_trace_max)."""
        return self._lib.trace_max(self._h())

    def set_step_size(self, step_size):
        """Changes alpha from now on (ccn_set_step_size)."""
        self._check(self._lib.set_step_size(self._h(), step_size), "ccn_set_step_size")

    def set_flush_subnormals(self, on):
        """Flushes subnormals to zero in this net's calls (x86-64; ccn_set_flush_subnormals)."""
        self._check(self._lib.set_flush_subnormals(self._h(), int(on)), "ccn_set_flush_subnormals")

    def _view(self, ptr, count, readonly=False):
        if not ptr:
            return None
        arr = (self._lib.real * count).from_address(ptr)
        arr._net = self  # the view keeps the net alive (close() still frees it)
        if _np is not None:
            a = _np.ctypeslib.as_array(arr)
            a.flags.writeable = not readonly
            return a
        mv = memoryview(arr).cast("B").cast(self._lib.code)
        return mv.toreadonly() if readonly else mv

    @property
    def params(self):
        """The parameters (ccn.h's PARAMETER LAYOUT), writable, without a copy: a NumPy array
        when NumPy is in use, else a memoryview. Valid while the net is open."""
        return self._view(self._lib.params(self._h()), self.param_count)

    @property
    def grad(self):
        """The gradient buffer (writable, no copy), None for method 'forward'."""
        return self._view(self._lib.grad(self._h()), self.param_count)

    @property
    def state(self):
        """h, the columns' states (read-only view)."""
        return self._view(self._lib.state(self._h()), self.config.n_columns, readonly=True)

    @property
    def output(self):
        """y of the last step (read-only view)."""
        return self._view(self._lib.output(self._h()), self._o, readonly=True)

    # -- saving and loading --
    def save(self, path=None):
        """Saves the whole net: to the file at path, or, without one, returns the bytes."""
        h = self._h()
        if path is not None:
            self._check(self._lib.save_file(h, os.fsencode(path)), "ccn_save_file")
            return None
        size = self._lib.saved_size(h)
        buf = ctypes.create_string_buffer(size)
        written = ctypes.c_size_t()
        self._check(self._lib.save_to_memory(h, buf, size, ctypes.byref(written)), "ccn_save_to_memory")
        return buf.raw[:written.value]

    @classmethod
    def load(cls, source, precision=None, native=None):
        """A net from saved bytes (bytes, bytearray, memoryview) or a path (str, os.PathLike;
        one that does not open: CCNError CCN_ERR_OPEN, as save). precision None: the file's own
        real size; 'float' or 'double' converts (ccn.h's SAVING AND LOADING)."""
        if isinstance(source, (str, os.PathLike)):
            path = os.fsencode(source)
            try:
                with open(path, "rb") as f:
                    head = f.read(16)
            except OSError:
                head = b""  # ccn_load_file says why (CCN_ERR_OPEN), as ccn_save_file does
            data = None
        else:
            data = bytes(source)
            head = data[:16]
        if precision is None:
            precision = "double" if len(head) >= 16 and head[12] == 8 else "float"
        lib = load_library(precision, native)
        out = ctypes.c_void_p()
        if data is None:
            r, call = lib.load_file(path, None, ctypes.byref(out)), "ccn_load_file"
        else:
            r, call = lib.load_from_memory(data, len(data), None, ctypes.byref(out)), "ccn_load_from_memory"
        if r != 0:
            raise lib.error(r, call)
        return cls._wrap(lib, out)

    def __repr__(self):
        if not self._p:
            return "<ccn.Net closed>"
        return "<ccn.Net %s%s %r>" % (self.precision, " (a batch's member)" if self._owner else "", self.config)


# ---- batches --------------------------------------------------------------------------------
# The fields a batch's nets agree in (ccn.h's CCN__BATCH_SHAPE, which tests/test_python.py reads
# and compares with this): used only to name the field a CCN_ERR_BAD_BATCH from Batch() is about.
BATCH_SHAPE = ("n_inputs", "n_outputs", "n_columns", "kind", "method", "feature_layers", "feature_width",
               "feedforward", "columns_per_stage", "steps_per_stage", "learner")


def _batch_create_error(lib, r, cfgs):
    """The CCNError of a refused ccn_batch_create: the configuration it is about (index) and,
    for CCN_ERR_BAD_BATCH, the first field of BATCH_SHAPE in which it differs from configs[0];
    for a configuration ccn_create refuses, the field ccn_config_check names."""
    if r == lib.const_values.get("CCN_ERR_BAD_BATCH"):
        first = None
        for i, c in enumerate(cfgs):
            resolved = Config()
            if lib.config_resolve(ctypes.byref(c), ctypes.byref(resolved)) != 0:
                break
            if first is None:
                first = resolved
                continue
            for f in BATCH_SHAPE:
                if getattr(resolved, f) != getattr(first, f):
                    return lib.error(r, "ccn_batch_create", field=f, index=i)
        return lib.error(r, "ccn_batch_create")
    for i, c in enumerate(cfgs):
        field = ctypes.c_char_p()
        if lib.config_check(ctypes.byref(c), ctypes.byref(field)) != 0:
            return lib.error(r, "ccn_batch_create", field=field.value.decode() if field.value else None, index=i)
    return lib.error(r, "ccn_batch_create")


def _batch_rows(lib, data, width, what, n):
    s = _as_reals(lib, data, width, what)
    if s.n != n:
        raise ValueError("%s: %d rows, the batch has %d nets" % (what, s.n, n))
    return s


class Batch(_Handle):
    """ccn.h's batch (ccn_batch_*): many nets of one shape stepped together by one C call, each
    net with the bits its own per-net calls give it. Batch(configs, precision='float',
    native=None): configs a list of Config or dicts (keyword names as Net's), net i made from
    configs[i]; they agree in the fields of BATCH_SHAPE (a refusal: CCNError
    CCN_ERR_BAD_BATCH naming the field and the configuration, index) and may differ in the
    others (seed, step size, optimiser, normalisation, ...).

    len(batch) nets; batch[i] (or batch.net(i)) is net i as a Net that does not own it: every
    Net call takes it (td_step alone, save, params, copy, set_step_size, ...), and it keeps the
    batch alive. step(xs), learn_step(xs, targets), td_step(xs, cumulants, gammas): row i of
    each array is net i's, in the forms Net.run takes (a list of per-net lists, a NumPy array,
    a flat buffer of the library's reals); they return the outputs (len(batch) x n_outputs;
    td_step: len(batch) predictions) in the same form, or write them into out=. Arguments any
    row refuses (a NaN input, a gamma outside [0, 1], ...) raise CCNError and change no net; a
    failure a net's own step reveals (an output not finite, CCN_ERR_DIVERGED) is that net's
    alone, the others step on: CCNError names the first such net (index), carries every net's
    result name (results, as results() returns them) and the outputs. set(i, net): net i
    becomes a copy of net (e.g. Net.load of bytes net i saved); it frees net i's old arrays, so
    params/grad/state views taken from batch[i] before are invalid after (batch[i] itself
    follows). close() or a with block frees the batch and its nets."""

    _what = "batch"

    def __init__(self, configs, *, precision="float", native=None):
        self._p = None
        self._views = {}
        lib = load_library(precision, native)
        cfgs = [c if isinstance(c, Config) else Config(**_config_dict(c)) for c in configs]
        out = ctypes.c_void_p()
        r = lib.batch_create((Config * max(len(cfgs), 1))(*cfgs), len(cfgs), None, ctypes.byref(out))
        if r != 0:
            raise _batch_create_error(lib, r, cfgs)
        self._lib, self._p, self._n = lib, out.value, len(cfgs)
        first = Config.from_address(lib.get_config(lib.batch_net(self._p, 0)))
        self._m, self._o = first.n_inputs, first.n_outputs
        R, n = lib.real, self._n
        self._xb, self._tb, self._yb = (R * (n * self._m))(), (R * (n * self._o))(), (R * (n * self._o))()
        self._cb, self._gb = (R * n)(), (R * n)()
        self._packs = {w: struct.Struct("%d%s" % (n * w, lib.code)) for w in {1, self._m, self._o}}
        self._dtype = None if _np is None else _np.dtype(_np.float64 if lib.code == "d" else _np.float32)
        d = lib.dll
        self._c_step, self._c_learn_step = d.ccn_batch_step, d.ccn_batch_learn_step
        self._c_td_step = d.ccn_batch_td_step

    # -- lifetime --
    def close(self):
        """Frees the batch and its nets now; its members' Net views are closed."""
        if self._p:
            for ref in self._views.values():
                v = ref()
                if v is not None and v._owner is self:
                    v._p, v._owner = None, None
            self._views.clear()
            self._lib.batch_destroy(self._p)
            self._p = None


    # -- members --
    def __len__(self):
        return self._n

    def _index(self, i):
        if not isinstance(i, numbers.Integral):
            raise TypeError("a batch's nets are indexed by integers, not %s" % type(i).__name__)
        j = int(i) + self._n if i < 0 else int(i)
        if not 0 <= j < self._n:
            raise IndexError("net %d of a batch of %d" % (i, self._n))
        return j

    def net(self, i):
        """Net i (ccn_batch_net) as a Net that does not own it (close() leaves the net to the
        batch); the same Net while it is open."""
        j, h = self._index(i), self._h()
        ref = self._views.get(j)
        v = ref() if ref is not None else None
        if v is None or not v._p:
            v = Net.__new__(Net)
            v._p = None
            v._adopt(self._lib, ctypes.c_void_p(self._lib.batch_net(h, j)))
            v._owner = self
            self._views[j] = weakref.ref(v)
        return v

    __getitem__ = net

    def __iter__(self):
        return (self.net(i) for i in range(self._n))

    def set(self, i, net):
        """Net i becomes an independent copy of net, a Net of the batch's shape (ccn_batch_set;
        CCNError CCN_ERR_BAD_BATCH otherwise, net i unchanged). A net of another library of the
        same precision (native) goes through its saved bytes; another precision is refused
        (convert it: Net.load(net.save(), precision=...))."""
        j, h = self._index(i), self._h()
        if not isinstance(net, Net):
            raise TypeError("Batch.set takes a ccn.Net, not %s" % type(net).__name__)
        src, tmp = net._h(), None
        if net._lib is not self._lib:
            if net.precision != self.precision:
                raise ValueError("a %s net into a %s batch: convert it with Net.load(net.save(), precision=%r)"
                                 % (net.precision, self.precision, self.precision))
            data = net.save()
            out = ctypes.c_void_p()
            r = self._lib.load_from_memory(data, len(data), None, ctypes.byref(out))
            if r:
                raise self._lib.error(r, "ccn_load_from_memory")
            src = tmp = out.value
        try:
            r = self._lib.batch_set(h, j, src)
        finally:
            if tmp:
                self._lib.destroy(tmp)
        if r:
            raise self._lib.error(r, "ccn_batch_set", index=j)
        ref = self._views.get(j)
        v = ref() if ref is not None else None
        if v is not None and v._p:
            v._adopt(self._lib, ctypes.c_void_p(self._lib.batch_net(h, j)))

    def results(self):
        """Each net's result in the last batch call, by name ('CCN_OK' before any; a call
        refused on its arguments gives every net its error)."""
        lib, h = self._lib, self._h()
        return [lib.result_names.get(r, "ccn_result %d" % r) for r in (lib.batch_result(h, i) for i in range(self._n))]

    @property
    def precision(self):
        """'float' or 'double': the library's ccn_real."""
        return self._lib.precision

    n_inputs = property(lambda self: self._m, doc="m, each net's inputs per step")
    n_outputs = property(lambda self: self._o, doc="each net's outputs per step")

    # -- steps --
    # Python's cost of a call is the point of a batch, so the common forms take short ways: a
    # list of per-net lists (or a flat list) is packed into the batch's own C arrays; an
    # array.array or a C-contiguous NumPy array of the library's reals, of the right size, is
    # passed as it is; one number (a gamma) fills an array. Anything else goes through
    # _as_reals as Net.run's arguments do (conversions, and the messages of what is refused).
    def _in(self, data, buf, width, what):
        """data, n rows of width, as a C array: (the argument, its form, what keeps it alive)."""
        n = self._n
        t = type(data)
        if t is list:
            pack = self._packs[width]
            try:
                if data and type(data[0]) is list:
                    if len(data) == n and set(map(len, data)) == {width}:
                        pack.pack_into(buf, 0, *itertools.chain.from_iterable(data))
                        return buf, "list", None
                elif len(data) == n * width:
                    pack.pack_into(buf, 0, *data)
                    return buf, "list", None
            except (struct.error, TypeError, OverflowError):  # (_as_reals says why, or converts them)
                pass
        elif t is float or t is int:
            if width == 1:
                buf[:] = [data] * n
                return buf, "list", None
        elif t is array.array:
            if data.typecode == self._lib.code and len(data) == n * width:
                return data.buffer_info()[0], "buffer", data
        elif _np is not None and t is _np.ndarray and data.dtype == self._dtype and data.flags.c_contiguous and \
                (data.shape == (n, width) or width == 1 and data.shape == (n,)):
            return data.ctypes.data, "numpy", data
        if width == 1 and isinstance(data, numbers.Real):  # (a NumPy scalar)
            s = _scalar_or_reals(self._lib, data, n, what)
        else:
            s = _batch_rows(self._lib, data, width, what, n)
        return s.ptr, s.form, s

    def _call(self, fn, name, args, width, flat, out):
        """One batch call: args [(data, buffer, width, name)], xs first; the outputs (n rows of
        width, flat: n values) in xs's form, or written into out."""
        lib, h, n = self._lib, self._h(), self._n
        ins = [self._in(*a) for a in args]  # (kept until the call returns: the arrays C reads)
        form = ins[0][1]
        o = None
        if out is not None:
            if type(out) is array.array and out.typecode == lib.code and len(out) == n * width:
                optr = out.buffer_info()[0]
            elif _np is not None and type(out) is _np.ndarray and out.dtype == self._dtype and out.flags.c_contiguous \
                    and out.flags.writeable and (out.shape == (n, width) or flat and out.shape == (n,)):
                optr = out.ctypes.data
            else:
                o = _as_reals(lib, out, width, "out", out=True)
                if o.n != n:
                    raise ValueError("out: %d rows, the batch has %d nets" % (o.n, n))
                optr = o.ptr
        elif form == "list":
            optr = self._yb
        else:
            obj, optr = _new_out(lib, form, n, width, flat)
        r = fn(h, *[i[0] for i in ins], optr)
        if out is not None:
            if o is not None and not o.direct:
                _write_back(out, o, n, width)
            res = out
        elif form == "list":
            res = self._yb[:]
            if not flat:
                res = [res[i * width:(i + 1) * width] for i in range(n)]
        else:
            res = _finish_out(obj, form, n, width, flat)
        if r:
            results = self.results()
            first = next((i for i in range(n) if results[i] != "CCN_OK"), None)
            raise lib.error(r, name, index=first, results=results, outputs=res)
        return res

    def step(self, xs, out=None):
        """ccn_batch_step: net i steps on row i of xs (len(batch) rows of n_inputs); returns
        the outputs (len(batch) rows of n_outputs) in xs's form, or writes them into out."""
        return self._call(self._c_step, "ccn_batch_step", [(xs, self._xb, self._m, "xs")], self._o, False, out)

    def learn_step(self, xs, targets, out=None):
        """ccn_batch_learn_step: each net's learn_step on its row of xs and of targets;
        returns the outputs (each before its net's update) as step."""
        return self._call(self._c_learn_step, "ccn_batch_learn_step",
                          [(xs, self._xb, self._m, "xs"), (targets, self._tb, self._o, "targets")], self._o, False, out)

    def td_step(self, xs, cumulants, gammas, out=None):
        """ccn_batch_td_step (learner 'td'): each net's td_step on its row of xs, its cumulant
        and its gamma (cumulants, gammas: len(batch) values, or one number for every net);
        returns the len(batch) predictions: a list of floats, a 1-D NumPy array or an
        array.array, as xs, or writes them into out."""
        return self._call(self._c_td_step, "ccn_batch_td_step",
                          [(xs, self._xb, self._m, "xs"), (cumulants, self._cb, 1, "cumulants"),
                           (gammas, self._gb, 1, "gammas")], 1, True, out)

    def __repr__(self):
        if not self._p:
            return "<ccn.Batch closed>"
        return "<ccn.Batch of %d %s nets, %d inputs, %d outputs>" % (self._n, self.precision, self._m, self._o)


def _config_dict(config):
    if isinstance(config, Config):
        return config.as_dict()
    return dict(config)


class Rng:
    """ccn.h's generator (xoshiro256** seeded by splitmix64): the stream every ccn.h net and
    example draws from, identical on every platform."""

    class _State(ctypes.Structure):
        _fields_ = [("s", ctypes.c_uint64 * 4)]

    def __init__(self, seed=0):
        self._lib = load_library("float")
        self._s = Rng._State()
        self._ref = ctypes.byref(self._s)
        self._uniform = self._lib.rng_uniform
        self._lib.rng_seed(self._ref, seed)

    def next(self):
        """The next 64-bit integer (ccn_rng_next)."""
        return self._lib.rng_next(self._ref)

    def uniform(self):
        """A double in [0, 1) (ccn_rng_uniform)."""
        return self._uniform(self._ref)


# ---- self-test ------------------------------------------------------------------------------
def _self_test():
    ok = True
    for precision in ("float", "double"):
        lib = load_library(precision, verbose=True)
        print("ccn.py: %s library %s (ccn.h version %d, NumPy %s)" % (
            precision, lib.path, lib.version(), "in use" if numpy_enabled() else "not in use"))
        xs = [[((t * 7 + j * 3) % 5) * 0.3 - 0.5 for j in range(3)] for t in range(200)]
        ts = [[(t % 3) - 1.0] for t in range(200)]
        kw = dict(n_inputs=3, n_columns=6, kind="lstm", step_size=0.01, optimizer="adam", seed=1, precision=precision)
        with Net(**kw) as a, Net(**kw) as b:
            per_step = [a.learn_step(x, t) for x, t in zip(xs, ts)]
            seq = b.run(xs, ts)
            same = per_step == seq and a.save() == b.save()
            print("  run == 200 learn_step calls, bit for bit: %s" % same)
            ok &= same
        cfgs = [dict(kw, seed=seed) for seed in (1, 2)]
        for c in cfgs:
            del c["precision"]
        with Batch(cfgs, precision=precision) as batch, Net(**dict(kw, seed=1)) as a, Net(**dict(kw, seed=2)) as b:
            rows = [batch.learn_step([x, x[::-1]], [t, t]) for x, t in zip(xs, ts)]
            alone = [[a.learn_step(x, t), b.learn_step(x[::-1], t)] for x, t in zip(xs, ts)]
            same = rows == alone and [batch[0].save(), batch[1].save()] == [a.save(), b.save()]
            print("  a Batch of 2 == each net's own learn_step calls, bit for bit: %s" % same)
            ok &= same
        try:
            with Net(**kw) as a:
                a.step([float("nan"), 0, 0])
            ok = False
        except CCNError as e:
            print("  a NaN input raises CCNError: %s" % e)
            ok &= e.name == "CCN_ERR_NOT_FINITE"
    print("ccn.py self-test: %s" % ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        sys.exit(_self_test())
    print(__doc__)
    print("usage: python3 ccn.py --self-test    (builds the libraries, checks them against per-step calls)")
