"""Exports through other libraries' writers: Parquet and CSV through pyarrow (the
frame's Arrow stream goes to the writer one record batch at a time), vaex's HDF5
layout through h5py (the engine evaluates one batch of rows at a time). Each writes a
temporary file in the target's folder that is renamed into place only when complete.
pyarrow and h5py are optional dependencies."""

import numpy as np

from ._files import temporary_beside
from ._progress import reporter
from .expression import column_ref
from .categories import codes, string_labels


def _pyarrow(what):
    try:
        import pyarrow
    except ImportError:
        raise ImportError(f"{what} needs pyarrow: pip install pyarrow") from None
    return pyarrow


def _write(frame, path, column_names, open_writer, progress=None):
    """Streams `frame` into the writer `open_writer(tmp_path, schema)` makes, reporting
    the share of rows written to `progress` (see swiftframe.settings) after each batch."""
    pa = _pyarrow("exporting to this format")
    source = frame[list(column_names)] if column_names else frame
    report = reporter(progress)
    total = len(source) if report is not None else 0
    reader = pa.RecordBatchReader.from_stream(source)
    done = 0
    try:
        with temporary_beside(path) as tmp:
            with open_writer(tmp, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
                    done += batch.num_rows
                    if report is not None and report(done / total if total else 1.0) is False:
                        raise KeyboardInterrupt("the export was cancelled")
    finally:
        if hasattr(report, "close"):
            report.close()


def export_parquet(frame, path, column_names=None, compression="snappy", progress=None):
    _pyarrow("export_parquet")
    import pyarrow.parquet as pq
    _write(frame, path, column_names, lambda tmp, schema: pq.ParquetWriter(tmp, schema, compression=compression),
           progress)


def export_csv(frame, path, column_names=None, progress=None):
    _pyarrow("export_csv")
    import pyarrow.csv as csv
    _write(frame, path, column_names, lambda tmp, schema: csv.CSVWriter(tmp, schema), progress)


def export_hdf5(frame, path, column_names=None, batch_rows=1 << 20):
    """vaex's HDF5 layout. A categorical with string labels (a stored one whose record
    batches share one dictionary, or one made by ordinal_encode / categorize) is written
    as vaex writes dictionary-encoded columns: a group of type
    "dictionary_encoded" with `indices/data` (int32, never missing) and `dictionary` (a
    string column); a missing value is an index to a missing dictionary entry (added at
    the end when the dictionary has none), as vaex allows no missing indices. Other
    categoricals (a frame over several files, or record batches, with different
    dictionaries) are written as strings."""
    try:
        import h5py
    except ImportError:
        raise ImportError("export_hdf5 needs h5py: pip install h5py") from None
    if batch_rows <= 0 or batch_rows % 8:
        raise ValueError(f"batch_rows must be a positive multiple of 8, got {batch_rows}")
    names = list(column_names or frame.column_names)
    n = len(frame)
    dtypes = {name: frame.data_type(column_ref(name)) for name in names}
    with temporary_beside(path) as tmp, h5py.File(tmp, "w") as h5:
        table = h5.require_group("/table")
        table.attrs["type"] = "table"
        columns = h5.require_group("/table/columns")
        columns.attrs["column_order"] = ",".join(names)
        for name in names:
            group = columns.require_group(name)
            dictionary = string_labels(frame, name)
            if dictionary is not None:
                _write_dictionary_encoded(frame, group, name, dictionary, n, batch_rows)
            elif dtypes[name] == object:
                _write_strings(frame, group, column_ref(name), n, batch_rows)
            else:
                _write_values(frame, group, column_ref(name), dtypes[name], n, batch_rows)


def _write_values(frame, group, ref, dtype, n, batch_rows):
    temporal = dtype.kind in "mM"
    data = group.create_dataset("data", shape=(n,), dtype=np.int64 if temporal else dtype)
    if temporal:
        data.attrs["dtype"] = dtype.name  # vaex stores datetimes as int64 with their numpy dtype
    mask = None
    for start in range(0, n, batch_rows):
        stop = min(n, start + batch_rows)
        values = frame.evaluate(ref, start, stop)
        if np.ma.isMaskedArray(values):
            if mask is None:
                mask = group.create_dataset("mask", shape=(n,), dtype=bool)  # zeros: present
            mask[start:stop] = np.ma.getmaskarray(values)
            values = np.ma.getdata(values)
        data[start:stop] = values.view(np.int64) if temporal else values


def _write_strings(frame, group, ref, n, batch_rows):
    """vaex's string layout: `data` (the UTF-8 bytes), `indices` (n + 1 int64 offsets),
    `null_bitmap` (Arrow's: bit set = present) when a value is missing."""
    # vaex maps `data` in place, so it is contiguous: a first pass sizes it.
    total = sum(len(frame._string_buffers(ref, start, min(n, start + batch_rows))[1])
                for start in range(0, n, batch_rows))
    data = group.create_dataset("data", shape=(total,), dtype="S1")
    data.attrs["dtype"] = "str"
    indices = group.create_dataset("indices", shape=(n + 1,), dtype=np.int64)
    indices[0] = 0
    bitmap = None  # made at the first missing value; unwritten bytes read 0xff: present
    written = 0
    for start in range(0, n, batch_rows):
        stop = min(n, start + batch_rows)
        offsets, chars, valid, missing = frame._string_buffers(ref, start, stop)
        if chars:
            data[written:written + len(chars)] = np.frombuffer(chars, dtype="S1")
        indices[start + 1:stop + 1] = offsets[1:] + written
        written += len(chars)
        if missing:
            if bitmap is None:
                bitmap = group.create_dataset("null_bitmap", shape=((n + 7) // 8,), dtype=np.uint8, fillvalue=0xFF)
            bitmap[start // 8:(stop + 7) // 8] = np.packbits(valid, bitorder="little")


def _write_dictionary_encoded(frame, group, name, dictionary, n, batch_rows):
    """vaex's dictionary-encoded layout (its hdf5 writer's ColumnWriterDictionaryEncoded):
    the group has type "dictionary_encoded", `indices/data` the codes and `dictionary` the
    labels in the string layout. vaex refuses missing indices, so a missing row points at
    a missing label: the dictionary's first one, or one appended to it."""
    offsets, chars, present = dictionary
    group.attrs["type"] = "dictionary_encoded"
    written = group.require_group("indices").create_dataset("data", shape=(n,), dtype=np.int32)
    null_code = None
    appended = False
    for start in range(0, n, batch_rows):
        stop = min(n, start + batch_rows)
        indices, valid, missing = codes(frame, name, start, stop)
        if missing:
            if null_code is None:
                gaps = np.flatnonzero(~present)
                null_code = int(gaps[0]) if len(gaps) else len(present)
                appended = not len(gaps)
            indices[valid == 0] = null_code
        written[start:stop] = indices
    if appended:
        offsets = np.append(offsets, offsets[-1])
        present = np.append(present, False)
    labels = group.require_group("dictionary")
    data = labels.create_dataset("data", shape=(len(chars),), dtype="S1")
    data.attrs["dtype"] = "str"
    if chars:
        data[:] = np.frombuffer(chars, dtype="S1")
    # int32 offsets unless the labels pass 2 GiB, as vaex writes them.
    labels.create_dataset("indices", data=offsets.astype(np.int32 if len(chars) < 2**31 else np.int64))
    if not present.all():
        labels.create_dataset("null_bitmap", data=np.packbits(present, bitorder="little"))
