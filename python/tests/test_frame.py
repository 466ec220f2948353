"""The DataFrame API over every storage variant: shape and names, columns and
Expressions, virtual columns, filters, column subsets, slices, head/tail, repr,
values (zero-copy where the data is stored), pandas export."""

import gc
import re

import numpy as np
import pandas as pd
import pytest

import swiftframe as sf
from conftest import DTYPES, N, assert_values, every_dtype



def columns(rng, n=N):
    return {
        "x": rng.standard_normal(n),
        "y": rng.standard_normal(n) * 10,
        "i": rng.integers(-1000, 1000, size=n).astype(np.int32),
        "b": rng.random(n) < 0.5,
    }




# Shape, names, dtypes ----------------------------------------------------------------

def test_shape_names_dtypes(storage, rng):
    df, ref = storage.frame(every_dtype(rng, 100_003))
    names = [np.dtype(t).name for t in DTYPES]
    assert len(df) == len(ref)
    assert df.shape == (len(ref), len(names))
    assert df.column_names == names
    assert df.get_column_names() == names
    assert df.dtypes == {name: np.dtype(name) for name in names}
    for name in names:
        assert df[name].dtype == np.dtype(name)
        assert getattr(df, name).dtype == np.dtype(name)
        assert name in df
    assert "nope" not in df


def test_columns_and_expressions(storage, rng):
    df, ref = storage.frame(columns(rng))
    assert isinstance(df.x, sf.Expression)
    assert isinstance(df["x"], sf.Expression)
    assert str(df.x) == "x" and str(df["x"]) == "x"
    assert str(df.x + df.y * 2) == "(x + (y * 2))"
    assert_values(df.x.values, ref["x"])
    assert_values(df["y"].to_numpy(), ref["y"])
    assert_values(df.evaluate("x"), ref["x"])
    assert_values(df.evaluate(df.x * df.i), ref["x"] * ref["i"])
    assert_values(df.evaluate("i", 100, 200), ref["i"][100:200])
    assert_values(df.x.evaluate(5, 15), ref["x"][5:15])
    assert_values(np.asarray(df.i), ref["i"])
    assert_values(df.b.values, ref["b"])
    assert df.b.values.dtype == np.bool_
    # An expression string that is not a column name is an expression.
    assert_values(df["x + y"].values, ref["x"] + ref["y"])


def test_odd_column_names(storage, rng):
    """Column names that are not identifiers are written in backticks in expressions."""
    n = 1000
    data = {"my col": rng.standard_normal(n), "2x": rng.integers(0, 9, n).astype(np.int64), "if": rng.random(n)}
    df, ref = storage.frame(data)
    assert df.column_names == ["my col", "2x", "if"]
    assert str(df["my col"]) == "`my col`"
    assert str(df["2x"] * 2) == "(`2x` * 2)"
    assert str(df["if"]) == "`if`"
    assert_values(df["my col"].values, ref["my col"])
    assert_values((df["my col"] + df["2x"]).values, ref["my col"] + ref["2x"])
    assert_values(df.evaluate("`if` * 2"), ref["if"] * 2)


# Virtual columns -----------------------------------------------------------------------

def test_virtual_columns(storage, rng):
    df, ref = storage.frame(columns(rng))
    before = sf.pass_count()
    df["r"] = np.sqrt(df.x ** 2 + df.y ** 2)
    df["z"] = "x * i + 1"
    df["pos"] = df.y > 0
    assert sf.pass_count() == before, "adding virtual columns reads no data"
    assert df.column_names == ["x", "y", "i", "b", "r", "z", "pos"]
    assert df.shape == (len(ref), 7)
    assert df.dtypes["r"] == np.float64 and df.dtypes["z"] == np.float64 and df.dtypes["pos"] == np.bool_
    r = np.sqrt(ref["x"] ** 2 + ref["y"] ** 2)
    assert_values(df.r.values, r)
    assert_values(df["z"].values, ref["x"] * ref["i"] + 1)
    assert_values(df.evaluate("r * 2 + z"), r * 2 + ref["x"] * ref["i"] + 1)
    assert df.r.mean() == pytest.approx(np.mean(r), rel=1e-9)
    # Virtual columns in filters and selections.
    assert len(df[df.pos]) == np.sum(ref["y"] > 0)
    assert df.sum("r", selection="pos") == pytest.approx(np.sum(r[ref["y"] > 0]), rel=1e-9)
    # Replacing a virtual column.
    df["z"] = df.i - 1
    assert df.z.dtype == np.int32
    assert_values(df.z.values, ref["i"] - 1)
    assert df.column_names.count("z") == 1


