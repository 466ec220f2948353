"""groupby against pandas (dropna=False, sorted keys): integer, float (NaN), bool,
string (non-ASCII, missing), datetime and categorical keys, several keys, every
statistic, vaex's and pandas' spellings of `agg`, filters and per-aggregation
selections, over several record batches with missing values; keys of high cardinality
(hashed per thread and merged), two wide keys together, categoricals with unused labels,
and 2 M distinct keys within a memory bound."""

import os
import subprocess
import sys
import textwrap

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


# Keys of high cardinality go through per-thread hash tables merged at the end; the
# frames below span several chunks so that both worker threads meet the same groups.

def hashed_frame(tmp_path, columns, batch_rows=70_000):
    table = pa.table(columns)
    path = tmp_path / "hashed.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=batch_rows):
            w.write_batch(batch)
    return sf.open(str(path)), table.to_pandas()


def check_frame(got, want, keys):
    """got: swiftframe result; want: pandas frame with the keys as columns, same order."""
    result = got.to_pandas_df()
    assert len(result) == len(want)
    for column in want.columns:
        a, b = result[column].to_numpy(), want[column].to_numpy()
        missing = pd.isna(b)
        np.testing.assert_array_equal(pd.isna(a), missing, err_msg=column)
        if column in keys:
            assert list(a[~missing]) == list(b[~missing]), column
        else:
            np.testing.assert_allclose(a[~missing].astype(float), b[~missing].astype(float), rtol=1e-9, atol=1e-9,
                                       err_msg=column)  # atol: sums that cancel to about 0


def two_wide_keys(tmp_path):
    """300k rows of two int keys with 200k values each (4e10 possible pairs)."""
    n = 300_000
    rng = np.random.default_rng(11)
    a, b = rng.integers(0, 200_000, n), rng.integers(-100_000, 100_000, n)
    a[:1000] = b[:1000]  # some pairs repeat
    b[1000:2000] = b[:1000]
    x = rng.standard_normal(n)
    return hashed_frame(tmp_path, {"a": pa.array(a, mask=rng.random(n) < 0.02), "b": b, "x": x})


def test_two_high_cardinality_keys(tmp_path):
    # A dense index over the product of the keys' ranges would need 4e10 groups.
    df, pdf = two_wide_keys(tmp_path)
    got = df.groupby(["a", "b"], agg={"n": sf.agg.count(), "sx": sf.agg.sum("x"), "mx": sf.agg.max("x")})
    g = pdf.groupby(["a", "b"], dropna=False, sort=True)["x"]
    want = pd.DataFrame({"n": g.size(), "sx": g.sum(), "mx": g.max()}).reset_index()
    check_frame(got, want, ["a", "b"])


def test_two_high_cardinality_keys_in_partial_states(tmp_path):
    # The same groupby as serialized partial states of three row ranges, merged by key.
    from swiftframe import partials
    df, pdf = two_wide_keys(tmp_path)
    agg = {"n": sf.agg.count(), "sx": sf.agg.sum("x")}
    blobs = [partials.groupby(df[lo:hi], ["a", "b"], agg) for lo, hi in [(0, 90_000), (90_000, 200_000), (200_000, None)]]
    got = partials.finish_groupby(partials.merge(blobs))
    g = pdf.groupby(["a", "b"], dropna=False, sort=True)["x"]
    check_frame(got, pd.DataFrame({"n": g.size(), "sx": g.sum()}).reset_index(), ["a", "b"])


WIDE_WORDS = np.array([f"w{k}-ü" if k % 3 else f"日本{k}" for k in range(30_000)] + ["", "a"], dtype=object)


@pytest.mark.parametrize("keys", [["s"], ["s", "k"], ["k", "s", "f"]])
def test_string_keys_with_missing_and_non_ascii(tmp_path, keys):
    n = 250_000
    rng = np.random.default_rng(12)
    s = WIDE_WORDS[rng.integers(0, len(WIDE_WORDS), n)]
    s[rng.random(n) < 0.03] = None
    f = np.round(rng.standard_normal(n), 1)
    f[rng.random(n) < 0.02] = np.nan
    f[rng.random(n) < 0.02] = -0.0
    k = rng.integers(0, 3, n)
    x = rng.standard_normal(n)
    df, pdf = hashed_frame(tmp_path, {"s": pa.array(list(s), pa.string()), "k": k, "f": f, "x": x})
    pdf["f"] = pdf["f"] + 0.0  # pandas groups -0.0 with 0.0 too; keep the frames' values alike
    got = df.groupby(keys, agg={"n": sf.agg.count(), "m": sf.agg.mean("x"), "first": sf.agg.first("x")})
    g = pdf.groupby(keys, dropna=False, sort=True)["x"]
    want = pd.DataFrame({"n": g.size(), "m": g.mean(), "first": g.first()}).reset_index()
    check_frame(got, want, keys)


