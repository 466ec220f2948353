"""first, last, any, all, skew, kurtosis and nunique against numpy, as scalar
statistics, on binby grids and per groupby group, in every storage variant (NaN,
missing values in the file variants, filters) and under selections.

References, from the rows a statistic sees (present, not NaN, selected, in the cell
or group) in row order:
  first / last   the first / last of those values
  any / all      np.any / np.all of value != 0 (False / True over no rows)
  skew           scipy.stats.skew's default (biased): m3 / m2**1.5, m_k the central
                 moments computed here in two passes in float64 (vaex's definition)
  kurtosis       scipy.stats.kurtosis' default (biased, excess): m4 / m2**2 - 3
  nunique        len(np.unique(values))
Empty inputs give NaN (first, last, skew, kurtosis; so does a constant input for skew
and kurtosis), 0 for nunique."""

import numpy as np
import pytest

import swiftframe as sf
from conftest import ALL_VARIANTS, N, Storage, assert_scalar, assert_values

# The columns each statistic is checked on.
COLUMNS = {
    "first": ["x", "f", "i", "big", "b"],
    "last": ["x", "f", "i", "big", "b"],
    "any": ["b", "z", "nz", "x"],
    "all": ["b", "z", "nz", "x"],
    "skew": ["x", "f", "i", "big"],
    "kurtosis": ["x", "f", "i", "big"],
    "nunique": ["i", "b", "k", "f", "x"],
}
SELECTIONS = [None, "s > 0"]
BINS = 7  # binby y over [-1, 1)


def generate(rng, n):
    x = rng.exponential(2.0, n) - 1  # skewed, some values exactly repeated never
    x[rng.random(n) < 0.05] = np.nan
    x[rng.random(n) < 0.01] = 0.0
    f = (rng.standard_normal(n) * 100 + 3).astype(np.float32)
    f[rng.random(n) < 0.05] = np.nan
    f[rng.random(n) < 0.2] = 5.0  # a repeated value
    y = rng.uniform(-1.1, 1.1, n)
    y[rng.random(n) < 0.03] = np.nan
    nz = rng.integers(1, 5, n).astype(np.int16)
    nz[rng.random(n) < 0.0002] = 0  # some cells and groups have a zero, most not
    return {
        "x": x, "f": f, "y": y, "nz": nz,
        "i": rng.integers(-50, 51, n).astype(np.int32),
        "big": rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64),
        "b": rng.random(n) < 0.3,
        "z": (rng.random(n) < 0.001).astype(np.uint8),
        "k": rng.integers(0, 10, n).astype(np.int8),
        "s": rng.integers(-5, 6, n).astype(np.int16),
    }


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(11)
    cols = generate(rng, N)
    valid = {name: rng.random(N) >= 0.1 for name in cols} if storage.is_file else None
    return storage.frame(cols, valid=valid)


def reference(stat, v):
    """The statistic of the values `v` (already reduced to the rows it sees)."""
    if stat == "nunique":
        return np.int64(len(np.unique(v)))
    if stat == "any":
        return np.bool_(np.any(v != 0))
    if stat == "all":
        return np.bool_(np.all(v != 0))
    if len(v) == 0:
        return np.float64(np.nan)
    if stat == "first":
        return v[0]
    if stat == "last":
        return v[-1]
    d = v.astype(np.float64)
    d = d - d.mean()
    m2 = np.mean(d * d)
    if m2 == 0:
        return np.float64(np.nan)
    if stat == "skew":
        return np.mean(d ** 3) / m2 ** 1.5
    return np.mean(d ** 4) / m2 ** 2 - 3


def rows(ref, name, selection):
    """Which rows a statistic of column `name` sees."""
    keep = ref.present(name).copy()
    if ref[name].dtype.kind == "f":
        keep &= ~np.isnan(ref[name])
    if selection is not None:
        keep &= ref.present("s") & (ref["s"] > 0)
    return keep


def check(got, want, stat, what):
    if stat in ("skew", "kurtosis"):
        assert_scalar(got, want, rtol=1e-9) if np.ndim(got) == 0 else assert_values(got, want, rtol=1e-9)
    elif np.ndim(got) == 0:
        assert_scalar(got, want)
    else:
        assert_values(got, want)


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("stat", list(COLUMNS))
def test_scalar(data, stat, selection):
    df, ref = data
    for name in COLUMNS[stat]:
        want = reference(stat, ref[name][rows(ref, name, selection)])
        kw = {} if selection is None else {"selection": selection}
        if stat == "nunique":
            got = df.nunique(name, dropna=True, **kw) if selection else df.nunique(name, dropna=True)
        else:
            got = getattr(df, stat)(name, **kw)
        try:
            check(got, want, stat, name)
        except AssertionError as e:
            raise AssertionError(f"{stat}({name}) selection={selection}: {e}") from None


