"""Arrow C Data Interface: frames out to pyarrow, polars, duckdb, pandas and numpy
through __arrow_c_stream__, and back in with sf.from_arrow / from_pandas; zero-copy
both ways where the data is stored; every exported structure released; malformed
imported streams raise. Values are checked against the numpy data the frames were
built from."""

import ctypes
import gc
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf
from swiftframe import interchange
from conftest import DTYPES, FILE_VARIANTS, assert_values, every_dtype

NAMES = [np.dtype(t).name for t in DTYPES]
N = 150_001




def nulls(rng, data, fraction=0.2):
    """Presence masks (True = present) for every column but float64."""
    return {name: rng.random(len(v)) >= fraction for name, v in data.items() if name != "float64"}


def expected_array(ref, name):
    values = ref[name]
    present = ref.present(name)
    return pa.array(values, mask=None if present.all() else ~present)


def assert_arrow_column(column, ref, name):
    got = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    want = expected_array(ref, name)
    assert got.type == want.type, (name, got.type, want.type)
    assert got.null_count == want.null_count, name
    assert got.equals(want), name


class _Stream:
    """An object with __arrow_c_stream__ around a capsule (to read one with pyarrow)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        capsule, self.capsule = self.capsule, None
        return capsule


def live():
    gc.collect()
    return interchange.live_exports()


# Export --------------------------------------------------------------------------------

def test_pyarrow_reads_every_dtype(storage, rng):
    data = every_dtype(rng)
    df, ref = storage.frame(data)
    table = pa.table(df)
    assert table.column_names == NAMES
    assert table.num_rows == len(ref)
    for name in NAMES:
        assert_arrow_column(table.column(name), ref, name)
    assert_arrow_column(df.to_arrow_table().column("int16"), ref, "int16")


@pytest.mark.parametrize("variant", FILE_VARIANTS)
def test_pyarrow_reads_missing_values(variant, tmp_path, rng):
    from conftest import Storage
    data = every_dtype(rng)
    df, ref = Storage(variant, tmp_path).frame(data, valid=nulls(rng, data))
    table = pa.RecordBatchReader.from_stream(df).read_all()
    for name in NAMES:
        assert_arrow_column(table.column(name), ref, name)


def test_virtual_columns_filters_and_expressions(file_storage, rng):
    data = every_dtype(rng)
    valid = nulls(rng, data)
    df, ref = file_storage.frame(data, valid=valid)
    df["r"] = df.float64 * 2 + df.int32
    df["pos"] = df.int16 > 0
    sub = df[df.int8 > 0]
    table = pa.table(sub)
    keep = (ref["int8"] > 0) & ref.present("int8")
    r_present = ref.present("int32")[keep]
    r = pa.array((ref["float64"] * 2 + ref["int32"])[keep], mask=~r_present)
    assert table.column("r").combine_chunks().equals(r)
    pos = pa.array((ref["int16"] > 0)[keep], mask=~ref.present("int16")[keep])
    assert table.column("pos").combine_chunks().equals(pos)
    assert table.column("uint64").combine_chunks().equals(
        pa.array(ref["uint64"][keep], mask=~ref.present("uint64")[keep]))
    # An expression exports one column named after it.
    one = pa.table(sub.int32 * 3)
    assert one.column_names == ["(int32 * 3)"]
    assert one.column(0).combine_chunks().equals(
        pa.array((ref["int32"] * np.int32(3))[keep], mask=~ref.present("int32")[keep]))
    assert pa.table(sub.uint8).column_names == ["uint8"]


def test_several_batches(rng):
    data = every_dtype(rng, 10_007)
    df = sf.from_arrays(**data)
    reader = pa.RecordBatchReader.from_stream(_Stream(interchange.export_stream(df, max_rows=1000)))
    batches = list(reader)
    assert [b.num_rows for b in batches] == [1000] * 10 + [7]
    table = pa.Table.from_batches(batches)
    for name in NAMES:
        np.testing.assert_array_equal(table.column(name).to_numpy(), data[name])
    # A filtered frame is cut after the filter.
    keep = data["int8"] > 0
    sub = df[df.int8 > 0]
    batches = list(pa.RecordBatchReader.from_stream(_Stream(interchange.export_stream(sub, max_rows=999))))
    assert sum(b.num_rows for b in batches) == keep.sum()
    assert all(b.num_rows == 999 for b in batches[:-1])
    np.testing.assert_array_equal(pa.Table.from_batches(batches).column("float32").to_numpy(),
                                  data["float32"][keep])


def test_empty_and_sliced_frames(rng):
    data = every_dtype(rng, 1000)
    df = sf.from_arrays(**data)
    empty = df[df.int8 > 200]
    table = pa.table(empty)
    assert table.num_rows == 0 and table.column_names == NAMES
    assert table.schema.field("uint16").type == pa.uint16()
    part = pa.table(df[100:250])
    np.testing.assert_array_equal(part.column("int64").to_numpy(), data["int64"][100:250])


def test_zero_copy_export_of_stored_columns(tmp_path, rng):
    n = 100_000
    x = rng.standard_normal(n)
    i = rng.integers(0, 100, n).astype(np.int32)
    path = tmp_path / "z.arrow"
    with pa.ipc.new_file(str(path), pa.schema([("x", pa.float64()), ("i", pa.int32())])) as w:
        w.write_table(pa.table({"x": x, "i": i}))
    df = sf.open(path)
    mapped = df.x.values  # a read-only view of the mapped file
    df["y"] = df.x + 1
    table = pa.table(df)
    chunk = table.column("x").chunks[0]
    assert chunk.buffers()[1].address + chunk.offset * 8 == mapped.ctypes.data
    computed = table.column("y").chunks[0]
    assert computed.buffers()[1].address != mapped.ctypes.data
    np.testing.assert_array_equal(computed.to_numpy(), x + 1)
    # The arrays keep the mapping alive after the frame is gone.
    del df, mapped
    gc.collect()
    np.testing.assert_array_equal(table.column("x").to_numpy(), x)


def test_polars_reads_a_frame(file_storage, rng):
    pl = pytest.importorskip("polars")
    data = every_dtype(rng)
    df, ref = file_storage.frame(data, valid=nulls(rng, data))
    df["r"] = df.float32 * 2
    out = pl.DataFrame(df)
    assert out.columns == NAMES + ["r"]
    assert out.height == len(ref)
    for name in NAMES:
        col = out[name]
        np.testing.assert_array_equal(col.is_null().to_numpy(), ~ref.present(name))
        present = ref.present(name)
        assert_values(col.to_numpy()[present] if name != "bool" else col.to_numpy()[present].astype(bool),
                      ref[name][present])
    present = ref.present("float32")
    assert_values(out["r"].to_numpy()[present], (ref["float32"] * 2)[present])
    via_arrow = pl.from_arrow(pa.table(df))
    assert via_arrow.equals(out)


def test_duckdb_reads_a_frame(file_storage, rng):
    duckdb = pytest.importorskip("duckdb")
    data = every_dtype(rng)
    df, ref = file_storage.frame(data, valid=nulls(rng, data))
    reader = pa.RecordBatchReader.from_stream(df)  # noqa: F841 (read by duckdb by name)
    got = duckdb.sql("select sum(int32), count(int32), sum(float64), min(uint16), count(*) from reader").fetchall()[0]
    present = ref.present("int32")
    assert got[0] == ref["int32"][present].astype(np.int64).sum()
    assert got[1] == present.sum()
    np.testing.assert_allclose(got[2], ref["float64"].sum(), rtol=1e-9)
    assert got[3] == ref["uint16"][ref.present("uint16")].min()
    assert got[4] == len(ref)
    sub = df[df.int8 > 0]  # noqa: F841
    direct = duckdb.sql("select count(*), sum(int64::hugeint) from sub").fetchall()[0]
    keep = (ref["int8"] > 0) & ref.present("int8")
    assert direct[0] == keep.sum()
    assert direct[1] == int(ref["int64"][keep & ref.present("int64")].astype(object).sum())


def test_numpy_and_pandas_exports(file_storage, rng):
    data = every_dtype(rng)
    df, ref = file_storage.frame(data, valid=nulls(rng, data))
    items = df.to_items()
    assert [name for name, _ in items] == NAMES
    for name, values in items:
        present = ref.present(name)
        assert values.dtype == np.dtype(name)
        if present.all():
            assert not isinstance(values, np.ma.MaskedArray)
            assert_values(values, ref[name])
        else:
            np.testing.assert_array_equal(values.mask, ~present)
            assert_values(values.data[present], ref[name][present])
    d = df.to_dict()
    assert list(d) == NAMES
    assert_values(d["float64"], ref["float64"])
    # pandas as pyarrow's to_pandas makes it from the same data.
    expected = pa.table({name: expected_array(ref, name) for name in NAMES}).to_pandas()
    pd.testing.assert_frame_equal(df.to_pandas_df(), expected)
    two = df[["int32", "float64"]].to_numpy()
    assert two.shape == (len(ref), 2)


def test_to_items_is_zero_copy_for_one_batch(tmp_path, rng):
    x = rng.standard_normal(5000)
    path = tmp_path / "one.arrow"
    with pa.ipc.new_file(str(path), pa.schema([("x", pa.float64())])) as w:
        w.write_table(pa.table({"x": x}))
    df = sf.open(path)
    (name, values), = df.to_items()
    assert values.ctypes.data == df.x.values.ctypes.data
    assert not values.flags.writeable
    del df
    gc.collect()
    np.testing.assert_array_equal(values, x)


# Import --------------------------------------------------------------------------------

def test_from_arrow_every_dtype_with_nulls_and_batches(rng):
    data = every_dtype(rng, 30_000)
    valid = nulls(rng, data)
    arrays = {name: pa.array(v, mask=None if name not in valid else ~valid[name]) for name, v in data.items()}
    table = pa.table(arrays)
    table = pa.Table.from_batches(table.to_batches(max_chunksize=7_000))
    assert table.column(0).num_chunks == 5
    df = sf.from_arrow_table(table)
    assert df.column_names == NAMES
    assert len(df) == 30_000
    for name in NAMES:
        present = valid.get(name, np.ones(30_000, bool))
        values = df.evaluate(name)
        if present.all():
            assert_values(values, data[name])
        else:
            np.testing.assert_array_equal(values.mask, ~present)
            assert_values(values.data[present], data[name][present])
        assert df.count(name) == present.sum()
    keep = valid["int32"] & (data["int32"] > 0)
    assert_values(df[df.int32 > 0].sum("float64"), data["float64"][keep].sum())
    # And back out: a round trip keeps every value and null.
    again = pa.table(df)
    for name in NAMES:
        assert again.column(name).combine_chunks().equals(table.column(name).combine_chunks())


def test_from_arrow_sliced_arrays_and_record_batch_reader(rng):
    x = rng.standard_normal(1000)
    b = rng.random(1000) < 0.3
    mask = rng.random(1000) < 0.1
    table = pa.table({"x": pa.array(x, mask=mask), "b": pa.array(b)}).slice(13, 500)
    df = sf.from_arrow(table)
    got = df.evaluate("x")
    np.testing.assert_array_equal(got.mask, mask[13:513])
    assert_values(got.data[~mask[13:513]], x[13:513][~mask[13:513]])
    np.testing.assert_array_equal(df.evaluate("b"), b[13:513])
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=100))
    df2 = sf.from_arrow(reader)
    assert df2.sum("x") == pytest.approx(x[13:513][~mask[13:513]].sum(), rel=1e-12)


def test_from_arrow_is_zero_copy(rng):
    x = rng.standard_normal(10_000)
    i = rng.integers(-5, 5, 10_000).astype(np.int16)
    table = pa.table({"x": x, "i": i})
    df = sf.from_arrow(table)
    address = table.column("x").chunks[0].buffers()[1].address
    assert df.x.values.ctypes.data == address == x.ctypes.data
    assert df.i.values.ctypes.data == table.column("i").chunks[0].buffers()[1].address
    before = interchange.live_imports()
    del table, x
    gc.collect()
    # The frame holds the arrays: its values are intact.
    assert df.sum("i") == i.astype(np.int64).sum()
    assert interchange.live_imports() == before
    del df
    gc.collect()
    assert interchange.live_imports() == before - 1


def test_unsupported_columns_are_listed(rng):
    table = pa.table({"x": pa.array([1.0, 2.0, 3.0]), "l": pa.array([[1], [2, 3], []]),
                      "h": pa.array(np.array([1, 2, 3], np.float16))})
    df = sf.from_arrow(table)
    assert df.sum("x") == 6.0
    assert df.column_names == ["x"]
    with pytest.raises(TypeError, match="'l' has Arrow type \\+l"):
        df.sum("l")
    with pytest.raises(TypeError, match="'h' has Arrow type e"):
        df.sum("h")


def test_from_polars_duckdb_and_pandas(rng):
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    n = 20_000
    x = rng.standard_normal(n)
    k = rng.integers(0, 10, n).astype(np.int64)
    pdf = pl.DataFrame({"x": x, "k": k, "u": k.astype(np.uint8), "f": x.astype(np.float32)})
    df = sf.from_arrow(pdf)
    assert df.column_names == ["x", "k", "u", "f"]
    assert_values(df.evaluate("x"), x)
    assert df.sum("k") == k.sum()
    rel = duckdb.sql("select x, k from pdf where k > 4 order by k, x")
    got = sf.from_arrow(rel.to_arrow_table())
    order = np.lexsort((x[k > 4], k[k > 4]))
    assert_values(got.evaluate("x"), x[k > 4][order])
    assert_values(got.evaluate("k"), k[k > 4][order])
    via_relation = sf.from_arrow(rel)
    assert len(via_relation) == (k > 4).sum()
    # pandas: numpy columns and nullable dtypes (missing values kept).
    frame = pd.DataFrame({"x": x, "k": k,
                          "n": pd.array(np.where(k > 7, None, k), dtype="Int32"),
                          "flag": pd.array(np.where(k == 0, None, k > 5), dtype="boolean")})
    sdf = sf.from_pandas(frame)
    assert sdf.x.values.ctypes.data == x.ctypes.data or np.array_equal(sdf.x.values, x)
    n_values = sdf.evaluate("n")
    np.testing.assert_array_equal(n_values.mask, k > 7)
    assert_values(n_values.data[k <= 7], k[k <= 7].astype(np.int32))
    assert sdf.count("flag") == (k != 0).sum()
    expected = pa.Table.from_pandas(frame, preserve_index=False).to_pandas(ignore_metadata=True)
    pd.testing.assert_frame_equal(sdf.to_pandas_df(), expected)


# Release and errors ------------------------------------------------------------------------

def test_streams_are_released(tmp_path, rng):
    data = every_dtype(rng, 70_000)
    df = sf.from_arrays(**data)
    df["r"] = df.float64 + 1
    base = live()
    for _ in range(50):
        capsule = df.__arrow_c_stream__()  # never consumed
        del capsule
    assert live() == base
    for _ in range(20):
        t = pa.table(df)
        assert t.num_rows == 70_000
        assert live() > base  # the table holds exported arrays
        del t
    assert live() == base
    # A stream dropped half way (one batch read) releases everything too.
    reader = pa.RecordBatchReader.from_stream(_Stream(interchange.export_stream(df, max_rows=1000)))
    batch = reader.read_next_batch()
    del reader
    assert live() > base
    del batch
    assert live() == base
    # Zero-copy arrays of a file keep it mapped until pyarrow drops them.
    path = tmp_path / "r.arrow"
    with pa.ipc.new_file(str(path), pa.schema([("x", pa.float64())])) as w:
        w.write_table(pa.table({"x": data["float64"]}))
    f = sf.open(path)
    for _ in range(20):
        assert pa.table(f).column("x").to_numpy()[7] == data["float64"][7]
    assert live() == base


def test_changed_file_is_an_error_during_get_next(tmp_path, rng):
    x = rng.standard_normal(5000)
    path = tmp_path / "c.arrow"
    for values in (x, x + 1):
        tmp = tmp_path / "tmp.arrow"
        with pa.ipc.new_file(str(tmp), pa.schema([("x", pa.float64())])) as w:
            for lo in range(0, 5000, 1000):
                w.write_table(pa.table({"x": values[lo:lo + 1000]}))
        if values is x:
            os.replace(tmp, path)
            df = sf.open(path)
            reader = pa.RecordBatchReader.from_stream(df)
            first = reader.read_next_batch()
        else:
            os.replace(tmp, path)
    with pytest.raises(OSError, match="changed after it was opened"):
        reader.read_next_batch()
    np.testing.assert_array_equal(first.column(0).to_numpy(), x[:1000])


def test_export_errors():
    df = sf.from_arrays(x=np.arange(10.0))
    with pytest.raises(NameError):
        interchange.export_stream(df, [("y", "nope + 1")])
    with pytest.raises(ValueError, match="duplicate"):
        interchange.export_stream(df, [("a", "x"), ("a", "x + 1")])
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        sf.from_arrow([1, 2, 3])


class _HandStream:
    """An ArrowArrayStream written in Python: hands out a schema and batches exported by
    pyarrow, after `damage` mutates the batch, or fails in get_next."""

    def __init__(self, batch, damage=None, fail=None):
        self.batch, self.damage, self.fail = batch, damage, fail
        self.sent = False
        self.released = 0
        S = interchange.ArrowArrayStream
        self.callbacks = (S._fields_[0][1](self.get_schema), S._fields_[1][1](self.get_next),
                          S._fields_[2][1](self.get_last_error), S._fields_[3][1](self.release))
        self.address = interchange._new_struct(S)
        s = S.from_address(self.address)
        s.get_schema, s.get_next, s.get_last_error, s.release = self.callbacks
        self.message = ctypes.create_string_buffer(b"boom: the producer failed")

    def get_schema(self, _, out):
        self.batch.schema._export_to_c(out)
        return 0

    def get_next(self, _, out):
        if self.fail:
            return self.fail
        if self.sent:
            ctypes.memset(out, 0, ctypes.sizeof(interchange.ArrowArray))
            return 0
        self.sent = True
        self.batch._export_to_c(out)
        if self.damage:
            self.damage(interchange.ArrowArray.from_address(out))
        return 0

    def get_last_error(self, _):
        return ctypes.addressof(self.message)

    def release(self, address):
        self.released += 1
        interchange.ArrowArrayStream.from_address(address).release = type(self.callbacks[3])()

    def capsule(self):
        return interchange._capsule_new(self.address, interchange._STREAM_NAME, interchange._destroy_stream_capsule)


def _child(array, i=0):
    return array.children[i].contents


DAMAGES = {
    "negative length": (lambda a: setattr(a, "length", -3), "length"),
    "batch longer than its children": (lambda a: setattr(a, "length", a.length + 1), "rows"),
    "buffer count": (lambda a: setattr(_child(a), "n_buffers", 3), "buffers"),
    "null count": (lambda a: setattr(_child(a), "null_count", 5), "null_count"),
    "null count beyond length": (lambda a: setattr(_child(a), "null_count", 10_000), "null_count"),
    "negative offset": (lambda a: setattr(_child(a), "offset", -1), "offset"),
    "missing values buffer": (lambda a: _child(a).buffers.__setitem__(1, None), "values buffer"),
    "missing bitmap": (lambda a: _child(a, 1).buffers.__setitem__(0, None), "no validity"),
    "huge offset": (lambda a: setattr(_child(a), "offset", 2**62), "address space"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_malformed_imports_raise(damage, rng):
    mutate, message = DAMAGES[damage]
    x = rng.standard_normal(100)
    batch = pa.record_batch({"x": pa.array(x), "i": pa.array(np.arange(100), mask=np.arange(100) % 7 == 0)})
    hand = _HandStream(batch, mutate)
    imports = interchange.live_imports()
    with pytest.raises(ValueError, match=message):
        sf.from_arrow(hand.capsule())
    gc.collect()
    assert hand.released == 1  # the engine took the stream and released it
    assert interchange.live_imports() == imports  # and the damaged batch


def test_stream_errors_and_released_streams_raise(rng):
    batch = pa.record_batch({"x": pa.array(rng.standard_normal(10))})
    hand = _HandStream(batch, fail=5)
    with pytest.raises(OSError, match="boom: the producer failed"):
        sf.from_arrow(hand.capsule())
    assert hand.released == 1
    ok = _HandStream(batch)
    capsule = ok.capsule()
    assert sf.from_arrow(capsule).sum("x") == pytest.approx(batch.column(0).to_numpy().sum())
    with pytest.raises(ValueError, match="already released"):
        sf.from_arrow(capsule)  # its stream was moved into the first frame
    not_a_table = pa.record_batch({"x": pa.array([1.0])})
    flat = _HandStream(not_a_table)
    flat.get_schema = lambda _, out: (pa.float64()._export_to_c(out), 0)[1]
    S = interchange.ArrowArrayStream
    flat.callbacks = (S._fields_[0][1](flat.get_schema),) + flat.callbacks[1:]
    S.from_address(flat.address).get_schema = flat.callbacks[0]
    with pytest.raises(ValueError, match=r"\+s"):
        sf.from_arrow(flat.capsule())


# C consumers -----------------------------------------------------------------------------

C_CONSUMER = r"""
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "swiftframe.h"

