"""swiftframe: out-of-core DataFrames with a vaex-like API on a Swift engine.

    import swiftframe as sf
    df = sf.open("taxi.arrow")
    df["r"] = np.sqrt(df.x**2 + df.y**2)
    df[df.y > 0].r.mean()
"""

import numpy as _np

from . import _native
from ._native import check as _check, lib as _lib
from .dataframe import DataFrame
from .expression import Expression
from . import io as _io
from .csv import from_csv
from . import agg
from . import distributed
from . import settings
from .groupby import BinnerTime

__all__ = ["open", "concat", "from_csv", "from_arrays", "from_dict", "from_arrow", "from_arrow_table", "from_pandas", "DataFrame", "Expression", "pass_count"]

pass_count = _native.pass_count


def open(path):
    """Opens Arrow IPC files by memory-mapping them (no column data is read): a path, a
    glob pattern or a list of paths give one frame; Parquet files are converted to Arrow
    beside them first. See swiftframe.io.open."""
    return _io.open(path)


def concat(frames):
    """One frame over the rows of `frames`, in order, without copying. See swiftframe.io.concat."""
    return _io.concat(frames)


def from_arrays(**arrays):
    """A frame over numpy arrays, without copying them (bool arrays are bit-packed once).
    The frame keeps the arrays alive; do not modify them while it is in use. String
    arrays (numpy str or object dtype, None for missing) and datetimes with NaT (missing
    values) go through pyarrow."""
    import ctypes
    def needs_arrow(a):  # strings, and datetimes with NaT (missing values need a validity bitmap)
        return a.dtype.kind in "OUS" or (a.dtype.kind in "mM" and _np.isnat(a).any())
    if any(needs_arrow(_np.asarray(v)) for v in arrays.values()):
        try:
            import pyarrow as pa
        except ImportError:
            raise ImportError("from_arrays with string arrays needs pyarrow (pip install pyarrow)") from None
        return from_arrow(pa.table({name: pa.array(_np.asarray(v)) if _np.asarray(v).dtype.kind != "O"
                                    else pa.array(list(v)) for name, v in arrays.items()}))
    names, dtypes, pointers, keep = [], [], [], []
    length = None
    for name, values in arrays.items():
        array = _np.asarray(values)
        if array.ndim != 1:
            raise ValueError(f"column {name!r} must be one-dimensional, got shape {array.shape}")
        if length is None:
            length = len(array)
        elif len(array) != length:
            raise ValueError(f"column {name!r} has {len(array)} values, expected {length}")
        if array.dtype == _np.bool_:
            data = _np.packbits(array, bitorder="little")
        elif array.dtype == _np.dtype("datetime64[D]"):
            data = array.view(_np.int64).astype(_np.int32)  # the engine's date32 (a copy)
        else:
            data = _np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
        if array.dtype.name not in _native.DTYPE_CODES:
            raise TypeError(f"column {name!r} has dtype {array.dtype}, which swiftframe does not support yet")
        names.append(name)
        dtypes.append(_native.DTYPE_CODES[array.dtype.name])
        # An empty array may have no buffer; give the engine a valid pointer anyway.
        data = data if data.nbytes else _np.zeros(1, dtype=data.dtype)
        pointers.append(data.ctypes.data)
        keep.append(data)
    out = ctypes.c_void_p()
    _check(_lib.sf_frame_from_arrays(length or 0, len(names), _native.strings(names),
                                     (ctypes.c_int32 * max(1, len(dtypes)))(*dtypes),
                                     (ctypes.c_void_p * max(1, len(pointers)))(*pointers), ctypes.byref(out)))
    return DataFrame(out.value, keep)


def from_arrow(obj):
    """A frame over any Arrow data with __arrow_c_stream__ (pyarrow Table or RecordBatchReader,
    polars DataFrame, duckdb result, ...) or an "arrow_array_stream" PyCapsule, without
    copying: the engine keeps the Arrow arrays alive. Columns of types swiftframe cannot
    compute with yet are listed with dtype None."""
    from . import interchange
    return interchange.import_stream(obj)


def from_arrow_table(table):
    """A frame over a pyarrow Table without copying it, as from_arrow(table)."""
    return from_arrow(table)


def from_pandas(df):
    """A frame over a pandas DataFrame's columns (through pyarrow; numeric columns without
    missing values are not copied, nullable dtypes keep their missing values)."""
    from . import interchange
    return interchange.from_pandas(df)


def from_dict(data):
    """A frame over a dict of name -> array, as `from_arrays(**data)`."""
    return from_arrays(**data)
