"""Comparisons between strings and with string literals (`df.s == "x"`), on plain,
large and dictionary-encoded columns with missing values and non-ASCII text,
checked against pyarrow.compute (Arrow's null semantics: a comparison with a
missing value is missing, and a filter drops it)."""

import operator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import swiftframe as sf

N = 100_003
OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
PC = {"==": pc.equal, "!=": pc.not_equal, "<": pc.less, "<=": pc.less_equal, ">": pc.greater, ">=": pc.greater_equal}


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(5)
    words = np.array(["", "a", "ab", "abc", "b", "Zürich", "zebra", "ünïcode", "日本", "a\u0301", "A"] +
                     [f"w{i:03d}" for i in range(60)], dtype=object)
    a = words[rng.integers(0, len(words), N)]
    b = words[rng.integers(0, len(words), N)]
    a[rng.random(N) < 0.07] = None
    b[rng.random(N) < 0.05] = None
    return pa.table({"s": pa.array(list(a), pa.string()), "ls": pa.array(list(b), pa.large_string()),
                     "cat": pa.array(list(b), pa.string()).dictionary_encode(),
                     "x": pa.array(rng.standard_normal(N))})


@pytest.fixture(scope="module")
def frame(table, tmp_path_factory):
    path = tmp_path_factory.mktemp("strcmp") / "s.arrow"
    with pa.ipc.new_file(str(path), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=30_000):
            writer.write_batch(batch)
    return sf.open(str(path))


def expected_mask(table, op, left, right):
    """Rows where the comparison is true (missing counts as false), by pyarrow."""
    lhs = table[left] if left in table.column_names else pa.scalar(left)
    rhs = table[right] if right in table.column_names else pa.scalar(right)
    if left == "cat":
        lhs = lhs.cast(pa.string())
    if right == "cat":
        rhs = rhs.cast(pa.string())
    return pc.fill_null(PC[op](lhs, rhs), False).to_numpy(zero_copy_only=False)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("column", ["s", "ls", "cat"])
@pytest.mark.parametrize("text", ["ab", "Zürich", "", "日本", "zzz"])
def test_column_against_literal(frame, table, op, column, text):
    keep = expected_mask(table, op, column, text)
    got = frame[OPS[op](frame[column], text)]
    assert len(got) == keep.sum()
    assert got.sum("x") == pytest.approx(table["x"].to_numpy()[keep].sum(), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("op", OPS)
def test_literal_on_the_left(frame, table, op):
    # Python reflects `"m" < df.s` into `df.s > "m"`; an expression string may also write it.
    keep = expected_mask(table, op, "m", "s")
    assert frame.count(selection=f"'m' {op} s") == keep.sum()


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("pair", [("s", "ls"), ("s", "cat"), ("cat", "ls")])
def test_column_against_column(frame, table, op, pair):
    keep = expected_mask(table, op, *pair)
    assert frame.count(selection=OPS[op](frame[pair[0]], frame[pair[1]])) == keep.sum()


def test_comparison_is_missing_where_an_operand_is(frame, table):
    values = frame.evaluate(frame.s == "ab")
    expected = pc.equal(table["s"], "ab")
    valid = expected.is_valid().to_numpy(zero_copy_only=False)
    assert np.array_equal(np.ma.getmaskarray(values), ~valid)
    assert np.array_equal(np.ma.getdata(values)[valid], expected.to_numpy(zero_copy_only=False)[valid].astype(bool))


def test_escaped_literals(tmp_path):
    texts = ["it's", 'say "hi"', "back\\slash", "tab\there", "new\nline", "plain"]
    path = tmp_path / "q.arrow"
    pa.ipc.new_file(str(path), pa.schema([("s", pa.string())])).close()
    with pa.ipc.new_file(str(path), pa.schema([("s", pa.string())])) as w:
        w.write_table(pa.table({"s": texts * 3}))
    df = sf.open(str(path))
    for t in texts:
        assert len(df[df.s == t]) == 3


def test_evaluate_filtered_strings(frame, table):
    got = frame[frame.s >= "b"].evaluate("s")
    keep = expected_mask(table, ">=", "s", "b")
    assert list(got) == list(table["s"].to_numpy(zero_copy_only=False)[keep])


@pytest.mark.parametrize("bad, error", [("s == 1", TypeError), ("s - 'a' == 'b'", TypeError), ("x == 'a'", TypeError),
                                        ("s < x", TypeError), ("sqrt(s)", TypeError), ("'a' == 'b'", TypeError)])
def test_type_errors_before_any_pass(frame, bad, error):
    with pytest.raises(error):
        frame.count(selection=bad)
