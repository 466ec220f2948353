"""Running a frame's statistics on a dask.distributed cluster (DESIGN.md, "Scaling
out"). swiftframe builds no cluster of its own: with

    with sf.distributed.use(client):      # or executor=client on a call
        df.mean("x"); df.count(binby="x", limits=[0, 1]); df.groupby("k", agg="count")

every statistic, binby grid, groupby and value_counts of a frame opened from files
(`sf.open` of a file, a glob or a list) runs as dask tasks. The frame is cut into
partitions — a file, or a row range of a file — and a task receives only the
partition's paths and row range and the frame's state as JSON (virtual columns,
filter, selections), never data: the worker opens the files itself, computes the
statistics' partial states with the engine and returns them as bytes
(swiftframe.partials). The states merge in a tree, FAN_IN at a time, on the cluster,
and finish on the client, giving the results of a local run. A lost worker's tasks
are rerun by dask. Task names start with "swiftframe-<query>", so the dashboard says
which query runs; a call's `progress=` callback follows its partitions. Run
workers with one dask thread each (`nthreads=1`): the engine uses the cores.

dask and distributed are optional: pip install swiftframe[distributed]."""

import contextlib
import contextvars
import json
import os
import uuid

from ._progress import reporter

_executor = contextvars.ContextVar("swiftframe_executor", default=None)

FAN_IN = 8  # partial states merged per merge task
ROW_PARTITIONS = 4  # row ranges a frame of one file is cut into, per worker


def _require():
    try:
        import distributed
    except ImportError as e:
        raise ImportError("swiftframe.distributed needs dask and distributed, which are not installed: "
                          "pip install 'swiftframe[distributed]'") from e
    return distributed


@contextlib.contextmanager
def use(client):
    """Runs the statistics made inside the block on `client` (a distributed.Client)."""
    _require()
    if not hasattr(client, "submit") or not hasattr(client, "gather"):
        raise TypeError(f"use() takes a distributed.Client, not {type(client).__name__}")
    token = _executor.set(client)
    try:
        yield client
    finally:
        _executor.reset(token)


def current():
    """The client statistics run on now (`use`), or None for a local run."""
    return _executor.get()


@contextlib.contextmanager
def maybe(executor):
    """`use(executor)` when one is given (a call's `executor=`), else nothing."""
    if executor is None:
        yield None
    else:
        with use(executor) as client:
            yield client


# Partitions: (paths, start, stop), rows [start, stop) of the files `paths` opened as one frame.

