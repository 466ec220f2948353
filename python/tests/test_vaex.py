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
