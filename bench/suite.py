"""The side-by-side benchmark suite of issue 8: the same queries over one taxi-like
table in swiftframe, vaex, polars, duckdb and numpy/pandas, each system in its own
child process with the page cache warm, against the machine's memory bandwidth.

    bash bench/run suite                               # 50 M rows
    bash bench/run suite --rows 10000000 --repeat 3    # quicker
    bash bench/run suite --systems swiftframe,polars --queries sum,minmax

Makes, when absent, under data/bench/: suite-<rows>.arrow (x, y float64 standard
normal; i int64 in 0…999; k int32 in 0…9; s one of 200 strings; t timestamp[us]; record
batches of 1 M rows, generated with numpy batch by batch), its vaex HDF5 copy
suite-<rows>.hdf5 (written by vaex from the Arrow file; vaex runs on it, its own format),
suite-right-1000.arrow (j a permutation of 0…999, w float64) for the join, and
csv-1024mb.csv (bench/csv_convert.py's generator) for the CSV conversion. polars,
duckdb (through pyarrow's zero-copy mapping) and swiftframe read the Arrow file;
numpy/pandas read it into memory, and are skipped when it would not fit.

Each system runs each query in a process of its own: one warm-up run (its peak anonymous memory, RssAnon above the
level before, is reported), then the median of --repeat runs. The answers are checked
against swiftframe's (relative 1e-6): a mismatch is printed and marks the cell "WRONG".
A STREAM-like loop (bench/stream.c, gcc -O3 -march=native -fopenmp, the best of 50 passes
on one thread and on all cores) reading a buffer as large as the x column (at least
64 MB) gives the bandwidth limit; the scans' "vs bandwidth" is swiftframe's time over
(bytes of the columns read / bandwidth). Prints one table and
writes it to data/bench/suite-<rows>.md and .json. Not a test.
"""

import argparse
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np

from common import format_table, run_child, vaex_python, write_arrow
from groups import WORDS  # the 200 strings of column s
from suite_queries import QUERIES

REPO = pathlib.Path(__file__).resolve().parent.parent
BENCH = pathlib.Path(__file__).resolve().parent
SYSTEMS = ["swiftframe", "vaex", "polars", "duckdb", "numpy"]
PEERS = ["vaex", "polars", "duckdb"]  # issue 8's "fastest peer"; numpy/pandas is shown for reference
# Bytes a scan must read, in float64 columns: its bandwidth limit.
SCAN_COLUMNS = {"sum": 1, "mean where": 2, "sqrt mean std": 2, "minmax": 2, "binby 256x256": 2}
RIGHT_ROWS = 1000


def make_table(path, rows, batch_rows=1 << 20, seed=8):
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    words = pa.array(WORDS)
    start_us = np.datetime64("2015-01-01T00:00:00", "us").astype(np.int64)
    schema = pa.schema([("x", pa.float64()), ("y", pa.float64()), ("i", pa.int64()), ("k", pa.int32()),
                        ("s", pa.string()), ("t", pa.timestamp("us"))])

    def batches():
        for first in range(0, rows, batch_rows):
            n = min(batch_rows, rows - first)
            t = start_us + rng.integers(0, 365 * 86400 * 10**6, n)
            yield pa.record_batch([rng.standard_normal(n), rng.standard_normal(n), rng.integers(0, 1000, n),
                                   rng.integers(0, 10, n, dtype=np.int32), words.take(rng.integers(0, 200, n)),
                                   pa.array(t, type=pa.timestamp("us"))], schema=schema)
    write_arrow(path, schema, batches())


def make_right(path, seed=9):
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    schema = pa.schema([("j", pa.int64()), ("w", pa.float64())])
    write_arrow(path, schema, [pa.record_batch([rng.permutation(RIGHT_ROWS).astype(np.int64),
                                                rng.standard_normal(RIGHT_ROWS)], schema=schema)])


def make_hdf5(arrow, hdf5):
    """vaex's own HDF5 copy, written by vaex from the Arrow file."""
    python = vaex_python(REPO)
    tmp = hdf5.with_name(hdf5.name + ".tmp")
    code = "import sys, vaex; vaex.open(sys.argv[1]).export_hdf5(sys.argv[2])"
    try:
        subprocess.run([str(python), "-c", code, str(arrow), str(tmp)], check=True)
        os.replace(tmp, hdf5)
    finally:
        if tmp.exists():
            tmp.unlink()


