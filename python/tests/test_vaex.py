"""Round trips with vaex itself: files swiftframe exports open in vaex with the same
values, and files vaex exports open in swiftframe. vaex pins older pandas, so it
lives in its own virtual environment (.venv-vaex, made by .ci/setup, or
$SWIFTFRAME_VAEX_PYTHON) and runs in a child process."""

import json
import os
import pathlib
import subprocess

import numpy as np
import pyarrow as pa
import pytest

import swiftframe as sf

REPO = pathlib.Path(__file__).resolve().parents[2]
VAEX_PYTHON = os.environ.get("SWIFTFRAME_VAEX_PYTHON", str(REPO / ".venv-vaex" / "bin" / "python"))

N = 20_000


def vaex(script, *args):
    """Runs `script` under vaex's interpreter; returns what it prints as JSON."""
    if not os.path.exists(VAEX_PYTHON):
        pytest.fail(f"no vaex interpreter at {VAEX_PYTHON}: run .ci/setup (it makes .venv-vaex)")
    run = subprocess.run([VAEX_PYTHON, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


READ = """
import json, sys, numpy as np, vaex
df = vaex.open(sys.argv[1])
out = {}
for name in df.get_column_names():
    values = df[name].tolist()
    if df[name].dtype.is_datetime:
        values = [None if v is None else int(np.datetime64(v, "us").astype(np.int64)) for v in values]
    out[name] = [None if isinstance(v, float) and v != v else v for v in values]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    rng = np.random.default_rng(30)
    present = rng.random(N) > 0.1
    words = np.array([f"w{i}é" for i in range(40)], dtype=object)
    text = words[rng.integers(0, 40, N)]
    text[~present] = None
    table = pa.table({
        "i": pa.array(rng.integers(-1000, 1000, N), mask=~present),
        "x": pa.array(rng.standard_normal(N)),
        "f": pa.array(rng.standard_normal(N).astype(np.float32), mask=~present),
        "s": pa.array(list(text)),
        "t": pa.array(rng.integers(0, 2**50, N).astype("datetime64[us]")),
    })
    path = tmp_path_factory.mktemp("vaex") / "source.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    return table, sf.open(str(path))


def expected(table, name):
    column = table[name]
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    return [None if v is None else (float(v) if isinstance(v, float) else v) for v in column.to_pylist()]


@pytest.mark.parametrize("suffix", ["hdf5", "arrow"])
def test_vaex_opens_what_swiftframe_exports(frame, tmp_path, suffix):
    table, df = frame
    out = tmp_path / f"out.{suffix}"
    df.export(out)
    got = vaex(READ, out)
    assert list(got) == table.column_names
    for name in table.column_names:
        if name == "f":
            np.testing.assert_allclose(np.array(got[name], dtype=float), np.array(expected(table, name), dtype=float),
                                       rtol=1e-7)
        else:
            assert got[name] == expected(table, name), name


WRITE = """
import sys, numpy as np, vaex
rng = np.random.default_rng(31)
n = int(sys.argv[2])
x = rng.standard_normal(n)
k = np.ma.MaskedArray(rng.integers(0, 9, n), mask=rng.random(n) < 0.2)
s = np.array([f"s{i % 17}" for i in range(n)], dtype=object)
t = rng.integers(0, 2**50, n).astype("datetime64[ns]")
df = vaex.from_arrays(x=x, k=k, s=s, t=t)
df["y"] = df.x * 2 + 1
df.export(sys.argv[1])
print("{}")
"""


@pytest.mark.parametrize("suffix", ["hdf5", "arrow"])
def test_swiftframe_opens_what_vaex_exports(tmp_path, suffix):
    path = tmp_path / f"v.{suffix}"
    vaex(WRITE, path, N)
    rng = np.random.default_rng(31)
    x = rng.standard_normal(N)
    k = rng.integers(0, 9, N)
    k_missing = rng.random(N) < 0.2
    s = [f"s{i % 17}" for i in range(N)]
    t = rng.integers(0, 2**50, N).astype("datetime64[ns]")
    df = sf.open(str(path))
    np.testing.assert_array_equal(df.evaluate("x"), x)
    np.testing.assert_array_equal(df.evaluate("y"), x * 2 + 1)
    got = df.evaluate("k")
    np.testing.assert_array_equal(np.ma.getmaskarray(got), k_missing)
    np.testing.assert_array_equal(np.ma.getdata(got)[~k_missing], k[~k_missing])
    assert list(df.evaluate("s")) == s
    np.testing.assert_array_equal(df.evaluate("t"), t)
    assert df.mean("y") == pytest.approx((x * 2 + 1).mean(), rel=1e-12)


# Categoricals: export_hdf5 writes a stored categorical whose record batches share one
# dictionary as vaex writes dictionary-encoded columns; vaex must see a dictionary-encoded
# column with the same labels and values. Missing values are missing dictionary entries
# (vaex allows no missing indices).

READ_CATEGORICAL = """
import json, sys, vaex
df = vaex.open(sys.argv[1])
out = {}
for name in df.get_column_names():
    out[name] = {"encoded": bool(df[name].dtype.is_encoded), "category": bool(df.is_category(name)),
                 "labels": list(df.category_labels(name)) if df.is_category(name) else None,
                 "values": df[name].tolist(), "missing": int(df[name].countna()),
                 "codes": df[name].index_values().tolist() if df[name].dtype.is_encoded else None}
print(json.dumps(out))
"""


def _categorical_file(path, codes, labels, batches=1):
    """An Arrow file (written by pyarrow) with categorical `c` (int32 codes into `labels`,
    None where missing) and float `x`, cut into `batches` record batches sharing one
    dictionary."""
    c = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(labels, type=pa.string()))
    table = pa.table({"c": c, "x": np.arange(len(codes), dtype=np.float64)})
    step = -(-len(codes) // batches)
    with pa.ipc.new_file(str(path), table.schema) as w:
        for lo in range(0, len(codes), step):
            w.write_batch(pa.record_batch([table["c"].combine_chunks().slice(lo, step),
                                           table["x"].combine_chunks().slice(lo, step)], schema=table.schema))
    return table


def _random_codes(rng, n, k, missing=0.1):
    codes = rng.integers(0, k, n)
    return [None if m else int(v) for v, m in zip(codes, rng.random(n) < missing)]


@pytest.mark.parametrize("batches", [1, 3])
def test_vaex_opens_categoricals_swiftframe_exports(tmp_path, batches):
    rng = np.random.default_rng(40)
    labels = [f"cat{i}é" for i in range(7)] + [""]
    codes = _random_codes(rng, N, len(labels))
    table = _categorical_file(tmp_path / "c.arrow", codes, labels, batches)
    df = sf.open(str(tmp_path / "c.arrow"))
    out = tmp_path / "c.hdf5"
    df.export_hdf5(out, batch_rows=4096)
    got = vaex(READ_CATEGORICAL, out)["c"]
    assert got["encoded"] and got["category"]
    # A missing value is a missing label appended to the dictionary.
    assert got["labels"] == labels + [None]
    assert got["values"] == table["c"].to_pylist()
    assert got["missing"] == sum(c is None for c in codes)
    assert got["codes"] == [len(labels) if c is None else c for c in codes]
    # Under a filter: the rows that pass, the same dictionary.
    x = np.arange(N, dtype=np.float64)
    keep = (x % 3) != 1
    df[df.x % 3 != 1].export_hdf5(tmp_path / "f.hdf5", batch_rows=1024)
    got = vaex(READ_CATEGORICAL, tmp_path / "f.hdf5")
    assert got["c"]["encoded"] and got["c"]["labels"] == labels + [None]
    assert got["c"]["values"] == [v for v, k in zip(table["c"].to_pylist(), keep) if k]
    assert got["x"]["values"] == x[keep].tolist()


def test_categoricals_without_missing_values_and_with_a_missing_label(tmp_path):
    rng = np.random.default_rng(41)
    # No missing value: the dictionary is written as it is.
    labels = ["b", "a", "c"]
    codes = [int(v) for v in rng.integers(0, 3, 1000)]
    table = _categorical_file(tmp_path / "c.arrow", codes, labels)
    sf.open(str(tmp_path / "c.arrow")).export_hdf5(tmp_path / "c.hdf5")
    got = vaex(READ_CATEGORICAL, tmp_path / "c.hdf5")["c"]
    assert got["labels"] == labels and got["values"] == table["c"].to_pylist() and got["missing"] == 0
    # The dictionary already has a missing label: missing rows point at it, nothing is added.
    labels = ["b", None, "a"]
    codes = _random_codes(rng, 1000, 3, missing=0.2)
    table = _categorical_file(tmp_path / "m.arrow", codes, labels)
    sf.open(str(tmp_path / "m.arrow")).export_hdf5(tmp_path / "m.hdf5")
    got = vaex(READ_CATEGORICAL, tmp_path / "m.hdf5")["c"]
    assert got["labels"] == labels
    assert got["values"] == table["c"].to_pylist()
    assert got["missing"] == sum(v is None for v in table["c"].to_pylist())
    assert got["codes"] == [1 if c is None else c for c in codes]


WRITE_CATEGORICAL = """
import sys, json, numpy as np, pyarrow as pa, vaex
codes = json.loads(sys.argv[2])
c = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(["u", "v", "w", None]))
vaex.from_arrays(c=c, x=np.arange(len(codes), dtype=np.float64)).export_hdf5(sys.argv[1])
print("{}")
"""


def test_categorical_from_vaex_goes_back_to_vaex(tmp_path):
    """vaex's own dictionary-encoded file (a missing label in its dictionary) through
    swiftframe's export_hdf5, filtered, back into vaex."""
    import json
    rng = np.random.default_rng(42)
    codes = [int(v) for v in rng.integers(0, 4, 500)]
    vaex(WRITE_CATEGORICAL, tmp_path / "v.hdf5", json.dumps(codes))
    words = ["u", "v", "w", None]
    df = sf.open(str(tmp_path / "v.hdf5"))
    df[df.x < 300].export_hdf5(tmp_path / "out.hdf5")
    got = vaex(READ_CATEGORICAL, tmp_path / "out.hdf5")["c"]
    assert got["encoded"] and got["labels"] == words
    assert got["values"] == [words[c] for c in codes[:300]]


def test_categoricals_with_different_dictionaries_are_written_as_strings(tmp_path):
    rng = np.random.default_rng(43)
    a = _random_codes(rng, 700, 3)
    b = _random_codes(rng, 500, 2)
    ta = _categorical_file(tmp_path / "a.arrow", a, ["p", "q", "r"])
    tb = _categorical_file(tmp_path / "b.arrow", b, ["r", "s"])
    df = sf.concat([sf.open(str(tmp_path / "a.arrow")), sf.open(str(tmp_path / "b.arrow"))])
    df.export_hdf5(tmp_path / "ab.hdf5")
    got = vaex(READ_CATEGORICAL, tmp_path / "ab.hdf5")["c"]
    assert not got["encoded"]
    assert got["values"] == ta["c"].to_pylist() + tb["c"].to_pylist()