def test_redefining_a_column_uses_its_previous_definition(storage, rng):
    """df["x"] = df.x * 2 doubles the stored x; doing it again doubles the doubled one."""
    df, ref = storage.frame(columns(rng))
    df["x"] = df.x * 2
    assert_values(df.x.values, ref["x"] * 2)
    df["x"] = df.x + 1
    assert_values(df.x.values, ref["x"] * 2 + 1)
    df["i"] = "i * i"
    assert df.i.dtype == np.int32
    assert_values(df.i.values, ref["i"] * ref["i"])
    # The column keeps its place, as in pandas.
    assert df.column_names == ["x", "y", "i", "b"]
    # Statistics and values see the new definition; the redefined stored column is no
    # longer served in place.
    assert df.x.mean() == pytest.approx(np.mean(ref["x"] * 2 + 1), rel=1e-9)
    assert df.x.values.flags.writeable


def test_virtual_column_errors_leave_frame_unchanged(storage, rng):
    df, ref = storage.frame(columns(rng))
    with pytest.raises(NameError):
        df["bad"] = "x + nope"
    with pytest.raises(SyntaxError):
        df["bad"] = "x +"
    with pytest.raises(TypeError):
        df["bad"] = 3.5  # data must come through from_arrays
    assert df.column_names == ["x", "y", "i", "b"]
    assert_values(df.x.values, ref["x"])


def test_self_reference_through_other_columns_is_an_error():
    df = sf.from_arrays(x=np.arange(5.0))
    df["a"] = "x + 1"
    df["b"] = "a * 2"
    with pytest.raises(SyntaxError, match="refers to itself"):
        df["a"] = "b + 1"
    assert_values(df.b.values, (np.arange(5.0) + 1) * 2)


# Filters -----------------------------------------------------------------------------

def test_filters(storage, rng):
    df, ref = storage.frame(columns(rng))
    keep = ref["y"] > 0
    before = sf.pass_count()
    by_expression = df[df.y > 0]
    by_string = df.filter("y > 0")
    assert sf.pass_count() == before, "a filter reads no data until needed"
    for f in (by_expression, by_string):
        assert isinstance(f, sf.DataFrame)
        assert len(f) == np.sum(keep)
        assert f.shape == (np.sum(keep), 4)
        assert f.column_names == df.column_names
        assert_values(f.x.values, ref["x"][keep])
        assert_values(f.evaluate("x * i"), (ref["x"] * ref["i"])[keep])
        assert f.y.min() > 0
    # The length of a filtered frame is computed once, then cached.
    before = sf.pass_count()
    assert len(by_string) == np.sum(keep)
    assert sf.pass_count() == before
    # Filters combine.
    both = by_string[by_string.i < 0].filter("b")
    combined = keep & (ref["i"] < 0) & ref["b"]
    assert len(both) == np.sum(combined)
    assert_values(both.i.values, ref["i"][combined])
    # The original is unchanged.
    assert len(df) == len(ref)
    assert_values(df.x.values, ref["x"])


def test_filtered_frame_shares_data_and_state_is_separate(storage, rng):
    df, ref = storage.frame(columns(rng))
    f = df.filter("y > 0")
    keep = ref["y"] > 0
    f["w"] = f.x * 3  # a virtual column on the filtered frame only
    assert "w" not in df.column_names
    df["v"] = df.x - 1  # and one on the original only
    assert "v" not in f.column_names
    assert_values(f.w.values, ref["x"][keep] * 3)
    # The filtered frame keeps the data alive without its parent.
    del df
    gc.collect()
    assert_values(f.x.values, ref["x"][keep])
    assert f.i.sum() == np.sum(ref["i"][keep], dtype=np.int64)