def test_expression_methods(data):
    df, ref = data
    keep = rows(ref, "x", None)
    assert_scalar(df.x.first(), ref["x"][keep][0])
    assert_scalar(df.x.last(), ref["x"][keep][-1])
    assert_scalar(df["x * 2"].skew(), reference("skew", ref["x"][keep] * 2))
    assert_scalar(df.x.kurtosis(), reference("kurtosis", ref["x"][keep]))
    assert df.b.any() == np.any(ref["b"][rows(ref, "b", None)])
    assert df.nz.all() == np.all(ref["nz"][rows(ref, "nz", None)] != 0)


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("stat", list(COLUMNS))
def test_binby(data, stat, selection):
    df, ref = data
    y = ref["y"]
    cell = np.floor((y + 1) * BINS / 2)
    in_grid = ref.present("y") & ~np.isnan(y) & (cell >= 0) & (cell < BINS)
    for name in COLUMNS[stat]:
        kw = {"binby": "y", "limits": [-1, 1], "shape": BINS, "selection": selection}
        got = getattr(df, stat)(name, dropna=True, **kw) if stat == "nunique" else getattr(df, stat)(name, **kw)
        keep = rows(ref, name, selection) & in_grid
        cells = [ref[name][keep & (cell == c)] for c in range(BINS)]
        want = np.array([reference(stat, v) for v in cells])
        if stat in ("first", "last", "skew", "kurtosis") and not all(len(v) for v in cells):
            want = want.astype(np.float64)  # an empty cell is NaN
        try:
            assert got.shape == (BINS,)
            check(got, want, stat, name)
        except AssertionError as e:
            raise AssertionError(f"{stat}({name}) binby selection={selection}: {e}") from None


def test_binby_two_axes_first_last(data):
    """A 2-d grid: empty cells give NaN, the others the first/last row's value."""
    df, ref = data
    x, y = ref["x"], ref["y"]
    ok = ref.present("x") & ref.present("y") & ~np.isnan(x) & ~np.isnan(y)
    cx = np.floor((x + 1) * 3 / 6)  # x over [-1, 5), 3 bins
    cy = np.floor((y + 1) * 4 / 2)
    ok &= (cx >= 0) & (cx < 3) & (cy >= 0) & (cy < 4)
    for stat in ("first", "last"):
        got = getattr(df, stat)("x", binby=["x", "y"], limits=[[-1, 5], [-1, 1]], shape=[3, 4])
        want = np.full((3, 4), np.nan)
        for a in range(3):
            for b in range(4):
                v = x[ok & (cx == a) & (cy == b)]
                if len(v):
                    want[a, b] = v[0] if stat == "first" else v[-1]
        assert_values(got, want)


def groups_of(ref):
    """(label, row mask) per group of k, sorted, the missing group last (pandas' dropna=False)."""
    k, present = ref["k"], ref.present("k")
    out = [(v, present & (k == v)) for v in np.unique(k[present])]
    if not present.all():
        out.append((None, ~present))
    return out


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("stat", list(COLUMNS))
def test_groupby(data, stat, selection):
    df, ref = data
    groups = groups_of(ref)
    agg = {f"r_{name}": sf.agg.Aggregation(stat, name, selection=selection) for name in COLUMNS[stat]}
    got = df.groupby("k", agg=agg).to_pandas_df()
    assert len(got) == len(groups)
    for name in COLUMNS[stat]:
        keep = rows(ref, name, selection)
        want = [reference(stat, ref[name][keep & g]) for _, g in groups]
        column = got[f"r_{name}"]
        try:
            if stat in ("first", "last") and ref[name].dtype.kind != "f" and name == "big":
                assert [int(a) for a in column] == [int(w) for w in want]
            elif stat in ("any", "all", "nunique"):
                assert list(column) == list(want)
            else:
                assert_values(column.to_numpy(dtype=float), np.array(want, dtype=float))
        except AssertionError as e:
            raise AssertionError(f"{stat}({name}) groupby selection={selection}: {e}") from None


