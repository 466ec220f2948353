"""Named selections and delayed statistics against numpy.

Selections (vaex's): `df.select(expr, name=..., mode=...)` with every mode's truth
table, `selection=True` / a name / an expression / a list (results stacked on a
leading axis) for scalar, binby and groupby statistics, select_box / select_rectangle
/ select_circle, select_nothing and has_selection, selections kept by copies,
filters, column subsets, slices and concat, and clear errors. A row is selected when
the selection is true; the selection columns here have NaN (never true in a
comparison) but no missing values; the aggregated column `v` has NaN and, in the file
variants, missing values, which every statistic skips (np.nan* with ddof=0).

Delayed statistics: `delay=True` returns a promise and `df.execute()` computes every
pending statistic in one pass (one per distinct binby grid), proved with
sf.pass_count(); a statistic made at once costs one pass of its own."""

import numpy as np
import pytest

import swiftframe as sf
from conftest import ALL_VARIANTS, N, Storage, assert_scalar, assert_values

STATISTICS = ["count", "sum", "mean", "std", "var", "min", "max"]
MODES = {"replace": lambda a, b: b, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
         "xor": lambda a, b: a ^ b, "subtract": lambda a, b: a & ~b}


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(55)
    x = rng.standard_normal(N)
    x[rng.random(N) < 0.02] = np.nan
    y = rng.standard_normal(N) * 2
    v = rng.standard_normal(N) * 10 + 3
    v[rng.random(N) < 0.03] = np.nan
    cols = {"x": x, "y": y, "k": rng.integers(0, 7, N).astype(np.int32), "v": v,
            "i": rng.integers(-1000, 1000, N)}
    valid = {"v": rng.random(N) >= 0.08, "i": rng.random(N) >= 0.08} if storage.is_file else None
    return storage.frame(cols, valid=valid)


def reference(ref, statistic, column, mask):
    """numpy's statistic of `column` over the rows of `mask` (skipping NaN and missing)."""
    if column is None:
        return np.int64(np.sum(mask))
    values = ref[column]
    rows = mask & ref.present(column)
    if values.dtype.kind == "f":
        rows &= ~np.isnan(values)
    part = values[rows]
    if statistic == "count":
        return np.int64(len(part))
    if statistic == "sum":
        return np.sum(part, dtype=np.float64 if values.dtype.kind == "f" else np.int64)
    if len(part) == 0:
        return np.float64("nan")
    return {"mean": np.mean, "std": np.std, "var": np.var, "min": np.min, "max": np.max}[statistic](part)


def truth(ref, text):
    """numpy's mask for the few boolean expressions used here (NaN compares false)."""
    with np.errstate(invalid="ignore"):
        return {"x > 0": ref["x"] > 0, "y < 1": ref["y"] < 1, "k == 3": ref["k"] == 3,
                "k >= 4": ref["k"] >= 4, "x < -0.5": ref["x"] < -0.5}[text]


def fresh(df):
    """A copy without the selections earlier tests left."""
    out = df.copy()
    for name in ("default", "hot", "t", "a", "b", "box", "c"):
        out.select_nothing(name)
    return out


# Selections in scalar statistics ----------------------------------------------------

@pytest.mark.parametrize("statistic", STATISTICS)
def test_named_selection_scalar(data, statistic):
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="hot")
    df.select(df.y < 1)  # the default selection
    for column in ("v", "i"):
        got = getattr(df, statistic)(column, selection="hot")
        assert_scalar(got, reference(ref, statistic, column, truth(ref, "x > 0")))
        got = getattr(df, statistic)(column, selection=True)
        assert_scalar(got, reference(ref, statistic, column, truth(ref, "y < 1")))
        got = getattr(df, statistic)(column, selection="k == 3")  # an expression, as before
        assert_scalar(got, reference(ref, statistic, column, truth(ref, "k == 3")))
    all_rows = np.ones(len(ref), dtype=bool)
    assert_scalar(getattr(df, statistic)("v"), reference(ref, statistic, "v", all_rows))
    assert_scalar(getattr(df, statistic)("v", selection=None), reference(ref, statistic, "v", all_rows))
    assert_scalar(getattr(df, statistic)("v", selection=False), reference(ref, statistic, "v", all_rows))


