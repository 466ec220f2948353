"""Missing values with Arrow semantics, against pandas' nullable (masked and Arrow)
arrays and pyarrow.compute: isna/notna (missing or NaN), ismissing/notmissing,
isnan, fillna/fillnan/fillmissing, isin and map, on every kind of column (floats
with NaN, integers, bools, strings with non-ASCII text, dictionary-encoded strings),
over several record batches and with a filter. Arithmetic, functions and comparisons
on a missing value give missing; a filter drops rows whose condition is missing."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import swiftframe as sf
from conftest import N, Storage, batch_bounds

WORDS = np.array(["", "a", "ab", "Zürich", "zebra", "ünïcode", "日本", "a\u0301", "A", "b", "naïve", "ø"] +
                 [f"w{i:02d}" for i in range(30)], dtype=object)
NUMERIC = {"f64": np.float64, "f32": np.float32, "i8": np.int8, "i32": np.int32, "i64": np.int64,
           "u8": np.uint8, "u64": np.uint64, "b": np.bool_}
STRINGS = ["s", "t"]


def generate(rng, n):
    cols = {}
    for name, t in NUMERIC.items():
        if t is np.bool_:
            cols[name] = rng.random(n) < 0.5
        elif np.dtype(t).kind == "f":
            v = (rng.standard_normal(n) * 3).round(1).astype(t)  # repeated values, for isin and map
            special = rng.random(n)
            v[special < 0.1] = np.nan
            v[(special >= 0.1) & (special < 0.12)] = np.inf
            v[(special >= 0.12) & (special < 0.15)] = 0.0
            cols[name] = v
        else:
            info = np.iinfo(t)
            v = rng.integers(max(info.min, -5), 20, size=n).astype(t)
            big = rng.random(n) < 0.05
            v[big] = rng.integers(info.min, info.max, size=big.sum(), dtype=t, endpoint=True)
            cols[name] = v
    cols["s"] = WORDS[rng.integers(0, len(WORDS), n)]
    cols["t"] = WORDS[rng.integers(0, len(WORDS), n)]
    return cols


@pytest.fixture(scope="module", params=["arrow", "arrow-batches", "arrow-filtered"])
def data(request, tmp_path_factory):
    """The columns in Arrow files (one batch; uneven batches; batches and a filter), about
    10% of every column's values missing."""
    rng = np.random.default_rng(777)
    cols = generate(rng, N)
    valid = {name: rng.random(N) >= 0.1 for name in cols}
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    return storage.frame(cols, valid=valid)


def masked(ref, name):
    """The column as a pandas nullable array: masked arrays for numbers (NaN stays a value
    beside NA), Arrow-backed strings."""
    v, missing = ref[name], ~ref.present(name)
    if name in STRINGS:
        return pd.array([None if m else x for x, m in zip(v, missing)], dtype="string[pyarrow]")
    if v.dtype.kind == "f":
        return pd.arrays.FloatingArray(v, missing)
    if v.dtype.kind == "b":
        return pd.arrays.BooleanArray(v, missing)
    return pd.arrays.IntegerArray(v, missing)


def _bool(x):
    """A pandas boolean result as a numpy bool array (NA as False)."""
    return np.asarray(x.to_numpy(dtype=bool, na_value=False) if hasattr(x, "to_numpy") else x, dtype=bool)


def nan_backed(ref, name):
    """A float column as classic pandas has it: missing values are NaN."""
    return pd.Series(np.where(ref.present(name), ref[name], np.nan).astype(ref[name].dtype))


def to_masked_numpy(values):
    """A pandas nullable array / Series as (data, missing) numpy arrays."""
    s = pd.Series(values)
    missing = s.isna().to_numpy() if not hasattr(s.array, "_mask") else s.array._mask.copy()
    if s.dtype == "string" or s.dtype == object:
        return np.array([None if m else x for x, m in zip(s.tolist(), missing)], dtype=object), missing
    return s.array._data if hasattr(s.array, "_data") else s.to_numpy(), missing


