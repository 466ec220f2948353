"""Statistics against numpy: count, sum, mean, std, var, min, max and minmax of
columns and expressions, for every dtype, with NaN, with missing values (Arrow
nulls, in the file variants), under filters, selections and both, several at once
in one pass, and over no rows at all.

numpy's counterparts: count(e) counts values neither missing nor NaN (vaex); the
others skip NaN and missing values (np.nansum, np.nanmean, np.nanstd, np.nanvar
with ddof=0, np.nanmin, np.nanmax on the present values). Sums of integers wrap in
int64 (uint64 for unsigned inputs) as np.sum does; sums of floats are float64 (numpy
sums float32 in float32; swiftframe accumulates in float64, which is closer to the
exact sum, and the reference here is the float64 sum)."""

import re

import numpy as np
import pytest

import swiftframe as sf
from conftest import ALL_VARIANTS, FILE_VARIANTS, N, Storage, assert_scalar, assert_values

INTS = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
FLOATS = ["f32", "f64"]
NAMES = ["b"] + INTS + FLOATS
DTYPE = {"b": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64, "u8": np.uint8,
         "u16": np.uint16, "u32": np.uint32, "u64": np.uint64, "f32": np.float32, "f64": np.float64}
STATISTICS = ["count", "sum", "mean", "std", "var", "min", "max", "minmax"]


def generate(rng, n):
    """Full-range integers (sums overflow and wrap), floats with NaN, and y/s columns
    to select on."""
    cols = {"b": rng.random(n) < 0.3}
    for name in INTS:
        info = np.iinfo(DTYPE[name])
        cols[name] = rng.integers(info.min, info.max, size=n, dtype=DTYPE[name], endpoint=True)
    for name in FLOATS:
        v = (rng.standard_normal(n) * 1000 + 10).astype(DTYPE[name])
        v[rng.random(n) < 0.05] = np.nan
        cols[name] = v
    cols["y"] = rng.standard_normal(n)
    cols["s"] = rng.integers(-5, 6, size=n).astype(np.int16)
    return cols


def generate_valid(rng, cols):
    """About 10% of each column missing (y and s too)."""
    return {name: rng.random(len(v)) >= 0.1 for name, v in cols.items()}


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    """The columns in each variant; the file variants also have missing values."""
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(7)
    cols = generate(rng, N)
    valid = generate_valid(rng, cols) if storage.is_file else None
    df, ref = storage.frame(cols, valid=valid)
    return df, ref


# numpy references ----------------------------------------------------------------

def present_values(values, present):
    """The values a statistic sees: present and not NaN."""
    values = np.asarray(values)
    keep = np.asarray(present, dtype=bool).copy()
    if values.dtype.kind == "f":
        keep &= ~np.isnan(values)
    return values[keep]


def reference(stat, values, present):
    v = present_values(values, present)
    if stat == "count":
        return np.int64(len(v))
    if stat == "sum":
        if v.dtype.kind == "f":
            with np.errstate(all="ignore"):
                return np.sum(v, dtype=np.float64)
        if v.dtype.kind == "u":
            return np.sum(v, dtype=np.uint64)
        return np.sum(v, dtype=np.int64)  # wraps, as numpy's sum of int64 does
    if stat in ("min", "max", "minmax"):
        if len(v) == 0:
            return np.array([np.nan, np.nan]) if stat == "minmax" else np.float64("nan")
        lo, hi = v.min(), v.max()
        return {"min": lo, "max": hi, "minmax": np.array([lo, hi])}[stat]
    if len(v) == 0:
        return np.float64("nan")
    f = v.astype(np.float64)
    with np.errstate(all="ignore"):  # inf - inf in a mean is nan, as in the engine
        return {"mean": np.mean(f), "std": np.std(f), "var": np.var(f)}[stat]


