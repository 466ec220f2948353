"""df.groupby: vaex's `df.groupby(by, agg=...)` and pandas' `df.groupby(by).agg(...)`,
`.count()`, `.size()`, `.x.mean()`. The engine aggregates every statistic in one pass
(after a min/max pass for integer keys); the result is a swiftframe DataFrame."""

import ctypes

from . import _native, agg as _agg, tasks as _tasks
from ._native import check, lib


_TIME_UNITS = {"D": "D", "h": "h", "m": "min", "min": "min", "s": "s", "ms": "ms", "us": "us", "ns": "ns"}


class BinnerTime:
    """A datetime groupby key binned to `every` × `resolution` (vaex's BinnerTime):
    `df.groupby(sf.BinnerTime(df.t, "D"), agg=...)` groups by day. Bins are counted
    from 1970-01-01 (in local time for a zoned column). Resolutions: D, h, m (minutes),
    s, ms, us, ns; calendar months and years are not fixed widths and not supported."""

    def __init__(self, expression, resolution="D", df=None, every=1):
        if resolution not in _TIME_UNITS:
            raise ValueError(f"BinnerTime resolution {resolution!r}: use one of {', '.join(_TIME_UNITS)}")
        if int(every) < 1:
            raise ValueError(f"BinnerTime every must be at least 1, got {every}")
        self.expression = expression
        self.freq = f"{int(every)}{_TIME_UNITS[resolution]}"

    def key(self):
        """(expression text, name) of the binned key."""
        from .dataframe import _text
        from .expression import Expression
        text = _text(self.expression)
        name = self.expression.expression if isinstance(self.expression, Expression) else str(self.expression)
        return f"dt_floor({text}, '{self.freq}')", name


def _aggregations(agg):
    """[(name, Aggregation)] from vaex's forms: an Aggregation or a name ("count"), a
    list of those, or a dict {name: Aggregation} / {column: "sum" | ["min", "max"]}."""
    if agg is None:
        return [("count", _agg.count())]
    if isinstance(agg, (str, _agg.Aggregation)):
        agg = [agg]
    out = []
    if isinstance(agg, dict):
        for name, what in agg.items():
            if isinstance(what, _agg.Aggregation):
                out.append((name, what))
            else:
                for kind in ([what] if isinstance(what, str) else list(what)):
                    a = _agg.Aggregation(kind, None if kind == "count" and name is None else name)
                    out.append((f"{name}_{kind}", a))
        return out
    for what in agg:
        a = what if isinstance(what, _agg.Aggregation) else _agg.Aggregation(what)
        out.append((a.default_name(), a))
    return out


def arguments(by, agg):
    """The engine's groupby arguments for `by` and `agg`, as plain data a cluster's task
    can receive: (key texts, key names, [(result name, kind, expression text or Pair,
    selection text)]). An aggregation whose selection is a list gives one column per
    selection, named `{name}_{i}` in the list's order (vaex fails there)."""
    from .dataframe import _text
    from .expression import Expression
    keys = list(by) if isinstance(by, (list, tuple)) else [by]
    key_texts = [k.key()[0] if isinstance(k, BinnerTime) else _text(k) for k in keys]
    key_names = [k.key()[1] if isinstance(k, BinnerTime) else k.expression if isinstance(k, Expression) else str(k)
                 for k in keys]
    items = []
    for name, a in _aggregations(agg):
        sels, stacked = _tasks.selection_list(a.selection)
        named = [(f"{name}_{i}", s) for i, s in enumerate(sels)] if stacked else [(name, sels[0])]
        items += [(n, a.kind, a.text(), s) for n, s in named]
    names = [n for n, _, _, _ in items]
    if len(set(names + key_names)) != len(names) + len(key_names):
        raise ValueError(f"result column names repeat: {key_names + names}")
    return key_texts, key_names, items


def c_arguments(key_texts, key_names, items):
    """The C arrays of sf_frame_groupby (and its _partial variant) after the frame:
    keep the result alive during the call."""
    n = len(items)
    kinds = (ctypes.c_int32 * max(1, n))(*[_native.AGGREGATES[kind] for _, kind, _, _ in items])
    selections = [s for _, _, _, s in items]
    return (len(key_texts), _native.strings(key_texts), _native.strings(key_names), n, kinds,
            *_native.expression_arrays([e for _, _, e, _ in items]),
            _native.strings(selections) if any(s is not None for s in selections) else None,
            _native.strings([name for name, _, _, _ in items]))


def groupby(df, by, agg=None, progress=None, delay=False):
    """The frame of groups of `by` (a column, an expression or a list) and `agg`.
    `delay=True` returns a Promise that the frame's execute() resolves: the groupby
    makes its own passes, after the pending scalar statistics' one (a mode of strings
    finds their distinct values at once, when called)."""
    from . import distributed
    from .dataframe import DataFrame
    from .mode import coded, decode_column
    if distributed.current() is not None:
        if delay:
            raise ValueError("groupby(delay=True) does not run on a cluster: call it without delay")
        return distributed.groupby(df, by, agg, distributed.current(), progress)
    key_texts, key_names, items = arguments(by, agg)
    # mode counts codes for strings and categoricals (mode.py): their labels per column,
    # found once per expression (a string's distinct values cost a pass, now, not delayed).
    found = {text: coded(df, text, progress) for _, kind, text, _ in items if kind == "mode"}
    codings = {n: found[text] for n, kind, text, _ in items if kind == "mode"}
    items = [(n, kind, codings[n][0] if n in codings else text, s) for n, kind, text, s in items]

    def run(at_execute=None):  # delayed: execute()'s progress unless the call gave one
        out = ctypes.c_void_p()
        callback, errors = _native.progress_callback(progress if progress is not None else at_execute)
        status = lib.sf_frame_groupby(df._handle, *c_arguments(key_texts, key_names, items),
                                      callback, None, ctypes.byref(out))
        _native.check_pass(status, errors)
        frame = DataFrame(out.value)
        for name, (_, words, offset) in codings.items():
            decode_column(frame, name, words, offset)
        return frame
    return _tasks.submit(df, _tasks.Task([], None, run=run), delay)


class GroupBy:
    """pandas' spelling: `df.groupby("k").agg({...})`, `.count()`, `.size()`, `.x.mean()`."""

    def __init__(self, df, by):
        self.df = df
        self.by = by

    def agg(self, agg, delay=False):
        return groupby(self.df, self.by, agg, delay=delay)

    def count(self):
        return groupby(self.df, self.by, {"count": _agg.count()})

    def size(self):
        return groupby(self.df, self.by, {"size": _agg.count()})

    def __getitem__(self, column):
        return _GroupedColumn(self, column)

    def __getattr__(self, column):
        if column.startswith("_"):
            raise AttributeError(column)
        return _GroupedColumn(self, column)


class _GroupedColumn:
    def __init__(self, grouped, column):
        self.grouped = grouped
        self.column = column

    def _one(self, kind):
        return groupby(self.grouped.df, self.grouped.by, {self.column: _agg.Aggregation(kind, self.column)})

    def count(self): return self._one("count")
    def sum(self): return self._one("sum")
    def mean(self): return self._one("mean")
    def std(self): return self._one("std")
    def var(self): return self._one("var")
    def min(self): return self._one("min")
    def max(self): return self._one("max")
    def first(self): return self._one("first")
    def last(self): return self._one("last")
    def any(self): return self._one("any")
    def all(self): return self._one("all")
    def skew(self): return self._one("skew")
    def kurtosis(self): return self._one("kurtosis")
    def nunique(self): return self._one("nunique")
