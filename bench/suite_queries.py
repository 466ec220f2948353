"""The suite's queries for one system, run in that system's own child process by
bench/suite.py (vaex's in .venv-vaex):

    python bench/suite_queries.py SYSTEM REPEAT QUERIES ARROW HDF5 RIGHT CSV OUTDIR

QUERIES is a comma-separated subset of QUERIES below (the suite passes one). Prints,
as its last line, the JSON of common.measure: per query the median seconds after a warm-up, the peak
anonymous memory of the warm-up and a check answer (plain numbers and lists, compared
across systems by suite.py). Not a test.
"""

import functools
import pathlib
import sys

from common import measure

QUERIES = ["open", "sum", "mean where", "sqrt mean std", "minmax", "binby 256x256", "groupby i", "groupby s",
           "sort", "join 1000", "csv 1 GB"]
SQRT = "sqrt(x**2 + y**2)"
LIMIT, SHAPE = 5.0, 256


def cell_checksum(a, b, n):
    """One check for a 256x256 count grid given as cell indices (a along x, b along y)
    and counts: the total and the count-weighted sum of the flat cell index."""
    import numpy as np
    a, b, n = (np.asarray(v, dtype=np.float64) for v in (a, b, n))
    return [float(n.sum()), float((n * (a * SHAPE + b)).sum())]


def grid_checksum(grid):
    import numpy as np
    grid = np.asarray(grid, dtype=np.float64)
    flat = np.arange(SHAPE * SHAPE, dtype=np.float64).reshape(SHAPE, SHAPE)
    return [float(grid.sum()), float((grid * flat).sum())]


def frame_check(frame, key, columns):
    """A pandas frame's rows sorted by `key`, as [[key...], [column...]...]."""
    frame = frame.sort_values(key)
    return [frame[key].tolist()] + [[float(v) for v in frame[c]] for c in columns]


def sorted_check(x, i):
    """First and last sorted x and the sum of i over the first 1000 sorted rows."""
    return [float(x[0]), float(x[-1]), int(sum(int(v) for v in i[:1000]))]


def csv_check(out):
    import pyarrow as pa
    import pyarrow.compute as pc
    table = pa.ipc.open_file(str(out)).read_all()
    return [table.num_rows, int(pc.sum(table["id"]).as_py())]


def convert(write, out):
    """A CSV conversion query: writes `out` afresh each run (the check reads it back)."""
    def run():
        if out.exists():
            out.unlink()
        write(out)
        return out
    return run, csv_check


def swiftframe_queries(paths, wanted):
    import swiftframe as sf
    from swiftframe.csv import convert_csv
    df = sf.open(paths["arrow"])
    right = sf.open(paths["right"])

    def sqrt_stats():
        m, s = df.mean(SQRT, delay=True), df.std(SQRT, delay=True)
        df.execute()
        return [float(m.get()), float(s.get())]

    def groupby(key, agg, columns):
        return lambda: df.groupby(key, agg=agg).to_pandas_df(), lambda r: frame_check(r, key, columns)
    return {
        "open": (lambda: sf.open(paths["arrow"]), len),
        "sum": (lambda: df.sum("x"), float),
        "mean where": (lambda: df.mean("x", selection="y > 0"), float),
        "sqrt mean std": (sqrt_stats, list),
        "minmax": (lambda: df.minmax(["x", "y"]), lambda r: [float(v) for v in r.ravel()]),
        "binby 256x256": (lambda: df.count(binby=["x", "y"], limits=[[-LIMIT, LIMIT]] * 2, shape=SHAPE), grid_checksum),
        "groupby i": groupby("i", {"n": sf.agg.count(), "sx": sf.agg.sum("x"), "my": sf.agg.mean("y")}, ["n", "sx", "my"]),
        "groupby s": groupby("s", {"n": sf.agg.count(), "mx": sf.agg.mean("x")}, ["n", "mx"]),
        "sort": (lambda: df.sort("x").to_arrow_table(), lambda t: sorted_check(t["x"], t["i"].to_pylist()[:1000])),
        "join 1000": (lambda: df.join(right, left_on="i", right_on="j").sum("w"), float),
        "csv 1 GB": convert(lambda out: convert_csv(paths["csv"], out), paths["out"] / "csv.swiftframe.arrow"),
    }


