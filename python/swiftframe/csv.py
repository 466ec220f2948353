"""Reading CSV files: converted by the engine, out of core and in parallel, to an
Arrow IPC file that is then memory-mapped like any other."""

import ctypes
import json
import os
import shutil
import tempfile

from . import _native
from ._native import check, lib
from .dataframe import DataFrame


def from_csv(path, convert=False, sep=",", header=True, usecols=None, dtype=None, progress=None,
             block_size=None, sample_rows=None):
    """Opens a CSV file by converting it to Arrow IPC with the Swift engine (no pandas).

    The CSV is memory-mapped and converted in parallel blocks, each written as one
    record batch, so memory stays bounded (about threads x 8 MB x a small factor)
    whatever the file's size.

    convert: ``False`` converts to a temporary Arrow file that lives as long as the
        frames made from it (it is deleted when the last one is garbage collected);
        ``True`` writes ``<path>.arrow`` beside the CSV, as vaex names its converted
        files (``data.csv`` -> ``data.csv.arrow``); a string names the Arrow file.
        A converted file is reused while it is not older than the CSV (file times
        have a coarse clock, so "written in the same tick" counts as newer; the
        options it was made with are not recorded: delete it after changing them).
    sep: the one-byte field separator (``","``, ``";"``, ``"\\t"`` ...).
    header: whether the first line names the columns; without it they are f0, f1, ...
    usecols: names or 0-based positions of the columns to keep (file order is kept).
    dtype: ``{name: type}`` overrides (bool, int32, int64, float32, float64, date32,
        timestamp[us], string); a value that does not parse then raises ValueError.
    progress: a callable taking the fraction done (0..1); returning False cancels
        (KeyboardInterrupt), as does Ctrl-C.
    block_size, sample_rows: bytes per parallel block (default 8 MiB) and records
        sampled to infer types (default 65536).

    Types are inferred: bool (True/False/true/false/TRUE/FALSE), int64, float64
    (decimal, exponent, inf, nan), date32 (YYYY-MM-DD), timestamp[us]
    (YYYY-MM-DD[T ]HH:MM:SS[.ffffff]), else string. Empty fields and NA, N/A, NaN,
    nan, null, NULL, #N/A ... are missing (also in string columns, as in pandas).
    A value after the sample that does not fit its column's type widens the column
    and the conversion restarts, so types never depend on the sample. Quoted fields
    may hold separators, newlines and doubled quotes; a quote inside an unquoted
    field, a row with the wrong number of fields or an unterminated quote raise
    ValueError naming the line.

        df = sf.from_csv("taxi.csv", convert=True)   # writes taxi.csv.arrow once
        df.fare.mean()
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: '{path}'")
    options = {"sep": sep, "header": bool(header)}
    if usecols is not None:
        if isinstance(usecols, (str, int)):
            usecols = [usecols]
        options["usecols"] = [c if isinstance(c, str) else int(c) for c in usecols]
    if dtype is not None:
        if not isinstance(dtype, dict):
            raise TypeError("dtype must be a dict of column name -> type name")
        options["dtype"] = {str(k): _type_name(v) for k, v in dtype.items()}
    if block_size is not None:
        options["block_size"] = int(block_size)
    if sample_rows is not None:
        options["sample_rows"] = int(sample_rows)

    if convert:
        target = path + ".arrow" if convert is True else os.fspath(convert)
        if not (os.path.exists(target) and os.stat(target).st_mtime_ns >= os.stat(path).st_mtime_ns):
            convert_csv(path, target, options, progress)
        return _open(target, ())
    folder = tempfile.mkdtemp(prefix="swiftframe-csv-")
    owner = _TemporaryFolder(folder)
    target = os.path.join(folder, os.path.basename(path) + ".arrow")
    convert_csv(path, target, options, progress)
    return _open(target, (owner,))


def convert_csv(path, target, options=None, progress=None):
    """Converts the CSV file `path` to the Arrow IPC file `target` (see from_csv for
    `options`: sep, header, usecols, dtype, block_size, sample_rows)."""
    callback, errors = _native.progress_callback(progress)
    status = lib.sf_csv_convert(_native.encode(os.fspath(path)), _native.encode(os.fspath(target)),
                                _native.encode(json.dumps(options or {}, ensure_ascii=False)), callback, None)
    _native.check_pass(status, errors)


class _TemporaryFolder:
    """Removes a temporary folder once no frame refers to it."""

    def __init__(self, folder):
        self.folder = folder

    def __del__(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def _open(target, keep):
    out = ctypes.c_void_p()
    check(lib.sf_frame_open(_native.encode(target), ctypes.byref(out)))
    return DataFrame(out.value, keep)


def _type_name(t):
    if isinstance(t, str):
        return t
    import numpy as np
    name = np.dtype(t).name
    return {"object": "string", "str": "string"}.get(name, name)