def test_groupby_spellings(data):
    """{"x": "skew"}, {"x": ["first", "last"]} and pandas' .x.nunique()."""
    df, ref = data
    groups = groups_of(ref)
    keep = rows(ref, "x", None)
    got = df.groupby("k", agg={"x": ["skew", "first", "last"]}).to_pandas_df()
    for stat in ("skew", "first", "last"):
        assert_values(got[f"x_{stat}"].to_numpy(dtype=float),
                      np.array([reference(stat, ref["x"][keep & g]) for _, g in groups], dtype=float))
    got = df.groupby("k").i.nunique().to_pandas_df()
    keep = rows(ref, "i", None)
    assert list(got["i"]) == [len(np.unique(ref["i"][keep & g])) for _, g in groups]
    got = df.groupby("k", agg=[sf.agg.kurtosis("f"), sf.agg.any("z"), sf.agg.all("nz")]).to_pandas_df()
    for stat, name in (("kurtosis", "f"), ("any", "z"), ("all", "nz")):
        want = [reference(stat, ref[name][rows(ref, name, None) & g]) for _, g in groups]
        assert_values(got[f"{name}_{stat}"].to_numpy(dtype=float), np.array(want, dtype=float))


def test_first_last_respect_row_order_across_chunks():
    """A value only in the last chunk and one only in the first: the threads that read
    them in any order still agree on row order."""
    n = 5 * (1 << 14) + 3
    x = np.full(n, np.nan)
    x[n - 2] = 7.0
    x[n - 1] = np.nan
    x[3] = 1.5
    df = sf.from_arrays(x=x, g=np.arange(n) % 2)
    assert df.first("x") == 1.5
    assert df.last("x") == 7.0
    got = df.groupby("g", agg={"a": sf.agg.first("x"), "z": sf.agg.last("x")}).to_pandas_df()
    assert_values(got["a"].to_numpy(dtype=float), [np.nan, 1.5])
    assert_values(got["z"].to_numpy(dtype=float), [np.nan, 7.0])


def test_empty_and_constant():
    df = sf.from_arrays(x=np.array([2.0, 2.0, np.nan]), b=np.array([True, False, True]))
    assert np.isnan(df.skew("x")) and np.isnan(df.kurtosis("x"))  # m2 = 0, as scipy
    assert np.isnan(df.first("x", selection="x > 5"))
    assert not df.any("b", selection="x > 5") and df.all("b", selection="x > 5")
    assert df.nunique("x", dropna=True, selection="x > 5") == 0