def evaluated(df, expr):
    """The values and the missing mask of an evaluation (strings come back as an object
    array with None where a value is missing)."""
    got = df.evaluate(expr)
    values = np.ma.getdata(got)
    if values.dtype == object:
        return values, np.array([x is None for x in values], dtype=bool) | np.ma.getmaskarray(got)
    return values, np.ma.getmaskarray(got)


def assert_same(df, expr, expected, expected_missing, dtype=None):
    expr = str(expr)
    values, missing = evaluated(df, expr)
    assert np.array_equal(missing, expected_missing), f"{expr}: missing rows differ"
    if dtype is not None:
        assert df[expr].dtype == np.dtype(dtype), f"{expr}: {df[expr].dtype}"
    keep = ~missing
    if values.dtype == object:
        assert list(values[keep]) == list(np.asarray(expected, dtype=object)[keep]), expr
    else:
        np.testing.assert_array_equal(values[keep], np.asarray(expected)[keep], err_msg=str(expr))


ALL = list(NUMERIC) + STRINGS


@pytest.mark.parametrize("name", ALL)
def test_isna_family(data, name):
    df, ref = data
    m = masked(ref, name)
    nan = pd.isna(nan_backed(ref, name)).to_numpy() if ref[name].dtype.kind == "f" else np.asarray(m.isna())
    no_missing = np.zeros(len(ref), dtype=bool)
    # ismissing: only missing (pandas' masked isna keeps NaN as a value).
    assert_same(df, f"ismissing({name})", np.asarray(m.isna()), no_missing, np.bool_)
    assert_same(df, f"notmissing({name})", ~np.asarray(m.isna()), no_missing, np.bool_)
    # isna: missing or NaN (classic pandas, where a missing float is NaN).
    for fn, expected in [("isna", nan), ("isnull", nan), ("notna", ~nan), ("notnull", ~nan)]:
        assert_same(df, f"{fn}({name})", expected, no_missing, np.bool_)
        assert_same(df, getattr(df[name], fn)(), expected, no_missing)
    assert_same(df, df[name].ismissing(), np.asarray(m.isna()), no_missing)
    assert_same(df, df[name].notmissing(), ~np.asarray(m.isna()), no_missing)
    if name in STRINGS:
        with pytest.raises(TypeError):
            df[f"isnan({name})"]
    else:
        # isnan of a missing value is missing (pandas: NA), NaN is NaN.
        expected = np.isnan(ref[name]) if ref[name].dtype.kind == "f" else np.zeros(len(ref), bool)
        assert_same(df, df[name].isnan(), expected, ~ref.present(name), np.bool_)
        got = pd.array(np.isnan(m)) if ref[name].dtype.kind == "f" else None
        if got is not None:
            data_, miss = to_masked_numpy(got)
            assert_same(df, f"isnan({name})", data_, miss)


FILLS = {"f64": [0.5, -1, "f32"], "f32": [0.5, 2], "i8": [7, 0.5], "i32": [-3, "i8"], "i64": [0],
         "u8": [255, 1.5], "u64": [3], "b": [True, 2], "s": ["zü", "t"], "t": [""]}


def _fill_value(ref, v):
    return (ref[v], ref.present(v)) if isinstance(v, str) and v in ref.columns else (v, None)


