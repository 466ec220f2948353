"""Rows with missing values (vaex's dropna, dropnan, dropmissing, dropinf, fillna)
against pandas' dropna/fillna and numpy masks, on random data holding NaN, missing
values (Arrow nulls), infinities, non-ASCII strings and datetimes, over the Arrow-file
storage variants (one batch, uneven batches, filtered). The drop functions are filters
(no pass, nothing copied); fillna replaces columns by virtual columns."""

import numpy as np
import pandas as pd
import pytest

import swiftframe as sf

WORDS = np.array(["a", "Zürich", "日本", "naïve", "", "ø", "b"], dtype=object)
COLUMNS = ["f", "g", "i", "s", "t"]


def generate(rng, n):
    f = rng.standard_normal(n)
    f[rng.random(n) < 0.1] = np.nan
    f[rng.random(n) < 0.03] = np.inf
    g = rng.standard_normal(n).astype(np.float32)
    g[rng.random(n) < 0.05] = np.nan
    columns = {"f": f, "g": g, "i": rng.integers(-50, 50, n),
               "s": WORDS[rng.integers(0, len(WORDS), n)],
               "t": np.datetime64("2021-03-04T05:06:07", "us") + rng.integers(0, 10**12, n).astype("m8[us]")}
    valid = {name: rng.random(n) >= 0.08 for name in ("f", "i", "s", "t")}
    return columns, valid


def nan_of(ref, name):
    """True where the value is present and NaN."""
    values = ref[name]
    return ref.present(name) & np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)


def pandas_frame(ref):
    """The reference as pandas holds it: NaN (floats), <NA> (Int64), None, NaT where missing."""
    out = {}
    for name in COLUMNS:
        values, present = ref[name], ref.present(name)
        if values.dtype.kind == "f":
            out[name] = np.where(present, values, np.nan)
        elif values.dtype.kind == "i":
            out[name] = pd.array(values, dtype="Int64")
            out[name][~present] = pd.NA
        elif values.dtype.kind == "M":
            out[name] = np.where(present, values, np.datetime64("NaT"))
        else:
            out[name] = np.where(present, values, None)
    return pd.DataFrame(out)


def cells(series):
    """A column as a list of Python values, every kind of missing as None."""
    return [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in series.astype(object)]


def assert_same_rows(df, expected):
    actual = df.to_pandas_df()
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    for name in expected.columns:
        a, e = cells(actual[name]), cells(expected[name])
        if name in ("f", "g"):
            np.testing.assert_allclose(np.array(a, dtype=float), np.array(e, dtype=float), rtol=1e-6)
        else:
            assert a == e, name


@pytest.mark.parametrize("how", ["any", "all"])
@pytest.mark.parametrize("subset", [None, ["f", "s"], ["i"], ["g", "t"]])
def test_dropna_matches_pandas(file_storage, rng, how, subset):
    columns, valid = generate(rng, 5_000)
    df, ref = file_storage.frame(columns, valid)
    expected = pandas_frame(ref).dropna(subset=subset, how=how)
    before = sf.pass_count()
    out = df.dropna(column_names=subset, how=how)
    assert sf.pass_count() == before  # a filter: nothing read yet
    assert_same_rows(out, expected)
    assert len(df) == len(ref)  # the source frame is unchanged


def test_dropmissing_and_dropnan_tell_nan_from_missing(file_storage, rng):
    columns, valid = generate(rng, 5_000)
    df, ref = file_storage.frame(columns, valid)
    names = ["f", "g", "i", "s", "t"]
    missing = np.zeros(len(ref), bool)
    nan = np.zeros(len(ref), bool)
    for name in names:
        missing |= ~ref.present(name)
        nan |= nan_of(ref, name)
    expected = pandas_frame(ref)
    assert_same_rows(df.dropmissing(), expected[~missing])
    assert_same_rows(df.dropnan(), expected[~nan])
    assert_same_rows(df.dropmissing(["f"]), expected[ref.present("f")])
    assert_same_rows(df.dropnan(["f"]), expected[~nan_of(ref, "f")])  # missing values of f stay
    assert_same_rows(df.dropnan(["f", "g"], how="all"), expected[~(nan_of(ref, "f") & nan_of(ref, "g"))])
    # No integer is NaN: all of (f, i) never NaN, so nothing is dropped.
    assert len(df.dropnan(["f", "i"], how="all")) == len(ref)
    inf = ref.present("f") & np.isinf(ref["f"])
    assert_same_rows(df.dropinf(), expected[~inf])


