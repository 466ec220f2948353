"""Bad input gives a clear Python exception carrying the engine's message (DESIGN:
unknown column -> NameError, KeyError for df["name"]; malformed expression ->
SyntaxError; type error -> TypeError; missing file -> FileNotFoundError; other I/O
-> OSError; corrupt file -> ValueError), the process survives, and the frame still
works afterwards."""

import numpy as np
import pytest

import swiftframe as sf
from conftest import assert_values


@pytest.fixture
def frame(storage, rng):
    n = 100_000
    data = {"x": rng.standard_normal(n), "i": rng.integers(-50, 50, n).astype(np.int32), "b": rng.random(n) < 0.5}
    df, ref = storage.frame(data)
    df["v"] = df.x * 2
    return df, ref


def still_works(df, ref):
    """The frame is intact: same columns, same values, statistics still run."""
    assert df.column_names == ["x", "i", "b", "v"]
    assert len(df) == len(ref)
    assert_values(df.x.values, ref["x"])
    assert df.i.sum() == np.sum(ref["i"], dtype=np.int64)
    assert df.v.mean() == pytest.approx(np.mean(ref["x"] * 2), rel=1e-9)
    assert len(df[df.x > 0]) == np.sum(ref["x"] > 0)


UNKNOWN_NAMES = [
    lambda df: df["nope + 1"],
    lambda df: df.evaluate("nope"),
    lambda df: df.evaluate("x * nope"),
    lambda df: df.sum("nope"),
    lambda df: df.mean(["x", "nope"]),
    lambda df: df.count("nope"),
    lambda df: df.filter("nope > 0"),
    lambda df: df.mean("x", selection="nope > 0"),
    lambda df: df.data_type("sqrt(nope)"),
    lambda df: df.add_virtual_column("w", "x + nope"),
    lambda df: df.evaluate("foo(x)"),  # an unknown function, as Python's NameError
]


@pytest.mark.parametrize("action", range(len(UNKNOWN_NAMES)))
def test_unknown_names_are_name_errors(frame, action):
    df, ref = frame
    with pytest.raises(NameError, match="nope|foo") as info:
        UNKNOWN_NAMES[action](df)
    assert "not defined" in str(info.value) or "unknown function" in str(info.value)
    still_works(df, ref)


def test_missing_column_item_is_key_error(frame):
    df, ref = frame
    with pytest.raises(KeyError, match="missing"):
        df["missing"]
    with pytest.raises(KeyError, match="missing"):
        df[["x", "missing"]]
    with pytest.raises(AttributeError, match="missing"):
        df.missing
    still_works(df, ref)


MALFORMED = ["x +", "(x", "x $ y", "x y", ")", "", "   ", "x ** ", "where(x > 0, 1", "1 2", "x +* 2",
             "sqrt(x,)", "'unterminated", "`unterminated", "x @ 2", "x = 1", "3 +- ", "99999999999999999999 + x",
             "(" * 10_000 + "x" + ")" * 10_000, " + ".join(["x"] * 5000)]


@pytest.mark.parametrize("text", MALFORMED, ids=[repr(t[:20]) for t in MALFORMED])
def test_malformed_expressions_are_syntax_errors(frame, text):
    df, ref = frame
    with pytest.raises(SyntaxError):
        df[text]
    with pytest.raises(SyntaxError):
        df.sum(text)
    with pytest.raises(SyntaxError):
        df.filter(text)
    with pytest.raises(SyntaxError):
        df.count("x", selection=text)
    with pytest.raises(SyntaxError):
        df["w"] = text
    still_works(df, ref)


def test_syntax_error_message_points_at_the_problem(frame):
    df, _ = frame
    with pytest.raises(SyntaxError, match=r"\$.*position 2"):
        df.evaluate("x $ y")
    with pytest.raises(SyntaxError, match="end of expression"):
        df.evaluate("x +")


def test_a_long_flat_expression_works(frame):
    """Long but shallow expressions are fine (only nesting depth is limited)."""
    df, ref = frame
    text = " + ".join(["x"] * 300)
    assert_values(df.evaluate(text), sum([ref["x"]] * 299, ref["x"]), rtol=1e-9)


