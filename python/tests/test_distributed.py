"""swiftframe.distributed on a dask LocalCluster (2 worker processes, one thread each,
on loopback): statistics, binby, groupby on int and string keys, value_counts and
exports of a 4-file frame (and of one file cut into row ranges) give the results of a
local run, checked against pandas too; a worker killed in the middle of a query
changes nothing (dask reruns its tasks); without dask the module says what to install."""

import json
import os
import signal
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather
import pytest

import swiftframe as sf
from swiftframe import distributed as dist, partials
from swiftframe.dataframe import _scalar

distributed = pytest.importorskip("distributed")

ROWS = 40_000  # per file
WORDS = np.array(["ant", "bée", "cat", "dög", "eel", "fox", "gnu"], dtype=object)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=50)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts")
    frames = []
    for i in range(4):
        rng = np.random.default_rng(100 + i)
        x = rng.standard_normal(ROWS) * 3 + i
        x[rng.random(ROWS) < 0.03] = np.nan
        valid = rng.random(ROWS) >= 0.05
        k = rng.integers(0, 50 + 10 * i, ROWS)  # later files have more groups
        s = WORDS[rng.integers(0, len(WORDS) - 3 + i, ROWS)]
        y = rng.standard_normal(ROWS)
        table = pa.table({"x": pa.array(x, mask=~valid), "y": y, "k": k, "s": s})
        pyarrow.feather.write_feather(table, str(folder / f"part-{i}.arrow"), compression="uncompressed",
                                      chunksize=15_000)
        frames.append(pd.DataFrame({"x": np.where(valid, x, np.nan), "y": y, "k": k, "s": s}))
    return folder, pd.concat(frames, ignore_index=True)


def _frame(folder):
    """The 4-file frame with a virtual column, a selection and a filter."""
    df = sf.open(str(folder / "*.arrow"))
    df["z"] = "x * 2 + y"
    df.select("y > 0", name="up")
    return df[df.k != 3]


def _pandas(p):
    p = p.assign(z=p.x * 2 + p.y)
    return p[p.k != 3]


STATS = ["count", "sum", "mean", "std", "var", "min", "max"]


def test_statistics_match_local_and_pandas(client, files):
    folder, p = files
    df = _frame(folder)
    e = _pandas(p)
    local = {k: getattr(df, k)("z") for k in STATS}
    local_up = df.mean("z", selection="up")
    with dist.use(client), distributed.get_task_stream(client) as stream:
        remote = {k: getattr(df, k)("z") for k in STATS}
        remote_up = df.mean("z", selection="up")
        rows = df.count()
    ran = {str(t["key"]).split("-")[1] for t in stream.data if str(t["key"]).startswith("swiftframe-")}
    assert {"count", "sum", "mean", "std", "var", "min", "max"} <= ran  # the tasks name their query
    for k in STATS:
        np.testing.assert_allclose(remote[k], local[k], rtol=1e-12, err_msg=k)
    assert remote["count"] == local["count"] == e.z.count() and rows == len(e)
    np.testing.assert_allclose(remote["sum"], e.z.sum(), rtol=1e-12)
    np.testing.assert_allclose(remote["std"], e.z.std(ddof=0), rtol=1e-9)
    assert remote["min"] == e.z.min() and remote["max"] == e.z.max()
    np.testing.assert_allclose(remote_up, local_up, rtol=1e-12)
    np.testing.assert_allclose(remote_up, e.z[e.y > 0].mean(), rtol=1e-12)
    # executor= on one call, without the context
    np.testing.assert_allclose(df.mean("x", executor=client), e.x.mean(), rtol=1e-12)


def test_binby_matches_local_and_pandas(client, files):
    folder, p = files
    df = _frame(folder)
    e = _pandas(p)
    local = df.mean("z", binby="y", limits=[-2, 2], shape=8)
    with dist.use(client):
        counts = df.count(binby=["y", "k"], limits=[[-2, 2], [0, 80]], shape=[8, 16])
        means = df.mean("z", binby="y", limits=[-2, 2], shape=8)
        spread = df.count("z", binby="y", limits="minmax", shape=4)  # limits from a distributed minmax too
    np.testing.assert_allclose(means, local, rtol=1e-12)
    expected, _, _ = np.histogram2d(e.y, e.k, bins=[8, 16], range=[[-2, 2], [0, 80]])
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(spread, df.count("z", binby="y", limits="minmax", shape=4))
    cells = np.floor((e.y + 2) / 4 * 8)
    np.testing.assert_allclose(means, [e.z[cells == c].mean() for c in range(8)], rtol=1e-12)