def bandwidth(doubles, out_dir):
    """{"gbps", "threads", ...} of bench/stream.c over `doubles` float64, or None."""
    binary = out_dir / "stream"
    source = BENCH / "stream.c"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        if shutil.which("gcc") is None:
            print("gcc is missing: no bandwidth limit", file=sys.stderr)
            return None
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", str(source), "-o", str(binary)], check=True)
    best = None
    # One thread and all of them: on a shared machine one busy core can make all slower.
    for threads in sorted({1, os.cpu_count() or 1}):
        done = subprocess.run([str(binary), str(doubles), "50"], capture_output=True, text=True,
                              env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
        if done.returncode == 0:
            run = json.loads(done.stdout)
            best = run if best is None or run["gbps"] > best["gbps"] else best
    return best


def find_library():
    """SWIFTFRAME_LIB when set, else the worktree's release library (built when absent)."""
    lib = pathlib.Path(os.environ.get("SWIFTFRAME_LIB", REPO / ".build" / "release" / "libswiftframe.so"))
    if not lib.exists():
        print(f"building {lib} ...", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "swiftframe"], cwd=REPO, check=True)
        lib = REPO / ".build" / "release" / "libswiftframe.so"
    return lib


def mem_available():
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))


def flat(answer):
    """A check answer (a number, a string or nested lists) as one flat list."""
    return [v for part in answer for v in flat(part)] if isinstance(answer, list) else [answer]


def agree(a, b, rtol=1e-6):
    """Whether two check answers agree: strings exactly, numbers to `rtol` (at least 1e-6 absolute)."""
    a, b = flat(a), flat(b)
    return len(a) == len(b) and all(x == y if isinstance(x, str) or isinstance(y, str)
                                    else abs(x - y) <= rtol * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


def warm(path):
    with open(path, "rb") as f:
        while f.read(64 << 20):
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated, of " + ",".join(SYSTEMS))
    parser.add_argument("--queries", default=",".join(QUERIES), help="comma-separated, of " + ",".join(QUERIES))
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "data" / "bench")
    args = parser.parse_args(argv)
    systems = [s for s in SYSTEMS if s in args.systems.split(",")]
    queries = [q for q in QUERIES if q in args.queries.split(",")]
    unknown = set(args.systems.split(",")) - set(SYSTEMS) | set(args.queries.split(",")) - set(QUERIES)
    if unknown:
        parser.error(f"unknown systems or queries: {sorted(unknown)}")
    folder = args.dir
    paths = {"arrow": folder / f"suite-{args.rows}.arrow", "hdf5": folder / f"suite-{args.rows}.hdf5",
             "right": folder / f"suite-right-{RIGHT_ROWS}.arrow", "csv": folder / "csv-1024mb.csv", "out": folder}
    if not paths["arrow"].exists():
        print(f"making {paths['arrow']} ...", flush=True)
        make_table(paths["arrow"], args.rows)
    if not paths["right"].exists():
        make_right(paths["right"])
    if "vaex" in systems and vaex_python(REPO) is None:
        print("vaex skipped: no .venv-vaex", flush=True)
        systems.remove("vaex")
    if "vaex" in systems and not paths["hdf5"].exists():
        print(f"making {paths['hdf5']} (vaex) ...", flush=True)
        make_hdf5(paths["arrow"], paths["hdf5"])
    if "csv 1 GB" in queries and not paths["csv"].exists():
        from csv_convert import generate
        print(f"making {paths['csv']} ...", flush=True)
        generate(paths["csv"], 1024)
    notes = []
    size = paths["arrow"].stat().st_size
    if "numpy" in systems and 4 * size > mem_available():
        notes.append(f"numpy/pandas skipped: 4 x the {size / 1e9:.1f} GB file exceeds the memory available")
        systems.remove("numpy")
    env = dict(os.environ, SWIFTFRAME_LIB=str(find_library()),
               PYTHONPATH=os.pathsep.join([str(REPO / "python"), str(BENCH)]))
    os.environ.update(env)  # the children inherit it
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"{paths['arrow'].name}: {args.rows:,} rows, {size / 1e9:.2f} GB; {os.cpu_count()} cores; "
          f"load average {load}", flush=True)
    results = {}
    for system in systems:
        python = vaex_python(REPO) if system == "vaex" else REPO / ".venv" / "bin" / "python"
        for path in [paths["hdf5"] if system == "vaex" else paths["arrow"], paths["right"]]:
            warm(path)
        if "csv 1 GB" in queries:
            warm(paths["csv"])
        print(f"running {system} ...", flush=True)
        results[system] = {}
        for q in queries:  # a process per query: each peak is its own, not hidden by a freed earlier one
            results[system].update(run_child(python, [BENCH / "suite_queries.py", system, args.repeat, q,
                                                      *[paths[k] for k in ("arrow", "hdf5", "right", "csv", "out")]])
                                   or {})
    # As large as the x column, as the scans see it (at least 64 MB: a tiny buffer's
    # passes are too short to time on a busy machine).
    limit = bandwidth(max(args.rows, 8 << 20), folder)
    report = tabulate(results, systems, queries, limit, args.rows, notes)
    report["machine"] = {"cores": os.cpu_count(), "load_before": load, "rows": args.rows, "repeat": args.repeat,
                         "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes")}
    with open("/proc/loadavg") as f:
        report["machine"]["load_after"] = " ".join(f.read().split()[:3])
    print(report["markdown"])
    for line in report["notes"]:
        print(line)
    stem = folder / f"suite-{args.rows}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1))
    machine = report["machine"]
    heading = (f"{args.rows:,} rows, median of {args.repeat} after a warm-up, {machine['cores']} cores, "
               f"load average {machine['load_before']} before and {machine['load_after']} after, {machine['when']}")
    stem.with_suffix(".md").write_text(heading + "\n\n" + report["markdown"] + "\n\n"
                                       + "\n".join(f"- {n}" for n in report["notes"]) + "\n")
    print(f"wrote {stem}.md and .json")
    return 1 if report["wrong"] else 0


