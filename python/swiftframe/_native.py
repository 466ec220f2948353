"""The only module that touches ctypes: loads libswiftframe.so, checks its ABI
version, declares every sf_ signature once, and turns statuses into exceptions."""

import ctypes
import os
import pathlib
import signal
import threading

import numpy as np

from ._progress import reporter

ABI_MAJOR = 0

# SF_DTYPE_* codes, by the header's names.
DTYPES = {1: "bool", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "uint8", 7: "uint16",
          8: "uint32", 9: "uint64", 10: "float32", 11: "float64", 12: "date32",
          13: "timestamp_s", 14: "timestamp_ms", 15: "timestamp_us", 16: "timestamp_ns",
          17: "duration_s", 18: "duration_ms", 19: "duration_us", 20: "duration_ns",
          21: "string", 22: "large_string"}
STRING_CODES = {21, 22}
# numpy's dtype name of each fixed-width code (temporal types are numpy's datetime64 and
# timedelta64); strings come back as object arrays.
_UNITS = ["s", "ms", "us", "ns"]
NUMPY_NAMES = {**{code: DTYPES[code] for code in range(1, 12)}, 12: "datetime64[D]",
               **{13 + i: f"datetime64[{u}]" for i, u in enumerate(_UNITS)},
               **{17 + i: f"timedelta64[{u}]" for i, u in enumerate(_UNITS)},
               21: "object", 22: "object"}
# numpy dtype name -> code, for the fixed-width types numpy arrays can hold.
DTYPE_CODES = {name: code for code, name in NUMPY_NAMES.items() if code not in STRING_CODES}
DATE32 = 12  # int32 days in the engine, 8-byte datetime64[D] in numpy: converted at the edge


def numpy_dtype(code):
    """numpy's dtype for values of the SF_DTYPE_* `code`."""
    return np.dtype(NUMPY_NAMES[code])


def numpy_dtype_named(name):
    """numpy's dtype for the engine's dtype name (numpy's names, and `string`/`large_string`)."""
    return np.dtype(object) if name in ("string", "large_string") else np.dtype(name)

# SF_AGG_* codes.
AGGREGATES = {"count": 0, "sum": 1, "mean": 2, "var": 3, "std": 4, "min": 5, "max": 6,
              "first": 7, "last": 8, "any": 9, "all": 10, "skew": 11, "kurtosis": 12, "nunique": 13,
              "covariance": 14, "correlation": 15, "mode": 16}
SELECTION_MODES = {"replace": 0, "and": 1, "or": 2, "xor": 3, "subtract": 4}  # SF_SELECT_*

# SF_ERR_* status codes and the Python exceptions they raise (see DESIGN.md).
ERRORS = {1: ValueError, 2: SyntaxError, 3: TypeError, 4: OSError, 5: ValueError,
          6: MemoryError, 7: KeyboardInterrupt, 8: NameError, 9: FileNotFoundError}


def _candidates():
    env = os.environ.get("SWIFTFRAME_LIB")
    if env:
        yield pathlib.Path(env)
        return
    here = pathlib.Path(__file__).resolve().parent
    yield here / "libswiftframe.so"
    repo = here.parent.parent
    for config in ("release", "debug"):
        yield repo / ".build" / config / "libswiftframe.so"


def _load():
    tried = []
    for path in _candidates():
        if path.exists():
            return ctypes.CDLL(str(path))
        tried.append(str(path))
    raise ImportError("libswiftframe.so not found (set SWIFTFRAME_LIB or build it with "
                      "`swift build -c release`); looked in: " + ", ".join(tried))


lib = _load()


class Scalar(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int32), ("is_null", ctypes.c_int32), ("bits", ctypes.c_uint64)]


PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_double)

