"""value_counts and describe against pandas, over a file with missing values, NaN,
strings and timestamps; describe computes everything in one pass."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import swiftframe as sf

N = 40_001


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(17)
    k = rng.integers(0, 6, N).astype(float)
    k[rng.random(N) < 0.05] = np.nan
    s = np.array(["a", "Zürich", "日本", ""], dtype=object)[rng.integers(0, 4, N)]
    s[rng.random(N) < 0.05] = None
    x = rng.standard_normal(N)
    t = (np.datetime64("2020-01-01") + rng.integers(0, 100, N).astype("m8[D]")).astype("M8[s]")
    table = pa.table({"k": pa.array(k, mask=rng.random(N) < 0.03), "s": pa.array(list(s), pa.string()),
                      "x": pa.array(x, mask=rng.random(N) < 0.04), "t": pa.array(t, mask=rng.random(N) < 0.02),
                      "i": rng.integers(-5, 5, N)})
    path = tmp_path_factory.mktemp("describe") / "d.arrow"
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=9_000):
            w.write_batch(batch)
    return sf.open(str(path)), table.to_pandas()


def as_dict(series):
    """Counts by value, missing and NaN together (pandas counts them as one)."""
    out = {}
    for k, v in series.items():
        key = "<missing>" if pd.isna(k) else k
        out[key] = out.get(key, 0) + v
    return out


@pytest.mark.parametrize("column", ["k", "s", "i"])
@pytest.mark.parametrize("dropna", [False, True])
def test_value_counts(data, column, dropna):
    df, pdf = data
    got = df.value_counts(column, dropna=dropna)
    want = pdf[column].value_counts(dropna=dropna)
    assert as_dict(got) == as_dict(want)  # missing and NaN are one entry in pandas, two here
    assert list(got.to_numpy()) == sorted(got.to_numpy(), reverse=True)
    assert list(df[column].value_counts(ascending=True, dropna=dropna).to_numpy()) == sorted(got.to_numpy())


def test_value_counts_keeps_missing_and_nan_apart(data):
    df, pdf = data
    got = df.value_counts("k")
    missing = int(pdf["k"].isna().sum())
    assert got.sum() == len(pdf)
    assert sum(v for k, v in got.items() if pd.isna(k)) == missing


def test_describe_in_one_pass(data):
    df, pdf = data
    before = sf.pass_count()
    d = df.describe()
    assert sf.pass_count() - before == 1
    for column in ["k", "x", "i"]:
        values = pdf[column]
        assert d[column]["count"] == values.count() and d[column]["NA"] == values.isna().sum()
        for stat in ["mean", "min", "max"]:
            assert d[column][stat] == pytest.approx(getattr(values, stat)(), rel=1e-9)
        assert d[column]["std"] == pytest.approx(values.std(ddof=0), rel=1e-9)
    assert d["s"]["count"] == pdf["s"].count() and d["s"]["NA"] == pdf["s"].isna().sum()
    assert d["t"]["min"] == pdf["t"].min() and d["t"]["max"] == pdf["t"].max()
