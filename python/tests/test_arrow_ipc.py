"""The Arrow IPC file reader: files written by pyarrow read back with pyarrow's
values, Arrow's integration golden files read with the values of their JSON, and
corrupt, truncated, foreign or changed files give clear exceptions, never a crash."""

import gzip
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

import swiftframe as sf

ARROW_TESTING = pathlib.Path(os.environ.get(
    "ARROW_TESTING_DIR", pathlib.Path(__file__).resolve().parents[3] / "shared" / "arrow-testing"))
INTEGRATION = ARROW_TESTING / "arrow-ipc-stream" / "integration"

NUMERIC = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]


def write(path, table, batch_rows=None):
    with pa.ipc.new_file(str(path), table.schema) as writer:
        if batch_rows is None:
            writer.write_table(table)
        else:
            for batch in table.to_batches(max_chunksize=batch_rows):
                writer.write_batch(batch)
    return str(path)


def random_table(n, seed=0):
    """Every numeric dtype and bool, each with about 10% nulls, plus a column without nulls."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name in NUMERIC:
        dtype = np.dtype(name)
        if dtype.kind == "f":
            values = rng.standard_normal(n).astype(dtype)
        else:
            info = np.iinfo(dtype)
            values = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        columns[name] = pa.array(values, mask=rng.random(n) < 0.1)
    columns["bool"] = pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.1)
    columns["dense"] = pa.array(rng.standard_normal(n))
    return pa.table(columns)


def expect(column):
    """numpy values and presence mask of a pyarrow column (nulls zero-filled)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    valid = np.ones(len(array), bool) if array.null_count == 0 else array.is_valid().to_numpy(zero_copy_only=False)
    values = array.fill_null(False if pa.types.is_boolean(array.type) else 0).to_numpy(zero_copy_only=False)
    return values, valid


@pytest.mark.parametrize("batch_rows", [None, 70_000, 1_000_003])
def test_values_nulls_and_batches_match_pyarrow(tmp_path, batch_rows):
    n = 150_001
    table = random_table(n)
    df = sf.open(write(tmp_path / "t.arrow", table, batch_rows))
    assert len(df) == n
    assert df.column_names == table.column_names
    assert df.dtypes == {name: np.dtype(name if name in NUMERIC else ("bool" if name == "bool" else "float64"))
                         for name in table.column_names}
    for name in table.column_names:
        values, valid = expect(table[name])
        got = df.evaluate(name)
        if valid.all():
            assert not np.ma.isMaskedArray(got)
            np.testing.assert_array_equal(got, values)
        else:
            np.testing.assert_array_equal(np.ma.getmaskarray(got), ~valid)
            np.testing.assert_array_equal(np.ma.getdata(got)[valid], values[valid])
        assert df.count(name) == int((valid & ~np.isnan(values.astype(np.float64))).sum())
        if values.dtype.kind in "iu":
            # numpy's sum of the present values, wrapping in 64 bits as numpy does.
            acc = np.uint64 if values.dtype.kind == "u" else np.int64
            assert df.sum(name) == values[valid].astype(acc).sum(dtype=acc)
            assert df.min(name) == values[valid].min() and df.max(name) == values[valid].max()
        elif values.dtype.kind == "f":
            assert df.sum(name) == pytest.approx(values[valid].astype(np.float64).sum(), rel=1e-9, abs=1e-9)
            assert df.mean(name) == pytest.approx(values[valid].astype(np.float64).mean(), rel=1e-9)


def test_filter_and_virtual_column_over_batches(tmp_path):
    n = 300_000
    table = random_table(n, seed=3)
    df = sf.open(write(tmp_path / "t.arrow", table, 65_537))
    x, xv = expect(table["float64"])
    y, yv = expect(table["dense"])
    df["r"] = np.sqrt(df.float64 ** 2 + df.dense ** 2)
    keep = xv & (y > 0)
    r = np.sqrt(x ** 2 + y ** 2)
    assert df[df.dense > 0].r.mean() == pytest.approx(r[keep].mean(), rel=1e-12)
    assert df.count("r", selection="dense > 0") == keep.sum()


