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


def table(df):
    n = len(df)
    names = df.column_names
    if n <= 2 * EDGE:
        parts = [(range(n), df)]
    else:
        parts = [(range(EDGE), df[:EDGE]), (range(n - EDGE, n), df[n - EDGE:])]
    rows = []
    for i, (indices, part) in enumerate(parts):
        if i:
            rows.append(["⋮"] * (len(names) + 1))
        columns = [part.evaluate(column_ref(c)) for c in names]
        for k, index in enumerate(indices):
            rows.append([str(index)] + [_cell(col[k]) for col in columns])
    header = ["#"] + names
    widths = [max(len(r[j]) for r in rows + [header]) for j in range(len(header))]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(header)] + [line(r) for r in rows]) + f"\n[{n} rows x {len(names)} columns]"