_p = ctypes.c_void_p
_s = ctypes.c_char_p
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_SIGNATURES = {
    "sf_abi_version": (_i32, []),
    "sf_last_error": (_s, []),
    "sf_string_free": (None, [_p]),
    "sf_buffer_free": (None, [_p]),
    "sf_pass_count": (_i64, []),
    "sf_frame_open": (_i32, [_s, ctypes.POINTER(_p)]),
    "sf_frame_from_arrays": (_i32, [_i64, _i32, ctypes.POINTER(_s), ctypes.POINTER(_i32), ctypes.POINTER(_p),
                                    ctypes.POINTER(_p)]),
    "sf_frame_open_many": (_i32, [_i32, ctypes.POINTER(_s), ctypes.POINTER(_p)]),
    "sf_frame_concat": (_i32, [_i32, ctypes.POINTER(_p), ctypes.POINTER(_p)]),
    "sf_frame_release": (None, [_p]),
    "sf_frame_copy": (_i32, [_p, ctypes.POINTER(_p)]),
    "sf_frame_trim": (_i32, [_p, ctypes.POINTER(_p)]),
    "sf_frame_columns_json": (_i32, [_p, ctypes.POINTER(_p)]),
    "sf_frame_add_virtual_column": (_i32, [_p, _s, _s]),
    "sf_frame_select": (_i32, [_p, _s, _s, _i32]),
    "sf_frame_select_nothing": (_i32, [_p, _s]),
    "sf_frame_selections_json": (_i32, [_p, ctypes.POINTER(_p)]),
    "sf_frame_filter": (_i32, [_p, _s, ctypes.POINTER(_p)]),
    "sf_frame_rename": (_i32, [_p, _s, _s]),
    "sf_frame_state_get": (_i32, [_p, ctypes.POINTER(_p)]),
    "sf_frame_state_set": (_i32, [_p, _s, _i32]),
    "sf_frame_select_columns": (_i32, [_p, _i32, ctypes.POINTER(_s), ctypes.POINTER(_p)]),
    "sf_frame_slice": (_i32, [_p, _i64, _i64, ctypes.POINTER(_p)]),
    "sf_frame_length": (_i32, [_p, PROGRESS, _p, ctypes.POINTER(_i64)]),
    "sf_frame_unique": (_i32, [_p, _s, PROGRESS, _p, ctypes.POINTER(_p)]),
    "sf_frame_category_labels": (_i32, [_p, _s, ctypes.POINTER(_i64), ctypes.POINTER(_p)]),
    "sf_frame_dtype": (_i32, [_p, _s, ctypes.POINTER(_i32)]),
    "sf_frame_aggregate": (_i32, [_p, _i32, ctypes.POINTER(_i32), ctypes.POINTER(_s), ctypes.POINTER(_s),
                                  ctypes.POINTER(_s), PROGRESS, _p, ctypes.POINTER(Scalar)]),
    "sf_frame_aggregate_binned": (_i32, [_p, _i32, ctypes.POINTER(_i32), ctypes.POINTER(_s), ctypes.POINTER(_s),
                                         ctypes.POINTER(_s), _i32,
                                         ctypes.POINTER(_s), ctypes.POINTER(ctypes.c_double),
                                         ctypes.POINTER(ctypes.c_double), ctypes.POINTER(_i64), PROGRESS, _p,
                                         ctypes.POINTER(Scalar)]),
    "sf_frame_groupby": (_i32, [_p, _i32, ctypes.POINTER(_s), ctypes.POINTER(_s), _i32, ctypes.POINTER(_i32),
                                ctypes.POINTER(_s), ctypes.POINTER(_s), ctypes.POINTER(_s), ctypes.POINTER(_s),
                                PROGRESS, _p,
                                ctypes.POINTER(_p)]),
    "sf_frame_aggregate_partial": (_i32, [_p, _i32, ctypes.POINTER(_i32), ctypes.POINTER(_s), ctypes.POINTER(_s),
                                          ctypes.POINTER(_s), PROGRESS, _p, ctypes.POINTER(_p), ctypes.POINTER(_i64)]),
    "sf_frame_aggregate_binned_partial": (_i32, [_p, _i32, ctypes.POINTER(_i32), ctypes.POINTER(_s),
                                                 ctypes.POINTER(_s), ctypes.POINTER(_s), _i32, ctypes.POINTER(_s),
                                                 ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
                                                 ctypes.POINTER(_i64), PROGRESS, _p, ctypes.POINTER(_p),
                                                 ctypes.POINTER(_i64)]),
    "sf_frame_groupby_partial": (_i32, [_p, _i32, ctypes.POINTER(_s), ctypes.POINTER(_s), _i32, ctypes.POINTER(_i32),
                                        ctypes.POINTER(_s), ctypes.POINTER(_s), ctypes.POINTER(_s), ctypes.POINTER(_s),
                                        PROGRESS, _p, ctypes.POINTER(_p), ctypes.POINTER(_i64)]),
    "sf_partials_merge": (_i32, [_i32, ctypes.POINTER(_p), ctypes.POINTER(_i64), ctypes.POINTER(_p),
                                 ctypes.POINTER(_i64)]),
    "sf_partials_finish": (_i32, [_p, _i64, _i64, ctypes.POINTER(Scalar)]),
    "sf_partials_finish_groupby": (_i32, [_p, _i64, ctypes.POINTER(_p)]),
    "sf_frame_evaluate": (_i32, [_p, _s, _i64, _i64, _i32, _p, _p, PROGRESS, _p, ctypes.POINTER(_i64)]),
    "sf_frame_write_arrow": (_i32, [_p, _s, _i32, ctypes.POINTER(_s), PROGRESS, _p]),
    "sf_frame_evaluate_strings": (_i32, [_p, _s, _i64, _i64, _p, _p, PROGRESS, _p, ctypes.POINTER(_p),
                                         ctypes.POINTER(_i64), ctypes.POINTER(_i64)]),
    "sf_frame_column_data": (_i32, [_p, _s, ctypes.POINTER(_p), ctypes.POINTER(_i64)]),
    "sf_frame_dictionary_indices": (_i32, [_p, _s, _i64, _i64, _p, _p, PROGRESS, _p, ctypes.POINTER(_i64)]),
    "sf_frame_export_arrow": (_i32, [_p, _i32, ctypes.POINTER(_s), ctypes.POINTER(_s), _i64, _i32, _p]),
    "sf_frame_from_arrow_stream": (_i32, [_p, ctypes.POINTER(_p)]),
    "sf_arrow_live_exports": (_i64, []),
    "sf_arrow_live_imports": (_i64, []),
    "sf_csv_convert": (_i32, [_s, _s, _s, PROGRESS, _p]),
}
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.restype = _restype
    _f.argtypes = _argtypes