def test_a_stored_column_is_not_copied(tmp_path):
    values = np.arange(1000, dtype=np.int64) * 3
    df = sf.open(write(tmp_path / "t.arrow", pa.table({"v": values})))
    a = df.v.values
    b = df.v.values
    assert np.shares_memory(a, b), "both views point into the one mapping"
    assert not a.flags.writeable
    np.testing.assert_array_equal(a, values)


def test_empty_and_columnless_files(tmp_path):
    empty = pa.table({"x": pa.array([], pa.float64())})
    df = sf.open(write(tmp_path / "e.arrow", empty))
    assert len(df) == 0 and df.count("x") == 0 and df.sum("x") == 0
    assert np.isnan(df.mean("x"))
    none = pa.table({"x": pa.array([], pa.float64())}).schema
    with pa.ipc.new_file(str(tmp_path / "nobatch.arrow"), none):
        pass
    assert len(sf.open(str(tmp_path / "nobatch.arrow"))) == 0


def test_unsupported_columns_are_named_not_fatal(tmp_path):
    table = pa.table({"b": pa.array([b"a", b"b", None]), "x": pa.array([1.0, 2.0, 3.0]),
                      "l": pa.array([[1], [2, 3], []])})
    df = sf.open(write(tmp_path / "t.arrow", table))
    assert df.sum("x") == 6.0
    with pytest.raises(TypeError, match="binary"):
        df.sum("b")
    with pytest.raises(TypeError, match="list"):
        df.evaluate("l + 1")


# Arrow's integration golden files: values as their JSON states them.

def golden_files():
    return sorted(INTEGRATION.glob("*/*.arrow_file")) + sorted(INTEGRATION.glob("*/*.stream"))


INTEGER_KINDS = ("int", "date", "timestamp", "duration")  # compared as integers (days, units)
STRING_KINDS = ("utf8", "largeutf8")


def readable(field):
    t = field["type"]
    if "dictionary" in field:
        return t["name"] in STRING_KINDS
    return (t.get("precision") != "HALF"
            and (t["name"] in ("int", "floatingpoint", "bool", "timestamp", "duration") + STRING_KINDS
                 or (t["name"] == "date" and t["unit"] == "DAY")))


def json_values(column, kind):
    data = column["DATA"]
    if kind in INTEGER_KINDS:
        return np.array([int(v) for v in data], dtype=object)
    if kind == "floatingpoint":
        return np.array([float(v) for v in data], dtype=np.float64)
    if kind in STRING_KINDS:
        return np.array(data, dtype=object)
    return np.array([bool(v) for v in data])


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_integration_golden_files(path):
    with gzip.open(path.parent / (path.stem + ".json.gz")) as f:
        spec = json.load(f)
    df = sf.open(str(path))
    fields = spec["schema"]["fields"]
    columns = [f for f in fields if readable(f)]
    assert len(df) == sum(b["count"] for b in spec["batches"])
    # Duplicate names resolve to the first field of the name, as the engine's lookup does.
    first = {}
    for i, f in enumerate(fields):
        first.setdefault(f["name"], i)
    checked = 0
    for f in columns:
        i = fields.index(f)
        if first[f["name"]] != i:
            continue
        kind = f["type"]["name"]
        expected = np.concatenate([json_values(b["columns"][i], "int" if "dictionary" in f else kind)
                                   for b in spec["batches"]]) if spec["batches"] else np.array([])
        if "dictionary" in f:
            (entries,) = [d["data"]["columns"][0] for d in spec["dictionaries"] if d["id"] == f["dictionary"]["id"]]
            values = entries["DATA"]
            present = entries.get("VALIDITY", [1] * len(values))
            # A row whose dictionary entry is null is null (Arrow's semantics, as pyarrow reads it).
            expected = np.array([values[k] if 0 <= k < len(values) and present[k] else None for k in expected],
                                dtype=object)
        valid = np.concatenate([np.array(b["columns"][i].get("VALIDITY", [1] * b["count"]), bool)
                                for b in spec["batches"]]) if spec["batches"] else np.array([], bool)
        got = df.evaluate(f["name"])
        if kind in STRING_KINDS:
            assert list(got) == [v if ok else None for v, ok in zip(expected, valid)], f["name"]
            checked += 1
            continue
        mask = np.ma.getmaskarray(got)
        np.testing.assert_array_equal(mask, ~valid, err_msg=f["name"])
        data = np.ma.getdata(got)[valid]
        if kind == "floatingpoint":
            np.testing.assert_allclose(data, expected[valid].astype(data.dtype), rtol=1e-6, err_msg=f["name"])
        else:
            ints = data.view(np.int64) if data.dtype.kind in "Mm" else data
            assert [int(v) for v in ints] == [int(v) for v in expected[valid]], f["name"]
        checked += 1
    if path.name == "generated_primitive.arrow_file":
        assert checked >= 20
    if path.name == "generated_datetime.arrow_file":
        assert checked == 10  # date32 and 9 timestamps; date64 and time types are not read yet


