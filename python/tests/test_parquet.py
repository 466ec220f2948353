"""Parquet, reading side: sf.open("x.parquet") converts the file to an Arrow IPC file
beside it (x.parquet.arrow, as vaex names converted files) batch by batch through
pyarrow, reuses it while it is newer than the Parquet file, and maps it.

References are pyarrow's own reading of the Parquet file (pq.read_table), turned into
numpy arrays and masks; nothing is compared with numbers the engine produced."""

import os
import pathlib
import sys

import numpy as np
import pytest

import swiftframe as sf
from conftest import assert_scalar, assert_values

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

NUMERIC = {"x": np.float64, "f": np.float32, "i": np.int32, "k": np.int64, "u": np.uint8, "b": np.bool_}


def make_table(rng, n, with_strings=True):
    """Numeric columns with nulls (x, i, b), NaN in x, and a string column."""
    x = rng.standard_normal(n) * 50
    x[rng.random(n) < 0.05] = np.nan
    cols = {"x": pa.array(x, mask=rng.random(n) < 0.1),
            "f": pa.array((rng.standard_normal(n) * 3).astype(np.float32)),
            "i": pa.array(rng.integers(-10_000, 10_000, n).astype(np.int32), mask=rng.random(n) < 0.2),
            "k": pa.array(rng.integers(-2**50, 2**50, n).astype(np.int64)),
            "u": pa.array(rng.integers(0, 255, n, endpoint=True).astype(np.uint8)),
            "b": pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.1)}
    if with_strings:
        cols["s"] = pa.array([f"row{j}" for j in range(n)], type=pa.string())
    return pa.table(cols)


def write_parquet(path, table, row_group_size=25_000):
    pq.write_table(table, str(path), row_group_size=row_group_size)
    return str(path)


def reference(table):
    """name -> (values, present) from a pyarrow table, values of nulls zeroed."""
    out = {}
    for name, dtype in NUMERIC.items():
        column = table.column(name).combine_chunks()
        present = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        values = np.asarray(column.fill_null(False if dtype is np.bool_ else 0).to_numpy(zero_copy_only=False),
                            dtype=dtype)
        out[name] = (values, present)
    return out


def check_frame(df, ref):
    n = len(next(iter(ref.values()))[0])
    assert len(df) == n
    for name, (values, present) in ref.items():
        got = df.evaluate(name)
        assert got.dtype == np.dtype(NUMERIC[name]), name
        assert_values(np.ma.getmaskarray(got), ~present)
        assert_values(np.ma.getdata(got)[present], values[present])
        v = values[present]
        if v.dtype.kind == "f":
            v = v[~np.isnan(v)]
        assert df.count(name) == len(v)
        if len(v):
            assert_scalar(df.min(name), v.min())
            assert_scalar(df.max(name), v.max())
            assert_scalar(df.mean(name), np.mean(v.astype(np.float64)))
            if v.dtype.kind == "f":
                assert_scalar(df.sum(name), np.sum(v, dtype=np.float64))
            else:
                assert df.sum(name) == np.sum(v, dtype=np.uint64 if v.dtype.kind == "u" else np.int64)


def _set_mtime(path, seconds_from_now):
    t = pathlib.Path(path).stat().st_mtime + seconds_from_now
    os.utime(path, (t, t))