def vaex_queries(paths, wanted):
    import vaex
    df = vaex.open(paths["hdf5"])
    right = vaex.open(paths["right"])

    def sqrt_stats():
        m, s = df.mean(SQRT, delay=True), df.std(SQRT, delay=True)
        df.execute()
        return [float(m.get()), float(s.get())]

    def groupby(key, agg, columns):
        return lambda: df.groupby(key, agg=agg), lambda r: frame_check(r.to_pandas_df(), key, columns)
    return {
        "open": (lambda: vaex.open(paths["hdf5"]), len),
        "sum": (lambda: df.sum("x"), float),
        "mean where": (lambda: df.mean("x", selection="y > 0"), float),
        "sqrt mean std": (sqrt_stats, list),
        "minmax": (lambda: df.minmax(["x", "y"]), lambda r: [float(v) for v in r.ravel()]),
        "binby 256x256": (lambda: df.count(binby=["x", "y"], limits=[[-LIMIT, LIMIT]] * 2, shape=SHAPE), grid_checksum),
        "groupby i": groupby("i", {"n": vaex.agg.count(), "sx": vaex.agg.sum("x"), "my": vaex.agg.mean("y")},
                             ["n", "sx", "my"]),
        "groupby s": groupby("s", {"n": vaex.agg.count(), "mx": vaex.agg.mean("x")}, ["n", "mx"]),
        "sort": (lambda: df.sort("x").to_arrow_table(), lambda t: sorted_check(t["x"], t["i"].to_pylist()[:1000])),
        "join 1000": (lambda: df.join(right, left_on="i", right_on="j").sum("w"), float),
        # vaex converts CSV through pandas chunks (from_csv(convert=)): minutes, not a peer here.
    }


def polars_queries(paths, wanted):
    import polars as pl
    scan = lambda: pl.scan_ipc(paths["arrow"])
    x, y = pl.col("x"), pl.col("y")
    r = (x ** 2 + y ** 2).sqrt()
    one = lambda *exprs: (lambda: scan().select(*exprs).collect(), lambda f: [float(v) for v in f.row(0)])
    cells = [((c + LIMIT) / (2 * LIMIT) * SHAPE).floor().cast(pl.Int64).alias(n) for c, n in ((x, "a"), (y, "b"))]
    inside = (x >= -LIMIT) & (x < LIMIT) & (y >= -LIMIT) & (y < LIMIT)

    def sink_csv(out):
        lazy = pl.scan_csv(paths["csv"])
        lazy.sink_ipc(out) if hasattr(lazy, "sink_ipc") else lazy.collect().write_ipc(out)
    return {
        "open": (lambda: scan().select(pl.len()).collect(), lambda f: int(f.item())),
        "sum": one(x.sum()),
        "mean where": (lambda: scan().filter(y > 0).select(x.mean()).collect(), lambda f: float(f.item())),
        "sqrt mean std": one(r.mean().alias("m"), r.std(ddof=0).alias("s")),
        "minmax": one(x.min().alias("a"), x.max().alias("b"), y.min().alias("c"), y.max().alias("d")),
        "binby 256x256": (lambda: scan().filter(inside).group_by(cells).len().collect(),
                          lambda f: cell_checksum(f["a"].to_list(), f["b"].to_list(), f["len"].to_list())),
        "groupby i": (lambda: scan().group_by("i").agg(pl.len().alias("n"), x.sum().alias("sx"), y.mean().alias("my"))
                      .collect(), lambda f: frame_check(f.to_pandas(), "i", ["n", "sx", "my"])),
        "groupby s": (lambda: scan().group_by("s").agg(pl.len().alias("n"), x.mean().alias("mx")).collect(),
                      lambda f: frame_check(f.to_pandas(), "s", ["n", "mx"])),
        "sort": (lambda: scan().sort("x").collect(), lambda f: sorted_check(f["x"], f["i"][:1000].to_list())),
        "join 1000": (lambda: scan().join(pl.scan_ipc(paths["right"]), left_on="i", right_on="j", how="left")
                      .select(pl.col("w").sum()).collect(), lambda f: float(f.item())),
        "csv 1 GB": convert(sink_csv, paths["out"] / "csv.polars.arrow"),
    }


