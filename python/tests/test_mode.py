"""mode against pandas' Series.mode()[0] (the most frequent value, ties: the smallest),
as a scalar statistic, on binby grids, per groupby group, under selections, in every
storage variant (NaN, missing values in the file variants, filters): numbers, bools,
datetimes, strings and categoricals. No value gives NaN (None for strings)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import swiftframe as sf
from conftest import ALL_VARIANTS, N, Storage, assert_values

COLUMNS = ["x", "f", "i", "big", "u", "b", "t", "s"]
SELECTIONS = [None, "sel > 0"]
BINS = 5  # binby y over [-1, 1)
WORDS = np.array(["apple", "Äpfel", "zebra", "b", "", "日本"], dtype=object)


def generate(rng, n):
    x = rng.integers(-30, 30, n) / 4  # few distinct values: modes are meaningful
    x[rng.random(n) < 0.05] = np.nan
    f = rng.integers(0, 50, n).astype(np.float32) / 8
    f[rng.random(n) < 0.3] = np.nan
    y = rng.uniform(-1.1, 1.1, n)
    y[rng.random(n) < 0.03] = np.nan
    return {
        "x": x, "f": f, "y": y,
        "i": rng.integers(-40, 40, n).astype(np.int32),
        "big": rng.choice(np.array([np.iinfo(np.int64).min, -1, 5, np.iinfo(np.int64).max]), n),
        "u": rng.integers(2**64 - 20, 2**64 - 1, n, dtype=np.uint64, endpoint=True),
        "b": rng.random(n) < 0.5,
        "t": np.datetime64("2021-03-01", "ns") + rng.integers(0, 60, n).astype("timedelta64[h]"),
        "s": WORDS[rng.integers(0, len(WORDS), n)],
        "k": rng.integers(0, 12, n).astype(np.int8),
        "sel": rng.integers(-5, 6, n).astype(np.int16),
    }


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(17)
    cols = generate(rng, N)
    valid = {name: rng.random(N) >= 0.1 for name in cols} if storage.is_file else None
    return storage.frame(cols, valid=valid)


def rows(ref, name, selection):
    """The rows a statistic of `name` sees: present, not NaN, selected."""
    keep = ref.present(name).copy()
    if ref[name].dtype.kind == "f":
        keep &= ~np.isnan(ref[name])
    if selection is not None:
        keep &= ref.present("sel") & (ref["sel"] > 0)
    return keep


def reference(values):
    """pandas' mode()[0] of `values` (NaN when empty)."""
    found = pd.Series(values).mode()
    return found.iloc[0] if len(found) else np.nan


def same(got, want):
    """Equal, as the value of its kind: NaN/None both mean no value."""
    if want is None or (isinstance(want, float) and np.isnan(want)):
        return got is None or (isinstance(got, (float, np.floating)) and np.isnan(got))
    if isinstance(want, pd.Timestamp):
        return np.datetime64(got, "ns") == want.to_datetime64()
    return got == want and type(got) is not type(None)


def check(got, want, what):
    assert same(got, want), f"{what}: expected {want!r}, got {got!r}"


@pytest.mark.parametrize("selection", SELECTIONS)
def test_scalar(data, selection):
    df, ref = data
    for name in COLUMNS:
        check(df.mode(name, selection=selection), reference(ref[name][rows(ref, name, selection)]),
              f"mode({name}) selection={selection}")


def test_result_dtypes(data):
    df, ref = data
    assert isinstance(df.mode("i"), np.int32)
    assert isinstance(df.mode("u"), np.uint64)
    assert isinstance(df.mode("f"), np.float32)
    assert isinstance(df.mode("b"), np.bool_)
    assert df.mode("t").dtype == np.dtype("datetime64[ns]")
    assert isinstance(df.mode("s"), str)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_binby(data, selection):
    df, ref = data
    y = ref["y"]
    cell = np.floor((y + 1) * BINS / 2)
    in_grid = ref.present("y") & ~np.isnan(y) & (cell >= 0) & (cell < BINS)
    for name in COLUMNS:
        got = df.mode(name, binby="y", limits=[-1, 1], shape=BINS, selection=selection)
        assert got.shape == (BINS,)
        keep = rows(ref, name, selection) & in_grid
        for c in range(BINS):
            check(got[c], reference(ref[name][keep & (cell == c)]), f"mode({name}) cell {c} selection={selection}")


