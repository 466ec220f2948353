"""Property tests (hypothesis): generated frames — int, float, bool, string and datetime
columns with NaN, infinities and missing values, empty and one-row frames, filters that
keep nothing — with swiftframe's results checked against numpy, pandas and pyarrow:
expressions, statistics, binby, groupby, value_counts and export round trips. (sort and
join get theirs with those features.) 200 examples per property, deadlines off: the file
runs in about a minute."""

import datetime
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import swiftframe as sf

PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

# Floats are multiples of 1/4 (sums exact, binby cell edges exact) or specials; ints are
# small enough that no product overflows.
FLOATS = st.one_of(st.integers(-40, 40).map(lambda k: k / 4), st.sampled_from([math.nan, math.inf, -math.inf]))
INTS = st.integers(-1000, 1000)
WORDS = st.sampled_from(["", "a", "b", "Zürich", "日本", "a b"])
EPOCH = datetime.datetime(2020, 1, 1)
TIMES = st.integers(-10**6, 10**6).map(lambda s: EPOCH + datetime.timedelta(seconds=s))


def maybe(values):
    return st.one_of(st.none(), values)


@st.composite
def tables(draw, max_rows=12):
    """A pyarrow table of 0..max_rows rows: i int64, x float64, b bool, s string, t timestamp[us]."""
    n = draw(st.integers(0, max_rows))
    column = lambda values: draw(st.lists(maybe(values), min_size=n, max_size=n))  # noqa: E731
    return pa.table({"i": pa.array(column(INTS), pa.int64()), "x": pa.array(column(FLOATS), pa.float64()),
                     "b": pa.array(column(st.booleans()), pa.bool_()), "s": pa.array(column(WORDS), pa.string()),
                     "t": pa.array(column(TIMES), pa.timestamp("us"))})


def masked(table, name):
    """A column as (values, present): missing values zero-filled, NaN kept."""
    column = table.column(name).combine_chunks()
    present = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), bool)
    fill = {"b": False, "s": ""}.get(name, 0)
    if name == "t":
        values = column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False).astype("datetime64[us]")
    else:
        values = np.asarray(column.fill_null(fill).to_numpy(zero_copy_only=False))
    return values, present


# Filters: (expression, numpy rows kept); missing counts as not kept. Some keep nothing.
FILTERS = {
    None: lambda c: None,
    "x > 1": lambda c: c["x"][1] & (c["x"][0] > 1),
    "i < 0": lambda c: c["i"][1] & (c["i"][0] < 0),
    "b": lambda c: c["b"][1] & c["b"][0],
    "x > 1e300": lambda c: c["x"][1] & (c["x"][0] > 1e300),
    "i != i": lambda c: np.zeros(len(c["i"][0]), bool),
    "s == 'a'": lambda c: c["s"][1] & (c["s"][0] == "a"),
}


def columns(table):
    return {name: masked(table, name) for name in table.column_names}


def apply_filter(df, c, text):
    keep = FILTERS[text](c)
    if keep is None:
        return df, np.ones(len(c["i"][0]), bool)
    return df.filter(text), keep


def frame(table):
    return sf.from_arrow(table)


# Expressions: (text, numpy function of the columns giving (values, present)).
def both(f, *names):
    def expected(c):
        present = np.logical_and.reduce([c[n][1] for n in names])
        with np.errstate(all="ignore"):
            return f(*(c[n][0] for n in names)), present
    return expected


EXPRESSIONS = {
    "x + i": both(lambda x, i: x + i, "x", "i"),
    "x * 2 - i": both(lambda x, i: x * 2 - i, "x", "i"),
    "i * i - 3": both(lambda i: i * i - 3, "i"),
    "-x": both(lambda x: -x, "x"),
    "abs(x) + abs(i)": both(lambda x, i: np.abs(x) + np.abs(i), "x", "i"),
    "sqrt(abs(x))": both(lambda x: np.sqrt(np.abs(x)), "x"),
    "x / 4": both(lambda x: x / 4, "x"),
    "x > i": both(lambda x, i: x > i, "x", "i"),
    "i <= 10": both(lambda i: i <= 10, "i"),
    "x == x": both(lambda x: x == x, "x"),
    "b & (i > 0)": both(lambda b, i: b & (i > 0), "b", "i"),
    "~b": both(lambda b: ~b, "b"),
    "where(i > 0, x, -x)": both(lambda i, x: np.where(i > 0, x, -x), "i", "x"),
    "minimum(x, i)": both(lambda x, i: np.minimum(x, i), "x", "i"),
    "str_len(s)": both(lambda s: np.array([len(v) for v in s], dtype=np.int64), "s"),
    "str_upper(s)": both(lambda s: np.array([v.upper() for v in s], dtype=object), "s"),
}


