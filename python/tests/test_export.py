"""df.export_arrow: every dtype round-trips through the file (read back by pyarrow,
polars, duckdb and swiftframe itself) with the filter applied and virtual columns
computed; failures and cancellations leave nothing under the target name."""

import os

import numpy as np
import pyarrow as pa
import pytest

import swiftframe as sf

N = 120_001


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    rng = np.random.default_rng(21)
    present = rng.random(N) > 0.1
    columns = {}
    for name in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]:
        info = np.iinfo(name)
        columns[name] = pa.array(rng.integers(info.min, info.max, N, dtype=name, endpoint=True), mask=~present)
    columns["float32"] = pa.array(rng.standard_normal(N).astype(np.float32), mask=~present)
    columns["float64"] = pa.array(rng.standard_normal(N))
    columns["bool"] = pa.array(rng.random(N) < 0.3, mask=~present)
    base = rng.integers(-2**40, 2**40, N)
    columns["ts"] = pa.array(base.astype("datetime64[us]"), mask=~present)
    columns["ts_ns"] = pa.array(base.astype("datetime64[ns]"))
    columns["ts_tz"] = pa.array(base.astype("datetime64[ms]"), mask=~present).cast(pa.timestamp("ms", tz="Asia/Tokyo"))
    columns["date"] = pa.array((base // 10**8).astype("datetime64[D]"), pa.date32())
    columns["dur"] = pa.array(base.astype("timedelta64[ms]"), mask=~present)
    words = np.array([f"wörd {i}" for i in range(500)], dtype=object)
    text = words[rng.integers(0, 500, N)]
    text[~present] = None
    columns["s"] = pa.array(list(text), pa.string())
    columns["ls"] = pa.array(list(text), pa.large_string())
    table = pa.table(columns)
    path = tmp_path_factory.mktemp("export") / "source.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=50_000):
            w.write_batch(batch)
    return table, str(path)


def test_round_trip_every_dtype(source, tmp_path):
    table, path = source
    df = sf.open(path)
    out = tmp_path / "out.arrow"
    df.export_arrow(out)
    back = pa.ipc.open_file(str(out)).read_all()
    assert back.schema.names == table.schema.names
    for name in table.column_names:
        assert back[name].type == table[name].type, name
        assert back[name].to_pylist() == table[name].to_pylist(), name
    # And swiftframe reads its own file with the same values.
    again = sf.open(str(out))
    for name in table.column_names:
        a, b = again.evaluate(name), df.evaluate(name)
        if b.dtype == object:
            assert list(a) == list(b)
        else:
            missing = np.ma.getmaskarray(b)
            np.testing.assert_array_equal(np.ma.getmaskarray(a), missing)
            np.testing.assert_array_equal(np.ma.getdata(a)[~missing], np.ma.getdata(b)[~missing])


def test_filter_virtual_columns_and_subset(source, tmp_path):
    table, path = source
    df = sf.open(path)
    df["r"] = np.sqrt(df.float64 ** 2 + 1)
    filtered = df[df.float64 > 0.5]
    out = tmp_path / "f.arrow"
    filtered.export(out, column_names=["r", "s", "int32"])
    back = pa.ipc.open_file(str(out)).read_all()
    x = table["float64"].to_numpy()
    keep = x > 0.5
    assert back.num_rows == keep.sum()
    np.testing.assert_allclose(back["r"].to_numpy(), np.sqrt(x[keep] ** 2 + 1), rtol=1e-15)
    assert back["s"].to_pylist() == [v for v, k in zip(table["s"].to_pylist(), keep) if k]
    assert back["int32"].to_pylist() == [v for v, k in zip(table["int32"].to_pylist(), keep) if k]


def test_other_readers(source, tmp_path):
    table, path = source
    out = tmp_path / "o.arrow"
    sf.open(path).export_arrow(out, column_names=["int64", "float64", "s", "ts"])
    polars = pytest.importorskip("polars")
    pdf = polars.read_ipc(str(out))
    assert pdf["int64"].to_list() == table["int64"].to_pylist()
    assert pdf["s"].to_list() == table["s"].to_pylist()
    duckdb = pytest.importorskip("duckdb")
    arrow_table = pa.ipc.open_file(str(out)).read_all()  # noqa: F841 (duckdb scans it by name)
    total = duckdb.sql("select sum(float64) as t, count(s) as n from arrow_table").fetchall()[0]
    assert total[0] == pytest.approx(float(np.sum(table["float64"].to_numpy())), rel=1e-12)
    assert total[1] == len(table) - table["s"].null_count


def test_failures_leave_nothing(source, tmp_path):
    _, path = source
    df = sf.open(path)
    with pytest.raises(OSError):
        df.export_arrow(tmp_path / "no" / "such" / "dir" / "x.arrow")
    target = tmp_path / "cancelled.arrow"
    calls = []
    with pytest.raises(KeyboardInterrupt):
        df.export_arrow(target, progress=lambda f: calls.append(f) or False)
    assert calls
    assert not [p for p in os.listdir(tmp_path) if "cancelled" in p], "neither the file nor a temporary one"
    with pytest.raises(NameError):
        df.export_arrow(tmp_path / "bad.arrow", column_names=["nope"])
    assert not (tmp_path / "bad.arrow").exists()
    with pytest.raises(ValueError):
        df.export(tmp_path / "x.unknown")
    # An existing file under the target name is untouched by a failed export.
    keep = tmp_path / "keep.arrow"
    keep.write_bytes(b"precious")
    with pytest.raises(KeyboardInterrupt):
        df.export_arrow(keep, progress=lambda f: False)
    assert keep.read_bytes() == b"precious"


def test_empty_and_in_memory_frames(tmp_path):
    df = sf.from_arrays(x=np.arange(10.0), k=np.arange(10, dtype=np.int16))
    out = tmp_path / "m.arrow"
    df[df.x > 100].export_arrow(out)
    back = pa.ipc.open_file(str(out)).read_all()
    assert back.num_rows == 0 and back.schema.names == ["x", "k"]
    df.export_arrow(out)
    back = pa.ipc.open_file(str(out)).read_all()
    assert back["x"].to_pylist() == list(np.arange(10.0)) and back["k"].type == pa.int16()


def test_parquet_and_csv_exports(tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq
    rng = np.random.default_rng(3)
    x = rng.standard_normal(50_000)
    k = rng.integers(0, 100, 50_000, dtype=np.int32)
    df = sf.from_arrays(x=x, k=k)
    df["y"] = df.x * 2
    filtered = df[df.k < 50]
    keep = k < 50
    filtered.export(tmp_path / "f.parquet")
    back = pq.read_table(str(tmp_path / "f.parquet"))
    np.testing.assert_array_equal(back["x"].to_numpy(), x[keep])
    np.testing.assert_array_equal(back["y"].to_numpy(), x[keep] * 2)
    assert back["k"].type == pa.int32()
    filtered.export(tmp_path / "f.csv", column_names=["k", "y"])
    csv = pd.read_csv(tmp_path / "f.csv")
    assert list(csv.columns) == ["k", "y"]
    np.testing.assert_array_equal(csv["k"].to_numpy(), k[keep])
    np.testing.assert_allclose(csv["y"].to_numpy(), x[keep] * 2, rtol=1e-15)
    assert sorted(os.listdir(tmp_path)) == ["f.csv", "f.parquet"], "no temporary files are left"
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "f.csv").st_mode & 0o777 == 0o666 & ~umask, "permissions as a plain open() gives"


def test_hdf5_export_in_vaex_layout(source, tmp_path):
    h5py = pytest.importorskip("h5py")
    table, path = source
    df = sf.open(path)
    names = ["int16", "float32", "float64", "bool", "ts", "s"]
    out = tmp_path / "v.hdf5"
    df.export(out, column_names=names)
    with h5py.File(out, "r") as h5:
        columns = h5["/table/columns"]
        assert columns.attrs["column_order"] == ",".join(names)
        for name in ["int16", "float32", "float64", "bool"]:
            present = table[name].is_valid().to_numpy()
            data = columns[name]["data"][:]
            np.testing.assert_array_equal(data[present], table[name].drop_null().to_numpy(zero_copy_only=False))
            if "mask" in columns[name]:
                np.testing.assert_array_equal(columns[name]["mask"][:], ~present)
            else:
                assert present.all()
        ts = columns["ts"]["data"]
        assert ts.attrs["dtype"] == "datetime64[us]"
        present = table["ts"].is_valid().to_numpy()
        np.testing.assert_array_equal(ts[:][present], table["ts"].drop_null().cast(pa.int64()).to_numpy())
        s = columns["s"]
        offsets, data = s["indices"][:], s["data"][:].tobytes()
        valid = np.unpackbits(s["null_bitmap"][:], bitorder="little")[:len(table)].astype(bool)
        strings = [data[offsets[i]:offsets[i + 1]].decode() if valid[i] else None for i in range(len(table))]
        assert strings == table["s"].to_pylist()
    # Numeric columns read back through swiftframe's own HDF5 reader.
    again = sf.open(str(out))
    np.testing.assert_array_equal(np.ma.getdata(again.evaluate("float64")), table["float64"].to_numpy())
    got = again.evaluate("int16")
    np.testing.assert_array_equal(np.ma.getmaskarray(got), ~table["int16"].is_valid().to_numpy())
    assert sorted(os.listdir(tmp_path)) == ["v.hdf5"]


def test_categoricals_round_trip_dictionary_encoded(tmp_path):
    rng = np.random.default_rng(13)
    n = 70_000
    words = [f"kind {i}" for i in range(30)]
    valid = rng.random(n) > 0.15
    codes = pa.array(rng.integers(0, 30, n), pa.int16(), mask=~valid)
    table = pa.table({"c": pa.DictionaryArray.from_arrays(codes, pa.array(words)), "x": rng.random(n)})
    src = tmp_path / "src.arrow"
    with pa.ipc.new_file(str(src), table.schema) as w:
        for batch in table.to_batches(max_chunksize=25_000):
            w.write_batch(batch)
    df = sf.open(str(src))
    df[df.x > 0.4].export_arrow(tmp_path / "c.arrow")
    back = pa.ipc.open_file(str(tmp_path / "c.arrow")).read_all()
    assert pa.types.is_dictionary(back["c"].type) and back["c"].type.value_type == pa.string()
    keep = table["x"].to_numpy() > 0.4
    assert back["c"].to_pylist() == [v for v, k in zip(table["c"].to_pylist(), keep) if k]
    again = sf.open(str(tmp_path / "c.arrow"))
    assert list(again.evaluate("c")) == back["c"].to_pylist()
    pl = pytest.importorskip("polars")
    assert pl.read_ipc(str(tmp_path / "c.arrow"))["c"].to_list() == back["c"].to_pylist()
    # Files with different dictionaries concatenate; their export falls back to strings.
    other = pa.table({"c": pa.array(["zz", None, "kind 3"]).dictionary_encode(), "x": [0.9, 0.8, 0.7]})
    with pa.ipc.new_file(str(tmp_path / "other.arrow"), other.schema) as w:
        w.write_table(other)
    both = sf.open([str(src), str(tmp_path / "other.arrow")])
    both.export_arrow(tmp_path / "both.arrow")
    merged = pa.ipc.open_file(str(tmp_path / "both.arrow")).read_all()
    assert merged["c"].to_pylist() == table["c"].to_pylist() + other["c"].to_pylist()
