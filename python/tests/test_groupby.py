"""groupby against pandas (dropna=False, sorted keys): integer, float (NaN), bool,
string (non-ASCII, missing), datetime and categorical keys, several keys, every
statistic, vaex's and pandas' spellings of `agg`, filters and per-aggregation
selections, over several record batches with missing values."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf

N = 60_007
KINDS = ["count", "sum", "mean", "std", "var", "min", "max"]
WORDS = np.array(["a", "Zürich", "日本", "", "b"], dtype=object)


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(31)
    k = rng.integers(-3, 9, N)
    f = np.round(rng.standard_normal(N), 0)
    f[rng.random(N) < 0.05] = np.nan
    s = WORDS[rng.integers(0, len(WORDS), N)]
    s[rng.random(N) < 0.05] = None
    x = rng.standard_normal(N) * 5 + 1
    x[rng.random(N) < 0.03] = np.nan
    i = rng.integers(-10**6, 10**6, N)
    t = (np.datetime64("2020-01-01") + rng.integers(0, 4, N).astype("timedelta64[D]")).astype("datetime64[us]")
    return pa.table({"k": pa.array(k, mask=rng.random(N) < 0.04), "f": f, "s": pa.array(list(s), pa.string()),
                     "b": rng.random(N) < 0.3, "t": t, "x": pa.array(x, mask=rng.random(N) < 0.05),
                     "i": pa.array(i, mask=rng.random(N) < 0.05),
                     "c": pa.array(list(s), pa.string()).dictionary_encode()})


@pytest.fixture(scope="module")
def frame(table, tmp_path_factory):
    path = tmp_path_factory.mktemp("groupby") / "g.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=20_000):
            w.write_batch(batch)
    return sf.open(str(path))


@pytest.fixture(scope="module")
def pandas_df(table):
    df = table.to_pandas()
    df["c"] = df["c"].astype(object)
    return df


def expected(pdf, keys, column, kind):
    g = pdf.groupby(keys, dropna=False, sort=True)
    if kind == "count":
        return g[column].count() if column else g.size()
    return getattr(g[column], kind)(**({"ddof": 0} if kind in ("std", "var") else {}))


def check(got, want, keys, name):
    """got: swiftframe result frame; want: pandas Series indexed by the keys."""
    result = got.to_pandas_df()
    want = want.reset_index()
    assert len(result) == len(want)
    for k in keys:
        a, b = result[k].to_numpy(), want[k].to_numpy()
        missing = pd.isna(b)
        np.testing.assert_array_equal(pd.isna(a), missing)
        assert list(a[~missing]) == list(b[~missing])
    np.testing.assert_allclose(result[name].to_numpy(dtype=float), want.iloc[:, -1].to_numpy(dtype=float),
                               rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize("key", ["k", "f", "s", "b", "t", "c"])
@pytest.mark.parametrize("kind", KINDS)
def test_one_key_every_statistic(frame, pandas_df, key, kind):
    got = frame.groupby(key, agg={"r": sf.agg.Aggregation(kind, "x")})
    check(got, expected(pandas_df, [key], "x", kind), [key], "r")


@pytest.mark.parametrize("keys", [["s", "k"], ["b", "f", "s"], ["t", "k"]])
def test_several_keys(frame, pandas_df, keys):
    got = frame.groupby(keys, agg={"n": sf.agg.count(), "total": sf.agg.sum("i")})
    check(got[keys + ["n"]], expected(pandas_df, keys, None, "count"), keys, "n")
    want = pandas_df.groupby(keys, dropna=False, sort=True)["i"].sum()  # pandas sums skip missing
    check(got[keys + ["total"]], want, keys, "total")


def test_integer_sums_are_exact(frame, pandas_df):
    got = frame.groupby("k", agg={"i": "sum"}).to_pandas_df()
    want = pandas_df.groupby("k", dropna=False)["i"].sum()
    assert got["i_sum"].dtype == np.int64
    np.testing.assert_array_equal(got["i_sum"].to_numpy(), want.to_numpy().astype(np.int64))


def test_spellings(frame, pandas_df):
    by_dict = frame.groupby("s", agg={"x": ["min", "max"], "i": "count"})
    assert by_dict.column_names == ["s", "x_min", "x_max", "i_count"]
    check(by_dict[["s", "i_count"]], expected(pandas_df, ["s"], "i", "count"), ["s"], "i_count")
    listed = frame.groupby("s", agg=["count", sf.agg.mean("x")])
    assert listed.column_names == ["s", "count", "x_mean"]
    check(frame.groupby("s").x.mean(), expected(pandas_df, ["s"], "x", "mean"), ["s"], "x")
    check(frame.groupby("s").size(), expected(pandas_df, ["s"], None, "count"), ["s"], "size")
    check(frame.groupby("s").agg({"m": sf.agg.max("x")}), expected(pandas_df, ["s"], "x", "max"), ["s"], "m")


def test_filter_and_selection(frame, pandas_df):
    filtered = frame[frame.k > 2]
    got = filtered.groupby("s", agg={"m": sf.agg.mean("x"), "pos": sf.agg.count("x", selection="x > 0")})
    part = pandas_df[pandas_df["k"] > 2]
    check(got[["s", "m"]], expected(part, ["s"], "x", "mean"), ["s"], "m")
    positive = part.assign(x=part["x"].where(part["x"] > 0))
    check(got[["s", "pos"]], expected(positive, ["s"], "x", "count"), ["s"], "pos")


def test_many_groups():
    n = 2_000_000
    keys = np.random.default_rng(5).permutation(n) // 2  # 1,000,000 groups of two rows
    df = sf.from_arrays(k=keys, v=np.arange(n, dtype=np.float64))
    got = df.groupby("k", agg={"v": ["count", "sum"]}).to_pandas_df()
    want = pd.DataFrame({"k": keys, "v": np.arange(n, dtype=np.float64)}).groupby("k")["v"].agg(["count", "sum"])
    assert len(got) == n // 2
    np.testing.assert_array_equal(got["k"].to_numpy(), want.index.to_numpy())
    np.testing.assert_array_equal(got["v_count"].to_numpy(), want["count"].to_numpy())
    np.testing.assert_array_equal(got["v_sum"].to_numpy(), want["sum"].to_numpy())


@pytest.mark.parametrize("action, error", [
    (lambda df: df.groupby("nope", agg="count"), NameError),
    (lambda df: df.groupby("s", agg={"x": "median"}), ValueError),
    (lambda df: df.groupby("s", agg={"m": sf.agg.mean("s")}), TypeError),
    (lambda df: df.groupby("s", agg={"s": sf.agg.count()}), ValueError),
    (lambda df: df.groupby([], agg="count"), ValueError),
])
def test_errors(frame, action, error):
    with pytest.raises(error):
        action(frame)


@pytest.mark.parametrize("resolution, every, freq", [("D", 1, "D"), ("h", 6, "6h"), ("m", 30, "30min")])
def test_binner_time(resolution, every, freq):
    rng = np.random.default_rng(9)
    t = (np.datetime64("2021-03-01") + rng.integers(0, 10 * 86400, 20_000).astype("m8[s]")).astype("M8[us]")
    x = rng.standard_normal(20_000)
    df = sf.from_arrays(t=t, x=x)
    got = df.groupby(sf.BinnerTime(df.t, resolution, every=every), agg={"n": sf.agg.count(),
                                                                         "m": sf.agg.mean("x")}).to_pandas_df()
    want = pd.DataFrame({"t": t, "x": x}).groupby(pd.Series(t).dt.floor(freq).rename("t"))["x"].agg(["count", "mean"])
    np.testing.assert_array_equal(got["t"].to_numpy(), want.index.to_numpy().astype("M8[us]"))
    np.testing.assert_array_equal(got["n"].to_numpy(), want["count"].to_numpy())
    np.testing.assert_allclose(got["m"].to_numpy(), want["mean"].to_numpy(), rtol=1e-9)
    with pytest.raises(ValueError):
        sf.BinnerTime(df.t, "M")
