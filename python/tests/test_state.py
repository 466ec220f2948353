"""Pipelines as state (vaex's state_get / state_set / state_write / state_load) and
df.rename, checked against pandas: a pipeline built on a 1,000-row sample file replays
on another file with the same columns, and its virtual columns, filter, selections and
statistics match pandas computed on that second file. Bad states raise and leave the
frame unchanged."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather
import pytest

import swiftframe as sf

WORDS = np.array(["ant", "bée", "cat", "dög", "eel"], dtype=object)


def _write(path, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    x[rng.random(n) < 0.05] = np.nan
    y = rng.standard_normal(n) * 3
    k = rng.integers(0, 6, n)
    s = WORDS[rng.integers(0, len(WORDS), n)]
    valid = rng.random(n) >= 0.1
    table = pa.table({"x": x, "y": y, "k": pa.array(k, mask=~valid), "s": s})
    pyarrow.feather.write_feather(table, str(path), compression="uncompressed")
    return pd.DataFrame({"x": x, "y": y, "k": np.where(valid, k, np.nan), "s": s})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("state")
    sample = _write(folder / "sample.arrow", 1_000, 1)
    full = _write(folder / "full.arrow", 30_000, 2)
    return folder, sample, full


def _pipeline(df):
    """A pipeline: virtual columns (one redefined twice over a stored column), a
    categorical encoding, a rename, a selection and a filter."""
    df["r"] = "sqrt(x ** 2 + y ** 2)"
    df["x"] = df.x * 2
    df["x"] = "x + 1"
    df = df.ordinal_encode("s")
    df.rename("y", "why")
    df["z"] = "why - r"
    df.select("r > 1.5", name="hot")
    return df[df.k > 1]


def _expected(p):
    """The pipeline's columns and filter in pandas (r refers to x by name, so to its
    latest definition, as in vaex)."""
    x = p.x * 2 + 1
    out = pd.DataFrame({"x": x, "why": p.y, "k": p.k, "r": np.sqrt(x ** 2 + p.y ** 2)})
    out["s"] = pd.Categorical(p.s, categories=sorted(WORDS)).codes
    out["z"] = out.why - out.r
    return out[out.k > 1]


def test_state_replays_on_another_file(files, tmp_path):
    folder, sample, full = files
    df = _pipeline(sf.open(str(folder / "sample.arrow")))
    df.state_write(tmp_path / "state.json")
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == df.state_get()
    assert set(state["virtual_columns"]) == {"r", "x", "s", "z"}
    assert state["renamed_columns"] == [["y", "why"]]
    assert state["selections"] == {"hot": "r > 1.5"}

    other = sf.open(str(folder / "full.arrow"))
    other.state_load(tmp_path / "state.json")
    assert other.virtual_columns == df.virtual_columns
    assert other.column_names == df.column_names == ["x", "why", "k", "s", "r", "z"]
    expected = _expected(full)
    assert len(other) == len(expected)
    for name in ["x", "why", "r", "z"]:
        np.testing.assert_allclose(np.ma.filled(other.evaluate(name), np.nan), expected[name].to_numpy(),
                                   rtol=1e-12, equal_nan=True)
    # The encoding carries the sample's labels, so codes mean the same on the full file.
    np.testing.assert_array_equal(other.evaluate("s"), expected["s"].to_numpy())
    assert other.category_labels("s") == sorted(WORDS)
    hot = expected[expected.r > 1.5]
    assert other.count(selection="hot") == len(hot)
    np.testing.assert_allclose(other.mean("z", selection="hot"), hot.z.mean(), rtol=1e-12)
    np.testing.assert_allclose(other.std("x"), expected.x.std(ddof=0), rtol=1e-9)
    np.testing.assert_allclose(other.sum("why"), expected.why.sum(), rtol=1e-12)
    groups = other.groupby("s", agg={"n": sf.agg.count()}).to_pandas_df()
    np.testing.assert_array_equal(groups["n"], expected.groupby("s").size().to_numpy())


def test_state_round_trips_on_the_same_file(files):
    folder, sample, _ = files
    df = _pipeline(sf.open(str(folder / "sample.arrow")))
    fresh = sf.open(str(folder / "sample.arrow"))
    fresh.state_set(df.state_get())
    assert fresh.state_get() == df.state_get()
    np.testing.assert_allclose(fresh.sum("z"), _expected(sample).z.sum(), rtol=1e-12)


def test_active_range_and_column_subset(files):
    folder, _, full = files
    df = sf.open(str(folder / "full.arrow"))[100:600][["x", "k"]]
    state = df.state_get()
    assert state["active_range"] == [100, 600] and state["column_names"] == ["x", "k"]
    kept = sf.open(str(folder / "full.arrow"))
    kept.state_set(state)
    assert len(kept) == len(full) and kept.column_names == ["x", "k"]
    ranged = sf.open(str(folder / "full.arrow"))
    ranged.state_set(state, use_active_range=True)
    np.testing.assert_allclose(ranged.sum("x"), np.nansum(full.x[100:600]), rtol=1e-12)


def test_rename_keeps_expressions_working(files):
    folder, sample, _ = files
    df = sf.open(str(folder / "sample.arrow"))
    df["d"] = "x + y"
    df.select("x > 0", name="pos")
    f = df[df.y > 0]
    f.rename("x", "a b")  # not an identifier: expressions quote it
    f.rename("d", "e")
    assert f.column_names == ["a b", "y", "k", "s", "e"]
    assert f.virtual_columns == {"e": "`a b` + y"}
    assert f.state_get()["filter"] == "(y > 0)"
    keep = sample[sample.y > 0]
    np.testing.assert_allclose(f.sum("e"), (keep.x + keep.y).sum(), rtol=1e-12)
    np.testing.assert_allclose(f.sum("`a b`", selection="pos"), keep.x[keep.x > 0].sum(), rtol=1e-12)
    f.rename("y", "x")  # the freed name can be taken by another column
    assert f.virtual_columns == {"e": "`a b` + x"}
    np.testing.assert_allclose(f.sum("e"), (keep.x + keep.y).sum(), rtol=1e-12)
    with pytest.raises(NameError, match="no such column"):
        f.rename("nope", "q")
    with pytest.raises(ValueError, match="exists"):
        f.rename("k", "e")


def test_concat_keeps_renames(files):
    folder, sample, full = files
    a, b = sf.open(str(folder / "sample.arrow")), sf.open(str(folder / "full.arrow"))
    for f in (a, b):
        assert f.rename("x", "u") == "u"
    both = sf.concat([a, b])
    assert both.column_names == ["u", "y", "k", "s"]
    np.testing.assert_allclose(both.sum("u"), np.nansum(sample.x) + np.nansum(full.x), rtol=1e-12)
    b.rename("y", "v")
    with pytest.raises(ValueError, match="renames"):
        sf.concat([a, b])


@pytest.mark.parametrize("state, error, match", [
    ("{not json", ValueError, "invalid JSON"),
    ('["a list"]', ValueError, "JSON object"),
    ({"virtual_columns": {"r": "nope * 2"}}, NameError, "nope"),
    ({"virtual_columns": {"r": 3}}, ValueError, "expression string"),
    ({"virtual_columns": ["r"]}, ValueError, "object"),
    ({"filter": "x + 1"}, TypeError, "boolean"),
    ({"filter": "x >"}, SyntaxError, "x >"),
    ({"selections": {"hot": "missing > 1"}}, NameError, "missing"),
    ({"renamed_columns": [["nope", "b"]]}, NameError, "nope"),
    ({"renamed_columns": ["y"]}, ValueError, "pairs"),
    ({"column_names": ["x", "ghost"]}, NameError, "ghost"),
    ({"active_range": [0, 10 ** 9]}, ValueError, "active_range"),
    ({"surprise": 1}, ValueError, "unknown state key"),
])
def test_bad_state_raises_and_leaves_the_frame_unchanged(files, state, error, match):
    folder, sample, _ = files
    df = sf.open(str(folder / "sample.arrow"))
    df["r"] = "x * 3"
    df.select("x > 0", name="pos")
    before = df.state_get()
    with pytest.raises(error, match=match):
        df.state_set(state, use_active_range=True)
    assert df.state_get() == before
    np.testing.assert_allclose(df.sum("r", selection="pos"), 3 * sample.x[sample.x > 0].sum(), rtol=1e-12)