# Bad input: each a clear exception, the process survives.

@pytest.fixture
def good_file(tmp_path):
    return write(tmp_path / "good.arrow", random_table(1000, seed=5), 300)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.arrow"):
        sf.open(str(tmp_path / "nope.arrow"))
    with pytest.raises(OSError, match="not a regular file"):
        sf.open(str(tmp_path))


def test_every_truncation_is_an_error(good_file, tmp_path):
    data = pathlib.Path(good_file).read_bytes()
    cut = tmp_path / "cut.arrow"
    for length in list(range(0, 64)) + list(range(64, len(data), 97)) + [len(data) - 1]:
        cut.write_bytes(data[:length])
        with pytest.raises(ValueError, match="Arrow IPC"):
            sf.open(str(cut))


def test_corrupted_footer_is_an_error(good_file, tmp_path):
    data = bytearray(pathlib.Path(good_file).read_bytes())
    footer_length = int.from_bytes(data[-10:-6], "little")
    bad = tmp_path / "bad.arrow"
    # A footer length pointing outside the file.
    bad.write_bytes(bytes(data[:-10]) + (len(data) * 2).to_bytes(4, "little") + b"ARROW1")
    with pytest.raises(ValueError, match="footer length"):
        sf.open(str(bad))
    # Garbage over the footer's root table offset and vtable.
    start = len(data) - 10 - footer_length
    garbage = bytearray(data)
    garbage[start:start + 16] = b"\xff" * 16
    bad.write_bytes(bytes(garbage))
    with pytest.raises(ValueError, match="footer"):
        sf.open(str(bad))


