"""CSV -> Arrow conversion (sf.from_csv, sf_csv_convert) against pandas.read_csv and
pyarrow.csv on generated files. Columns the engine cannot compute with yet (string,
date32, timestamp) are checked by reading the converted file with pyarrow; numeric
and bool columns also through swiftframe's statistics against numpy."""

import csv as pycsv
import io
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import swiftframe as sf
from swiftframe.csv import convert_csv

RNG = np.random.default_rng(20261125)


def read_arrow(path):
    return pa.ipc.open_file(str(path)).read_all()


def convert(tmp_path, text, name="data.csv", **options):
    """Writes `text` (str or bytes) as a CSV, converts it, returns (table, arrow path)."""
    src = tmp_path / name
    src.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    out = tmp_path / (name + ".arrow")
    convert_csv(src, out, options)
    return read_arrow(out), out


def check_column(column, expected, kind=None):
    """An Arrow column against a pandas Series: same missing rows, same values."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    expected = pd.Series(expected).reset_index(drop=True)
    missing = column.is_null().to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(missing, expected.isna().to_numpy())
    got = column.drop_null()
    want = expected[~expected.isna()]
    if kind == "date":
        np.testing.assert_array_equal(got.to_numpy(zero_copy_only=False).astype("datetime64[D]"),
                                      pd.to_datetime(want).to_numpy().astype("datetime64[D]"))
    elif kind == "timestamp":
        np.testing.assert_array_equal(got.cast(pa.int64()).to_numpy(),
                                      pd.to_datetime(want).to_numpy().astype("datetime64[us]").astype(np.int64))
    elif kind == "string":
        assert got.to_pylist() == list(want)
    else:
        np.testing.assert_array_equal(got.to_numpy(zero_copy_only=False), want.to_numpy().astype(got.type.to_pandas_dtype()))


def mixed_csv(n, sep=",", missing_rate=0.1):
    """A CSV of n rows with int, float, bool, string, date and timestamp columns, some missing."""
    ints = RNG.integers(-10**15, 10**15, n)
    floats = RNG.normal(size=n) * 10.0 ** RNG.integers(-30, 30, n)
    floats[RNG.random(n) < 0.02] = np.inf
    floats[RNG.random(n) < 0.02] = -np.inf
    bools = RNG.random(n) < 0.5
    days = RNG.integers(-20000, 30000, n)
    micros = RNG.integers(-10**15, 4 * 10**15, n)
    words = ["plain", "with space", "comma, inside", 'quote "q" inside', "new\nline", "semi;colon",
             "tab\tinside", "ünïcødé ✓", "", "x"]
    rows = []
    bool_spellings = [("True", "False"), ("true", "false"), ("TRUE", "FALSE")]
    for i in range(n):
        def maybe(s, i=i, k=0):
            return "" if RNG.random() < missing_rate else s
        ts = np.datetime64(int(micros[i]), "us").astype(str)
        if i % 3 == 0:
            ts = ts.replace("T", " ")
        if i % 5 == 0:
            ts = ts[:19]
        float_text = repr(float(floats[i])) if np.isfinite(floats[i]) else ("inf" if floats[i] > 0 else "-inf")
        rows.append([maybe(str(ints[i])), maybe(float_text), maybe(bool_spellings[i % 3][0 if bools[i] else 1]),
                     maybe(words[i % len(words)]) if words[i % len(words)] else "",
                     maybe(str(np.datetime64(int(days[i]), "D"))), maybe(ts)])
    buf = io.StringIO()
    writer = pycsv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(["i", "f", "b", "s", "d", "t"])
    writer.writerows(rows)
    return buf.getvalue()


def pandas_read(text, **kw):
    return pd.read_csv(io.StringIO(text), keep_default_na=True, **kw)


def check_mixed(table, text, sep=","):
    ref = pandas_read(text, sep=sep, parse_dates=["d", "t"], date_format="ISO8601", dtype={"s": object})
    assert table.schema.names == ["i", "f", "b", "s", "d", "t"]
    assert [str(t) for t in table.schema.types] == ["int64", "double", "bool", "string", "date32[day]",
                                                  "timestamp[us]"]
    assert table.num_rows == len(ref)
    check_column(table["i"], ref["i"])
    check_column(table["f"], ref["f"])
    check_column(table["b"], ref["b"].map({True: True, False: False}, na_action="ignore"))
    check_column(table["s"], ref["s"], "string")
    check_column(table["d"], ref["d"], "date")
    check_column(table["t"], ref["t"], "timestamp")


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_types_and_values_match_pandas(tmp_path, sep):
    text = mixed_csv(3000, sep=sep)
    table, _ = convert(tmp_path, text, sep=sep)
    check_mixed(table, text, sep=sep)


def test_many_blocks_and_batches_match_pandas(tmp_path):
    text = mixed_csv(20000)
    table, path = convert(tmp_path, text, block_size=64 << 10, sample_rows=100)
    assert pa.ipc.open_file(str(path)).num_record_batches > 10
    check_mixed(table, text)


def test_numeric_statistics_through_swiftframe(tmp_path):
    n = 300_000
    x = RNG.integers(-10**6, 10**6, n)
    y = RNG.normal(size=n) * 1e3
    z = RNG.random(n) < 0.3
    df_ref = pd.DataFrame({"x": x, "y": y, "z": z})
    src = tmp_path / "n.csv"
    df_ref.to_csv(src, index=False)
    df = sf.from_csv(src, block_size=1 << 20)
    assert df.column_names == ["x", "y", "z"]
    assert len(df) == n
    assert df.x.sum() == x.sum()
    assert df.x.min() == x.min() and df.x.max() == x.max()
    ref_y = pd.read_csv(src)["y"].to_numpy()
    np.testing.assert_allclose(df.y.mean(), ref_y.mean(), rtol=1e-12)
    assert df.y.min() == ref_y.min() and df.y.max() == ref_y.max()
    assert df.z.sum() == z.sum()


def test_floats_exponents_inf_nan_exact(tmp_path):
    values = ["1e5", "-2.5E-3", "+3.25", ".5", "5.", "1e308", "1.7976931348623157e308", "4.9e-324",
              "2.2250738585072014e-308", "0.1", "123456789012345678901234567890", "0.30000000000000004",
              "inf", "-inf", "Infinity", "-Infinity", "nan", "NaN", "", "-0.0", "9007199254740993",
              "1.000000000000000055511151231257827", "7e22", "7e23", "1e-22", "1e-23"]
    text = "v\n" + "\n".join(values) + "\n"
    table, _ = convert(tmp_path, text)
    assert table["v"].type == pa.float64()
    ref = pandas_read(text)["v"]
    check_column(table["v"], ref)


def test_integers_and_overflow_widening(tmp_path):
    text = "a,b\n" + "\n".join(f"{i},{i * 3}" for i in range(-5, 5)) + "\n9223372036854775807,-9223372036854775808\n"
    table, _ = convert(tmp_path, text)
    assert table["a"].type == pa.int64() and table["b"].type == pa.int64()
    ref = pd.read_csv(io.StringIO(text))
    check_column(table["a"], ref["a"])
    check_column(table["b"], ref["b"])
    table, _ = convert(tmp_path, "a\n1\n99999999999999999999\n", name="o.csv")
    assert table["a"].type == pa.float64()
    assert table["a"].to_pylist() == [1.0, 1e20]


def test_missing_markers(tmp_path):
    text = "a,b,c\n1,x,1.5\nNA,NaN,null\n,N/A,NULL\n3,#N/A,nan\n"
    table, _ = convert(tmp_path, text)
    assert table["a"].to_pylist() == [1, None, None, 3]
    assert table["b"].to_pylist() == ["x", None, None, None]
    assert table["c"].to_pylist() == [1.5, None, None, None]
    ref = pd.read_csv(io.StringIO(text))
    check_column(table["a"], ref["a"])
    check_column(table["b"], ref["b"], "string")


def test_all_missing_column_is_float64_of_nulls(tmp_path):
    table, _ = convert(tmp_path, "a,b\n1,\n2,\n")
    assert table["b"].type == pa.float64()
    assert table["b"].null_count == 2


def test_quoted_fields_against_python_csv(tmp_path):
    rows = [["a", "b"], ['say "hi"', "1"], ["x,y", "2"], ["line1\nline2\r\nline3", "3"], ['""', "4"],
            ['"', "5"], ["", "6"], ["  spaced  ", "7"]]
    buf = io.StringIO()
    pycsv.writer(buf, lineterminator="\n", quoting=pycsv.QUOTE_MINIMAL).writerows(rows)
    table, _ = convert(tmp_path, buf.getvalue())
    expected = [r[0] for r in rows[1:]]
    expected[5] = None  # an empty field is missing, as in pandas
    assert table["a"].to_pylist() == expected
    assert table["b"].to_pylist() == list(range(1, 8))
    ref = pd.read_csv(io.StringIO(buf.getvalue()))
    check_column(table["a"], ref["a"], "string")
    # Every field quoted, numbers too (pandas parses quoted numbers as numbers).
    buf = io.StringIO()
    pycsv.writer(buf, lineterminator="\n", quoting=pycsv.QUOTE_ALL).writerows([["n", "s"], [1, "a"], [2, "b,c"]])
    table, _ = convert(tmp_path, buf.getvalue(), name="q.csv")
    assert table["n"].type == pa.int64() and table["n"].to_pylist() == [1, 2]
    assert table["s"].to_pylist() == ["a", "b,c"]


def test_quoted_newlines_across_block_boundaries(tmp_path):
    n = 5000
    texts = [("long text\n" * int(k)) + '"quoted"' for k in RNG.integers(0, 40, n)]
    ref = pd.DataFrame({"k": np.arange(n), "s": texts, "v": RNG.normal(size=n)})
    text = ref.to_csv(index=False, lineterminator="\n")
    table, _ = convert(tmp_path, text, block_size=4096, sample_rows=7)
    check_column(table["k"], ref["k"])
    check_column(table["s"], ref["s"], "string")
    check_column(table["v"], pandas_read(text)["v"])


def test_header_false_and_names(tmp_path):
    text = "1,a\n2,b\n"
    table, _ = convert(tmp_path, text, header=False)
    assert table.schema.names == ["f0", "f1"]
    assert table["f0"].to_pylist() == [1, 2] and table["f1"].to_pylist() == ["a", "b"]
    ref = pacsv.read_csv(io.BytesIO(text.encode()), read_options=pacsv.ReadOptions(autogenerate_column_names=True))
    assert table.equals(ref)


def test_duplicate_and_empty_header_names_as_pandas(tmp_path):
    text = "a,a,,b,a\n1,2,3,4,5\n"
    table, _ = convert(tmp_path, text)
    assert table.schema.names == list(pd.read_csv(io.StringIO(text)).columns)


def test_usecols_by_name_and_position(tmp_path):
    text = mixed_csv(500)
    table, _ = convert(tmp_path, text, usecols=["t", "i"])
    assert table.schema.names == ["i", "t"]  # file order, as pandas
    ref = pandas_read(text, usecols=["t", "i"], parse_dates=["t"], date_format="ISO8601")
    assert list(ref.columns) == ["i", "t"]
    check_column(table["i"], ref["i"])
    check_column(table["t"], ref["t"], "timestamp")
    table, _ = convert(tmp_path, text, name="p.csv", usecols=[1, 0])
    assert table.schema.names == ["i", "f"]
    df = sf.from_csv(tmp_path / "p.csv", usecols=["f"])
    assert df.column_names == ["f"]


def test_dtype_overrides(tmp_path):
    text = "a,b,c,d,e\n1,2,3,2020-01-01,5\n4,,6,2020-01-02,7\n"
    table, _ = convert(tmp_path, text, dtype={"a": "float64", "b": "int32", "c": "string", "d": "string",
                                              "e": "float32"})
    assert [str(t) for t in table.schema.types] == ["double", "int32", "string", "string", "float"]
    assert table["a"].to_pylist() == [1.0, 4.0]
    assert table["b"].to_pylist() == [2, None]
    assert table["c"].to_pylist() == ["3", "6"]
    assert table["d"].to_pylist() == ["2020-01-01", "2020-01-02"]
    ref = pd.read_csv(io.StringIO(text), dtype={"a": "float64", "c": str, "d": str, "e": "float32"})
    check_column(table["a"], ref["a"])
    check_column(table["c"], ref["c"], "string")
    check_column(table["e"], ref["e"])
    df = sf.from_csv(tmp_path / "data.csv", dtype={"a": np.float32, "b": "int64"})
    assert df.dtypes["a"] == np.float32 and df.dtypes["b"] == np.int64


def test_dtype_override_mismatch_names_row_and_column(tmp_path):
    src = tmp_path / "m.csv"
    src.write_text("a,b\n1,2\n3,x\n")
    with pytest.raises(ValueError, match=r"line 3 \(data row 2\).*column 'b'.*'x'.*int64"):
        sf.from_csv(src, dtype={"b": "int64"})
    with pytest.raises(ValueError, match="no column named 'zz'"):
        sf.from_csv(src, dtype={"zz": "int64"})
    with pytest.raises(ValueError, match="unknown type"):
        sf.from_csv(src, dtype={"a": "complex"})
    with pytest.raises(ValueError, match="usecols"):
        sf.from_csv(src, usecols=["nope"])


def test_values_beyond_the_sample_widen_the_column(tmp_path):
    n = 20000
    ints = RNG.integers(0, 1000, n).astype(object)
    ints[15000] = "2.5"
    words = RNG.integers(0, 1000, n).astype(object)
    words[17000] = "word"
    dates = np.array([str(np.datetime64(int(d), "D")) for d in RNG.integers(0, 20000, n)], dtype=object)
    dates[18000] = "2020-01-01 10:00:00"
    bools = np.where(RNG.random(n) < 0.5, "True", "False").astype(object)
    bools[19000] = "7"
    ref = pd.DataFrame({"i": ints, "w": words, "d": dates, "b": bools})
    text = ref.to_csv(index=False)
    table, _ = convert(tmp_path, text, block_size=32 << 10, sample_rows=100)
    assert [str(t) for t in table.schema.types] == ["double", "string", "timestamp[us]", "string"]
    back = pandas_read(text, dtype={"w": str, "b": str}, parse_dates=["d"], date_format="ISO8601")
    check_column(table["i"], back["i"])
    check_column(table["w"], back["w"], "string")
    check_column(table["d"], back["d"], "timestamp")
    check_column(table["b"], back["b"], "string")


def test_crlf_bom_and_missing_final_newline(tmp_path):
    text = "\ufeffa,b,c\r\n1,x,2020-01-01\r\n2,\"y\r\nz\",2020-01-02\r\n\r\n3,w,2020-01-03"
    table, _ = convert(tmp_path, text)
    assert table.schema.names == ["a", "b", "c"]
    assert table["a"].to_pylist() == [1, 2, 3]
    assert table["b"].to_pylist() == ["x", "y\r\nz", "w"]
    assert str(table["c"].type) == "date32[day]"
    ref = pacsv.read_csv(io.BytesIO(text.encode()))
    assert table["a"].to_pylist() == ref["a"].to_pylist()
    assert table["b"].to_pylist() == ref["b"].to_pylist()
    assert table["c"].to_pylist() == ref["c"].to_pylist()


def test_header_only_and_empty_file(tmp_path):
    table, _ = convert(tmp_path, "a,b\n")
    assert table.num_rows == 0 and table.schema.names == ["a", "b"]
    src = tmp_path / "empty.csv"
    src.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        sf.from_csv(src)


def test_convert_true_writes_beside_and_reuses(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("x\n1\n2\n")
    df = sf.from_csv(src, convert=True)
    target = tmp_path / "r.csv.arrow"  # vaex's naming: the CSV's name plus the format's suffix
    assert target.exists() and df.x.sum() == 3
    before = os.stat(target)
    df2 = sf.from_csv(src, convert=True)
    after = os.stat(target)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # reused, not rewritten
    assert df2.x.sum() == 3
    src.write_text("x\n10\n20\n30\n")
    future = time.time() + 10
    os.utime(src, (future, future))
    df3 = sf.from_csv(src, convert=True)
    assert df3.x.sum() == 60 and len(df3) == 3
    named = tmp_path / "named.arrow"
    assert sf.from_csv(src, convert=str(named)).x.sum() == 60 and named.exists()
    assert sorted(os.listdir(tmp_path)) == ["named.arrow", "r.csv", "r.csv.arrow"]


def test_without_convert_the_temporary_file_lives_with_the_frame(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("x,y\n1,2\n3,4\n")
    df = sf.from_csv(src)
    filtered = df[df.x > 1]
    folder = df._keep[0].folder
    assert os.path.isdir(folder)
    del df
    import gc
    gc.collect()
    assert filtered.y.sum() == 4  # a derived frame keeps the file
    del filtered
    gc.collect()
    assert not os.path.exists(folder)
    assert os.listdir(tmp_path) == ["t.csv"]


@pytest.mark.parametrize("text, pattern", [
    ("a,b\n1,2\n3\n", r"line 3 .*expected 2 fields, found 1"),
    ("a,b\n1,2\n3,4,5\n", r"line 3 .*expected 2 fields, found 3"),
    ('a,b\n1,"open\n2,3\n', r"line 2.*unterminated quote"),
    ('a,b\n1,x"y\n', r"line 2.*quote inside an unquoted field"),
    ('a,b\n1,"x"y\n', r"line 2.*after a closing quote"),
])
def test_malformed_csv_raises_and_leaves_nothing(tmp_path, text, pattern):
    src = tmp_path / "bad.csv"
    src.write_text(text)
    for block_size in (None, 3):
        with pytest.raises(ValueError, match=pattern):
            sf.from_csv(src, convert=True, block_size=block_size)
        assert os.listdir(tmp_path) == ["bad.csv"]


def test_malformed_row_far_into_a_large_file(tmp_path):
    lines = ["a,b"] + [f"{i},{i}" for i in range(100_000)]
    lines[90_001] = "1,2,3"
    src = tmp_path / "big_bad.csv"
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 90002 \(data row 90001\): expected 2 fields, found 3"):
        sf.from_csv(src, convert=True, block_size=64 << 10)
    assert os.listdir(tmp_path) == ["big_bad.csv"]


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(FileNotFoundError):
        sf.from_csv(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError):
        convert_csv(tmp_path / "nope.csv", tmp_path / "x.arrow")
    src = tmp_path / "a.csv"
    src.write_text("a\n1\n")
    with pytest.raises(ValueError, match="sep"):
        sf.from_csv(src, sep=";;")
    with pytest.raises(ValueError, match="unknown CSV option"):
        convert_csv(src, tmp_path / "x.arrow", {"separator": ","})
    with pytest.raises(FileNotFoundError):
        convert_csv(src, tmp_path / "no_such_dir" / "x.arrow")
    assert os.listdir(tmp_path) == ["a.csv"]


def test_progress_and_cancel(tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("x\n" + "\n".join(map(str, range(50_000))) + "\n")
    seen = []
    df = sf.from_csv(src, convert=True, block_size=16 << 10, progress=lambda f: seen.append(f) or True)
    assert df.x.sum() == sum(range(50_000))
    assert len(seen) > 3 and seen == sorted(seen) and seen[-1] == 1.0
    os.remove(tmp_path / "p.csv.arrow")
    with pytest.raises(KeyboardInterrupt):
        sf.from_csv(src, convert=True, block_size=16 << 10, progress=lambda f: f < 0.5)
    assert os.listdir(tmp_path) == ["p.csv"]


def test_arrow_file_opens_with_swiftframe_and_pyarrow_alike(tmp_path):
    n = 10_000
    ref = pd.DataFrame({"a": RNG.integers(-100, 100, n), "b": RNG.random(n), "c": RNG.random(n) < 0.5})
    src = tmp_path / "o.csv"
    ref.to_csv(src, index=False)
    df = sf.from_csv(src, convert=True, block_size=8 << 10)
    table = read_arrow(tmp_path / "o.csv.arrow")
    np.testing.assert_array_equal(df.a.to_numpy(), table["a"].to_numpy())
    np.testing.assert_array_equal(df.c.to_numpy(), ref["c"].to_numpy())
    np.testing.assert_array_equal(table["b"].to_numpy(), pd.read_csv(src)["b"])


MEMORY_SCRIPT = textwrap.dedent("""
    import os, resource, sys
    limit = int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    import swiftframe as sf
    df = sf.from_csv(sys.argv[1], convert=sys.argv[2])
    print(len(df), int(df.i.sum()), repr(float(df.f.sum())), int(df.b.sum()))
    with open("/proc/self/status") as f:
        print([l.split()[1] for l in f if l.startswith("VmHWM")][0])