@pytest.mark.parametrize("key", ["k", "s"])
def test_groupby_matches_local_and_pandas(client, files, key):
    folder, p = files
    df = _frame(folder)
    agg = {"n": sf.agg.count(), "total": sf.agg.sum("z"), "m": sf.agg.mean("x"), "sd": sf.agg.std("x"),
           "up": sf.agg.count(selection="up")}
    local = df.groupby(key, agg=agg).to_pandas_df()
    remote = df.groupby(key, agg=agg, executor=client).to_pandas_df()
    pd.testing.assert_frame_equal(remote, local, rtol=1e-12)
    e = _pandas(p)
    g = e.groupby(key, sort=True)
    assert list(remote[key]) == list(g.size().index)
    np.testing.assert_array_equal(remote["n"], g.size().to_numpy())
    np.testing.assert_allclose(remote["total"], g.z.sum().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(remote["sd"], g.x.std(ddof=0).to_numpy(), rtol=1e-9)
    np.testing.assert_array_equal(remote["up"], g.y.apply(lambda v: (v > 0).sum()).to_numpy())


def test_progress_and_cancel(client, files):
    folder, p = files
    df = _frame(folder)
    seen = []
    got = df.groupby("s", agg="count", progress=seen.append, executor=client).to_pandas_df()
    np.testing.assert_array_equal(got["count"], _pandas(p).groupby("s").size().to_numpy())
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == len(dist.partitions(df))
    with pytest.raises(KeyboardInterrupt):
        df.groupby("s", agg="count", progress=lambda fraction: False, executor=client)


def test_progress_bar_on_a_cluster(client, files, capfd):
    """progress=True shows the local bar (tqdm, on stderr) as the partitions finish."""
    folder, p = files
    got = _frame(folder).sum("x", progress=True, executor=client)
    assert got == pytest.approx(_pandas(p).x.sum(), rel=1e-12)
    assert "100" in capfd.readouterr().err


def test_value_counts(client, files):
    folder, p = files
    df = _frame(folder)
    with dist.use(client):
        remote = df.value_counts("s")
    expected = _pandas(p).s.value_counts()
    assert dict(remote) == dict(expected)
    pd.testing.assert_series_equal(remote, df.value_counts("s"))


def test_one_file_cut_into_row_ranges(client, files):
    folder, p = files
    df = sf.open(str(folder / "part-2.arrow"))[1_000:39_000]
    assert len(dist.partitions(df, 8)) == 8
    e = p.iloc[2 * ROWS + 1_000:2 * ROWS + 39_000]
    with dist.use(client):
        total, groups = df.sum("y"), df.groupby("s", agg="count").to_pandas_df()
    np.testing.assert_allclose(total, e.y.sum(), rtol=1e-12)
    np.testing.assert_array_equal(groups["count"], e.groupby("s").size().to_numpy())


def test_export_per_partition(client, files, tmp_path):
    folder, p = files
    df = _frame(folder)[["k", "z", "s"]]
    paths = dist.export_arrow(df, tmp_path / "out", executor=client)
    assert [os.path.basename(q) for q in paths] == [f"part-{i:05d}.arrow" for i in range(4)]
    back = sf.open(str(tmp_path / "out" / "*.arrow")).to_pandas_df()
    e = _pandas(p)[["k", "z", "s"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, e, check_dtype=False)


def test_frames_without_files_and_without_dask(client, files, monkeypatch):
    folder, _ = files
    memory = sf.from_arrays(x=np.arange(10.0))
    with dist.use(client), pytest.raises(ValueError, match="opened from files"):
        memory.sum("x")
    with pytest.raises(ValueError, match="opened from files"):  # trimmed: no longer the files' rows
        sf.open(str(folder / "part-1.arrow"))[5:10].trim().sum("y", executor=client)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'swiftframe\[distributed\]'"):
        with dist.use(client):
            pass


def test_worker_killed_mid_query(client, files):
    folder, p = files
    df = _frame(folder)
    agg = {"n": sf.agg.count(), "m": sf.agg.mean("z")}
    expected = df.groupby("k", agg=agg).to_pandas_df()
    from swiftframe import groupby as grouping
    futures = dist.submit(client, df, ("groupby", grouping.arguments("k", agg)), "groupby")
    done, _ = distributed.wait(futures, return_when="FIRST_COMPLETED")
    holder = next(iter(client.who_has(next(iter(done))).values()))[0]
    pid = client.run(os.getpid, workers=[holder])[holder]
    os.kill(pid, signal.SIGKILL)  # its finished partial states are lost with it
    got = partials.finish_groupby(dist.reduce(client, futures)).to_pandas_df()
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    client.wait_for_workers(2, timeout=60)
    assert pid not in client.run(os.getpid).values()  # the worker did die, and its tasks were rerun


def _scan_peak(path, state):
    """On a worker: a partition's task over all of `path` (as the cluster runs it), with
    the growth of the file-backed resident memory sampled during it, in MB."""
    import threading
    import time
    def resident():
        with open("/proc/self/status") as f:
            return int([line.split()[1] for line in f if line.startswith("RssFile")][0]) >> 10
    base = resident()  # the libraries' pages
    peak, done = [base], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], resident())
            time.sleep(0.002)
    sampler = threading.Thread(target=sample)
    sampler.start()
    blob = dist._partial(((path,), 0, ROWS_BIG), state, ("scalar", [("sum", "x", None)]))
    done.set()
    sampler.join()
    return peak[0] - base, blob


ROWS_BIG = 20_000_000  # 160 MB of float64, more than a quarter of the worker's limit


def test_worker_memory_limit_bounds_resident_pages(tmp_path):
    """Under dask's memory limit (200 MB here) a worker's scan of a mapped file larger than
    a quarter of it releases the pages behind it: the file-backed resident memory during
    the scan stays far below the file (the nanny would otherwise restart the worker)."""
    x = np.random.default_rng(3).standard_normal(ROWS_BIG)
    path = str(tmp_path / "big.arrow")
    pyarrow.feather.write_feather(pa.table({"x": x}), path, compression="uncompressed")
    state = json.dumps(sf.open(path).state_get())  # on the client: the worker maps the file in the task
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       memory_limit="200MB", dashboard_address=None, silence_logs=50)
    with cluster, distributed.Client(cluster) as c:
        peak, blob = c.submit(_scan_peak, path, state).result()
    assert _scalar(partials.finish(blob, 1)[0]) == pytest.approx(x.sum(), rel=1e-9)
    assert peak < 80, f"{peak} MB of a 160 MB file resident during the scan"
