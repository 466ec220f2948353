"""minmax on grids (the last axis [min, max], as vaex), limits under selections (one
selection: its own limits, as vaex; a list: one shared grid over all rows), and
percentile_approx / median_approx with a list of percentages, binby, a list of
selections, several expressions and delay — against numpy, in every storage variant."""

import numpy as np
import pytest

import swiftframe as sf
from conftest import ALL_VARIANTS, N, Storage, assert_values

BINS = 6  # binby k over [0, 6): one cell per key


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(31)
    y = rng.standard_normal(N) * 2
    y[rng.random(N) < 0.03] = np.nan
    cols = {"y": y, "v": rng.exponential(3.0, N), "k": rng.integers(0, 7, N).astype(np.int32),
            "i": rng.integers(-500, 500, N), "h": rng.integers(-3, 4, N).astype(np.int8)}
    valid = {name: rng.random(N) >= 0.08 for name in cols} if storage.is_file else None
    df, ref = storage.frame(cols, valid=valid)
    df.select("h > 0", name="hot")
    return df, ref


def values(ref, name, where=None):
    """The finite present values of `name` (in the rows `where`)."""
    v = ref[name].astype(np.float64)
    keep = ref.present(name) & np.isfinite(v)
    return v[keep if where is None else keep & where]


def hot(ref):
    return ref.present("h") & (ref["h"] > 0)


def in_cell(ref, c):
    return ref.present("k") & (ref["k"] == c)


def test_minmax_on_a_grid(data):
    df, ref = data
    got = df.minmax("v", binby="k", limits=[0, BINS], shape=BINS)
    assert got.shape == (BINS, 2)
    for c in range(BINS):
        v = values(ref, "v", in_cell(ref, c))
        assert_values(got[c], [v.min(), v.max()])
    got = df.minmax(["v", "i"], binby="k", limits=[0, BINS], shape=BINS, selection=[None, "hot"])
    assert got.shape == (2, 2, BINS, 2)
    for s, where in enumerate([None, hot(ref)]):
        for e, name in enumerate(["v", "i"]):
            for c in range(BINS):
                rows = in_cell(ref, c) if where is None else in_cell(ref, c) & where
                v = values(ref, name, rows)
                assert_values(got[s, e, c], [v.min(), v.max()])
    empty = df.minmax("v", binby="k", limits=[10, 12], shape=2)
    assert np.isnan(empty).all()  # empty cells: NaN (vaex gives inf, -inf)


def test_minmax_scalar_shapes(data):
    df, ref = data
    assert_values(df.minmax("i"), [values(ref, "i").min(), values(ref, "i").max()])
    got = df.minmax(["i", "v"], selection=[None, "hot"])
    assert got.shape == (2, 2, 2)
    v = values(ref, "v", hot(ref))
    assert_values(got[1, 1], [v.min(), v.max()])


def test_delayed_minmax_grid_shares_the_pass(data):
    df, ref = data
    before = sf.pass_count()
    mm = df.minmax("v", binby="k", limits=[0, BINS], shape=BINS, delay=True)
    mean = df.mean("v", binby="k", limits=[0, BINS], shape=BINS, delay=True)
    df.execute()
    assert sf.pass_count() - before == 1
    for c in range(BINS):
        v = values(ref, "v", in_cell(ref, c))
        assert_values(mm.get()[c], [v.min(), v.max()])
        assert_values(mean.get()[c], v.mean())


def grid_counts(v, lo, hi, bins):
    """numpy's counts of `v` in [lo, hi) cut in `bins` (the high edge outside, as vaex)."""
    position = np.floor((v - lo) / (hi - lo) * bins)
    return np.bincount(position[(position >= 0) & (position < bins)].astype(np.int64), minlength=bins)