static int bit(const void* bitmap, int64_t i) { return (((const uint8_t*)bitmap)[i >> 3] >> (i & 7)) & 1; }

int main(int argc, char** argv) {
  (void)argc;
  sf_frame* frame = NULL;
  if (sf_frame_open(argv[1], &frame) != SF_OK) { printf("open: %s\n", sf_last_error()); return 1; }
  struct ArrowArrayStream stream;
  if (sf_frame_export_arrow(frame, 0, NULL, NULL, 1000, 0, &stream) != SF_OK) { printf("export: %s\n", sf_last_error()); return 1; }
  struct ArrowSchema schema;
  if (stream.get_schema(&stream, &schema) != 0) return 2;
  printf("schema %s %lld %s:%s %s:%s\n", schema.format, (long long)schema.n_children, schema.children[0]->name,
         schema.children[0]->format, schema.children[1]->name, schema.children[1]->format);
  schema.release(&schema);
  long long sum = 0, trues = 0, rows = 0, batches = 0;
  for (;;) {
    struct ArrowArray batch;
    if (stream.get_next(&stream, &batch) != 0) { printf("get_next: %s\n", stream.get_last_error(&stream)); return 3; }
    if (batch.release == NULL) break;
    batches++;
    rows += batch.length;
    struct ArrowArray* i = batch.children[0];
    const int64_t* values = (const int64_t*)i->buffers[1];
    for (int64_t r = 0; r < i->length; r++)
      if (i->null_count == 0 || bit(i->buffers[0], i->offset + r)) sum += values[i->offset + r];
    /* Move the bool child out, release the batch, then the moved child. */
    struct ArrowArray moved;
    memcpy(&moved, batch.children[1], sizeof moved);
    batch.children[1]->release = NULL;
    batch.release(&batch);
    if (batch.release != NULL) return 4;
    for (int64_t r = 0; r < moved.length; r++) trues += bit(moved.buffers[1], moved.offset + r);
    moved.release(&moved);
  }
  stream.release(&stream);
  printf("rows %lld batches %lld sum %lld trues %lld live %lld\n", rows, batches, sum, trues,
         (long long)sf_arrow_live_exports());
  /* Round trip: a stream of the frame back in as a new frame. */
  struct ArrowArrayStream again;
  if (sf_frame_export_arrow(frame, 0, NULL, NULL, 0, 0, &again) != SF_OK) return 5;
  sf_frame* copy = NULL;
  if (sf_frame_from_arrow_stream(&again, &copy) != SF_OK) { printf("import: %s\n", sf_last_error()); return 6; }
  if (again.release != NULL) return 7;
  int32_t kind = SF_AGG_SUM;
  const char* expr = "i";
  sf_scalar result;
  if (sf_frame_aggregate(copy, 1, &kind, &expr, NULL, NULL, NULL, NULL, &result) != SF_OK) return 8;
  printf("imported sum %lld imports %lld\n", (long long)(int64_t)result.bits, (long long)sf_arrow_live_imports());
  sf_frame_release(copy);
  sf_frame_release(frame);
  printf("after %lld %lld\n", (long long)sf_arrow_live_exports(), (long long)sf_arrow_live_imports());
  if (sf_frame_from_arrow_stream(NULL, &copy) != SF_ERR_ARGUMENT) return 9;
  return 0;
}
"""


def test_c_program_consumes_and_imports_a_stream(tmp_path, rng):
    import shutil
    import subprocess
    from conftest import Storage  # noqa: F401
    from test_c import compile_c  # the same compiler flags and library as the C tests
    n = 25_000
    i = rng.integers(-1000, 1000, n)
    valid = rng.random(n) > 0.1
    b = rng.random(n) < 0.4
    path = tmp_path / "c.arrow"
    table = pa.table({"i": pa.array(i, mask=~valid), "b": pa.array(b)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=10_000):
            w.write_batch(batch)
    source = tmp_path / "consumer.c"
    source.write_text(C_CONSUMER)
    assert shutil.which("cc")
    program = compile_c(source, tmp_path / "consumer")
    result = subprocess.run([str(program), str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "schema +s 2 i:l b:b"
    # Record batches of 10000 rows cut at 1000: 10 + 10 + 5 batches.
    assert lines[1] == f"rows {n} batches 25 sum {i[valid].sum()} trues {b.sum()} live 0"
    assert lines[2] == f"imported sum {i[valid].sum()} imports 3"  # one per record batch
    assert lines[3] == "after 0 0"


def test_misaligned_buffers_are_copied_aligned(rng):
    values = rng.standard_normal(100)
    valid = rng.random(100) > 0.2
    raw = np.zeros(8 * 100 + 1, np.uint8)
    raw[1:] = values.view(np.uint8)
    data = pa.py_buffer(raw)[1:]
    assert data.address % 8 == 1
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.Array.from_buffers(pa.float64(), 100, [bitmap, data], null_count=int((~valid).sum()))
    table = pa.table({"x": array}).slice(3)
    df = sf.from_arrow(table)
    got = df.evaluate("x")
    np.testing.assert_array_equal(got.mask, ~valid[3:])
    np.testing.assert_array_equal(got.data[valid[3:]], values[3:][valid[3:]])
    assert df.sum("x") == pytest.approx(values[3:][valid[3:]].sum(), rel=1e-12)


# Temporal and string columns -----------------------------------------------------------------

def temporal_and_strings(rng, n):
    present = lambda: rng.random(n) > 0.15  # noqa: E731
    days = rng.integers(-20_000, 20_000, n).astype(np.int32)
    micros = rng.integers(-2**50, 2**50, n)
    words = np.array(["", "a", "zürich", "naïve café", "x" * 40, "日本"], dtype=object)
    strings = words[rng.integers(0, len(words), n)]
    return pa.table({
        "k": pa.array(rng.integers(-5, 5, n)),
        "d": pa.array(days.astype("datetime64[D]"), mask=~present()),
        "t": pa.array(micros.astype("datetime64[us]"), type=pa.timestamp("us", tz="Europe/Paris"), mask=~present()),
        "tn": pa.array(micros.astype("datetime64[ns]"), mask=~present()),
        "dur": pa.array(micros.astype("timedelta64[ms]"), mask=~present()),
        "s": pa.array(strings, type=pa.string(), mask=~present()),
        "ls": pa.array(strings, type=pa.large_string(), mask=~present()),
        "cat": pa.array(strings, mask=~present()).dictionary_encode(),
    })


def write_batches(path, table, size):
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=size):
            w.write_batch(batch)
    return path


def test_temporal_and_string_columns_export(tmp_path, rng):
    table = temporal_and_strings(rng, 30_000)
    df = sf.open(write_batches(tmp_path / "t.arrow", table, 7_000))
    base = live()
    out = pa.table(df)
    for name in ["k", "d", "t", "tn", "dur", "s", "ls"]:
        assert out.schema.field(name).type == table.schema.field(name).type, name
        assert out.column(name).combine_chunks().equals(table.column(name).combine_chunks()), name
    # The categorical comes out as it is stored: indices into its strings, in place.
    assert out.schema.field("cat").type == table.schema.field("cat").type
    assert out.column("cat").cast(pa.string()).equals(table.column("cat").cast(pa.string()))
    np.testing.assert_array_equal(dict(df.to_items())["cat"],
                                  table.column("cat").cast(pa.string()).to_numpy(zero_copy_only=False))
    pl = pytest.importorskip("polars")
    assert pl.DataFrame(df[["cat"]])["cat"].dtype == pl.Categorical
    # Filtered: strings are evaluated (large_utf8), the rest as stored.
    keep = table.column("k").to_numpy() > 0
    sub = pa.table(df[df.k > 0])
    want = table.filter(pa.array(keep))
    for name in ["d", "t", "tn", "dur"]:
        assert sub.column(name).combine_chunks().equals(want.column(name).combine_chunks()), name
    for name in ["s", "ls", "cat"]:
        assert sub.column(name).combine_chunks().equals(want.column(name).combine_chunks().cast(pa.large_string())), name
    # numpy and pandas through the stream.
    items = dict(df[df.k > 0].to_items())
    np.testing.assert_array_equal(items["s"], want.column("s").to_numpy(zero_copy_only=False))
    d = items["d"]
    present = want.column("d").is_valid().to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(d.mask, ~present)
    np.testing.assert_array_equal(d.data[present], want.column("d").to_numpy(zero_copy_only=False)[present])
    assert items["dur"].dtype == np.dtype("timedelta64[ms]")
    del out, sub, items, d
    assert live() == base  # strings and dictionaries (arrays and schemas) released too
    got = df[["d", "tn", "dur", "s"]].to_pandas_df()
    expected = table.select(["d", "tn", "dur", "s"]).to_pandas(date_as_object=False)
    assert got["d"].dtype.kind == "M" and got["dur"].dtype == expected["dur"].dtype
    pd.testing.assert_frame_equal(got.astype({"d": "datetime64[ns]"}), expected.astype({"d": "datetime64[ns]"}))


def test_temporal_and_string_columns_import(rng):
    table = temporal_and_strings(rng, 20_000).drop_columns(["cat"])
    table = pa.Table.from_batches(table.to_batches(max_chunksize=6_000)).slice(5)
    df = sf.from_arrow(table)
    assert df.column_names == table.column_names
    for name in ["s", "ls"]:
        np.testing.assert_array_equal(df.evaluate(name), table.column(name).to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(df.evaluate("dur").filled(np.timedelta64(0, "ms")),
                                  table.column("dur").fill_null(0).to_numpy())
    back = pa.table(df)
    for name in table.column_names:
        assert back.schema.field(name).type == table.schema.field(name).type, name
        assert back.column(name).combine_chunks().equals(table.column(name).combine_chunks()), name


@pytest.mark.parametrize("damage", ["decreasing", "negative", "no offsets"])
def test_malformed_string_imports_raise(damage, rng):
    strings = pa.array(["ab", "cde", None, "f"] * 10)
    batch = pa.record_batch({"s": strings})

    def mutate(a):
        child = _child(a)
        offsets = ctypes.cast(child.buffers[1], ctypes.POINTER(ctypes.c_int32))
        if damage == "decreasing":
            offsets[3] = 1
        elif damage == "negative":
            offsets[0] = -4
        else:
            child.buffers[1] = None

    hand = _HandStream(batch, mutate)
    with pytest.raises(ValueError, match="offset"):
        sf.from_arrow(hand.capsule())
    assert hand.released == 1


def test_categoricals_import(rng):
    words = np.array(["red", "green", "blue", "ünïcode", ""], dtype=object)
    codes = rng.integers(0, len(words), 10_000)
    present = rng.random(10_000) > 0.1
    cat = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int16), mask=~present), pa.array(words))
    table = pa.table({"c": cat, "x": rng.standard_normal(10_000)})
    table = pa.Table.from_batches(table.to_batches(max_chunksize=3_000)).slice(7)
    df = sf.from_arrow(table)
    assert df.column_names == ["c", "x"]
    np.testing.assert_array_equal(df.evaluate("c"), table.column("c").cast(pa.string()).to_numpy(zero_copy_only=False))
    assert df.count("c") == present[7:].sum()
    out = pa.table(df)  # in place, still dictionary-encoded
    assert out.schema.field("c").type == table.schema.field("c").type
    assert out.column("c").cast(pa.string()).equals(table.column("c").cast(pa.string()))
    filtered = pa.table(df[df.x > 0])  # evaluated: decoded strings
    keep = table.column("x").to_numpy() > 0
    assert filtered.column("c").combine_chunks().equals(
        table.column("c").cast(pa.large_string()).combine_chunks().filter(pa.array(keep)))
    # pandas categoricals and polars categoricals come in the same way.
    pdf = pd.DataFrame({"k": pd.Categorical(words[codes]), "v": codes})
    sdf = sf.from_pandas(pdf)
    np.testing.assert_array_equal(sdf.evaluate("k"), words[codes])
    pl = pytest.importorskip("polars")
    pldf = pl.DataFrame({"k": words[codes].tolist()}, schema={"k": pl.Categorical})
    # polars hands out string views ("vu"): copied into large_utf8 on the way in.
    np.testing.assert_array_equal(sf.from_arrow(pldf).evaluate("k"), words[codes])
    old = pldf.to_arrow(compat_level=pl.CompatLevel.oldest())
    np.testing.assert_array_equal(sf.from_arrow(old).evaluate("k"), words[codes])


def test_categorical_index_out_of_range_raises():
    cat = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, 0], type=pa.int8()), pa.array(["a", "b"]))
    batch = pa.record_batch({"c": cat})

    def mutate(a):
        ctypes.cast(_child(a).buffers[1], ctypes.POINTER(ctypes.c_int8))[2] = 7

    hand = _HandStream(batch, mutate)
    with pytest.raises(ValueError, match="dictionary indices outside its 2 values"):
        sf.from_arrow(hand.capsule())


def test_string_views_from_polars_and_pyarrow(rng):
    pl = pytest.importorskip("polars")
    words = np.array(["", "short", "exactly12byt", "thirteen byte", "a much longer string than twelve", "ü" * 9],
                     dtype=object)
    values = words[rng.integers(0, len(words), 5_000)]
    present = rng.random(5_000) > 0.2
    strings = np.where(present, values, None)
    df = sf.from_arrow(pl.DataFrame({"s": strings.tolist(), "i": np.arange(5_000)}))
    np.testing.assert_array_equal(df.evaluate("s"), strings)
    assert df.count("s") == present.sum()
    view = pa.array(strings.tolist(), type=pa.string_view()).slice(11)
    got = sf.from_arrow(pa.table({"v": view}))
    np.testing.assert_array_equal(got.evaluate("v"), strings[11:])
    assert pa.table(got).column("v").combine_chunks().equals(view.cast(pa.large_string()))


def test_malformed_string_views_raise():
    batch = pa.record_batch({"v": pa.array(["a long string, more than 12", "b"], type=pa.string_view())})

    def mutate(a):
        view = ctypes.cast(_child(a).buffers[1], ctypes.POINTER(ctypes.c_int32))
        view[3] = 1000  # the offset into the data buffer

    hand = _HandStream(batch, mutate)
    with pytest.raises(ValueError, match="outside its data buffers"):
        sf.from_arrow(hand.capsule())


def mapped_path(address):
    """The file mapped at `address` in this process, or None."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            lo, hi = (int(v, 16) for v in parts[0].split("-"))
            if lo <= address < hi:
                return parts[5].strip() if len(parts) == 6 else None
    return None


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs /proc/self/maps")
def test_zero_copy_export_of_a_row_range(tmp_path, rng):
    x = rng.standard_normal(10_000)
    b = rng.random(10_000) < 0.5
    path = write_batches(tmp_path / "range.arrow", pa.table({"x": x, "b": b}), 4_000)
    df = sf.open(path)
    part = df[3_000:9_500]
    table = pa.table(part)
    assert [c.offset for c in table.column("x").chunks] == [3_000, 0, 0]
    # Every chunk points into the file's mapping (Linux: /proc/self/maps), none was copied.
    for chunk in table.column("x").chunks + table.column("b").chunks:
        assert mapped_path(chunk.buffers()[1].address) == str(path)
    assert mapped_path(pa.table(part[part.x > 0]).column("x").chunks[0].buffers()[1].address) != str(path)
    np.testing.assert_array_equal(table.column("x").to_numpy(), x[3_000:9_500])
    np.testing.assert_array_equal(table.column("b").to_numpy(), b[3_000:9_500])


