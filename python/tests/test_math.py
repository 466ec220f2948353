"""numpy's math in expressions and through np.f(df.x): every function against numpy
on random data of every numeric dtype, with NaN, ±inf, ±0, negatives, integer
extremes and (in the Arrow file variants) missing values, over several record
batches and with a filter. The result dtype is numpy's (NEP 50 weak Python
literals included), except that numpy's float16 (float functions of bool and 8-bit
integers) is float32 in swiftframe. A missing operand gives a missing result."""

import re

import numpy as np
import pytest

import swiftframe as sf
from conftest import N, Storage, assert_values

INTS = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
FLOATS = ["f32", "f64"]
NAMES = ["b"] + INTS + FLOATS
DTYPE = {"b": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64, "u8": np.uint8,
         "u16": np.uint16, "u32": np.uint32, "u64": np.uint64, "f32": np.float32, "f64": np.float64}

UNARY = ["abs", "sign", "sqrt", "cbrt", "exp", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
         "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad",
         "rad2deg", "floor", "ceil", "trunc", "rint", "round", "isnan", "isinf", "isfinite"]
BINARY = ["arctan2", "hypot", "fmod", "minimum", "maximum", "power"]


def generate(rng, n):
    """One column per dtype: integers over their full range with 0, ±1 and the extremes;
    floats at three scales (inside [-1, 1] for arcsin/arctanh, around 1 for arccosh and
    log1p, large for overflow) with NaN, ±inf, ±0 and exact halves (for rounding).
    Columns e_<name> hold small non-negative exponents for power()."""
    cols = {"b": rng.random(n) < 0.5}
    for name in INTS:
        info = np.iinfo(DTYPE[name])
        v = rng.integers(info.min, info.max, size=n, dtype=DTYPE[name], endpoint=True)
        special = rng.random(n)
        v[special < 0.05] = 0
        v[(special >= 0.05) & (special < 0.06)] = info.max
        v[(special >= 0.06) & (special < 0.07)] = info.min
        v[(special >= 0.07) & (special < 0.12)] = 1
        if info.min < 0:
            v[(special >= 0.12) & (special < 0.17)] = -1
        small = (special >= 0.17) & (special < 0.5)
        v[small] = rng.integers(0 if info.min == 0 else -300, 300, size=small.sum()).astype(DTYPE[name])
        cols[name] = v
    for name in FLOATS:
        scale = rng.choice([0.5, 3.0, 100.0, 1e4], size=n)
        v = (rng.standard_normal(n) * scale).astype(DTYPE[name])
        special = rng.random(n)
        v[special < 0.02] = np.nan
        v[(special >= 0.02) & (special < 0.03)] = np.inf
        v[(special >= 0.03) & (special < 0.04)] = -np.inf
        v[(special >= 0.04) & (special < 0.06)] = 0.0
        v[(special >= 0.06) & (special < 0.07)] = -0.0
        halves = (special >= 0.07) & (special < 0.15)
        v[halves] = (rng.integers(-2000, 2000, size=halves.sum()) + 0.5) / rng.choice([1, 10, 100], halves.sum())
        v[(special >= 0.15) & (special < 0.17)] = rng.choice([1.0, -1.0], size=((special >= 0.15) & (special < 0.17)).sum())
        cols[name] = v
    for name in NAMES:
        cols["e_" + name] = rng.integers(0, 5, size=n).astype(DTYPE[name]) if name != "b" else rng.random(n) < 0.5
    return cols


@pytest.fixture(scope="module", params=["memory", "arrow-batches", "arrow-filtered"])
def data(request, tmp_path_factory):
    """The columns in memory (zero-copy) and in Arrow files of uneven record batches,
    unfiltered and filtered; in the files about 8% of every column's values are missing."""
    rng = np.random.default_rng(4242)
    cols = generate(rng, N)
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    valid = {name: rng.random(N) >= 0.08 for name in cols} if storage.is_file else None
    return storage.frame(cols, valid=valid)


def _float16_to_32(args):
    """numpy computes float functions of bool and 8-bit integers in float16; swiftframe
    in float32: the reference casts such arrays to float32 first."""
    return [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype in (np.bool_, np.int8, np.uint8) else a
            for a in args]


def _numpy(name):
    f = {"abs": np.abs, "round": np.round}.get(name) or getattr(np, name)

    def call(*args):
        with np.errstate(all="ignore"):
            result = f(*args)
            if isinstance(result, np.ndarray) and result.dtype == np.float16:
                result = f(*_float16_to_32(args))
        return result
    return call