def test_mutations_never_crash(tmp_path):
    """Every byte of a small file overwritten with 0x00 and 0xff: an error when opened,
    an error when a pass first loads a corrupt record batch, or a frame whose statistics
    run; run in a child process so a crash fails the test."""
    rng = np.random.default_rng(9)
    small = pa.table({"i": pa.array(rng.integers(-100, 100, 120, dtype=np.int8), mask=rng.random(120) < 0.2),
                      "x": rng.standard_normal(120), "b": pa.array(rng.random(120) < 0.5)})
    path = write(tmp_path / "small.arrow", small, 40)
    script = f"""
import pathlib, numpy as np, swiftframe as sf
data = pathlib.Path({path!r}).read_bytes()
bad = pathlib.Path({str(tmp_path / 'm.arrow')!r})
opened = rejected = failed = 0
for i in range(len(data)):
    for value in (0x00, 0xff):
        if data[i] == value:
            continue
        bad.write_bytes(data[:i] + bytes([value]) + data[i + 1:])
        try:
            df = sf.open(str(bad))
        except ValueError:
            rejected += 1
            continue
        opened += 1
        for name in df.column_names:
            try:  # a mutated name may be unusable in an expression: an error, not a crash
                column = df[name]
            except (ValueError, KeyError, SyntaxError):
                continue
            try:  # a batch found corrupt when a pass loads it: a clear error
                column.count(), column.sum(), column.values
            except ValueError as e:
                assert "record batch" in str(e), str(e)
                failed += 1
print(opened, rejected, failed)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    opened, rejected, failed = map(int, run.stdout.split())
    assert opened > 0 and rejected > 0


def test_fuzz_regression_files_never_crash():
    """Arrow's own fuzz regression files: each rejected with a clear error or read."""
    files = [p for d in ("arrow-ipc-file", "arrow-ipc-stream") for p in sorted((ARROW_TESTING / d).iterdir())
             if p.is_file() and p.name != "README.md"]
    assert len(files) > 100
    script = """
import sys, swiftframe as sf
for path in sys.argv[1:]:
    try:
        df = sf.open(path)
    except ValueError as e:
        assert str(e), path
        continue
    for name in df.column_names:
        try:  # opened, but a record batch may be found corrupt when first loaded
            df.count(name)
        except ValueError as e:
            assert "record batch" in str(e), (path, str(e))
            continue
        df.sum(name), df.evaluate(name)
print("done")
"""
    run = subprocess.run([sys.executable, "-c", script, *map(str, files)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0 and run.stdout.strip() == "done", run.stderr[-2000:]


@pytest.mark.parametrize("batch_rows", [None, 333])
def test_stream_format(tmp_path, batch_rows):
    table = random_table(1000, seed=8)
    path = tmp_path / "s.arrows"
    with pa.ipc.new_stream(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=batch_rows):
            w.write_batch(batch)
    df = sf.open(str(path))
    assert len(df) == 1000
    for name in table.column_names:
        values, valid = expect(table[name])
        got = df.evaluate(name)
        np.testing.assert_array_equal(np.ma.getmaskarray(got), ~valid)
        np.testing.assert_array_equal(np.ma.getdata(got)[valid], values[valid])
    # Cut in the middle of a message: an error, not a crash.
    data = path.read_bytes()
    for cut in range(8, len(data), 61):
        path.write_bytes(data[:cut])
        try:
            sf.open(str(path))
        except ValueError as e:
            assert "stream" in str(e) or "message" in str(e) or "body" in str(e) or "buffer" in str(e)


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_compressed_bodies(tmp_path, codec):
    table = random_table(50_000, seed=12).append_column("zeros", pa.array(np.zeros(50_000)))
    table = table.append_column("s", pa.array([f"v{i % 77}" for i in range(50_000)]))
    path = tmp_path / "z.arrow"
    with pa.ipc.new_file(str(path), table.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
        for batch in table.to_batches(max_chunksize=20_000):
            w.write_batch(batch)
    df = sf.open(str(path))
    for name in table.column_names:
        got = df.evaluate(name)
        if name == "s":
            assert list(got) == table["s"].to_pylist()
            continue
        values, valid = expect(table[name])
        np.testing.assert_array_equal(np.ma.getmaskarray(got), ~valid)
        np.testing.assert_array_equal(np.ma.getdata(got)[valid], values[valid])
    # A corrupted compressed body: an error, never a crash.
    data = bytearray(path.read_bytes())
    for at in range(200, len(data) - 200, len(data) // 50):
        bad = bytearray(data)
        bad[at:at + 8] = b"\x7f" * 8
        (tmp_path / "bad.arrow").write_bytes(bytes(bad))
        try:
            frame = sf.open(str(tmp_path / "bad.arrow"))
        except ValueError:
            continue
        for name in frame.column_names:  # decompressed when a pass needs the batch
            try:
                got = frame.evaluate(name)
            except ValueError as e:
                assert "record batch" in str(e), str(e)
                continue
            assert len(got) == 50_000


def test_file_truncated_after_open_is_an_error_not_a_crash(tmp_path):
    path = write(tmp_path / "t.arrow", pa.table({"x": np.arange(100_000.0)}))
    df = sf.open(path)
    assert df.sum("x") == np.arange(100_000.0).sum()
    os.truncate(path, 1000)
    with pytest.raises(OSError, match="changed after it was opened"):
        df.sum("x")
    os.remove(path)
    with pytest.raises(OSError):
        df.mean("x")
