"""drop, trim, extract, copy and df.concat against pandas on generated data over the
storage variants: slices cut inside record batches at odd offsets (validity bitmaps,
bit-packed bools and string offsets cut mid-byte), filters kept by trim, and the
filtered rows materialized by extract into memory or an Arrow file."""

import numpy as np
import pandas as pd
import pytest

import swiftframe as sf

WORDS = np.array(["a", "Zürich", "日本", "", "naïve"], dtype=object)


def generate(rng, n):
    columns = {"x": rng.standard_normal(n), "i": rng.integers(-9, 9, n), "b": rng.random(n) < 0.5,
               "s": WORDS[rng.integers(0, len(WORDS), n)]}
    valid = {"x": rng.random(n) > 0.1, "s": rng.random(n) > 0.1, "b": rng.random(n) > 0.1}
    return columns, valid


def cells(values):
    """A column as Python values, missing ones as None."""
    if isinstance(values, np.ma.MaskedArray):
        return [None if m else v.item() for v, m in zip(values.data, np.ma.getmaskarray(values))]
    return [None if v is None else (v.item() if hasattr(v, "item") else v) for v in values]


def expected_cells(ref, name, rows=slice(None)):
    """The reference values of `rows`, missing ones as None."""
    return [v if p else None for v, p in zip(ref[name][rows].tolist(), ref.present(name)[rows])]


def assert_frame(df, ref, names, rows=slice(None)):
    assert len(df) == len(np.arange(len(ref))[rows])
    for name in names:
        assert cells(df.evaluate(name)) == expected_cells(ref, name, rows), name


@pytest.mark.parametrize("lo, hi", [(0, 10), (3, 16_390), (16_383, 116_390), (117_001, 199_999)])
def test_trim_cuts_the_rows_without_changing_them(file_storage, rng, lo, hi):
    columns, valid = generate(rng, 200_001)
    df, ref = file_storage.frame(columns, valid)
    sliced = df[lo:hi]
    trimmed = sliced.trim()
    assert_frame(trimmed, ref, ["x", "i", "b", "s"], slice(lo, hi))
    present = ref.present("x")[lo:hi]
    assert trimmed.count("x") == present.sum()  # missing values counted in the cut bitmap
    assert trimmed.sum("i") == ref["i"][lo:hi].sum()
    assert trimmed.count("s") == ref.present("s")[lo:hi].sum()


def test_trim_keeps_filter_virtual_columns_and_selections(rng):
    x = rng.standard_normal(50_000)
    df = sf.from_arrays(x=x, k=np.arange(50_000))
    df["y"] = df.x * 2
    df.select("x > 1", name="high")
    part = df[df.x > 0][100:9_000]
    trimmed = part.trim()
    kept = np.flatnonzero(x > 0)[100:9_000]
    np.testing.assert_array_equal(trimmed.evaluate("k"), kept)
    np.testing.assert_allclose(trimmed.evaluate("y"), 2 * x[kept])
    assert trimmed.count(selection="high") == (x[kept] > 1).sum()
    inplace = df[10:20]
    assert inplace.trim(inplace=True) is inplace
    np.testing.assert_array_equal(inplace.evaluate("k"), np.arange(10, 20))


def test_concat_of_slices_through_trim(file_storage, rng):
    columns, valid = generate(rng, 30_000)
    df, ref = file_storage.frame(columns, valid)
    with pytest.raises(ValueError, match="row range"):
        sf.concat([df[5:10], df[20:30]])
    n = len(ref)
    both = df[5:1_000].concat(df[n - 8_000:n - 999], df[:3])
    rows = np.r_[5:1_000, n - 8_000:n - 999, 0:3]
    assert_frame(both, ref, ["x", "i", "b", "s"], rows)
    expected = pd.concat([pd.Series(ref["i"][5:1_000]), pd.Series(ref["i"][n - 8_000:n - 999]),
                          pd.Series(ref["i"][:3])])
    assert both.sum("i") == expected.sum()


def test_drop(rng):
    x, i = rng.standard_normal(1_000), rng.integers(0, 5, 1_000)
    df = sf.from_arrays(x=x, i=i, z=x * 0)
    df["r"] = df.x * 2 + df.i
    out = df.drop(["x", "z"])
    expected = pd.DataFrame({"x": x, "i": i, "z": x * 0, "r": x * 2 + i}).drop(columns=["x", "z"])
    assert out.column_names == list(expected.columns)
    np.testing.assert_allclose(out.evaluate("r"), expected["r"])  # r still reads the hidden x
    assert df.column_names == ["x", "i", "z", "r"]
    assert df.drop("r").column_names == ["x", "i", "z"]
    assert df.drop(df.z, inplace=True) is df and df.column_names == ["x", "i", "r"]
    with pytest.raises(KeyError, match="nope"):
        df.drop("nope")


@pytest.mark.parametrize("to_file", [False, True])
def test_extract_materializes_the_filtered_rows(file_storage, rng, to_file, tmp_path):
    columns, valid = generate(rng, 20_000)
    df, ref = file_storage.frame(columns, valid)
    df["y"] = df.i * 10
    keep = ref["i"] > 2
    before = df[df.i > 2]
    out = before.extract(tmp_path / "extract.arrow") if to_file else before.extract()
    assert out.column_names == ["x", "i", "b", "s", "y"]
    assert not out.virtual_columns  # values now, not expressions
    assert_frame(out, ref, ["x", "i", "b", "s"], keep)
    np.testing.assert_array_equal(out.evaluate("y"), ref["i"][keep] * 10)
    if to_file:
        assert (tmp_path / "extract.arrow").exists()
    assert len(before) == keep.sum()  # the source frame is unchanged


def test_copy_is_independent(rng):
    x = rng.standard_normal(100)
    df = sf.from_arrays(x=x)
    other = df.copy()
    other["y"] = other.x + 1
    assert "y" not in df.column_names
    np.testing.assert_allclose(other.evaluate("y"), x + 1)