def test_categorical_keys_with_unused_labels(tmp_path):
    n = 200_000
    rng = np.random.default_rng(13)
    labels = pa.array(["zeta", "alpha", "unused", "Ω", "beta", "never"])
    indices = rng.choice([0, 1, 3, 4], n)
    c = pa.DictionaryArray.from_arrays(pa.array(indices, mask=rng.random(n) < 0.05, type=pa.int8()), labels)
    k = rng.integers(0, 500_000, n)
    x = rng.standard_normal(n)
    df, pdf = hashed_frame(tmp_path, {"c": c, "k": k, "x": x})
    pdf["c"] = pdf["c"].astype(object)
    for keys in (["c"], ["c", "k"]):  # a direct index, then a tuple with a hashed key
        got = df.groupby(keys, agg={"n": sf.agg.count(), "s": sf.agg.sum("x")})
        g = pdf.groupby(keys, dropna=False, sort=True)["x"]
        check_frame(got, pd.DataFrame({"n": g.size(), "s": g.sum()}).reset_index(), keys)
    # ordinal_encode / categorize: the codes group directly; unused codes give no group.
    encoded = df.ordinal_encode("c", values=["alpha", "beta", "unused", "zeta", "Ω"])
    got = encoded.groupby("c", agg={"n": sf.agg.count()}).to_pandas_df()
    codes = pdf["c"].map({"alpha": 0, "beta": 1, "unused": 2, "zeta": 3, "Ω": 4})
    want = codes.groupby(codes, dropna=False).size()
    np.testing.assert_array_equal(got["n"].to_numpy(), want.to_numpy())
    np.testing.assert_array_equal(got["c"].to_numpy()[:-1], want.index.to_numpy()[:-1])
    small = sf.from_arrays(v=np.array([3, 5, 5, 9, 3, 3]), x=np.arange(6.0)).categorize("v", min_value=3, max_value=9)
    got = small.groupby("v", agg={"n": sf.agg.count(), "s": sf.agg.sum("x")}).to_pandas_df()
    assert list(got["v"]) == [3, 5, 9] and list(got["n"]) == [3, 2, 1] and list(got["s"]) == [9.0, 3.0, 3.0]


def moment(values, k):
    """The k-th central moment over n (scipy.stats' biased skew and kurtosis use these)."""
    v = values.dropna().to_numpy()
    return np.mean((v - v.mean()) ** k)


STATISTICS = ["count", "sum", "mean", "std", "var", "min", "max", "first", "last", "any", "all", "skew",
              "kurtosis", "nunique"]