def test_binby_two_axes_with_empty_cells(data):
    df, ref = data
    x, y = ref["x"], ref["y"]
    ok = ref.present("x") & ref.present("y") & ~np.isnan(x) & ~np.isnan(y)
    cx, cy = np.floor((x + 8) * 4 / 20), np.floor((y + 1) * 3 / 2)  # x over [-8, 12): the top cells are empty
    ok &= (cx >= 0) & (cx < 4) & (cy >= 0) & (cy < 3)
    for name in ("i", "s"):
        got = df.mode(name, binby=["x", "y"], limits=[[-8, 12], [-1, 1]], shape=[4, 3])
        for a in range(4):
            for b in range(3):
                check(got[a, b], reference(ref[name][ok & rows(ref, name, None) & (cx == a) & (cy == b)]),
                      f"mode({name}) cell {a},{b}")


def groups_of(ref):
    k, present = ref["k"], ref.present("k")
    out = [present & (k == v) for v in np.unique(k[present])]
    if not present.all():
        out.append(~present)
    return out


@pytest.mark.parametrize("selection", SELECTIONS)
def test_groupby(data, selection):
    df, ref = data
    groups = groups_of(ref)
    agg = {f"r_{name}": sf.agg.mode(name, selection=selection) for name in COLUMNS}
    got = df.groupby("k", agg=agg).to_pandas_df()
    assert len(got) == len(groups)
    for name in COLUMNS:
        keep = rows(ref, name, selection)
        column = got[f"r_{name}"].tolist()
        for g, (value, members) in enumerate(zip(column, groups)):
            check(value, reference(ref[name][keep & members]), f"mode({name}) group {g} selection={selection}")


def test_groupby_spellings(data):
    """{"x": "mode"}, {"s": ["mode", "count"]} and a list: vaex's forms and names."""
    df, ref = data
    groups = groups_of(ref)
    got = df.groupby("k", agg={"x": "mode", "s": ["mode", "count"]}).to_pandas_df()
    assert list(got.columns) == ["k", "x_mode", "s_mode", "s_count"]
    for name in ("x", "s"):
        for value, members in zip(got[f"{name}_mode"].tolist(), groups):
            check(value, reference(ref[name][rows(ref, name, None) & members]), f"{name}_mode")
    got = df.groupby("k", agg=[sf.agg.mode("t")]).to_pandas_df()
    for value, members in zip(got["t_mode"].tolist(), groups):
        check(value, reference(ref["t"][rows(ref, "t", None) & members]), "t_mode")


def test_list_of_expressions_and_selections(data):
    """[selections, expressions]: each expression's own kind of value."""
    df, ref = data
    got = df.mode(["i", "s"], selection=[None, "sel > 0"])
    assert got.shape == (2, 2)
    for a, selection in enumerate(SELECTIONS):
        for b, name in enumerate(["i", "s"]):
            check(got[a, b], reference(ref[name][rows(ref, name, selection)]), f"mode({name}) {selection}")


def test_delay_shares_the_pass(data):
    df, ref = data
    df.mode("s")  # strings: their labels are found when the statistic is made
    before = sf.pass_count()
    promises = [df.mode(name, delay=True) for name in ("x", "i", "b", "t")] + [df.mean("x", delay=True)]
    assert sf.pass_count() == before
    df.execute()
    assert sf.pass_count() == before + 1
    for p, name in zip(promises, ("x", "i", "b", "t")):
        check(p.get(), reference(ref[name][rows(ref, name, None)]), f"delayed mode({name})")


def test_ties_go_to_the_smallest_across_chunks():
    """Two values with the same count spread over many chunks (merged from several
    threads): the smaller wins, as pandas; NaN, however frequent, is skipped."""
    rng = np.random.default_rng(5)
    x = np.concatenate([np.full(60_000, 7.5), np.full(60_000, -2.25), np.full(59_999, 3.0), np.full(90_000, np.nan)])
    rng.shuffle(x)
    s = np.where(x == 7.5, "b", np.where(x == -2.25, "é", "a")).astype(object)
    s[np.isnan(x)] = "zz"
    s[(x == 3.0)] = "a"
    df = sf.from_arrays(x=x, s=s, g=np.arange(len(x)) % 3)
    assert df.mode("x") == -2.25 == pd.Series(x).mode()[0]
    assert df.mode("s") == pd.Series(s).mode()[0]  # "zz": 90 000 times
    got = df.groupby("g", agg={"m": sf.agg.mode("x")}).to_pandas_df()["m"].tolist()
    assert got == [pd.Series(x[np.arange(len(x)) % 3 == g]).mode()[0] for g in range(3)]


