"""Every file of Arrow's test corpus (../shared/arrow-testing: the clusterfuzz regression
files of arrow-ipc-file and arrow-ipc-stream, and the integration golden files) and of
our own fuzz corpus (Tests/Fuzz/corpus: seeds and minimized findings) is opened,
scanned and aggregated column by column, or rejected with a clear error, and never
crashes the process. Golden files' statistics are checked against pyarrow's."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import swiftframe as sf
from swiftframe.expression import column_ref

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARROW_TESTING = pathlib.Path(os.environ.get("ARROW_TESTING_DIR", ROOT.parent / "shared" / "arrow-testing"))
FUZZ_CORPUS = ROOT / "Tests" / "Fuzz" / "corpus"


def arrow_testing_files():
    return sorted(p for d in ("arrow-ipc-file", "arrow-ipc-stream") for p in (ARROW_TESTING / d).rglob("*")
                  if p.is_file() and p.suffix not in (".md", ".gz"))


def fuzz_corpus_files():
    return sorted(p for d in ("arrow", "hdf5") for p in (FUZZ_CORPUS / d).glob("*") if p.is_file())


# Run in a child so that a crash fails the test instead of killing pytest. For each
# file: "rejected" (the open raised a clear error), or the columns scanned; every error
# met on the way must be one of the engine's documented exceptions, with a message.
SCAN = r"""
import json, sys
import numpy as np
import swiftframe as sf
from swiftframe.expression import column_ref

EXPECTED = (ValueError, TypeError, OSError, MemoryError)
report = {}
for path in sys.argv[1:]:
    try:
        df = sf.open(path)
    except EXPECTED as e:
        assert str(e), path
        report[path] = "rejected"
        continue
    scanned = 0
    for name, dtype in df.dtypes.items():
        if dtype is None or "`" in name or "\0" in name:
            continue
        ref = column_ref(name)
        try:  # corrupt data found when a pass first meets it (a record batch, bad UTF-8): a clear error
            df.count(ref)
            values = df.evaluate(ref)
            assert len(values) == len(df), (path, name)
            if dtype.kind in "biuf":
                df.sum(ref), df.mean(ref), df.min(ref), df.max(ref), df.std(ref)
            if dtype.kind in "mM":
                df.min(ref), df.max(ref)
            counts = df.value_counts(ref)
            assert int(counts.sum()) == len(df), (path, name)
            df.nunique(ref)
        except EXPECTED as e:
            assert str(e), (path, name)
            continue
        scanned += 1
    report[path] = scanned
print(json.dumps(report))
"""


def scan_in_child(files):
    run = subprocess.run([sys.executable, "-c", SCAN, *map(str, files)], capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_every_arrow_testing_file_is_scanned_or_rejected():
    files = arrow_testing_files()
    assert len(files) > 250  # 141 regression files, 59 golden files in each format
    report = scan_in_child(files)
    assert set(report) == set(map(str, files))
    golden = [str(p) for p in files if "integration" in p.parts]
    # Golden files are valid: each opens (some with only unsupported columns), and
    # between them dozens of columns are scanned.
    assert all(report[p] != "rejected" for p in golden), [p for p in golden if report[p] == "rejected"]
    assert sum(report[p] for p in golden) > 200
    regression = [str(p) for p in files if "integration" not in p.parts]
    assert sum(report[p] == "rejected" for p in regression) > len(regression) // 2


def test_every_fuzz_corpus_file_is_scanned_or_rejected():
    files = fuzz_corpus_files()
    assert files, "Tests/Fuzz/corpus is empty: run Tests/Fuzz/make_seeds.py"
    report = scan_in_child(files)
    assert set(report) == set(map(str, files))
    seeds = [str(p) for p in files if p.name.startswith("seed-")]
    assert all(report[p] != "rejected" for p in seeds), [p for p in seeds if report[p] == "rejected"]


def golden_files():
    return sorted((ARROW_TESTING / "arrow-ipc-stream" / "integration").glob("*/*.arrow_file"))


def read_with_pyarrow(path):
    with pa.ipc.open_file(str(path)) as reader:
        return reader.read_all()


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_file_statistics_match_pyarrow(path):
    """count, min, max and sum of every column swiftframe reads, and its value counts,
    against pyarrow.compute over the same file (duplicate names: the first field)."""
    table = read_with_pyarrow(path)
    df = sf.open(str(path))
    assert len(df) == table.num_rows
    seen = set()
    for i, field in enumerate(table.schema):
        dtype = df.dtypes.get(field.name)
        if dtype is None or field.name in seen:
            continue
        seen.add(field.name)
        column = table.column(i)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_string_view(column.type):  # pyarrow's kernels want plain strings
            column = column.cast(pa.string())
        ref = column_ref(field.name)
        present = pc.drop_null(column)
        if pa.types.is_floating(column.type):
            present = present.filter(pc.invert(pc.is_nan(present)))
        assert df.count(ref) == len(present), field.name
        if dtype.kind in "iuf" and len(present):
            np.testing.assert_allclose(df.sum(ref), pc.sum(present).as_py(), rtol=1e-6, err_msg=field.name)
            assert df.min(ref) == pc.min(present).as_py(), field.name
            assert df.max(ref) == pc.max(present).as_py(), field.name
        # Distinct values (missing one of them), with how often each occurs. Not dropna:
        # pandas would take the int64 minimum of a datetime for NaT and drop it.
        counts = df.value_counts(ref)
        assert int(counts.sum()) == len(column), field.name
        assert len(counts) == len(pc.unique(column)), field.name


def test_a_compressed_buffer_claiming_more_than_its_codec_produces_is_corrupt():
    """Found by fuzz-arrow: an LZ4 body buffer whose length prefix claims 73 GB made the
    reader try to allocate it (a MemoryError here; a crash under a sanitizer's or a
    container's memory limit). Now a clear corrupt-file error, before any allocation."""
    df = sf.open(str(FUZZ_CORPUS / "arrow" / "finding-lz4-length-claim.stream"))
    with pytest.raises(ValueError, match=r"record batch 0.*column 's'.*claims 73014444064 bytes"):
        df.count("s")
