"""Distinct values and categoricals — df.unique, df.ordinal_encode, df.categorize,
category labels through filters and exports — checked against numpy and pandas."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import swiftframe as sf

N = 50_003
WORDS = np.array(["", "a", "b", "Zürich", "zebra", "ünïcode", "日本", "a\u0301", "A", "🙂"] +
                 [f"w{i:02d}" for i in range(40)], dtype=object)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(8)
    s = WORDS[rng.integers(0, len(WORDS), N)]
    s_missing = rng.random(N) < 0.05
    s[s_missing] = None
    x = np.round(rng.standard_normal(N), 1)
    x[rng.random(N) < 0.02] = np.nan
    x[rng.random(N) < 0.01] = -0.0
    x_missing = rng.random(N) < 0.03
    return {"s": s, "x": x, "x_missing": x_missing, "i": rng.integers(-50, 50, N).astype(np.int16),
            "u": rng.integers(0, 2**40, N, dtype=np.uint64) % 1000 * 2**40, "k": rng.integers(3, 9, N)}


@pytest.fixture(scope="module")
def frame(data, tmp_path_factory):
    table = pa.table({"s": pa.array(list(data["s"]), pa.string()),
                      "x": pa.array(data["x"], mask=data["x_missing"]),
                      "i": data["i"], "u": data["u"], "k": data["k"],
                      "cat": pa.array(list(data["s"]), pa.string()).dictionary_encode()})
    path = tmp_path_factory.mktemp("cat") / "c.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=12_000):
            w.write_batch(batch)
    return sf.open(str(path))


def sorted_strings(values):
    return sorted({v for v in values if v is not None})


def test_unique_strings(frame, data):
    expected = sorted_strings(data["s"])
    got = frame.unique("s")
    assert list(got[:-1]) == expected and got[-1] is None  # sorted by code point, missing last
    assert list(frame.unique("s", dropna=True)) == expected
    assert list(frame.unique("cat", dropmissing=True)) == expected
    assert frame.s.nunique() == pd.Series(data["s"]).nunique(dropna=False)


def test_unique_numbers(frame, data):
    x = np.where(data["x_missing"], np.nan, data["x"])
    present = data["x"][~data["x_missing"]]
    got = frame.unique("x")
    assert isinstance(got, np.ma.MaskedArray) and got.mask[-1] and not got.mask[:-1].any()
    values = got.data[:-1]
    expected = np.unique(present)  # numpy: -0.0 equals 0.0, NaNs sorted last (one kept since numpy 1.21)
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(frame.unique("x", dropna=True), np.unique(present[~np.isnan(present)]))
    for column in ("i", "u", "k"):
        np.testing.assert_array_equal(frame.unique(column), np.unique(data[column]))
        assert frame.unique(column).dtype == data[column].dtype
    assert frame.nunique("x", dropna=True) == pd.Series(x).nunique()


def test_unique_with_filter_and_expression(frame, data):
    keep = data["i"] > 10
    np.testing.assert_array_equal(frame[frame.i > 10].unique("k * 2"), np.unique(data["k"][keep] * 2))
    np.testing.assert_array_equal(frame.unique("i > 0"), [False, True])


def test_ordinal_encode_matches_pandas(frame, data):
    e = frame.ordinal_encode("s")
    labels = sorted_strings(data["s"])
    assert e.category_labels("s") == labels and e.is_category("s") and not frame.is_category("s")
    codes = pd.Categorical(data["s"], categories=labels).codes  # -1 for missing
    got = e.s.values
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.ma.filled(got, -1), codes)
    assert frame.evaluate("s")[3] == data["s"][3]  # the source frame is unchanged


def test_ordinal_encode_with_given_values(frame, data):
    values = ["zebra", "a", "日本"]
    e = frame.ordinal_encode("s", values=values)
    codes = pd.Index(values).get_indexer(data["s"])  # -1: missing or not a label
    np.testing.assert_array_equal(np.ma.filled(e.s.values, -1), codes)
    n = frame.ordinal_encode("k", values=[8, 3, 5])
    np.testing.assert_array_equal(np.ma.filled(n.k.values, -1), pd.Index([8, 3, 5]).get_indexer(data["k"]))
    f = frame.ordinal_encode("x")  # floats: NaN is a label of its own, as pandas' factorize with use_na_sentinel=False
    present = ~data["x_missing"]
    np.testing.assert_array_equal(f.x.values.mask, ~present)
    assert f.category_labels("x")[:3] == list(np.unique(data["x"][present])[:3])


def test_categorize(frame, data):
    labels = ["three", "four", "five", "six", "seven"]
    c = frame.categorize("k", min_value=3, labels=labels)  # 8 has no label: missing
    assert c.category_labels("k") == labels and c.category_offset("k") == 3
    values = c.k.values
    np.testing.assert_array_equal(values.mask, data["k"] == 8)
    np.testing.assert_array_equal(values.data[data["k"] != 8], data["k"][data["k"] != 8])
    default = frame.categorize("k", min_value=3)
    assert default.category_labels("k") == list(range(3, 9))


def test_labels_survive_filters_copies_and_exports(frame, data, tmp_path):
    e = frame.ordinal_encode("s")
    keep = data["i"] > 0
    f = e[e.i > 0].copy()
    assert f.category_labels("s") == e.category_labels("s")
    path = tmp_path / "e.arrow"
    f.export_arrow(path)
    table = pa.ipc.open_file(str(path)).read_all()
    column = table["s"].combine_chunks()
    assert pa.types.is_dictionary(column.type)
    assert column.dictionary.to_pylist() == sorted_strings(data["s"])
    assert column.to_pylist() == list(data["s"][keep])  # decoded labels are the original strings
    assert pl.read_ipc(str(path))["s"].to_list() == list(data["s"][keep])
    back = sf.open(str(path))
    assert back.is_category("s") and back.category_labels("s") == sorted_strings(data["s"])
    c = frame.categorize("k", min_value=3, labels=["c3", "c4", "c5", "c6", "c7", "c8"])
    c.export_arrow(path)
    column = pa.ipc.open_file(str(path)).read_all()["k"].combine_chunks()
    assert column.to_pylist() == [f"c{k}" for k in data["k"]]


def test_encoded_columns_go_to_pandas_and_hdf5_as_categoricals(frame, data, tmp_path):
    import h5py
    e = frame.ordinal_encode("s")[frame.i > 0]
    keep = data["i"] > 0
    expected = pd.Categorical(data["s"][keep], categories=sorted_strings(data["s"]))
    got = e.to_pandas_df()["s"]
    assert isinstance(got.dtype, pd.CategoricalDtype)
    pd.testing.assert_extension_array_equal(got.array, expected)
    e.export_hdf5(tmp_path / "e.hdf5")
    with h5py.File(tmp_path / "e.hdf5") as h5:
        assert h5["table/columns/s"].attrs["type"] == "dictionary_encoded"
    back = sf.open(str(tmp_path / "e.hdf5"))
    assert back.is_category("s") and list(back.evaluate("s")) == list(data["s"][keep])


def test_stored_dictionary_labels(frame, data):
    assert frame.is_category("cat")
    assert frame.category_labels("cat") == list(dict.fromkeys(v for v in data["s"] if v is not None))  # pyarrow's order


def test_redefined_column_exports_its_latest_definition(tmp_path, rng=np.random.default_rng(3)):
    x = rng.standard_normal(1000)
    df = sf.from_arrays(x=x)
    df["x"] = df.x * 2
    df["y"] = df.x + 1
    assert df.dtypes == {"x": np.float64, "y": np.float64}
    df.export_arrow(tmp_path / "r.arrow")
    table = pa.ipc.open_file(str(tmp_path / "r.arrow")).read_all()
    np.testing.assert_array_equal(table["x"].to_numpy(), x * 2)
    np.testing.assert_array_equal(table["y"].to_numpy(), x * 2 + 1)


@pytest.mark.parametrize("action, error", [
    (lambda df: df.ordinal_encode("s", values=["a", "a"]), ValueError),
    (lambda df: df.ordinal_encode("s", values=["a", 1]), TypeError),
    (lambda df: df.categorize("x"), TypeError),
    (lambda df: df.category_labels("x"), ValueError),
    (lambda df: df.unique("nope"), NameError),
    (lambda df: df.evaluate("ordinal_encode(s, x)"), TypeError),
])
def test_errors(frame, action, error):
    with pytest.raises(error):
        action(frame)


def test_unique_of_integers_with_missing_values(tmp_path):
    path = tmp_path / "i.arrow"
    table = pa.table({"i": pa.array([1, 2, 3, 2, 7], pa.int32(), mask=np.array([0, 1, 0, 0, 0], bool))})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    got = df.unique("i")
    assert isinstance(got, np.ma.MaskedArray) and list(got.mask) == [False] * 4 + [True]
    np.testing.assert_array_equal(got.data[:4], [1, 2, 3, 7])
    np.testing.assert_array_equal(df.unique("i", dropna=True), [1, 2, 3, 7])
    assert df.nunique("i") == 5 and df.nunique("i", dropna=True) == 4
