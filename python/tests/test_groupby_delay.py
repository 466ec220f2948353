"""groupby with delay=True (vaex's promise: execute() runs it with the other pending
statistics, which still share one pass) and aggregations with a selection (a name, an
expression, True, or a list giving one column per selection), against pandas."""

import numpy as np
import pandas as pd
import pytest

import swiftframe as sf
from conftest import ALL_VARIANTS, N, Storage, assert_values


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def data(request, tmp_path_factory):
    storage = Storage(request.param, tmp_path_factory.mktemp(request.param))
    rng = np.random.default_rng(23)
    x = rng.standard_normal(N)
    x[rng.random(N) < 0.05] = np.nan
    cols = {"k": rng.integers(0, 40, N).astype(np.int16), "x": x, "i": rng.integers(-9, 10, N).astype(np.int32),
            "s": np.array(["a", "b", "c"], dtype=object)[rng.integers(0, 3, N)]}
    valid = {name: rng.random(N) >= 0.1 for name in cols} if storage.is_file else None
    df, ref = storage.frame(cols, valid=valid)
    df.select("i > 0", name="hot")
    return df, ref


def frame(ref):
    """The reference as pandas: missing values NaN / None, as the frame's to_pandas gives."""
    out = {}
    for name in ("k", "x", "i", "s"):
        values = ref[name].astype(object if name == "s" else np.float64)
        values[~ref.present(name)] = None if name == "s" else np.nan
        out[name] = values
    return pd.DataFrame(out)


def by_key(pdf, column, what, where=None):
    """pandas' per-group `what` of `column` (over the rows `where`), for every key group
    (missing keys their own group, last), in key order; empty groups give count 0 / NaN."""
    part = pdf if where is None else pdf[where]
    got = getattr(part.groupby("k", dropna=False)[column], what)()
    keys = pdf["k"].drop_duplicates().sort_values(na_position="last")
    return got.reindex(keys).fillna(0 if what == "count" else np.nan).to_numpy()


def groupby_passes(df, key):
    """The passes a groupby on `key` makes when run at once."""
    before = sf.pass_count()
    df.groupby(key, agg={"n": sf.agg.count()})
    return sf.pass_count() - before


def test_delay_is_a_promise_run_by_execute(data):
    df, ref = data
    pdf = frame(ref)
    own = groupby_passes(df, "k") + groupby_passes(df, "s")
    before = sf.pass_count()
    grouped = df.groupby("k", agg={"m": sf.agg.mean("x"), "n": sf.agg.count()}, delay=True)
    other = df.groupby("s", agg={"t": sf.agg.sum("i")}, delay=True)
    stats = [df.mean("x", delay=True), df.sum("i", delay=True), df.count(delay=True)]
    assert grouped.isPending and sf.pass_count() == before  # nothing ran yet
    df.execute()
    # the three statistics share one pass; each groupby makes its own
    assert sf.pass_count() - before == 1 + own
    assert grouped.isFulfilled and other.isFulfilled
    got = grouped.get().to_pandas_df()
    assert_values(got["m"].to_numpy(dtype=float), by_key(pdf, "x", "mean"), rtol=1e-9)
    assert_values(got["n"].to_numpy(), pdf.groupby("k", dropna=False).size().to_numpy())
    assert_values(stats[0].get(), np.nanmean(pdf["x"]))
    assert stats[2].get() == len(pdf)
    sums = other.get().to_pandas_df()
    assert sums["t"].tolist() == pdf.groupby("s", dropna=False)["i"].sum().astype(np.int64).tolist()


def test_get_executes_and_pandas_spelling_delays(data):
    df, ref = data
    pdf = frame(ref)
    promise = df.groupby("k").agg({"x": "max"}, delay=True)
    assert promise.isPending
    got = promise.get().to_pandas_df()  # get() executes
    assert_values(got["x_max"].to_numpy(dtype=float), by_key(pdf, "x", "max"))


def test_a_failing_groupby_rejects_only_its_promise(data):
    df, _ = data
    mean = df.mean("x", delay=True)
    bad = df.groupby("k", agg={"m": sf.agg.mean("no_such_column")}, delay=True)
    with pytest.raises(NameError):
        df.execute()
    assert bad.isRejected and mean.isFulfilled
    with pytest.raises(NameError):
        bad.get()


@pytest.mark.parametrize("selection", ["hot", "i > 0", True])
def test_selection_as_name_expression_or_default(data, selection):
    df, ref = data
    pdf = frame(ref)
    df.select("i > 0")  # the default selection, for True
    hot = (pdf["i"] > 0).to_numpy()
    spelled = df.i > 0 if selection == "i > 0" else selection
    got = df.groupby("k", agg={"n": sf.agg.count("x", selection=spelled),
                               "m": sf.agg.sum("x", selection=spelled)}).to_pandas_df()
    assert_values(got["n"].to_numpy(), by_key(pdf, "x", "count", hot).astype(np.int64))
    want = by_key(pdf, "x", "sum", hot).copy()
    want[np.isnan(want)] = 0.0  # a group with no selected row sums to 0
    assert_values(got["m"].to_numpy(dtype=float), want)


def test_a_list_of_selections_gives_a_column_each(data):
    df, ref = data
    pdf = frame(ref)
    hot = (pdf["i"] > 0).to_numpy()
    got = df.groupby("k", agg={"n": sf.agg.count("x", selection=[None, "hot", df.x > 1]),
                               "x": "mean"}).to_pandas_df()
    assert list(got.columns) == ["k", "n_0", "n_1", "n_2", "x_mean"]
    assert_values(got["n_0"].to_numpy(), by_key(pdf, "x", "count").astype(np.int64))
    assert_values(got["n_1"].to_numpy(), by_key(pdf, "x", "count", hot).astype(np.int64))
    assert_values(got["n_2"].to_numpy(), by_key(pdf, "x", "count", (pdf["x"] > 1).to_numpy()).astype(np.int64))
    got = df.groupby("k", agg=[sf.agg.mode("s", selection=[None, "hot"])]).to_pandas_df()
    for column, where in (("s_mode_0", None), ("s_mode_1", hot)):
        part = pdf if where is None else pdf[where]
        want = part.groupby("k", dropna=False)["s"].agg(lambda v: v.mode().iloc[0] if v.notna().any() else None)
        keys = pdf["k"].drop_duplicates().sort_values(na_position="last")
        assert got[column].tolist() == want.reindex(keys).tolist()


def test_bad_selections(data):
    df, _ = data
    with pytest.raises(ValueError, match="empty list"):
        df.groupby("k", agg={"n": sf.agg.count(selection=[])})
    with pytest.raises(TypeError, match="selection"):
        df.groupby("k", agg={"n": sf.agg.count(selection=3)})


def test_execute_reports_progress_for_a_delayed_groupby(data):
    """execute(progress=) reaches the groupby's passes; cancelling rejects it cleanly."""
    df, ref = data
    seen = []
    promise = df.groupby("k", agg={"n": sf.agg.count()}, delay=True)
    df.execute(progress=seen.append)
    assert promise.isFulfilled and seen[-1] == 1.0
    assert promise.get().to_pandas_df()["n"].sum() == len(ref)
    promise = df.groupby("k", agg={"n": sf.agg.count()}, delay=True)
    with pytest.raises(KeyboardInterrupt):
        df.execute(progress=lambda fraction: False)
    assert promise.isRejected
    assert df.groupby("k", agg={"n": sf.agg.count()})["n"].sum() == len(ref)  # the frame still answers
