"""Benchmark: converting a CSV file to an Arrow IPC file with swiftframe
(sf_csv_convert: mapped, parallel blocks, record batches streamed to disk)
against pyarrow (pyarrow.csv.read_csv, then writing the table as an Arrow IPC
file) and polars (scan_csv(...).sink_ipc, its streaming engine; read_csv +
write_ipc when sink_ipc is missing), when installed.

    SWIFTFRAME_LIB=.build/release/libswiftframe.so .venv/bin/python bench/csv_convert.py            # ~1 GB
    SWIFTFRAME_LIB=.build/release/libswiftframe.so .venv/bin/python bench/csv_convert.py --mb 100   # quicker

Makes data/bench/csv-<mb>mb.csv when absent: int64, float64 (6 decimals and
exponents), bool, a short string, an ISO date and an ISO timestamp per row,
about 5% missing. Each tool runs `--repeat` times (default 1) on a warm page
cache; the script prints seconds, MB/s, CPU seconds, peak RSS of the process after each tool
(a lower bound for the in-memory readers) and each tool's time relative to
swiftframe's, and checks that the three outputs hold the same sums of the
numeric columns (exit 1 if not). Not a test.
"""

import argparse
import os
import pathlib
import resource
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "python"))


def generate(path, megabytes):
    import pandas as pd
    rng = np.random.default_rng(7)
    rows = 1 << 18
    target = megabytes << 20
    words = np.array(["alpha", "beta", "gamma, delta", "epsilon", 'zeta "z"', "eta", "theta", ""])
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as out:
        written = 0
        header = True
        while written < target:
            frame = pd.DataFrame({
                "id": rng.integers(0, 10**12, rows),
                "x": np.round(rng.normal(size=rows) * 1000, 6),
                "y": rng.normal(size=rows) * 10.0 ** rng.integers(-20, 20, rows),
                "flag": rng.random(rows) < 0.5,
                "name": words[rng.integers(0, len(words), rows)],
                "day": (np.datetime64("2000-01-01") + rng.integers(0, 9000, rows)).astype(str),
                "when": (np.datetime64("2000-01-01T00:00:00", "us")
                         + rng.integers(0, 9000 * 86400 * 10**6, rows)).astype(str),
            })
            for c in ("x", "flag"):
                frame[c] = frame[c].astype(object)
                frame.loc[rng.random(rows) < 0.05, c] = None
            text = frame.to_csv(index=False, header=header, lineterminator="\n")
            header = False
            out.write(text)
            written += len(text)
    tmp.rename(path)


def cpu_seconds():
    """User + system CPU time of this process and its threads (robust to a busy machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--csv", help="convert this CSV instead of a generated one")
    args = parser.parse_args()
    folder = REPO / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    src = pathlib.Path(args.csv) if args.csv else folder / f"csv-{args.mb}mb.csv"
    if not src.exists():
        t = time.perf_counter()
        generate(src, args.mb)
        print(f"generated {src} ({src.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    size_mb = src.stat().st_size / 1e6
    with open(src, "rb") as f:  # warm the page cache for every tool alike
        while f.read(64 << 20):
            pass

    import pyarrow as pa
    import pyarrow.compute as pac
    import pyarrow.csv as pacsv
    from swiftframe.csv import convert_csv

    def swiftframe_convert(out):
        convert_csv(src, out)

    def pyarrow_convert(out):
        table = pacsv.read_csv(src)
        with pa.ipc.new_file(str(out), table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 20)

    tools = [("swiftframe", swiftframe_convert), ("pyarrow", pyarrow_convert)]
    try:
        import polars as pl

        def polars_convert(out):
            lazy = pl.scan_csv(src)
            if hasattr(lazy, "sink_ipc"):
                lazy.sink_ipc(out)
            else:
                pl.read_csv(src).write_ipc(out)

        tools.append(("polars", polars_convert))
    except ImportError:
        print("polars is not installed: skipped")

    results = {}
    sums = {}
    for name, run in tools:
        out = folder / f"csv-{args.mb}mb.{name}.arrow"
        times, cpus = [], []
        for _ in range(args.repeat):
            if out.exists():
                out.unlink()
            t, c = time.perf_counter(), cpu_seconds()
            run(out)
            times.append(time.perf_counter() - t)
            cpus.append(cpu_seconds() - c)
        results[name] = min(times)
        table = pa.ipc.open_file(str(out)).read_all()
        sums[name] = (int(pac.sum(table["id"]).as_py()),
                      round(float(pac.sum(table["x"]).as_py()), 3), table.num_rows)
        print(f"{name:>10}: {results[name]:7.2f} s  {size_mb / results[name]:7.0f} MB/s  cpu {min(cpus):6.2f} s  "
              f"peak RSS so far {peak_rss_mb():6.0f} MB  rows {table.num_rows}")
        del table
        out.unlink()
    base = results["swiftframe"]
    print(f"CSV {size_mb:.0f} MB, {os.cpu_count()} cores; time relative to swiftframe: "
          + ", ".join(f"{k} {v / base:.2f}x" for k, v in results.items()))
    if len(set(sums.values())) != 1:
        print("outputs differ:", sums)
        sys.exit(1)


if __name__ == "__main__":
    main()
