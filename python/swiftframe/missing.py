"""Rows with missing values, as vaex has them: dropna/dropnan/dropmissing/dropinf make
a filter (lazy, nothing copied), fillna makes virtual columns that replace the columns
(the stored data is untouched). A missing value (Arrow null) and NaN (a float value)
are apart: isna sees both, ismissing only missing values, isnan only NaN."""

import datetime as _dt

import numpy as np

from .expression import column_ref, literal


def _stored_names(df):
    """vaex's default for the drop functions: the visible stored (non-virtual) columns
    of a type the engine computes with."""
    virtual = df.virtual_columns
    return [n for n, t in df.dtypes.items() if n not in virtual and t is not None]


def _combine(tests, how):
    """The filter keeping a row unless any (how="any") or all (how="all") of `tests` (texts
    true where the row is to be dropped) hold."""
    if how not in ("any", "all"):
        raise ValueError(f"how must be 'any' or 'all', not {how!r}")
    return f"~({(' | ' if how == 'any' else ' & ').join(f'({t})' for t in tests)})"


def drop_rows(df, test, column_names, how, floats_only=False):
    """`df` filtered to the rows where `test(ref)` (a text true where a value is to be
    dropped) holds for no column (how="any") or not for all (how="all")."""
    names = _stored_names(df) if column_names is None else [str(c) for c in _as_list(column_names)]
    if floats_only:  # only floats hold NaN or infinity: other columns never match
        floats = [n for n in names if df.data_type(column_ref(n)).kind == "f"]
        if how == "all" and len(floats) < len(names):
            return df.copy()
        names = floats
    if not names:
        return df.copy()
    return df.filter(_combine([test(column_ref(n)) for n in names], how))


def dropna(df, column_names=None, how="any"):
    return drop_rows(df, lambda x: f"isna({x})", column_names, how)


def dropmissing(df, column_names=None, how="any"):
    return drop_rows(df, lambda x: f"ismissing({x})", column_names, how)


def dropnan(df, column_names=None, how="any"):
    # isnan of a missing value is missing: NaN here means present and NaN.
    return drop_rows(df, lambda x: f"isna({x}) & notmissing({x})", column_names, how, floats_only=True)


def dropinf(df, column_names=None, how="any"):
    return drop_rows(df, lambda x: f"fillmissing(isinf({x}), False)", column_names, how, floats_only=True)


def _as_list(names):
    return [names] if isinstance(names, str) or not hasattr(names, "__iter__") else list(names)


def _accepts(dtype, value):
    """Whether a column of numpy `dtype` can be filled with `value` (for the default columns)."""
    if dtype is None:
        return False
    if isinstance(value, (str, np.str_)):
        return dtype.kind == "O"
    if isinstance(value, (np.datetime64, _dt.datetime, _dt.date)) and not isinstance(value, np.timedelta64):
        return dtype.kind == "M"
    if isinstance(value, (np.timedelta64, _dt.timedelta)):
        return dtype.kind == "m"
    if isinstance(value, (bool, np.bool_)):
        return dtype.kind == "b"
    if isinstance(value, (int, float, np.number)):
        return dtype.kind in "iuf"
    return False


def fillna(df, value, column_names=None, inplace=False):
    """`df` (a copy unless `inplace`) with the columns `column_names` (default: every
    visible column whose type can hold `value`) replaced by virtual columns
    `fillna(column, value)`; `value` may be a dict {column: value} (pandas)."""
    out = df if inplace else df.copy()
    if isinstance(value, dict):
        if column_names is not None:
            raise ValueError("give either a dict of values per column or column_names, not both")
        fills = list(value.items())
    elif column_names is None:
        fills = [(n, value) for n, t in df.dtypes.items() if _accepts(t, value)]
    else:
        fills = [(str(n), value) for n in _as_list(column_names)]
    dtypes = out.dtypes
    for name, v in fills:
        if name not in dtypes:
            raise KeyError(f"no column {name!r}; columns are {out.column_names}")
        out.add_virtual_column(name, f"fillna({column_ref(name)}, {literal(_in_unit(v, dtypes[name]))})")
    return out


def _in_unit(value, dtype):
    """A date, time or duration value in the unit of a `dtype` column (the engine fills
    a temporal column with a value of its own type); other values unchanged."""
    if dtype is None or dtype.kind not in "mM" or isinstance(value, (str, bool, int, float, np.number)):
        return value
    if hasattr(value, "asm8"):  # pandas Timestamp / Timedelta
        value = value.asm8
    elif isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return np.array(value, dtype=dtype)[()]