@pytest.mark.parametrize("keys", [["g"], ["g", "s"]])
def test_every_statistic_on_hashed_keys(tmp_path, keys):
    n = 200_000
    rng = np.random.default_rng(14)
    g = rng.integers(0, 400, n) * 1_000_003  # a wide range: hashed, not a direct index
    s = np.array(["p", "q", "r"], dtype=object)[rng.integers(0, 3, n)]
    x = np.round(rng.standard_normal(n) * 4, 1)
    x[rng.random(n) < 0.03] = np.nan
    y = rng.standard_normal(n) + x * 0.5
    df, pdf = hashed_frame(tmp_path, {"g": g, "s": pa.array(list(s), pa.string()), "x": x, "y": y})
    agg = {kind: sf.agg.Aggregation(kind, "x") for kind in STATISTICS}
    agg["cov"] = sf.agg.covariance("x", "y")
    agg["corr"] = sf.agg.correlation("x", "y")
    got = df.groupby(keys, agg=agg)
    grouped = pdf.groupby(keys, sort=True)
    xs = grouped["x"]
    nonzero = pdf.assign(t=(pdf["x"] != 0).where(pdf["x"].notna())).groupby(keys, sort=True)["t"]
    want = pd.DataFrame({
        "count": xs.count(), "sum": xs.sum(), "mean": xs.mean(), "std": xs.std(ddof=0), "var": xs.var(ddof=0),
        "min": xs.min(), "max": xs.max(), "first": xs.first(), "last": xs.last(),
        "any": nonzero.apply(lambda t: bool(t.dropna().any())), "all": nonzero.apply(lambda t: bool(t.dropna().all())),
        "skew": xs.apply(lambda v: moment(v, 3) / moment(v, 2) ** 1.5),
        "kurtosis": xs.apply(lambda v: moment(v, 4) / moment(v, 2) ** 2 - 3),
        "nunique": xs.nunique(),
        "cov": grouped.apply(lambda d: np.cov(d.dropna()["x"], d.dropna()["y"], ddof=0)[0, 1]),
        "corr": grouped.apply(lambda d: d["x"].corr(d["y"])),
    }).reset_index()
    check_frame(got, want, keys)


def test_two_million_distinct_keys_memory(tmp_path):
    """2 M distinct int64 keys, in a child process: results against numpy, and the
    memory the groupby adds at its peak stays within a bound per group."""
    n = 2_000_000
    rng = np.random.default_rng(15)
    k = rng.permutation(n).astype(np.int64) * 7_919 - 5_000_000_000
    v = rng.standard_normal(n)
    path = tmp_path / "distinct.arrow"
    table = pa.table({"k": k, "v": v})
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=1 << 20):
            w.write_batch(batch)
    script = textwrap.dedent("""
        import sys, numpy as np, swiftframe as sf
        def status(key):
            with open("/proc/self/status") as f:
                return int([l.split()[1] for l in f if l.startswith(key)][0]) * 1024
        df = sf.open(sys.argv[1])
        before = status("VmRSS")
        groups = df.groupby("k", agg={"n": sf.agg.count(), "s": sf.agg.sum("v"), "lo": sf.agg.min("v")})
        peak = status("VmHWM")
        r = groups.to_pandas_df()
        np.save(sys.argv[2], np.stack([r["k"].to_numpy().astype(float), r["n"].to_numpy(), r["s"].to_numpy(),
                                       r["lo"].to_numpy()]))
        print(peak - before)
    """)
    # Large blocks straight from mmap, so freed ones leave at once: count our memory, not malloc's slack.
    env = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1", MALLOC_MMAP_THRESHOLD_="131072")
    out = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "r.npy")], capture_output=True,
                         text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    grown = int(out.stdout.split()[-1])
    # Peak resident growth during the groupby (the 32 MB of file pages read included).
    # The result holds 2 M x 4 columns x 8 bytes = 64 MB; per-thread tables and states
    # and the merged ones come and go: measured 132 bytes per group on 2 threads.
    assert grown < 200 * n, f"{grown / 1e6:.0f} MB for {n} groups"
    k_got, n_got, s_got, lo_got = np.load(tmp_path / "r.npy")
    order = np.argsort(k)
    np.testing.assert_array_equal(k_got, k[order].astype(float))
    np.testing.assert_array_equal(n_got, np.ones(n))
    np.testing.assert_array_equal(s_got, v[order])
    np.testing.assert_array_equal(lo_got, v[order])


def test_no_rows_and_all_missing_keys():
    df = sf.from_arrays(k=np.array([5, 7, 5]), s=np.array(["a", "b", "a"], dtype=object), x=np.arange(3.0))
    for keys in (["k"], ["s"], ["k", "s"]):
        empty = df[df.x > 10].groupby(keys, agg={"n": sf.agg.count(), "m": sf.agg.mean("x")})
        assert len(empty) == 0 and empty.column_names == keys + ["n", "m"]
    missing = sf.from_arrow(pa.table({"k": pa.array([None, None, None], pa.int64()), "x": np.arange(3.0)}))
    got = missing.groupby("k", agg={"n": sf.agg.count(), "s": sf.agg.sum("x")}).to_pandas_df()
    assert len(got) == 1 and pd.isna(got["k"][0]) and got["n"][0] == 3 and got["s"][0] == 3.0
