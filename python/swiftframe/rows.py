"""Row operations: take, sort, sample, shuffle. Each gives a lazy frame over the same
data whose rows are a row index built in the engine; numpy only draws random
positions (never loops over rows)."""

import ctypes

import numpy as np

from . import _native
from ._native import lib
from .expression import Expression, column_ref


def _text(expression):
    return expression.expression if isinstance(expression, Expression) else str(expression)


def _random_state(random_state):
    """numpy's RandomState for an int or None (as vaex: the same rows as vaex.sample),
    or the Generator / RandomState given."""
    if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        return random_state
    return np.random.RandomState(seed=random_state)


class Rows:
    """Mixed into DataFrame."""

    def take(self, indices, progress=None):
        """A frame of the rows at `indices` (positions after the filter; negative ones
        count from the end), in that order, repeats allowed, as vaex's take: lazy, over
        the same data. IndexError for a position out of range."""
        indices = np.ascontiguousarray(np.asarray(indices).reshape(-1))
        if indices.size and not np.issubdtype(indices.dtype, np.integer):
            raise TypeError(f"take needs integer positions, got {indices.dtype}")
        if indices.size and indices.dtype.kind == "u" and indices.max() > np.iinfo(np.int64).max:
            raise IndexError(f"index {indices.max()} is out of bounds for axis 0 with size {len(self)}")
        indices = indices.astype(np.int64, copy=False)
        n = len(self)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            bad = indices[(indices < -n) | (indices >= n)][0]
            raise IndexError(f"index {bad} is out of bounds for axis 0 with size {n}")
        callback, errors = _native.progress_callback(progress)
        out = ctypes.c_void_p()
        status = lib.sf_frame_take(self._handle, indices.ctypes.data_as(ctypes.c_void_p), indices.size,
                                   callback, None, ctypes.byref(out))
        _native.check_pass(status, errors)
        return type(self)(out.value, self._keep)

    def sample(self, n=None, frac=None, replace=False, weights=None, random_state=None):
        """Random rows, as vaex's sample: `n` rows or a fraction `frac` of them (default
        one row), with or without replacement, optionally weighted by `weights` (an
        expression, evaluated by the engine, or an array: the probabilities up to a
        factor). The same `random_state` gives the same rows as vaex's sample."""
        length = len(self)
        if n is not None and frac is not None:
            raise ValueError("give n or frac, not both")
        if frac is not None:
            if frac < 0:
                raise ValueError(f"frac must be non-negative, got {frac}")
            n = int(round(frac * length))
        elif n is None:
            n = 1
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if not replace and n > length:
            raise ValueError(f"cannot take a sample of {n} rows from {length} without replacement; "
                             "use replace=True")
        p = None
        if weights is not None:
            if isinstance(weights, (str, Expression)):
                weights = self.evaluate(weights)  # missing weights count as 0
            p = np.ma.filled(np.ma.asarray(weights, dtype=np.float64), 0.0)
            if len(p) != length:
                raise ValueError(f"weights has {len(p)} values, the frame {length} rows")
            total = p.sum()
            if not np.isfinite(total) or total <= 0 or (p < 0).any():
                raise ValueError("weights must be non-negative with a positive, finite sum")
            p = p / total
        indices = _random_state(random_state).choice(length, size=n, replace=replace, p=p)
        return self.take(indices)

    def shuffle(self, random_state=None):
        """All rows in a random order (the same for the same `random_state`), as vaex's."""
        return self.sample(frac=1, random_state=random_state)

    def sort(self, by, ascending=True, progress=None):
        """The rows sorted by `by` (a column name or expression, or a list of them, the
        first most significant), as vaex's sort: `ascending` one flag or one per key;
        stable, missing values and NaN last. Lazy over the same data: memory holds a
        row index and the keys, never the other columns."""
        keys = list(by) if isinstance(by, (list, tuple, np.ndarray)) else [by]
        if not keys:
            raise ValueError("sort needs at least one key")
        flags = list(ascending) if isinstance(ascending, (list, tuple, np.ndarray)) else [ascending] * len(keys)
        if len(flags) != len(keys):
            raise ValueError(f"ascending has {len(flags)} flags for {len(keys)} keys")
        names = set(self.column_names)
        texts = [column_ref(k) if isinstance(k, str) and k in names else _text(k) for k in keys]
        order = (ctypes.c_uint8 * len(flags))(*[1 if f else 0 for f in flags])
        callback, errors = _native.progress_callback(progress)
        out = ctypes.c_void_p()
        status = lib.sf_frame_sort(self._handle, len(texts), _native.strings(texts), order, callback, None,
                                   ctypes.byref(out))
        _native.check_pass(status, errors)
        return type(self)(out.value, self._keep)
