"""repr(df), df._repr_html_() and repr(expression): the first and last five rows with
their row index and the column types, wide frames cut around a `…` column, long cells
cut with `…`, HTML escaped; the cells are checked against pandas' values of the same
data (read back from the text and the HTML)."""

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import swiftframe as sf
from swiftframe import _display

WORDS = np.array(["a", "Zürich", "日本", "naïve", "ø", "<b>&amp;"], dtype=object)


def generate(rng, n):
    columns = {"i": rng.integers(-10**6, 10**6, n), "x": rng.standard_normal(n) * 1e3,
               "s": WORDS[rng.integers(0, len(WORDS), n)],
               "t": np.datetime64("2020-01-01T00:00:00", "us") + rng.integers(0, 10**13, n).astype("m8[us]")}
    valid = {"x": rng.random(n) > 0.2, "s": rng.random(n) > 0.2}
    return columns, valid


def expected_cell(value):
    """What a cell must read for a pandas value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "--"
    if isinstance(value, pd.Timestamp):
        return str(value.to_datetime64().astype("M8[us]"))
    return str(value)


def check_rows(rows, pdf):
    """rows: [index text, cell texts...] from the display; pdf: the values shown."""
    n = len(pdf)
    indices = list(range(n)) if n <= 10 else list(range(5)) + list(range(n - 5, n))
    shown = [r for r in rows if r[0] != "⋮"]
    assert [int(r[0]) for r in shown] == indices
    assert (len(rows) == len(shown) + 1) == (n > 10)
    for r in shown:
        values = pdf.iloc[int(r[0])]
        for name, cell in zip(pdf.columns, r[1:]):
            value = values[name]
            if isinstance(value, float) and not pd.isna(value):
                assert float(cell) == value  # str of a float64 reads back exactly
            else:
                assert cell == expected_cell(value), (name, cell, value)


def reference(ref, names):
    return pd.DataFrame({name: [v if p else None for v, p in zip(ref[name], ref.present(name))] for name in names})


@pytest.mark.parametrize("n", [1_000, 7])
def test_text_shows_first_and_last_rows_with_types(file_storage, rng, n):
    columns, valid = generate(rng, n)
    df, ref = file_storage.frame(columns, valid)
    lines = repr(df).split("\n")
    assert lines[0].split() == ["#", "i", "x", "s", "t"]
    assert lines[1].split() == ["int64", "float64", "string", "datetime64[us]"]
    assert lines[-1] == f"[{len(ref)} rows x 4 columns]"
    rows = [line.split() for line in lines[2:-1]]
    check_rows(rows, reference(ref, ["i", "x", "s", "t"]))
    assert str(df) == repr(df)


def test_html_is_the_same_table_escaped(file_storage, rng):
    columns, valid = generate(rng, 500)
    df, ref = file_storage.frame(columns, valid)
    text = df._repr_html_()
    assert "<b>&amp;amp;" not in text and "&lt;b&gt;&amp;amp;" in text  # escaped once
    table = TableReader.read(text)
    assert table[0] == ["#", "i", "x", "s", "t"]
    assert table[1] == ["", "int64", "float64", "string", "datetime64[us]"]
    check_rows(table[2:], reference(ref, ["i", "x", "s", "t"]))
    assert f"{len(ref):,} rows × 4 columns" in text


def test_wide_frames_and_long_cells_are_cut(rng):
    n = 40
    columns = {f"c{j}": rng.integers(0, 100, n) for j in range(30)}
    columns["long"] = np.array(["é" * 60] * n, dtype=object)
    df = sf.from_arrays(**columns)
    lines = repr(df).split("\n")
    header = lines[0].split()
    half = _display.MAX_COLUMNS // 2
    names = list(columns)
    assert header == ["#"] + names[:half] + ["…"] + names[-half:]
    first = lines[2].split()
    assert first[1:half + 1] == [str(v) for v in [columns[c][0] for c in names[:half]]]
    assert first[half + 1] == "…"
    assert first[-1] == "é" * (_display.MAX_WIDTH - 1) + "…"
    assert lines[-1] == f"[{n} rows x 31 columns]"
    assert TableReader.read(df._repr_html_())[0] == ["#"] + names[:half] + ["…"] + names[-half:]


def test_a_filtered_frame_numbers_its_own_rows(rng):
    x = rng.standard_normal(2_000)
    df = sf.from_arrays(x=x)
    shown = df[df.x > 1]
    rows = [line.split() for line in repr(shown).split("\n")[2:-1]]
    check_rows(rows, pd.DataFrame({"x": x[x > 1]}))


def test_expressions_show_dtype_and_values(file_storage, rng):
    columns, valid = generate(rng, 300)
    df, ref = file_storage.frame(columns, valid)
    expr = df.i * 2 + 1
    lines = repr(expr).split("\n")
    assert lines[0] == "Expression = ((i * 2) + 1)"
    assert lines[1] == f"Length: {len(ref):,} dtype: int64 (expression)"
    values = ref["i"] * 2 + 1
    rows = [line.split() for line in lines[3:]]
    check_rows(rows, pd.DataFrame({"e": values}))
    html = df.s._repr_html_()
    assert "dtype: object (column)" in html
    cells = TableReader.read(html)
    check_rows(cells, reference(ref, ["s"]))


def test_repr_never_raises(rng):
    df = sf.from_arrays(x=rng.standard_normal(10))
    bad = sf.Expression(df, "nope + 1")
    assert "nope" in repr(bad)
    assert "nope" in bad._repr_html_()


class TableReader(HTMLParser):
    """The rows of the first table in an HTML text, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    @classmethod
    def read(cls, text):
        reader = cls()
        reader.feed(text)
        return reader.rows

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