def tabulate(results, systems, queries, limit, rows, notes):
    """The table (markdown), its figures and notes: wrong answers, failures, bandwidth."""
    wrong, notes = [], list(notes)
    for q in queries:
        reference = results.get("swiftframe", {}).get(q, {}).get("check")
        for s in systems:
            r = results.get(s, {}).get(q)
            if r is None:
                continue
            if "error" in r:
                notes.append(f"{s} {q}: failed: {r['error']}")
            elif reference is not None and not agree(r["check"], reference):
                wrong.append([s, q])
                notes.append(f"{s} {q}: answer {str(r['check'])[:200]} differs from swiftframe's {str(reference)[:200]}")
    header = ["query"] + [("numpy/pandas" if s == "numpy" else s) for s in systems] + ["sf / fastest peer", "sf / bandwidth"]
    table, figures = [], {}
    for q in queries:
        cells, seconds = [q], {}
        for s in systems:
            r = results.get(s, {}).get(q)
            if r is None or "error" in r:
                cells.append("-" if r is None else "failed")
                continue
            seconds[s] = r["seconds"]
            text = f"{r['seconds'] * 1e3:.1f} ms" if r["seconds"] < 0.1 else f"{r['seconds'] * 1e3:.0f} ms"
            cells.append(f"{text}, {r['peak'] / 2**20:.0f} MB" + (" WRONG" if [s, q] in wrong else ""))
        peers = [seconds[s] for s in PEERS if s in seconds and [s, q] not in wrong]
        mine = seconds.get("swiftframe")
        ratio = mine / min(peers) if mine is not None and peers else None
        bound = None
        if mine is not None and limit and q in SCAN_COLUMNS:
            bound = mine / (SCAN_COLUMNS[q] * 8 * rows / (limit["gbps"] * 1e9))
        cells += [f"{ratio:.2f}x" if ratio else "-", f"{bound:.1f}x" if bound else "-"]
        table.append(cells)
        figures[q] = {"seconds": seconds, "peak_bytes": {s: results[s][q]["peak"] for s in seconds},
                      "ratio_to_fastest_peer": ratio, "ratio_to_bandwidth": bound}
    if limit:
        notes.append(f"bandwidth limit: {limit['gbps']:.1f} GB/s (bench/stream.c, {limit['threads']} threads, "
                     f"reading {limit['bytes'] / 1e6:.0f} MB)")
    notes.append("cells: median time, peak anonymous memory (RssAnon above the level before) of the warm-up run; "
                 "vaex runs on its HDF5 copy, the others on the Arrow file; numpy/pandas in memory, one core")
    if "csv 1 GB" in queries:
        notes.append("csv 1 GB: CSV to an Arrow IPC file; the numpy/pandas column is pyarrow.csv.read_csv "
                     "(pandas' engine='pyarrow') then an IPC write; vaex has none (from_csv converts through "
                     "pandas chunks)")
    return {"markdown": format_table(header, table), "queries": figures, "wrong": wrong, "notes": notes,
            "bandwidth": limit, "systems": systems}


if __name__ == "__main__":
    sys.exit(main())
