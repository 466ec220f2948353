"""Statistics on N-d grids (vaex's `binby=`, `limits=`, `shape=`): the engine bins
every row in one pass; this module resolves limits, calls it, and shapes the results."""

import numpy as np

from . import _native

DEFAULT_SHAPE = 128  # vaex's default

def _axes(binby):
    return list(binby) if isinstance(binby, (list, tuple)) else [binby]


def resolve_limits(df, axes, limits, selection=None):
    """[(low, high)] per axis from vaex's spellings: [lo, hi] (one axis), a list of
    those, "minmax" (all axes, one pass), or a list mixing pairs and "minmax"."""
    from .dataframe import _text
    n = len(axes)
    if limits is None or isinstance(limits, str):
        limits = [limits] * n
    elif n == 1 and len(limits) == 2 and not isinstance(limits[0], (list, tuple, str, np.ndarray)) \
            and limits[0] is not None:
        limits = [limits]
    if len(limits) != n:
        raise ValueError(f"{len(limits)} limits given for {n} binby axes")
    wanted = [i for i, l in enumerate(limits) if l is None or (isinstance(l, str) and l == "minmax")]
    for i, l in enumerate(limits):
        if isinstance(l, str) and l != "minmax":
            raise ValueError(f"unknown limits {l!r}: give [low, high] or 'minmax'")
    found = df.minmax([_text(axes[i]) for i in wanted], selection=selection) if wanted else []
    out = list(limits)
    for i, (lo, hi) in zip(wanted, found):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"binby axis {_text(axes[i])!r} has no finite values to take limits from")
        out[i] = (float(lo), float(hi) if hi > lo else float(lo) + 1.0)
    return [(float(lo), float(hi)) for lo, hi in out]


def aggregate(df, kind, expression, selection, binby, limits, shape, delay=False):
    """`kind` of `expression` (or of several) over the grid; an ndarray shaped
    [selections,] [expressions,] shape... (a Promise of it with `delay`)."""
    from . import tasks
    return tasks.submit(df, task(df, kind, expression, selection, binby, limits, shape), delay)


def task(df, kind, expression, selection, binby, limits, shape):
    """The binned Task of a statistic call: one request per selection and expression.
    Limits left to "minmax" are found now (a pass), over the selection when there is one."""
    from . import tasks
    from .dataframe import _text
    many = isinstance(expression, (list, tuple))
    exprs = list(expression) if many else [expression]
    sels, stacked = tasks.selection_list(selection)
    axes = _axes(binby)
    shape = [int(shape)] * len(axes) if np.ndim(shape) == 0 else [int(s) for s in shape]
    if len(shape) != len(axes):
        raise ValueError(f"{len(shape)} shape entries for {len(axes)} binby axes")
    bounds = resolve_limits(df, axes, limits, None if stacked else sels[0])
    texts = [None if e is None else _text(e) for e in exprs]
    requests = [(kind, t, sel) for sel in sels for t in texts]

    def finish(raw):
        grids = np.stack([_values(row).reshape(shape) for row in raw])
        grids = grids.reshape([len(sels), len(texts)] + shape)
        if not many:
            grids = grids[:, 0]
        return grids if stacked else grids[0]
    return tasks.Task(requests, finish, ([_text(a) for a in axes], bounds, shape))


def _values(row):
    """One statistic's cells as a numpy array of its result dtype (float64 with NaN
    where an integer or temporal statistic has no value, as vaex gives)."""
    if len(row) == 0:
        return np.zeros(0)
    dtype = _native.numpy_dtype(int(row["dtype"][0]))
    bits = row["bits"].copy()
    null = row["is_null"] != 0
    if dtype.kind == "f":
        values = bits.view(np.float64).astype(dtype)
    elif dtype.kind == "u" or dtype.kind == "b":
        values = bits.astype(dtype)
    elif dtype.kind in "Mm":
        values = bits.view(np.int64).view(dtype) if dtype.itemsize == 8 else bits.view(np.int64).astype(dtype)
    else:
        values = bits.view(np.int64).astype(dtype)
    if null.any():
        if dtype.kind in "Mm":
            values[null] = np.array("NaT", dtype=dtype)
        else:
            values = values.astype(np.float64)
            values[null] = np.nan
    return values