def test_count_rows_and_minmax_with_selections(data):
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="hot")
    assert df.count(selection="hot") == np.sum(truth(ref, "x > 0"))
    mask = truth(ref, "x > 0")
    assert_values(df.minmax("v", selection="hot"),
                  [reference(ref, "min", "v", mask), reference(ref, "max", "v", mask)])
    got = df.minmax(["v", "y"], selection=[None, "hot"])
    assert got.shape == (2, 2, 2)
    for s, m in enumerate([np.ones(len(ref), dtype=bool), mask]):
        for e, column in enumerate(["v", "y"]):
            assert_values(got[s, e], [reference(ref, "min", column, m), reference(ref, "max", column, m)])


# Modes --------------------------------------------------------------------------

def rows_selected(df, name, n):
    """Per row, 1 when selection `name` is true: a count binned on the row number `i`."""
    return df.count(binby="i", limits=[0, n], shape=n, selection=name)


@pytest.mark.parametrize("mode", list(MODES))
def test_mode_truth_table(mode):
    a = np.array([False, False, True, True])
    b = np.array([False, True, False, True])
    df = sf.from_arrays(a=a, b=b, i=np.arange(4))
    df.select("a", name="t")
    df.select("b", name="t", mode=mode)
    np.testing.assert_array_equal(rows_selected(df, "t", 4), MODES[mode](a, b).astype(np.int64))


@pytest.mark.parametrize("mode", list(MODES))
def test_mode_without_a_current_selection(mode):
    """vaex: and/or/xor with nothing selected take the new expression, subtract its negation."""
    b = np.array([False, True, False, True])
    df = sf.from_arrays(b=b, i=np.arange(4))
    df.select("b", name="t", mode=mode)
    want = ~b if mode == "subtract" else b
    np.testing.assert_array_equal(rows_selected(df, "t", 4), want.astype(np.int64))


@pytest.mark.parametrize("mode", list(MODES))
def test_modes_on_data(data, mode):
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="t")
    df.select("k >= 4", name="t", mode=mode)
    mask = MODES[mode](truth(ref, "x > 0"), truth(ref, "k >= 4"))
    assert df.count(selection="t") == np.sum(mask)
    assert_scalar(df.mean("v", selection="t"), reference(ref, "mean", "v", mask))
    assert df.sum("i", selection="t") == reference(ref, "sum", "i", mask)


def test_chain_of_modes(data):
    df, ref = data
    df = fresh(df)
    steps = [("x > 0", "replace"), ("y < 1", "and"), ("k == 3", "or"), ("x < -0.5", "xor"), ("k >= 4", "subtract")]
    mask = None
    for text, mode in steps:
        df.select(text, name="t", mode=mode)
        mask = truth(ref, text) if mask is None else MODES[mode](mask, truth(ref, text))
        assert df.count(selection="t") == np.sum(mask), (text, mode)
    assert_scalar(df.std("v", selection="t"), reference(ref, "std", "v", mask))


# Shapes ------------------------------------------------------------------------

def test_box_rectangle_and_circle(data):
    df, ref = data
    df = fresh(df)
    x, y = ref["x"], ref["y"]
    with np.errstate(invalid="ignore"):
        box = (x >= -1) & (x <= 0.5) & (y >= -2) & (y <= 1.5)
        circle = (x - 0.5) ** 2 + (y + 1) ** 2 <= 1.2 ** 2
    df.select_box(["x", "y"], [[0.5, -1], [-2, 1.5]], name="box")  # limits in either order
    assert df.count(selection="box") == np.sum(box)
    df.select_rectangle(df.x, df.y, [[-1, 0.5], [-2, 1.5]])
    assert df.count(selection=True) == np.sum(box)
    df.select_circle("x", "y", 0.5, -1, 1.2, name="c")
    assert df.count(selection="c") == np.sum(circle)
    assert_scalar(df.mean("v", selection="c"), reference(ref, "mean", "v", circle))
    df.select_circle("x", "y", 0.5, -1, 1.2, name="c", mode="subtract")
    assert df.count(selection="c") == 0
    df.select_box(["x"], [[-1, 0.5]], name="box", mode="and")
    assert df.count(selection="box") == np.sum(box)


