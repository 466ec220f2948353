"""Statistics on N-d grids (vaex's `binby=`, `limits=`, `shape=`): the engine bins
every row in one pass; this module resolves limits, calls it, and shapes the results."""

import numpy as np

from . import _native

DEFAULT_SHAPE = 128  # vaex's default


def _axes(binby):
    return list(binby) if isinstance(binby, (list, tuple)) else [binby]


def _per_axis(limits, n):
    """vaex's limits spelled per axis: one [lo, hi], a string or None for all axes, or a list."""
    if limits is None or isinstance(limits, str):
        return [limits] * n
    if n == 1 and len(limits) == 2 and not isinstance(limits[0], (list, tuple, str, np.ndarray)) \
            and limits[0] is not None:
        return [limits]
    if len(limits) != n:
        raise ValueError(f"{len(limits)} limits given for {n} binby axes")
    return list(limits)


def resolve_limits(df, axes, limits, selection=None, progress=None):
    """[(low, high)] per axis from vaex's spellings: [lo, hi] (one axis), a list of
    those, "minmax" (all axes, one pass), a percentage such as "99.7%" (the central
    part of the values, from percentile_approx), or a list mixing them."""
    from .dataframe import _text
    n = len(axes)
    limits = _per_axis(limits, n)
    wanted = [i for i, l in enumerate(limits) if l is None or (isinstance(l, str) and l == "minmax")]
    limits = list(limits)
    for i, l in enumerate(limits):
        if isinstance(l, str) and l != "minmax":
            share = _percentage(l)
            tail = (100 - share) / 2
            lo, hi = percentile_approx(df, axes[i], [tail, 100 - tail], selection=selection)
            limits[i] = (lo, hi if hi > lo else lo + 1.0)
    found = df.minmax([_text(axes[i]) for i in wanted], selection=selection, progress=progress) if wanted else []
    out = list(limits)
    for i, (lo, hi) in zip(wanted, found):
        out[i] = _from_minmax(axes[i], lo, hi)
    return [(float(lo), float(hi)) for lo, hi in out]


def _from_minmax(axis, lo, hi):
    """An axis' (low, high) from its min and max (an empty axis gets one unit of width)."""
    from .dataframe import _text
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"binby axis {_text(axis)!r} has no finite values to take limits from")
    return (float(lo), float(hi) if hi > lo else float(lo) + 1.0)


def _categorical_axes(df, axes, per_axis, shape):
    """Categorical axes (stored dictionaries, ordinal_encode, categorize) given without
    limits bin by category, as vaex does: one cell per label, in label order. Returns the
    axes (a stored categorical becomes its codes), per axis the (low, high) so fixed or
    None, and the shape."""
    from .categories import _definition, labels
    from .expression import Expression, column_ref
    out_axes, bounds, out_shape = [], [], list(shape)
    for k, axis in enumerate(axes):
        name = axis.expression if isinstance(axis, Expression) else axis
        found = labels(df, name) if per_axis[k] is None and isinstance(name, str) and name in df.column_names else None
        if found is None:
            out_axes.append(axis)
            bounds.append(None)
            continue
        words, offset = found
        codes = column_ref(name)
        if name not in df.virtual_columns:  # a stored dictionary: its strings, as codes
            codes = _definition("ordinal_encode", name, [], list(words))
        out_axes.append(codes)
        bounds.append((offset - 0.5, offset + len(words) - 0.5))
        out_shape[k] = len(words)
    return out_axes, bounds, out_shape


def _percentage(text):
    try:
        share = float(text.rstrip("%")) if text.endswith("%") else None
    except ValueError:
        share = None
    if share is None or not 0 < share <= 100:
        raise ValueError(f"unknown limits {text!r}: give [low, high], 'minmax' or a percentage such as '99.7%'")
    return share


PERCENTILE_SHAPE = 1 << 16


