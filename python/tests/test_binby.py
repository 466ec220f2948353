"""Statistics on N-d grids (`binby=`, `limits=`, `shape=`) against numpy: each row's
cell is floor((v - low) / (high - low) * bins) per axis, kept when in [0, bins) — a
value equal to high, outside, missing or NaN falls in no cell, as in vaex — and numpy
computes each statistic over the rows of each cell, skipping NaN and missing values
(np.nan* with ddof=0). Every storage variant (missing values in the file ones),
filters, selections, 1-, 2- and 3-d grids, integer and float axes."""

import numpy as np
import pytest

import swiftframe as sf
from conftest import ALL_VARIANTS, N, Storage

STATISTICS = ["count", "sum", "mean", "std", "var", "min", "max"]


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(21)
    x = rng.standard_normal(N)
    x[rng.random(N) < 0.02] = np.nan
    x[:5] = [3.0, -3.0, 2.999999, np.inf, -np.inf]  # the high edge is outside, as vaex
    cols = {"x": x, "y": rng.standard_normal(N) * 2, "k": rng.integers(0, 7, N).astype(np.int32),
            "v": rng.standard_normal(N) * 10 + 3, "i": rng.integers(-1000, 1000, N)}
    valid = {name: rng.random(N) >= 0.08 for name in cols} if storage.is_file else None
    return storage.frame(cols, valid=valid)


def cells(ref, axes):
    """Flat cell id per row (-1: no cell) and the grid's shape, numpy-side."""
    ids = np.zeros(len(ref), dtype=np.int64)
    keep = np.ones(len(ref), dtype=bool)
    shape = []
    for name, low, high, bins in axes:
        v = ref[name].astype(np.float64)
        with np.errstate(invalid="ignore"):
            position = (v - low) / (high - low) * bins
            inside = ref.present(name) & (position >= 0) & (position < bins)
        keep &= inside
        ids = ids * bins + np.where(inside, np.floor(np.where(inside, position, 0)), 0).astype(np.int64)
        shape.append(bins)
    return np.where(keep, ids, -1), shape


def expected(ref, statistic, column, ids, shape, extra=None):
    n = int(np.prod(shape))
    values = ref[column] if column else None
    rows = ids >= 0
    if extra is not None:
        rows &= extra
    if column:
        rows &= ref.present(column)
        if values.dtype.kind == "f":
            rows &= ~np.isnan(values)
    out = np.full(n, np.nan)
    if statistic == "count":
        return np.bincount(ids[rows], minlength=n).reshape(shape)
    if statistic == "sum":
        if values.dtype.kind == "f":
            return np.bincount(ids[rows], weights=values[rows], minlength=n).reshape(shape)
        total = np.zeros(n, dtype=np.int64)
        np.add.at(total, ids[rows], values[rows])
        return total.reshape(shape)
    order = np.argsort(ids[rows], kind="stable")
    groups, starts = np.unique(ids[rows][order], return_index=True)
    for g, part in zip(groups, np.split(values[rows][order], starts[1:])):
        out[g] = {"mean": np.mean, "std": np.std, "var": np.var, "min": np.min, "max": np.max}[statistic](part)
    return out.reshape(shape)


GRIDS = [
    [("x", -3.0, 3.0, 16)],
    [("x", -3.0, 3.0, 10), ("y", -4.0, 5.0, 7)],
    [("x", -2.0, 2.0, 4), ("k", 0.0, 7.0, 7), ("y", -6.0, 6.0, 3)],
]