# to_pandas_df: time zones and categoricals as pyarrow's to_pandas gives them --------------------

def test_to_pandas_keeps_time_zones_and_categoricals(tmp_path, rng):
    table = temporal_and_strings(rng, 30_000)
    table = table.append_column("t_s", pa.array(rng.integers(-2**31, 2**31, 30_000), pa.int64())
                                .cast(pa.timestamp("s", tz="America/New_York")))
    df = sf.open(write_batches(tmp_path / "t.arrow", table, 7_000))
    names = ["k", "t", "t_s", "tn", "cat"]
    got = df[names].to_pandas_df()
    expected = table.select(names).to_pandas()
    assert str(got["t"].dtype) == "datetime64[us, Europe/Paris]" == str(expected["t"].dtype)
    assert isinstance(got["cat"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(got, expected)
    # The Arrow table keeps the zones and the dictionary too.
    arrow = df[names].to_arrow_table()
    assert arrow.schema.field("t").type == pa.timestamp("us", tz="Europe/Paris")
    assert arrow.schema.field("t_s").type == pa.timestamp("s", tz="America/New_York")
    assert pa.types.is_dictionary(arrow.schema.field("cat").type)
    # Filtered: still zoned and categorical, over the same categories.
    keep = table.column("k").to_numpy() > 0
    sub = df[df.k > 0][names].to_pandas_df()
    want = table.select(names).filter(pa.array(keep)).to_pandas()
    pd.testing.assert_frame_equal(sub, want)
    assert list(sub["cat"].cat.categories) == list(expected["cat"].cat.categories)


def test_to_pandas_categoricals_with_different_dictionaries(tmp_path):
    """Batches with different dictionaries (two files): categories unified as pyarrow's
    to_pandas unifies them, first batch's first."""
    a = pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 2, 0], pa.int32()),
                                                      pa.array(["x", "y", "z"]))})
    b = pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([1, 0, 1, None], pa.int8()), pa.array(["w", "y"]))})
    b = b.cast(a.schema)
    paths = [write_batches(tmp_path / f"{k}.arrow", t, 10) for k, t in (("a", a), ("b", b))]
    df = sf.concat([sf.open(str(p)) for p in paths])
    got = df.to_pandas_df()
    expected = pa.concat_tables([a, b]).to_pandas()
    assert list(got["c"].cat.categories) == ["x", "y", "z", "w"]
    pd.testing.assert_frame_equal(got, expected)