def test_drop_functions_combine_with_a_filter_and_a_slice(file_storage, rng):
    columns, valid = generate(rng, 3_000)
    df, ref = file_storage.frame(columns, valid)
    expected = pandas_frame(ref)
    positive = np.asarray(expected["i"].fillna(-1) > 0)
    assert_same_rows(df[df.i > 0].dropna(), expected[positive].dropna())
    assert_same_rows(df[100:2000].dropna(["s", "t"]), expected.iloc[100:2000].dropna(subset=["s", "t"]))


def test_dropna_default_columns_are_the_stored_ones(file_storage, rng):
    columns, valid = generate(rng, 2_000)
    df, ref = file_storage.frame(columns, valid)
    df["r"] = df.i / 0  # a virtual column, NaN or inf: not looked at by default (vaex)
    expected = pandas_frame(ref).dropna()
    assert len(df.dropna()) == len(expected)
    assert len(df.dropna(["r"])) == int((ref.present("i") & (ref["i"] != 0)).sum())  # 0 / 0 is NaN


@pytest.mark.parametrize("subset", [None, ["f", "i"]])
def test_fillna_numbers_matches_pandas(file_storage, rng, subset):
    columns, valid = generate(rng, 4_000)
    df, ref = file_storage.frame(columns, valid)
    before = sf.pass_count()
    filled = df.fillna(-7, column_names=subset)
    assert sf.pass_count() == before  # virtual columns: nothing read
    expected = pandas_frame(ref)
    for name in subset or ["f", "g", "i"]:  # the columns a number fits by default
        expected[name] = expected[name].fillna(-7)
    assert_same_rows(filled, expected)
    for name in subset or ["f", "g", "i"]:
        assert name in filled.virtual_columns
    assert "s" not in filled.virtual_columns
    assert not df.virtual_columns  # the source keeps its stored values
    assert df.count("f") == int((ref.present("f") & ~np.isnan(ref["f"])).sum())
    assert filled.count("f") == len(ref)


def test_fillna_strings_datetimes_and_a_dict(file_storage, rng):
    columns, valid = generate(rng, 4_000)
    df, ref = file_storage.frame(columns, valid)
    when = pd.Timestamp("1999-12-31 23:59:58")
    filled = df.fillna({"s": "ünï", "t": when, "f": 0.5})
    expected = pandas_frame(ref).fillna({"s": "ünï", "t": when, "f": 0.5})
    assert_same_rows(filled, expected)
    only_strings = df.fillna("—")
    expected = pandas_frame(ref)
    expected["s"] = expected["s"].fillna("—")
    assert_same_rows(only_strings, expected)


def test_fillna_inplace_and_in_a_filter(file_storage, rng):
    columns, valid = generate(rng, 3_000)
    df, ref = file_storage.frame(columns, valid)
    same = df.fillna(0, ["i"], inplace=True)
    assert same is df
    expected = pandas_frame(ref)
    expected["i"] = expected["i"].fillna(0)
    assert_same_rows(df, expected)
    # The filled column in a filter: the former missing values count as 0.
    assert len(df[df.i == 0]) == int((expected["i"] == 0).sum())


def test_expression_forms(file_storage, rng):
    columns, valid = generate(rng, 3_000)
    df, ref = file_storage.frame(columns, valid)
    f, present = ref["f"], ref.present("f")
    nan = present & np.isnan(f)
    np.testing.assert_array_equal(df.f.isna().values, ~present | nan)
    np.testing.assert_array_equal(df.f.ismissing().values, ~present)
    isnan = df.f.isnan().values
    np.testing.assert_array_equal(np.ma.getmaskarray(isnan), ~present)  # missing stays missing
    np.testing.assert_array_equal(isnan.filled(False), nan)
    np.testing.assert_allclose(df.f.fillna(3.0).values, np.where(~present | nan, 3.0, f))
    fillnan = df.f.fillnan(3.0).values
    np.testing.assert_array_equal(np.ma.getmaskarray(fillnan), ~present)
    np.testing.assert_allclose(fillnan.filled(np.nan)[present], np.where(nan, 3.0, f)[present])
    fillmissing = df.f.fillmissing(3.0).values
    np.testing.assert_allclose(fillmissing, np.where(~present, 3.0, f))  # NaN stays NaN
    s = df.s.fillna("?").values
    assert list(s) == [w if p else "?" for w, p in zip(ref["s"], ref.present("s"))]


def test_errors(file_storage, rng):
    columns, valid = generate(rng, 100)
    df, _ = file_storage.frame(columns, valid)
    with pytest.raises(ValueError, match="how"):
        df.dropna(how="some")
    with pytest.raises(KeyError, match="nope"):
        df.fillna(0, ["nope"])
    with pytest.raises(NameError):
        df.dropna(["nope"])
    with pytest.raises(TypeError):
        df.fillna(1, ["s"])  # a number into a string column
    with pytest.raises(ValueError, match="both"):
        df.fillna({"f": 1}, ["f"])