def check_stat(result, expected, stat, what=""):
    """The engine's statistic equals numpy's: integers exactly (same numpy dtype), floats
    within 1e-9 relative, NaN for no values."""
    if stat == "minmax":
        result = np.asarray(result)
        assert result.shape == (2,), what
        for r, e in zip(result, np.asarray(expected)):
            assert_scalar(r, e)
        if not np.isnan(np.asarray(expected, dtype=np.float64)).any():
            assert result.dtype == np.asarray(expected).dtype, f"{what}: {result.dtype} vs {np.asarray(expected).dtype}"
        return
    if stat in ("mean", "std", "var") or (isinstance(expected, float) and np.isnan(expected)):
        assert_scalar(result, expected, rtol=1e-9)
        return
    assert np.asarray(result).dtype == np.asarray(expected).dtype, \
        f"{what} {stat}: result dtype {np.asarray(result).dtype}, numpy's {np.asarray(expected).dtype}"
    if np.asarray(expected).dtype.kind == "f":
        # Float sums: the order of additions differs from numpy's pairwise sum.
        assert_scalar(result, expected, rtol=1e-9)
    else:
        assert result == expected, f"{what} {stat}: {result!r} vs numpy {expected!r}"


def call(df, stat, expression, **kw):
    if stat == "count":
        return df.count(expression, **kw)
    return getattr(df, stat)(expression, **kw)


# Tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_statistic_every_dtype(data, name):
    df, ref = data
    for stat in STATISTICS:
        expected = reference(stat, ref[name], ref.present(name))
        check_stat(call(df, stat, name), expected, stat, name)
        # Expression methods and the frame's give the same numbers.
        via_expression = getattr(df[name], stat)()
        check_stat(via_expression, expected, stat, f"df.{name}.{stat}()")


def test_result_types(data):
    """Results are numpy scalars of numpy's types for the statistic."""
    df, _ = data
    assert isinstance(df.count(), np.int64)
    assert isinstance(df.count("f64"), np.int64)
    assert isinstance(df.sum("i8"), np.int64)
    assert isinstance(df.sum("u16"), np.uint64)
    assert isinstance(df.sum("b"), np.int64)
    assert isinstance(df.sum("f32"), np.float64)
    assert isinstance(df.mean("i32"), np.float64)
    assert isinstance(df.min("i16"), np.int16)
    assert isinstance(df.max("u64"), np.uint64)
    assert isinstance(df.max("f32"), np.float32)
    assert isinstance(df.min("b"), np.bool_)


EXPRESSIONS = ["f64 * 2 + i32", "sqrt(abs(f64))", "i8 * 2", "i64 + 1", "u8 - 1", "where(b, f64, nan)",
               "f32 / (s + 0)", "s // 2", "(s > 0) & b", "s * y", "log(abs(y))", "i16 - i16 + s"]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_statistics_of_expressions(data, expression):
    """Statistics of expressions: a value is missing where any operand is; NaN made by
    the expression (0/0, log of 0, where(…, nan)) is skipped like stored NaN."""
    df, ref = data
    names = _names(expression, ref)
    namespace = {"sqrt": np.sqrt, "abs": np.abs, "log": np.log, "where": np.where, "nan": np.nan}
    namespace.update(ref.columns)
    with np.errstate(all="ignore"):
        values = np.asarray(eval(expression, {"__builtins__": {}}, namespace))
    present = np.ones(len(ref), dtype=bool)
    for n in names:
        present &= ref.present(n)
    assert df[expression].dtype == values.dtype
    for stat in STATISTICS:
        check_stat(call(df, stat, expression), reference(stat, values, present), stat, expression)


def test_count_rows_and_values(data):
    """count() counts rows; count(expr) excludes NaN and missing values."""
    df, ref = data
    assert df.count() == len(ref) == len(df)
    assert df.count("f64") == np.sum(ref.present("f64") & ~np.isnan(ref["f64"]))
    assert df.count("i32") == np.sum(ref.present("i32"))
    assert df.count("f64 + i32") == np.sum(ref.present("f64") & ref.present("i32") & ~np.isnan(ref["f64"]))
    assert df.count("f64 * 0") == np.sum(ref.present("f64") & np.isfinite(ref["f64"]))


SELECTIONS = ["y > 0", "s == 0", "(s > 2) | b", "f64 > 1e300"]


@pytest.mark.parametrize("selection", SELECTIONS)
def test_selection(data, selection):
    """df.stat(expr, selection=...) counts only the rows where the selection is true
    (a missing selection value is not true)."""
    df, ref = data
    sel = _truth(selection, ref)
    for name in ["f64", "i32", "u64", "f32", "b"]:
        for stat in STATISTICS:
            expected = reference(stat, ref[name], ref.present(name) & sel)
            check_stat(call(df, stat, name, selection=selection), expected, stat, f"{name} | {selection}")
    assert df.count(selection=selection) == np.sum(sel)


