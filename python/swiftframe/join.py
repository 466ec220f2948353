"""df.join, vaex's spelling: the right frame's key is hashed, the left frame's key
streamed in one pass, and the result is a lazy frame reading both frames' data through
row indices (nothing is copied)."""

import ctypes

from . import _native
from ._native import encode, lib


def join(df, other, on=None, left_on=None, right_on=None, lprefix="", rprefix="", lsuffix="", rsuffix="",
         how="left", allow_duplication=False, prime_growth=False, cardinality_other=None, inplace=False,
         progress=None):
    """`df` joined with `other` on `on` (a column name or expression of both frames), or
    on `left_on` of `df` and `right_on` of `other`; without a key, row k of `df` (its
    filter ignored) beside the k-th row of `other` (after its filter), as in vaex.

    how: "left" keeps every row of `df` (the right columns missing where no row of
    `other` matches), "inner" only matched rows, "right" every row of `other` (as
    `other.join(df)`, prefixes and suffixes staying with their frames).
    lprefix / rprefix / lsuffix / rsuffix: a name found in both frames becomes
    lprefix + name + lsuffix on the left and rprefix + name + rsuffix on the right (the
    two must differ, else ValueError); joined on one name without them, the key column
    appears once.
    allow_duplication: a key on several rows of the hashed side is a ValueError unless
    True; then a row appears once per match, in the streamed frame's row order (vaex
    appends the extra matches at the end instead).
    prime_growth, cardinality_other: vaex's hash map tuning, accepted and not needed
    (the engine sizes its tables from the data). inplace=True is not supported: the
    joined frame is a new one.

    As in vaex: missing keys match missing keys (and NaN matches NaN); the left frame's
    filter is kept (every row is matched, so changing the filter later stays right);
    the right frame's filter picks the rows that can match. Keys compare by value across
    integer widths; an int key never matches a float or string key (TypeError)."""
    from .dataframe import DataFrame, _text
    if not isinstance(other, DataFrame):
        raise TypeError(f"join needs a swiftframe DataFrame to join with, got {type(other).__name__}")
    if inplace:
        raise ValueError("join(inplace=True) is not supported: use the frame join returns")
    if how not in ("left", "inner", "right"):
        raise ValueError(f"join type not supported: how={how!r}, only 'left', 'inner' and 'right'")
    left_on = on if left_on is None else left_on
    right_on = on if right_on is None else right_on
    if (left_on is None) != (right_on is None):
        raise ValueError("join needs both left_on= and right_on= (or on=)")
    key = (lambda e: None if e is None else encode(_text(e)))
    out = ctypes.c_void_p()
    callback, errors = _native.progress_callback(progress)
    _native.check_pass(lib.sf_frame_join(df._handle, other._handle, key(left_on), key(right_on), encode(how),
                                         encode(lprefix), encode(rprefix), encode(lsuffix), encode(rsuffix),
                                         int(bool(allow_duplication)), callback, None, ctypes.byref(out)), errors)
    # The joined frame reads both frames' arrays (numpy inputs): keep them alive.
    return DataFrame(out.value, df._keep + other._keep)
