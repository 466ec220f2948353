"""Serialized partial states (swiftframe.partials): a frame cut into row ranges (one of
them empty), each range's statistics computed as bytes, the bytes merged in a tree and
finished, must give the statistic of all rows, checked against numpy for every
statistic kind, as scalars, on a binby grid and per group of an int and a string key
(merged by key: the ranges have different groups). Corrupt, truncated and mismatched
blobs raise ValueError, never crash."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather
import pytest

import swiftframe as sf
from swiftframe import _native, partials
from swiftframe.binby import _values
from swiftframe.dataframe import _scalar
from swiftframe.expression import Pair

N = 20_000
CUTS = [0, 7_001, 7_001, 12_345, N]  # one range is empty
KINDS = list(_native.AGGREGATES)
WORDS = np.array(["ant", "bée", "cat", "dög", "eel", "fox"], dtype=object)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(N) * 4 + 1
    x[rng.random(N) < 0.05] = np.nan
    x_valid = rng.random(N) >= 0.05
    y = rng.standard_normal(N)
    # Keys whose groups differ between ranges: values 0..9 early, 5..14 late, some missing.
    k = np.where(np.arange(N) < N // 2, rng.integers(0, 10, N), rng.integers(5, 15, N))
    k_valid = rng.random(N) >= 0.03
    s = WORDS[rng.integers(0, 3, N) + np.where(np.arange(N) < N // 2, 0, 3)]
    path = tmp_path_factory.mktemp("partials") / "data.arrow"
    table = pa.table({"x": pa.array(x, mask=~x_valid), "y": y, "k": pa.array(k, mask=~k_valid), "s": s})
    pyarrow.feather.write_feather(table, str(path), compression="uncompressed", chunksize=6_000)
    frame = pd.DataFrame({"x": np.where(x_valid, x, np.nan), "y": y, "k": np.where(k_valid, k, np.nan), "s": s})
    return sf.open(str(path)), frame


def _reference(kind, x, y):
    """numpy's value of `kind` over x (missing and NaN skipped), or x with y for the
    statistics of two expressions (rows where both are present)."""
    if kind in ("covariance", "correlation"):
        both = ~np.isnan(x) & ~np.isnan(y)
        a, b = x[both], y[both]
        if len(a) == 0:
            return np.nan
        if kind == "covariance":
            return np.mean((a - a.mean()) * (b - b.mean()))
        return np.corrcoef(a, b)[0, 1]
    v = x[~np.isnan(x)]
    if kind == "count":
        return len(v)
    if kind == "sum":
        return v.sum()
    if kind == "any":
        return bool((v != 0).any())
    if kind == "all":
        return bool((v != 0).all())
    if kind == "nunique":
        return len(np.unique(v))
    if len(v) == 0:
        return np.nan
    if kind == "mode":  # of floor(x) (see _request): the most frequent, ties to the smallest
        values, counts = np.unique(np.floor(v), return_counts=True)
        return values[np.argmax(counts)]
    d = v - v.mean()
    m2, m3, m4 = (d ** 2).mean(), (d ** 3).mean(), (d ** 4).mean()
    return {"mean": v.mean(), "var": m2, "std": np.sqrt(m2), "min": v.min(), "max": v.max(), "first": v[0],
            "last": v[-1], "skew": m3 / m2 ** 1.5, "kurtosis": m4 / m2 ** 2 - 3}[kind]


def _request(kind):
    """The request of `kind`; mode counts floor(x), whose values repeat."""
    text = "floor(x)" if kind == "mode" else "x"
    return (kind, Pair("x", "y") if kind in ("covariance", "correlation") else text, None)


def _tree(blobs):
    """Merges pairwise, then the rest: the grouping must not matter."""
    return partials.merge([partials.merge(blobs[:2]), partials.merge(blobs[2:])])


def _parts(df):
    return [df[a:b] for a, b in zip(CUTS, CUTS[1:])]


def test_scalar_partials_merge_to_the_whole(data):
    df, frame = data
    requests = [_request(kind) for kind in KINDS] + [("count", None, None), ("sum", "y", "x > 1")]
    blobs = [partials.aggregate(part, requests) for part in _parts(df)]
    results = [_scalar(r) for r in partials.finish(_tree(blobs), len(requests))]
    x, y = frame.x.to_numpy(), frame.y.to_numpy()
    for kind, got in zip(KINDS, results):
        np.testing.assert_allclose(got, _reference(kind, x, y), rtol=1e-9, err_msg=kind)
    assert results[len(KINDS)] == N
    np.testing.assert_allclose(results[-1], y[x > 1].sum(), rtol=1e-12)


def test_binned_partials_merge_to_the_whole(data):
    df, frame = data
    requests = [_request(kind) for kind in KINDS]
    grid = (["y"], [(-2.0, 2.0)], [6])
    blobs = [partials.aggregate_binned(part, requests, grid) for part in _parts(df)]
    cells = partials.finish_binned(_tree(blobs), len(requests), 6)
    cell = np.floor((frame.y.to_numpy() + 2) / 4 * 6)
    for kind, row in zip(KINDS, cells):
        got = _values(row)
        for c in range(6):
            rows = frame[cell == c]
            np.testing.assert_allclose(got[c], _reference(kind, rows.x.to_numpy(), rows.y.to_numpy()), rtol=1e-9,
                                       err_msg=f"{kind} cell {c}")


@pytest.mark.parametrize("key", ["k", "s"])
def test_groupby_partials_merge_by_key(data, key):
    df, frame = data
    agg = {kind: sf.agg.Aggregation(kind, _request(kind)[1] if kind == "mode" else "x",
                                    y="y" if kind in ("covariance", "correlation") else None)
           for kind in KINDS}
    blobs = [partials.groupby(part, key, agg) for part in _parts(df)]
    got = partials.finish_groupby(_tree(blobs)).to_pandas_df()
    groups = list(frame.groupby(key, dropna=False, sort=True))
    expected_keys = [g for g, _ in groups]
    if key == "k":  # missing last, as the engine sorts
        np.testing.assert_array_equal(got[key].to_numpy(), np.array(expected_keys, dtype=float))
    else:
        assert list(got[key]) == expected_keys
    for kind in KINDS:
        expected = [_reference(kind, rows.x.to_numpy(), rows.y.to_numpy()) for _, rows in groups]
        np.testing.assert_allclose(got[kind].to_numpy(dtype=float), np.array(expected, dtype=float), rtol=1e-9,
                                   err_msg=kind)
    # The same as one groupby over all rows.
    whole = df.groupby(key, agg=agg).to_pandas_df()
    pd.testing.assert_frame_equal(got[[key, "count", "min", "max", "first", "nunique"]],
                                  whole[[key, "count", "min", "max", "first", "nunique"]])


def test_bad_blobs_raise(data):
    df, _ = data
    blob = partials.aggregate(df[:100], [("mean", "x", None)])
    other = partials.aggregate(df[:100], [("sum", "x", None)])
    with pytest.raises(ValueError, match="different queries"):
        partials.merge([blob, other])
    with pytest.raises(ValueError, match="truncated"):
        partials.merge([blob, blob[:-3]])
    flipped = bytearray(blob)
    flipped[-2] ^= 0x10
    with pytest.raises(ValueError, match="checksum"):
        partials.finish(bytes(flipped), 1)
    with pytest.raises(ValueError, match="not a swiftframe partial state"):
        partials.finish(b"hello world, not a blob at all", 1)
    with pytest.raises(ValueError, match="version"):
        partials.finish(blob[:4] + b"\x07" + blob[5:], 1)
    with pytest.raises(ValueError, match="room for 2"):
        partials.finish(blob, 2)
    with pytest.raises(ValueError, match="finishes into a frame"):
        partials.finish(partials.groupby(df[:100], "k", "count"), 1)
    # Every truncation and every single flipped byte: an error, never a crash.
    for cut in range(len(blob)):
        with pytest.raises(ValueError):
            partials.finish(blob[:cut], 1)
    grouped = partials.groupby(df[:300], "s", {"m": sf.agg.mean("x")})
    for i in range(len(grouped)):
        bad = bytearray(grouped)
        bad[i] ^= 0xFF
        with pytest.raises(ValueError):
            partials.finish_groupby(bytes(bad))


def _fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _resealed(blob, i, value):
    """`blob` with payload byte i set to `value` and the checksum recomputed, so that the
    structure checks behind the checksum are what meets the damage."""
    payload = bytearray(blob[25:])
    payload[i] = value
    return blob[:17] + _fnv1a(payload).to_bytes(8, "little") + bytes(payload)


def test_damaged_structure_behind_a_good_checksum_raises(data):
    df, _ = data
    agg = {"m": sf.agg.mean("x"), "u": sf.agg.nunique("x"), "f": sf.agg.first("x")}
    cases = [(partials.groupby(df[:100], ["s", "k"], agg), partials.finish_groupby),
             (partials.aggregate_binned(df[:100], [("nunique", "x", None), ("max", "x", None)],
                                        (["y"], [(-1, 1)], [3])), lambda b: partials.finish_binned(b, 2, 3))]
    for blob, finish in cases:
        assert _resealed(blob, 0, blob[25]) == blob
        n = len(blob) - 25
        # Every byte of the header and group keys, then a sample of the states' bytes.
        for i in [*range(min(n, 400)), *range(400, n, 11)]:
            for value in (0xFF, blob[25 + i] ^ 0x01):
                try:
                    finish(_resealed(blob, i, value))
                except (ValueError, TypeError, NameError):
                    pass  # a clear error; a value changed in place may also just finish