def percentile_approx(df, expression, percentage=50.0, selection=None, percentile_shape=PERCENTILE_SHAPE,
                      percentile_limits="minmax"):
    """vaex's percentile_approx: the values are counted on a fine grid of
    `percentile_shape` cells over `percentile_limits` (default their min and max, one
    pass each for the limits and the counts; infinite values are left out), and each
    percentile is interpolated in
    the cumulative counts. For a fraction q of n values, the result lies within one
    cell, (max - min) / percentile_shape, of the sorted values at ranks floor(q n) - 1
    … ceil(q n) (numpy's percentile lies there too). A list of percentages gives an array."""
    many = np.ndim(percentage) > 0
    wanted = np.atleast_1d(np.asarray(percentage, dtype=np.float64))
    if ((wanted < 0) | (wanted > 100)).any():
        raise ValueError(f"percentages must be in [0, 100], got {percentage}")
    (lo, hi), = resolve_limits(df, [_finite(df, expression)], percentile_limits, selection)
    hi += (hi - lo) * 1e-9  # the maximum itself inside the grid, whose cells are [low, high)
    counts = aggregate(df, "count", expression, selection, [expression], [[lo, hi]], percentile_shape)
    counts = counts.astype(np.float64)
    total = counts.sum()
    if total == 0:
        out = np.full(len(wanted), np.nan)
    else:
        cumulative = np.concatenate([[0.0], np.cumsum(counts)]) / total
        edges = np.linspace(lo, hi, percentile_shape + 1)
        out = np.interp(wanted / 100, cumulative, edges)
    return out if many else out[0]


def _finite(df, expression):
    """The expression with infinities left out (as NaN), so limits from its minimum and
    maximum are finite; infinite values then fall outside every grid."""
    from .dataframe import _text
    text = _text(expression)
    return f"where(isfinite({text}), {text}, nan)" if df.data_type(text).kind == "f" else text


def aggregate(df, kind, expression, selection, binby, limits, shape, delay=False, progress=None):
    """`kind` of `expression` (or of several) over the grid; an ndarray shaped
    [selections,] [expressions,] shape... (a Promise of it with `delay`). Delayed, limits
    left to "minmax" are delayed too: execute() finds them in the pass of the other
    pending scalar statistics, then bins in one more pass per grid."""
    from . import tasks
    from .dataframe import _text
    many = isinstance(expression, (list, tuple))
    exprs = list(expression) if many else [expression]
    sels, stacked = tasks.selection_list(selection)
    axes = _axes(binby)
    shape = [int(shape)] * len(axes) if np.ndim(shape) == 0 else [int(s) for s in shape]
    if len(shape) != len(axes):
        raise ValueError(f"{len(shape)} shape entries for {len(axes)} binby axes")
    per_axis = _per_axis(limits, len(axes))
    axes, bounds, shape = _categorical_axes(df, axes, per_axis, shape)
    free = [k for k, b in enumerate(bounds) if b is None]
    limit_selection = None if stacked else sels[0]
    texts = [None if e is None else _text(e) for e in exprs]

    def task():
        def finish(raw):
            grids = np.stack([_values(row).reshape(shape) for row in raw])
            grids = grids.reshape([len(sels), len(texts)] + shape)
            if not many:
                grids = grids[:, 0]
            return grids if stacked else grids[0]
        requests = [(kind, t, sel) for sel in sels for t in texts]
        return tasks.Task(requests, finish, ([_text(a) for a in axes], list(bounds), shape))

    def is_minmax(k):
        return per_axis[k] is None or (isinstance(per_axis[k], str) and per_axis[k] == "minmax")
    wanted = [k for k in free if is_minmax(k)]
    if delay and wanted and not any(isinstance(per_axis[k], str) for k in free if not is_minmax(k)):
        for k in free:
            if not is_minmax(k):  # [low, high]: no pass
                bounds[k] = resolve_limits(df, [axes[k]], [per_axis[k]])[0]
        promise = tasks.Promise(df)
        found = df.minmax([_text(axes[k]) for k in wanted], selection=limit_selection, delay=True)

        def with_limits(pairs):
            try:
                for k, (lo, hi) in zip(wanted, np.reshape(pairs, (len(wanted), 2))):
                    bounds[k] = _from_minmax(axes[k], lo, hi)
                df._pending.append((task(), promise))
            except Exception as e:  # no finite values on an axis: the statistic's error
                promise._settle("rejected", e)
        found.then(with_limits, lambda error: promise._settle("rejected", error))
        return promise
    for k, found in zip(free, resolve_limits(df, [axes[k] for k in free], [per_axis[k] for k in free],
                                                limit_selection, progress)):
        bounds[k] = found
    return tasks.submit(df, task(), delay, progress)


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
