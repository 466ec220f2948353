"""df.join against pandas.merge on random data: int keys of mixed widths, string keys
(non-ASCII), categorical keys, duplicates, missing keys (which match each other, as in
vaex and pandas), NaN values, left/inner/right, suffixes, filtered frames, and what
runs on a joined frame (statistics, groupby, export, to_pandas_df)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf

WORDS = ["Zürich", "東京", "a", "", "ß-straße", "naïve", "b", "emoji 🙂"]


def tables(seed, n_left=40_000, n_right=3_000, key="int", duplicates=False, left_key=pa.int32(), right_key=pa.int64()):
    """(left, right) pyarrow tables. Keys: ints in a range wider than the right side's
    (so some left rows match nothing), a few missing on both sides; the right keys are
    unique unless `duplicates`. Each side has a row id (lid / rid), a float column with
    NaN and missing values, and a string column."""
    rng = np.random.default_rng(seed)
    if duplicates:
        right_ints = rng.integers(0, n_right // 3, n_right)
    else:
        right_ints = rng.permutation(n_right)
    left_ints = rng.integers(-50, n_right + 50, n_left)

    def keys(ints, missing_rows, typ):
        mask = np.zeros(len(ints), dtype=bool)
        mask[missing_rows] = True
        if key == "int":
            return pa.array(ints, type=typ, mask=mask)
        if key == "sparse":  # spread over a wide range: hashed, not looked up directly
            return pa.array(ints.astype(np.int64) * 1_000_003 - 7, type=pa.int64(), mask=mask)
        words = [None if m else f"{WORDS[i % len(WORDS)]}-{i}" for i, m in zip(ints, mask)]
        return pa.array(words, type=pa.string())

    # One missing key on the right (two with duplicates), a few on the left.
    right_missing = [7, 11] if duplicates else [7]
    left_missing = rng.choice(n_left, 25, replace=False)
    if not duplicates:
        right_ints = np.where(np.isin(np.arange(n_right), right_missing), -10_000, right_ints)
    x = rng.standard_normal(n_left)
    x[rng.choice(n_left, 300, replace=False)] = np.nan
    x_mask = np.zeros(n_left, dtype=bool)
    x_mask[rng.choice(n_left, 200, replace=False)] = True
    y = rng.standard_normal(n_right)
    y[rng.choice(n_right, 40, replace=False)] = np.nan
    left = pa.table({"lid": np.arange(n_left), "key": keys(left_ints, left_missing, left_key),
                     "x": pa.array(x, mask=x_mask), "s": pa.array([WORDS[i % 8] for i in range(n_left)])})
    right = pa.table({"rid": np.arange(n_right), "key": keys(right_ints, right_missing, right_key),
                      "y": y, "t": pa.array([WORDS[(i * 3) % 8] for i in range(n_right)])})
    return left, right


def normalized(pdf, columns, order):
    """`columns` of a pandas frame sorted by `order`, with missing values spelled one way
    (NaN in numeric columns, None in object ones), on a fresh index."""
    out = pdf[columns].copy()
    for c in columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
        elif out[c].dtype.kind in "iuf":
            out[c] = out[c].astype(np.float64)
    return out.sort_values(order, kind="stable").reset_index(drop=True)


def expected(left, right, how, on="key", suffixes=("", "_r")):
    pl, pr = left.to_pandas(), right.to_pandas()
    return pd.merge(pl, pr, on=on, how=how, suffixes=suffixes)


def check(joined, want, columns, order=("lid", "rid")):
    got = joined.to_pandas_df()
    pd.testing.assert_frame_equal(normalized(got, columns, list(order)), normalized(want, columns, list(order)),
                                  check_dtype=False)


@pytest.mark.parametrize("how", ["left", "inner", "right"])
@pytest.mark.parametrize("key", ["int", "sparse", "string"])
def test_unique_keys_match_pandas(how, key):
    left, right = tables(1, key=key)
    if how == "right":
        # The hashed side is then the calling frame: make it the one with unique keys.
        left, right = right, left
    joined = sf.from_arrow(left).join(sf.from_arrow(right), on="key", how=how)
    want = expected(left, right, how)
    assert len(joined) == len(want)
    check(joined, want, ["lid", "rid", "key", "x", "s", "y", "t"])


@pytest.mark.parametrize("how", ["left", "inner", "right"])
@pytest.mark.parametrize("key", ["int", "sparse", "string"])
def test_duplicate_keys_with_allow_duplication(how, key):
    left, right = tables(2, key=key, duplicates=True, n_left=20_000)
    if how == "right":
        # The hashed side is then the left one: give it the duplicates.
        left, right = right.rename_columns(["lid", "key", "x", "s"]), left.rename_columns(["rid", "key", "y", "t"])
    l, r = sf.from_arrow(left), sf.from_arrow(right)
    with pytest.raises(ValueError, match="allow_duplication"):
        l.join(r, on="key", how=how)
    joined = l.join(r, on="key", how=how, allow_duplication=True)
    want = expected(left, right, how)
    assert len(joined) == len(want)
    check(joined, want, ["lid", "rid", "key", "x", "s", "y", "t"])
    # Pairs come in the order of the streamed side's rows (pandas' order).
    got = joined.to_pandas_df()
    first = "rid" if how == "right" else "lid"
    assert (np.diff(got[first].to_numpy()) >= 0).all()


def test_int_keys_of_any_width_and_signedness():
    for lt, rt in [(pa.int8(), pa.uint16()), (pa.uint8(), pa.int64()), (pa.int16(), pa.int32())]:
        rng = np.random.default_rng(3)
        lk = rng.integers(0, 120, 5000)
        rk = rng.permutation(100)
        left = pa.table({"lid": np.arange(5000), "a": pa.array(lk, type=lt)})
        right = pa.table({"rid": np.arange(100), "b": pa.array(rk, type=rt)})
        joined = sf.from_arrow(left).join(sf.from_arrow(right), left_on="a", right_on="b", how="inner")
        want = pd.merge(left.to_pandas(), right.to_pandas(), left_on="a", right_on="b", how="inner")
        check(joined, want, ["lid", "rid", "a", "b"])


def test_uint64_high_values_match_no_negative_key():
    left = sf.from_arrays(a=np.array([-1, 5, -9223372036854775808], dtype=np.int64))
    right = sf.from_arrays(b=np.array([2**64 - 1, 5, 2**63], dtype=np.uint64), v=np.array([1.0, 2.0, 3.0]))
    joined = left.join(right, left_on="a", right_on="b")
    np.testing.assert_array_equal(np.ma.getmaskarray(joined.v.values), [True, False, True])
    assert joined.v.values[1] == 2.0


def test_missing_keys_match_each_other_as_in_vaex():
    left = sf.from_arrow(pa.table({"k": pa.array([1, None, 3, 4]), "a": [0, 1, 2, 3]}))
    right = sf.from_arrow(pa.table({"k": pa.array([None, 3, 1]), "b": [10.0, 20.0, 30.0]}))
    joined = left.join(right, on="k")
    assert joined.b.values.tolist() == [30.0, 10.0, 20.0, None]


def test_float_keys_nan_matches_nan():
    left = sf.from_arrays(k=np.array([1.0, np.nan, 2.0, -0.0]))
    right = sf.from_arrays(k=np.array([np.nan, 2.0, 0.0]), b=np.array([1.0, 2.0, 3.0]))
    assert left.join(right, on="k").b.values.tolist() == [None, 1.0, 2.0, 3.0]


def test_categorical_key():
    left, right = tables(4, key="string")
    left = left.set_column(1, "key", left["key"].dictionary_encode())
    joined = sf.from_arrow(left).join(sf.from_arrow(right), on="key")
    check(joined, expected(left.cast(pa.schema([(f.name, pa.string() if f.name == "key" else f.type) for f in left.schema])),
                           right, "left"), ["lid", "rid", "x", "y", "t"])


def test_suffixes_and_name_clashes():
    left, right = tables(5, n_left=3000, n_right=500)
    right = right.append_column("x", pa.array(np.arange(500) * 0.5))
    l, r = sf.from_arrow(left), sf.from_arrow(right)
    with pytest.raises(ValueError, match="collision"):
        l.join(r, on="key")
    joined = l.join(r, on="key", lsuffix="_l", rsuffix="_r")
    assert joined.column_names == ["lid", "key_l", "x_l", "s", "rid", "key_r", "y", "t", "x_r"]
    want = pd.merge(left.to_pandas(), right.to_pandas(), on="key", how="left", suffixes=("_l", "_r"))
    want["key_l"] = want["key_r"] = want["key"]
    got = joined.to_pandas_df()
    np.testing.assert_array_equal(got["key_l"].to_numpy(dtype=float), want["key_l"].to_numpy(dtype=float))
    # key_r is the right side's key: missing where no right row matched.
    matched = ~got["rid"].isna()
    np.testing.assert_array_equal(got["key_r"][matched].to_numpy(dtype=float), got["key_l"][matched].to_numpy(dtype=float))
    assert got["key_r"][~matched].isna().all()
    check(joined, want, ["lid", "rid", "x_l", "x_r", "y", "t"])


def test_filtered_frames():
    left, right = tables(6)
    l, r = sf.from_arrow(left), sf.from_arrow(right)
    lf, rf = l[l.lid % 3 != 0], r[r.y > 0]
    joined = lf.join(rf, on="key", how="left")
    pl, pr = left.to_pandas(), right.to_pandas()
    want = pd.merge(pl[pl.lid % 3 != 0], pr[pr.y > 0], on="key", how="left")
    assert len(joined) == len(want)
    check(joined, want, ["lid", "rid", "key", "x", "y", "t"])
    inner = lf.join(rf, on="key", how="inner")
    check(inner, pd.merge(pl[pl.lid % 3 != 0], pr[pr.y > 0], on="key", how="inner"), ["lid", "rid", "x", "y"])


def test_virtual_columns_of_both_sides():
    left, right = tables(7, n_left=5000, n_right=400)
    l, r = sf.from_arrow(left), sf.from_arrow(right)
    l["x2"] = l.x * 2
    r["y3"] = r.y * 3 + r.rid
    joined = l.join(r, on="key")
    want = expected(left, right, "left")
    want["x2"] = want["x"] * 2
    want["y3"] = want["y"] * 3 + want["rid"]
    check(joined, want, ["lid", "rid", "x2", "y3"])


def test_renamed_right_virtual_column_follows_its_references():
    l = sf.from_arrays(k=np.array([1, 2, 3]), y=np.array([0.5, 1.5, 2.5]))
    r = sf.from_arrays(k=np.array([3, 1]), y=np.array([10.0, 20.0]))
    r["z"] = r.y + 1
    joined = l.join(r, on="k", rsuffix="_r")
    # As in vaex: with a suffix, the right key is kept too (renamed).
    assert joined.column_names == ["k", "y", "k_r", "y_r", "z"]
    assert joined.z.values.tolist() == [21.0, None, 11.0]
    assert joined.y.values.tolist() == [0.5, 1.5, 2.5]


def test_statistics_groupby_and_export_on_joined_frame(tmp_path):
    left, right = tables(8, key="string")
    joined = sf.from_arrow(left).join(sf.from_arrow(right), on="key", how="inner")
    want = expected(left, right, "inner")
    assert joined.y.sum() == pytest.approx(np.nansum(want.y), rel=1e-12)
    assert joined.count("y") == want.y.notna().sum()
    assert joined.mean("x") == pytest.approx(want.x.mean(), rel=1e-12)
    g = joined.groupby("t", agg={"n": sf.agg.count(), "m": sf.agg.mean("y")}).to_pandas_df()
    pg = want.groupby("t").agg(n=("t", "size"), m=("y", "mean")).reset_index()
    np.testing.assert_array_equal(g["t"].tolist(), pg["t"].tolist())
    np.testing.assert_array_equal(g["n"], pg["n"])
    np.testing.assert_allclose(g["m"], pg["m"], rtol=1e-12)
    path = tmp_path / "joined.arrow"
    joined.export_arrow(str(path))
    back = sf.open(str(path)).to_pandas_df()
    check(sf.open(str(path)), want, ["lid", "rid", "key", "x", "y", "t"])
    assert len(back) == len(want)


def test_errors_are_clear_exceptions():
    l = sf.from_arrays(k=np.array([1, 2]), s=np.array(["a", "b"], dtype=object))
    r = sf.from_arrays(k=np.array([1, 1]), v=np.array([1.0, 2.0]))
    with pytest.raises(NameError):
        l.join(r, on="nope")
    with pytest.raises(NameError):
        l.join(r, left_on="k", right_on="nope")
    with pytest.raises(TypeError, match="key"):
        l.join(r, left_on="s", right_on="k")
    with pytest.raises(ValueError, match="allow_duplication"):
        l.join(r, on="k")
    with pytest.raises(ValueError, match="how"):
        l.join(r, on="k", how="outer")
    with pytest.raises(ValueError, match="collision"):
        l.join(sf.from_arrays(k=np.array([1]), s=np.array([2.0])), on="k")
    with pytest.raises(TypeError, match="DataFrame"):
        l.join(pd.DataFrame({"k": [1]}), on="k")
    with pytest.raises(ValueError, match="right_on"):
        l.join(r, left_on="k")


def test_left_renames_follow_in_virtual_columns_filter_and_selections():
    left, right = tables(9, n_left=6000, n_right=800)
    right = right.append_column("x", pa.array(np.arange(800) * 0.25))
    l, r = sf.from_arrow(left), sf.from_arrow(right)
    l["x2"] = l.x * 2
    l.select(l.x > 0, name="pos")
    lf = l[l.x < 1]
    joined = lf.join(r, on="key", lsuffix="_l", rsuffix="_r")
    pl, pr = left.to_pandas(), right.to_pandas()
    want = pd.merge(pl[pl.x < 1], pr, on="key", how="left", suffixes=("_l", "_r"))
    want["x2"] = want["x_l"] * 2
    assert len(joined) == len(want)
    check(joined, want, ["lid", "rid", "x_l", "x_r", "x2"])
    # The selection still reads the left x (now x_l), not the right one.
    assert joined.count(selection="pos") == (want.x_l > 0).sum()
    with pytest.raises(NameError):
        joined.sum("x")


def test_right_virtual_column_on_the_dropped_key_reads_the_right_key():
    l = sf.from_arrays(k=np.array([1, 2, 3]))
    r = sf.from_arrays(k=np.array([3, 1]), v=np.array([1.0, 2.0]))
    r["kk"] = r.k * 10
    joined = l.join(r, on="k")
    assert joined.column_names == ["k", "v", "kk"]
    # The unmatched row has no right key: kk is missing there, not 20.
    assert joined.kk.values.tolist() == [10, None, 30]


def test_chained_joins_taken_and_sliced_frames():
    left, right = tables(10, n_left=30_000, n_right=2000)
    third = pa.table({"rid": np.arange(2000)[::-1].copy(), "w": np.arange(2000) * 1.5})
    l, r, t = sf.from_arrow(left), sf.from_arrow(right), sf.from_arrow(third)
    chained = l.join(r, on="key", how="inner").join(t, on="rid")
    pl, pr, pt = left.to_pandas(), right.to_pandas(), third.to_pandas()
    want = pd.merge(pd.merge(pl, pr, on="key", how="inner"), pt, on="rid", how="left")
    check(chained, want, ["lid", "rid", "x", "y", "w"])
    # A taken frame on both sides: its index composes with the join's.
    positions = np.random.default_rng(0).permutation(len(left))[:5000]
    taken = l.take(positions).join(r.take(np.arange(0, 2000, 2)), on="key", how="left")
    want = pd.merge(pl.iloc[positions], pr.iloc[np.arange(0, 2000, 2)], on="key", how="left")
    check(taken, want, ["lid", "rid", "x", "y"])
    # A sorted frame (an index of its own), then sliced, on the left; a sorted right side.
    by_x = l.sort("x").join(r.sort("y", ascending=False), on="key", how="inner")
    check(by_x, pd.merge(pl, pr, on="key", how="inner"), ["lid", "rid", "x", "y"])
    xs = by_x.x.values.compressed()
    assert (np.diff(xs[~np.isnan(xs)]) >= 0).all()  # the inner join keeps the sorted order
    head = l.sort("x")[:1000].join(r, on="key")
    check(head, pd.merge(pl.sort_values("x", kind="stable").iloc[:1000], pr, on="key", how="left"), ["lid", "rid", "x", "y"])
    # A slice of the left frame.
    sliced = l[100:20_100].join(r, on="key")
    check(sliced, pd.merge(pl.iloc[100:20_100], pr, on="key", how="left"), ["lid", "rid", "x", "y"])


def test_progress_and_cancel():
    left, right = tables(11)
    l, r = sf.from_arrow(left), sf.from_arrow(right)
    seen = []
    joined = l.join(r, on="key", progress=lambda f: seen.append(f) or True)
    assert seen and seen[-1] == 1.0 and len(joined) == len(left)
    with pytest.raises(KeyboardInterrupt):
        l.join(r, on="key", progress=lambda f: False)
    assert len(l.join(r, on="key")) == len(left)


def test_without_key_rows_go_side_by_side_as_in_vaex():
    l = sf.from_arrays(a=np.arange(5), x=np.arange(5) * 1.0)
    b = np.arange(10) * 10
    r = sf.from_arrays(b=b, x=b * 0.5)
    joined = l.join(r[r.b % 20 != 0], rsuffix="_r")  # the right filter keeps 5 rows
    assert joined.column_names == ["a", "x", "b", "x_r"]
    np.testing.assert_array_equal(joined.b.values, b[b % 20 != 0])
    np.testing.assert_array_equal(joined.x_r.values, b[b % 20 != 0] * 0.5)
    np.testing.assert_array_equal(joined.x.values, np.arange(5) * 1.0)
    with pytest.raises(ValueError, match="side by side"):
        l.join(r, rsuffix="_r")


def test_datetime_and_large_string_keys():
    t = np.array(["2024-01-01T00:00:01", "2024-01-02", "NaT", "2024-03-01"], dtype="datetime64[s]")
    l = sf.from_arrow(pa.table({"t": pa.array(t), "s": pa.array(["é", "b", None, "z"], type=pa.large_string())}))
    r = sf.from_arrow(pa.table({"t": pa.array(t[[3, 2, 0]]), "u": pa.array(["z", None, "é"]), "v": [1.0, 2.0, 3.0]}))
    assert l.join(r, on="t", rsuffix="_r").v.values.tolist() == [3.0, None, 2.0, 1.0]
    assert l.join(r, left_on="s", right_on="u", rsuffix="_r").v.values.tolist() == [3.0, None, 2.0, 1.0]
    other_unit = sf.from_arrow(pa.table({"t": pa.array(t.astype("datetime64[ms]")), "v": [1.0, 2.0, 3.0, 4.0]}))
    with pytest.raises(TypeError, match="key"):
        l.join(other_unit, on="t", rsuffix="_r")


VAEX_JOIN = """
import json, sys, vaex
left, right, kwargs = vaex.open(sys.argv[1]), vaex.open(sys.argv[2]), json.loads(sys.argv[3])
df = left.join(right, **kwargs)
out = {"names": df.get_column_names()}
for name in out["names"]:
    out[name] = [None if isinstance(v, float) and v != v else v for v in df[name].tolist()]
