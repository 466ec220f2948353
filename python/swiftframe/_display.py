"""How frames and expressions show themselves: the first and last EDGE rows with their
row index, the column types under the names, wide frames cut to their first and last
columns around a `…` column; as text (repr) and as HTML (notebooks, escaped)."""

import html as _html

import numpy as np

from .expression import column_ref

EDGE = 5
MAX_WIDTH = 32  # a timestamp in ns (29 characters) fits
MAX_COLUMNS = 12  # wider frames show the first and last MAX_COLUMNS // 2
MISSING = "--"    # vaex's (and numpy.ma's) mark of a missing value
GAP = "⋮"
CUT = "…"


def _cell(value):
    if value is np.ma.masked or value is None:
        return MISSING
    text = str(value)
    return text if len(text) <= MAX_WIDTH else text[:MAX_WIDTH - 1] + CUT


def _rows(df, evaluate):
    """(row index, values) of the first and last EDGE rows (all when few), with None
    standing for the rows between."""
    n = len(df)
    parts = [range(n)] if n <= 2 * EDGE else [range(EDGE), range(n - EDGE, n)]
    rows = []
    for i, indices in enumerate(parts):
        if i:
            rows.append(None)
        values = evaluate(indices.start, indices.stop)
        rows += [(index, values[k]) for k, index in enumerate(indices)]
    return rows


def _type_label(column):
    if column["dtype"] is None:
        return "unsupported"
    dtype = {"large_string": "string"}.get(column["dtype"], column["dtype"])
    if column.get("timezone"):
        dtype = dtype[:-1] + f", {column['timezone']}]" if dtype.endswith("]") else f"{dtype}, {column['timezone']}"
    return dtype


def _grid(df):
    """(names, type labels, rows, length): names and labels hold CUT for the columns left
    out of a wide frame; rows are [index, cells...] or None for the gap."""
    columns = df._columns()
    if len(columns) > MAX_COLUMNS:
        half = MAX_COLUMNS // 2
        columns = columns[:half] + [None] + columns[-half:]
    n = len(df)

    def values(i1, i2):
        out = []
        for c in columns:
            if c is None:
                out.append([CUT] * (i2 - i1))
            elif c["dtype"] is None:
                out.append(["?"] * (i2 - i1))
            else:
                out.append([_cell(v) for v in df.evaluate(column_ref(c["name"]), i1, i2)])
        return list(zip(*out)) if out else [()] * (i2 - i1)
    rows = [None if r is None else [str(r[0])] + list(r[1]) for r in _rows(df, values)]
    names = [CUT if c is None else c["name"] for c in columns]
    labels = ["" if c is None else _type_label(c) for c in columns]
    return names, labels, rows, n, len(df.column_names)


def table(df):
    """The text of repr(df)."""
    names, labels, rows, n, width = _grid(df)
    lines = [["#"] + names, [""] + labels]
    lines += [[GAP] * (len(names) + 1) if r is None else r for r in rows]
    widths = [max(len(line[j]) for line in lines) for j in range(len(names) + 1)]
    text = ["  ".join(c.rjust(w) if j == 0 else c.ljust(w) for j, (c, w) in enumerate(zip(line, widths))).rstrip()
            for line in lines]
    return "\n".join(text) + f"\n[{n} rows x {width} columns]"


def table_html(df):
    """The HTML of df._repr_html_(): the same table, every text escaped."""
    names, labels, rows, n, width = _grid(df)
    e = _html.escape
    head = "".join(f"<th>{e(x)}</th>" for x in ["#"] + names)
    types = "".join(f"<th><i>{e(x)}</i></th>" for x in [""] + labels)
    body = []
    for r in rows:
        cells = [GAP] * (len(names) + 1) if r is None else r
        body.append("<tr>" + "".join(f"<td>{e(c)}</td>" if j else f"<th>{e(c)}</th>"
                                     for j, c in enumerate(cells)) + "</tr>")
    return (f"<table class=\"swiftframe\"><thead><tr>{head}</tr><tr>{types}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table><p>{n:,} rows × {width} columns</p>")


def _expression_parts(expr):
    df, text = expr.df, expr.expression
    if text in df.column_names or (text.startswith("`") and text[1:-1] in df.column_names):
        name = text.strip("`")
        kind = "virtual column" if name in df.virtual_columns else "column"
    else:
        kind = "expression"
    rows = _rows(df, lambda i1, i2: df.evaluate(text, i1, i2))
    return text, kind, len(df), expr.dtype, rows


def expression(expr):
    """vaex's rendering of an expression: its text, length and dtype, then the first
    and last values with their row numbers."""
    text, kind, n, dtype, rows = _expression_parts(expr)
    index_width = max([len(str(r[0])) for r in rows if r] + [1])
    lines = [f"Expression = {text}", f"Length: {n:,} dtype: {dtype} ({kind})"]
    lines.append("-" * max(len(line) for line in lines))
    for r in rows:
        lines.append(GAP.rjust(index_width) if r is None else f"{str(r[0]).rjust(index_width)}  {_cell(r[1])}")
    return "\n".join(lines)


def expression_html(expr):
    text, kind, n, dtype, rows = _expression_parts(expr)
    e = _html.escape
    body = "".join(f"<tr><th>{GAP}</th><td>{GAP}</td></tr>" if r is None else
                   f"<tr><th>{r[0]}</th><td>{e(_cell(r[1]))}</td></tr>" for r in rows)
    return (f"<p><b>Expression</b> = <code>{e(text)}</code><br>Length: {n:,} dtype: {e(str(dtype))} ({kind})</p>"
            f"<table class=\"swiftframe\"><tbody>{body}</tbody></table>")