def test_to_pandas_categorical_with_a_missing_dictionary_entry(tmp_path):
    """A missing dictionary entry (as vaex writes missing categoricals) is a missing value,
    not a category (pyarrow's to_pandas refuses such a dictionary)."""
    c = pa.DictionaryArray.from_arrays(pa.array([0, 2, 1, None, 2], pa.int32()), pa.array(["p", None, "q"]))
    df = sf.open(str(write_batches(tmp_path / "m.arrow", pa.table({"c": c}), 10)))
    got = df.to_pandas_df()["c"]
    want = pd.Series(pd.Categorical(["p", "q", None, None, "q"], categories=["p", "q"]), name="c")
    pd.testing.assert_series_equal(got, want, check_categorical=False)
    np.testing.assert_array_equal(got.cat.codes.to_numpy(), [0, 1, -1, -1, 1])


# __arrow_c_stream__(requested_schema) -------------------------------------------------------

def test_requested_schema_is_honoured_by_casting(tmp_path, rng):
    table = temporal_and_strings(rng, 20_000).select(["k", "tn", "s", "cat"])
    df = sf.open(write_batches(tmp_path / "t.arrow", table, 6_000))
    df["k2"] = df.k * 2
    base = live()
    target = pa.schema([("k", pa.float64()), ("tn", pa.timestamp("ns", tz="UTC")), ("s", pa.large_string()),
                        ("cat", pa.string()), ("k2", pa.int32())])
    got = pa.RecordBatchReader.from_stream(df, schema=target).read_all()
    assert got.schema == target
    expected = table.append_column("k2", pa.compute.multiply(table["k"], 2))
    for field in target:
        want = expected[field.name].cast(field.type)
        assert got[field.name].combine_chunks().equals(want.combine_chunks()), field.name
    # The frame's own schema asked for: the stream as it is (dictionary kept).
    own = pa.RecordBatchReader.from_stream(df).schema
    same = pa.RecordBatchReader.from_stream(df, schema=own).read_all()
    assert same.schema == own and pa.types.is_dictionary(same.schema.field("cat").type)
    # An expression's stream too, filtered.
    sub = pa.RecordBatchReader.from_stream(df[df.k > 0].k2, schema=pa.schema([("k2", pa.int16())])).read_all()
    keep = table["k"].to_numpy() > 0
    np.testing.assert_array_equal(sub["k2"].to_numpy(), (table["k"].to_numpy() * 2)[keep].astype(np.int16))
    # A value the cast would lose fails when read, as pyarrow's safe casts do.
    with pytest.raises(pa.ArrowInvalid, match="lose data"):
        pa.RecordBatchReader.from_stream(df[["tn"]], schema=pa.schema([("tn", pa.timestamp("s"))])).read_all()
    del got, same, sub
    gc.collect()
    assert live() == base


def test_requested_schema_that_cannot_be_cast_is_a_type_error(rng):
    df = sf.from_arrays(a=np.arange(5), x=np.linspace(0, 1, 5))
    base = live()
    with pytest.raises(TypeError, match=r"requested schema .*field names.*a: int64, x: double"):
        pa.RecordBatchReader.from_stream(df, schema=pa.schema([("a", pa.float64())]))
    with pytest.raises(TypeError, match="requested schema"):
        pa.RecordBatchReader.from_stream(df, schema=pa.schema([("a", pa.list_(pa.int8())), ("x", pa.float64())]))
    gc.collect()
    assert live() == base