def test_limits_per_selection(data):
    df, ref = data
    everything, selected = values(ref, "y"), values(ref, "y", hot(ref))
    assert_values(df.limits("y", "minmax", selection=[None, "hot"]),
                  [[everything.min(), everything.max()], [selected.min(), selected.max()]])
    # one selection: the grid's limits are its own (vaex's _binner passes it to limits)
    got = df.count("y", binby="y", limits="minmax", shape=8, selection="hot")
    np.testing.assert_array_equal(got, grid_counts(selected, selected.min(), selected.max(), 8))
    # a list: one shared grid over all rows, each selection counted on it
    got = df.count("y", binby="y", limits="minmax", shape=8, selection=[None, "hot"])
    lo, hi = everything.min(), everything.max()
    np.testing.assert_array_equal(got, [grid_counts(everything, lo, hi, 8), grid_counts(selected, lo, hi, 8)])
    # percentages too: the selection's central part, or all rows' for a list
    lo, hi = df.limits("y", "90%", selection="hot")
    np.testing.assert_allclose([lo, hi], df.percentile_approx("y", [5, 95], selection="hot"))
    assert (lo, hi) == pytest.approx(np.percentile(selected, [5, 95]), abs=3 * (np.ptp(selected)) / (1 << 16))
    np.testing.assert_array_equal(df.count("y", binby="y", limits="90%", shape=8, selection="hot"),
                                  grid_counts(selected, lo, hi, 8))
    lo, hi = df.limits("y", "90%")
    np.testing.assert_array_equal(df.count("y", binby="y", limits="90%", shape=8, selection=[None, "hot"]),
                                  [grid_counts(everything, lo, hi, 8), grid_counts(selected, lo, hi, 8)])


def assert_within(got, v, q, low, high, cells):
    """`got` lies within one fine cell of the sorted values at ranks floor(q n) - 1 …
    ceil(q n) (numpy's percentile lies there too); NaN when there are no values."""
    if len(v) == 0:
        assert np.isnan(got)
        return
    v = np.sort(v)
    n = len(v)
    cell = (high - low) / cells
    k = q / 100 * n
    a, b = v[max(0, int(np.floor(k)) - 1)], v[min(n - 1, int(np.ceil(k)))]
    assert a - cell * 1.000001 <= got <= b + cell * 1.000001, (q, got, a, b, cell)


def test_percentiles_on_a_grid(data):
    df, ref = data
    wanted = [10, 50, 90]
    got = df.percentile_approx("y", wanted, binby="k", limits=[0, BINS], shape=BINS)
    assert got.shape == (3, BINS)  # vaex's order: percentages, then the grid
    everything = values(ref, "y")
    for c in range(BINS):
        for p, q in enumerate(wanted):
            assert_within(got[p, c], values(ref, "y", in_cell(ref, c)), q, everything.min(), everything.max(), 1024)
    medians = df.median_approx("y", binby="k", limits=[0, BINS], shape=BINS)
    assert_values(medians, got[1])
    finer = df.percentile_approx("y", 50, binby="k", limits=[0, BINS], shape=BINS, percentile_shape=1 << 14)
    for c in range(BINS):
        assert_within(finer[c], values(ref, "y", in_cell(ref, c)), 50, everything.min(), everything.max(), 1 << 14)


def test_percentiles_per_selection_and_expression(data):
    df, ref = data
    wanted = [0, 25, 99, 100]
    got = df.percentile_approx("v", wanted, selection=[None, "hot"])
    assert got.shape == (2, 4)
    everything = values(ref, "v")
    for s, where in enumerate([None, hot(ref)]):
        for p, q in enumerate(wanted):  # the shared fine grid spans all rows
            assert_within(got[s, p], values(ref, "v", where), q, everything.min(), everything.max(), 1 << 16)
    got = df.percentile_approx(["v", "i"], wanted, selection="hot")
    assert got.shape == (2, 4)
    for e, name in enumerate(["v", "i"]):
        selected = values(ref, name, hot(ref))
        for p, q in enumerate(wanted):
            assert_within(got[e, p], selected, q, selected.min(), selected.max(), 1 << 16)
    assert np.isnan(df.percentile_approx("v", 50, selection="h > 10", percentile_limits=[0, 1]))