@pytest.mark.parametrize("name", ALL)
def test_fills(data, name):
    """fillmissing is pandas' fillna on nullable arrays (NaN stays); fillna is classic
    pandas' fillna (NaN and missing); fillnan replaces NaN only. The result dtype is
    numpy's promotion of the column with the value (NEP 50 for Python numbers)."""
    df, ref = data
    v, present = ref[name], ref.present(name)
    isnan = np.isnan(v) if v.dtype.kind == "f" else np.zeros(len(v), bool)
    for value in FILLS[name]:
        fill, fill_present = _fill_value(ref, value)
        is_column = fill_present is not None
        text_value = value if is_column else sf.expression.literal(value)
        fill_present = np.ones(len(v), bool) if fill_present is None else fill_present
        if name in STRINGS:
            dtype = np.dtype(object)
            fillv = fill if is_column else np.full(len(v), fill, dtype=object)
        else:
            dtype = np.result_type(v, fill) if is_column else np.where(present, v, fill).dtype
            fillv = np.broadcast_to(np.asarray(fill).astype(dtype), v.shape)
        base = v.astype(dtype)
        for fn, take in [("fillmissing", ~present), ("fillna", ~present | isnan), ("fillnan", present & isnan)]:
            expected = np.where(take, fillv, base)
            expected_missing = np.where(take, ~fill_present, ~present)
            expr = f"{fn}({name}, {text_value})"
            if name in STRINGS and fn == "fillnan":
                dtype_check = None
            else:
                dtype_check = dtype
            assert_same(df, expr, expected, expected_missing, dtype_check)
            if not is_column:
                assert_same(df, getattr(df[name], fn)(value), expected, expected_missing)
        if not is_column:
            # The pandas references themselves.
            m = masked(ref, name)
            if name in STRINGS or (v.dtype.kind != "f" and np.asarray(fill).dtype.kind == v.dtype.kind) or \
                    v.dtype.kind == "f":
                data_, miss = to_masked_numpy(m.fillna(fill))
                assert_same(df, f"fillmissing({name}, {text_value})", data_, miss)
            if v.dtype.kind == "f":
                assert_same(df, f"fillna({name}, {text_value})", nan_backed(ref, name).fillna(fill).to_numpy(),
                            np.zeros(len(v), bool))


ISIN = {"f64": [[0.5, -1.2, 0.0], [np.nan, 1.1], [np.inf, None, 3], [], [1e300, -0.0]],
        "f32": [[0.5, 0.1, -1.2], [np.nan], [2, None]],
        "i8": [[1, 2, 3, 1000], [-5, 0.0, 1.5], [None], [True]],
        "i32": [[0, 19, -5, 2 ** 40]], "i64": [[3, 4, 5, None]], "u8": [[0, 1, -1, 255, 300]],
        "u64": [[2 ** 64 - 1, 0, 7]], "b": [[True], [False, None], [1], [0.0]],
        "s": [["a", "Zürich", "日本", "nope"], ["", None], ["a\u0301"]], "t": [[]]}


@pytest.mark.parametrize("name", ALL)
def test_isin(data, name):
    """isin against pandas: masked arrays for numbers (NaN matches NaN; values are compared
    exactly, so 0.1 is not in a float32 column), Arrow strings; a missing value is in the
    values only when None is one of them."""
    df, ref = data
    m = masked(ref, name)
    present = ref.present(name)
    for values in ISIN[name]:
        plain = [x for x in values if x is not None]
        if name in STRINGS:
            expected = _bool(m.isin(values))
        else:
            expected = _bool(m.isin(plain))
            expected[~present] = None in values
        for expr in (df[name].isin(values), df[name].isin(np.array(plain, dtype=object)) if None not in values
                     and plain else df[name].isin(values)):
            assert_same(df, expr, expected, np.zeros(len(ref), bool), np.bool_)
    if name not in STRINGS:
        assert_same(df, np.isin(df[name], [1, 2]), np.isin(ref[name], [1, 2]) & present, np.zeros(len(ref), bool))


def test_isin_missing_like_object_pandas(data):
    """With None among the values a missing value is in them, as in pandas' object and
    Arrow string columns."""
    df, ref = data
    objects = pd.Series([x if p else None for x, p in zip(ref["i64"].tolist(), ref.present("i64"))], dtype=object)
    assert_same(df, "isin(i64, 3, None)", objects.isin([3, None]).to_numpy(), np.zeros(len(ref), bool))


