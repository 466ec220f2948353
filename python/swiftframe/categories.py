"""Distinct values and categoricals, vaex's spellings: df.unique, df.ordinal_encode,
df.categorize, df.is_category, df.category_labels. The engine finds distinct values
in one pass; an encoded column is a virtual column whose definition carries its
labels (`ordinal_encode(s, 'a', 'b')`), so they survive filters, copies and exports."""

import ctypes

import numpy as np

from . import _native
from ._native import encode, lib
from .expression import column_ref, literal


def _frame(handle):
    from .dataframe import DataFrame
    return DataFrame(handle)


def _values(frame, name):
    """A one-column frame's values: numbers as a numpy array (masked where missing),
    strings as an object array (None where missing)."""
    return frame.evaluate(name)


def unique(df, expression, dropna=False, dropnan=False, dropmissing=False, progress=None):
    """The distinct values of `expression`, sorted (NaN, then a missing value, last)."""
    from .dataframe import _text
    out = ctypes.c_void_p()
    callback, errors = _native.progress_callback(progress)
    _native.check_pass(lib.sf_frame_unique(df._handle, encode(_text(expression)), callback, None,
                                           ctypes.byref(out)), errors)
    values = _values(_frame(out.value), "values")
    if isinstance(values, np.ma.MaskedArray):
        values = values.compressed() if (dropna or dropmissing) else values
    elif values.dtype == object and (dropna or dropmissing):
        values = values[np.array([v is not None for v in values], dtype=bool)]
    if (dropna or dropnan) and values.dtype.kind == "f":
        values = values[~np.isnan(values)]
    return values


def _labels_frame(df, column):
    """(one-column frame of labels, code offset) of a categorical column, or None."""
    out, offset = ctypes.c_void_p(), ctypes.c_int64()
    _native.check(lib.sf_frame_category_labels(df._handle, encode(column), ctypes.byref(offset), ctypes.byref(out)))
    return (_frame(out.value), offset.value) if out.value else None


def labels(df, column):
    """(labels, offset) of a categorical column, or None."""
    found = _labels_frame(df, column)
    return None if found is None else (_values(found[0], "labels"), found[1])


def string_labels(df, column):
    """(int64 offsets, bytes, presence) of a categorical column's string labels, the
    Arrow large_utf8 layout writers use; None when `column` is not a categorical with
    string labels (a stored dictionary shared by its chunks, or an encoding)."""
    found = _labels_frame(df, column)
    if found is None or found[0].data_type("labels") != object:
        return None
    frame = found[0]
    offsets, chars, valid, _ = frame._string_buffers("labels", 0, len(frame))
    return offsets, chars, valid.astype(bool)


def codes(df, column, start, stop):
    """(int32 codes into the labels, presence bytes, missing count) of categorical
    `column` for rows [start, stop): a stored column's dictionary indices, or an
    encoded column's values less the code offset."""
    if column not in df.virtual_columns:
        indices = np.empty(stop - start, dtype=np.int32)
        valid = np.empty(stop - start, dtype=np.uint8)
        missing = ctypes.c_int64()
        callback, errors = _native.progress_callback(None)
        _native.check_pass(lib.sf_frame_dictionary_indices(df._handle, encode(column), start, stop,
                                                           indices.ctypes.data_as(ctypes.c_void_p),
                                                           valid.ctypes.data_as(ctypes.c_void_p), callback, None,
                                                           ctypes.byref(missing)), errors)
        return indices, valid, missing.value
    values = df.evaluate(f"int32({column_ref(column)} - {df.category_offset(column)})", start, stop)
    mask = np.ma.getmaskarray(values)
    return np.ma.getdata(values).astype(np.int32), (~mask).astype(np.uint8), int(mask.sum())


def _definition(function, column, extra, label_values):
    words = [literal(v.item() if isinstance(v, np.generic) else v) for v in label_values]
    return f"{function}({', '.join([column_ref(column)] + extra + words)})"


def ordinal_encode(df, column, values=None, inplace=False):
    """Replaces `column` by integer codes: the position of each value among `values`
    (default: the column's distinct values, sorted, without missing values), missing
    where the value is missing or not among them."""
    if values is None:
        values = unique(df, column_ref(column), dropmissing=True)
    out = df if inplace else df.copy()
    out.add_virtual_column(column, _definition("ordinal_encode", column, [], list(values)))
    return out


def categorize(df, column, min_value=0, max_value=None, labels=None, inplace=False):
    """Marks integer column `column` as categorical: value v has label
    labels[v - min_value] (default labels: min_value … max_value, max_value defaulting
    to the column's maximum); values outside the labels become missing."""
    if labels is None:
        if max_value is None:
            max_value = int(df.max(column_ref(column)))
        labels = list(range(min_value, max_value + 1))
    out = df if inplace else df.copy()
    out.add_virtual_column(column, _definition("categorize", column, [str(int(min_value))], list(labels)))
    return out