def test_shape_edges_are_inclusive():
    x = np.array([0.0, 3.0, 3.0, 5.0, -1.0, 2.0])
    y = np.array([0.0, 4.0, 4.0000001, 0.0, 0.0, 2.0])
    df = sf.from_arrays(x=x, y=y)
    df.select_circle("x", "y", 0, 0, 5, name="c")  # (3, 4) and (5, 0) lie on the circle
    assert df.count(selection="c") == 5
    df.select_circle("x", "y", 0, 0, 5, name="c", inclusive=False)
    assert df.count(selection="c") == 3
    df.select_box(["x", "y"], [[0, 3], [0, 4]], name="b")
    assert df.count(selection="b") == 3


# Stacked selections -------------------------------------------------------------

def test_selection_list_stacks_scalar(data):
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="hot")
    df.select("y < 1")
    masks = [np.ones(len(ref), dtype=bool), truth(ref, "x > 0"), truth(ref, "y < 1"), truth(ref, "k == 3")]
    sels = [None, "hot", True, "k == 3"]
    before = sf.pass_count()
    got = df.mean("v", selection=sels)
    assert sf.pass_count() == before + 1
    assert got.shape == (4,)
    assert_values(got, [reference(ref, "mean", "v", m) for m in masks])
    got = df.sum(["v", "i"], selection=sels)
    assert got.shape == (4, 2)
    for s, m in enumerate(masks):
        assert_scalar(got[s, 0], reference(ref, "sum", "v", m))
        assert got[s, 1] == reference(ref, "sum", "i", m)
    assert_values(df.count(selection=[None, "hot"]), [len(ref), np.sum(masks[1])])


def binned(ref, column, mask, axes, statistic="count"):
    """numpy's statistic per cell: floor((v - low) / (high - low) * bins) in [0, bins)."""
    ids = np.zeros(len(ref), dtype=np.int64)
    keep = mask.copy()
    for name, low, high, bins in axes:
        with np.errstate(invalid="ignore"):
            position = (ref[name].astype(np.float64) - low) / (high - low) * bins
            inside = (position >= 0) & (position < bins)
        keep &= inside
        ids = ids * bins + np.where(inside, np.floor(np.where(inside, position, 0)), 0).astype(np.int64)
    shape = [a[3] for a in axes]
    cells = int(np.prod(shape))
    if column is not None:
        keep &= ref.present(column) & ~np.isnan(ref[column].astype(np.float64))
    if statistic == "count":
        return np.bincount(ids[keep], minlength=cells).reshape(shape)
    out = np.full(cells, np.nan)
    for c in np.unique(ids[keep]):
        out[c] = getattr(np, statistic)(ref[column][keep & (ids == c)])
    return out.reshape(shape)


def test_binby_with_selections(data):
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="hot")
    df.select("k >= 4", name="hot", mode="or")
    hot = truth(ref, "x > 0") | truth(ref, "k >= 4")
    axes = [("y", -4.0, 4.0, 8), ("k", 0.0, 7.0, 7)]
    kwargs = dict(binby=["y", "k"], limits=[[-4, 4], [0, 7]], shape=[8, 7])
    np.testing.assert_array_equal(df.count(selection="hot", **kwargs), binned(ref, None, hot, axes))
    np.testing.assert_allclose(df.mean("v", selection="hot", **kwargs), binned(ref, "v", hot, axes, "mean"),
                               rtol=1e-9, equal_nan=True)
    before = sf.pass_count()
    got = df.count("v", selection=[None, "hot", "k == 3"], **kwargs)
    assert sf.pass_count() == before + 1
    assert got.shape == (3, 8, 7)
    for s, m in enumerate([np.ones(len(ref), dtype=bool), hot, truth(ref, "k == 3")]):
        np.testing.assert_array_equal(got[s], binned(ref, "v", m, axes))
    got = df.max(["v", "y"], selection=[None, "hot"], **kwargs)
    assert got.shape == (2, 2, 8, 7)
    np.testing.assert_allclose(got[1, 0], binned(ref, "v", hot, axes, "max"), equal_nan=True)