def test_round_trip_with_nulls_and_row_groups(tmp_path):
    rng = np.random.default_rng(11)
    table = make_table(rng, 100_003)
    path = write_parquet(tmp_path / "data.parquet", table)
    assert pq.ParquetFile(path).num_row_groups == 5
    df = sf.open(path)
    ref = reference(pq.read_table(path))
    check_frame(df, ref)
    assert list(df.evaluate("s")) == pq.read_table(path).column("s").to_pylist()
    # The converted file sits beside the Parquet file and holds exactly pyarrow's reading of it.
    converted = tmp_path / "data.parquet.arrow"
    assert converted.exists()
    with pa.ipc.open_file(str(converted)) as reader:
        # Streamed: record batches of at most BATCH_ROWS rows, not one table.
        sizes = [reader.get_batch(j).num_rows for j in range(reader.num_record_batches)]
        assert sum(sizes) == 100_003 and len(sizes) >= 2 and max(sizes) <= sf.io.BATCH_ROWS
        converted_table, parquet_table = reader.read_all(), pq.read_table(path)
    assert converted_table.schema.equals(parquet_table.schema)
    # (pandas' equals treats NaN in the same places as equal; Arrow's equals does not.)
    assert converted_table.to_pandas().equals(parquet_table.to_pandas())
    # No temporary file is left in the folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "data.parquet.arrow"]
    # Filters and virtual columns over the converted data.
    x, xp = ref["x"]
    i, ip = ref["i"]
    df["r"] = df.x - df.i
    keep = xp & ip & (x - i > 0)
    assert len(df[df.r > 0]) == keep.sum()
    assert_scalar(df[df.r > 0].mean("k"), np.mean(ref["k"][0][keep].astype(np.float64)))
    head = df.head(4)
    assert_values(head.evaluate("k"), ref["k"][0][:4])


def test_reuse_and_reconversion(tmp_path):
    rng = np.random.default_rng(12)
    path = write_parquet(tmp_path / "t.parquet", make_table(rng, 3_000), row_group_size=1_000)
    _set_mtime(path, -100)  # clearly older than the converted file will be
    converted = pathlib.Path(path + ".arrow")
    first = sf.open(path)
    stat1 = converted.stat()
    check_frame(first, reference(pq.read_table(path)))

    # Second open: the converted file is newer than the Parquet file and is reused as is.
    second = sf.open(path)
    stat2 = converted.stat()
    assert (stat2.st_mtime_ns, stat2.st_ino) == (stat1.st_mtime_ns, stat1.st_ino)
    check_frame(second, reference(pq.read_table(path)))

    # The Parquet file changes (and is newer): the next open converts again.
    new_table = make_table(rng, 1_234)
    write_parquet(path, new_table, row_group_size=500)
    _set_mtime(path, +100)
    third = sf.open(path)
    stat3 = converted.stat()
    assert stat3.st_mtime_ns != stat1.st_mtime_ns
    check_frame(third, reference(new_table))
    # A frame opened before keeps its own (replaced, still mapped) data until a pass checks it.
    with pytest.raises(OSError, match="changed|removed"):
        first.sum("k")


def test_glob_and_list_of_parquet_files(tmp_path):
    rng = np.random.default_rng(13)
    tables = [make_table(rng, n) for n in (5_000, 0, 777)]
    paths = [write_parquet(tmp_path / f"p{j}.parquet", t, row_group_size=2_000) for j, t in enumerate(tables)]
    whole = pa.concat_tables(tables)
    ref = reference(whole)
    check_frame(sf.open(str(tmp_path / "p*.parquet")), ref)
    check_frame(sf.open(paths), ref)
    # Parquet and Arrow files mixed in one list.
    arrow = tmp_path / "q.arrow"
    with pa.ipc.new_file(str(arrow), tables[2].schema) as w:
        w.write_table(tables[2])
    check_frame(sf.open([paths[0], str(arrow)]), reference(pa.concat_tables([tables[0], tables[2]])))


def test_empty_parquet_file(tmp_path):
    table = make_table(np.random.default_rng(14), 0)
    df = sf.open(write_parquet(tmp_path / "e.parquet", table))
    assert len(df) == 0
    assert df.count("x") == 0 and np.isnan(df.mean("x"))


def test_mismatched_parquet_schemas(tmp_path):
    rng = np.random.default_rng(15)
    a = write_parquet(tmp_path / "a.parquet", make_table(rng, 10))
    t = make_table(rng, 10).set_column(2, "i", pa.array(np.arange(10, dtype=np.int64)))
    b = write_parquet(tmp_path / "b.parquet", t)
    with pytest.raises(ValueError, match=r"b\.parquet\.arrow.*column 'i' is int64 where the first table has int32"):
        sf.open([a, b])


def test_missing_parquet_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.parquet"):
        sf.open(str(tmp_path / "absent.parquet"))
    with pytest.raises(FileNotFoundError, match="no files match"):
        sf.open(str(tmp_path / "*.parquet"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "pages"])