TYPE_ERRORS = [
    lambda df: df.filter("x + 1"),  # a filter must be boolean
    lambda df: df[df.x],
    lambda df: df.filter("i"),
    lambda df: df.sum("x", selection="x * 2"),  # so must a selection
    lambda df: df.evaluate("~x"),  # ~ on a float, as numpy
    lambda df: df.evaluate("x & 1"),
    lambda df: df.evaluate("x << 1"),
    lambda df: df.evaluate("b - b"),  # numpy: boolean subtract is not supported
    lambda df: df.evaluate("-b"),
    lambda df: df.evaluate("x + 'a'"),
    lambda df: df.evaluate("where(x > 0)"),  # wrong number of arguments
    lambda df: df.evaluate("sqrt(x, i)"),
    lambda df: df.evaluate("int8(x, i)"),
    lambda df: df.evaluate("i + 2 ** 80"),  # a Python int outside 64 bits
    lambda df: df.evaluate("int8(1000)"),
    lambda df: df.evaluate("i * 10000000000"),  # numpy: OverflowError (NEP 50)
    lambda df: bool(df.x > 0),  # the truth value of an expression is ambiguous
    lambda df: (df.x + "text").evaluate(),  # built lazily, checked before the pass
    lambda df: df.add_virtual_column("w", 3.5),
    lambda df: df[3.5],
]


@pytest.mark.parametrize("action", range(len(TYPE_ERRORS)))
def test_type_errors(frame, action):
    df, ref = frame
    with pytest.raises(TypeError):
        TYPE_ERRORS[action](df)
    still_works(df, ref)


def test_integer_to_negative_power_is_a_value_error(frame):
    """numpy: "Integers to negative integer powers are not allowed." (ValueError), at evaluation."""
    df, ref = frame
    assert df["i ** -1"].dtype == np.int32
    with pytest.raises(ValueError, match="negative integer powers"):
        df.evaluate("i ** -1")
    with pytest.raises(ValueError, match="negative integer powers"):
        df.sum("i ** (i - 100)")
    still_works(df, ref)


def test_negative_power_only_counts_rows_the_filter_keeps(storage):
    """A filtered frame is numpy on the filtered arrays: a negative exponent in a row the
    filter drops is no error. A selection is not a filter: numpy would compute the power
    on every row, then select, and so raise."""
    i = np.arange(1, 200_001, dtype=np.int64) % 7
    e = np.where(np.arange(200_000) % 3 == 0, -1, 2).astype(np.int64)
    df, ref = storage.frame({"i": i, "e": e})
    f = df[df.e >= 0]
    keep = ref["e"] >= 0
    assert_values(f.evaluate("i ** e"), ref["i"][keep] ** ref["e"][keep])
    assert f.sum("i ** e") == np.sum(ref["i"][keep] ** ref["e"][keep])
    with pytest.raises(ValueError):
        df.sum("i ** e", selection="e >= 0")


def test_failed_batch_computes_nothing(frame):
    """One bad expression in a list fails the whole call before any pass."""
    df, ref = frame
    before = sf.pass_count()
    with pytest.raises(NameError):
        df.mean(["x", "i", "nope"])
    with pytest.raises(SyntaxError):
        df.minmax(["x", "i +"])
    assert sf.pass_count() == before
    still_works(df, ref)


def test_failed_virtual_column_or_filter_leaves_frame_unchanged(frame):
    """A redefinition that would make virtual columns refer to themselves is refused
    and the old definitions stay."""
    df, ref = frame
    df["a"] = "v + 1"
    with pytest.raises(SyntaxError, match="refers to itself"):
        df["v"] = "a * 2"
    assert_values(df.v.values, ref["x"] * 2)
    assert_values(df.a.values, ref["x"] * 2 + 1)
    with pytest.raises(TypeError):
        df.filter("a")
    assert len(df) == len(ref)
    assert df.column_names == ["x", "i", "b", "v", "a"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.arrow"):
        sf.open(tmp_path / "nothing.arrow")
    with pytest.raises(FileNotFoundError):
        sf.open("/nonexistent/dir/x.arrow")


def test_bad_files(tmp_path):
    """A directory is an OSError; a file that is not Arrow (or is empty or truncated) is
    a ValueError; the process survives every one."""
    import pyarrow as pa
    with pytest.raises(OSError):
        sf.open(tmp_path)
    text = tmp_path / "notes.arrow"
    text.write_text("this is not an Arrow file\n" * 10)
    with pytest.raises(ValueError):
        sf.open(text)
    empty = tmp_path / "empty.arrow"
    empty.write_bytes(b"")
    with pytest.raises(ValueError):
        sf.open(empty)
    good = tmp_path / "good.arrow"
    table = pa.table({"x": np.arange(10_000, dtype=np.float64)})
    with pa.ipc.new_file(str(good), table.schema) as w:
        w.write_table(table)
    raw = good.read_bytes()
    for cut in (len(raw) - 1, len(raw) // 2, 12, 6):
        bad = tmp_path / f"cut{cut}.arrow"
        bad.write_bytes(raw[:cut])
        with pytest.raises(ValueError):
            sf.open(bad)
    assert sf.open(good).x.sum() == np.sum(np.arange(10_000, dtype=np.float64))
