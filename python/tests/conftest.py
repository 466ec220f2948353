"""Shared fixtures: the same data served through every storage variant.

A test asks for `storage` (every variant) or `file_storage` (the variants that can
hold missing values, i.e. Arrow files), builds its data with numpy, and calls
`storage.frame(columns, valid=...)`. It gets back the swiftframe DataFrame and a
`Reference`: the values the frame must show, as numpy arrays (already filtered
for the filtered variants), which the test feeds to numpy or pandas to compute
what the engine must return. Nothing is ever compared with numbers the engine
produced itself.

Variants:
  memory          sf.from_arrays over the numpy arrays (zero-copy)
  memory-filtered the same with a filter (a hidden bool column), then a column subset
  arrow           an Arrow IPC file written by pyarrow, one record batch
  arrow-batches   the same file cut into uneven record batches (one of them empty,
                  one crossing the engine's 16384-row chunk size)
  arrow-filtered  arrow-batches with a filter, then a column subset
"""

import os
import pathlib

import numpy as np
import pytest

import swiftframe as sf

try:
    from hypothesis import settings as _hypothesis_settings

    # Property tests stay quick by default; HYPOTHESIS_PROFILE=thorough runs many more examples.
    _hypothesis_settings.register_profile("default", max_examples=50, deadline=None)
    _hypothesis_settings.register_profile("thorough", max_examples=3000, deadline=None)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # hypothesis is only needed by the property tests
    pass

# The engine's rows per chunk (FrameCompute.chunkRows): batch sizes are chosen around it.
CHUNK_ROWS = 1 << 14

# Rows in the generated data sets: a few chunks, not a multiple of the chunk size.
N = 200_001

MEMORY_VARIANTS = ["memory", "memory-filtered"]
FILE_VARIANTS = ["arrow", "arrow-batches", "arrow-filtered"]
ALL_VARIANTS = MEMORY_VARIANTS + FILE_VARIANTS

KEEP = "_keep"  # the hidden column the filtered variants filter on


def batch_bounds(n):
    """Uneven record-batch boundaries for n rows: [0, a, a, b, n] (an empty batch in the
    middle); for big n the first batch crosses one chunk boundary by one row."""
    if n > 2 * CHUNK_ROWS + 10:
        a, b = CHUNK_ROWS + 1, CHUNK_ROWS + 1 + 99_999
    else:
        a, b = n // 3, n // 3 + (n - n // 3) // 2 + 1
    b = min(b, n)
    return [0, a, a, b, n]


class Reference:
    """What a frame must show: per column the values and the presence mask (True =
    present), after the variant's filter."""

    def __init__(self, columns, valid):
        self.columns = columns
        self.valid = valid

    def __getitem__(self, name):
        return self.columns[name]

    def present(self, name):
        return self.valid[name]

    def masked(self, name):
        return np.ma.MaskedArray(self.columns[name], mask=~self.valid[name])

    def __len__(self):
        return len(next(iter(self.columns.values()))) if self.columns else 0


