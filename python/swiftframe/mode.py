"""The mode statistic of strings and categoricals: the engine counts integer codes, so a
string expression is first encoded against its distinct values (a stored dictionary's
own labels, else one pass of `unique`), and the modes found are turned back into labels.
Numbers, bools and datetimes need none of this."""

import numpy as np


def coded(df, expression, progress=None):
    """(text whose mode the engine counts, labels or None, code offset): the labels
    turn a result code c into labels[c - offset]. A categorical (ordinal_encode,
    categorize, a stored dictionary) counts its codes, so ties go to the first label,
    as pandas' Categorical mode; plain strings count positions among their sorted
    distinct values, so ties go to the smallest string."""
    from .categories import labels, unique
    from .dataframe import _text
    from .expression import Expression, _element
    text = _text(expression)
    name = expression.expression if isinstance(expression, Expression) else expression
    found = labels(df, name) if isinstance(name, str) and name in df.column_names else None
    if found is not None and name in df.virtual_columns:  # its values are the codes
        return text, list(found[0]), found[1]
    if df.data_type(text) != np.dtype(object):
        return text, None, 0
    if found is not None:  # a stored dictionary: its labels, in its order
        words = list(dict.fromkeys(w for w in found[0] if w is not None))
    else:
        words = sorted(unique(df, text, dropmissing=True, progress=progress).tolist())
    # Without labels (every value missing) every code is missing: no mode.
    return f"ordinal_encode({', '.join([text] + [_element(w) for w in words])})", words, 0


def mode(df, expression, selection, binby, limits, shape, delay, progress=None):
    """df.mode: the statistic over the codes, then the codes as labels (per expression
    for a list: the expression axis follows the selections' axis when stacked)."""
    from . import tasks
    many = isinstance(expression, (list, tuple))
    found = [coded(df, e, progress) for e in (list(expression) if many else [expression])]
    texts = [text for text, _, _ in found]
    result = df._aggregate("mode", texts if many else texts[0], selection, binby, limits, shape, delay, progress)
    if all(words is None for _, words, _ in found):
        return result
    axis = 1 if tasks.selection_list(selection)[1] else 0

    def finish(values):
        if not many:
            return decode(values, found[0][1], found[0][2])
        parts = [decode(np.take(values, j, axis=axis), words, offset) for j, (_, words, offset) in enumerate(found)]
        out = np.empty(np.shape(values), dtype=object)
        for j, part in enumerate(parts):
            out[(slice(None),) * axis + (j,)] = part
        return out
    return result.then(finish) if delay else finish(result)


def decode(values, words, offset):
    """Result codes (a scalar or an array, NaN where there is no mode) as labels (None
    where there is none)."""
    if words is None:
        return values
    table = np.array(list(words) + [None], dtype=object)
    codes = np.asarray(values, dtype=np.float64)
    index = np.where(np.isnan(codes), len(words), codes - offset)
    index = np.where((index >= 0) & (index <= len(words)), index, len(words)).astype(np.int64)
    out = table[index]
    return out if np.ndim(values) else table[int(index)]


def decode_column(frame, name, words, offset):
    """Turns groupby result column `name` (codes) into its labels, as a virtual column
    of `map` (the result frame is small: one row per group)."""
    from .expression import _element, column_ref
    if not words:  # no labels: the codes are all missing already
        return
    keys = [str(offset + i) for i in range(len(words))]
    frame.add_virtual_column(name, f"map({', '.join([column_ref(name)] + keys + [_element(w) for w in words])})")
