"""Benchmark: `mean(sqrt(x**2 + y**2))` over two float64 columns of an Arrow file,
swiftframe against numpy (in memory), polars and duckdb (on the same file,
memory-mapped), in one run.

    .venv/bin/python bench/expression.py                 # 50 M rows
    .venv/bin/python bench/expression.py --rows 5000000  # a quicker check

Makes data/bench/xy-<rows>.arrow when absent (standard normal x and y, record
batches of 1 M rows). Each system computes the same value; runs are interleaved
so drift on a shared machine hits all alike, and each line is the median. numpy
evaluates the expression as numpy does, with temporary arrays (its memory grows
with the rows: the peak is printed); swiftframe evaluates it a chunk at a time.
Not a test: a result that disagrees with numpy's exits non-zero.
"""

import argparse
import pathlib
import resource
import statistics
import sys

import numpy as np

from common import clock, write_arrow

REPO = pathlib.Path(__file__).resolve().parent.parent
EXPRESSION = "sqrt(x**2 + y**2)"


def make_file(path, rows, batch_rows=1 << 20, seed=1):
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64())])
    write_arrow(path, schema, (pa.record_batch([rng.standard_normal(n), rng.standard_normal(n)], schema=schema)
                               for n in (min(batch_rows, rows - s) for s in range(0, rows, batch_rows))))


def systems(path):
    """name -> a function computing the mean, each over the same file."""
    import pyarrow as pa
    import swiftframe as sf

    out = {}
    df = sf.open(path)
    out["swiftframe"] = lambda: df.mean(EXPRESSION)
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    x = table["x"].to_numpy()  # copies into memory: numpy's arrays
    y = table["y"].to_numpy()
    out["numpy (in memory)"] = lambda: np.sqrt(x ** 2 + y ** 2).mean()
    try:
        import polars as pl
        lazy = pl.scan_ipc(str(path))
        out["polars"] = lambda: lazy.select((pl.col("x") ** 2 + pl.col("y") ** 2).sqrt().mean()).collect().item()
    except ImportError:
        pass
    try:
        import duckdb
        con = duckdb.connect()
        con.register("t", table)  # the memory-mapped pyarrow table, no copy
        out["duckdb"] = lambda: con.execute("select avg(sqrt(x*x + y*y)) from t").fetchone()[0]
    except ImportError:
        pass
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "data" / "bench")
    args = parser.parse_args(argv)

    path = args.dir / f"xy-{args.rows}.arrow"
    if not path.exists():
        print(f"making {path} ...", flush=True)
        make_file(path, args.rows)
    print(f"file {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows); mean({EXPRESSION})", flush=True)
    runs = systems(path)
    values = {name: f() for name, f in runs.items()}  # warm up: page cache, first-touch
    times = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, f in runs.items():
            _, t = clock(f)
            times[name].append(t)
    medians = {name: statistics.median(t) for name, t in times.items()}
    best_peer = min(t for name, t in medians.items() if name != "swiftframe")
    print(f"{'system':20} {'median':>10} {'vs swiftframe':>14}")
    for name, t in sorted(medians.items(), key=lambda kv: kv[1]):
        print(f"{name:20} {t * 1e3:8.1f} ms {t / medians['swiftframe']:13.2f}x")
    print(f"swiftframe / fastest peer: {medians['swiftframe'] / best_peer:.2f}x "
          f"(below 1 is faster); peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")
    expected = values["numpy (in memory)"]
    bad = {name: v for name, v in values.items() if abs(v - expected) > 1e-9 * abs(expected)}
    if bad:
        print(f"error: results differ from numpy's {expected!r}: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