def duckdb_queries(paths, wanted):
    import duckdb
    import pyarrow as pa

    def connect():
        # duckdb reads no Arrow IPC file itself: pyarrow maps it (no copy) and duckdb scans that.
        con = duckdb.connect()
        con.register("t", pa.ipc.open_file(pa.memory_map(str(paths["arrow"]))).read_all())
        return con
    con = connect()
    con.register("r", pa.ipc.open_file(pa.memory_map(str(paths["right"]))).read_all())
    one = lambda sql: (lambda: con.execute(sql).fetchone(), lambda row: [float(v) for v in row])
    sqrt = "sqrt(x * x + y * y)"
    cell = lambda c: f"floor(({c} + {LIMIT}) / {2 * LIMIT} * {SHAPE})"

    def copy_csv(out):
        reader = duckdb.connect().sql(f"select * from read_csv('{paths['csv']}')").to_arrow_reader(1 << 20)
        with pa.OSFile(str(out), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    return {
        "open": (lambda: connect().execute("select count(*) from t").fetchone(), lambda row: int(row[0])),
        "sum": one("select sum(x) from t"),
        "mean where": one("select avg(x) from t where y > 0"),
        "sqrt mean std": one(f"select avg({sqrt}), stddev_pop({sqrt}) from t"),
        "minmax": one("select min(x), max(x), min(y), max(y) from t"),
        "binby 256x256": (lambda: con.execute(
            f"select {cell('x')} a, {cell('y')} b, count(*) n from t where x >= -{LIMIT} and x < {LIMIT} "
            f"and y >= -{LIMIT} and y < {LIMIT} group by a, b").fetchnumpy(),
            lambda d: cell_checksum(d["a"], d["b"], d["n"])),
        "groupby i": (lambda: con.execute("select i, count(*) n, sum(x) sx, avg(y) my from t group by i").df(),
                      lambda f: frame_check(f, "i", ["n", "sx", "my"])),
        "groupby s": (lambda: con.execute("select s, count(*) n, avg(x) mx from t group by s").df(),
                      lambda f: frame_check(f, "s", ["n", "mx"])),
        "sort": (lambda: con.sql("select * from t order by x").to_arrow_table(),
                 lambda t: sorted_check(t["x"], t["i"][:1000].to_pylist())),
        "join 1000": one("select sum(r.w) from t left join r on t.i = r.j"),
        "csv 1 GB": convert(copy_csv, paths["out"] / "csv.duckdb.arrow"),
    }


def numpy_queries(paths, wanted):
    """numpy for the scans and the grid, pandas for groupby, sort and join: in memory,
    single-threaded; "open" is reading the file into memory. The data the `wanted`
    queries read is loaded first, so that their peaks are their own work's."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def load():
        with pa.OSFile(str(paths["arrow"])) as source:  # a copy in memory, not a mapping
            return pa.ipc.open_file(source).read_all()
    # Loaded when a query first needs it (each query runs in a process of its own).
    table = functools.cache(load)
    column = functools.cache(lambda name: table()[name].to_numpy())
    frame = functools.cache(lambda: table().to_pandas())
    right = functools.cache(lambda: pa.ipc.open_file(pa.memory_map(str(paths["right"]))).read_all().to_pandas())
    x, y = lambda: column("x"), lambda: column("y")
    for q in wanted:
        if q in ("sum", "mean where", "sqrt mean std", "minmax", "binby 256x256"):
            x(), y()
        elif q in ("groupby i", "groupby s", "sort", "join 1000"):
            frame(), right()

    def sqrt_stats():
        r = np.sqrt(x() ** 2 + y() ** 2)
        return [float(r.mean()), float(r.std())]

    def binby():
        xs, ys = x(), y()
        keep = (xs >= -LIMIT) & (xs < LIMIT) & (ys >= -LIMIT) & (ys < LIMIT)
        a = ((xs[keep] + LIMIT) / (2 * LIMIT) * SHAPE).astype(np.int64)
        b = ((ys[keep] + LIMIT) / (2 * LIMIT) * SHAPE).astype(np.int64)
        return np.bincount(a * SHAPE + b, minlength=SHAPE * SHAPE).reshape(SHAPE, SHAPE)

    def read_csv(out):
        table = pacsv.read_csv(paths["csv"])
        with pa.OSFile(str(out), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 20)
    named = lambda g, **agg: g.agg(**agg).reset_index()
    return {
        "open": (lambda: load(), lambda t: t.num_rows),
        "sum": (lambda: x().sum(), float),
        "mean where": (lambda: x()[y() > 0].mean(), float),
        "sqrt mean std": (sqrt_stats, list),
        "minmax": (lambda: [x().min(), x().max(), y().min(), y().max()], lambda r: [float(v) for v in r]),
        "binby 256x256": (binby, grid_checksum),
        "groupby i": (lambda: named(frame().groupby("i"), n=("x", "size"), sx=("x", "sum"), my=("y", "mean")),
                      lambda f: frame_check(f, "i", ["n", "sx", "my"])),
        "groupby s": (lambda: named(frame().groupby("s"), n=("x", "size"), mx=("x", "mean")),
                      lambda f: frame_check(f, "s", ["n", "mx"])),
        "sort": (lambda: frame().sort_values("x", kind="stable"),
                 lambda f: sorted_check(f["x"].to_numpy(), f["i"].to_numpy()[:1000])),
        "join 1000": (lambda: frame()[["i"]].merge(right(), left_on="i", right_on="j", how="left")["w"].sum(), float),
        "csv 1 GB": convert(read_csv, paths["out"] / "csv.pyarrow.arrow"),
    }


SYSTEMS = {"swiftframe": swiftframe_queries, "vaex": vaex_queries, "polars": polars_queries,
           "duckdb": duckdb_queries, "numpy": numpy_queries}


def main(argv):
    system, repeat, wanted = argv[0], int(argv[1]), argv[2].split(",")
    paths = dict(zip(["arrow", "hdf5", "right", "csv", "out"], map(pathlib.Path, argv[3:8])))
    queries = SYSTEMS[system](paths, wanted)
    measure({name: queries[name] for name in QUERIES if name in wanted and name in queries}, repeat)
    for out in paths["out"].glob("csv.*.arrow"):
        out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