def test_corrupt_parquet_is_value_error_and_leaves_nothing(tmp_path, damage):
    rng = np.random.default_rng(16)
    good = write_parquet(tmp_path / "good.parquet", make_table(rng, 20_000, with_strings=False))
    data = bytearray(pathlib.Path(good).read_bytes())
    if damage == "garbage":
        data = bytearray(b"PAR1 but not really" * 10)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:  # footer intact, a page header overwritten: fails while batches are read
        meta = pq.ParquetFile(good).metadata
        column = meta.row_group(0).column(0)
        start = column.data_page_offset
        data[start:start + 64] = b"\xff" * 64
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    os.remove(good)
    with pytest.raises(ValueError, match="bad.parquet"):
        sf.open(str(bad))
    # A failed conversion leaves no file under the target name and no temporary file.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet"]


def test_without_pyarrow_a_clear_import_error(tmp_path, monkeypatch):
    rng = np.random.default_rng(17)
    path = write_parquet(tmp_path / "n.parquet", make_table(rng, 10))
    for name in ("pyarrow", "pyarrow.parquet", "pyarrow.ipc"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        sf.open(path)
    assert not pathlib.Path(path + ".arrow").exists()
    # Arrow files still open without pyarrow.
    monkeypatch.undo()
    sf.open(path)  # converts now
    _set_mtime(path, -100)
    for name in ("pyarrow", "pyarrow.parquet", "pyarrow.ipc"):
        monkeypatch.setitem(sys.modules, name, None)
    # A converted file that is up to date needs no pyarrow.
    assert len(sf.open(path)) == 10


def test_dictionary_columns_with_a_dictionary_per_row_group(tmp_path):
    """Parquet keeps a dictionary per row group; the Arrow file gets one per column, holding
    every value (here more than an int8 index can address, so the index widens)."""
    rng = np.random.default_rng(18)
    chunks, xs = [], []
    for j in range(4):  # each chunk: 60 values of its own, int8 indices
        words = pa.array([f"w{j}-{v}" for v in range(60)])
        codes = rng.integers(0, 60, 30_000).astype(np.int8)
        mask = rng.random(30_000) < 0.05
        chunks.append(pa.DictionaryArray.from_arrays(pa.array(codes, mask=mask), words))
        xs.append(rng.standard_normal(30_000))
    table = pa.table({"c": pa.chunked_array(chunks), "x": pa.array(np.concatenate(xs))})
    path = write_parquet(tmp_path / "d.parquet", table, row_group_size=30_000)
    assert pq.ParquetFile(path).schema_arrow.field("c").type.index_type == pa.int8()
    df = sf.open(path)
    assert len(df) == 120_000
    assert_scalar(df.sum("x"), np.sum(np.concatenate(xs)))
    with pa.ipc.open_file(path + ".arrow") as reader:
        converted = reader.read_all()
    assert pa.types.is_dictionary(converted.schema.field("c").type)
    assert list(df.evaluate("c")) == pq.read_table(path).column("c").to_pylist()
    assert converted.column("c").to_pylist() == pq.read_table(path).column("c").to_pylist()
    dictionaries = {tuple(chunk.dictionary.to_pylist()) for chunk in converted.column("c").chunks}
    assert len(dictionaries) == 1 and len(next(iter(dictionaries))) == 240


def test_a_glob_matching_a_parquet_file_and_its_converted_file_reads_it_once(tmp_path):
    rng = np.random.default_rng(19)
    tables = [make_table(rng, n) for n in (1_000, 2_000)]
    for j, t in enumerate(tables):
        write_parquet(tmp_path / f"m{j}.parquet", t)
    first = sf.open(str(tmp_path / "m*.parquet"))  # converts both
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m0.parquet", "m0.parquet.arrow",
                                                          "m1.parquet", "m1.parquet.arrow"]
    check_frame(first, reference(pa.concat_tables(tables)))
    check_frame(sf.open(str(tmp_path / "m*")), reference(pa.concat_tables(tables)))
    # The converted files alone, by their own glob.
    check_frame(sf.open(str(tmp_path / "m*.arrow")), reference(pa.concat_tables(tables)))
