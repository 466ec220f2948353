"""Memory ceilings, bounded residency and files that change under an open frame.

Under an RLIMIT_DATA of the interpreter's baseline plus HEADROOM (what `prlimit --data`
sets), an aggregation, a groupby, a filtered export and a CSV conversion of files four
times larger than HEADROOM finish with numpy's answers; a query that truly needs more
(a groupby with a group per row) fails with MemoryError, not a crash. A scan of a mapped
file releases the pages behind it (madvise DONTNEED) so resident memory stays bounded.
A file truncated, rewritten or replaced after it was opened gives an error, not SIGBUS."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest

import swiftframe as sf

BLOCK = 1 << 20          # rows in the block the big files repeat
REPEATS = 24             # 24 Mi rows x 16 bytes: 384 MiB of columns
HEADROOM = 96 << 20      # what the child may allocate above its baseline
# One arena (see test_arrow_lazy.py); no Swift backtracer: under the data limit it can
# hang on a crash instead of letting the test see it.
ENV = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1", SWIFT_BACKTRACE="enable=no")


@pytest.fixture(scope="module")
def block():
    rng = np.random.default_rng(77)
    return rng.standard_normal(BLOCK), rng.integers(0, 1000, BLOCK)


@pytest.fixture(scope="module")
def big(block, tmp_path_factory):
    """An Arrow file of REPEATS record batches, each the block (x float64, k int64)."""
    path = tmp_path_factory.mktemp("ceilings") / "big.arrow"
    x, k = block
    batch = pa.record_batch({"x": x, "k": k})
    with pa.ipc.new_file(str(path), batch.schema) as w:
        for _ in range(REPEATS):
            w.write_batch(batch)
    assert os.path.getsize(path) > 4 * HEADROOM
    return path


@pytest.fixture(scope="module")
def big_csv(block, tmp_path_factory):
    """A CSV file of the block's text REPEATS times (one header)."""
    path = tmp_path_factory.mktemp("ceilings") / "big.csv"
    x, k = block
    rows = "".join(f"{a!r},{b}\n" for a, b in zip(x[:BLOCK // 4].tolist(), k[:BLOCK // 4].tolist()))
    with open(path, "w") as f:
        f.write("x,k\n")
        for _ in range(REPEATS * 4):
            f.write(rows)
    assert os.path.getsize(path) > 4 * HEADROOM
    return path


LIMITED = textwrap.dedent("""
    import json, resource, sys
    import numpy, pandas, pyarrow, swiftframe as sf  # imported before the baseline is taken
    with open("/proc/self/status") as f:
        baseline = int([l.split()[1] for l in f if l.startswith("VmData")][0]) * 1024
    limit = baseline + int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    out = {}
    exec(sys.argv[2])
    print(json.dumps(out))
""")


def limited(code, *args):
    run = subprocess.run([sys.executable, "-c", LIMITED, str(HEADROOM), textwrap.dedent(code), *map(str, args)],
                         capture_output=True, text=True, env=ENV, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_aggregation_groupby_and_filtered_export_under_a_ceiling(big, block, tmp_path):
    x, k = block
    exported = tmp_path / "low.arrow"
    got = limited("""
        df = sf.open(sys.argv[3])
        out["rows"] = len(df)
        out["sum"], out["mean"], out["max"] = float(df.sum("x")), float(df.mean("x")), float(df.max("x"))
        out["filtered"] = int(df.count(selection="k < 10"))
        g = df.groupby("k", agg={"n": sf.agg.count(), "s": sf.agg.sum("x")}).to_pandas_df()
        out["groups"], out["n"], out["s"] = len(g), g["n"].tolist(), g["s"].tolist()
        df[df.k < 500].export_arrow(sys.argv[4])
    """, big, exported)
    assert got["rows"] == REPEATS * BLOCK
    np.testing.assert_allclose(got["sum"], REPEATS * x.sum(), rtol=1e-9)
    np.testing.assert_allclose(got["mean"], x.mean(), rtol=1e-9)
    assert got["max"] == x.max()
    assert got["filtered"] == REPEATS * int((k < 10).sum())
    counts = np.bincount(k, minlength=1000)
    sums = np.bincount(k, weights=x, minlength=1000)
    assert got["groups"] == 1000
    np.testing.assert_array_equal(got["n"], REPEATS * counts)
    np.testing.assert_allclose(got["s"], REPEATS * sums, rtol=1e-9, atol=1e-6)
    with pa.ipc.open_file(str(exported)) as reader:
        back = reader.read_all()
    keep = k < 500
    assert back.num_rows == REPEATS * int(keep.sum())
    np.testing.assert_allclose(np.sum(back.column("x").to_numpy()), REPEATS * x[keep].sum(), rtol=1e-9)
    np.testing.assert_array_equal(back.column("k").to_numpy()[:int(keep.sum())], k[keep])


def test_csv_conversion_under_a_ceiling(big_csv, block, tmp_path):
    x, k = block
    quarter = slice(0, BLOCK // 4)
    target = tmp_path / "big.arrow"
    got = limited("""
        from swiftframe.csv import convert_csv
        convert_csv(sys.argv[3], sys.argv[4])
        df = sf.open(sys.argv[4])
        out["rows"], out["sum"], out["k"] = len(df), float(df.sum("x")), int(df.sum("k"))
    """, big_csv, target)
    assert got["rows"] == REPEATS * BLOCK
    np.testing.assert_allclose(got["sum"], REPEATS * 4 * x[quarter].sum(), rtol=1e-9)
    assert got["k"] == REPEATS * 4 * int(k[quarter].sum())


def test_queries_that_need_more_than_allowed_are_memory_errors(big, block):
    """Queries whose results alone need far more than the headroom: MemoryError (the
    engine checks its data-sized structures against RLIMIT_DATA before growing them,
    since a Swift allocation that fails would trap), and the process lives on to answer
    the next query. A grid of 100 M cells (800 MB of counts); a grid of 4 M cells (64 MB
    out, and per-thread states); a groupby on x and k (1 Mi x 1000 combinations)."""
    got = limited("""
        df = sf.open(sys.argv[3])
        out["errors"] = []
        for query in (lambda: df.count(binby="x", limits=[-5, 5], shape=100_000_000),
                      lambda: df.mean("x", binby="x", limits=[-5, 5], shape=4_000_000),
                      lambda: df.groupby(["x", "k"], agg={"n": sf.agg.count()})):
            try:
                query()
                out["errors"].append(None)
            except MemoryError as e:
                out["errors"].append(str(e) or "MemoryError")
        out["after"] = int(df.count(binby="x", limits=[-5, 5], shape=10).sum())
    """, big)
    assert all(got["errors"]), got["errors"]
    x = block[0]
    assert got["after"] == REPEATS * int(((x >= -5) & (x < 5)).sum())


RESIDENT = textwrap.dedent("""
    import json, sys, swiftframe as sf
    def status(key):
        with open("/proc/self/status") as f:
            return int([l.split()[1] for l in f if l.startswith(key)][0]) * 1024
    df = sf.open(sys.argv[1])
    before = status("VmHWM")
    total = float(df.sum("x")) + float(df.sum("k"))
    print(json.dumps({"growth": status("VmHWM") - before, "file": status("RssFile"), "total": total}))
""")


def resident(path, release_bytes):
    env = dict(ENV, SWIFTFRAME_RELEASE_BYTES=str(release_bytes))
    run = subprocess.run([sys.executable, "-c", RESIDENT, str(path)], capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_scans_release_the_pages_behind_them(big, block):
    """Scanning 384 MiB: with pages released behind the scan (files above
    SWIFTFRAME_RELEASE_BYTES) the peak resident memory grows by a few chunks; keeping
    them (a threshold above the file's size), by about the file."""
    x, k = block
    size = os.path.getsize(big)
    released = resident(big, 1 << 20)
    kept = resident(big, size + 1)
    for run in (released, kept):
        np.testing.assert_allclose(run["total"], REPEATS * (x.sum() + k.sum()), rtol=1e-9)
    assert released["growth"] < 64 << 20, released
    assert released["file"] < 64 << 20, released
    assert kept["file"] > size // 2, kept  # the control: without releasing, pages stay


def write(path, n, seed=0):
    table = pa.table({"x": np.random.default_rng(seed).standard_normal(n)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    return table


@pytest.mark.parametrize("change", ["truncated", "rewritten", "replaced", "removed", "grown"])
def test_a_file_changed_after_opening_is_an_error_not_a_crash(tmp_path, change):
    """Size, mtime and inode recorded at open are checked before every pass: the common
    ways a file changes under an open frame are errors (the remaining race, a change
    during a pass, is documented in the README)."""
    path = tmp_path / "f.arrow"
    table = write(path, 200_000)
    df = sf.open(str(path))
    filtered = df[df.x > 0]
    assert df.sum("x") == pytest.approx(np.sum(table.column("x").to_numpy()))
    if change == "truncated":
        os.truncate(path, 4096)
    elif change == "rewritten":  # same size, new bytes, in place
        stat = os.stat(path)
        with open(path, "r+b") as f:
            f.seek(stat.st_size // 2)
            f.write(b"\0" * 64)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    elif change == "replaced":  # a new file renamed over the path (what writers do)
        write(tmp_path / "new.arrow", 200_000, seed=1)
        os.replace(tmp_path / "new.arrow", path)
    elif change == "removed":
        os.remove(path)
    else:
        with open(path, "ab") as f:
            f.write(b"\0" * 10_000)
    for query in (lambda: df.sum("x"), lambda: filtered.count(), lambda: df.evaluate("x", 0, 10),
                  lambda: df.groupby("x > 0", agg="count"), lambda: df.unique("x > 0")):
        with pytest.raises(OSError, match="after it was opened"):
            query()
    # Opening it again works on what is there now.
    if change == "replaced":
        assert len(sf.open(str(path))) == 200_000