@pytest.mark.parametrize("statistic", STATISTICS)
@pytest.mark.parametrize("grid", range(len(GRIDS)), ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("column", ["v", "i"])
def test_statistics_on_grids(data, statistic, grid, column):
    df, ref = data
    axes = GRIDS[grid]
    ids, shape = cells(ref, axes)
    got = getattr(df, statistic)(column, binby=[a[0] for a in axes], limits=[[a[1], a[2]] for a in axes],
                                 shape=[a[3] for a in axes])
    want = expected(ref, statistic, column, ids, shape)
    assert got.shape == tuple(shape)
    if statistic == "count" or (statistic == "sum" and column == "i"):
        np.testing.assert_array_equal(got, want)  # exact
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_count_rows_selection_and_several_expressions(data):
    df, ref = data
    axes = GRIDS[1]
    ids, shape = cells(ref, axes)
    kwargs = dict(binby=["x", "y"], limits=[[a[1], a[2]] for a in axes], shape=[a[3] for a in axes])
    np.testing.assert_array_equal(df.count(**kwargs), expected(ref, "count", None, ids, shape))
    selected = ref.present("i") & (ref["i"] > 0)
    np.testing.assert_array_equal(df.count(selection="i > 0", **kwargs),
                                  expected(ref, "count", None, ids, shape, extra=selected))
    both = df.mean(["v", "v * 2"], **kwargs)
    assert both.shape == (2, *shape)
    np.testing.assert_allclose(both[1], 2 * both[0], rtol=1e-12, equal_nan=True)


def test_minmax_limits_and_default_shape(data):
    df, ref = data
    got = df.count(binby="k", limits="minmax", shape=7)
    k = ref["k"][ref.present("k")]
    lo, hi = k.min(), k.max()
    position = np.floor((k - lo) / (hi - lo) * 7)
    np.testing.assert_array_equal(got, np.bincount(position[position < 7].astype(int), minlength=7))
    assert df.count(binby="x", limits=[-1, 1]).shape == (128,)  # vaex's default shape


@pytest.mark.parametrize("kwargs, error", [
    (dict(binby="x", limits=[1, 1]), ValueError),
    (dict(binby="x", limits=[0, 1], shape=0), ValueError),
    (dict(binby=["x", "y"], limits=[[0, 1]]), ValueError),
    (dict(binby="x", limits="150%"), ValueError),
    (dict(binby="x", limits="most"), ValueError),
    (dict(binby="nope", limits=[0, 1]), NameError),
    (dict(binby="x", limits=[0, np.inf]), ValueError),
])
def test_errors(data, kwargs, error):
    df, _ = data
    with pytest.raises(error):
        df.count(**kwargs)


def test_string_axis_is_a_type_error():
    df = sf.from_arrays(s=np.array(["a", "b"], dtype=object), x=np.arange(2.0))
    with pytest.raises(TypeError):
        df.count(binby="s", limits=[0, 1])


@pytest.mark.parametrize("column", ["x", "v", "i"])
def test_percentile_approx_within_its_bound(data, column):
    df, ref = data
    values = ref[column][ref.present(column)].astype(np.float64)
    values = np.sort(values[np.isfinite(values)])  # infinities are left out, as documented
    n = len(values)
    cell = (values[-1] - values[0]) / (1 << 16)
    wanted = [0, 0.15, 1, 25, 50, 75, 99, 99.85, 100]
    got = df.percentile_approx(column, wanted)
    for q, g in zip(wanted, got):
        k = q / 100 * n
        low = values[max(0, int(np.floor(k)) - 1)]
        high = values[min(n - 1, int(np.ceil(k)))]
        assert low - cell <= g <= high + cell, (q, g, low, high)
    assert df.median_approx(column) == pytest.approx(got[4])


def test_percentage_limits(data):
    df, ref = data
    lo, hi = df.percentile_approx("y", [5, 95])
    assert df.limits_percentage("y", 90) == pytest.approx((lo, hi))
    np.testing.assert_array_equal(df.count(binby="y", limits="90%", shape=8),
                                  df.count(binby="y", limits=[lo, hi], shape=8))
    inside = df.count(binby="y", limits="90%", shape=1)[0]
    assert inside == pytest.approx(0.9 * df.count("y"), rel=0.01)


def test_limits(data):
    df, ref = data
    y = ref["y"][ref.present("y")]
    np.testing.assert_array_equal(df.limits("y"), [y.min(), y.max()])
    np.testing.assert_allclose(df.limits(["y", "k"], "minmax"), [[y.min(), y.max()],
                               [ref["k"][ref.present("k")].min(), ref["k"][ref.present("k")].max()]])
    np.testing.assert_allclose(df.limits("y", "90%"), df.percentile_approx("y", [5, 95]))
    np.testing.assert_array_equal(df.limits("y", [-1, 2]), [-1, 2])


def test_categorical_axes_bin_by_category(tmp_path):
    rng = np.random.default_rng(4)
    labels = ["b", "a", "Zürich", "c"]
    s = np.array(labels, dtype=object)[rng.integers(0, 4, 5000)]
    s[rng.random(5000) < 0.05] = None
    x = rng.standard_normal(5000)
    import pyarrow as pa
    path = tmp_path / "c.arrow"
    table = pa.table({"s": pa.array(list(s)).dictionary_encode(), "x": x, "k": rng.integers(3, 6, 5000)})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    order = df.category_labels("s")  # the dictionary's order
    got = df.count(binby="s")
    np.testing.assert_array_equal(got, [np.sum(s == w) for w in order])
    means = df.mean("x", binby=["s", "x"], limits=[None, [-5, 5]], shape=[0, 1])[:, 0]
    np.testing.assert_allclose(means, [x[s == w].mean() for w in order], rtol=1e-12)
    enc = df.ordinal_encode("s")
    np.testing.assert_array_equal(enc.count(binby="s"), [np.sum(s == w) for w in sorted(order)])
    cat = df.categorize("k", min_value=3, labels=["three", "four", "five"])
    np.testing.assert_array_equal(cat.count(binby="k"), [np.sum(table["k"].to_numpy() == v) for v in (3, 4, 5)])