def test_delayed_percentiles(data):
    df, ref = data
    at_once = df.percentile_approx("y", [5, 50], binby="k", limits=[0, BINS], shape=BINS)
    before = sf.pass_count()
    p = df.percentile_approx("y", [5, 50], binby="k", limits=[0, BINS], shape=BINS, delay=True)
    m = df.median_approx("v", delay=True)
    mean = df.mean("y", delay=True)
    assert sf.pass_count() == before and p.isPending
    df.execute()
    # round one: both percentile limits with the mean; round two: the two count grids
    assert sf.pass_count() - before == 3
    assert_values(p.get(), at_once)
    assert m.get() == df.median_approx("v")
    y = ref["y"][ref.present("y")]
    assert_values(mean.get(), y[~np.isnan(y)].mean())


def test_bad_percentile_arguments(data):
    df, _ = data
    with pytest.raises(ValueError, match="percentages"):
        df.percentile_approx("y", [50, 101])
    with pytest.raises(ValueError, match="percentile_shape"):
        df.percentile_approx("y", 50, binby=["k", "i"], shape=1024, percentile_shape=1024)
    with pytest.raises(ValueError, match="shape"):
        df.percentile_approx("y", 50, binby="k", shape=[2, 3])


VAEX_SCRIPT = """
import json, sys, numpy as np, vaex
df = vaex.open(sys.argv[1])
grid = dict(binby="k", limits=[0, 6], shape=6)
out = {
    "minmax": df.minmax("x", **grid).tolist(),
    "minmax_many": list(df.minmax(["x", "y"], **grid).shape),
    "percentiles": df.percentile_approx("x", [10, 50, 90], **grid).tolist(),
    "percentiles_many": list(df.percentile_approx(["x", "y"], [10, 90]).shape),
    "limits": df.limits("x", "minmax", selection=[None, "k > 2"]).tolist(),
    "limits_hot": df.limits("x", "minmax", selection="k > 2").tolist(),
}
print(json.dumps(out))
"""


def test_shapes_and_values_match_vaex(tmp_path):
    """vaex itself (in its own interpreter, as test_vaex.py runs it) on the same file:
    minmax on a grid exactly, percentile_approx's axis order and values within two
    cells of vaex's 1024-cell grid, limits per selection exactly."""
    import json
    import os
    import pathlib
    import subprocess
    import pyarrow as pa
    python = os.environ.get("SWIFTFRAME_VAEX_PYTHON",
                            str(pathlib.Path(__file__).resolve().parents[2] / ".venv-vaex" / "bin" / "python"))
    if not os.path.exists(python):
        pytest.fail(f"no vaex interpreter at {python}: run .ci/setup (it makes .venv-vaex)")
    rng = np.random.default_rng(40)
    n = 30_000
    table = pa.table({"x": rng.standard_normal(n), "y": rng.exponential(2.0, n), "k": rng.integers(0, 6, n)})
    path = tmp_path / "v.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    run = subprocess.run([python, "-c", VAEX_SCRIPT, str(path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    want = json.loads(run.stdout.strip().splitlines()[-1])
    df = sf.open(str(path))
    grid = dict(binby="k", limits=[0, 6], shape=6)
    assert_values(df.minmax("x", **grid), np.array(want["minmax"]))
    assert list(df.minmax(["x", "y"], **grid).shape) == want["minmax_many"]
    got = df.percentile_approx("x", [10, 50, 90], **grid)
    assert got.shape == np.array(want["percentiles"]).shape
    x = table["x"].to_numpy()
    np.testing.assert_allclose(got, want["percentiles"], rtol=0, atol=2 * np.ptp(x) / 1024)
    assert list(df.percentile_approx(["x", "y"], [10, 90]).shape) == want["percentiles_many"]
    assert_values(df.limits("x", "minmax", selection=[None, "k > 2"]), np.array(want["limits"]))
    assert_values(df.limits("x", "minmax", selection="k > 2"), np.array(want["limits_hot"]))
