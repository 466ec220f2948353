"""Exports through pyarrow's writers (Parquet, CSV): the frame's Arrow stream (the
filter applied, virtual columns computed) goes to the writer one record batch at a
time, into a temporary file in the target's folder that is renamed into place only
when complete. pyarrow is an optional dependency."""

import os
import tempfile


def _pyarrow(what):
    try:
        import pyarrow
    except ImportError:
        raise ImportError(f"{what} needs pyarrow: pip install pyarrow") from None
    return pyarrow


def _write(frame, path, column_names, open_writer):
    """Streams `frame` into the writer `open_writer(tmp_path, schema)` makes; renames at the end."""
    pa = _pyarrow("exporting to this format")
    source = frame[list(column_names)] if column_names else frame
    reader = pa.RecordBatchReader.from_stream(source)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with open_writer(tmp, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def export_parquet(frame, path, column_names=None, compression="snappy"):
    _pyarrow("export_parquet")
    import pyarrow.parquet as pq
    _write(frame, path, column_names, lambda tmp, schema: pq.ParquetWriter(tmp, schema, compression=compression))


def export_csv(frame, path, column_names=None):
    _pyarrow("export_csv")
    import pyarrow.csv as csv
    _write(frame, path, column_names, lambda tmp, schema: csv.CSVWriter(tmp, schema))