def test_groupby_with_named_selection(data):
    import pandas as pd
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="hot")
    df.select("y < 1")
    out = df.groupby("k", agg={"n": sf.agg.count(selection="hot"), "m": sf.agg.mean("v", selection=True),
                               "all": sf.agg.count()}).to_pandas_df()
    frame = pd.DataFrame({"k": ref["k"], "hot": truth(ref, "x > 0"), "low": truth(ref, "y < 1"),
                          "v": np.where(ref.present("v"), ref["v"], np.nan)})
    want_n = frame[frame.hot].groupby("k").size().reindex(out.k).fillna(0).to_numpy()
    want_m = frame[frame.low].groupby("k").v.mean().reindex(out.k).to_numpy()
    np.testing.assert_array_equal(out.n.to_numpy(), want_n)
    np.testing.assert_allclose(out.m.to_numpy(), want_m, rtol=1e-9)
    np.testing.assert_array_equal(out["all"].to_numpy(), frame.groupby("k").size().reindex(out.k).to_numpy())


# Derived frames -----------------------------------------------------------------

def test_selections_survive_derivations(tmp_path):
    import pyarrow as pa
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(5000), rng.standard_normal(5000)
    path = tmp_path / "d.arrow"
    with pa.ipc.new_file(str(path), pa.schema([("x", pa.float64()), ("y", pa.float64())])) as w:
        w.write_table(pa.table({"x": x, "y": y}))
    df = sf.open(str(path))
    df.select("x > 0", name="hot")
    assert df.has_selection("hot") and not df.has_selection()
    hot = x > 0
    assert df.copy().count(selection="hot") == np.sum(hot)
    assert df[df.y > 0].count(selection="hot") == np.sum(hot & (y > 0))
    assert df[["y"]].sum("y", selection="hot") == pytest.approx(np.sum(y[hot]), rel=1e-12)
    assert df[100:900].count(selection="hot") == np.sum(hot[100:900])
    assert df[df.y > 0][10:50].count(selection="hot") == np.sum(hot[y > 0][10:50])
    both = sf.concat([df, df.copy()])
    assert both.count(selection="hot") == 2 * np.sum(hot)
    # A derived frame's selections are its own.
    other = df.copy()
    other.select("x < 0", name="hot")
    other.select_nothing("hot")
    assert not other.has_selection("hot")
    assert df.count(selection="hot") == np.sum(hot)
    assert df.get_selection("hot") == "x > 0"
    # concat keeps selections only when every frame has the same ones.
    with pytest.raises(ValueError, match="selection 'hot'"):
        sf.concat([df, other])


# Errors ---------------------------------------------------------------------

