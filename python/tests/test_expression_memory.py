"""Evaluating an expression over 50 M rows uses memory that does not grow with the
rows: `mean(sqrt(x**2 + y**2))`, a 256x256 binby count and a 1000-group groupby run in
a child process under an RLIMIT_DATA far below the size of the data, and its
anonymous memory is the same for 5 M and 50 M rows. The file repeats one block of random rows, so numpy computes the expected
mean on the block alone."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest

BLOCK = 1_000_000

SCRIPT = textwrap.dedent("""
    import resource, sys
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    import swiftframe as sf
    df = sf.open(sys.argv[1])
    r = df.mean("sqrt(x**2 + y**2)")
    s = df.sum("sqrt(x**2 + y**2)", selection="x > y")
    grid = df.count(binby=["x", "y"], limits=[[-5, 5], [-5, 5]], shape=256)
    groups = df.groupby("int64(abs(x) * 100) % 1000", agg={"n": sf.agg.count()})
    print(int(grid.sum()), int(grid[128, 128]), len(groups), int(groups["n"].sum()))
    with open("/proc/self/status") as f:
        anon = [l.split()[1] for l in f if l.startswith("RssAnon")][0]
    print(len(df), repr(float(r)), repr(float(s)), anon)
""")

BASELINE = textwrap.dedent("""
    import swiftframe as sf
    with open("/proc/self/status") as f:
        print([l.split()[1] for l in f if l.startswith("VmData")][0])
""")


@pytest.fixture(scope="module")
def block():
    rng = np.random.default_rng(50)
    return rng.standard_normal(BLOCK), rng.standard_normal(BLOCK)


def write(path, block, repeats):
    x, y = block
    batch = pa.record_batch({"x": x, "y": y})
    with pa.ipc.new_file(str(path), batch.schema) as w:
        for _ in range(repeats):
            w.write_batch(batch)


def run(path, limit):
    env = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1")  # count our memory, not arena slack
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(limit)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    grid_line, line = out.stdout.strip().splitlines()
    n, mean, total, anon = line.split()
    return int(n), float(mean), float(total), int(anon) * 1024, [int(v) for v in grid_line.split()]


def test_expression_memory_does_not_grow_with_rows(tmp_path, block):
    base = subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True)
    assert base.returncode == 0, base.stderr
    limit = int(base.stdout.split()[0]) * 1024 + (64 << 20)
    x, y = block
    r = np.sqrt(x ** 2 + y ** 2)
    expected_mean, expected_sum = r.mean(), r[x > y].sum()
    cells, _, _ = np.histogram2d(x, y, bins=256, range=[[-5, 5], [-5, 5]])  # same cells: no value on an edge
    expected_inside, expected_center = int(cells.sum()), int(cells[128, 128])
    expected_groups = len(np.unique((np.abs(x) * 100).astype(np.int64) % 1000))
    results = {}
    for repeats in (5, 50):
        path = tmp_path / f"xy{repeats}.arrow"
        write(path, block, repeats)
        assert os.path.getsize(path) > repeats * BLOCK * 16  # 800 MB of columns for 50 M rows
        results[repeats] = run(path, limit)
        if repeats == 50:
            # The limit is real: materializing one column (400 MB) under it fails.
            env = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1")  # count our memory, not arena slack
            load = SCRIPT.split("r = df.mean")[0] + "df.evaluate('x')\n"
            failed = subprocess.run([sys.executable, "-c", load, str(path), str(limit)], capture_output=True,
                                    text=True, env=env, timeout=600)
            assert failed.returncode != 0 and "MemoryError" in failed.stderr
        path.unlink()
        n, mean, total, _, (inside, center, groups, grouped) = results[repeats]
        assert n == repeats * BLOCK
        assert mean == pytest.approx(expected_mean, rel=1e-9)
        assert total == pytest.approx(expected_sum * repeats, rel=1e-9)
        assert inside == repeats * expected_inside and center == repeats * expected_center
        assert groups == expected_groups and grouped == n
    # 10x the rows, the same anonymous memory (scratch buffers per thread and chunk, grids).
    assert results[50][3] - results[5][3] < (8 << 20), results