@PROPERTY
@given(tables(), st.sampled_from(sorted(EXPRESSIONS)), st.sampled_from(list(FILTERS)))
def test_expressions_match_numpy(table, text, filter_text):
    c = columns(table)
    df, keep = apply_filter(frame(table), c, filter_text)
    values, present = EXPRESSIONS[text](c)
    values, present = values[keep], present[keep]
    got = df.evaluate(text)
    assert len(got) == keep.sum()
    # Strings come as an object array with None for missing; the rest as masked arrays.
    mask = np.array([v is None for v in got], bool) if got.dtype == object else np.ma.getmaskarray(got)
    np.testing.assert_array_equal(mask, ~present)
    data = np.ma.getdata(got)[present]
    if data.dtype.kind == "f":
        np.testing.assert_array_equal(data, values[present].astype(float))  # NaN == NaN here
    else:
        assert list(data) == list(values[present])


def numpy_statistics(values, present, kind):
    """numpy's statistic of the present, non-NaN values; NaN where there are none."""
    v = values[present]
    if v.dtype.kind == "f":
        v = v[~np.isnan(v)]
    if kind == "count":
        return len(v)
    if kind == "sum":
        return v.sum() if len(v) else 0
    if not len(v):
        return math.nan
    if v.dtype.kind == "M":
        return {"min": v.min(), "max": v.max()}[kind]
    return {"mean": np.mean, "var": np.var, "std": np.std, "min": np.min, "max": np.max}[kind](v.astype(float))


@PROPERTY
@given(tables(), st.sampled_from(["i", "x", "t"]), st.sampled_from(list(FILTERS)))
def test_statistics_match_numpy(table, name, filter_text):
    c = columns(table)
    df, keep = apply_filter(frame(table), c, filter_text)
    values, present = c[name][0][keep], c[name][1][keep]
    kinds = ["count", "min", "max"] if name == "t" else ["count", "sum", "mean", "var", "std", "min", "max"]
    assert df.count() == keep.sum()
    for kind in kinds:
        got, want = getattr(df, kind)(name), numpy_statistics(values, present, kind)
        if isinstance(want, np.datetime64):
            assert np.datetime64(got, "us") == want, kind
        elif kind in ("min", "max") and not (isinstance(want, float) and math.isnan(want)):
            assert got == want, kind
        else:
            np.testing.assert_allclose(float(got), float(want), rtol=1e-9, atol=1e-9, err_msg=kind)


@PROPERTY
@given(tables(max_rows=30), st.sampled_from(list(FILTERS)), st.sampled_from([(4, 8), (1, 1), (16, 3)]))
def test_binby_matches_histogramdd(table, filter_text, shape):
    """count and sum of x on a grid of x in [-8, 8) and i in [-1024, 1024): a row lands
    in a cell when both values are present, not NaN and inside the limits (the upper
    limit excluded, where histogramdd would include it)."""
    c = columns(table)
    df, keep = apply_filter(frame(table), c, filter_text)
    limits = [[-8, 8], [-1024, 1024]]
    (x, xp), (i, ip) = c["x"], c["i"]
    rows = keep & xp & ip & ~np.isnan(x) & (x >= -8) & (x < 8) & (i >= -1024) & (i < 1024)
    sample = np.column_stack([x[rows], i[rows].astype(float)])
    counts, _ = np.histogramdd(sample, bins=shape, range=limits)
    sums, _ = np.histogramdd(sample, bins=shape, range=limits, weights=x[rows])
    got = df.count(binby=["x", "i"], limits=limits, shape=list(shape))
    np.testing.assert_array_equal(got, counts)
    got_sum = df.sum("x", binby=["x", "i"], limits=limits, shape=list(shape))
    np.testing.assert_allclose(got_sum, sums)


