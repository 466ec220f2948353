"""DataFrame: a handle to a Swift frame. Python builds expression strings and wraps
results; every computation happens in the engine."""

import ctypes
import json

import numpy as np

from . import _native
from ._native import check, encode, lib
from .expression import Expression, Pair, column_ref, is_name


def _text(expression):
    """The expression text of an Expression or a string (a Pair of texts stays a Pair)."""
    if isinstance(expression, Pair):
        return expression
    return expression.expression if isinstance(expression, Expression) else str(expression)


class DataFrame:
    """A lazy, memory-mapped table, as vaex's DataFrame: virtual columns and
    filters cost nothing until a statistic or an evaluation makes a pass."""

    def __init__(self, handle, keep=()):
        self._handle = ctypes.c_void_p(handle)
        # Arrays whose memory the engine reads in place (numpy inputs).
        self._keep = tuple(keep)
        # (Task, Promise) of statistics made with delay=True, run by execute().
        self._pending = []
        # The files behind the frame (sf.open), which a cluster's workers open (distributed.py).
        self._sources = None

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            lib.sf_frame_release(handle)
            self._handle = None

    def _derived(self, make):
        out = ctypes.c_void_p()
        check(make(ctypes.byref(out)))
        derived = DataFrame(out.value, self._keep)
        derived._sources = self._sources
        return derived

    # Columns

    def _columns(self):
        out = ctypes.c_void_p()
        check(lib.sf_frame_columns_json(self._handle, ctypes.byref(out)))
        return json.loads(_native.take_string(out))

    @property
    def column_names(self):
        return [c["name"] for c in self._columns()]

    def get_column_names(self):
        return self.column_names

    @property
    def virtual_columns(self):
        """Virtual column name -> its expression string, as vaex's."""
        return {c["name"]: c["expression"] for c in self._columns() if c["expression"] is not None}

    @property
    def dtypes(self):
        """Column name -> numpy dtype (None for a stored type this version cannot compute with)."""
        return {c["name"]: (_native.numpy_dtype_named(c["dtype"]) if c["dtype"] else None)
                for c in self._columns()}

    def _dtype_code(self, expression):
        code = ctypes.c_int32()
        check(lib.sf_frame_dtype(self._handle, encode(_text(expression)), ctypes.byref(code)))
        return code.value

    def data_type(self, expression):
        """numpy's dtype of the values (object for strings), known without reading data."""
        return _native.numpy_dtype(self._dtype_code(expression))

    def __len__(self):
        return self.length()

    def length(self, progress=None):
        """Rows after the filter (a pass the first time for a filtered frame, then cached)."""
        n = ctypes.c_int64()
        callback, errors = _native.progress_callback(progress)
        _native.check_pass(lib.sf_frame_length(self._handle, callback, None, ctypes.byref(n)), errors)
        return n.value

    @property
    def shape(self):
        return (len(self), len(self.column_names))

    def __contains__(self, name):
        return name in self.column_names

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.column_names:
            return Expression(self, column_ref(name))
        raise AttributeError(f"DataFrame has no attribute or column {name!r}")

    def __dir__(self):
        return list(super().__dir__()) + self.column_names

    def __getitem__(self, item):
        if isinstance(item, str):
            if item in self.column_names:
                return Expression(self, column_ref(item))
            if is_name(item):
                raise KeyError(f"no column {item!r}; columns are {self.column_names}")
            self.data_type(item)  # an expression: check it now
            return Expression(self, item)
        if isinstance(item, Expression):
            return self.filter(item)
        if isinstance(item, (list, tuple)):
            names = [str(n) for n in item]
            try:
                return self._derived(lambda out: lib.sf_frame_select_columns(
                    self._handle, len(names), _native.strings(names), out))
            except NameError as e:  # pandas: a missing column in a list is a KeyError
                raise KeyError(str(e)) from None
        if isinstance(item, slice):
            if item.step not in (None, 1):
                raise ValueError("slices with a step are not supported")
            start, stop, _ = item.indices(len(self))
            return self._derived(lambda out: lib.sf_frame_slice(self._handle, start, max(start, stop), out))
        raise TypeError(f"cannot index a DataFrame with {type(item).__name__}")

    def __setitem__(self, name, value):
        self.add_virtual_column(name, value)

    def add_virtual_column(self, name, expression):
        """Adds (or replaces) a virtual column; no data is read."""
        if not isinstance(expression, (Expression, str)):
            raise TypeError("a virtual column is an Expression or an expression string; "
                            "use swiftframe.from_arrays to add data")
        check(lib.sf_frame_add_virtual_column(self._handle, encode(name), encode(_text(expression))))

    def filter(self, expression):
        """A frame sharing this one's data with only the rows where `expression` is true."""
        return self._derived(lambda out: lib.sf_frame_filter(self._handle, encode(_text(expression)), out))

    def copy(self):
        return self._derived(lambda out: lib.sf_frame_copy(self._handle, out))

    def rename(self, old, new):
        """Renames column `old` (stored or virtual) to `new`, in place, and returns `new`,
        as vaex; the virtual columns, filter and selections that refer to it keep working."""
        from .state import rename
        rename(self, old, new)
        return new

    # Pipelines as state (state.py), vaex's spellings

    def state_get(self):
        """Virtual columns, renames, filter, selections and visible columns as a dict."""
        from .state import state_get
        return state_get(self)

    def state_set(self, state, use_active_range=False):
        """Replaces this frame's state by `state` (from state_get, maybe of another file)."""
        from .state import state_set
        state_set(self, state, use_active_range)

    def state_write(self, path):
        """Writes the state as JSON to `path`."""
        from .state import state_write
        state_write(self, path)

    def state_load(self, path, use_active_range=False):
        """Applies a state written by state_write."""
        from .state import state_load
        state_load(self, path, use_active_range)

    def _become(self, other):
        """Takes `other`'s engine frame (for inplace=True); `other` gets this one's."""
        self._handle, other._handle = other._handle, self._handle
        self._sources = other._sources
        self._keep = tuple(self._keep) + tuple(other._keep)
        return self

    def drop(self, columns, inplace=False):
        """The frame without `columns` (a name or a list); virtual columns and the filter
        that use them keep working (the data stays reachable, hidden, as vaex hides it)."""
        names = [_text(c) for c in ([columns] if isinstance(columns, (str, Expression)) else columns)]
        missing = [n for n in names if n not in self.column_names]
        if missing:
            raise KeyError(f"no column {missing[0]!r}; columns are {self.column_names}")
        out = self[[n for n in self.column_names if n not in names]]
        return self._become(out) if inplace else out

    def trim(self, inplace=False):
        """The frame over only the rows of its slice (vaex's trim): same columns, virtual
        columns, filter and selections, the data cut without a copy so that the slice's
        offset is gone (concat takes trimmed frames)."""
        out = self._derived(lambda out: lib.sf_frame_trim(self._handle, out))
        out._sources = None  # its rows are no longer the files' rows (distributed.py)
        return self._become(out) if inplace else out

    def extract(self, path=None, progress=None):
        """The rows passing the filter as a frame of their own (vaex's extract), the visible
        columns evaluated (virtual ones included): in memory (stored columns of an
        unfiltered frame are shared, not copied), or written to the Arrow file `path`
        (as export_arrow) and opened from there."""
        if path is not None:
            from .io import open as open_file
            self.export_arrow(path, progress=progress)
            return open_file(str(path))
        from .interchange import import_stream
        return import_stream(self)

    def concat(self, *others):
        """This frame's rows followed by those of `others` (vaex's df.concat), without
        copying: each is trimmed first, so slices concatenate; virtual columns, filters and
        column selections must be the same in all (extract() the frames otherwise)."""
        from .io import concat
        return concat([f.trim() for f in (self, *others)])

    # Missing values (missing.py), vaex's: the drop functions filter, fillna adds virtual columns

    def dropna(self, column_names=None, how="any"):
        """The rows where no column (how="all": not every column) of `column_names` (default:
        the stored columns) is missing or NaN, as a filter: no data is copied."""
        from .missing import dropna
        return dropna(self, column_names, how)

    def dropmissing(self, column_names=None, how="any"):
        """As dropna, for missing values only (NaN is kept)."""
        from .missing import dropmissing
        return dropmissing(self, column_names, how)

    def dropnan(self, column_names=None, how="any"):
        """As dropna, for NaN only (missing values are kept)."""
        from .missing import dropnan
        return dropnan(self, column_names, how)

    def dropinf(self, column_names=None, how="any"):
        """As dropna, for infinite values."""
        from .missing import dropinf
        return dropinf(self, column_names, how)

    def fillna(self, value, column_names=None, inplace=False):
        """Missing values and NaN replaced by `value` in `column_names` (default: every column
        whose type can hold `value`), as virtual columns replacing the columns: no data is
        copied and the stored values stay in the source frame. `value` may be a dict
        {column: value}, as pandas takes it."""
        from .missing import fillna
        return fillna(self, value, column_names, inplace)

    # Groups (groupby.py)

    def groupby(self, by, agg=None, sort=True, progress=None, delay=False, executor=None):
        """Groups of `by` (a column, expression or list; missing and NaN each a group),
        sorted by key. With `agg` (vaex's forms: {"name": sf.agg.mean("x")},
        {"x": "sum"}, {"x": ["min", "max"]}, a list, "count") the result frame (a Promise
        of it with `delay`, see swiftframe.groupby); without, a GroupBy for pandas'
        spellings (`.agg`, `.count()`, `.size()`, `.x.mean()`). `executor=client` runs
        it on a dask cluster (see swiftframe.distributed)."""
        from .distributed import maybe
        from .groupby import GroupBy, groupby
        if agg is None:
            return GroupBy(self, by)
        with maybe(executor):
            return groupby(self, by, agg, progress, delay)

    def value_counts(self, expression, dropna=False, ascending=False, executor=None):
        """How often each value of `expression` occurs, as a pandas Series sorted by
        count (most frequent first), as vaex and pandas give it; missing values and NaN
        are counted as values unless `dropna`."""
        import pandas as pd
        from . import agg
        from .distributed import maybe
        from .groupby import groupby
        with maybe(executor):
            counts = groupby(self, [expression], {"__count": agg.count()}).to_pandas_df()
        key = counts.columns[0]
        series = pd.Series(counts["__count"].to_numpy(), index=pd.Index(counts[key]).rename(None), name="count")
        if dropna:
            series = series[series.index.notna()]
        return series.sort_values(ascending=ascending, kind="stable")

    def describe(self, progress=None):
        """count, NA, mean, std, min and max of every column in one pass, as a pandas
        DataFrame with one column per frame column (vaex's describe)."""
        import pandas as pd
        from .expression import column_ref
        names = self.column_names
        dtypes = self.dtypes
        numeric = [n for n in names if dtypes[n] is not None and dtypes[n].kind in "biuf"]
        temporal = [n for n in names if dtypes[n] is not None and dtypes[n].kind in "mM"]
        requests = [("count", None)] + [("count", n) for n in names if dtypes[n] is not None]
        requests += [(k, n) for n in numeric for k in ("mean", "std", "min", "max")]
        requests += [(k, n) for n in temporal for k in ("min", "max")]
        kinds = (ctypes.c_int32 * len(requests))(*[_native.AGGREGATES[k] for k, _ in requests])
        texts = [None if n is None else column_ref(n) for _, n in requests]
        out = (_native.Scalar * len(requests))()
        callback, errors = _native.progress_callback(progress)
        _native.check_pass(lib.sf_frame_aggregate(self._handle, len(requests), kinds, _native.strings(texts), None,
                                                  None, callback, None, out), errors)
        results = {(k, n): _scalar(r) for (k, n), r in zip(requests, out)}
        rows = results[("count", None)]
        table = {}
        for n in names:
            dtype = dtypes[n]
            count = results.get(("count", n))
            table[n] = {"data_type": dtype, "count": count, "NA": None if count is None else rows - count,
                        "mean": results.get(("mean", n)), "std": results.get(("std", n)),
                        "min": results.get(("min", n)), "max": results.get(("max", n))}
        return pd.DataFrame(table, index=["data_type", "count", "NA", "mean", "std", "min", "max"])

    # Distinct values and categoricals (categories.py)

    def unique(self, expression, dropna=False, dropnan=False, dropmissing=False, progress=None):
        """The distinct values of `expression`, sorted (NaN, then a missing value, last)."""
        from .categories import unique
        return unique(self, expression, dropna, dropnan, dropmissing, progress)

    def nunique(self, expression, dropna=None, selection=None, binby=None, limits=None, shape=None):
        """How many distinct values `expression` has (missing and NaN count unless dropna).
        With dropna, a selection or binby (per cell), the nunique statistic counts in one
        pass, skipping missing and NaN (dropna=False is refused with a selection or binby).
        Exact: a hash set per cell, memory growing with the distinct values."""
        if selection is None and binby is None and not dropna:
            return len(self.unique(expression))
        if dropna is not None and not dropna:
            raise ValueError("nunique with a selection or binby skips missing and NaN values: pass dropna=True")
        return self._aggregate("nunique", expression, selection, binby, limits, shape)

    def ordinal_encode(self, column, values=None, inplace=False):
        """`column` as integer codes into its sorted distinct values (or `values`), a categorical."""
        from .categories import ordinal_encode
        return ordinal_encode(self, column, values, inplace)

    def categorize(self, column, min_value=0, max_value=None, labels=None, inplace=False):
        """Marks integer column `column` as categorical with `labels` for min_value, min_value + 1, …"""
        from .categories import categorize
        return categorize(self, column, min_value, max_value, labels, inplace)

    def is_category(self, column):
        from .categories import labels
        return labels(self, column) is not None

    def category_labels(self, column):
        """The labels of categorical `column`, as a list."""
        from .categories import labels
        found = labels(self, column)
        if found is None:
            raise ValueError(f"column {column!r} is not categorical")
        return list(found[0])

    def category_count(self, column):
        return len(self.category_labels(column))

    def category_offset(self, column):
        """What to subtract from a code of `column` to index its labels (categorize's min_value)."""
        from .categories import labels
        found = labels(self, column)
        if found is None:
            raise ValueError(f"column {column!r} is not categorical")
        return found[1]

    # Statistics (vaex's spellings). A list of expressions gives a numpy array,
    # computed with every other statistic of the call in one pass.

    def _aggregate(self, kind, expression, selection, binby=None, limits=None, shape=None, delay=False, progress=None,
                   executor=None):
        if executor is not None:  # a dask cluster (swiftframe.distributed)
            from .distributed import use
            with use(executor):
                return self._aggregate(kind, expression, selection, binby, limits, shape, delay, progress)
        if binby is not None:
            from . import binby as grid
            return grid.aggregate(self, kind, expression, selection, binby, limits,
                                  grid.DEFAULT_SHAPE if shape is None else shape, delay, progress)
        from . import tasks
        many = isinstance(expression, (list, tuple))
        texts = [None if e is None else _text(e) for e in (list(expression) if many else [expression])]
        sels, stacked = tasks.selection_list(selection)

        kinds = list(kind) if isinstance(kind, tuple) else [kind]  # a tuple: one last axis entry each (minmax)

        def finish(results):
            values = [_scalar(r) for r in results]
            if isinstance(kind, tuple):
                return np.array(values).reshape([len(sels)] * stacked + [len(texts)] * many + [len(kinds)])
            if not stacked:
                return np.array(values) if many else values[0]
            return np.array(values).reshape(len(sels), len(texts)) if many else np.array(values)
        requests = [(k, t, sel) for sel in sels for t in texts for k in kinds]
        return tasks.submit(self, tasks.Task(requests, finish), delay, progress)

    def count(self, expression=None, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
              executor=None):
        """Rows (no expression), or values neither missing nor NaN. With `binby` (an
        expression or a list), `limits` ([low, high], one per axis, or "minmax") and
        `shape` (an int or one per axis): the statistic per cell of that grid, as vaex.
        `selection`: None, True (the "default" selection), a selection name, a boolean
        expression, or a list of those (results stacked on a leading axis). `delay=True`
        returns a Promise and waits for `execute()`, which computes every pending
        statistic in one pass. `executor=client` runs it on a dask cluster (see
        swiftframe.distributed). The other statistics take the same arguments."""
        return self._aggregate("count", expression, selection, binby, limits, shape, delay, progress, executor)

    def sum(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
            executor=None):
        return self._aggregate("sum", expression, selection, binby, limits, shape, delay, progress, executor)

    def mean(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
             executor=None):
        return self._aggregate("mean", expression, selection, binby, limits, shape, delay, progress, executor)

    def std(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
            executor=None):
        return self._aggregate("std", expression, selection, binby, limits, shape, delay, progress, executor)

    def var(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
            executor=None):
        return self._aggregate("var", expression, selection, binby, limits, shape, delay, progress, executor)

    def min(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
            executor=None):
        return self._aggregate("min", expression, selection, binby, limits, shape, delay, progress, executor)

    def max(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None,
            executor=None):
        return self._aggregate("max", expression, selection, binby, limits, shape, delay, progress, executor)

    def percentile_approx(self, expression, percentage=50.0, selection=None, percentile_shape=None,
                          percentile_limits="minmax", binby=None, limits=None, shape=None, delay=False, progress=None):
        """Approximate percentiles (vaex's; a list of percentages, binby, a list of
        selections, delay): within (high - low) / percentile_shape of numpy's (2^16 cells
        by default, 1024 per binby cell); see swiftframe.binby.percentile_approx."""
        from . import binby as grid
        return grid.percentile_approx(self, expression, percentage, selection, percentile_shape, percentile_limits,
                                      binby, limits, grid.DEFAULT_SHAPE if shape is None else shape, delay, progress)

    def median_approx(self, expression, selection=None, percentile_shape=None, binby=None, limits=None, shape=None,
                      delay=False, progress=None):
        return self.percentile_approx(expression, 50.0, selection, percentile_shape, "minmax", binby, limits, shape,
                                      delay, progress)

    def limits_percentage(self, expression, percentage=99.73, selection=None):
        """[low, high] holding the central `percentage` percent of the values."""
        return self.limits(expression, f"{percentage}%", selection)

    def limits(self, expression, value="minmax", selection=None):
        """vaex's limits: [low, high] of `expression` from `value` ("minmax", a percentage
        such as "99.7%", or [low, high] itself); an array of them for a list."""
        from . import binby as grid
        if isinstance(selection, (list, tuple)):  # per selection, stacked (as vaex's minmax gives them)
            return np.array([self.limits(expression, value, s) for s in selection])
        many = isinstance(expression, (list, tuple))
        exprs = list(expression) if many else [expression]
        found = np.array(grid.resolve_limits(self, exprs, value, selection))
        return found if many else found[0]

    def first(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """The value of the first row (in row order) where it is neither missing nor NaN."""
        return self._aggregate("first", expression, selection, binby, limits, shape, delay, progress)

    def last(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """The value of the last row (in row order) where it is neither missing nor NaN."""
        return self._aggregate("last", expression, selection, binby, limits, shape, delay, progress)

    def any(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """Whether any value is true (non-zero), missing and NaN skipped; False when empty."""
        return self._aggregate("any", expression, selection, binby, limits, shape, delay, progress)

    def all(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """Whether every value is true (non-zero), missing and NaN skipped; True when empty."""
        return self._aggregate("all", expression, selection, binby, limits, shape, delay, progress)

    def covariance(self, x, y, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """The covariance of x and y (ddof=0, as vaex's covar) over the rows where both are
        present and not NaN. Lists of expressions pair up: x[i] with y[i]."""
        from .agg import pair_text
        if isinstance(x, (list, tuple)):
            return self._aggregate("covariance", [pair_text(a, b) for a, b in zip(x, y, strict=True)],
                                   selection, binby, limits, shape, delay, progress)
        return self._aggregate("covariance", pair_text(x, y), selection, binby, limits, shape, delay, progress)

    covar = covariance  # vaex's name

    def correlation(self, x, y, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """Pearson's correlation of x and y over the rows where both are present and not NaN."""
        from .agg import pair_text
        if isinstance(x, (list, tuple)):
            return self._aggregate("correlation", [pair_text(a, b) for a, b in zip(x, y, strict=True)],
                                   selection, binby, limits, shape, delay, progress)
        return self._aggregate("correlation", pair_text(x, y), selection, binby, limits, shape, delay, progress)

    def skew(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """scipy.stats.skew's default (biased) skewness, as vaex: m3 / m2**1.5."""
        return self._aggregate("skew", expression, selection, binby, limits, shape, delay, progress)

    def kurtosis(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """scipy.stats.kurtosis' default (biased, excess) kurtosis, as vaex: m4 / m2**2 - 3."""
        return self._aggregate("kurtosis", expression, selection, binby, limits, shape, delay, progress)

    def mode(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """The most frequent value, exactly (vaex's df.mode estimates it from a histogram
        and needs binby; this one counts every value): ties give the smallest value, as
        pandas' Series.mode()[0] (a categorical's first category); missing and NaN are
        skipped; NaN (None for strings) where there is no value. Numbers, bools,
        datetimes, strings and categoricals; strings take one more pass first to find
        their distinct values. Memory grows with the distinct values per cell."""
        from .mode import mode
        return mode(self, expression, selection, binby, limits, shape, delay, progress)

    def minmax(self, expression, selection=None, binby=None, limits=None, shape=None, delay=False, progress=None):
        """[min, max] in one pass: the last axis has length 2, after [selections,]
        [expressions,] and the binby grid's axes, as vaex (NaN where a cell is empty)."""
        return self._aggregate(("min", "max"), expression, selection, binby, limits, shape, delay, progress)

    def execute(self, progress=None):
        """Computes every statistic made with delay=True on this frame and resolves their
        promises: the scalar ones in one pass, the binned ones in one pass per grid."""
        from . import tasks
        tasks.execute(self, progress)

    # Selections (vaex's): named boolean expressions that statistics take as `selection=`

    def select(self, boolean_expression, mode="replace", name="default"):
        """Sets the selection `name` to `boolean_expression`, or combines them by `mode`:
        "and", "or", "xor", "subtract" (current and not new). Reads no data."""
        if mode not in _native.SELECTION_MODES:
            raise ValueError(f"unknown selection mode {mode!r}; use one of {', '.join(_native.SELECTION_MODES)}")
        if not isinstance(name, str):
            raise TypeError(f"a selection name is a string, not {type(name).__name__}")
        check(lib.sf_frame_select(self._handle, encode(name), encode(_text(boolean_expression)),
                                  _native.SELECTION_MODES[mode]))

    def select_box(self, spaces, limits, mode="replace", name="default"):
        """Selects the rows inside the box: low <= expression <= high per expression."""
        spaces = list(spaces)
        if len(spaces) != len(limits) or not spaces:
            raise ValueError(f"{len(limits)} limits for {len(spaces)} expressions")
        terms = []
        for e, pair in zip(spaces, limits):
            if len(pair) != 2:
                raise ValueError(f"limits per expression are [low, high], got {pair!r}")
            lo, hi = sorted(float(v) for v in pair)
            terms.append(f"(({_text(e)}) >= {lo!r}) & (({_text(e)}) <= {hi!r})")
        self.select(" & ".join(f"({t})" for t in terms), mode=mode, name=name)

    def select_rectangle(self, x, y, limits, mode="replace", name="default"):
        """select_box over two expressions: limits [[xmin, xmax], [ymin, ymax]]."""
        self.select_box([x, y], limits, mode=mode, name=name)

    def select_circle(self, x, y, xc, yc, r, mode="replace", name="default", inclusive=True):
        """Selects the rows within distance r of (xc, yc) (on the circle too when inclusive)."""
        op = "<=" if inclusive else "<"
        xc, yc, r = float(xc), float(yc), float(r)
        self.select(f"((({_text(x)}) - {xc!r}) ** 2 + (({_text(y)}) - {yc!r}) ** 2) {op} {r * r!r}",
                    mode=mode, name=name)

    def select_nothing(self, name="default"):
        """Removes the selection `name`."""
        check(lib.sf_frame_select_nothing(self._handle, encode(name)))

    def has_selection(self, name="default"):
        from . import tasks
        return name in tasks.selections(self)

    def get_selection(self, name="default"):
        """The boolean expression of selection `name`, or None."""
        from . import tasks
        return tasks.selections(self).get(name)

    # Values

    def evaluate(self, expression, i1=None, i2=None, progress=None):
        """The values of `expression` for rows [i1, i2) after the filter, as a numpy
        array (a masked array when values are missing). A stored column shown
        unchanged comes back without a copy, read-only."""
        text = _text(expression)
        n = self.length(progress)
        i1 = 0 if i1 is None else max(0, min(i1, n))
        i2 = n if i2 is None else max(i1, min(i2, n))
        code = self._dtype_code(text)
        if code in _native.STRING_CODES:
            return self._evaluate_strings(text, i1, i2, progress)
        view = None if code == _native.DATE32 else self._stored_view(text, i1, i2)
        if view is not None:
            return view
        dtype = _native.numpy_dtype(code)
        values = np.empty(i2 - i1, dtype=np.int32 if code == _native.DATE32 else dtype)
        valid = np.empty(i2 - i1, dtype=np.uint8)
        missing = ctypes.c_int64()
        callback, errors = _native.progress_callback(progress)
        _native.check_pass(lib.sf_frame_evaluate(self._handle, encode(text), i1, i2, code,
                                                 values.ctypes.data_as(ctypes.c_void_p),
                                                 valid.ctypes.data_as(ctypes.c_void_p), callback, None,
                                                 ctypes.byref(missing)), errors)
        if code == _native.DATE32:
            values = values.astype(dtype)
        if missing.value:
            return np.ma.MaskedArray(values, mask=valid == 0)
        return values

    def _string_buffers(self, text, i1, i2, progress=None):
        """The strings of rows [i1, i2) as Arrow large_utf8 buffers: (int64 offsets, bytes,
        presence bytes, missing count)."""
        n = i2 - i1
        offsets = np.empty(n + 1, dtype=np.int64)
        valid = np.empty(n, dtype=np.uint8)
        data, length, missing = ctypes.c_void_p(), ctypes.c_int64(), ctypes.c_int64()
        callback, errors = _native.progress_callback(progress)
        status = lib.sf_frame_evaluate_strings(self._handle, encode(text), i1, i2,
                                               offsets.ctypes.data_as(ctypes.c_void_p),
                                               valid.ctypes.data_as(ctypes.c_void_p), callback, None,
                                               ctypes.byref(data), ctypes.byref(length), ctypes.byref(missing))
        _native.check_pass(status, errors)
        try:
            chars = ctypes.string_at(data.value, length.value) if data.value else b""
        finally:
            lib.sf_buffer_free(data)
        return offsets, chars, valid, missing.value

    def _evaluate_strings(self, text, i1, i2, progress=None):
        """Strings as a numpy object array (None where missing), decoded by pyarrow from
        the engine's Arrow large_utf8 buffers."""
        try:
            import pyarrow as pa
        except ImportError:
            raise ImportError("reading string columns needs pyarrow: pip install pyarrow") from None
        offsets, chars, valid, missing = self._string_buffers(text, i1, i2, progress)
        mask = pa.py_buffer(np.packbits(valid, bitorder="little")) if missing else None
        array = pa.Array.from_buffers(pa.large_string(), i2 - i1, [mask, pa.py_buffer(offsets), pa.py_buffer(chars)],
                                      null_count=missing)
        return array.to_numpy(zero_copy_only=False)

    def _stored_view(self, text, i1, i2):
        name = text[1:-1] if text.startswith("`") and text.endswith("`") else text
        data, length = ctypes.c_void_p(), ctypes.c_int64()
        check(lib.sf_frame_column_data(self._handle, encode(name), ctypes.byref(data), ctypes.byref(length)))
        if not data.value:
            return None
        dtype = self.data_type(text)
        buffer = (ctypes.c_char * (length.value * dtype.itemsize)).from_address(data.value)
        buffer._frame = self  # the mapping lives as long as the array
        array = np.frombuffer(buffer, dtype=dtype)[i1:i2]
        array.flags.writeable = False
        return array

    # Interchange: the Arrow C Data Interface (see interchange.py)

    def __arrow_c_stream__(self, requested_schema=None):
        """The visible columns as an Arrow C stream in a PyCapsule (the Arrow PyCapsule
        interface), so pyarrow.table(df), polars.DataFrame(df) and duckdb read the frame:
        virtual columns computed, filter applied, stored columns not copied.
        A `requested_schema` is honoured through pyarrow's cast when pyarrow is installed
        (a TypeError when the columns cannot be cast to it); see interchange.export_stream_as."""
        from . import interchange
        return interchange.export_stream_as(self, requested_schema)

    def to_arrow_table(self):
        """The visible columns as a pyarrow Table (zero-copy for stored columns)."""
        import pyarrow as pa
        return pa.RecordBatchReader.from_stream(self).read_all()

    def to_items(self):
        """[(name, numpy array)] of the visible columns; a column with missing values is a
        masked array; a stored column of one record batch comes back without a copy."""
        from . import interchange
        return interchange.to_items(self)

    def to_numpy(self):
        """The visible columns as one 2-d array (numpy's common type)."""
        return np.column_stack([values for _, values in self.to_items()])

    def to_pandas_df(self):
        """A pandas DataFrame; missing values as pyarrow's to_pandas makes them (NaN,
        integers then float64; None in an object column for bools); a timestamp column
        with a time zone becomes datetime64[unit, zone] and a categorical a pandas
        Categorical (missing dictionary entries are missing values, not categories)."""
        import pandas as pd
        from . import interchange
        return pd.DataFrame({name: _pandas_values(values) if isinstance(values, np.ndarray) else values
                             for name, values in interchange.to_pandas_items(self)})

    def to_dict(self):
        """Column name -> numpy array (masked where values are missing)."""
        return dict(self.to_items())

    # Export

    def export_arrow(self, path, column_names=None, progress=None):
        """Writes the columns (all visible ones by default), evaluated with the filter
        applied, to an Arrow IPC file, record batch by record batch; the file appears
        under `path` only when complete."""
        names = list(column_names or [])
        callback, errors = _native.progress_callback(progress)
        status = lib.sf_frame_write_arrow(self._handle, encode(str(path)), len(names), _native.strings(names),
                                          callback, None)
        _native.check_pass(status, errors)

    def export_parquet(self, path, column_names=None, compression="snappy", progress=None):
        """Writes a Parquet file through pyarrow, one record batch at a time."""
        from .export import export_parquet
        export_parquet(self, path, column_names, compression, progress)

    def export_csv(self, path, column_names=None, progress=None):
        """Writes a CSV file (with a header) through pyarrow, one record batch at a time."""
        from .export import export_csv
        export_csv(self, path, column_names, progress)

    def export_hdf5(self, path, column_names=None, batch_rows=1 << 20):
        """Writes vaex's HDF5 layout (/table/columns/NAME/data, mask, string indices and
        null_bitmap) through h5py, one batch of rows at a time."""
        from .export import export_hdf5
        export_hdf5(self, path, column_names, batch_rows)

    def export(self, path, column_names=None, progress=None):
        """Writes to `path` in the format its extension names: .arrow, .feather or .ipc
        (Arrow IPC), .parquet, .csv, .hdf5/.h5."""
        suffix = str(path).lower().rsplit(".", 1)[-1]
        if suffix in ("arrow", "feather", "ipc"):
            return self.export_arrow(path, column_names, progress)
        if suffix == "parquet":
            return self.export_parquet(path, column_names, progress=progress)
        if suffix == "csv":
            return self.export_csv(path, column_names, progress=progress)
        if suffix in ("hdf5", "h5"):
            return self.export_hdf5(path, column_names)
        raise ValueError(f"cannot export to {path!r}: unknown extension (use .arrow, .feather, .ipc, .parquet, "
                         ".csv or .hdf5)")

    # Plots (viz.py)

    @property
    def viz(self):
        """Plots drawn with matplotlib from grids the engine computes: df.viz.histogram,
        df.viz.heatmap (vaex's)."""
        from .viz import Viz
        return Viz(self)

    # Rows and display

    def head(self, n=5):
        return self[:n]

    def tail(self, n=5):
        length = len(self)
        return self[max(0, length - n):length]

    def __repr__(self):
        from ._display import table
        try:
            return table(self)
        except Exception as e:  # repr must never raise
            return f"<swiftframe.DataFrame> (cannot show its rows: {type(e).__name__}: {e})"

    __str__ = __repr__

    def _repr_html_(self):
        from html import escape
        from ._display import table_html
        try:
            return table_html(self)
        except Exception:  # repr must never raise
            return f"<pre>{escape(repr(self))}</pre>"


def _pandas_values(values):
    """A numpy array for pandas from a column that may be masked: pyarrow's to_pandas rules."""
    if not isinstance(values, np.ma.MaskedArray):
        return values
    if values.dtype.kind == "b":
        out = values.data.astype(object)
        out[values.mask] = None
        return out
    if values.dtype.kind == "f":
        return values.filled(np.nan)
    if values.dtype.kind in "mM":  # dates, timestamps, durations: NaT
        return values.filled(np.array("NaT", dtype=values.dtype))
    return values.astype(np.float64).filled(np.nan)


def _scalar(result):
    """A numpy scalar from an sf_scalar (NaN for a null result)."""
    if result.is_null:
        return np.float64("nan")
    dtype = _native.numpy_dtype(result.dtype)
    bits = np.array([result.bits], dtype=np.uint64)
    if dtype.kind in "Mm":
        return bits.view(np.int64).view(dtype)[0]
    if dtype.kind == "f":
        return dtype.type(bits.view(np.float64)[0])
    if dtype.kind == "u":
        return dtype.type(bits[0])
    value = bits.view(np.int64)[0]
    return np.bool_(value != 0) if dtype.kind == "b" else dtype.type(value)