""")

BASELINE_SCRIPT = textwrap.dedent("""
    import swiftframe as sf
    import numpy, ctypes
    with open("/proc/self/status") as f:
        print([l.split()[1] for l in f if l.startswith("VmData")][0])
""")


def test_conversion_memory_stays_bounded(tmp_path):
    """A 400 MB CSV converts under an RLIMIT_DATA that leaves the converter 96 MB above the
    interpreter's baseline — the CSV is more than 4x what the process may add — and is
    then aggregated correctly."""
    n_block = 100_000
    ints = RNG.integers(-10**9, 10**9, n_block)
    floats = np.round(RNG.normal(size=n_block), 6)
    bools = RNG.random(n_block) < 0.5
    block = pd.DataFrame({"i": ints, "f": floats, "b": bools}).to_csv(index=False, header=False)
    repeats = max(1, (400 << 20) // len(block))
    src = tmp_path / "huge.csv"
    with open(src, "w") as out:
        out.write("i,f,b\n")
        for _ in range(repeats):
            out.write(block)
    rows = repeats * n_block
    env = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1")  # count our memory, not arena slack
    base = subprocess.run([sys.executable, "-c", BASELINE_SCRIPT], capture_output=True, text=True, env=env)
    assert base.returncode == 0, base.stderr
    baseline = int(base.stdout.split()[0]) * 1024
    # Loading the columns alone takes rows * 17 bytes (int64, float64, bool) — about 240 MB;
    # the limit leaves the converter 96 MB above the interpreter's baseline.
    limit = baseline + (96 << 20)
    assert rows * 17 > (96 << 20)
    assert os.path.getsize(src) > 4 * (96 << 20)
    run = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(src), str(tmp_path / "huge.arrow"), str(limit)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    length, isum, fsum, bsum = run.stdout.split()[:4]
    assert int(length) == rows
    assert int(isum) == int(ints.sum()) * repeats
    ref_f = pd.read_csv(io.StringIO(block), header=None)[1].to_numpy()
    np.testing.assert_allclose(float(fsum), ref_f.sum() * repeats, rtol=1e-9)
    assert int(bsum) == int(bools.sum()) * repeats


def test_dates_timestamps_and_strings_through_swiftframe(tmp_path):
    text = mixed_csv(2000)
    src = tmp_path / "m.csv"
    src.write_text(text)
    df = sf.from_csv(src, block_size=16 << 10)
    ref = pandas_read(text, parse_dates=["d", "t"], date_format="ISO8601", dtype={"s": object})
    assert df.d.min() == ref["d"].min().to_datetime64().astype("datetime64[D]")
    assert df.d.max() == ref["d"].max().to_datetime64().astype("datetime64[D]")
    assert df.t.min() == ref["t"].min().to_datetime64().astype("datetime64[us]")
    assert df.t.max() == ref["t"].max().to_datetime64().astype("datetime64[us]")
    assert df.count(df.s) == ref["s"].count()
    assert df.count(df.t) == ref["t"].count()


MISSING_MARKERS = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                   "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"}

try:
    from hypothesis import given, strategies as st

    _cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
                    | st.sampled_from(['"', ",", "\n", "\r", ";", " "]), max_size=12)

    @given(rows=st.lists(st.tuples(_cell, _cell, _cell), min_size=1, max_size=40),
           block_size=st.integers(1, 64), sep=st.sampled_from([",", ";", "\t"]))
    def test_any_text_round_trips_through_python_csv_and_parallel_blocks(tmp_path_factory, rows, block_size, sep):
        buf = io.StringIO()
        pycsv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows([("a", "b", "c")] + rows)
        folder = tmp_path_factory.mktemp("prop")
        table, _ = convert(folder, buf.getvalue(), sep=sep, block_size=block_size,
                           dtype={"a": "string", "b": "string", "c": "string"})
        expected = [[None if v in MISSING_MARKERS else v for v in row] for row in rows]
        assert [list(r) for r in zip(*(table[c].to_pylist() for c in "abc"))] == expected

    @given(values=st.lists(st.floats(allow_nan=False), min_size=1, max_size=30),
           style=st.sampled_from(["repr", "%.17g", "%.6e", "%.3f", "%.20f"]))
    def test_any_float_text_parses_as_python_float(tmp_path_factory, values, style):
        texts = [repr(v) if style == "repr" else style % v for v in values]
        texts = [t.replace("inf", "Infinity") if i % 2 else t for i, t in enumerate(texts)]
        folder = tmp_path_factory.mktemp("floats")
        table, _ = convert(folder, "v\n" + "\n".join(texts) + "\n", dtype={"v": "float64"})
        got = table["v"].to_pylist()
        assert [float(t) for t in texts] == got  # Python's float() rounds correctly
        assert [np.signbit(float(t)) for t in texts] == [np.signbit(g) for g in got]
except ImportError:  # hypothesis is in the test extra; without it these properties are skipped
    pass


def test_c_abi_statuses(tmp_path):
    from swiftframe import _native
    src = tmp_path / "c.csv"
    src.write_text("x\n1\n2\n")
    out = tmp_path / "c.arrow"
    lib = _native.lib
    assert lib.sf_csv_convert(None, str(out).encode(), None, _native.NO_PROGRESS, None) == 1
    assert b"csv_path" in lib.sf_last_error()
    assert lib.sf_csv_convert(str(src).encode(), None, None, _native.NO_PROGRESS, None) == 1
    assert lib.sf_csv_convert(str(src).encode(), str(out).encode(), b"[1]", _native.NO_PROGRESS, None) == 1
    assert lib.sf_csv_convert(str(src).encode(), str(out).encode(), b'{"sep": ', _native.NO_PROGRESS, None) == 1
    assert lib.sf_csv_convert(str(tmp_path / "none.csv").encode(), str(out).encode(), None,
                              _native.NO_PROGRESS, None) == 9
    assert os.listdir(tmp_path) == ["c.csv"]
    assert lib.sf_csv_convert(str(src).encode(), str(out).encode(), None, _native.NO_PROGRESS, None) == 0
    assert read_arrow(out)["x"].to_pylist() == [1, 2]
