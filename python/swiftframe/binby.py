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
            lo, hi = percentile_approx(df, axes[i], [tail, 100 - tail], selection=selection, progress=progress)
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
        if np.isnan(lo) or np.isnan(hi):
            raise ValueError(f"binby axis {_text(axis)!r} has no finite values to take limits from")
        raise ValueError(f"binby axis {_text(axis)!r} has minimum {lo} and maximum {hi}: give finite limits")
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


PERCENTILE_SHAPE = 1 << 16  # without binby; with binby vaex's 1024 (cells x percentile_shape counts)
BINNED_PERCENTILE_SHAPE = 1024
MAX_PERCENTILE_CELLS = 1 << 27


def percentile_approx(df, expression, percentage=50.0, selection=None, percentile_shape=None,
                      percentile_limits="minmax", binby=None, limits=None, shape=DEFAULT_SHAPE, delay=False,
                      progress=None):
    """vaex's percentile_approx: the values are counted on a fine grid of
    `percentile_shape` cells over `percentile_limits` (default their min and max, found
    in a pass of their own under the selection — all rows for a list of selections;
    infinite values are left out), per binby cell, and each percentile is interpolated
    in the cumulative counts. For a fraction q of n values, the result lies within one
    fine cell, (high - low) / percentile_shape, of the sorted values at ranks
    floor(q n) - 1 … ceil(q n) (numpy's percentile lies there too). Shape:
    [selections,] [expressions,] [percentages,] binby shape… (vaex's order); NaN where
    a cell is empty. `delay=True` returns a Promise (both passes wait for execute())."""
    from . import tasks
    if isinstance(expression, (list, tuple)):
        parts = [percentile_approx(df, e, percentage, selection, percentile_shape, percentile_limits, binby, limits,
                                   shape, delay, progress) for e in expression]
        axis = 1 if tasks.selection_list(selection)[1] else 0
        if not delay:
            return np.stack(parts, axis=axis)
        return tasks.gather(df, parts).then(lambda values: np.stack(values, axis=axis))
    many = np.ndim(percentage) > 0
    wanted = np.atleast_1d(np.asarray(percentage, dtype=np.float64))
    if ((wanted < 0) | (wanted > 100)).any():
        raise ValueError(f"percentages must be in [0, 100], got {percentage}")
    axes = [] if binby is None else _axes(binby)
    grid_shape = [int(shape)] * len(axes) if np.ndim(shape) == 0 else [int(k) for k in shape]
    if len(grid_shape) != len(axes):
        raise ValueError(f"{len(grid_shape)} shape entries for {len(axes)} binby axes")
    fine = int(percentile_shape or (BINNED_PERCENTILE_SHAPE if axes else PERCENTILE_SHAPE))
    if fine < 1 or int(np.prod(grid_shape)) * fine > MAX_PERCENTILE_CELLS:
        raise ValueError(f"percentile_shape {fine} times {int(np.prod(grid_shape))} binby cells is too many "
                         f"counts (at most {MAX_PERCENTILE_CELLS}): give a smaller percentile_shape or shape")
    axis_limits = _per_axis(limits, len(axes)) if axes else []
    sels, stacked = tasks.selection_list(selection)
    finite = _finite(df, expression)

    def binned(lo, hi):
        hi += (hi - lo) * 1e-9  # the maximum itself inside the grid, whose cells are [low, high)
        counts = aggregate(df, "count", expression, selection, axes + [expression], axis_limits + [[lo, hi]],
                           grid_shape + [fine], delay, progress)

        def finish(grid):
            out = _percentiles(np.asarray(grid), lo, hi, wanted / 100)  # [percentages, selections?, cells…]
            if stacked:
                out = np.moveaxis(out, 0, 1)
                return out if many else out[:, 0]
            return out if many else out[0]
        return counts.then(finish) if delay else finish(counts)

    spelled = percentile_limits is None or (isinstance(percentile_limits, str) and percentile_limits == "minmax")
    if delay and spelled:  # the limits wait for execute() too
        found = df.minmax(finite, selection=None if stacked else sels[0], delay=True)
        return found.then(lambda pair: binned(*_from_minmax(finite, *pair)))
    (lo, hi), = resolve_limits(df, [finite], percentile_limits, None if stacked else sels[0], progress)
    return binned(lo, hi)


def _percentiles(counts, lo, hi, fractions):
    """Per fraction q and cell (the last axis: the fine grid over [lo, hi)), the
    position where the cumulative count reaches q of the cell's total, linear inside
    the fine cell that holds it (np.interp over the cumulative counts, vectorized);
    NaN for an empty cell. Shape [fractions, cells…]."""
    counts = counts.astype(np.int64)
    cumulative = np.cumsum(counts, axis=-1)
    total = cumulative[..., -1:]
    width = (hi - lo) / counts.shape[-1]
    out = []
    for q in fractions:
        target = q * total
        # the first fine cell holding values whose cumulative count reaches the target
        at = np.argmax((cumulative >= target) & (counts > 0), axis=-1)[..., None]
        upper = np.take_along_axis(cumulative, at, -1).astype(np.float64)
        inside = np.take_along_axis(counts, at, -1)
        part = np.where(inside > 0, (target - (upper - inside)) / np.maximum(inside, 1), 0.0)
        x = lo + (at + np.clip(part, 0.0, 1.0)) * width
        out.append(np.where(total > 0, x, np.nan)[..., 0])
    return np.array(out)


def _finite(df, expression):
    """The expression with infinities left out (as NaN), so limits from its minimum and
    maximum are finite; infinite values then fall outside every grid."""
    from .dataframe import _text
    text = _text(expression)
    return f"where(isfinite({text}), {text}, nan)" if df.data_type(text).kind == "f" else text


def aggregate(df, kind, expression, selection, binby, limits, shape, delay=False, progress=None):
    """`kind` of `expression` (or of several) over the grid; an ndarray shaped
    [selections,] [expressions,] shape... (a Promise of it with `delay`). A tuple of
    kinds adds a last axis, one entry per kind (minmax). Delayed, limits left to
    "minmax" are delayed too: execute() finds them in the pass of the other pending
    scalar statistics, then bins in one more pass per grid. With one selection the
    limits are found under it, as vaex; a list of selections shares one grid, whose
    limits come from all rows (vaex's plots do so; its statistics fail there)."""
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

    kinds = list(kind) if isinstance(kind, tuple) else [kind]

    def task():
        def finish(raw):
            grids = np.stack([_values(row).reshape(shape) for row in raw])
            grids = grids.reshape([len(sels), len(texts), len(kinds)] + shape)
            grids = np.moveaxis(grids, 2, -1) if isinstance(kind, tuple) else grids[:, :, 0]
            if not many:
                grids = grids[:, 0]
            return grids if stacked else grids[0]
        requests = [(k, t, sel) for sel in sels for t in texts for k in kinds]
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
