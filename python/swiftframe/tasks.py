"""Statistics as tasks, vaex's `delay=True`: a statistic call becomes requests (kind,
expression, selection) for the engine plus a function that shapes the results. Run
at once, a task costs one pass; delayed, it waits on its frame until `df.execute()`,
which runs every pending scalar task in one sf_frame_aggregate and the binned ones in
one call per distinct grid, then resolves their promises."""

import ctypes
import json

import numpy as np

from . import _native
from ._native import check, lib

_SCALAR = np.dtype([("dtype", "<i4"), ("is_null", "<i4"), ("bits", "<u8")])


def selection_text(selection):
    """The engine's text for one selection: None (all rows), a selection name (True is
    "default") or a boolean expression."""
    from .dataframe import _text
    from .expression import Expression
    if selection is None or selection is False:
        return None
    if selection is True:
        return "default"
    if isinstance(selection, (str, Expression)):
        return _text(selection)
    raise TypeError(f"a selection is None, True, a selection name or a boolean expression, "
                    f"not {type(selection).__name__}")


def selection_list(selection):
    """([texts], stacked): a list of selections stacks its results on a leading axis."""
    if isinstance(selection, (list, tuple)):
        if not selection:
            raise ValueError("an empty list of selections")
        return [selection_text(s) for s in selection], True
    return [selection_text(selection)], False


def selections(df):
    """The frame's named selections: {name: boolean expression}."""
    out = ctypes.c_void_p()
    check(lib.sf_frame_selections_json(df._handle, ctypes.byref(out)))
    return json.loads(_native.take_string(out))


class Task:
    """`requests` [(kind, expression text or None, selection text or None)], computed
    together; `finish` turns their results (a list of sf_scalar for a scalar task, an
    array [request, cell] of them for a binned one) into the user's value. `grid` is
    None or (axis texts, bounds, shape). A task with `run` (a groupby) computes its
    value itself, in passes of its own."""

    def __init__(self, requests, finish, grid=None, run=None):
        self.requests = requests
        self.finish = finish
        self.grid = grid
        self.run = run

    def key(self):
        return None if self.grid is None else (tuple(self.grid[0]), tuple(self.grid[1]), tuple(self.grid[2]))


class Promise:
    """A value a delayed statistic will have after its frame's `execute()` (vaex's
    promise, without threads): `.get()` returns it (executing the frame's pending tasks
    first if needed) or raises the error the pass raised; `.then(f)` is a promise of
    f(value)."""

    def __init__(self, df):
        self._df = df
        self._state = "pending"
        self._value = None
        self._callbacks = []

    @property
    def isPending(self): return self._state == "pending"  # noqa: N802 (vaex's spelling)
    @property
    def isFulfilled(self): return self._state == "fulfilled"  # noqa: N802
    @property
    def isRejected(self): return self._state == "rejected"  # noqa: N802

    def get(self):
        if self._state == "pending":
            self._df.execute()
        if self._state == "rejected":
            raise self._value
        return self._value

    def then(self, on_fulfilled, on_rejected=None):
        child = Promise(self._df)

        def run(state, value):
            if state == "rejected" and on_rejected is None:
                child._settle("rejected", value)
                return
            try:
                result = (on_fulfilled if state == "fulfilled" else on_rejected)(value)
            except Exception as e:  # the callback's error rejects the child
                child._settle("rejected", e)
                return
            if isinstance(result, Promise):  # a promise of a promise: the inner one's value (vaex's)
                result.then(lambda v: child._settle("fulfilled", v), lambda e: child._settle("rejected", e))
            else:
                child._settle("fulfilled", result)
        if self._state == "pending":
            self._callbacks.append(run)
        else:
            run(self._state, self._value)
        return child

    def _settle(self, state, value):
        self._state, self._value = state, value
        callbacks, self._callbacks = self._callbacks, []
        for run in callbacks:
            run(state, value)

    def __repr__(self):
        return f"<Promise {self._state}>"


def gather(df, promises):
    """A Promise of the list of `promises`' values (rejected with the first error)."""
    out = Promise(df)
    values = [None] * len(promises)
    left = [len(promises)]

    def done(i):
        def fulfilled(value):
            values[i] = value
            left[0] -= 1
            if left[0] == 0 and out.isPending:
                out._settle("fulfilled", values)
        return fulfilled

    def rejected(error):
        if out.isPending:
            out._settle("rejected", error)
    for i, p in enumerate(promises):
        p.then(done(i), rejected)
    if not promises:
        out._settle("fulfilled", [])
    return out