MAPS = [
    ("i8", {0: "zero", 1: "one", -5: "minus five", 19: "nineteen", 1000: "never"}, "other"),
    ("i8", {0: "zero", 1: "ünö"}, None),
    ("i32", {k: k * 10 for k in range(-5, 10)}, -1),
    ("u8", {k: k / 4 for k in range(0, 20, 2)}, None),
    ("i64", {3: True, 4: False}, False),
    ("b", {True: "yes", False: "no"}, None),
    ("s", {"a": 1, "Zürich": 2, "日本": 3, "": 4}, 0),
    ("s", {"a": "A", "ab": "AB", "ünïcode": "ÜNÏCODE", None: "missing"}, None),
    ("t", {w: float(i) for i, w in enumerate(WORDS[:10])}, 0.5),
    ("f64", {0.5: "half", 0.0: "zero", float("nan"): "nan"}, "?"),
]


@pytest.mark.parametrize("name,mapping,default", MAPS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MAPS)])
def test_map(data, name, mapping, default):
    """map(dict, default=) like vaex's: each present value's entry (pandas' Series.map on
    the present values), the default for values that are not keys and for missing
    values (as vaex's default_value and a pandas defaultdict), missing without a
    default; None as a key maps the missing values."""
    df, ref = data
    v, present = ref[name], ref.present(name)
    plain = {k: x for k, x in mapping.items() if k is not None}
    mapped = pd.Series(v[present]).map(plain)
    found = pd.Series(v[present]).isin(list(plain)).to_numpy().copy()
    if isinstance(v[0], float) or v.dtype.kind == "f":
        found |= np.isnan(v[present]) & any(isinstance(k, float) and np.isnan(k) for k in plain)
    out_values = list(mapping.values()) + ([default] if default is not None else [])
    kinds = {type(x) for x in out_values if x is not None}
    dtype = (np.dtype(object) if str in kinds else np.dtype(bool) if kinds == {bool}
             else np.dtype(np.float64) if float in kinds else np.dtype(np.int64))
    expected = np.empty(len(v), dtype=object)
    expected_missing = np.ones(len(v), dtype=bool)
    present_values = np.where(found, mapped.to_numpy(dtype=object), default)
    expected[present] = present_values
    expected_missing[present] = ~found if default is None else False
    if None in mapping:
        expected[~present] = mapping[None]
        expected_missing[~present] = False
    elif default is not None:
        expected[~present] = default
        expected_missing[~present] = False
    if dtype != object:
        expected = np.where(expected_missing, 0, expected).astype(dtype)
    expr = df[name].map(mapping, default=default) if default is not None else df[name].map(mapping)
    assert_same(df, expr, expected, expected_missing, dtype)
    if default is not None:
        assert str(df[name].map(mapping, default_value=default)) == str(expr)


# Arrow semantics of the operators ----------------------------------------------------

def _pa(ref, name):
    return pa.array(ref[name], mask=~ref.present(name))


@pytest.mark.parametrize("text,reference", [
    ("f64 + i32", lambda a: pc.add(a["f64"], pc.cast(a["i32"], pa.float64()))),
    ("i8 * 2", lambda a: pc.multiply_checked(pc.cast(a["i8"], pa.int64()), 2)),
    ("sqrt(f32)", lambda a: pc.sqrt(a["f32"])),
    ("abs(i32)", lambda a: pc.abs(a["i32"])),
    ("f64 > 0.5", lambda a: pc.greater(a["f64"], 0.5)),
    ("s == 'a'", lambda a: pc.equal(a["s"], "a")),
    ("s < t", lambda a: pc.less(a["s"], a["t"])),
    ("where(b, i64, u8)", lambda a: pc.if_else(a["b"], a["i64"], pc.cast(a["u8"], pa.int64()))),
    ("(f64 > 0) & b", lambda a: pc.and_kleene(pc.greater(a["f64"], 0), a["b"])),
])
def test_missing_propagates_like_arrow(data, text, reference):
    """An operand's missing value makes the result missing, as pyarrow.compute; where()
    picks the chosen value's presence. (`&` of a missing with False is missing here, not
    Kleene's False: Arrow's plain `and` — the check skips such rows.)"""
    df, ref = data
    arrays = {name: _pa(ref, name) for name in ref.columns}
    expected = reference(arrays)
    values, missing = evaluated(df, text)
    expected_missing = expected.is_null().to_numpy(zero_copy_only=False)
    if "&" in text:
        expected_missing = pc.and_(pc.greater(arrays["f64"], 0), arrays["b"]).is_null().to_numpy(zero_copy_only=False)
    assert np.array_equal(missing, expected_missing)
    keep = ~missing
    exp = expected.fill_null(False if pa.types.is_boolean(expected.type) else 0).to_numpy(zero_copy_only=False)
    if values.dtype.kind == "f":
        np.testing.assert_allclose(values[keep], exp[keep].astype(values.dtype), rtol=1e-6, equal_nan=True)
    else:
        np.testing.assert_array_equal(values[keep], exp[keep].astype(values.dtype))