def test_filter_on_a_virtual_column(storage, rng):
    df, ref = storage.frame(columns(rng))
    df["r"] = df.x ** 2 + df.y ** 2
    f = df[df.r < 4]
    keep = ref["x"] ** 2 + ref["y"] ** 2 < 4
    assert len(f) == np.sum(keep)
    assert_values(f.y.values, ref["y"][keep])


def test_column_subset(storage, rng):
    df, ref = storage.frame(columns(rng))
    sub = df[["y", "x"]]
    assert sub.column_names == ["y", "x"]
    assert sub.shape == (len(ref), 2)
    assert_values(sub.y.values, ref["y"])
    assert_values(sub.to_pandas_df()["x"].to_numpy(), ref["x"])
    assert df.column_names == ["x", "y", "i", "b"]
    with pytest.raises(KeyError):
        df[["x", "missing"]]
    assert len(df[["x"]][df.x > 0]) == np.sum(ref["x"] > 0)


# Slices, head, tail, repr -----------------------------------------------------------

@pytest.mark.parametrize("lo,hi", [(10, 20), (0, 5), (65530, 65545), (-7, None), (None, 3), (-20, -10),
                                   (5, 3), (100_000, 10**9), (10**9, None)])
def test_slices(storage, rng, lo, hi):
    df, ref = storage.frame(columns(rng))
    part = df[lo:hi]
    expected = ref["x"][lo:hi]
    assert len(part) == len(expected)
    assert_values(part.x.values, expected)
    assert_values(part.evaluate("i * 2"), ref["i"][lo:hi] * 2)
    assert part.count() == len(expected)
    if len(expected):
        assert part.x.sum() == pytest.approx(np.sum(expected), rel=1e-9, abs=1e-12)


def test_slices_of_filtered_frames_and_of_slices(storage, rng):
    df, ref = storage.frame(columns(rng))
    f = df[df.y > 0]
    fx = ref["x"][ref["y"] > 0]
    assert_values(f[10:20].x.values, fx[10:20])
    assert_values(f[-5:].x.values, fx[-5:])
    assert_values(f[40_000:90_000].x.values, fx[40_000:90_000])
    assert_values(f[100:200][5:10].x.values, fx[105:110])
    assert_values(df[1000:5000][df.y > 0].x.values, ref["x"][1000:5000][ref["y"][1000:5000] > 0])
    with pytest.raises(ValueError):
        df[::2]


def test_head_tail(storage, rng):
    df, ref = storage.frame(columns(rng))
    assert_values(df.head(7).x.values, ref["x"][:7])
    assert_values(df.tail(7).i.values, ref["i"][-7:])
    assert len(df.head()) == 5 and len(df.tail()) == 5
    small = df[:3]
    assert_values(small.head(10).x.values, ref["x"][:3])
    assert_values(small.tail(10).x.values, ref["x"][:3])


def test_repr_shows_first_and_last_rows(storage, rng):
    df, ref = storage.frame(columns(rng))
    text = repr(df)
    assert str(df) == text
    lines = text.splitlines()
    assert lines[0].split() == ["#", "x", "y", "i", "b"]
    n = len(ref)
    assert f"[{n} rows x 4 columns]" in text
    assert lines[1].split() == ["float64", "float64", "int32", "bool"]  # the column types
    first = lines[2].split()
    assert first[0] == "0"
    assert float(first[1]) == ref["x"][0] and int(first[3]) == ref["i"][0] and first[4] == str(ref["b"][0])
    last = lines[-2].split()
    assert last[0] == str(n - 1)
    assert float(last[1]) == ref["x"][-1] and float(last[2]) == ref["y"][-1] and int(last[3]) == ref["i"][-1]
    assert "⋮" in text
    # A short frame shows every row.
    short = repr(df[:3])
    assert "⋮" not in short and "[3 rows x 4 columns]" in short



@pytest.mark.parametrize("make, kind", [(lambda df: df.x, "column"), (lambda df: df.r, "virtual column"),
                                        (lambda df: df.x * 2 + df.i, "expression")])
