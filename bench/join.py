"""Benchmark: a left join of a big frame (50 M rows: int64 key, float64 x) with a
1 M-row frame (a unique int64 key, float64 y) on the key, then the sum and mean of
the right column y over the joined rows, in swiftframe, vaex, polars and duckdb, each
in its own child process (vaex in .venv-vaex) so that each one's peak anonymous memory
(RssAnon sampled every 5 ms during the warm-up run, minus what it held before) is
its own.

    .venv/bin/python bench/join.py                  # 50 M rows joined with 1 M
    .venv/bin/python bench/join.py --rows 10000000  # a quicker check

Makes data/bench/join-left-<rows>.arrow and join-right-<right>.arrow when absent
(left keys uniform in 0 … 1.25 × right, so about 80% of the left rows match; record
batches of 1 M rows). Each system is timed over --repeat runs after one warm-up; each
line is the median. The sums are checked against each other. Not a test.
"""

import argparse
import pathlib
import sys

import numpy as np

from common import run_child, vaex_python, write_arrow

REPO = pathlib.Path(__file__).resolve().parent.parent


def make_files(left, right, rows, right_rows, batch_rows=1 << 20, seed=5):
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    schema = pa.schema([("key", pa.int64()), ("x", pa.float64())])

    def batches():
        for start in range(0, rows, batch_rows):
            n = min(batch_rows, rows - start)
            yield pa.record_batch([rng.integers(0, right_rows * 5 // 4, n), rng.standard_normal(n)], schema=schema)
    if not left.exists():
        write_arrow(left, schema, batches())
    if not right.exists():
        rschema = pa.schema([("key", pa.int64()), ("y", pa.float64())])
        keys = rng.permutation(right_rows).astype(np.int64)
        write_arrow(right, rschema, [pa.record_batch([keys, rng.standard_normal(right_rows)], schema=rschema)])


# Run in a child process: argv = system, left path, right path, repeat, bench folder.
# Prints common.measure's JSON for the one query "join": seconds, peak, check [sum, mean].
CHILD = r"""
import sys
system, left, right, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, sys.argv[5])
from common import measure

if system == "swiftframe":
    import swiftframe as sf
    def query():
        df = sf.open(left).join(sf.open(right), on="key")
        return float(df.y.sum()), float(df.y.mean())
elif system == "vaex":
    import vaex
    def query():
        df = vaex.open(left).join(vaex.open(right), on="key")
        return float(df.y.sum()), float(df.y.mean())
elif system == "polars":
    import polars as pl
    def query():
        out = (pl.scan_ipc(left).join(pl.scan_ipc(right), on="key", how="left")
               .select(pl.col("y").sum().alias("s"), pl.col("y").mean().alias("m")).collect())
        return float(out["s"][0]), float(out["m"][0])
elif system == "duckdb":
    import duckdb, pyarrow as pa
    tables = [pa.ipc.open_file(pa.memory_map(p)).read_all() for p in (left, right)]
    con = duckdb.connect()
    con.register("l", tables[0])
    con.register("r", tables[1])
    def query():
        return tuple(float(v) for v in con.execute("select sum(r.y), avg(r.y) from l left join r on l.key = r.key").fetchone())
measure({"join": (query, list)}, repeat)
"""


def run(system, left, right, repeat):
    """{"seconds", "sum", "mean", "peak_anon_mb"} of one system, or None."""
    python = vaex_python(REPO) if system == "vaex" else REPO / ".venv" / "bin" / "python"
    if python is None:
        return None
    out = run_child(python, ["-c", CHILD, system, left, right, repeat, pathlib.Path(__file__).resolve().parent])
    r = (out or {}).get("join")
    if r is None or "error" in r:
        print(f"{system} failed: {r and r['error']}", file=sys.stderr)
        return None
    return {"seconds": r["seconds"], "sum": r["check"][0], "mean": r["check"][1], "peak_anon_mb": r["peak"] / 1e6}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--right-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "data" / "bench")
    args = parser.parse_args(argv)
    left = args.dir / f"join-left-{args.rows}.arrow"
    right = args.dir / f"join-right-{args.right_rows}.arrow"
    if not left.exists() or not right.exists():
        print(f"making {left.name} and {right.name} ...", flush=True)
        make_files(left, right, args.rows, args.right_rows)
    print(f"left {args.rows:,} rows ({left.stat().st_size / 1e6:.0f} MB), right {args.right_rows:,} rows", flush=True)
    results = {s: run(s, left, right, args.repeat) for s in ("swiftframe", "polars", "duckdb", "vaex")}
    ours = results["swiftframe"]
    if ours is None:
        return 1
    # The answers must agree or the timings mean nothing.
    for name, r in results.items():
        if r is not None:
            assert abs(r["sum"] - ours["sum"]) <= 1e-6 * max(1.0, abs(ours["sum"])) + 1e-3, f"{name} sum differs: {r}"
            assert abs(r["mean"] - ours["mean"]) <= 1e-9, f"{name} mean differs: {r}"
    fastest = min(r["seconds"] for n, r in results.items() if r is not None and n != "swiftframe")
    print(f"{'system':12}{'time':>12}{'peak anon':>14}{'vs swiftframe':>16}")
    for name, r in results.items():
        if r is None:
            print(f"{name:12}{'-':>12}")
            continue
        print(f"{name:12}{r['seconds'] * 1e3:>9.0f} ms{r['peak_anon_mb']:>11.0f} MB{r['seconds'] / ours['seconds']:>15.2f}x")
    print(f"swiftframe / fastest peer: {ours['seconds'] / fastest:.2f}x (CPU shared with other work: ratios, not absolutes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
