"""Benchmark: a 2-d binby count (256x256 over [-5, 5]^2), a groupby on an integer key
(1000 groups: sum(x), mean(y), count), on a string key (200 groups: count, mean(x))
and on an integer key with 10 M distinct values (count, sum(x)), over one Arrow file,
in swiftframe, vaex (its own virtual environment, .venv-vaex, in a child process),
polars and duckdb, in one run.

    .venv/bin/python bench/groups.py                 # 50 M rows
    .venv/bin/python bench/groups.py --rows 5000000  # a quicker check

Makes data/bench/groups-<rows>.arrow when absent (x, y standard normal, i in 0…999,
s one of 200 strings, u an int64 with min(rows, 10 M) distinct values scattered over
[0, 2^48); record batches of 1 M rows). Each system's runs are timed
after one warm-up; each line is the median. The results are checked against each
other (counts exactly, means to 1e-9). Not a test.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

import numpy as np

from common import clock, write_arrow

REPO = pathlib.Path(__file__).resolve().parent.parent
WORDS = [f"zone-{k:03d}" for k in range(200)]
DISTINCT = 10_000_000


def make_file(path, rows, batch_rows=1 << 20, seed=3):
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    words = pa.array(WORDS)
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()), ("i", pa.int64()), ("s", pa.string()),
                        ("u", pa.int64())])

    def batches():
        for start in range(0, rows, batch_rows):
            n = min(batch_rows, rows - start)
            # Row r's u: (r mod 10 M) times an odd constant modulo 2^48 (a bijection of
            # [0, 2^48): distinct, scattered, and within vaex's range binner's reach).
            u = (np.arange(start, start + n, dtype=np.uint64) % np.uint64(DISTINCT)) * np.uint64(0x9E3779B97F4A7C15)
            u &= np.uint64((1 << 48) - 1)
            yield pa.record_batch([rng.standard_normal(n), rng.standard_normal(n), rng.integers(0, 1000, n),
                                   words.take(pa.array(rng.integers(0, 200, n))), u.view(np.int64)], schema=schema)
    write_arrow(path, schema, batches())


def swiftframe_queries(path):
    import swiftframe as sf
    df = sf.open(path)
    return {
        "binby 256x256 count": lambda: df.count(binby=["x", "y"], limits=[[-5, 5], [-5, 5]], shape=256),
        "groupby i (1000)": lambda: df.groupby("i", agg={"sx": sf.agg.sum("x"), "my": sf.agg.mean("y"),
                                                         "n": sf.agg.count()}).to_pandas_df(),
        "groupby s (200)": lambda: df.groupby("s", agg={"n": sf.agg.count(), "mx": sf.agg.mean("x")}).to_pandas_df(),
        "groupby u (10 M)": lambda: df.groupby("u", agg={"n": sf.agg.count(), "sx": sf.agg.sum("x")}).to_pandas_df(),
    }


def polars_queries(path):
    import polars as pl
    lazy = pl.scan_ipc(str(path))

    def binby():
        cells = ((pl.col("x") + 5) / 10 * 256).floor().cast(pl.Int64), ((pl.col("y") + 5) / 10 * 256).floor().cast(pl.Int64)
        return (lazy.filter((pl.col("x") >= -5) & (pl.col("x") < 5) & (pl.col("y") >= -5) & (pl.col("y") < 5))
                .group_by(cells[0].alias("a"), cells[1].alias("b")).len().collect())
    return {
        "binby 256x256 count": binby,
        "groupby i (1000)": lambda: lazy.group_by("i").agg(pl.col("x").sum().alias("sx"), pl.col("y").mean().alias("my"),
                                                          pl.len().alias("n")).sort("i").collect(),
        "groupby s (200)": lambda: lazy.group_by("s").agg(pl.len().alias("n"), pl.col("x").mean().alias("mx"))
                                      .sort("s").collect(),
        "groupby u (10 M)": lambda: lazy.group_by("u").agg(pl.len().alias("n"), pl.col("x").sum().alias("sx"))
                                       .sort("u").collect(),
    }


def duckdb_queries(path):
    import duckdb
    import pyarrow as pa
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    con = duckdb.connect()
    con.register("t", table)
    return {
        "binby 256x256 count": lambda: con.execute(
            "select floor((x + 5) / 10 * 256) a, floor((y + 5) / 10 * 256) b, count(*) from t "
            "where x >= -5 and x < 5 and y >= -5 and y < 5 group by a, b").fetchall(),
        "groupby i (1000)": lambda: con.execute("select i, sum(x), avg(y), count(*) from t group by i order by i").fetchall(),
        "groupby s (200)": lambda: con.execute("select s, count(*), avg(x) from t group by s order by s").fetchall(),
        # numpy arrays, not Python tuples: fetchall of 10 M rows would time Python, not duckdb.
        "groupby u (10 M)": lambda: con.execute("select u, count(*) n, sum(x) sx from t group by u order by u").fetchnumpy(),
    }


VAEX_SCRIPT = """
import json, statistics, sys, time, vaex
df = vaex.open(sys.argv[1])
queries = {
    "binby 256x256 count": lambda: df.count(binby=[df.x, df.y], limits=[[-5, 5], [-5, 5]], shape=256),
    "groupby i (1000)": lambda: df.groupby("i", agg={"sx": vaex.agg.sum("x"), "my": vaex.agg.mean("y"),
                                                     "n": vaex.agg.count()}),
    "groupby s (200)": lambda: df.groupby("s", agg={"n": vaex.agg.count(), "mx": vaex.agg.mean("x")}),
    "groupby u (10 M)": lambda: df.groupby("u", agg={"n": vaex.agg.count(), "sx": vaex.agg.sum("x")}),
}
out = {}
for name, f in queries.items():
    f()
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    out[name] = statistics.median(times)
print(json.dumps(out))
"""


def vaex_times(path, repeat):
    python = os.environ.get("SWIFTFRAME_VAEX_PYTHON", str(REPO / ".venv-vaex" / "bin" / "python"))
    if not pathlib.Path(python).exists():
        return {}
    run = subprocess.run([python, "-c", VAEX_SCRIPT, str(path), str(repeat)], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"vaex failed: {run.stderr[-500:]}", file=sys.stderr)
        return {}
    return json.loads(run.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "data" / "bench")
    args = parser.parse_args(argv)
    path = args.dir / f"groups-{args.rows}.arrow"
    if path.exists():
        import pyarrow as pa
        if pa.ipc.open_file(pa.memory_map(str(path))).schema.names[-1:] != ["u"]:
            path.unlink()  # made before the distinct-key column
    if not path.exists():
        print(f"making {path} ...", flush=True)
        make_file(path, args.rows)
    print(f"file {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows)", flush=True)
    systems = {"swiftframe": swiftframe_queries(path), "polars": polars_queries(path), "duckdb": duckdb_queries(path)}
    times = {name: {} for name in systems}
    results = {}
    for name, queries in systems.items():
        for q, f in queries.items():
            results[(name, q)] = f()
            times[name][q] = statistics.median(clock(f)[1] for _ in range(args.repeat))
    times["vaex"] = vaex_times(path, args.repeat)
    # The answers must agree or the timings mean nothing.
    sf_binby = results[("swiftframe", "binby 256x256 count")]
    assert int(sf_binby.sum()) == sum(r[2] for r in results[("duckdb", "binby 256x256 count")]), "binby counts differ"
    sf_i = results[("swiftframe", "groupby i (1000)")]
    duck_i = results[("duckdb", "groupby i (1000)")]
    np.testing.assert_array_equal(sf_i["n"].to_numpy(), [r[3] for r in duck_i])
    np.testing.assert_allclose(sf_i["my"].to_numpy(), [r[2] for r in duck_i], rtol=1e-9)
    sf_s = results[("swiftframe", "groupby s (200)")]
    np.testing.assert_array_equal(sf_s["n"].to_numpy(), [r[1] for r in results[("duckdb", "groupby s (200)")]])
    sf_u, duck_u = results[("swiftframe", "groupby u (10 M)")], results[("duckdb", "groupby u (10 M)")]
    np.testing.assert_array_equal(sf_u["u"].to_numpy(), duck_u["u"])
    np.testing.assert_array_equal(sf_u["n"].to_numpy(), duck_u["n"])
    np.testing.assert_allclose(sf_u["sx"].to_numpy(), duck_u["sx"], rtol=1e-9)
    queries = list(systems["swiftframe"])
    print(f"{'query':22}" + "".join(f"{name:>14}" for name in times) + "   swiftframe / fastest peer")
    for q in queries:
        row = {name: t.get(q) for name, t in times.items()}
        peers = [t for name, t in row.items() if name != "swiftframe" and t is not None]
        cells = "".join(f"{(f'{t * 1e3:.0f} ms' if t is not None else '-'):>14}" for t in row.values())
        print(f"{q:22}{cells}   {row['swiftframe'] / min(peers):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