def test_expression_repr_shows_dtype_first_and_last_values(storage, rng, make, kind):
    """As vaex: `Expression = text`, length and dtype, then the first and last values with row numbers."""
    df, ref = storage.frame(columns(rng))
    df["r"] = df.y - df.x
    expected = {"column": ref["x"], "virtual column": ref["y"] - ref["x"],
                "expression": ref["x"] * 2 + ref["i"]}[kind]
    expr = make(df)
    lines = repr(expr).splitlines()
    assert lines[0] == f"Expression = {expr.expression}"
    assert lines[1] == f"Length: {len(ref):,} dtype: {expected.dtype} ({kind})"
    shown = {int(line.split()[0]): float(line.split()[1]) for line in lines[3:] if line.strip() != "⋮"}
    n = len(ref)
    assert sorted(shown) == [0, 1, 2, 3, 4, n - 5, n - 4, n - 3, n - 2, n - 1]
    for row, value in shown.items():
        assert value == pytest.approx(expected[row], rel=1e-12)
    assert sum(line.strip() == "⋮" for line in lines) == 1
    assert "invalid" in repr(expr._derive("x + undefined_name"))  # a broken expression still has a repr


# Values and zero-copy -----------------------------------------------------------------

def test_stored_column_is_zero_copy_in_memory(rng):
    x = rng.standard_normal(N)
    i = rng.integers(0, 100, N).astype(np.int16)
    df = sf.from_arrays(x=x, i=i)
    for name, source in (("x", x), ("i", i)):
        v = df[name].values
        assert np.shares_memory(v, source), name
        assert not v.flags.writeable
        assert_values(v, source)
    assert np.shares_memory(df.evaluate("x"), x)
    # A computed expression, a filtered frame or a virtual column is a new array.
    assert not np.shares_memory(df.evaluate("x * 1"), x)
    assert not np.shares_memory(df[df.x > 0].x.values, x)
    assert_values(df[10:20].x.values, x[10:20])
    # The array outlives the frame.
    v = df.x.values
    del df
    gc.collect()
    assert_values(v, x)


def _mapped_ranges(path):
    """Address ranges where `path` is mapped into this process (Linux /proc/self/maps)."""
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith(str(path)):
                lo, hi = (int(a, 16) for a in line.split()[0].split("-"))
                ranges.append((lo, hi))
    return ranges