def test_errors():
    df = sf.from_arrays(x=np.arange(10.0), k=np.arange(10))
    with pytest.raises(NameError, match="no selection named 'hot'"):
        df.count(selection="hot")
    with pytest.raises(NameError, match="no selection named 'default'"):
        df.sum("x", selection=True)
    with pytest.raises(NameError, match="hot"):
        df.count(binby="x", limits=[0, 10], shape=2, selection="hot")
    with pytest.raises(NameError, match="hot"):
        df.groupby("k", agg={"n": sf.agg.count(selection="hot")})
    with pytest.raises(NameError, match="hot"):
        df.mean("x", selection=[None, "hot"])
    with pytest.raises(TypeError, match="boolean"):
        df.select("x + 1")
    with pytest.raises(SyntaxError):
        df.select("x >")
    with pytest.raises(NameError):
        df.select("nope > 1")
    with pytest.raises(ValueError, match="mode"):
        df.select("x > 1", mode="nand")
    with pytest.raises(TypeError):
        df.count(selection=3)
    with pytest.raises(ValueError):
        df.select_box(["x"], [[0, 1], [2, 3]])
    assert not df.has_selection()  # failed selects left nothing behind
    df.select("x > 4")
    df.select_nothing()
    df.select_nothing("never-made")  # no error
    assert not df.has_selection()
    with pytest.raises(NameError):
        df.count(selection=True)
    # The C layer refuses an unknown mode code and an empty name.
    from swiftframe import _native
    with pytest.raises(ValueError, match="mode"):
        _native.check(_native.lib.sf_frame_select(df._handle, b"t", b"x > 1", 9))
    with pytest.raises(ValueError, match="empty"):
        df.select("x > 1", name="")


def test_bool_column_name_is_an_expression_unless_a_selection_has_it():
    flag = np.array([True, False, True, True])
    df = sf.from_arrays(flag=flag, x=np.arange(4.0))
    assert df.count(selection="flag") == 3
    df.select("x > 2", name="flag")  # a selection of that name wins
    assert df.count(selection="flag") == 1


# Delayed statistics -----------------------------------------------------------

def test_delayed_statistics_share_one_pass(data):
    df, ref = data
    df = fresh(df)
    df.select("x > 0", name="hot")
    hot = truth(ref, "x > 0")
    everything = np.ones(len(ref), dtype=bool)
    before = sf.pass_count()
    promises = {(s, c, sel): getattr(df, s)(c, selection=sel, delay=True)
                for s in STATISTICS for c in ("v", "i") for sel in (None, "hot")}
    rows = df.count(delay=True)
    pair = df.minmax("v", selection="hot", delay=True)
    stacked = df.mean(["v", "y"], selection=[None, "hot"], delay=True)
    assert sf.pass_count() == before  # nothing ran yet
    assert all(p.isPending for p in promises.values())
    df.execute()
    assert sf.pass_count() == before + 1  # 31 statistics, one pass
    for (s, c, sel), p in promises.items():
        assert p.isFulfilled
        assert_scalar(p.get(), reference(ref, s, c, hot if sel else everything))
    assert rows.get() == len(ref)
    assert_values(pair.get(), [reference(ref, "min", "v", hot), reference(ref, "max", "v", hot)])
    assert stacked.get().shape == (2, 2)
    assert_scalar(stacked.get()[1, 1], reference(ref, "mean", "y", hot))
    assert sf.pass_count() == before + 1  # get() after execute() makes no pass
    df.execute()  # nothing pending: no pass
    assert sf.pass_count() == before + 1
    # The same statistics made at once cost one pass each.
    before = sf.pass_count()
    for s in STATISTICS:
        getattr(df, s)("v", selection="hot")
    assert sf.pass_count() == before + len(STATISTICS)


