"""Several files as one frame: sf.open(glob), sf.open([paths]) and sf.concat([frames])
against numpy on the concatenated arrays.

Four Arrow files written by pyarrow (different row counts, one empty, several record
batches each, one batch crossing the engine's chunk size, Arrow nulls and NaN) are
opened by glob and by list; every value, statistic, filter, virtual column, slice,
head and tail must equal numpy's on np.concatenate of the columns. Errors: schemas
that differ, a glob matching nothing, a missing or corrupt member file, derived
frames given to concat."""

import gc
import os
import pathlib
import shutil

import numpy as np
import pytest

import swiftframe as sf
from conftest import CHUNK_ROWS, assert_scalar, assert_values

pa = pytest.importorskip("pyarrow")

# Rows per file, in file-name order: the empty file sits between two others.
ROWS = [CHUNK_ROWS + 4_465, 0, 1_234, 2 * CHUNK_ROWS + 17]
NAMES = ["x", "f", "i", "k", "u", "b"]
DTYPES = {"x": np.float64, "f": np.float32, "i": np.int32, "k": np.int64, "u": np.uint16, "b": np.bool_}
STATS = ["count", "sum", "mean", "min", "max", "var"]


def _columns(rng, n):
    x = rng.standard_normal(n) * 100
    x[rng.random(n) < 0.03] = np.nan
    return {"x": x, "f": (rng.standard_normal(n) * 10).astype(np.float32),
            "i": rng.integers(-1000, 1000, n).astype(np.int32),
            "k": rng.integers(-2**40, 2**40, n).astype(np.int64),
            "u": rng.integers(0, 65535, n, endpoint=True).astype(np.uint16),
            "b": rng.random(n) < 0.4}


def _valid(rng, n):
    """Presence masks: x, i and b have about 10% nulls; f, k and u have none."""
    return {name: (rng.random(n) >= 0.1 if name in ("x", "i", "b") else np.ones(n, dtype=bool)) for name in NAMES}