NAMESPACE = {name: _numpy(name) for name in UNARY + BINARY + ["clip", "where"]}
NAMESPACE.update(nan=np.nan, inf=np.inf)


def _rtol(dtype, text):
    """Transcendental functions may differ from numpy's (SIMD) implementations by a few
    ulps; the rest are exact IEEE operations."""
    exact = ("abs", "sign", "floor", "ceil", "trunc", "rint", "round", "minimum", "maximum", "fmod", "clip", "is")
    if text.startswith(exact) and "power" not in text:
        return 0
    return 4e-6 if dtype == np.float32 else 1e-13


def check(df, ref, text, columns, defined=None):
    """The engine's dtype and values for `text` are numpy's on the same arrays; rows where
    any of `columns` is missing are missing. An expression numpy rejects is rejected with
    the matching exception. `defined` marks the rows whose value numpy defines."""
    try:
        with np.errstate(all="ignore"):
            expected = eval(text, {"__builtins__": {}}, dict(NAMESPACE, **ref.columns))
    except (TypeError, OverflowError):
        with pytest.raises(TypeError):
            df[text]
        return "TypeError"
    except ValueError:
        with pytest.raises(ValueError):
            df.evaluate(text)
        return "ValueError"
    expected = np.asarray(expected)
    if expected.ndim == 0:
        expected = np.full(len(ref), expected)
    assert df[text].dtype == expected.dtype, f"{text}: dtype {df[text].dtype}, numpy {expected.dtype}"
    got = df.evaluate(text)
    missing = np.zeros(len(ref), dtype=bool)
    for c in columns:
        missing |= ~ref.present(c)
    assert np.array_equal(np.ma.getmaskarray(got), missing), f"{text}: missing rows differ"
    values = np.ma.getdata(got)
    assert values.dtype == expected.dtype
    if defined is not None:
        missing = missing | ~defined
    rtol = _rtol(expected.dtype, text)
    if expected.dtype.kind == "f" and rtol:
        # An absolute slack of a few ulps of 1 for results near zero (sin(pi)).
        atol = 8 * np.finfo(expected.dtype).eps
        np.testing.assert_allclose(values[~missing], expected[~missing], rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=text)
    else:
        assert_values(values[~missing], expected[~missing], rtol=rtol)
    return expected.dtype


def run_all(df, ref, cases):
    failures = []
    for case in cases:
        text = case[0]
        try:
            check(df, ref, *case)
        except Exception as e:  # collect every case's failure, then report them all
            failures.append(f"{text}: {type(e).__name__}: {e}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fn", UNARY)
def test_unary_every_dtype(data, fn):
    """fn(x) for every dtype: numpy's values and result dtype (float32 stays float32,
    integers go to float64 or keep their type as numpy's ufunc does); numpy's refusals
    (sign of bools) are TypeErrors."""
    df, ref = data
    run_all(df, ref, [(f"{fn}({name})", [name]) for name in NAMES])


@pytest.mark.parametrize("fn", ["arctan2", "hypot", "fmod", "minimum", "maximum"])
@pytest.mark.parametrize("left", NAMES)
def test_binary_every_dtype_pair(data, fn, left):
    """fn(a, b) for every pair of dtypes: numpy's promotion, then numpy's values
    (minimum/maximum propagate NaN; fmod of integers by zero is 0)."""
    df, ref = data
    run_all(df, ref, [(f"{fn}({left}, {right})", [left, right]) for right in NAMES])


@pytest.mark.parametrize("fn", BINARY)
@pytest.mark.parametrize("literal", ["2", "-3", "2.5", "-0.5", "True", "nan", "inf", "300", "-129"])
def test_binary_with_weak_literals(data, fn, literal):
    """Python numbers are weak (NEP 50): fn(x, 2) keeps x's dtype where it fits, a float
    makes integers float64 and keeps float32; a literal outside the column's range is a
    TypeError (numpy: OverflowError)."""
    df, ref = data
    exponent = fn == "power"
    cases = [(f"{fn}({name}, {literal})", [name]) for name in NAMES]
    if not exponent:
        cases += [(f"{fn}({literal}, {name})", [name]) for name in NAMES]
    if exponent and literal in ("-3", "-129"):
        cases = [c for c in cases if c[0].split("(")[1].split(",")[0] in FLOATS]
    run_all(df, ref, cases)


@pytest.mark.parametrize("left", NAMES)
def test_power_every_dtype_pair(data, left):
    df, ref = data
    run_all(df, ref, [(f"power({left}, e_{right})", [left, "e_" + right]) for right in NAMES])