def test_stored_column_is_zero_copy_from_a_file(tmp_path, rng):
    """A stored numeric column of an Arrow file with one record batch and no missing
    values comes back as a read-only numpy array over the mapped file."""
    import pyarrow as pa
    x = rng.standard_normal(N)
    path = tmp_path / "one.arrow"
    table = pa.table({"x": x, "i": rng.integers(0, 9, N).astype(np.int64)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(path)
    v = df.x.values
    assert_values(v, x)
    assert not v.flags.owndata and not v.flags.writeable
    ranges = _mapped_ranges(path.resolve())
    assert ranges, "the file is not memory-mapped"
    address = v.__array_interface__["data"][0]
    assert any(lo <= address and address + v.nbytes <= hi for lo, hi in ranges), "values were copied"
    # Computed values are fresh arrays.
    w2 = df.evaluate("x + 0")
    assert not any(lo <= w2.__array_interface__["data"][0] < hi for lo, hi in ranges)
    # The mapping lives as long as the array.
    del df
    gc.collect()
    assert_values(v, x)


def test_values_with_missing_are_masked(file_storage, rng):
    n = 70_000
    data = {"x": rng.standard_normal(n), "i": rng.integers(0, 100, n).astype(np.int64)}
    valid = {"x": rng.random(n) > 0.2, "i": rng.random(n) > 0.2}
    df, ref = file_storage.frame(data, valid=valid)
    for name in ("x", "i"):
        v = df[name].values
        assert isinstance(v, np.ma.MaskedArray)
        np.testing.assert_array_equal(v.mask, ~ref.present(name))
        assert_values(v.data[ref.present(name)], ref[name][ref.present(name)])
    s = df.evaluate("x + i")
    both = ref.present("x") & ref.present("i")
    np.testing.assert_array_equal(s.mask, ~both)
    assert_values(s.data[both], (ref["x"] + ref["i"])[both])


def test_to_pandas(storage, rng):
    data = every_dtype(rng, 50_001)
    df, ref = storage.frame(data)
    df["r"] = df.float64 * 2
    expected = pd.DataFrame(ref.columns)
    expected["r"] = ref["float64"] * 2
    pd.testing.assert_frame_equal(df.to_pandas_df(), expected)
    pd.testing.assert_frame_equal(df[df.int8 > 0].to_pandas_df(),
                                  expected[expected.int8 > 0].reset_index(drop=True))
    np.testing.assert_array_equal(df[["int32", "int64"]].to_numpy(),
                                  np.column_stack([ref["int32"], ref["int64"]]))


def test_to_pandas_with_missing_values_matches_pyarrow(tmp_path, rng):
    """Missing values become NaN in pandas, as pyarrow's to_pandas makes them."""
    import pyarrow as pa
    n = 10_000
    x = pa.array(rng.standard_normal(n), mask=rng.random(n) < 0.2)
    i = pa.array(rng.integers(-5, 5, n).astype(np.int32), mask=rng.random(n) < 0.2)
    table = pa.table({"x": x, "i": i})
    path = tmp_path / "nulls.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    got = sf.open(path).to_pandas_df()
    pd.testing.assert_frame_equal(got, table.to_pandas(), check_dtype=True)


def test_from_dict_and_copy(rng):
    data = columns(rng, 1000)
    df = sf.from_dict(data)
    assert df.column_names == list(data)
    c = df.copy()
    c["k"] = c.x + 1
    assert "k" not in df.column_names
    assert_values(c.k.values, data["x"] + 1)


def test_empty_frame():
    df = sf.from_arrays(x=np.array([], dtype=np.float64), i=np.array([], dtype=np.int32))
    assert len(df) == 0 and df.shape == (0, 2)
    assert df.x.values.shape == (0,)
    assert df.count() == 0 and df.sum("i") == 0 and np.isnan(df.mean("x"))
    assert "[0 rows x 2 columns]" in repr(df)
    assert len(df[df.x > 0]) == 0
    assert len(df[5:10]) == 0


def test_from_arrays_argument_errors():
    with pytest.raises(ValueError):
        sf.from_arrays(x=np.zeros(3), y=np.zeros(4))
    with pytest.raises(ValueError):
        sf.from_arrays(x=np.zeros((2, 2)))
    with pytest.raises(TypeError):
        sf.from_arrays(x=np.array([1 + 2j, 3j]))


def test_from_arrays_with_strings():
    words = np.array(["a", "bé", None, "日本"] * 5, dtype=object)
    df = sf.from_arrays(s=words, u=np.array(["x", "yz"] * 10), i=np.arange(20))
    assert list(df.evaluate("s")) == list(words)  # missing strings are None, as pandas' object arrays
    assert list(df.evaluate("u")) == ["x", "yz"] * 10
    assert df.i.sum() == 190


def test_non_contiguous_and_byte_swapped_inputs(rng):
    """Strided and big-endian arrays are accepted (copied into native order)."""
    base = rng.standard_normal(20)
    df = sf.from_arrays(x=base[::2], y=base[::2].astype(">f8"))
    assert_values(df.x.values, base[::2])
    assert_values(df.y.values, base[::2])
    assert df.y.dtype == np.float64


def test_column_names_match_regex_of_repr_header(storage, rng):
    """Names in repr's header are the frame's column names, in order (virtual ones too)."""
    df, _ = storage.frame(columns(rng, 100))
    df["zz"] = df.x + 1
    header = repr(df).splitlines()[0]
    assert re.split(r"\s+", header.strip())[1:] == df.column_names


def test_from_arrays_nat_is_missing():
    """NaT in numpy datetimes is a missing value, as pandas counts it."""
    t = np.array(["2000-01-01", "NaT", "2001-06-01"], "M8[us]")
    d = np.array(["NaT", "2020-01-02", "2020-01-03"], "M8[D]")
    df = sf.from_arrays(t=t, d=d)
    assert df.count("t") == pd.Series(t).count() and df.count("d") == pd.Series(d).count()
    assert df.min("t") == t[0] and df.max("d") == d[2]
    np.testing.assert_array_equal(np.ma.getmaskarray(df.evaluate("d")), np.isnat(d))