_version = lib.sf_abi_version()
if _version // 10000 != ABI_MAJOR:
    raise ImportError(f"libswiftframe.so has ABI version {_version}, this package needs {ABI_MAJOR}.x")

NO_PROGRESS = PROGRESS()


def expression_arrays(texts):
    """(expressions, seconds) C arrays for the aggregate functions from texts, None
    (count of rows) or Pairs (statistics of two expressions); seconds is None when no
    statistic takes a second expression."""
    firsts = [getattr(t, "first", t) for t in texts]
    seconds = [getattr(t, "second", None) for t in texts]
    return strings(firsts), (strings(seconds) if any(s is not None for s in seconds) else None)


def progress_callback(progress):
    """(callback, state) for a pass. `progress`: None (then swiftframe.settings.progress),
    False, True (a bar: tqdm when installed, else text on stderr) or a callable
    `progress(fraction)` whose False return, or raising, cancels the pass. Whatever
    `progress` is, the engine calls the callback on the calling thread every 50 ms, so
    Ctrl-C cancels the pass (see _on_sigint); what the callback raised is kept in `state`
    for check_pass to raise again. Keep the callback alive for the call."""
    state = _PassState(reporter(progress))
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler \
            and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
    return PROGRESS(_callback(state)), state


def _callback(state):
    report = state.report

    def call(_ctx, fraction):
        global _interrupted
        try:
            if _interrupted:
                _interrupted = False
                raise KeyboardInterrupt
            return 1 if report is not None and report(fraction) is False else 0
        except BaseException as e:  # Ctrl-C or an error in the callback: stop the pass
            state.append(e)
            return 1
    return call


# Ctrl-C during a pass. CPython runs signal handlers on the main thread at the start of
# the next Python frame, which during a pass is the progress callback's: a
# KeyboardInterrupt raised there, before its `try`, would be printed and lost by ctypes.
# So the first pass replaces Python's default SIGINT handler (never one the user set) by
# this one, which only flags Ctrl-C when it lands on the callback's first line (the
# callback then cancels the pass) and anywhere else raises KeyboardInterrupt as the
# default handler does. It stays in place: swapping it per pass costs more than a small pass.
_interrupted = False


def _on_sigint(signum, frame):
    global _interrupted
    if frame is not None and frame.f_code is _CALLBACK_CODE:
        _interrupted = True
        return
    signal.default_int_handler(signum, frame)


class _PassState(list):
    """What a progress callback raised during a pass, and its reporter (closed by check_pass)."""

    def __init__(self, report):
        super().__init__()
        self.report = report


_CALLBACK_CODE = _callback(_PassState(None)).__code__


def check_pass(status, errors):
    """check(status), raising first what a progress callback raised during the pass;
    closes the pass' progress bar."""
    global _interrupted
    if _interrupted:  # flagged and not yet seen by a callback: raise it now
        _interrupted = False
        errors.append(KeyboardInterrupt())
    close = getattr(getattr(errors, "report", None), "close", None)
    if close is not None:
        close()
    if errors:
        raise errors[0]
    check(status)


def check(status):
    """Raises the exception for a non-zero status, with the engine's message."""
    if status != 0:
        message = lib.sf_last_error().decode("utf-8", "replace")
        raise ERRORS.get(status, RuntimeError)(message)


def encode(text):
    return text.encode("utf-8")


def strings(items):
    """A C array of UTF-8 strings (None stays NULL); keep the result alive during the call."""
    return (ctypes.c_char_p * max(1, len(items)))(*[None if s is None else encode(s) for s in items])


def take_string(pointer):
    """Reads and frees a string the library handed over."""
    try:
        return ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.sf_string_free(pointer)


def pass_count():
    """Passes over data made by the engine since it was loaded (for profiling and tests)."""
    return lib.sf_pass_count()