@pytest.mark.parametrize("decimals", [-3, -2, -1, 0, 1, 2, 3, 7, 20, 400, -400])
def test_round_like_numpy(data, decimals):
    """round(x, n) is numpy's round: half to even after scaling by 10**n (so 0.125 rounds
    to 0.12 and 2.5 to 2), integers unchanged for n >= 0 and rounded (wrapping) for
    n < 0, bools only with n = 0."""
    df, ref = data
    cases = []
    for name in NAMES:
        defined = None
        if name in INTS and decimals < 0:
            # Rounded integers are cast back from float64: numpy (C) leaves a result outside
            # the type's range undefined (it differs between the scalar and SIMD casts).
            info = np.iinfo(DTYPE[name])
            with np.errstate(all="ignore"):
                rounded = np.round(ref[name].astype(np.float64), decimals)
            defined = (rounded >= float(info.min)) & (rounded < float(info.max) + 1)  # max + 1: 2**k exactly
        cases.append((f"round({name}, {decimals})", [name], defined))
    run_all(df, ref, cases)


def test_round_half_to_even_exact():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.125, 0.375, 1.005, 2.675, 1234.5, 1e30, -0.0, np.nan])
    df = sf.from_arrays(x=x, f=x.astype(np.float32), i=np.array([5, 15, 25, 35, -5, -15, 125, 115, 127, -128,
                                                                  0, 1, 2, 3], dtype=np.int8))
    for text, expected in [("round(x)", np.round(x)), ("round(x, 2)", np.round(x, 2)),
                           ("round(x, -1)", np.round(x, -1)), ("round(f, 1)", np.round(x.astype(np.float32), 1)),
                           ("round(i, -1)", np.round(df.evaluate("i"), -1))]:
        got = df.evaluate(text)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected)) if got.dtype.kind == "f" else True
    assert df.evaluate("round(x)").tolist()[:6] == [0.0, 2.0, 2.0, -0.0, -2.0, -2.0]


@pytest.mark.parametrize("bounds", [("0", "1000"), ("-1000", "1000"), ("-5", "10"), ("1.5", "3"), ("5", "1"),
                                    ("-1", "1"), ("nan", "1"), ("0", "inf"), ("i8", "i16"), ("f32", "100"),
                                    ("-2.5", "f64")])
def test_clip_like_numpy(data, bounds):
    """clip(x, lo, hi) is numpy's: minimum(maximum(x, lo), hi); integer bounds outside
    an integer column's range are that range's ends (clip(int8, 0, 1000) stays int8);
    NaN in x or a bound gives NaN; lo > hi gives hi."""
    df, ref = data
    lo, hi = bounds
    cols = [c for c in bounds if c in NAMES]
    run_all(df, ref, [(f"clip({name}, {lo}, {hi})", [name] + cols) for name in NAMES])


def test_nested_functions(data):
    df, ref = data
    run_all(df, ref, [
        ("sqrt(abs(f64)) + log1p(abs(i32))", ["f64", "i32"]),
        ("hypot(sin(f32), cos(f32))", ["f32"]),
        ("where(isfinite(f64), round(f64, 1), -1.0)", ["f64"]),
        ("minimum(maximum(i16, -100), 100) * 2", ["i16"]),
        ("rad2deg(arctan2(f64, i8))", ["f64", "i8"]),
        ("clip(floor(f32 / 7), -3, 3)", ["f32"]),
        ("fmod(i64, 7) + sign(i64)", ["i64"]),
        ("exp(-abs(f64 / 100))", ["f64"]),
        ("power(f32, 2) - f32 * f32", ["f32"]),
    ])


def test_dtypes_without_data():
    """Result dtypes are known from the schema (float32 stays float32; NEP 50 literals)."""
    df = sf.from_arrays(f=np.zeros(3, np.float32), i=np.zeros(3, np.int8), j=np.zeros(3, np.int16),
                        u=np.zeros(3, np.uint64), b=np.zeros(3, bool))
    cases = {"sqrt(f)": np.float32, "sqrt(i)": np.float32, "sqrt(j)": np.float32, "sqrt(u)": np.float64,
             "arctan2(i, 1.5)": np.float64, "arctan2(f, 1.5)": np.float32, "hypot(j, 2)": np.float32,
             "minimum(f, 2.5)": np.float32, "maximum(i, 3)": np.int8, "fmod(b, b)": np.int8,
             "minimum(b, b)": np.bool_, "floor(i)": np.int8, "ceil(b)": np.bool_, "clip(i, 0, 1000)": np.int8,
             "clip(b, 0, 1)": np.int64, "round(i, -1)": np.int8, "round(b)": np.float32, "abs(b)": np.bool_,
             "minimum(u, i)": np.float64, "isnan(i)": np.bool_, "rint(i)": np.float32, "power(j, 2)": np.int16}
    for text, dtype in cases.items():
        assert df.data_type(text) == np.dtype(dtype), text