def _names(text, ref):
    """The reference's columns an expression refers to."""
    return [n for n in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) if n in ref.columns]


def _truth(text, ref):
    """Where a boolean expression over the reference is true and present."""
    namespace = dict(ref.columns)
    with np.errstate(all="ignore"):
        values = np.asarray(eval(text, {"__builtins__": {}}, namespace), dtype=bool)
    present = np.ones(len(ref), dtype=bool)
    for n in _names(text, ref):
        present &= ref.present(n)
    return values & present


@pytest.mark.parametrize("condition", ["y > 0", "s != 0", "b", "~b & (f32 < 100)"])
def test_filtered_frame(data, condition):
    """df[df.y > 0] and df.filter("y > 0"): statistics over the rows passing the filter
    (on top of the variant's own filter), and the expression object form."""
    df, ref = data
    keep = _truth(condition, ref)
    by_string = df.filter(condition)
    by_expression = df[df[condition]]
    for frame in (by_string, by_expression):
        assert len(frame) == np.sum(keep)
        assert frame.count() == np.sum(keep)
        for name in ["f64", "i64", "u8", "s"]:
            for stat in STATISTICS:
                expected = reference(stat, ref[name], ref.present(name) & keep)
                check_stat(call(frame, stat, name), expected, stat, f"{name} [{condition}]")
    # The original frame is unchanged.
    assert len(df) == len(ref)


def test_filter_and_selection(data):
    df, ref = data
    frame = df[df.y > 0]
    keep = _truth("y > 0", ref)
    sel = _truth("s < 0", ref)
    for name in ["f64", "i16", "u32"]:
        for stat in STATISTICS:
            expected = reference(stat, ref[name], ref.present(name) & keep & sel)
            check_stat(call(frame, stat, name, selection="s < 0"), expected, stat, name)
    assert frame.count(selection="s < 0") == np.sum(keep & sel)
    # A filter and a selection that exclude each other: nothing left.
    assert frame.count("f64", selection="y < 0") == 0
    assert frame.sum("i32", selection="y < 0") == 0
    assert np.isnan(frame.mean("f64", selection="y < 0"))


def test_list_of_expressions_is_one_pass(data):
    """A list of expressions gives a numpy array of results, computed in one pass."""
    df, ref = data
    expressions = ["f64", "y", "f64 * y", "i32", "s"]
    for stat in ["count", "sum", "mean", "std", "var", "min", "max"]:
        before = sf.pass_count()
        results = call(df, stat, expressions)
        assert sf.pass_count() == before + 1, stat
        assert isinstance(results, np.ndarray) and results.shape == (len(expressions),)
        for expression, result in zip(expressions, results):
            names = _names(expression, ref)
            present = np.logical_and.reduce([ref.present(n) for n in names])
            values = eval(expression, {}, dict(ref.columns))
            expected = reference(stat, values, present)
            if stat in ("mean", "std", "var") or np.asarray(expected).dtype.kind == "f":
                assert_scalar(result, expected)
            else:
                assert result == expected, (stat, expression)
    before = sf.pass_count()
    pairs = df.minmax(expressions)
    assert sf.pass_count() == before + 1
    assert pairs.shape == (len(expressions), 2)
    for expression, pair in zip(expressions, pairs):
        names = _names(expression, ref)
        present = np.logical_and.reduce([ref.present(n) for n in names])
        expected = reference("minmax", eval(expression, {}, dict(ref.columns)), present)
        assert_values(pair.astype(np.float64), np.asarray(expected, dtype=np.float64))
    # A selection applies to every statistic of the list, still in one pass.
    before = sf.pass_count()
    means = df.mean(["f64", "y"], selection="s > 0")
    assert sf.pass_count() == before + 1
    sel = _truth("s > 0", ref)
    assert_scalar(means[0], reference("mean", ref["f64"], ref.present("f64") & sel))
    assert_scalar(means[1], reference("mean", ref["y"], ref.present("y") & sel))