def write_arrow(path, cols, valid=None, batches=3):
    """An Arrow IPC file of `cols` (nulls where `valid` is False) cut into `batches`
    uneven record batches (from three on, one of them empty)."""
    valid = valid or {}
    arrays = {name: pa.array(v, mask=(~valid[name] if name in valid else None)) for name, v in cols.items()}
    table = pa.table(arrays)
    n = len(table)
    cuts = [min(n, (n * j) // batches + 7) for j in range(1, batches)]
    if batches >= 3:
        cuts[1] = cuts[0]  # an empty batch
    cuts = [0] + cuts + [n]
    columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
    with pa.ipc.new_file(str(path), table.schema) as writer:
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            writer.write_batch(pa.RecordBatch.from_arrays([c.slice(lo, hi - lo) for c in columns], schema=table.schema))
    return str(path)


class Reference:
    def __init__(self, parts):
        self.values = {name: np.concatenate([p[0][name] for p in parts]).astype(DTYPES[name]) for name in NAMES}
        self.valid = {name: np.concatenate([p[1][name] for p in parts]).astype(bool) for name in NAMES}

    def __len__(self):
        return len(self.values["x"])

    def masked(self, name):
        return np.ma.MaskedArray(self.values[name], mask=~self.valid[name])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Four Arrow files part-0 … part-3 (written in reverse order, so only sorting gives
    the order) and the numpy reference of their concatenation."""
    folder = tmp_path_factory.mktemp("parts")
    rng = np.random.default_rng(2024)
    parts = [(_columns(rng, n), None) for n in ROWS]
    parts = [(cols, _valid(rng, len(cols["x"]))) for cols, _ in parts]
    paths = [None] * len(ROWS)
    for j in reversed(range(len(ROWS))):
        paths[j] = write_arrow(folder / f"part-{j}.arrow", parts[j][0], parts[j][1], batches=1 + j % 3 + 1)
    return folder, paths, Reference(parts)


def open_ways(folder, paths):
    """The same four files opened as a glob, a list, a list of pathlib paths and a list of globs."""
    return {
        "glob": sf.open(str(folder / "part-*.arrow")),
        "list": sf.open(paths),
        "pathlib": sf.open([pathlib.Path(p) for p in paths]),
        "globs": sf.open([str(folder / "part-[01].arrow"), str(folder / "part-[23].arrow")]),
    }


def stat_reference(stat, values, present):
    v = values[present]
    if v.dtype.kind == "f":
        v = v[~np.isnan(v)]
    if stat == "count":
        return np.int64(len(v))
    if stat == "sum":
        if v.dtype.kind == "f":
            return np.sum(v, dtype=np.float64)
        return np.sum(v, dtype=np.uint64 if v.dtype.kind == "u" else np.int64)
    if len(v) == 0:
        return np.float64("nan")
    if stat in ("min", "max"):
        return getattr(v, stat)()
    return getattr(np, stat)(v.astype(np.float64))


def check_stats(df, ref_values, ref_valid, what):
    for name in NAMES:
        for stat in STATS:
            expected = stat_reference(stat, ref_values[name], ref_valid[name])
            got = getattr(df, stat)(name)
            if stat in ("count", "sum", "min", "max") and expected.dtype.kind != "f":
                assert got == expected and np.asarray(got).dtype == expected.dtype, (what, name, stat, got, expected)
            else:
                assert_scalar(got, expected, rtol=1e-9)


def check_values(df, ref_values, ref_valid, names=NAMES):
    for name in names:
        got = df.evaluate(name)
        expected = np.ma.MaskedArray(ref_values[name], mask=~ref_valid[name])
        assert got.dtype == expected.dtype
        assert_values(np.ma.getmaskarray(got), np.ma.getmaskarray(expected))
        present = ref_valid[name]
        assert_values(np.ma.getdata(got)[present], ref_values[name][present])


# Opening several files --------------------------------------------------------------

def test_glob_and_list_give_the_concatenated_values(files):
    folder, paths, ref = files
    for way, df in open_ways(folder, paths).items():
        assert len(df) == len(ref) == sum(ROWS), way
        assert df.column_names == NAMES, way
        assert {n: df.dtypes[n] for n in NAMES} == {n: np.dtype(DTYPES[n]) for n in NAMES}, way
        check_values(df, ref.values, ref.valid)


def test_statistics(files):
    folder, paths, ref = files
    for way, df in open_ways(folder, paths).items():
        check_stats(df, ref.values, ref.valid, way)
        assert df.count() == len(ref)


def test_filters(files):
    folder, paths, ref = files
    x, i = ref.values["x"], ref.values["i"]
    with np.errstate(invalid="ignore"):
        keep = ref.valid["x"] & (x > 10) & ref.valid["i"] & (i % 3 != 0)
    for df in (sf.open(str(folder / "part-*.arrow")), sf.open(paths)):
        filtered = df[(df.x > 10) & (df.i % 3 != 0)]
        assert len(filtered) == keep.sum()
        check_values(filtered, {n: v[keep] for n, v in ref.values.items()},
                     {n: v[keep] for n, v in ref.valid.items()})
        check_stats(filtered, {n: v[keep] for n, v in ref.values.items()},
                    {n: v[keep] for n, v in ref.valid.items()}, "filtered")
        # A selection on the concatenated frame.
        assert df.count(selection="b") == np.sum(ref.valid["b"] & ref.values["b"])


def test_virtual_columns_and_expressions(files):
    folder, paths, ref = files
    df = sf.open(paths)
    df["r"] = df.x * 2 + df.i
    df["g"] = np.sqrt(np.abs(df.f)) - df.u
    r = ref.values["x"] * 2 + ref.values["i"]
    r_valid = ref.valid["x"] & ref.valid["i"]
    with np.errstate(invalid="ignore"):
        g = np.sqrt(np.abs(ref.values["f"])) - ref.values["u"]
    got = df.evaluate("r")
    assert_values(np.ma.getmaskarray(got), ~r_valid)
    assert_values(np.ma.getdata(got)[r_valid], r[r_valid])
    assert_values(df.evaluate("g"), g, rtol=1e-6)
    assert_scalar(df.mean("r"), np.nanmean(r[r_valid]))
    assert_scalar(df.sum("g"), np.sum(g, dtype=np.float64), rtol=1e-6)
    assert_scalar(df.max("x * k"), np.nanmax((ref.values["x"] * ref.values["k"])[ref.valid["x"]]))
    # A filter on a virtual column of the concatenated frame.
    with np.errstate(invalid="ignore"):
        keep = r_valid & (r > 0)
    assert len(df[df.r > 0]) == keep.sum()
    assert_scalar(df[df.r > 0].mean("f"), np.mean(ref.values["f"][keep].astype(np.float64)))


@pytest.mark.parametrize("lo,hi", [(0, 7), (ROWS[0] - 5, ROWS[0] + 9), (ROWS[0] + 1_230, ROWS[0] + 1_240),
                                   (CHUNK_ROWS - 3, CHUNK_ROWS + 3), (sum(ROWS) - 4, sum(ROWS))])
def test_slices_across_file_boundaries(files, lo, hi):
    folder, paths, ref = files
    df = sf.open(str(folder / "part-*.arrow"))
    part = df[lo:hi]
    assert len(part) == hi - lo
    check_values(part, {n: v[lo:hi] for n, v in ref.values.items()}, {n: v[lo:hi] for n, v in ref.valid.items()})
    # evaluate(name, i1, i2) on the whole frame gives the same rows.
    for name in NAMES:
        got = np.ma.MaskedArray(df.evaluate(name, lo, hi))
        assert_values(np.ma.getmaskarray(got), ~ref.valid[name][lo:hi])
        assert_values(got.filled(0), np.where(ref.valid[name][lo:hi], ref.values[name][lo:hi], 0).astype(DTYPES[name]))


def test_head_tail(files):
    folder, paths, ref = files
    df = sf.open(paths)
    for part, sl in ((df.head(7), slice(0, 7)), (df.tail(6), slice(len(ref) - 6, len(ref)))):
        assert len(part) == sl.stop - sl.start
        check_values(part, {n: v[sl] for n, v in ref.values.items()}, {n: v[sl] for n, v in ref.valid.items()})
    # pandas agrees on the tail of the concatenated frame.
    tail = df.tail(3).to_pandas_df()
    np.testing.assert_array_equal(tail["k"].to_numpy(), ref.values["k"][-3:])


def test_glob_order_is_sorted_and_duplicates_are_kept(files):
    """Glob matches are sorted by name; a file listed twice is read twice (as pandas.concat would)."""
    folder, paths, ref = files
    df = sf.open([paths[3], paths[0], paths[3]])
    k = np.concatenate([ref.values["k"][sum(ROWS[:3]):], ref.values["k"][:ROWS[0]], ref.values["k"][sum(ROWS[:3]):]])
    assert_values(df.evaluate("k"), k)
    assert df.sum("k") == np.sum(k)


def test_one_file_and_a_list_of_one(files):
    folder, paths, ref = files
    single = sf.open([paths[2]])
    lo, hi = sum(ROWS[:2]), sum(ROWS[:3])
    assert_values(single.evaluate("k"), ref.values["k"][lo:hi])
    empty = sf.open(paths[1])
    assert len(empty) == 0 and empty.column_names == NAMES
    assert np.isnan(empty.mean("x")) and empty.count("x") == 0


def test_a_name_with_glob_characters_is_taken_literally_when_it_exists(files, tmp_path):
    folder, paths, ref = files
    odd = tmp_path / "run[1]*?.arrow"
    shutil.copy(paths[0], odd)
    df = sf.open(str(odd))
    assert len(df) == ROWS[0]
    assert_values(df.evaluate("k"), ref.values["k"][:ROWS[0]])


# sf.concat ----------------------------------------------------------------------------

def _memory_part(rng, n):
    cols = _columns(rng, n)
    return cols, {name: np.ones(n, dtype=bool) for name in NAMES}


def test_concat_of_file_and_memory_frames(files):
    folder, paths, ref = files
    rng = np.random.default_rng(5)
    mem_cols, mem_valid = _memory_part(rng, 3_001)
    df1 = sf.open(paths[0])
    df2 = sf.from_arrays(**mem_cols)
    df3 = sf.open(paths[1:])
    df = sf.concat([df1, df2, df3])
    parts = [({n: ref.values[n][:ROWS[0]] for n in NAMES}, {n: ref.valid[n][:ROWS[0]] for n in NAMES}),
             (mem_cols, mem_valid),
             ({n: ref.values[n][ROWS[0]:] for n in NAMES}, {n: ref.valid[n][ROWS[0]:] for n in NAMES})]
    expected = Reference(parts)
    # The in-memory arrays must stay alive through the concatenated frame alone.
    del df2, mem_cols
    gc.collect()
    assert len(df) == len(expected)
    check_values(df, expected.values, expected.valid)
    check_stats(df, expected.values, expected.valid, "concat")
    df["w"] = df.k - df.u
    assert df.sum("w") == np.sum(expected.values["k"] - expected.values["u"].astype(np.int64))
    # The inputs are unchanged and still usable.
    assert len(df1) == ROWS[0] and "w" not in df1.column_names
    assert_values(df1.evaluate("k"), ref.values["k"][:ROWS[0]])


def test_concat_of_concatenated_frames_and_of_one_frame(files):
    folder, paths, ref = files
    a = sf.open(paths[:2])
    b = sf.concat([sf.open(paths[2]), sf.open(paths[3])])
    df = sf.concat([a, b])
    check_values(df, ref.values, ref.valid)
    one = sf.concat([sf.open(paths[0])])
    assert_values(one.evaluate("k"), ref.values["k"][:ROWS[0]])
    # The same frame twice.
    twice = sf.concat([a, a])
    assert twice.sum("k") == 2 * np.sum(ref.values["k"][:ROWS[0]])


def test_concat_of_in_memory_frames_only():
    x1, x2 = np.arange(5, dtype=np.int64), np.arange(10, 13, dtype=np.int64)
    y1, y2 = np.linspace(0, 1, 5), np.array([-1.5, 2.5, np.nan])
    df = sf.concat([sf.from_arrays(x=x1, y=y1), sf.from_arrays(x=x2, y=y2), sf.from_arrays(x=x1[:0], y=y1[:0])])
    assert_values(df.evaluate("x"), np.concatenate([x1, x2]))
    assert_values(df.evaluate("y"), np.concatenate([y1, y2]))
    assert_scalar(df.mean("y"), np.nanmean(np.concatenate([y1, y2])))
    assert df[df.x > 3].count() == 4


def test_concat_refuses_derived_frames(files):
    folder, paths, ref = files
    base = sf.open(paths[0])
    virtual = sf.open(paths[2])
    virtual["z"] = virtual.x + 1
    cases = {"filter": base[base.x > 0], "virtual columns": virtual, "row range": base[:10],
             "column selection": base[["x", "i", "f", "k", "u", "b"]]}
    for what, frame in cases.items():
        with pytest.raises(ValueError, match=what) as info:
            sf.concat([base, frame])
        assert "frame 2" in str(info.value)
    with pytest.raises(ValueError, match="empty"):
        sf.concat([])
    with pytest.raises(TypeError, match="DataFrame"):
        sf.concat([base, np.arange(3)])


# Errors --------------------------------------------------------------------------------

def _other(tmp_path, name, cols):
    return write_arrow(tmp_path / name, cols, batches=1)


@pytest.mark.parametrize("change,message", [
    ("rename", r"column 3 is 'j' where the first table has 'i'"),
    ("dtype", r"column 'i' is int64 where the first table has int32"),
    ("float", r"column 'x' is float32 where the first table has float64"),
    ("extra", r"extra column 'extra'"),
    ("missing", r"no column 'b'"),
    ("order", r"column 1 is 'f' where the first table has 'x'"),
])
def test_mismatched_schemas_are_refused(files, tmp_path, change, message):
    folder, paths, ref = files
    cols = _columns(np.random.default_rng(1), 10)
    if change == "rename":
        cols = {("j" if n == "i" else n): v for n, v in cols.items()}
    elif change == "dtype":
        cols["i"] = cols["i"].astype(np.int64)
    elif change == "float":
        cols["x"] = cols["x"].astype(np.float32)
    elif change == "extra":
        cols["extra"] = np.zeros(10)
    elif change == "missing":
        del cols["b"]
    elif change == "order":
        cols = {n: cols[n] for n in ["f", "x", "i", "k", "u", "b"]}
    other = _other(tmp_path, "other.arrow", cols)
    with pytest.raises(ValueError, match=message) as info:
        sf.open([paths[0], other])
    assert "other.arrow" in str(info.value)
    with pytest.raises(ValueError, match=message):
        sf.concat([sf.open(paths[0]), sf.open(other)])
    with pytest.raises(ValueError, match=message):
        sf.concat([sf.open(paths[0]), sf.from_arrays(**cols)])


def test_unsupported_columns_kept_only_when_common(tmp_path):
    """A column of a type the engine cannot compute with yet (here a list) stays known
    (a clear TypeError naming its type) when every file has it, and is dropped when one
    file lacks it (unknown name)."""
    listy = pa.array([[1, 2]] * 3, type=pa.list_(pa.int64()))
    a = tmp_path / "a.arrow"
    b = tmp_path / "b.arrow"
    c = tmp_path / "c.arrow"
    for path, table in ((a, pa.table({"x": [1.0, 2.0, 3.0], "l": listy})),
                        (b, pa.table({"x": [4.0, 5.0, 6.0], "l": listy})),
                        (c, pa.table({"x": [7.0, 8.0, 9.0]}))):
        with pa.ipc.new_file(str(path), table.schema) as w:
            w.write_table(table)
    both = sf.open([str(a), str(b)])
    assert both.sum("x") == 21.0
    with pytest.raises(TypeError, match="'l' has Arrow type list"):
        both.sum("l")
    dropped = sf.open([str(a), str(c)])
    assert dropped.column_names == ["x"]
    with pytest.raises(NameError, match="'l'"):
        dropped.sum("l")
    assert_values(dropped.evaluate("x"), np.array([1.0, 2.0, 3.0, 7.0, 8.0, 9.0]))


def test_glob_matching_nothing_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no files match"):
        sf.open(str(tmp_path / "nothing-*.arrow"))
    with pytest.raises(FileNotFoundError, match="nothing"):
        sf.open([str(tmp_path / "nothing-[0-9].arrow")])


def test_missing_member_is_file_not_found_naming_it(files, tmp_path):
    folder, paths, ref = files
    missing = str(tmp_path / "gone.arrow")
    with pytest.raises(FileNotFoundError, match="gone.arrow"):
        sf.open([paths[0], missing, paths[2]])


def test_empty_list_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        sf.open([])
    with pytest.raises(TypeError):
        sf.open([3])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bad-footer"])
def test_corrupt_member_is_value_error_naming_it(files, tmp_path, damage):
    folder, paths, ref = files
    bad = tmp_path / "part-9.arrow"
    data = bytearray(pathlib.Path(paths[2]).read_bytes())
    if damage == "garbage":
        data = bytearray(b"not an arrow file at all" * 4)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:  # the footer length points before the start of the file
        data[-10:-6] = (len(data) * 4).to_bytes(4, "little")
    bad.write_bytes(bytes(data))
    shutil.copy(paths[0], tmp_path / "part-0.arrow")
    with pytest.raises(ValueError, match="part-9.arrow"):
        sf.open([paths[0], str(bad), paths[3]])
    with pytest.raises(ValueError, match="part-9.arrow"):
        sf.open(str(tmp_path / "part-*.arrow"))


def test_a_member_replaced_after_open_is_reported_before_a_pass(files, tmp_path):
    """Each member file is re-checked before a pass, as a single file is."""
    folder, paths, ref = files
    copies = [tmp_path / f"c{j}.arrow" for j in range(2)]
    for src, dst in zip(paths[2:], copies):
        shutil.copy(src, dst)
    df = sf.open([str(c) for c in copies])
    assert df.sum("k") == np.sum(ref.values["k"][sum(ROWS[:2]):])
    data = copies[1].read_bytes()
    copies[1].write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="c1.arrow"):
        df.sum("k")
    os.remove(copies[1])


# The C functions behind them: bad arguments are statuses with a message, never a crash.

def test_c_functions_refuse_bad_arguments(files):
    import ctypes
    from swiftframe import _native
    folder, paths, ref = files
    lib = _native.lib
    out = ctypes.c_void_p()
    assert lib.sf_frame_open_many(0, None, ctypes.byref(out)) == 1 and b"empty" in lib.sf_last_error()
    assert lib.sf_frame_open_many(-1, None, ctypes.byref(out)) == 1
    assert lib.sf_frame_open_many(2, None, ctypes.byref(out)) == 1 and b"paths is NULL" in lib.sf_last_error()
    assert lib.sf_frame_open_many(2, _native.strings([paths[0], None]), ctypes.byref(out)) == 1
    assert b"paths[1] is NULL" in lib.sf_last_error()
    assert lib.sf_frame_open_many(1, _native.strings([paths[0]]), None) == 1
    assert lib.sf_frame_open_many(1, _native.strings([str(folder / "nope.arrow")]), ctypes.byref(out)) == 9
    assert out.value is None  # unchanged on error

    df = sf.open(paths[0])
    frames = (ctypes.c_void_p * 2)(df._handle.value, None)
    assert lib.sf_frame_concat(2, frames, ctypes.byref(out)) == 1 and b"frames[1] is NULL" in lib.sf_last_error()
    assert lib.sf_frame_concat(0, None, ctypes.byref(out)) == 1 and b"empty" in lib.sf_last_error()
    assert lib.sf_frame_concat(3, None, ctypes.byref(out)) == 1
    assert lib.sf_frame_concat(1, frames, None) == 1
    assert out.value is None
    # The caller still owns the frames it passed: releasing them leaves the result usable.
    a, b = sf.open(paths[0]), sf.open(paths[3])
    pair = (ctypes.c_void_p * 2)(a._handle.value, b._handle.value)
    assert lib.sf_frame_concat(2, pair, ctypes.byref(out)) == 0
    del a, b, pair
    gc.collect()
    joined = sf.DataFrame(out.value)
    k = np.concatenate([ref.values["k"][:ROWS[0]], ref.values["k"][sum(ROWS[:3]):]])
    assert joined.sum("k") == np.sum(k)


# Strings, categoricals, dates and timestamps ---------------------------------------------

def _typed_table(rng, n, words):
    present = rng.random(n) >= 0.1
    strings = [f"{words}{v}" if p else None for v, p in zip(rng.integers(0, 1000, n), present)]
    return pa.table({
        "s": pa.array(strings, type=pa.string()),
        # Each file has its own dictionary (different values, different order).
        "c": pa.array([f"{words}-{v}" for v in rng.integers(0, 7, n)], type=pa.string()).dictionary_encode(),
        "t": pa.array(rng.integers(0, 2**50, n), mask=rng.random(n) < 0.1, type=pa.int64())
               .cast(pa.timestamp("us", tz="UTC")),
        "d": pa.array(rng.integers(-10_000, 30_000, n).astype(np.int32), mask=rng.random(n) < 0.1).cast(pa.date32()),
    })


def test_strings_categoricals_and_temporal_columns_concatenate(tmp_path):
    """Each file's dictionary stays with its own batches: values read through their own file's dictionary."""
    rng = np.random.default_rng(31)
    tables = [_typed_table(rng, n, w) for n, w in ((70_000, "a"), (0, "b"), (5_003, "c"))]
    paths = []
    for j, t in enumerate(tables):
        path = str(tmp_path / f"typed-{j}.arrow")
        with pa.ipc.new_file(path, t.schema) as writer:
            for batch in t.to_batches(max_chunksize=30_000):
                writer.write_batch(batch)
        paths.append(path)
    whole = pa.concat_tables(tables)
    for df in (sf.open(str(tmp_path / "typed-*.arrow")), sf.concat([sf.open(p) for p in paths])):
        assert len(df) == whole.num_rows
        assert list(df.evaluate("s")) == whole.column("s").to_pylist()
        assert list(df.evaluate("c")) == whole.column("c").to_pylist()
        for name in ("t", "d"):
            expected = whole.column(name).cast(pa.int64() if name == "t" else pa.int32())
            got = df.evaluate(name)
            mask = np.ma.getmaskarray(got)
            assert_values(mask, ~np.asarray(expected.is_valid()))
            assert got.dtype == np.dtype("datetime64[us]" if name == "t" else "datetime64[D]")
            assert_values(np.ma.getdata(got)[~mask].astype(np.int64), expected.drop_null().to_numpy().astype(np.int64))
        assert df.count("s") == whole.num_rows - whole.column("s").null_count
        t_values = whole.column("t").cast(pa.int64()).drop_null().to_numpy()
        assert df.min("t").astype(np.int64) == t_values.min()
        assert df.max("t").astype(np.int64) == t_values.max()


@pytest.mark.parametrize("change,message", [
    ("timezone", "time zone"),
    ("categorical", "dictionary-encoded"),
    ("unit", r"column 't' is datetime64\[ns\] where the first table has datetime64\[us\]"),
])
def test_temporal_and_categorical_mismatches_are_refused(tmp_path, change, message):
    rng = np.random.default_rng(32)
    first = _typed_table(rng, 10, "a")
    other = _typed_table(rng, 10, "b")
    if change == "timezone":
        other = other.set_column(2, "t", other.column("t").cast(pa.timestamp("us", tz="Europe/Paris")))
    elif change == "categorical":
        other = other.set_column(1, "c", other.column("c").cast(pa.string()))
    else:
        other = other.set_column(2, "t", other.column("t").cast(pa.timestamp("ns", tz="UTC")))
    paths = []
    for j, t in enumerate((first, other)):
        path = str(tmp_path / f"m{j}.arrow")
        with pa.ipc.new_file(path, t.schema) as writer:
            writer.write_table(t)
        paths.append(path)
    with pytest.raises(ValueError, match=message) as info:
        sf.open(paths)
    assert "m1.arrow" in str(info.value)


# Frames with the same virtual columns, filter and column selection ---------------------------

def _derive(df, select=None):
    df["r"] = np.sqrt(df.x ** 2 + df.f ** 2)
    df["w"] = df.k - df.u
    out = df[df.i > 0]
    return out[select] if select else out


def test_concat_keeps_the_same_virtual_columns_and_filter(files):
    folder, paths, ref = files
    frames = [_derive(sf.open(paths[0])), _derive(sf.open(paths[1])), _derive(sf.open(paths[2:]))]
    df = sf.concat(frames)
    keep = ref.valid["i"] & (ref.values["i"] > 0)
    assert len(df) == keep.sum()
    assert df.column_names == NAMES + ["r", "w"]
    check_values(df, {n: v[keep] for n, v in ref.values.items()}, {n: v[keep] for n, v in ref.valid.items()})
    x, f = ref.values["x"][keep], ref.values["f"][keep].astype(np.float64)
    present = ref.valid["x"][keep]
    r = df.evaluate("r")
    np.testing.assert_array_equal(np.ma.getmaskarray(r), ~present)
    np.testing.assert_allclose(np.ma.getdata(r)[present], np.sqrt(x ** 2 + f ** 2)[present], rtol=1e-6)
    w = ref.values["k"][keep] - ref.values["u"][keep].astype(np.int64)
    assert df.sum("w") == np.sum(w)
    assert df.mean("r") == pytest.approx(np.nanmean(np.sqrt(x ** 2 + f ** 2)[present]), rel=1e-9)
    # The inputs keep their own state.
    assert len(frames[0]) == (ref.valid["i"][:ROWS[0]] & (ref.values["i"][:ROWS[0]] > 0)).sum()
    # The same column selection is kept as well.
    sel = sf.concat([_derive(sf.open(p), ["w", "x"]) for p in paths])
    assert sel.column_names == ["w", "x"]
    np.testing.assert_array_equal(sel.evaluate("w"), w)
    # Virtual columns alone, no filter.
    bare = [sf.open(p) for p in paths]
    for b in bare:
        b["z"] = b.k * 2
    assert_values(sf.concat(bare).evaluate("z"), ref.values["k"] * 2)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.__setitem__("r", d.x + 1), "virtual column 'r' is"),
    (lambda d: d.__setitem__("extra", d.x), r"frame 2 has virtual columns \('extra'\)"),
    (lambda d: None, "frame 2 has no virtual column 'r'"),
])
def test_concat_names_the_virtual_column_that_differs(files, change, message):
    folder, paths, ref = files
    a = sf.open(paths[0])
    a["r"] = a.x * 2
    b = sf.open(paths[2])
    if message != "frame 2 has no virtual column 'r'":
        b["r"] = b.x * 2
    change(b)
    with pytest.raises(ValueError, match=message):
        sf.concat([a, b])


def test_concat_names_filters_and_selections_that_differ(files):
    folder, paths, ref = files
    a, b = sf.open(paths[0]), sf.open(paths[2])
    with pytest.raises(ValueError, match=r"frame 2 has the filter '\(i > 1\)' and frame 1 the filter '\(i > 0\)'"):
        sf.concat([a[a.i > 0], b[b.i > 1]])
    with pytest.raises(ValueError, match="frame 2 has no filter"):
        sf.concat([a[a.i > 0], b])
    with pytest.raises(ValueError, match="frame 3 has a filter"):
        sf.concat([a, b, b[b.i > 0]])
    with pytest.raises(ValueError, match="column selection"):
        sf.concat([a[["x", "i"]], b[["i", "x"]]])
    with pytest.raises(ValueError, match=r"row range \(0\.\.<10\)"):
        sf.concat([a[:10], b[:10]])
    # A redefinition over different earlier definitions: its text spells them out.
    a["r"], b["r"] = a.x, b.x + 1
    a["r"], b["r"] = a.r * 2, b.r * 2
    with pytest.raises(ValueError, match=r"'r' is '\(\(x\) \* 2\)' in frame 1 but '\(\(\(x \+ 1\)\) \* 2\)' in frame 2"):
        sf.concat([a, b])