# numpy's functions on Expressions --------------------------------------------------------

UFUNC_NAMES = ["sign", "sqrt", "cbrt", "exp", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
               "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad",
               "rad2deg", "radians", "degrees", "floor", "ceil", "trunc", "rint", "isnan", "isinf", "isfinite",
               "absolute", "abs"]


@pytest.mark.parametrize("name", UFUNC_NAMES)
@pytest.mark.parametrize("column", ["i16", "f32", "f64", "u8"])
def test_numpy_ufuncs_on_expressions(data, name, column):
    """np.f(df.x) is an Expression whose values and dtype are np.f on the arrays."""
    df, ref = data
    f = getattr(np, name)
    expr = f(df[column])
    assert isinstance(expr, sf.Expression)
    expected = _numpy(name)(ref[column])
    assert expr.dtype == expected.dtype
    got = expr.evaluate()
    keep = ~np.ma.getmaskarray(got)
    assert np.array_equal(keep, ref.present(column))
    np.testing.assert_allclose(np.ma.getdata(got)[keep], expected[keep], rtol=_rtol(expected.dtype, name),
                               atol=8 * np.finfo(np.float32).eps if expected.dtype.kind == "f" else 0, equal_nan=True)


@pytest.mark.parametrize("code", [
    "np.arctan2(x.f64, x.i32)", "np.hypot(x.f32, 2)", "np.fmod(x.i32, x.i8)", "np.minimum(x.f64, x.f32)",
    "np.maximum(x.u8, 100)", "np.power(x.f32, 2)", "np.clip(x.f64, -1, 1)", "np.clip(x.i8, 0, 1000)",
    "np.clip(x.f32, None, 0.5)", "np.clip(x.i32, -10, None)", "np.clip(x.f64, a_min=-2, a_max=3)",
    "np.round(x.f64, 2)", "np.round(x.f64)", "np.around(x.f32, decimals=1)", "np.round(x.i64, -2)",
    "np.isin(x.i8, [1, -1, 0, 5000])", "np.isin(x.f64, np.array([0.5, 1.0, -1.0]))",
    "np.where(np.isnan(x.f64), 0, x.f64)", "np.fmax(x.f64, 0) if False else np.maximum(x.f64, 0)",
    "np.logical_and(np.isfinite(x.f64), x.b)", "np.sqrt(np.minimum(np.abs(x.f64), 4))",
])
def test_numpy_functions_on_expressions(data, code):
    """Binary ufuncs, np.clip, np.round/np.around and np.isin through __array_ufunc__ and
    __array_function__, against the same numpy call on the arrays."""
    df, ref = data
    expr = eval(code, {"np": np, "x": df})
    assert isinstance(expr, sf.Expression), type(expr)

    class Columns:
        def __getattr__(self, name):
            return ref[name]
    with np.errstate(all="ignore"):
        expected = np.asarray(eval(code, {"np": np, "x": Columns()}))
    assert expr.dtype == expected.dtype, f"{code}: {expr.dtype} vs numpy {expected.dtype} ({expr})"
    got = expr.evaluate()
    keep = np.ones(len(ref), dtype=bool)
    for name in re.findall(r"x\.(\w+)", code):
        keep &= ref.present(name)
    if "isin" in code:
        # isin is never missing: a missing value is not in a set without None.
        assert not np.ma.getmaskarray(got).any() and not np.ma.getdata(got)[~keep].any()
    else:
        np.testing.assert_array_equal(~keep, np.ma.getmaskarray(got))
    assert_values(np.ma.getdata(got)[keep], expected[keep], rtol=4e-6 if expected.dtype == np.float32 else 1e-13)