def test_empty_filter(data):
    """No rows: count 0, sum 0 (of the sum's type), mean/std/var/min/max NaN."""
    df, _ = data
    empty = df[df.y > 1e300]
    assert len(empty) == 0
    assert empty.count() == 0
    assert empty.count("f64") == 0
    assert empty.sum("f64") == 0.0 and isinstance(empty.sum("f64"), np.float64)
    assert empty.sum("i8") == 0 and isinstance(empty.sum("i8"), np.int64)
    assert empty.sum("u32") == 0
    for stat in ("mean", "std", "var", "min", "max"):
        assert np.isnan(call(empty, stat, "f64")), stat
        assert np.isnan(call(empty, stat, "i32")), stat
    assert np.isnan(empty.minmax("i64")).all()
    assert np.isnan(df.mean("f64", selection="y > 1e300"))
    assert df.count("f64", selection="y > 1e300") == 0


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64])
def test_integer_sum_wraps_like_numpy(tmp_path, dtype):
    """Sums of integers wrap in 64 bits exactly as np.sum's (int64, uint64 for unsigned)."""
    info = np.iinfo(dtype)
    values = np.full(300_000, info.max, dtype=dtype)
    values[::3] = info.min
    for storage in _storages(tmp_path):
        df, ref = storage.frame({"x": values})
        with np.errstate(all="ignore"):
            expected = np.sum(ref["x"], dtype=np.uint64 if info.min == 0 else np.int64)
        assert df.sum("x") == expected, storage
        assert np.asarray(df.sum("x")).dtype == expected.dtype
    big = np.full(8, 2**62, dtype=np.int64)
    assert sf.from_arrays(x=big).sum("x") == np.sum(big)  # 2**65 wraps to 0
    assert np.sum(big) == 0


def _storages(tmp_path):
    variants = ["memory", "memory-filtered", "arrow-batches"]
    return [Storage(v, tmp_path) for v in variants]


def test_nan_and_inf_explicit(tmp_path):
    values = np.array([1.0, np.nan, 2.0, np.inf, np.nan, -1.0])
    for storage in _storages(tmp_path):
        if storage.is_filtered:
            continue
        df, _ = storage.frame({"x": values, "y": np.array([1.0, 2.0, np.nan, 4.0, 5.0, -np.inf])})
        assert df.count("x") == 4
        assert df.count() == 6
        assert df.sum("x") == np.inf
        assert df.min("x") == -1.0 and df.max("x") == np.inf
        # x + y is [2, nan, nan, inf, nan, -inf]: inf + -inf is nan
        assert np.isnan(df.sum("x + y"))
        assert df.count("x + y") == 3
        assert df.mean("x", selection="x < 3") == pytest.approx(np.mean([1.0, 2.0, -1.0]))
        assert df.std("x", selection="x < 3") == pytest.approx(np.std([1.0, 2.0, -1.0]))


def test_variance_is_accurate_with_a_large_mean():
    """var of values around 1e9 with unit spread: no catastrophic cancellation."""
    rng = np.random.default_rng(3)
    x = 1e9 + rng.standard_normal(N)
    df = sf.from_arrays(x=x)
    assert_scalar(df.var("x"), np.var(x), rtol=1e-9)
    assert_scalar(df.std("x"), np.std(x), rtol=1e-9)
    assert_scalar(df.mean("x"), np.mean(x), rtol=1e-12)


@pytest.fixture(params=FILE_VARIANTS)
def nullable(request, tmp_path):
    return Storage(request.param, tmp_path)


def test_missing_values(nullable):
    """Arrow nulls: skipped by every statistic, not counted by count(expr); a column
    with every value missing gives count 0, sum 0 and NaN for the rest."""
    rng = np.random.default_rng(11)
    n = 150_000
    x = rng.standard_normal(n)
    i = rng.integers(-1000, 1000, size=n).astype(np.int32)
    valid_x = rng.random(n) > 0.3
    valid_i = rng.random(n) > 0.5
    df, ref = nullable.frame({"x": x, "i": i, "gone": x.copy()},
                             valid={"x": valid_x, "i": valid_i, "gone": np.zeros(n, dtype=bool)})
    for stat in STATISTICS:
        check_stat(call(df, stat, "x"), reference(stat, ref["x"], ref.present("x")), stat, "x")
        check_stat(call(df, stat, "i"), reference(stat, ref["i"], ref.present("i")), stat, "i")
        both = ref.present("x") & ref.present("i")
        check_stat(call(df, stat, "x * i"), reference(stat, ref["x"] * ref["i"], both), stat, "x * i")
    assert df.count() == len(ref)
    assert df.count("gone") == 0
    assert df.sum("gone") == 0
    for stat in ("mean", "std", "var", "min", "max"):
        assert np.isnan(call(df, stat, "gone"))
    # A missing value in a selection or filter is not true.
    sel = ref.present("i") & (ref["i"] > 0)
    assert df.count(selection="i > 0") == np.sum(sel)
    assert_scalar(df.mean("x", selection="i > 0"), reference("mean", ref["x"], ref.present("x") & sel))
    assert len(df[df.i > 0]) == np.sum(sel)
    assert_scalar(df[df.i > 0].sum("x"), reference("sum", ref["x"], ref.present("x") & sel))
    # where() with a missing condition is missing.
    w = np.where(ref["i"] > 0, ref["x"], 0.0)
    check_stat(df.sum("where(i > 0, x, 0.0)"), reference("sum", w, ref.present("i") & (ref.present("x") | (ref["i"] <= 0))),
               "sum", "where")