print(json.dumps(out))
"""


@pytest.mark.parametrize("kwargs", [
    {"on": "key", "how": "left"},
    {"on": "key", "how": "inner", "rsuffix": "_r"},
    {"on": "key", "how": "right", "lsuffix": "_l"},
    {"left_on": "key", "right_on": "rid", "how": "left", "rsuffix": "_r"},
])
def test_same_names_rows_and_missing_keys_as_vaex(tmp_path, kwargs):
    import json
    import os
    import pathlib
    import subprocess
    python = os.environ.get("SWIFTFRAME_VAEX_PYTHON",
                            str(pathlib.Path(__file__).resolve().parents[2] / ".venv-vaex" / "bin" / "python"))
    if not os.path.exists(python):
        pytest.fail(f"no vaex interpreter at {python}: run .ci/setup (it makes .venv-vaex)")
    left, right = tables(12, n_left=3000, n_right=400, key="string" if "on" in kwargs else "int")
    if kwargs["how"] == "right":
        left, right = right, left
    paths = []
    for name, table in (("left", left), ("right", right)):
        path = tmp_path / f"{name}.arrow"
        with pa.ipc.new_file(str(path), table.schema) as w:
            w.write_table(table)
        paths.append(path)
    run = subprocess.run([python, "-c", VAEX_JOIN, str(paths[0]), str(paths[1]), json.dumps(kwargs)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    want = json.loads(run.stdout.strip().splitlines()[-1])
    joined = sf.open(str(paths[0])).join(sf.open(str(paths[1])), **kwargs)
    assert joined.column_names == want["names"]
    got = joined.to_pandas_df()
    for name in want["names"]:
        values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in got[name].tolist()]
        assert values == want[name], name


@pytest.mark.parametrize("seed", range(4))
def test_random_float_and_mixed_width_keys_against_pandas(seed):
    rng = np.random.default_rng(100 + seed)
    values = np.array([np.nan, -0.0, 0.0, 1.5, -2.25, 1e30, np.inf])
    lk = rng.choice(values, 30_000).astype(np.float32 if seed % 2 else np.float64)
    rk = rng.choice(values, 12)
    left = pd.DataFrame({"lid": np.arange(len(lk)), "k": lk})
    right = pd.DataFrame({"rid": np.arange(len(rk)), "k": rk, "v": rng.standard_normal(len(rk))})
    for how in ("left", "inner", "right"):
        joined = sf.from_pandas(left).join(sf.from_pandas(right), on="k", how=how, allow_duplication=True)
        want = pd.merge(left.astype({"k": np.float64}), right, on="k", how=how)
        assert len(joined) == len(want)
        check(joined, want, ["lid", "rid", "v"])


def test_prefixes_as_vaex_mangles_names():
    l = sf.from_arrays(k=np.array([1, 2]), x=np.array([1.0, 2.0]), __h=np.array([5, 6]))
    r = sf.from_arrays(k=np.array([2, 1]), x=np.array([10.0, 20.0]), __h=np.array([7, 8]))
    joined = l.join(r, on="k", lprefix="l_", rprefix="r_")
    assert joined.column_names == ["l_k", "l_x", "__l_h", "r_k", "r_x", "__r_h"]
    assert joined.r_x.values.tolist() == [20.0, 10.0]
    assert joined["__r_h"].values.tolist() == [8, 7]
    with pytest.raises(ValueError, match="inplace"):
        l.join(r, on="k", rsuffix="_r", inplace=True)
    # vaex's hash tuning is accepted and changes nothing.
    assert l.join(r, on="k", rsuffix="_r", prime_growth=True, cardinality_other=2).x_r.values.tolist() == [20.0, 10.0]


def test_self_join_and_key_expressions():
    l = sf.from_arrays(k=np.arange(10)[::-1].copy(), x=np.arange(10.0))
    l["z"] = l.x * 3
    j = l.join(l, left_on=l.x.astype("int64"), right_on="k", rsuffix="_r")
    assert j.column_names == ["k", "x", "z", "k_r", "x_r", "z_r"]
    # Left row i has x = i; the right row with k = i is row 9 - i, whose x is 9 - i.
    np.testing.assert_array_equal(j.x_r.values, 9.0 - np.arange(10))
    np.testing.assert_array_equal(j.z_r.values, 3 * (9.0 - np.arange(10)))
    np.testing.assert_array_equal(j.z.values, 3 * np.arange(10.0))
