"""Benchmark: a groupby over 8 Arrow files (int key, 1000 groups: count, sum(x),
mean(y)) run locally and on a dask LocalCluster of 1 and of 2 worker processes (one
dask thread each; the engine uses the cores), in one run. (Named cluster.py: a script
named distributed.py would shadow the distributed package it imports.)

    .venv/bin/python bench/cluster.py                  # 8 files of 5 M rows
    .venv/bin/python bench/cluster.py --rows 200000    # a quicker check

Makes data/bench/distributed-<rows>/part-<i>.arrow when absent (x, y standard normal,
i in 0…999; record batches of 1 M rows). Each setting is timed after one warm-up;
each line is the median. The distributed results are checked against the local one
(counts exactly, sums and means to 1e-9). On one machine the cluster shares its cores
with the local run, so this measures the overhead of tasks, partial states and merges,
not a speed-up. Not a test.
"""

import argparse
import pathlib
import statistics

import numpy as np

from common import clock, write_arrow

REPO = pathlib.Path(__file__).resolve().parent.parent
FILES = 8


def make_files(rows):
    import pyarrow as pa

    folder = REPO / "data" / "bench" / f"distributed-{rows}"
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()), ("i", pa.int64())])
    for f in range(FILES):
        path = folder / f"part-{f}.arrow"
        if path.exists():
            continue
        rng = np.random.default_rng(f)

        def batches():
            for start in range(0, rows, 1 << 20):
                n = min(1 << 20, rows - start)
                yield pa.record_batch([rng.standard_normal(n), rng.standard_normal(n), rng.integers(0, 1000, n)],
                                      schema=schema)
        write_arrow(path, schema, batches())
    return folder


def timed(run, repeat):
    run()  # warm-up: mappings, worker imports
    times, value = [], None
    for _ in range(repeat):
        value, seconds = clock(run)
        times.append(seconds)
    return value, statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows per file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import distributed

    import swiftframe as sf

    folder = make_files(args.rows)
    df = sf.open(str(folder / "*.arrow"))
    agg = {"n": sf.agg.count(), "sx": sf.agg.sum("x"), "my": sf.agg.mean("y")}

    def query(executor=None):
        return lambda: df.groupby("i", agg=agg, executor=executor).to_pandas_df()

    print(f"groupby over {FILES} files of {args.rows:,} rows (1000 groups: count, sum, mean), median of "
          f"{args.repeat}")
    local, seconds = timed(query(), args.repeat)
    print(f"  local              {seconds:8.3f} s")
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None, silence_logs=50) as cluster, \
                distributed.Client(cluster) as client:
            got, seconds = timed(query(client), args.repeat)
        np.testing.assert_array_equal(got["n"], local["n"])
        np.testing.assert_allclose(got[["sx", "my"]], local[["sx", "my"]], rtol=1e-9)
        print(f"  dask, {workers} worker{'s' if workers > 1 else ' '}    {seconds:8.3f} s")


if __name__ == "__main__":
    main()
