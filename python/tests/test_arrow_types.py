"""Timestamps, dates, durations and strings in Arrow files written by pyarrow (and
datetime64 arrays from numpy): values, missing values, dtypes and the statistics
defined on them, checked against pyarrow and numpy."""

import numpy as np
import pyarrow as pa
import pytest

import swiftframe as sf

N = 150_001
UNITS = ["s", "ms", "us", "ns"]


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(11)
    base = rng.integers(-2**40, 2**40, N)
    present = rng.random(N) > 0.1
    words = np.array([f"w{i}·é{'x' * (i % 13)}" for i in range(300)], dtype=object)
    strings = words[rng.integers(0, 300, N)]
    strings[rng.random(N) < 0.08] = None
    columns = {f"ts_{u}": pa.array(base.astype(f"datetime64[{u}]"), mask=~present) for u in UNITS}
    columns["ts_tz"] = pa.array(base.astype("datetime64[us]")).cast(pa.timestamp("us", tz="America/New_York"))
    columns["date"] = pa.array((base // 10**6).astype("datetime64[D]"), pa.date32(), mask=~present)
    columns.update({f"dur_{u}": pa.array(base.astype(f"timedelta64[{u}]"), mask=~present) for u in UNITS})
    columns["s"] = pa.array(list(strings), pa.string())
    columns["ls"] = pa.array(list(strings), pa.large_string())
    columns["x"] = pa.array(rng.standard_normal(N))
    return pa.table(columns)


@pytest.fixture(scope="module", params=["one-batch", "batches"])
def frame(request, table, tmp_path_factory):
    path = tmp_path_factory.mktemp("types") / "t.arrow"
    with pa.ipc.new_file(str(path), table.schema) as writer:
        if request.param == "one-batch":
            writer.write_table(table)
        else:
            for batch in table.to_batches(max_chunksize=40_000):
                writer.write_batch(batch)
    return sf.open(str(path))


def numpy_of(column):
    """pyarrow column -> (numpy values, presence)."""
    array = column.combine_chunks()
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array.to_numpy(zero_copy_only=False), valid
    if pa.types.is_timestamp(array.type) and array.type.tz is not None:
        array = array.cast(pa.timestamp(array.type.unit))
    return array.to_numpy(zero_copy_only=False), valid


def test_dtypes(frame):
    expected = {**{f"ts_{u}": np.dtype(f"datetime64[{u}]") for u in UNITS}, "ts_tz": np.dtype("datetime64[us]"),
                "date": np.dtype("datetime64[D]"), **{f"dur_{u}": np.dtype(f"timedelta64[{u}]") for u in UNITS},
                "s": np.dtype(object), "ls": np.dtype(object), "x": np.dtype("float64")}
    assert frame.dtypes == expected


@pytest.mark.parametrize("name", [f"ts_{u}" for u in UNITS] + ["ts_tz", "date"] + [f"dur_{u}" for u in UNITS])
def test_temporal_values_and_statistics(frame, table, name):
    values, valid = numpy_of(table[name])
    got = frame.evaluate(name)
    assert got.dtype == values.dtype
    np.testing.assert_array_equal(np.ma.getmaskarray(got), ~valid)
    np.testing.assert_array_equal(np.ma.getdata(got)[valid], values[valid])
    assert frame.count(name) == valid.sum()
    assert frame.min(name) == values[valid].min()
    assert frame.max(name) == values[valid].max()
    assert frame.min(name).dtype == values.dtype
    # Under a filter, and compared with a value of the same column.
    keep = frame.evaluate("x") > 0
    filtered = frame[frame.x > 0]
    assert filtered.count(name) == (valid & keep).sum()
    assert filtered.max(name) == values[valid & keep].max()
    assert frame.count(selection=f"{name} > {name}") == 0
    assert frame.count(selection=f"{name} == {name}") == valid.sum()


@pytest.mark.parametrize("name", ["s", "ls"])
def test_strings(frame, table, name):
    values, valid = numpy_of(table[name])
    got = frame.evaluate(name)
    assert got.dtype == object
    assert list(got) == list(values)
    assert frame.count(name) == valid.sum()
    keep = frame.evaluate("x") > 0.5
    assert list(frame[frame.x > 0.5].evaluate(name)) == list(values[keep])
    assert list(frame.evaluate(name, 1000, 1010)) == list(values[1000:1010])
    assert list(frame[10:20][name].values) == list(values[10:20])
    text = repr(frame.head(3))
    for v in values[:3]:
        assert (v if v is not None else "--")[:10] in text  # "--": missing


def test_arithmetic_on_dates_and_strings_is_a_type_error_for_now(frame):
    # (comparisons between units, "ts_us < ts_ms", are test_datetimes.py's)
    for bad in ["ts_us + 1", "s + 1", "-date", "sqrt(dur_s)", "ts_us < 5", "where(x > 0, ts_s, 0)"]:
        with pytest.raises(TypeError):
            frame.evaluate(bad)
    for stat in ("sum", "mean", "std", "var"):
        with pytest.raises(TypeError, match=stat if stat != "var" else "variance"):
            getattr(frame, stat)("ts_us")
        with pytest.raises(TypeError):
            getattr(frame, stat)("s")
    assert frame.sum("x") == pytest.approx(float(np.sum(frame.evaluate("x"))), rel=1e-12)  # still usable


def test_where_picks_between_timestamps(frame, table):
    a, va = numpy_of(table["ts_us"])
    got = frame.evaluate("where(x > 0, ts_us, ts_us)")
    np.testing.assert_array_equal(np.ma.getdata(got)[va], a[va])


def test_numpy_datetimes_from_arrays():
    rng = np.random.default_rng(4)
    arrays = {f"t_{u}": rng.integers(-2**40, 2**40, 1000).astype(f"datetime64[{u}]") for u in UNITS}
    arrays["d"] = rng.integers(-10**5, 10**5, 1000).astype("datetime64[D]")
    arrays["dt"] = rng.integers(-2**40, 2**40, 1000).astype("timedelta64[ms]")
    df = sf.from_arrays(**arrays)
    for name, values in arrays.items():
        np.testing.assert_array_equal(df.evaluate(name), values)
        assert df.min(name) == values.min() and df.max(name) == values.max()
        assert df.data_type(name) == values.dtype


@pytest.mark.parametrize("index_type", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32()])
def test_dictionary_encoded_strings(tmp_path, index_type):
    rng = np.random.default_rng(5)
    words = [f"cat-{i}" for i in range(50)]
    codes = rng.integers(0, 50, 100_000)
    valid = rng.random(100_000) > 0.1
    indices = pa.array(codes, index_type, mask=~valid)
    column = pa.DictionaryArray.from_arrays(indices, pa.array(words))
    table = pa.table({"c": column, "x": rng.random(100_000)})
    path = tmp_path / "d.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=30_000):
            w.write_batch(batch)
    df = sf.open(str(path))
    assert df.dtypes["c"] == np.dtype(object)
    expected = [words[k] if ok else None for k, ok in zip(codes, valid)]
    assert list(df.evaluate("c")) == expected
    assert df.count("c") == valid.sum()
    keep = df.evaluate("x") < 0.3
    assert list(df[df.x < 0.3].evaluate("c")) == [e for e, k in zip(expected, keep) if k]


def test_pandas_categorical_through_arrow(tmp_path):
    import pandas as pd
    rng = np.random.default_rng(6)
    pdf = pd.DataFrame({"k": pd.Categorical(rng.choice(["red", "green", "blue", None], 5000)),
                        "v": rng.integers(0, 9, 5000)})
    table = pa.Table.from_pandas(pdf, preserve_index=False)
    path = tmp_path / "p.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    assert list(df.evaluate("k")) == [None if pd.isna(v) else v for v in pdf.k]
    assert df.sum("v") == pdf.v.sum()


def test_dictionary_index_out_of_range_is_an_error(tmp_path):
    indices = pa.array([0, 1, 2], pa.int8())
    column = pa.DictionaryArray.from_arrays(indices, pa.array(["a", "b", "c"]))
    path = tmp_path / "bad.arrow"
    with pa.ipc.new_file(str(path), pa.schema([("c", column.type)])) as w:
        w.write_table(pa.table({"c": column}))
    data = bytearray(path.read_bytes())
    # The record batch body holds the indices 0 1 2 after the dictionary's strings: make one 9.
    at = data.rfind(bytes([0, 1, 2]))
    assert at > 0
    data[at + 2] = 9
    path.write_bytes(bytes(data))
    df = sf.open(str(path))   # indices are checked when the record batch is first used
    with pytest.raises(ValueError, match="column 'c' has dictionary indices"):
        df.evaluate("c")
    with pytest.raises(ValueError, match="dictionary indices"):
        df.count("c")


def test_invalid_utf8_is_a_clear_error(tmp_path):
    samples = [b"ok", b"ab\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", "é€𝄞".encode()]
    for raw in samples:
        try:
            raw.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        offsets = np.array([0, 1, 1 + len(raw)], dtype=np.int32)
        array = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(offsets), pa.py_buffer(b"a" + raw)])
        path = tmp_path / "u.arrow"
        with pa.ipc.new_file(str(path), pa.schema([("s", pa.string())])) as w:
            w.write_table(pa.table({"s": array}))
        df = sf.open(str(path))
        if valid:
            assert list(df.evaluate("s")) == ["a", raw.decode()]
        else:
            with pytest.raises(ValueError, match="invalid UTF-8 in row 1"):
                df.evaluate("s")
            assert list(df.evaluate("s", 0, 1)) == ["a"]


