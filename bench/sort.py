"""Benchmark: sorting a frame by a float64 column (x standard normal with 1% NaN; y
float64 and i int64 ride along), in swiftframe, vaex (its own virtual environment,
.venv-vaex), polars and duckdb, each in a child process that also samples its
anonymous memory (RssAnon, every 5 ms) during its first run of each query to report the
peak above what it held before.

    .venv/bin/python bench/sort.py                 # 50 M rows
    .venv/bin/python bench/sort.py --rows 10000000 # a quicker check

swiftframe and vaex sort lazily: the result is a row index over the same file, so
"sort" is the argsort and the columns stay on disk; "sort + to arrow" then gathers every
column into memory, which is what polars (`sort().collect()`) and duckdb (`ORDER BY`
fetched as Arrow) do. Makes data/bench/sort-<rows>.arrow when absent (record batches of
1 M rows). Times are the median of the runs after that first one. The answers are
checked against each other (the first and last sorted x, the sum of i over the first
1000 sorted rows). Not a test.
"""

import argparse
import os
import pathlib
import sys

import numpy as np

from common import run_child, vaex_python, write_arrow

REPO = pathlib.Path(__file__).resolve().parent.parent

# Runs one system's queries in a child process (common.measure: median time after a
# warm-up, peak anonymous memory of the warm-up, a check value per query).
CHILD = r"""
import sys
path, repeat, system = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, sys.argv[4])
from common import measure

if system == "swiftframe":
    import swiftframe as sf
    df = sf.open(path)
    def check(s):
        x = s.evaluate("x", 0, 1), s.evaluate("x", len(s) - 1, len(s))
        return [float(x[0][0]), float(x[1][0]), int(s[:1000].sum("i"))]
    queries = {"sort": lambda: df.sort("x"), "sort + to arrow": lambda: df.sort("x").to_arrow_table()}
    checks = {"sort": check, "sort + to arrow": lambda t: [t["x"][0].as_py(), t["x"][-1].as_py(),
                                                            sum(t["i"][:1000].to_pylist())]}
elif system == "vaex":
    import vaex
    df = vaex.open(path)
    queries = {"sort": lambda: df.sort("x")}
    checks = {"sort": lambda s: [float(s.x.values[0]), float(s.x.values[-1]), int(s[:1000].i.sum())]}
elif system == "polars":
    import polars as pl
    queries = {"sort + to arrow": lambda: pl.scan_ipc(path).sort("x", nulls_last=True).collect()}
    checks = {"sort + to arrow": lambda t: [t["x"][0], t["x"][-1], int(t["i"][:1000].sum())]}
else:
    import duckdb, pyarrow as pa
    table = pa.ipc.open_file(pa.memory_map(path)).read_all()
    con = duckdb.connect()
    con.register("t", table)
    queries = {"sort + to arrow": lambda: con.sql("select * from t order by x nulls last").to_arrow_table()}
    checks = {"sort + to arrow": lambda t: [t["x"][0].as_py(), t["x"][-1].as_py(), sum(t["i"][:1000].to_pylist())]}

measure({name: (f, checks[name]) for name, f in queries.items()}, repeat)
"""


def make_file(path, rows, batch_rows=1 << 20, seed=5):
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()), ("i", pa.int64())])

    def batches():
        for start in range(0, rows, batch_rows):
            n = min(batch_rows, rows - start)
            x = rng.standard_normal(n)
            x[rng.random(n) < 0.01] = np.nan
            yield pa.record_batch([x, rng.standard_normal(n), rng.integers(0, 1000, n)], schema=schema)
    write_arrow(path, schema, batches())


def run(system, path, repeat):
    python = vaex_python(REPO) if system == "vaex" else sys.executable
    if python is None:
        return {}
    out = run_child(python, ["-c", CHILD, path, repeat, system, pathlib.Path(__file__).resolve().parent]) or {}
    for q, r in out.items():
        if "error" in r:
            print(f"{system} {q} failed: {r['error']}", file=sys.stderr)
    return {q: r for q, r in out.items() if "error" not in r}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "data" / "bench")
    args = parser.parse_args(argv)
    path = args.dir / f"sort-{args.rows}.arrow"
    if not path.exists():
        print(f"making {path} ...", flush=True)
        make_file(path, args.rows)
    print(f"file {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows); "
          f"{os.cpu_count()} cores, shared with whatever else runs", flush=True)
    results = {system: run(system, path, args.repeat) for system in ["swiftframe", "vaex", "polars", "duckdb"]}
    # The answers must agree or the timings mean nothing (NaN sorts last everywhere).
    reference = results["swiftframe"]["sort"]["check"]
    for system, queries in results.items():
        for q, r in queries.items():
            first, last, total = r["check"]
            last_is_nan = last is None or (isinstance(last, float) and np.isnan(last))
            assert first == reference[0] and last_is_nan and total == reference[2], (system, q, r["check"], reference)
    print(f"{'system':12}{'query':18}{'time':>10}{'peak anon':>12}   time / swiftframe's")
    for system, queries in results.items():
        for q, r in queries.items():
            mine = results["swiftframe"][q]["seconds"]
            print(f"{system:12}{q:18}{r['seconds'] * 1e3:>8.0f} ms{r['peak'] / 2**20:>9.0f} MB   "
                  f"{r['seconds'] / mine:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