def submit(df, task, delay, progress=None):
    """Runs `task` now (one pass) and returns its value, or queues it on `df` and
    returns a Promise."""
    if not delay:
        return _run([task], df, progress)[0]
    promise = Promise(df)
    df._pending.append((task, promise))
    return promise


def execute(df, progress=None):
    """Runs every task pending on `df`: scalar ones in one pass, binned ones in one pass
    per distinct grid (all rejected with the error if a pass fails), then those that run
    themselves (groupby), each settling its own promise; resolves their promises and
    raises the first error. Tasks that resolving promises adds (binned statistics
    waiting for their limits) run in a next round."""
    while df._pending:
        pending, df._pending = df._pending, []
        shared = [(t, p) for t, p in pending if t.run is None]
        try:
            values = _run([t for t, _ in shared], df, progress)
        except BaseException as e:  # Ctrl-C or a cancelled pass too: nothing stays pending
            for _, p in pending:
                p._settle("rejected", e)
            raise
        for (_, p), v in zip(shared, values):
            p._settle("fulfilled", v)
        own = [(t, p) for t, p in pending if t.run is not None]
        first = None
        for i, (t, p) in enumerate(own):
            try:
                value = t.run(progress)
            except Exception as e:
                p._settle("rejected", e)
                first = first or e
                continue
            except BaseException as e:  # cancelled: the rest are not run
                for _, q in own[i:]:
                    q._settle("rejected", e)
                raise
            p._settle("fulfilled", value)
        if first is not None:
            raise first


def _run(tasks, df, progress=None):
    """The finished values of `tasks`, in order: one pass for the scalar ones, one per
    grid, then those that run themselves."""
    values = [None] * len(tasks)
    groups = {}
    for i, t in enumerate(tasks):
        if t.run is None:
            groups.setdefault(t.key(), []).append(i)
    for key, members in groups.items():
        requests = [r for i in members for r in tasks[i].requests]
        results = (_scalars(df, requests, progress) if key is None
                   else _binned(df, requests, tasks[members[0]].grid, progress))
        k = 0
        for i in members:
            n = len(tasks[i].requests)
            values[i] = tasks[i].finish(results[k:k + n])
            k += n
    for i, t in enumerate(tasks):
        if t.run is not None:
            values[i] = t.run(progress)
    return values


def _arrays(requests):
    kinds = (ctypes.c_int32 * max(1, len(requests)))(*[_native.AGGREGATES[k] for k, _, _ in requests])
    exprs, seconds = _native.expression_arrays([e for _, e, _ in requests])
    sels = [s for _, _, s in requests]
    return kinds, exprs, seconds, (_native.strings(sels) if any(s is not None for s in sels) else None)


def _scalars(df, requests, progress=None):
    from . import distributed
    if distributed.current() is not None:
        return distributed.scalars(df, requests, distributed.current(), progress)
    kinds, exprs, seconds, sels = _arrays(requests)
    out = (_native.Scalar * max(1, len(requests)))()
    callback, errors = _native.progress_callback(progress)
    _native.check_pass(lib.sf_frame_aggregate(df._handle, len(requests), kinds, exprs, seconds, sels, callback, None,
                                              out), errors)
    return list(out)[:len(requests)]


def _binned(df, requests, grid, progress=None):
    from . import distributed
    if distributed.current() is not None:
        return distributed.binned(df, requests, grid, distributed.current(), progress)
    axes, bounds, shape = grid
    kinds, exprs, seconds, sels = _arrays(requests)
    cells = int(np.prod(shape))
    n = len(axes)
    out = (_native.Scalar * max(1, len(requests) * cells))()
    callback, errors = _native.progress_callback(progress)
    _native.check_pass(lib.sf_frame_aggregate_binned(df._handle, len(requests), kinds, exprs, seconds, sels, n,
                                                     _native.strings(axes),
                                                     (ctypes.c_double * n)(*[b[0] for b in bounds]),
                                                     (ctypes.c_double * n)(*[b[1] for b in bounds]),
                                                     (ctypes.c_int64 * n)(*shape), callback, None, out), errors)
    return np.frombuffer(out, dtype=_SCALAR)[:len(requests) * cells].reshape(len(requests), cells)