# Property tests on small generated arrays -------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_STAT_DTYPES = [np.dtype(DTYPE[n]) for n in NAMES]


def _elements(dtype):
    if dtype.kind == "f":
        return st.floats(-2.0**40, 2.0**40, width=dtype.itemsize * 8) | st.just(np.nan)
    return None  # the dtype's full range


@st.composite
def _column_and_filter(draw):
    dtype = draw(st.sampled_from(_STAT_DTYPES))
    n = draw(st.integers(0, 60))
    values = draw(hnp.arrays(dtype, n, elements=_elements(dtype)))
    key = draw(hnp.arrays(np.float64, n, elements=st.floats(-1, 1)))
    threshold = draw(st.floats(-1.2, 1.2))
    return values, key, threshold


@given(_column_and_filter())
def test_property_statistics_under_filter_and_selection(case):
    """For any small array of any dtype: statistics of the rows where key > t (as a
    filter and as a selection) equal numpy's on values[key > t]."""
    values, key, t = case
    df = sf.from_arrays(v=values, key=key)
    keep = key > t
    filtered = df.filter(f"key > {t!r}")
    assert len(filtered) == np.sum(keep)
    for stat in STATISTICS:
        expected = reference(stat, values, keep)
        for result in (call(filtered, stat, "v"), call(df, stat, "v", selection=f"key > {t!r}")):
            if stat in ("sum", "mean", "std", "var") and np.asarray(expected).dtype.kind == "f":
                # The order of additions differs from numpy's: compare against the size
                # of the terms, not of a possibly cancelled result.
                kept = present_values(values, keep).astype(np.float64)
                scale = {"sum": np.sum(np.abs(kept)), "mean": np.mean(np.abs(kept)) if len(kept) else 0,
                         "std": np.sqrt(np.mean(kept ** 2)) if len(kept) else 0,
                         "var": np.mean(kept ** 2) if len(kept) else 0}[stat]
                if np.isnan(expected):
                    assert np.isnan(result), (stat, result)
                else:
                    assert abs(float(result) - float(expected)) <= 1e-9 * scale + 1e-300, (stat, result, expected)
            else:
                check_stat(result, expected, stat, f"{values.dtype} {stat}")


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    """SWIFTFRAME_THREADS=1 and =3 give numpy's results (each in a fresh process,
    since the engine reads the variable once)."""
    import subprocess
    import sys
    import textwrap
    script = textwrap.dedent("""
        import numpy as np, swiftframe as sf
        rng = np.random.default_rng(5)
        x = rng.standard_normal(500_000); i = rng.integers(-2**62, 2**62, 500_000)
        df = sf.from_arrays(x=x, i=i)
        f = df[df.x > 0]
        assert f.count() == np.sum(x > 0)
        assert f.i.sum() == np.sum(i[x > 0])
        assert abs(f.x.mean() - np.mean(x[x > 0])) <= 1e-12 * abs(np.mean(x[x > 0]))
        assert f.i.min() == i[x > 0].min() and f.i.max() == i[x > 0].max()
        assert np.array_equal(f[1000:1010].i.values, i[x > 0][1000:1010])
        print("ok")
    """)
    for threads in ("1", "3"):
        import os
        env = dict(os.environ, SWIFTFRAME_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and out.stdout.strip() == "ok", (threads, out.stderr)