def test_expression_methods(data):
    df, ref = data
    assert str(df.f64.round(2)) == "round(f64, 2)"
    assert str(df.f64.clip(-1, 1)) == "clip(f64, -1, 1)"
    assert str(df.i8.clip(upper=3)) == "minimum(i8, 3)"
    assert str(np.minimum(df.f64, df.i8)) == "minimum(f64, i8)"
    assert str(np.radians(df.f32)) == "deg2rad(f32)"
    assert str(df.f64.sqrt()) == "sqrt(f64)" and str(df.f64.arctan2(df.i8)) == "arctan2(f64, i8)"
    assert str(df.i8.abs()) == "abs(i8)" and str(df.f32.minimum(0.5)) == "minimum(f32, 0.5)"
    got = df.f64.arctan2(df.i8).evaluate()
    keep = ~np.ma.getmaskarray(got)
    assert_values(np.ma.getdata(got)[keep], np.arctan2(ref["f64"], ref["i8"])[keep], rtol=1e-13)
    got = df.f32.clip(-1.5, 2).evaluate()
    keep = ~np.ma.getmaskarray(got)
    assert_values(np.ma.getdata(got)[keep], np.clip(ref["f32"], -1.5, 2)[keep])


# Bitwise operators against numpy, with shift amounts past the width and negative -------

@pytest.mark.parametrize("op", ["<<", ">>", "&", "|", "^"])
def test_bitwise_with_any_amounts(op):
    """Shifts by negative amounts or by the width or more (numpy: 0, or -1 for negative
    numbers shifted right), and & | ^ across signed and unsigned dtypes."""
    rng = np.random.default_rng(7)
    n = 3000
    cols = {}
    for name in INTS:
        info = np.iinfo(DTYPE[name])
        cols[name] = rng.integers(info.min, info.max, size=n, dtype=DTYPE[name], endpoint=True)
        lo = -3 if info.min < 0 else 0
        cols["k" + name] = rng.integers(lo, 70, size=n).astype(DTYPE[name])
    cols["b"] = rng.random(n) < 0.5
    df = sf.from_arrays(**cols)
    failures = []
    for left in INTS + ["b"]:
        for right in INTS + ["b"]:
            text = f"{left} {op} " + (f"k{right}" if op in ("<<", ">>") and right != "b" else right)
            try:
                with np.errstate(all="ignore"):
                    expected = eval(text, {}, cols)
            except TypeError:
                with pytest.raises(TypeError):
                    df[text]
                continue
            try:
                assert df[text].dtype == expected.dtype
                np.testing.assert_array_equal(df.evaluate(text), expected)
            except AssertionError as e:
                failures.append(f"{text}: {e}")
    assert not failures, "\n".join(failures)


def test_invert_every_dtype():
    rng = np.random.default_rng(8)
    cols = {name: rng.integers(np.iinfo(DTYPE[name]).min, np.iinfo(DTYPE[name]).max, size=500, dtype=DTYPE[name],
                               endpoint=True) for name in INTS}
    cols["b"] = rng.random(500) < 0.5
    df = sf.from_arrays(**cols)
    for name in INTS + ["b"]:
        np.testing.assert_array_equal(df.evaluate(f"~{name}"), ~cols[name])
        assert df[f"~{name}"].dtype == cols[name].dtype


# Errors, raised when the expression is checked, before any pass ------------------------------

@pytest.mark.parametrize("bad, error", [
    ("sqrtt(f64)", NameError), ("arctan3(f64, 1)", NameError),
    ("sqrt()", TypeError), ("sqrt(f64, 2)", TypeError), ("arctan2(f64)", TypeError), ("clip(f64, 1)", TypeError),
    ("round(f64, 1, 2)", TypeError), ("minimum(f64, 1, 2)", TypeError),
    ("round(f64, i8)", TypeError), ("round(f64, 1.5)", TypeError),
    ("sqrt(s)", TypeError), ("abs(s)", TypeError), ("minimum(s, 1)", TypeError), ("round(s)", TypeError),
    ("clip(s, 'a', 'b')", TypeError), ("isnan(s)", TypeError), ("sign(b)", TypeError), ("round(b, 1)", TypeError),
    ("sqrt('a')", TypeError), ("maximum(i8, 1000)", TypeError), ("fmod(u8, -1)", TypeError),
    ("power(i8, 'x')", TypeError), ("floor(t)", TypeError),
])
def test_errors_before_any_pass(tmp_path, bad, error):
    import pyarrow as pa
    path = tmp_path / "e.arrow"
    table = pa.table({"f64": [1.0, 2.0], "i8": pa.array([1, 2], pa.int8()), "u8": pa.array([1, 2], pa.uint8()),
                      "b": [True, False], "s": ["a", "b"],
                      "t": pa.array([1, 2], pa.timestamp("s"))})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    with pytest.raises(error):
        df[bad]
    with pytest.raises(error):
        df.count(selection=bad)
