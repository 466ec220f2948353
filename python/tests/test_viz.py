"""df.viz.histogram and df.viz.heatmap: the grids the engine bins (binby) are drawn
with matplotlib; the tests save PNGs, read them back, and check the plotted data (the
Axes' step patch, the AxesImage's array and extent) against numpy's histogram and
histogram2d of the same values, over every storage variant."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import swiftframe as sf  # noqa: E402

LIMITS = [[-3.0, 3.0], [-2.0, 2.5]]


def generate(rng, n):
    x = rng.standard_normal(n)
    y = 0.5 * x + rng.standard_normal(n) * 0.8
    x[rng.random(n) < 0.02] = np.nan
    return {"x": x, "y": y, "w": rng.random(n)}


def usable(ref):
    """Rows where x and y are present and not NaN (binby leaves the others out)."""
    keep = ~np.isnan(ref["x"]) & ~np.isnan(ref["y"])
    for name in ("x", "y"):
        keep &= ref.present(name)
    return keep


@pytest.fixture
def figure():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    yield fig, ax
    plt.close(fig)


def test_heatmap_is_numpys_histogram2d(storage, rng, figure, tmp_path):
    df, ref = storage.frame(generate(rng, 20_000))
    fig, ax = figure
    image = df.viz.heatmap("x", "y", limits=LIMITS, shape=(40, 30), f="log1p", ax=ax)
    keep = usable(ref)
    counts, _, _ = np.histogram2d(ref["x"][keep], ref["y"][keep], bins=(40, 30), range=LIMITS)
    np.testing.assert_array_equal(image.get_array(), np.log1p(counts).T)  # y upwards
    assert list(image.get_extent()) == LIMITS[0] + LIMITS[1]
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    path = tmp_path / "heatmap.png"
    fig.savefig(path)
    assert matplotlib.image.imread(path).shape[:2] == (150, 200)


def test_heatmap_of_a_mean_with_a_selection(rng, figure):
    data = generate(rng, 10_000)
    df = sf.from_arrays(**data)
    _, ax = figure
    image = df.viz.heatmap(df.x, df.y, what="mean(w)", limits=LIMITS, shape=8, selection="w > 0.3", ax=ax,
                           colorbar=False)
    x, y, w = data["x"], data["y"], data["w"]
    keep = ~np.isnan(x) & (w > 0.3)
    sums, _, _ = np.histogram2d(x[keep], y[keep], bins=8, range=LIMITS, weights=w[keep])
    counts, _, _ = np.histogram2d(x[keep], y[keep], bins=8, range=LIMITS)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(image.get_array(), (sums / counts).T, rtol=1e-12)


def test_histogram_is_numpys_histogram(storage, rng, figure, tmp_path):
    df, ref = storage.frame(generate(rng, 20_000))
    fig, ax = figure
    path = tmp_path / "histogram.png"
    df.viz.histogram("x", limits=LIMITS[0], shape=25, ax=ax, hardcopy=path)
    keep = ~np.isnan(ref["x"]) & ref.present("x")
    counts, edges = np.histogram(ref["x"][keep], bins=25, range=LIMITS[0])
    values, drawn_edges, _ = ax.patches[0].get_data()
    np.testing.assert_array_equal(values, counts)
    np.testing.assert_allclose(drawn_edges, edges, rtol=1e-15)
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "count(*)"
    assert matplotlib.image.imread(path).shape[:2] == (150, 200)


def test_histogram_per_selection_with_f_and_default_limits(rng, figure):
    data = generate(rng, 5_000)
    df = sf.from_arrays(**data)
    _, ax = figure
    df.viz.histogram("y", shape=10, selection=[None, "x > 0"], f="log10", ax=ax)
    y, x = data["y"], data["x"]
    lo, hi = y.min(), y.max()
    for patch, keep in zip(ax.patches, [np.ones(len(y), bool), x > 0]):
        inside = keep & (y < hi)  # the grid's cells are [low, high): the maximum is outside
        counts, edges = np.histogram(y[inside], bins=10, range=(lo, hi))
        values, drawn, _ = patch.get_data()
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(values, np.log10(counts), rtol=1e-12)
        np.testing.assert_allclose(drawn, edges, rtol=1e-12)
    assert len(ax.get_legend().get_texts()) == 2


def test_bad_arguments(rng, figure):
    df = sf.from_arrays(**generate(rng, 100))
    _, ax = figure
    with pytest.raises(ValueError, match="statistic"):
        df.viz.histogram("x", what="median(x)", limits=[0, 1], ax=ax)
    with pytest.raises(ValueError, match="what"):
        df.viz.histogram("x", what="count", limits=[0, 1], ax=ax)
    with pytest.raises(ValueError, match="f is"):
        df.viz.heatmap("x", "y", limits=LIMITS, f="nope", ax=ax)
    with pytest.raises(NameError):
        df.viz.heatmap("x", "nope", limits=LIMITS, ax=ax)
