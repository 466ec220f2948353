"""df.sort against pandas' sort_values(kind="stable", na_position="last") on random data
with duplicates, missing values, NaN, non-ASCII strings, datetimes, bools and
categoricals, over every file variant (one record batch, several uneven ones with an
empty one, filtered); then what a sorted frame computes (statistics, groupby, binby,
filters, selections, virtual columns, exports, slices) against pandas on the sorted
rows, and the memory a sort takes."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf
from conftest import assert_values

WORDS = np.array(["apple", "Äpfel", "zebra", "émile", "b", "", "日本", "apple ", "Zebra", "ñandú"], dtype=object)


def make(file_storage, rng, n=60_000):
    """A frame with every sortable kind of key and `row` (the row's original position),
    and the pandas frame of the same rows (missing values as pandas' NA)."""
    i = rng.integers(-20, 20, n)
    f = rng.integers(-5, 5, n).astype(np.float64) / 2
    f[rng.random(n) < 0.05] = np.nan
    f[rng.random(n) < 0.01] = -0.0
    s = WORDS[rng.integers(0, len(WORDS), n)]
    b = rng.random(n) < 0.5
    t = (np.datetime64("2020-01-01T00:00:00", "ns") + rng.integers(0, 50, n) * np.timedelta64(3600, "s"))
    u = rng.integers(0, 3, n).astype(np.uint64) * np.uint64(2**63)  // np.uint64(2)
    valid = {name: rng.random(n) > 0.1 for name in ["i", "f", "s", "b", "t"]}
    columns = dict(i=i, f=f, s=s, b=b, t=t, u=u, row=np.arange(n))
    df, ref = file_storage.frame(columns, valid=valid)
    pdf = pd.DataFrame({
        "i": pd.array(np.where(ref.present("i"), ref["i"], 0), dtype="Int64"),
        "f": np.where(ref.present("f"), ref["f"], np.nan),
        "s": pd.Series(np.where(ref.present("s"), ref["s"], None), dtype=object),
        "b": pd.array(ref["b"], dtype="boolean"),
        "t": pd.Series(np.where(ref.present("t"), ref["t"], np.datetime64("NaT"))),
        "u": ref["u"],
        "row": ref["row"],
    })
    pdf.loc[~ref.present("i"), "i"] = pd.NA
    pdf.loc[~ref.present("b"), "b"] = pd.NA
    return df, pdf


def expected_rows(pdf, by, ascending=True):
    return pdf.sort_values(by, ascending=ascending, kind="stable", na_position="last")["row"].to_numpy()


@pytest.mark.parametrize("key", ["i", "f", "s", "b", "t", "u"])
@pytest.mark.parametrize("ascending", [True, False])
def test_one_key_matches_pandas(file_storage, rng, key, ascending):
    df, pdf = make(file_storage, rng)
    out = df.sort(key, ascending=ascending)
    assert len(out) == len(pdf)
    np.testing.assert_array_equal(out.evaluate("row"), expected_rows(pdf, key, ascending))


@pytest.mark.parametrize("by,ascending", [(["i", "s"], True), (["s", "f", "t"], [False, True, False]),
                                           (["b", "i", "f"], [True, False, True])])
def test_several_keys_match_pandas(file_storage, rng, by, ascending):
    df, pdf = make(file_storage, rng)
    np.testing.assert_array_equal(df.sort(by, ascending=ascending).evaluate("row"), expected_rows(pdf, by, ascending))


def test_sort_by_expression_and_expression_objects(file_storage, rng):
    df, pdf = make(file_storage, rng)
    key = pdf["i"].astype("float64") * -1.5 + pdf["f"]
    expected = pdf.assign(k=key).sort_values("k", kind="stable", na_position="last")["row"].to_numpy()
    np.testing.assert_array_equal(df.sort("i * -1.5 + f").evaluate("row"), expected)
    np.testing.assert_array_equal(df.sort(df.i * -1.5 + df.f).evaluate("row"), expected)


def test_categorical_sorts_by_label(tmp_path, rng):
    n = 30_000
    labels = ["zeta", "alpha", "Ärger", "beta", "日"]  # dictionary order is not label order
    codes = rng.integers(0, len(labels), n)
    valid = rng.random(n) > 0.1
    cat = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8(), mask=~valid), pa.array(labels))
    path = tmp_path / "cat.arrow"
    table = pa.table({"c": cat, "row": np.arange(n)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        for lo in range(0, n, 7_000):
            w.write_table(table.slice(lo, 7_000))
    df = sf.open(str(path))
    pdf = table.to_pandas()
    pdf["c"] = pdf["c"].astype(object)
    for ascending in (True, False):
        np.testing.assert_array_equal(df.sort("c", ascending=ascending).evaluate("row"),
                                      expected_rows(pdf, "c", ascending))
    out = df.sort("c").to_pandas_df()
    expected = pdf.sort_values("c", kind="stable", na_position="last").reset_index(drop=True)
    assert list(out["c"].astype(object).where(out["c"].notna(), None)) == list(expected["c"].where(expected["c"].notna(), None))


DISTRIBUTIONS = {
    "rounded normal": lambda rng, n: np.round(rng.standard_normal(n) * 1e3) / 7,
    "uniform": lambda rng, n: rng.random(n),
    "few values": lambda rng, n: rng.integers(0, 3, n) * 1e300,
    "one heavy value": lambda rng, n: np.where(rng.random(n) < 0.8, 0.25, rng.standard_normal(n)),
    "wide int64": lambda rng, n: rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64, endpoint=True),
    "narrow int64": lambda rng, n: rng.integers(0, 70_000, n),
}


@pytest.mark.parametrize("distribution", list(DISTRIBUTIONS))
def test_large_sorts_are_stable(rng, distribution):
    """Past the top-level pass's cut-over (many buckets, heavy prefixes, duplicates across
    buckets): floats with infinities and NaN, and integers of wide and narrow ranges."""
    n = 500_000
    x = DISTRIBUTIONS[distribution](rng, n)
    if x.dtype.kind == "f":
        x[rng.random(n) < 0.001] = np.inf
        x[rng.random(n) < 0.001] = -np.inf
        x[rng.random(n) < 0.01] = np.nan
    df = sf.from_arrays(x=x, row=np.arange(n))
    np.testing.assert_array_equal(df.sort("x").evaluate("row"), np.argsort(x, kind="stable"))
    expected = pd.DataFrame({"x": x, "row": np.arange(n)}).sort_values("x", ascending=False, kind="stable")["row"]
    np.testing.assert_array_equal(df.sort("x", ascending=False).evaluate("row"), expected.to_numpy())


def test_many_distinct_strings(rng):
    """More distinct strings than one top-level prefix holds: their ranks are sorted too."""
    n = 300_000
    words = np.array([f"w{v:07d}é" for v in rng.integers(0, 200_000, n)], dtype=object)
    df = sf.from_pandas(pd.DataFrame({"s": words, "row": np.arange(n)}))
    np.testing.assert_array_equal(df.sort("s").evaluate("row"), np.argsort(words.astype(str), kind="stable"))


def test_int64_extremes_with_missing(tmp_path):
    """A present value whose code is the missing code (int64 max ascending, min
    descending) still sorts before the missing values."""
    values = np.array([np.iinfo(np.int64).max, 3, np.iinfo(np.int64).min, 0, 3, np.iinfo(np.int64).max])
    valid = np.array([True, False, True, True, True, False])
    path = tmp_path / "x.arrow"
    table = pa.table({"x": pa.array(values, mask=~valid), "row": np.arange(6)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    pdf = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for ascending in (True, False):
        np.testing.assert_array_equal(df.sort("x", ascending=ascending).evaluate("row"),
                                      expected_rows(pdf, "x", ascending))


def test_sorted_frame_computes_like_pandas(storage, rng, tmp_path):
    n = 50_000
    x = rng.standard_normal(n)
    g = rng.integers(0, 7, n)
    k = rng.integers(0, 1000, n).astype(np.float64)
    df, ref = storage.frame(dict(x=x, g=g, k=k, row=np.arange(n)))
    pdf = pd.DataFrame({name: ref[name] for name in ["x", "g", "k", "row"]})
    srt = df.sort(["k", "g"], ascending=[False, True])
    e = pdf.sort_values(["k", "g"], ascending=[False, True], kind="stable").reset_index(drop=True)
    assert_values(srt.evaluate("x"), e["x"])
    assert srt.sum("x") == pytest.approx(e["x"].sum(), rel=1e-9)
    assert srt.mean("x * 2") == pytest.approx((e["x"] * 2).mean(), rel=1e-9)
    assert srt.count() == len(e)
    assert srt.first("row") == e["row"][0] and srt.last("row") == e["row"].iloc[-1]
    grouped = srt.groupby("g", agg={"s": sf.agg.sum("x")}).to_pandas_df()
    assert_values(grouped["s"], e.groupby("g")["x"].sum().to_numpy())
    counts = srt.count(binby="x", limits=[-3, 3], shape=10)
    assert_values(counts, np.histogram(e["x"], bins=10, range=(-3, 3))[0])
    # A filter, a selection and a virtual column on the sorted rows.
    f = srt[srt.x > 0]
    assert_values(f.evaluate("row"), e["row"][e["x"] > 0])
    assert f.take([0, -1]).evaluate("row").tolist() == [e["row"][e["x"] > 0].iloc[0], e["row"][e["x"] > 0].iloc[-1]]
    srt.select(srt.g == 3)
    assert srt.sum("x", selection=True) == pytest.approx(e["x"][e["g"] == 3].sum(), rel=1e-9)
    srt["y"] = srt.x * srt.k
    assert_values(srt.evaluate("y", 100, 200), (e["x"] * e["k"])[100:200])
    # Slices, head and tail of the sorted rows.
    assert_values(srt[10:20].evaluate("row"), e["row"][10:20])
    assert_values(srt.head(3).evaluate("row"), e["row"][:3])
    assert_values(srt.tail(3).evaluate("row"), e["row"][-3:])
    assert_values(srt[10:20].sort("row").evaluate("row"), np.sort(e["row"][10:20]))
    # Out to pandas, Arrow and a file.
    out = srt.to_pandas_df()
    assert_values(out["row"], e["row"])
    assert_values(out["y"], e["x"] * e["k"])
    path = tmp_path / "sorted.arrow"
    srt.export_arrow(path)
    back = sf.open(str(path))
    assert_values(back.evaluate("row"), e["row"])
    assert_values(pa.table(srt)["x"].to_numpy(), e["x"])


def test_sort_arguments():
    df = sf.from_arrays(x=np.arange(5.0))
    with pytest.raises(ValueError):
        df.sort([])
    with pytest.raises(ValueError):
        df.sort(["x", "x"], ascending=[True])
    with pytest.raises(NameError):
        df.sort("nope")
    with pytest.raises(SyntaxError):
        df.sort("x +")
    assert df.sort("x", ascending=False).evaluate("x").tolist() == [4, 3, 2, 1, 0]
    assert df.sort(np.array(["x"]), ascending=np.array([False])).evaluate("x").tolist() == [4, 3, 2, 1, 0]
    assert df.sort("x", progress=True).evaluate("x").tolist() == [0, 1, 2, 3, 4]
    empty = df[df.x > 10].sort("x")
    assert len(empty) == 0


MEMORY_SCRIPT = textwrap.dedent("""
    import resource, sys
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    import swiftframe as sf
    df = sf.open(sys.argv[1])
    s = df.sort("key")
    print(s.first("key"), s.last("key"), s.sum("c0"), s.evaluate("row", 0, 3).tolist())
""")

BASELINE = textwrap.dedent("""
    import swiftframe as sf
    with open("/proc/self/status") as f:
        print([l.split()[1] for l in f if l.startswith("VmData")][0])
""")


def test_sort_memory_is_index_and_keys(tmp_path):
    """Sorting by one float column of a wide file allocates about 25 bytes a row (the key
    codes, their presence, and the pairs the argsort moves, which end as the index; measured:
    it fails at 26 bytes a row plus 16 MB), under an RLIMIT_DATA
    well below the ten other columns (80 bytes a row); reading a column of the sorted
    frame then streams through the index."""
    n = 2_000_000
    rng = np.random.default_rng(7)
    key = rng.standard_normal(n)
    other = {f"c{j}": np.full(n, float(j)) for j in range(10)}
    path = tmp_path / "wide.arrow"
    table = pa.table({"key": key, "row": np.arange(n), **other})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table, max_chunksize=500_000)
    base = subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True)
    assert base.returncode == 0, base.stderr
    limit = int(base.stdout.split()[0]) * 1024 + (48 << 20) + 28 * n
    assert limit - int(base.stdout.split()[0]) * 1024 < 8 * n * 11 * 0.65  # well below the columns
    env = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1")
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(path), str(limit)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    first, last, total, rows = out.stdout.split(maxsplit=3)
    order = np.argsort(key, kind="stable")
    assert float(first) == key[order[0]] and float(last) == key[order[-1]]
    assert float(total) == 0.0
    assert rows.strip() == str(order[:3].tolist())


def test_wide_keys_that_do_not_pack(tmp_path, rng):
    """Two int64 keys spanning their whole range (no packing into one code: one stable
    argsort per key), the first with few distinct values, missing ones and extremes."""
    n = 100_000
    extremes = np.array([np.iinfo(np.int64).min, -1, 0, 2**62, np.iinfo(np.int64).max])
    a = extremes[rng.integers(0, len(extremes), n)]
    b = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64)
    b[rng.random(n) < 0.5] = 7  # ties in the second key too
    valid = rng.random(n) > 0.1
    path = tmp_path / "wide.arrow"
    table = pa.table({"a": pa.array(a, mask=~valid), "b": b, "row": np.arange(n)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table, max_chunksize=30_000)
    df = sf.open(str(path))
    pdf = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for ascending in ([True, True], [False, True], [True, False]):
        np.testing.assert_array_equal(df.sort(["a", "b"], ascending=ascending).evaluate("row"),
                                      expected_rows(pdf, ["a", "b"], ascending))


def test_progress_and_cancel(rng):
    n = 300_000
    df = sf.from_arrays(x=rng.standard_normal(n), row=np.arange(n))
    seen = []
    out = df.sort("x", progress=lambda f: seen.append(f) or True)
    assert seen and max(seen) == pytest.approx(1.0)
    with pytest.raises(KeyboardInterrupt):
        df.sort("x", progress=lambda f: False)
    with pytest.raises(KeyboardInterrupt):
        df[df.x > 0].take([0, 1, 2], progress=lambda f: False)
    np.testing.assert_array_equal(out.evaluate("row"), np.argsort(df.evaluate("x"), kind="stable"))
    assert df.sort("x")[:3].evaluate("row").tolist() == np.argsort(df.evaluate("x"), kind="stable")[:3].tolist()