def test_categoricals():
    """A categorical's mode is its label; ties go to the first category, as pandas'
    Categorical mode (a stored dictionary in its dictionary's order; ordinal_encode's
    sorted labels; categorize's labels by value)."""
    rng = np.random.default_rng(8)
    n = 50_001
    words = np.array(["pear", "fig", "kiwi", "lime"], dtype=object)
    codes = rng.integers(0, 4, n)
    codes[:3000] = 1  # fig the mode
    present = rng.random(n) > 0.2
    arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=~present), pa.array(list(words)))
    g = rng.integers(0, 3, n)
    table = pa.table({"c": arr, "g": g, "n": codes})
    df = sf.from_arrow_table(table)
    want = pd.Series(pd.Categorical.from_codes(np.where(present, codes, -1), categories=list(words)))
    assert df.mode("c") == want.mode()[0] == "fig"
    got = df.groupby("g", agg={"m": sf.agg.mode("c")}).to_pandas_df()["m"].tolist()
    assert got == [want[g == k].mode()[0] for k in range(3)]
    encoded = df.ordinal_encode("c")
    assert encoded.mode("c") == "fig"
    labelled = df.categorize("n", labels=["zero", "one", "two", "three"])
    assert labelled.mode("n") == "one" == pd.Series(["zero", "one", "two", "three"])[pd.Series(codes).mode()[0]]
    shifted = sf.from_arrays(n=codes + 3, g=g).categorize("n", min_value=3, labels=["c", "d", "e", "f"])
    got = shifted.groupby("g", agg={"m": sf.agg.mode("n")}).to_pandas_df()["m"].tolist()
    assert got == [["c", "d", "e", "f"][pd.Series(codes[g == k]).mode()[0]] for k in range(3)]
    ties = sf.from_arrow_table(pa.table({"c": pa.DictionaryArray.from_arrays(
        pa.array(np.array([2, 0, 2, 0, 1], dtype=np.int32)), pa.array(["z", "y", "a"]))}))
    assert ties.mode("c") == pd.Series(pd.Categorical.from_codes([2, 0, 2, 0, 1], ["z", "y", "a"])).mode()[0] == "z"


def test_string_expressions(data):
    df, ref = data
    keep = rows(ref, "s", None)
    upper = pd.Series(ref["s"][keep]).str.upper()
    assert df.mode(df.s.str.upper()) == upper.mode()[0]
    got = df.groupby("k", agg={"m": sf.agg.mode(df.s.str.upper())}).to_pandas_df()["m"].tolist()
    want = [pd.Series(ref["s"][keep & members]).str.upper().mode()[0] for members in groups_of(ref)]
    assert got == want


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3).map(float), st.just(float("nan")), st.just(0.5)), max_size=60),
       st.integers(1, 4))
def test_matches_pandas_on_any_small_input(values, pieces):
    """Small inputs, repeated over several chunks (threads' states merged), then a
    different short tail that can change which value wins."""
    head = np.tile(np.array(values, dtype=np.float64), 40_000 // max(1, len(values)) if values else 0)
    x = np.concatenate([head, np.array(values[:pieces * 3], dtype=np.float64)])
    df = sf.from_arrays(x=x, i=np.nan_to_num(x, nan=-7).astype(np.int64))
    check(df.mode("x"), reference(x), "mode(x)")
    check(df.mode("i"), reference(np.nan_to_num(x, nan=-7).astype(np.int64)), "mode(i)")


def test_nothing_to_count():
    df = sf.from_arrays(x=np.array([np.nan, np.nan]), s=np.array(["a", "b"], dtype=object))
    assert np.isnan(df.mode("x"))
    assert df.mode("s", selection="x > 0") is None
    path_table = pa.table({"s": pa.array([None, None], pa.string()), "i": pa.array([None, 1], pa.int64())})
    empty = sf.from_arrow_table(path_table)
    assert empty.mode("s") is None
    assert np.isnan(empty.mode("i", selection="i > 5"))
    assert_values(sf.from_arrays(x=np.array([1.0, 1.0, 2.0])).mode("x", binby="x", limits=[0, 6], shape=3),
                  [1.0, 2.0, np.nan])