def test_delayed_binby_one_pass_per_grid(data):
    df, ref = data
    df = fresh(df)
    df.select("k >= 4", name="hot")
    hot = truth(ref, "k >= 4")
    g1 = dict(binby="y", limits=[-4, 4], shape=8)
    g2 = dict(binby=["y", "k"], limits=[[-4, 4], [0, 7]], shape=[4, 7])
    before = sf.pass_count()
    a = df.count(delay=True, **g1)
    b = df.mean("v", selection="hot", delay=True, **g1)
    c = df.sum("v", selection=[None, "hot"], delay=True, **g1)
    d = df.count("v", delay=True, **g2)
    e = df.max("v", selection="hot", delay=True, **g2)
    f = df.sum("i", delay=True)
    assert sf.pass_count() == before
    df.execute()
    assert sf.pass_count() == before + 3  # two grids and the scalar statistics
    ax1, ax2 = [("y", -4.0, 4.0, 8)], [("y", -4.0, 4.0, 4), ("k", 0.0, 7.0, 7)]
    everything = np.ones(len(ref), dtype=bool)
    np.testing.assert_array_equal(a.get(), binned(ref, None, everything, ax1))
    np.testing.assert_allclose(b.get(), binned(ref, "v", hot, ax1, "mean"), rtol=1e-9, equal_nan=True)
    assert c.get().shape == (2, 8)
    np.testing.assert_allclose(c.get()[1], np.nan_to_num(binned(ref, "v", hot, ax1, "sum")), rtol=1e-9)
    np.testing.assert_array_equal(d.get(), binned(ref, "v", everything, ax2))
    np.testing.assert_allclose(e.get(), binned(ref, "v", hot, ax2, "max"), equal_nan=True)
    assert f.get() == reference(ref, "sum", "i", everything)


def test_promise_get_then_and_errors():
    x = np.arange(100.0)
    df = sf.from_arrays(x=x)
    before = sf.pass_count()
    p = df.sum("x", delay=True)
    q = df.mean("x", delay=True)
    doubled = p.then(lambda v: 2 * v)
    assert doubled.isPending
    assert p.get() == np.sum(x)  # get() runs the frame's pending statistics
    assert sf.pass_count() == before + 1
    assert q.isFulfilled and q.get() == np.mean(x)
    assert doubled.get() == 2 * np.sum(x)
    assert p.then(lambda v: v + 1).get() == np.sum(x) + 1  # then() on a resolved promise
    # A bad statistic rejects every promise of its pass, and execute() raises.
    good = df.count(delay=True)
    bad = df.count(selection="nowhere", delay=True)
    with pytest.raises(NameError):
        df.execute()
    assert good.isRejected and bad.isRejected
    with pytest.raises(NameError):
        bad.get()
    # Pending statistics belong to their frame.
    other = df[df.x > 49]
    r = other.count(delay=True)
    s = df.count(delay=True)
    df.execute()
    assert s.get() == 100 and r.isPending
    other.execute()
    assert r.get() == 50


def test_delayed_binby_with_minmax_limits(data):
    """Delayed limits: the min and max of every axis come in the pass of the pending
    scalar statistics, then one pass per grid."""
    df, ref = data
    df = fresh(df)
    df.select("k >= 4", name="hot")
    hot = truth(ref, "k >= 4")
    everything = np.ones(len(ref), dtype=bool)
    before = sf.pass_count()
    a = df.count(binby="y", shape=10, delay=True)  # limits default to minmax
    b = df.mean("v", binby=["x", "k"], limits=["minmax", [0, 7]], shape=[6, 7], selection="hot", delay=True)
    c = df.sum("i", selection="hot", delay=True)
    assert sf.pass_count() == before
    df.execute()
    assert sf.pass_count() == before + 3  # the limits and the sum, then two grids
    y, x = ref["y"], ref["x"]
    np.testing.assert_array_equal(a.get(), binned(ref, None, everything, [("y", np.min(y), np.max(y), 10)]))
    xlo, xhi = np.nanmin(x[hot]), np.nanmax(x[hot])  # limits under the selection, as without delay
    np.testing.assert_allclose(b.get(), binned(ref, "v", hot, [("x", xlo, xhi, 6), ("k", 0.0, 7.0, 7)], "mean"),
                               rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(b.get(), df.mean("v", binby=["x", "k"], limits=["minmax", [0, 7]], shape=[6, 7],
                                                selection="hot"), rtol=1e-12, equal_nan=True)
    assert c.get() == reference(ref, "sum", "i", hot)
    # An axis without finite values rejects its promise.
    empty = df[df.x > 1e300]
    p = empty.count(binby="y", delay=True)
    empty.execute()
    assert p.isRejected
    with pytest.raises(ValueError, match="no finite values"):
        p.get()