def partitions(df, parts=None):
    """The partitions of `df`'s rows: one per file (the part of it in the frame's row
    range), a frame of one file cut into `parts` row ranges."""
    from . import io
    sources = getattr(df, "_sources", None)
    if not sources:
        raise ValueError("only a frame opened from files (sf.open) runs on a cluster: its workers open the files "
                         "themselves; this frame has no files behind it (made from arrays, or a groupby or concat "
                         "result)")
    low, high = df.state_get()["active_range"]
    out, offset = [], 0
    for path in sources:
        rows = len(io.open(path))  # maps the file and reads its footer: no data
        a, b = max(low, offset), min(high, offset + rows)
        if a < b:
            out.append(((path,), a - offset, b - offset))
        offset += rows
    if len(out) == 1 and parts and parts > 1:
        (paths, a, b), = out
        cuts = [a + (b - a) * i // parts for i in range(parts + 1)]
        out = [(paths, lo, hi) for lo, hi in zip(cuts, cuts[1:]) if lo < hi]
    return out or [((sources[0],), 0, 0)]


def _open(partition, state):
    """The frame of one partition, on a worker: its files with the client frame's state."""
    from . import io
    _bound_residency()
    paths, start, stop = partition
    df = io.open(list(paths))
    state = dict(json.loads(state), active_range=[start, stop])
    df.state_set(state, use_active_range=True)
    return df


def _bound_residency():
    """Under a dask memory limit, mapped files larger than a quarter of it release their
    pages behind each scan (SWIFTFRAME_RELEASE_BYTES, read when the engine maps its first
    file): resident memory stays bounded, so the nanny does not restart the worker for
    pages the scan has passed."""
    try:
        limit = _require().get_worker().memory_manager.memory_limit
    except (ImportError, ValueError, AttributeError):  # not on a dask worker
        return
    if limit:
        os.environ.setdefault("SWIFTFRAME_RELEASE_BYTES", str(int(limit) // 4))


def _partial(partition, state, query):
    """A worker's task: the partial states of `query` over one partition, as bytes."""
    from . import partials
    df = _open(partition, state)
    kind, args = query
    if kind == "scalar":
        return partials.aggregate(df, args)
    if kind == "binned":
        return partials.aggregate_binned(df, *args)
    return partials.groupby_prepared(df, *args)


def _merge(*blobs):
    from . import partials
    return partials.merge(blobs)


def _export(partition, state, path, column_names):
    _open(partition, state).export_arrow(path, column_names)
    return path


def _workers(client):
    return max(1, len(client.scheduler_info().get("workers", {})))


def submit(client, df, query, name):
    """One task per partition computing `query` ("scalar", requests) / ("binned",
    (requests, grid)) / ("groupby", (key texts, key names, items)): their futures."""
    state = json.dumps(df.state_get())
    token = uuid.uuid4().hex[:12]
    return [client.submit(_partial, p, state, query, key=f"swiftframe-{name}-{token}-{i}", pure=False)
            for i, p in enumerate(partitions(df, ROW_PARTITIONS * _workers(client)))]


def reduce(client, futures, name="merge", progress=None):
    """Merges the partial states of `futures` in a tree, FAN_IN at a time, on the
    cluster; returns the merged bytes. `progress` as on a local pass (True: a bar; a
    callable(fraction) called as partitions finish, returning False cancels the query
    with KeyboardInterrupt)."""
    token = uuid.uuid4().hex[:12]
    parts, level = futures, 0
    while len(futures) > 1:
        futures = [client.submit(_merge, *futures[i:i + FAN_IN], key=f"swiftframe-{name}-merge-{token}-{level}-{i}",
                                 pure=False)
                   for i in range(0, len(futures), FAN_IN)]
        level += 1
    report = reporter(progress)  # True (or sf.settings.progress): a local bar
    try:
        if report is not None:
            for done, _ in enumerate(_require().as_completed(parts), 1):
                if report(done / len(parts)) is False:
                    client.cancel(parts + futures)
                    raise KeyboardInterrupt(f"swiftframe {name} query cancelled")
    finally:
        getattr(report, "close", lambda: None)()
    return futures[0].result()


def _name(requests):
    return "-".join(sorted({kind for kind, _, _ in requests}))[:60]


def scalars(df, requests, client, progress=None):
    """sf_frame_aggregate's results of `requests`, computed on the cluster."""
    from . import partials
    blob = reduce(client, submit(client, df, ("scalar", requests), _name(requests)), _name(requests), progress)
    return partials.finish(blob, len(requests))


def binned(df, requests, grid, client, progress=None):
    """sf_frame_aggregate_binned's results of `requests` on `grid`, computed on the cluster."""
    import numpy as np
    from . import partials
    grid = (list(grid[0]), [tuple(b) for b in grid[1]], list(grid[2]))
    name = "binby-" + _name(requests)
    blob = reduce(client, submit(client, df, ("binned", (requests, grid)), name), name, progress)
    return partials.finish_binned(blob, len(requests), int(np.prod(grid[2])))


def groupby(df, by, agg, client, progress=None):
    """df.groupby(by, agg) computed on the cluster (groups merged by key)."""
    from . import groupby as grouping, partials
    args = grouping.arguments(by, agg)
    futures = submit(client, df, ("groupby", args), "groupby")
    return partials.finish_groupby(reduce(client, futures, "groupby", progress))


def export_arrow(df, folder, column_names=None, executor=None):
    """Writes `df`'s rows as a folder of Arrow IPC files, one per partition
    (part-00000.arrow, …), each written by a worker (to a temporary name renamed into
    place); returns their paths in row order. sf.open(folder + "/*.arrow") reads them
    back as one frame."""
    client = executor if executor is not None else current()
    if client is None:
        raise ValueError("export_arrow runs on a cluster: pass executor=client or use sf.distributed.use(client)")
    os.makedirs(folder, exist_ok=True)
    state = json.dumps(df.state_get())
    token = uuid.uuid4().hex[:12]
    names = list(column_names) if column_names else None
    futures = [client.submit(_export, p, state, os.path.join(os.path.abspath(folder), f"part-{i:05d}.arrow"), names,
                             key=f"swiftframe-export-{token}-{i}", pure=False)
               for i, p in enumerate(partitions(df, ROW_PARTITIONS * _workers(client)))]
    return client.gather(futures)