def test_filter_drops_missing_conditions(data):
    df, ref = data
    arrays = {name: _pa(ref, name) for name in ("f64", "s")}
    assert len(df[df.f64 > 0]) == pc.sum(pc.greater(arrays["f64"], 0)).as_py()
    assert df[df.s == "a"].count() == pc.sum(pc.equal(arrays["s"], "a")).as_py()
    assert len(df[df.f64.isna()]) == int(pd.isna(nan_backed(ref, "f64")).sum())
    kept = df[df.s.isin(["a", "b"])]
    assert len(kept) == int(_bool(masked(ref, "s").isin(["a", "b"])).sum())
    assert kept.sum("fillna(f64, 0)") == pytest.approx(
        nan_backed(ref, "f64").fillna(0)[_bool(masked(ref, "s").isin(["a", "b"]))].sum())


# Dictionary-encoded and large strings ------------------------------------------------------

def test_dictionary_and_large_strings(tmp_path):
    rng = np.random.default_rng(3)
    n = 150_001
    words = [w if rng.random() > 0.1 else None for w in WORDS[rng.integers(0, len(WORDS), n)]]
    table = pa.table({"cat": pa.array(words, pa.string()).dictionary_encode(),
                      "ls": pa.array(words[::-1], pa.large_string())})
    path = tmp_path / "d.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        bounds = batch_bounds(n)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            w.write_batch(table.slice(lo, hi - lo).to_batches()[0] if hi > lo else
                          pa.record_batch([c.chunk(0)[:0] for c in table.columns], schema=table.schema))
    df = sf.open(str(path))
    none = np.zeros(n, dtype=bool)
    for name, series in [("cat", pd.Series(words, dtype="string[pyarrow]")),
                         ("ls", pd.Series(words[::-1], dtype="string[pyarrow]"))]:
        assert_same(df, df[name].isna(), series.isna().to_numpy(), none)
        assert_same(df, df[name].isin(["a", "日本", None]),
                    series.isin(["a", "日本", None]).to_numpy(dtype=bool, na_value=False), none)
        assert_same(df, df[name].fillna("∅"), series.fillna("∅").to_numpy(dtype=object), none, object)
        mapping = {"a": "α", "Zürich": "ZH", "ø": ""}
        expected = series.map(mapping)
        missing = expected.isna().to_numpy()
        assert_same(df, df[name].map(mapping), expected.to_numpy(dtype=object, na_value=None), missing)


# Errors before any pass ------------------------------------------------------------------

@pytest.mark.parametrize("bad, error", [
    ("isna()", TypeError), ("isna(x, y)", TypeError), ("fillna(x)", TypeError), ("fillna(x, 1, 2)", TypeError),
    ("fillna(s, 1)", TypeError), ("fillna(x, 'a')", TypeError), ("fillmissing(s, x)", TypeError),
    ("isin(x, y)", TypeError), ("isin(x, x + 1)", TypeError), ("isin(s, 1)", TypeError), ("isin(x, 'a')", TypeError),
    ("isin()", TypeError), ("map(s, 'a', x)", TypeError), ("map(x, 1, 'a', 2)", TypeError),
    ("map(s, 1, 'a')", TypeError), ("map(x, 'a', 1)", TypeError), ("isnan(s)", TypeError), ("fillna(i, 1000)", TypeError),
    ("isna_(x)", NameError), ("fill_na(x, 0)", NameError), ("isin(t, 1)", TypeError),
])
def test_errors_before_any_pass(tmp_path, bad, error):
    path = tmp_path / "e.arrow"
    table = pa.table({"x": pa.array([1.0, None]), "y": [1.0, 2.0], "i": pa.array([1, None], pa.int8()),
                      "s": pa.array(["a", None]), "t": pa.array([1, 2], pa.timestamp("s"))})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    with pytest.raises(error):
        df[bad]
    with pytest.raises(error):
        df.count(selection=bad)


