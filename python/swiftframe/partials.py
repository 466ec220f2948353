"""Serialized partial states: a statistic, binby grid or groupby computed over part of
the rows returns bytes instead of results; bytes of the same query merge, in any
grouping and order, and finish into the results one call over all the rows gives.
The engine makes, merges, checks and finishes them (a versioned, checksummed format:
a corrupt or truncated blob raises ValueError); this module passes bytes and shapes
results as the plain calls do. swiftframe.distributed runs them on a dask cluster.

    parts = [partials.aggregate(df[a:b], [("mean", "x", None)]) for a, b in ranges]
    result, = partials.finish(partials.merge(parts), 1)
"""

import ctypes

import numpy as np

from . import _native, tasks
from ._native import check, lib


def _take(data, length):
    try:
        return ctypes.string_at(data.value, length.value) if data.value else b""
    finally:
        lib.sf_buffer_free(data)


def _call(function, *args, progress=None):
    data, length = ctypes.c_void_p(), ctypes.c_int64()
    callback, errors = _native.progress_callback(progress)
    _native.check_pass(function(*args, callback, None, ctypes.byref(data), ctypes.byref(length)), errors)
    return _take(data, length)


def aggregate(df, requests, progress=None):
    """The partial states of `requests` [(kind, expression text, a Pair or None,
    selection text or None)] over `df`'s rows, as bytes."""
    kinds, exprs, seconds, sels = tasks._arrays(requests)
    return _call(lib.sf_frame_aggregate_partial, df._handle, len(requests), kinds, exprs, seconds, sels,
                 progress=progress)


def aggregate_binned(df, requests, grid, progress=None):
    """The partial states of `requests` over the grid (axis texts, [(low, high)], shape)."""
    axes, bounds, shape = grid
    kinds, exprs, seconds, sels = tasks._arrays(requests)
    n = len(axes)
    return _call(lib.sf_frame_aggregate_binned_partial, df._handle, len(requests), kinds, exprs, seconds, sels, n,
                 _native.strings(list(axes)), (ctypes.c_double * n)(*[float(b[0]) for b in bounds]),
                 (ctypes.c_double * n)(*[float(b[1]) for b in bounds]), (ctypes.c_int64 * n)(*[int(s) for s in shape]),
                 progress=progress)


def groupby(df, by, agg=None, progress=None):
    """The partial states of `df.groupby(by, agg)`: the groups of these rows with their
    key values, as bytes (merged by key)."""
    from . import groupby as grouping
    return groupby_prepared(df, *grouping.arguments(by, agg), progress=progress)


def groupby_prepared(df, key_texts, key_names, items, progress=None):
    """`groupby` from groupby.arguments' plain texts (what a cluster's task receives)."""
    from . import groupby as grouping
    return _call(lib.sf_frame_groupby_partial, df._handle, *grouping.c_arguments(key_texts, key_names, items),
                 progress=progress)


def merge(blobs):
    """One blob holding the merge of `blobs` (bytes of the same query)."""
    blobs = [bytes(b) for b in blobs]
    if not blobs:
        raise ValueError("no partial states to merge")
    if len(blobs) == 1:
        return blobs[0]
    buffers = [ctypes.create_string_buffer(b, len(b)) for b in blobs]
    pointers = (ctypes.c_void_p * len(blobs))(*[ctypes.addressof(b) for b in buffers])
    lengths = (ctypes.c_int64 * len(blobs))(*[len(b) for b in blobs])
    data, length = ctypes.c_void_p(), ctypes.c_int64()
    check(lib.sf_partials_merge(len(blobs), pointers, lengths, ctypes.byref(data), ctypes.byref(length)))
    return _take(data, length)


def finish(blob, count):
    """The `count` results of a scalar blob as sf_scalar structs (as sf_frame_aggregate
    gives them)."""
    blob = bytes(blob)
    out = (_native.Scalar * max(1, count))()
    check(lib.sf_partials_finish(blob, len(blob), count, out))
    return list(out)[:count]


def finish_binned(blob, requests, cells):
    """The results of a binned blob as a numpy structured array [request, cell] (as
    sf_frame_aggregate_binned gives them)."""
    blob = bytes(blob)
    out = (_native.Scalar * max(1, requests * cells))()
    check(lib.sf_partials_finish(blob, len(blob), requests * cells, out))
    return np.frombuffer(out, dtype=tasks._SCALAR)[:requests * cells].reshape(requests, cells).copy()


def finish_groupby(blob):
    """The groupby frame of a groupby blob."""
    from .dataframe import DataFrame
    blob = bytes(blob)
    out = ctypes.c_void_p()
    check(lib.sf_partials_finish_groupby(blob, len(blob), ctypes.byref(out)))
    return DataFrame(out.value)
