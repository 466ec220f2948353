"""take, sample and shuffle against numpy and pandas over every storage variant (in
memory, Arrow files of one or several record batches, filtered), with missing values,
NaN, non-ASCII strings, datetimes and categoricals; then what a taken frame computes,
and how takes compose with slices, filters and each other."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf
from conftest import assert_values

WORDS = np.array(["α", "b", "", "日本語", "zz", "é"], dtype=object)


def make(storage, rng, n=40_000, missing=False):
    columns = dict(
        x=rng.standard_normal(n),
        i=rng.integers(-5, 5, n),
        b=rng.random(n) < 0.3,
        s=WORDS[rng.integers(0, len(WORDS), n)],
        t=np.datetime64("2021-03-01", "us") + rng.integers(0, 10**9, n) * np.timedelta64(1, "us"),
        row=np.arange(n),
    )
    columns["x"][rng.random(n) < 0.02] = np.nan
    valid = {name: rng.random(n) > 0.1 for name in ["x", "i", "b", "s", "t"]} if missing else None
    return storage.frame(columns, valid=valid)


def check_rows(frame, ref, positions):
    """The frame shows the reference rows at `positions`, values and missing ones."""
    assert len(frame) == len(positions)
    for name in ["x", "i", "b", "s", "t", "row"]:
        values = frame.evaluate(name)
        expected = ref[name][positions]
        present = ref.present(name)[positions]
        if values.dtype == object:  # strings: None where missing
            np.testing.assert_array_equal(np.array([v is not None for v in values]), present)
        elif np.ma.isMaskedArray(values):
            np.testing.assert_array_equal(~np.ma.getmaskarray(values), present)
            values = values.data
        elif not present.all():
            raise AssertionError(f"{name}: no missing values where the reference has some")
        if values.dtype == object:
            assert [v for v, p in zip(values, present) if p] == list(expected[present])
        else:
            assert_values(values[present], expected[present])


def test_take_matches_numpy(file_storage, rng):
    df, ref = make(file_storage, rng, missing=True)
    n = len(ref)
    positions = rng.integers(-n, n, 5_000)
    positions[:3] = [0, n - 1, -1]
    taken = df.take(positions)
    check_rows(taken, ref, np.where(positions < 0, positions + n, positions))


def test_take_in_memory_and_composed(storage, rng):
    df, ref = make(storage, rng)
    n = len(ref)
    first = rng.permutation(n)[:20_000]
    second = rng.integers(0, 20_000, 7_000)
    check_rows(df.take(first), ref, first)
    check_rows(df.take(first).take(second), ref, first[second])
    # A slice of a taken frame, and a take of a slice.
    check_rows(df.take(first)[100:2_000], ref, first[100:2_000])
    check_rows(df[500:9_000].take([3, 2, 1]), ref, np.arange(500, 9_000)[[3, 2, 1]])
    # A filter on a taken frame, then a take of that.
    taken = df.take(first)
    kept = first[ref["i"][first] > 0]
    filtered = taken[taken.i > 0]
    check_rows(filtered, ref, kept)
    check_rows(filtered.take([5, 0, -1]), ref, kept[[5, 0, -1]])


def test_take_empty_and_out_of_range():
    df = sf.from_arrays(x=np.arange(10.0))
    assert len(df.take([])) == 0
    assert df.take([]).sum("x") == 0
    with pytest.raises(IndexError):
        df.take([10])
    with pytest.raises(IndexError):
        df.take([-11])
    with pytest.raises(TypeError):
        df.take([0.5])
    with pytest.raises(IndexError):
        df.take(np.array([2**64 - 1], dtype=np.uint64))
    assert df.take(np.array([9, -10], dtype=np.int32)).evaluate("x").tolist() == [9.0, 0.0]


def test_taken_frame_computes_like_pandas(storage, rng, tmp_path):
    df, ref = make(storage, rng)
    n = len(ref)
    positions = rng.integers(0, n, 30_000)  # with repeats
    taken = df.take(positions)
    e = pd.DataFrame({name: ref[name][positions] for name in ["x", "i", "b", "s", "row"]})
    assert taken.sum("i") == e["i"].sum()
    assert taken.mean("x") == pytest.approx(np.nanmean(e["x"]), rel=1e-9)
    assert taken.count("x") == e["x"].count()
    assert taken.first("row") == e["row"][0] and taken.last("row") == e["row"].iloc[-1]
    grouped = taken.groupby("s", agg={"n": sf.agg.count(), "m": sf.agg.sum("i")}).to_pandas_df()
    expected = e.groupby("s").agg(n=("i", "size"), m=("i", "sum")).reset_index()
    assert list(grouped["s"]) == list(expected["s"])
    assert_values(grouped["n"], expected["n"])
    assert_values(grouped["m"], expected["m"])
    assert_values(taken.count(binby="i", limits=[-5, 5], shape=10), np.bincount(e["i"] + 5, minlength=10))
    assert sorted(taken.unique("s")) == sorted(set(e["s"]))
    taken.select("b")
    assert taken.sum("i", selection=True) == e["i"][e["b"]].sum()
    taken["z"] = taken.i * 2 + 1
    assert_values(taken.evaluate("z"), e["i"] * 2 + 1)
    pdf = taken.to_pandas_df()
    assert_values(pdf["row"], e["row"])
    assert list(pdf["s"]) == list(e["s"])
    path = tmp_path / "taken.arrow"
    taken.export_arrow(path)
    assert_values(sf.open(str(path)).evaluate("row"), e["row"])
    path = tmp_path / "taken.parquet"
    taken.export_parquet(path)
    assert_values(pd.read_parquet(path)["z"], e["i"] * 2 + 1)


def test_categorical_through_index_keeps_its_dictionary(tmp_path, rng):
    n = 20_000
    labels = ["ζ", "a", "b"]
    codes = rng.integers(0, 3, n)
    valid = rng.random(n) > 0.2
    path = tmp_path / "cat.arrow"
    table = pa.table({"c": pa.DictionaryArray.from_arrays(pa.array(codes, pa.int16(), mask=~valid),
                                                          pa.array(labels)), "row": np.arange(n)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        for lo in range(0, n, 6_000):
            w.write_table(table.slice(lo, 6_000))
    df = sf.open(str(path))
    positions = rng.integers(0, n, 5_000)
    taken = df.take(positions)
    expected = [label if ok else None for label, ok in zip(np.array(labels, dtype=object)[codes][positions],
                                                           valid[positions])]
    out = taken.to_pandas_df()["c"]
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert [None if pd.isna(v) else v for v in out] == expected
    arrow = pa.table(taken)["c"].combine_chunks()
    assert pa.types.is_dictionary(arrow.type) and arrow.to_pylist() == expected
    path2 = tmp_path / "back.arrow"
    taken.export_arrow(path2)
    back = pa.ipc.open_file(str(path2)).read_all()["c"].combine_chunks()
    assert pa.types.is_dictionary(back.type)
    assert back.to_pylist() == expected


def test_sample_and_shuffle_follow_vaex(storage, rng):
    df, ref = make(storage, rng)
    n = len(ref)
    # vaex draws with numpy's RandomState(random_state).choice: the same rows.
    picked = np.random.RandomState(42).choice(n, size=100, replace=False)
    assert_values(df.sample(n=100, random_state=42).evaluate("row"), ref["row"][picked])
    assert_values(df.sample(n=100, random_state=42).evaluate("row"), df.sample(n=100, random_state=42).evaluate("row"))
    assert len(df.sample(frac=0.25, random_state=1)) == round(0.25 * n)
    with_replacement = df.sample(n=2 * n, replace=True, random_state=3).evaluate("row")
    assert_values(with_replacement, ref["row"][np.random.RandomState(3).choice(n, size=2 * n, replace=True)])
    shuffled = df.shuffle(random_state=5).evaluate("row")
    assert_values(np.sort(shuffled), np.sort(ref["row"]))
    assert not np.array_equal(shuffled, ref["row"])
    assert_values(shuffled, ref["row"][np.random.RandomState(5).permutation(n)])
    gen = np.random.default_rng(9)
    assert_values(df.sample(n=10, random_state=gen).evaluate("row"),
                  ref["row"][np.random.default_rng(9).choice(n, size=10, replace=False)])


def test_sample_weights_and_errors(rng):
    n = 1_000
    w = np.zeros(n)
    w[[3, 500]] = [1.0, 3.0]
    df = sf.from_arrays(w=w, row=np.arange(n))
    drawn = df.sample(n=200, replace=True, weights="w", random_state=0).evaluate("row")
    assert set(drawn.tolist()) == {3, 500}
    assert_values(drawn, np.random.RandomState(0).choice(n, size=200, replace=True, p=w / w.sum()))
    assert_values(df.sample(n=2, weights=df.w, random_state=1).evaluate("row"),
                  np.random.RandomState(1).choice(n, size=2, replace=False, p=w / w.sum()))
    assert_values(df.sample(n=3, replace=True, weights=pd.Series(w), random_state=2).evaluate("row"),
                  np.random.RandomState(2).choice(n, size=3, replace=True, p=w / w.sum()))
    with pytest.raises(ValueError):
        df.sample(n=n + 1)
    with pytest.raises(ValueError):
        df.sample(n=1, frac=0.5)
    with pytest.raises(ValueError):
        df.sample(n=5, weights=np.zeros(n))


def test_concat_of_taken_and_sorted_frames(storage, rng):
    df, ref = make(storage, rng)
    n = len(ref)
    positions = rng.integers(0, n, 3_000)
    order = np.argsort(ref["x"], kind="stable")  # NaN last, as sort
    parts = [df.take(positions), df.sort("x")[5:2_000], df.sort("x", ascending=False).take([0, 1])]
    if not storage.is_filtered:
        parts.append(df)  # a whole unsorted frame beside them (filtered frames concatenate only with the same filter)
    both = sf.concat(parts)
    descending = pd.Series(ref["x"]).sort_values(ascending=False, kind="stable", na_position="last").index[:2]
    expected = np.concatenate([ref["row"][positions], ref["row"][order[5:2_000]], ref["row"][descending]]
                              + ([ref["row"]] if not storage.is_filtered else []))
    assert_values(both.evaluate("row"), expected)
    if not storage.is_filtered:  # row ids are then positions
        assert both.sum("i") == ref["i"][expected].sum()