def test_python_spellings(tmp_path):
    path = tmp_path / "p.arrow"
    table = pa.table({"x": [1.0, np.nan, 3.0], "s": ["a", "b", "c"]})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    assert str(df.x.fillna(0)) == "fillna(x, 0)"
    assert str(df.s.isin(["a", None])) == "isin(s, 'a', None)"
    assert str(df.x.isin(np.array([1.0, 2.0]))) == "isin(x, 1.0, 2.0)"
    assert str(df.s.map({"a": 1, "b": 2}, default=0)) == "map(s, 'a', 'b', 1, 2, 0)"
    assert str(df.s.map({"a": 1})) == "map(s, 'a', 1)"
    with pytest.raises(TypeError):
        df.s.isin("abc")
    with pytest.raises(TypeError):
        df.s.map(["a"])
    with pytest.raises(TypeError):
        df.x.isin([df.x])
    np.testing.assert_array_equal(df.evaluate(df.x.fillnan(-1)), [1.0, -1.0, 3.0])
    np.testing.assert_array_equal(df.evaluate(df.s.map({"a": 1, "b": 2}, default=0)), [1, 2, 0])


VAEX_SCRIPT = """
import json, sys, vaex
df = vaex.open(sys.argv[1])
out = {}
for key, expr in json.loads(sys.argv[2]).items():
    out[key] = [None if isinstance(v, float) and v != v else v for v in eval(expr).tolist()]
print(json.dumps(out))
"""


def test_against_vaex(tmp_path):
    """The same calls in vaex itself (its own interpreter, .venv-vaex) give the same values,
    for the functions whose meaning vaex and swiftframe share."""
    import json
    from test_vaex import vaex
    rng = np.random.default_rng(11)
    n = 5000
    present = rng.random(n) > 0.15
    x = rng.standard_normal(n).round(1)
    x[rng.random(n) < 0.1] = np.nan
    words = WORDS[rng.integers(0, 12, n)]
    table = pa.table({"x": pa.array(x, mask=~present), "i": pa.array(rng.integers(-3, 6, n), mask=~present[::-1]),
                      "s": pa.array([w if p else None for w, p in zip(words, present[::-1])])})
    path = tmp_path / "v.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    calls = {
        "isna": ("df.x.isna()", df.x.isna()), "notna": ("df.x.notna()", df.x.notna()),
        "ismissing": ("df.x.ismissing()", df.x.ismissing()), "notmissing": ("df.x.notmissing()", df.x.notmissing()),
        "s_isna": ("df.s.isna()", df.s.isna()), "fillna": ("df.x.fillna(-9)", df.x.fillna(-9)),
        "fillmissing": ("df.x.fillmissing(-9)", df.x.fillmissing(-9)), "s_fillna": ("df.s.fillna('∅')", df.s.fillna("∅")),
        "isin": ("df.i.isin([0, 2, 5])", df.i.isin([0, 2, 5])), "s_isin": ("df.s.isin(['a', 'ø', None])",
                                                                        df.s.isin(["a", "ø", None])),
        "s_map": ("df.s.map({'a': 1, 'Zürich': 2, '日本': 3}, default_value=0)",
                  df.s.map({"a": 1, "Zürich": 2, "日本": 3}, default_value=0)),
    }
    theirs = vaex(VAEX_SCRIPT, path, json.dumps({k: v[0] for k, v in calls.items()}))
    for key, (_, expr) in calls.items():
        values, missing = evaluated(df, expr)
        ours = [None if m or (isinstance(v, float) and v != v) else v for v, m in zip(values.tolist(), missing)]
        assert ours == theirs[key], key
