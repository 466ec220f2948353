"""Text rendering of a frame: the first and last rows with a row index."""

import numpy as np

from .expression import column_ref

EDGE = 5
MAX_WIDTH = 24


def _cell(value):
    if value is np.ma.masked:
        return "--"
    text = str(value)
    return text if len(text) <= MAX_WIDTH else text[:MAX_WIDTH - 1] + "…"


def _rows(df, evaluate):
    """Row indices and cells of the first and last EDGE rows (all when few), with a ⋮ row between."""
    n = len(df)
    parts = [range(n)] if n <= 2 * EDGE else [range(EDGE), range(n - EDGE, n)]
    rows = []
    for i, indices in enumerate(parts):
        if i:
            rows.append(None)
        values = evaluate(indices.start, indices.stop)
        rows += [(index, values[k]) for k, index in enumerate(indices)]
    return rows


def expression(expr):
    """vaex's rendering of an expression: its text, length and dtype, then the first
    and last values with their row numbers."""
    df, text = expr.df, expr.expression
    if text in df.column_names:
        kind = "virtual column" if text in df.virtual_columns else "column"
    else:
        kind = "expression"
    rows = _rows(df, lambda i1, i2: df.evaluate(text, i1, i2))
    index_width = max([len(str(r[0])) for r in rows if r] + [1])
    lines = [f"Expression = {text}", f"Length: {len(df):,} dtype: {expr.dtype} ({kind})"]
    lines.append("-" * max(len(line) for line in lines))
    for r in rows:
        lines.append("⋮".rjust(index_width) if r is None else f"{str(r[0]).rjust(index_width)}  {_cell(r[1])}")
    return "\n".join(lines)


def table(df):
    names = df.column_names
    refs = [column_ref(c) for c in names]
    cells = _rows(df, lambda i1, i2: list(zip(*[df.evaluate(r, i1, i2) for r in refs])) if refs else [()] * (i2 - i1))
    rows = [["⋮"] * (len(names) + 1) if r is None else [str(r[0])] + [_cell(v) for v in r[1]] for r in cells]
    header = ["#"] + names
    widths = [max(len(r[j]) for r in rows + [header]) for j in range(len(header))]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header)] + [line(r) for r in rows]) + f"\n[{len(df)} rows x {len(names)} columns]"
