"""swiftframe demo: open a memory-mapped Arrow file, add a virtual column, and
compute a few statistics, each with its time.

    bash .ci/demo                 # installs, builds, makes data/sample.arrow, runs this
    python examples/demo.py --rows 1000000 --path /tmp/small.arrow

The sample file (made once, when absent) has 5 million rows in several record
batches: x, y float64 (standard normal; y has about 1% missing values), i int64,
k int32 and flag bool.
"""

import argparse
import os
import pathlib
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_PATH = REPO / "data" / "sample.arrow"
BATCH_ROWS = 1 << 20


def make_sample(path, rows, seed=42):
    """Writes the sample file with pyarrow, batch by batch, to a temporary name
    renamed into place when complete."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()), ("i", pa.int64()),
                        ("k", pa.int32()), ("flag", pa.bool_())])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for start in range(0, rows, BATCH_ROWS):
                n = min(BATCH_ROWS, rows - start)
                y = rng.standard_normal(n)
                y_missing = rng.random(n) < 0.01
                writer.write_batch(pa.record_batch([
                    pa.array(rng.standard_normal(n)),
                    pa.array(y, mask=y_missing),
                    pa.array(rng.integers(-1_000_000, 1_000_000, n, dtype=np.int64)),
                    pa.array(rng.integers(0, 100, n, dtype=np.int32)),
                    pa.array(rng.random(n) < 0.3),
                ], schema=schema))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def timed(label, compute, repeat=1, show=None):
    """Runs `compute` `repeat` times; prints its value (or `show(value)`) and the best time."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        value = compute()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<48} {(show or format_value)(value):<44} {best * 1e3:9.1f} ms")
    return value, best


def format_value(value):
    if isinstance(value, np.ndarray):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:.9g}"
    return str(value)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=pathlib.Path, default=DEFAULT_PATH,
                        help="Arrow IPC file (made when absent; default data/sample.arrow)")
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of a newly made file")
    args = parser.parse_args(argv)

    import swiftframe as sf

    path = args.path
    if not path.exists():
        print(f"making {path} ({args.rows:,} rows) ...", flush=True)
        start = time.perf_counter()
        make_sample(path, args.rows)
        print(f"  written in {time.perf_counter() - start:.1f} s, {path.stat().st_size / 1e6:.0f} MB")

    threads = os.environ.get("SWIFTFRAME_THREADS") or f"{os.cpu_count()} (all cores)"
    print(f"swiftframe on {path} ({path.stat().st_size / 1e6:.0f} MB), threads: {threads}")
    df, _ = timed("sf.open(path)  (maps the file, reads no data)", lambda: sf.open(path),
                  show=lambda frame: "DataFrame")
    print(f"  columns {df.column_names}, {len(df):,} rows")
    r = np.sqrt(df.x ** 2 + df.y ** 2)
    df["r"] = r
    print(f"  virtual column r = {r}")
    print()
    print("statistics (each is one parallel pass over the mapped file):")
    timed("df.count()", lambda: df.count())
    timed("df.count('y')  (y not missing)", lambda: df.count("y"))
    timed("df.x.mean()", lambda: df.x.mean())
    timed("df.x.std()", lambda: df.x.std())
    timed("df.x.minmax()", lambda: df.x.minmax())
    timed("df.r.mean()  (virtual column)", lambda: df.r.mean())
    timed("df[df.y > 0].r.mean()  (filtered)", lambda: df[df.y > 0].r.mean())
    timed("df.mean('x', selection='flag & (k < 50)')", lambda: df.mean("x", selection="flag & (k < 50)"))
    timed("df.sum('i', selection='k == 7')", lambda: df.sum("i", selection="k == 7"))
    timed("df.mean(['x', 'y', 'r'])  (one pass)", lambda: df.mean(["x", "y", "r"]))
    print()

    print("the mean of x again, best of 3, against numpy on the values loaded into memory by pyarrow:")
    import pyarrow as pa
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
        x = np.concatenate([chunk.to_numpy() for chunk in table.column("x").chunks])
    ours, t_ours = timed("swiftframe  df.x.mean()  (mapped file)", lambda: df.x.mean(), repeat=3)
    theirs, t_theirs = timed("numpy       x.mean()     (in memory)", lambda: x.mean(), repeat=3)
    print(f"  relative difference {abs(ours - theirs) / abs(theirs):.1e}, "
          f"time ratio swiftframe/numpy {t_ours / t_theirs:.2f}")
    print()
    print(df.head(5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