def test_moments_stay_accurate_far_from_zero():
    """A large offset: naive power sums would cancel; Pébay's updates keep 1e-9."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300_001) ** 2 + 1e9
    df = sf.from_arrays(x=x)
    for stat in ("skew", "kurtosis"):
        assert_scalar(getattr(df, stat)("x"), reference(stat, x), rtol=1e-6)


def test_bad_input():
    df = sf.from_arrays(s=np.array(["a", "b"], dtype=object), x=np.array([1.0, 2.0]))
    with pytest.raises(Exception, match="not supported"):
        df.skew("s")
    with pytest.raises(ValueError, match="dropna"):
        df.nunique("x", dropna=False, selection="x > 0")
    with pytest.raises(ValueError, match="unknown aggregation"):
        sf.agg.Aggregation("median", "x")


# covariance (ddof=0, vaex's covar) and correlation of two expressions, over the rows
# where both are present and not NaN (pandas' pairwise-complete rule) -----------------

PAIRS = [("x", "f"), ("i", "big"), ("f", "nz"), ("x", "i")]


def pair_rows(ref, a, b, selection):
    return rows(ref, a, selection) & rows(ref, b, None)


def pair_reference(stat, x, y):
    if len(x) == 0:
        return np.nan
    dx = x.astype(np.float64) - x.astype(np.float64).mean()
    dy = y.astype(np.float64) - y.astype(np.float64).mean()
    if stat == "covariance":
        return np.mean(dx * dy)
    d = np.sqrt(np.sum(dx * dx) * np.sum(dy * dy))
    return np.sum(dx * dy) / d if d > 0 else np.nan


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("stat", ["covariance", "correlation"])
def test_pair_scalar(data, stat, selection):
    df, ref = data
    for a, b in PAIRS:
        keep = pair_rows(ref, a, b, selection)
        want = pair_reference(stat, ref[a][keep], ref[b][keep])
        assert_scalar(getattr(df, stat)(a, b, selection=selection), want)
    got = getattr(df, stat)([a for a, _ in PAIRS], [b for _, b in PAIRS], selection=selection)
    want = [pair_reference(stat, ref[a][pair_rows(ref, a, b, selection)], ref[b][pair_rows(ref, a, b, selection)])
            for a, b in PAIRS]
    assert_values(got, np.array(want))


def test_pair_against_pandas(data):
    """pandas' cov (ddof=0) and corr drop the rows where either side is missing or NaN."""
    import pandas as pd
    df, ref = data
    x = pd.Series(ref.masked("x").astype(np.float64).filled(np.nan))
    f = pd.Series(ref.masked("f").astype(np.float64).filled(np.nan))
    assert_scalar(df.covariance("x", "f"), x.cov(f, ddof=0))
    assert_scalar(df.correlation("x", "f"), x.corr(f))
    assert_scalar(df.x.correlation(df.f), x.corr(f))
    assert_scalar(df.covar("f", "x"), f.cov(x, ddof=0))


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("stat", ["covariance", "correlation"])
def test_pair_binby(data, stat, selection):
    df, ref = data
    y = ref["y"]
    cell = np.floor((y + 1) * BINS / 2)
    in_grid = ref.present("y") & ~np.isnan(y) & (cell >= 0) & (cell < BINS)
    for a, b in PAIRS:
        got = getattr(df, stat)(a, b, binby="y", limits=[-1, 1], shape=BINS, selection=selection)
        keep = pair_rows(ref, a, b, selection) & in_grid
        want = [pair_reference(stat, ref[a][keep & (cell == c)], ref[b][keep & (cell == c)]) for c in range(BINS)]
        assert_values(got, np.array(want))


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("stat", ["covariance", "correlation"])
def test_pair_groupby(data, stat, selection):
    df, ref = data
    groups = groups_of(ref)
    agg = {f"{a}_{b}": getattr(sf.agg, stat)(a, b, selection=selection) for a, b in PAIRS}
    got = df.groupby("k", agg=agg).to_pandas_df()
    for a, b in PAIRS:
        keep = pair_rows(ref, a, b, selection)
        want = [pair_reference(stat, ref[a][keep & g], ref[b][keep & g]) for _, g in groups]
        assert_values(got[f"{a}_{b}"].to_numpy(dtype=float), np.array(want))
    # the default name joins both expressions
    got = df.groupby("k", agg=[sf.agg.correlation("x", "f")]).to_pandas_df()
    assert "x_f_correlation" in got.columns


def test_pair_bad_input():
    df = sf.from_arrays(s=np.array(["a", "b"], dtype=object), x=np.array([1.0, 2.0]))
    with pytest.raises(Exception, match="not supported"):
        df.correlation("x", "s")
    with pytest.raises(TypeError, match="two expressions"):
        sf.agg.Aggregation("covariance", "x")
    with pytest.raises(TypeError, match="two expressions"):
        df.groupby("x", agg={"x": "correlation"})
    with pytest.raises(ValueError, match="two expressions"):
        df._aggregate("covariance", "x", None)  # the C boundary checks the pair too


VAEX_STATS = """
import json, sys, numpy as np, vaex
df = vaex.open(sys.argv[1])
out = {
    "skew": float(df.skew("x")), "kurtosis": float(df.kurtosis("x")),
    "covar": float(df.covar("x", "y")), "correlation": float(df.correlation("x", "y")),
    "skew_binby": df.skew("x", binby="y", limits=[-2, 2], shape=4).tolist(),
    "kurtosis_binby": df.kurtosis("x", binby="y", limits=[-2, 2], shape=4).tolist(),
}
print(json.dumps(out))
"""


def test_matches_vaex(tmp_path):
    """vaex's own skew, kurtosis, covar and correlation (power sums, so within 1e-7)."""
    import pyarrow as pa
    from test_vaex import vaex
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 1.5, 50_000)
    y = 0.3 * x + rng.standard_normal(50_000)
    path = tmp_path / "v.arrow"
    table = pa.table({"x": x, "y": y})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    want = vaex(VAEX_STATS, path)
    df = sf.open(str(path))
    assert_scalar(df.skew("x"), want["skew"], rtol=1e-7)
    assert_scalar(df.kurtosis("x"), want["kurtosis"], rtol=1e-7)
    assert_scalar(df.covar("x", "y"), want["covar"], rtol=1e-7)
    assert_scalar(df.correlation("x", "y"), want["correlation"], rtol=1e-7)
    assert_values(df.skew("x", binby="y", limits=[-2, 2], shape=4), np.array(want["skew_binby"]), rtol=1e-7)
    assert_values(df.kurtosis("x", binby="y", limits=[-2, 2], shape=4), np.array(want["kurtosis_binby"]), rtol=1e-7)