class Storage:
    def __init__(self, variant, directory):
        self.variant = variant
        self.directory = pathlib.Path(directory)
        self.files = 0
        self.path = None  # the Arrow file of the last frame, for file variants

    @property
    def is_file(self):
        return self.variant.startswith("arrow")

    @property
    def is_filtered(self):
        return self.variant.endswith("filtered")

    def __repr__(self):
        return f"Storage({self.variant})"

    def keep_mask(self, n, seed=1234):
        """The rows the filtered variants keep (about 70%, first and last row included)."""
        keep = np.random.default_rng(seed).random(n) < 0.7
        if n:
            keep[0] = keep[-1] = True
        return keep

    def frame(self, columns, valid=None, keep=None):
        """A DataFrame over `columns` (name -> 1-d numpy array) in this variant, and its
        Reference. `valid` (name -> bool array, True = present) makes values missing;
        only the file variants can store missing values. `keep` overrides the filter."""
        columns = {name: np.asarray(values) for name, values in columns.items()}
        valid = dict(valid or {})
        if valid and not self.is_file:
            raise ValueError("in-memory frames have no missing values; use the file_storage fixture")
        n = len(next(iter(columns.values()))) if columns else 0
        full_valid = {name: np.asarray(valid.get(name, np.ones(n, dtype=bool)), dtype=bool) for name in columns}
        stored = dict(columns)
        if self.is_filtered:
            keep = self.keep_mask(n) if keep is None else np.asarray(keep, dtype=bool)
            stored[KEEP] = keep
        if self.is_file:
            df = sf.open(self._write(stored, valid))
        else:
            df = sf.from_arrays(**stored)
        if self.is_filtered:
            df = df.filter(KEEP)[list(columns)]
            ref = Reference({k: v[keep] for k, v in columns.items()}, {k: v[keep] for k, v in full_valid.items()})
        else:
            ref = Reference(columns, full_valid)
        return df, ref

    def _write(self, columns, valid):
        import pyarrow as pa
        arrays = {}
        for name, values in columns.items():
            mask = None if name not in valid else ~np.asarray(valid[name], dtype=bool)
            arrays[name] = pa.array(values, mask=mask)
        table = pa.table(arrays)
        self.files += 1
        path = self.directory / f"{self.variant}-{self.files}.arrow"
        with pa.ipc.new_file(str(path), table.schema) as writer:
            if self.variant == "arrow":
                writer.write_table(table.combine_chunks())
            else:
                bounds = batch_bounds(len(table))
                for lo, hi in zip(bounds[:-1], bounds[1:]):
                    writer.write_batch(pa.record_batch([table.column(i).combine_chunks()[lo:hi]
                                                        for i in range(table.num_columns)], schema=table.schema))
        self.path = path
        return str(path)


def _storage(request, tmp_path):
    return Storage(request.param, tmp_path)


@pytest.fixture(params=ALL_VARIANTS)
def storage(request, tmp_path):
    """Every storage variant."""
    return _storage(request, tmp_path)


@pytest.fixture(params=FILE_VARIANTS)
def file_storage(request, tmp_path):
    """The variants that can hold missing values (Arrow files)."""
    return _storage(request, tmp_path)


@pytest.fixture(params=["memory", "arrow"])
def plain_storage(request, tmp_path):
    """Unfiltered single-chunk-list variants: where stored columns come back without a copy."""
    return _storage(request, tmp_path)


@pytest.fixture
def rng(request):
    """A numpy generator seeded from the test's name, so every test has its own fixed data."""
    import zlib
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))


# Comparison helpers ---------------------------------------------------------------

def assert_values(actual, expected, rtol=1e-9):
    """Values equal numpy's: integers and bools exactly, floats within `rtol`
    relative (NaN where numpy has NaN, infinities of the same sign)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if expected.dtype.kind == "f":
        # A few units of the smallest subnormal: an ulp of difference in a subnormal
        # result (exp of a large negative float32) is a big relative difference.
        atol = 4 * np.finfo(expected.dtype).smallest_subnormal
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(actual, expected)


def assert_scalar(actual, expected, rtol=1e-9):
    if isinstance(expected, (float, np.floating)) and np.isnan(expected):
        assert np.isnan(actual), f"expected nan, got {actual!r}"
    elif isinstance(expected, (float, np.floating)):
        np.testing.assert_allclose(float(actual), float(expected), rtol=rtol, atol=0)
    else:
        assert actual == expected, f"expected {expected!r}, got {actual!r}"


# Every numeric dtype and bool, and random values spanning each one's range.
DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
          np.float32, np.float64]


def every_dtype(rng, n=N):
    out = {}
    for t in DTYPES:
        name = np.dtype(t).name
        if t is np.bool_:
            out[name] = rng.random(n) < 0.5
        elif np.dtype(t).kind == "f":
            out[name] = rng.standard_normal(n).astype(t)
        else:
            info = np.iinfo(t)
            out[name] = rng.integers(info.min, info.max, size=n, dtype=t, endpoint=True)
    return out