def key_of(value):
    """A groupby key comparable across pandas and swiftframe: NaN and missing as labels."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "<missing>"
    if isinstance(value, float) and math.isnan(value):
        return "<missing>"
    return value.item() if hasattr(value, "item") else value


@PROPERTY
@given(tables(max_rows=20), st.sampled_from(["s", "i", "b"]), st.sampled_from(list(FILTERS)))
def test_groupby_matches_pandas(table, key, filter_text):
    c = columns(table)
    df, keep = apply_filter(frame(table), c, filter_text)
    pdf = table.to_pandas()[keep]
    got = df.groupby(key, agg={"n": sf.agg.count(), "sx": sf.agg.sum("x"), "mx": sf.agg.max("x"),
                               "mi": sf.agg.min("i")}).to_pandas_df()
    g = pdf.groupby(key, dropna=False, sort=False)
    # pandas keeps missing float x as NaN: its sum and max skip them, as ours skip missing and NaN.
    want = pd.DataFrame({"n": g.size(), "sx": g["x"].sum(), "mx": g["x"].max(), "mi": g["i"].min()})
    got_rows = {key_of(k): row for k, row in zip(got[key], got[["n", "sx", "mx", "mi"]].to_numpy(float))}
    want_rows = {key_of(k): row for k, row in zip(want.index, want[["n", "sx", "mx", "mi"]].to_numpy(float))}
    assert set(got_rows) == set(want_rows)
    for k, row in want_rows.items():
        np.testing.assert_allclose(got_rows[k], row, equal_nan=True, err_msg=str(k))


@PROPERTY
@given(tables(max_rows=20), st.sampled_from(["s", "i", "x", "b", "t"]), st.sampled_from(list(FILTERS)))
def test_value_counts_match_pandas(table, name, filter_text):
    c = columns(table)
    df, keep = apply_filter(frame(table), c, filter_text)
    series = table.to_pandas()[name][keep]
    got = df.value_counts(name)
    want = series.value_counts(dropna=False)
    got_counts, want_counts = {}, {}
    for k, v in got.items():
        got_counts[key_of(k)] = got_counts.get(key_of(k), 0) + int(v)
    for k, v in want.items():
        want_counts[key_of(k)] = want_counts.get(key_of(k), 0) + int(v)
    if name == "x":  # pandas counts NaN and missing together; we count them apart
        assert set(got_counts) == set(want_counts)
    assert got_counts == want_counts
    assert int(got.sum()) == keep.sum()
    assert list(got.to_numpy()) == sorted(got.to_numpy(), reverse=True)


def same_values(a, b):
    """Lists equal, NaN equal to NaN."""
    return len(a) == len(b) and all(x == y or (isinstance(x, float) and isinstance(y, float)
                                               and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


@PROPERTY
@given(tables(), st.sampled_from(list(FILTERS)), st.sampled_from(["arrow", "parquet"]))
def test_export_round_trips_through_pyarrow(tmp_path, table, filter_text, fmt):
    c = columns(table)
    df, keep = apply_filter(frame(table), c, filter_text)
    df["y"] = df.x * 2 + df.i
    path = tmp_path / f"out.{fmt}"
    getattr(df, f"export_{fmt}")(str(path))
    if fmt == "arrow":
        with pa.ipc.open_file(str(path)) as reader:
            back = reader.read_all()
    else:
        import pyarrow.parquet as pq
        back = pq.read_table(str(path))
    want = table.filter(pa.array(keep))
    assert back.column_names == ["i", "x", "b", "s", "t", "y"]
    for name in want.column_names:
        assert same_values(back.column(name).to_pylist(), want.column(name).to_pylist()), name
    x, i = want.column("x").to_pylist(), want.column("i").to_pylist()
    y = [None if a is None or b is None else a * 2 + b for a, b in zip(x, i)]
    assert same_values(back.column("y").to_pylist(), y)
    # And the file opens again in swiftframe with the same length.
    if fmt == "arrow":
        assert len(sf.open(str(path))) == keep.sum()


# Regression (found by test_groupby_matches_pandas): grouping no rows — an empty frame, or
# a filter that keeps nothing — divided by a key's zero groups and killed the process.
@pytest.mark.parametrize("key_type", [pa.int64(), pa.string(), pa.bool_(), pa.float64()])
@pytest.mark.parametrize("rows", [0, 3])
def test_groupby_and_value_counts_of_no_rows_are_empty(key_type, rows):
    table = pa.table({"k": pa.array([None] * rows, key_type), "x": pa.array([1.0] * rows, pa.float64())})
    df = sf.from_arrow(table)
    if rows:
        df = df.filter("x > 2")
    got = df.groupby("k", agg={"n": sf.agg.count(), "s": sf.agg.sum("x")}).to_pandas_df()
    assert list(got.columns) == ["k", "n", "s"] and len(got) == 0
    assert len(df.value_counts("k")) == 0
