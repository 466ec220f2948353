"""Concurrent use: many Python threads (ctypes releases the GIL during each call) query
one frame, several frames, and frames being opened, filtered and given virtual columns at
the same time; every result is checked against numpy or pandas. A data race that
corrupts a result, deadlocks or crashes fails here."""

import concurrent.futures
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf

N = 150_001
THREADS = 16


def write(path, seed, batch_rows=40_000):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(N)
    x[rng.random(N) < 0.02] = np.nan
    table = pa.table({"x": x, "i": pa.array(rng.integers(-50, 50, N), mask=rng.random(N) < 0.05),
                      "s": pa.array(list(np.array(["a", "b", "Zürich", ""])[rng.integers(0, 4, N)]), pa.string())})
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=batch_rows):
            w.write_batch(batch)
    return table


def expectations(table):
    """Query name -> (function of a frame, expected result from numpy/pandas)."""
    pdf = table.to_pandas()
    x, i = pdf["x"].to_numpy(), pdf["i"].to_numpy(dtype=float)
    ok = ~np.isnan(x)
    keep = ok & (x > 0.5)
    counts, _ = np.histogram(x[ok], bins=10, range=(-2, 2))
    return {
        "sum": (lambda df: df.sum("x"), x[ok].sum()),
        "mean filtered": (lambda df: df.filter("x > 0.5").mean("x"), x[keep].mean()),
        "std of i": (lambda df: df.std("i"), np.nanstd(i)),
        "min max": (lambda df: (df.min("i"), df.max("x")), (np.nanmin(i), x[ok].max())),
        "binby": (lambda df: df.count(binby="x", limits=[-2, 2], shape=10), counts),
        "groupby": (lambda df: df.groupby("s", agg={"n": sf.agg.count()}).to_pandas_df()["n"].to_numpy(),
                    pdf.groupby("s").size().sort_index().to_numpy()),
        "evaluate": (lambda df: np.ma.getdata(df.evaluate("x * 2", 1000, 2000)), x[1000:2000] * 2),
        "length": (lambda df: len(df.filter("i > 0")), int((pdf["i"] > 0).sum())),
        "selection": (lambda df: df.count("x", selection="s == 'a'"), int((ok & (pdf["s"] == "a")).sum())),
    }


def check(got, want):
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-9)
    else:
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=1e-9)


def run_all(jobs):
    """Runs the callables on THREADS threads at once; re-raises the first failure."""
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for f in [pool.submit(job) for job in jobs]:
            f.result(timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("concurrency")
    return [(str(folder / f"f{k}.arrow"), write(folder / f"f{k}.arrow", seed=k)) for k in range(3)]


def test_many_threads_query_one_frame(files):
    path, table = files[0]
    df = sf.open(path)
    queries = list(expectations(table).values())

    def job(k):
        def run():
            for r in range(6):
                query, want = queries[(k + r) % len(queries)]
                check(query(df), want)
        return run
    run_all([job(k) for k in range(THREADS * 2)])


def test_many_threads_query_several_frames(files):
    frames = [(sf.open(path), expectations(table)) for path, table in files]

    def job(k):
        def run():
            for r in range(6):
                df, queries = frames[(k + r) % len(frames)]
                query, want = list(queries.values())[(k * 7 + r) % len(queries)]
                check(query(df), want)
        return run
    run_all([job(k) for k in range(THREADS * 2)])


def test_threads_open_the_same_file_and_load_its_batches_at_once(files):
    """Each thread opens its own frame of one file and the first passes load (and check)
    its record batches concurrently."""
    path, table = files[1]
    queries = expectations(table)

    def job(k):
        def run():
            df = sf.open(path)
            query, want = list(queries.values())[k % len(queries)]
            check(query(df), want)
        return run
    run_all([job(k) for k in range(THREADS * 2)])


def test_threads_add_virtual_columns_and_filters_to_one_frame(files):
    """Virtual columns added from many threads to one shared frame, each read back by its
    own thread while the others keep adding: every column computes its own values."""
    path, table = files[2]
    df = sf.open(path)
    x = table.column("x").to_numpy()
    ok = ~np.isnan(x)

    def job(k):
        def run():
            name = f"v{k}"
            df[name] = df.x * k + 1
            got = df.sum(name)
            np.testing.assert_allclose(got, (x[ok] * k + 1).sum(), rtol=1e-9)
            filtered = df.filter(f"x > {k / 10}")
            assert len(filtered) == int((x > k / 10).sum())
        return run
    run_all([job(k) for k in range(THREADS * 2)])
    assert all(f"v{k}" in df.column_names for k in range(THREADS * 2))


def test_a_pass_on_one_thread_does_not_block_others(files):
    """A slow pass (a big groupby) on one thread while others run short queries on
    another frame: all finish with the right answers."""
    path, table = files[0]
    big, small = sf.open(path), sf.open(files[1][0])
    pdf = table.to_pandas()
    want_groups = pdf.groupby(["s", "i"], dropna=False).size()
    small_queries = list(expectations(files[1][1]).values())

    def slow():
        got = big.groupby(["s", "i"], agg={"n": sf.agg.count()}).to_pandas_df()
        assert len(got) == len(want_groups) and int(got["n"].sum()) == N

    def quick(k):
        def run():
            query, want = small_queries[k % len(small_queries)]
            check(query(small), want)
        return run
    run_all([slow] + [quick(k) for k in range(THREADS * 2 - 1)])