@pytest.mark.parametrize("compat", ["newest", "oldest"])
def test_files_written_by_polars(tmp_path, compat):
    """polars writes strings as utf8_view (and categoricals over them) by default."""
    import datetime as dt
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(8)
    n = 30_000
    words = [f"word-{i}-{'x' * (i % 20)}" for i in range(60)]   # inline (<= 12 bytes) and out-of-line views
    s = [None if i % 11 == 0 else words[k] for i, k in enumerate(rng.integers(0, 60, n))]
    frame = pl.DataFrame({
        "i": pl.Series([None if i % 7 == 0 else int(v) for i, v in enumerate(rng.integers(-50, 50, n))], dtype=pl.Int64),
        "x": rng.standard_normal(n),
        "s": s,
        "c": pl.Series(s, dtype=pl.Categorical),
        "t": [dt.datetime(2020, 1, 1) + dt.timedelta(seconds=int(v)) for v in rng.integers(0, 10**8, n)],
    })
    path = tmp_path / "p.arrow"
    frame.write_ipc(str(path), compat_level=getattr(pl.CompatLevel, compat)())
    df = sf.open(str(path))
    assert list(df.evaluate("s")) == s
    assert list(df.evaluate("c")) == s
    got = df.evaluate("i")
    expected = frame["i"].to_numpy()
    np.testing.assert_array_equal(np.ma.getmaskarray(got), np.isnan(expected))
    np.testing.assert_array_equal(np.ma.getdata(got)[~np.isnan(expected)], expected[~np.isnan(expected)])
    np.testing.assert_array_equal(df.evaluate("t"), frame["t"].to_numpy())
    assert df.sum("x") == pytest.approx(frame["x"].sum(), rel=1e-12)
