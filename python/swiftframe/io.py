"""Opening files: one path, a glob pattern or a list of paths (several files as one
frame, without copying), and Parquet files, converted once to an Arrow IPC file
beside them and then memory-mapped like any Arrow file."""

import builtins
import ctypes
import glob as _glob
import os

from . import _native
from ._files import temporary_beside
from ._native import check, lib
from .dataframe import DataFrame

_GLOB_CHARS = ("*", "?", "[")
_PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")

# Rows per record batch when converting Parquet (memory in use is about one batch).
BATCH_ROWS = 1 << 16


def open(path):
    """Opens files by memory-mapping them, as swiftframe opens a single file (Arrow IPC
    .arrow/.feather/.ipc and the other formats the engine reads); no column data is read.

    `path` is a file, a glob pattern (``"data/*.arrow"``; ``*``, ``?`` and ``[`` are
    expanded and the matches sorted) or a list of paths and patterns. Several files
    give one frame whose rows follow each other in that order; they must have the
    same columns with the same dtypes in the same order.

    Parquet files (.parquet) are converted to an Arrow IPC file beside them, named
    as vaex names its converted files (``x.parquet`` -> ``x.parquet.arrow``), batch by
    batch, so a file larger than memory converts; the converted file is reused while
    it is newer than the Parquet file. This needs pyarrow.

        df = sf.open("data/*.arrow")
        df = sf.open(["jan.arrow", "feb.arrow"])
        df = sf.open("trips.parquet")
    """
    paths = _expand(path)
    paths = [_arrow_path(p) for p in paths]
    out = ctypes.c_void_p()
    if len(paths) == 1:
        check(lib.sf_frame_open(_native.encode(paths[0]), ctypes.byref(out)))
    else:
        check(lib.sf_frame_open_many(len(paths), _native.strings(paths), ctypes.byref(out)))
    df = DataFrame(out.value)
    df._sources = tuple(paths)  # what a cluster's workers open (distributed.py)
    return df


def concat(frames):
    """One frame over the rows of `frames`, in order, without copying their data (vaex's
    ``vaex.concat``). Frames with virtual columns, a filter or a column selection are
    concatenated when all have the same ones (the same virtual column names and
    expressions, the same filter, the same selected columns): the result keeps them over
    all the rows. Otherwise a ValueError says what differs (e.g. "frame 2 has no virtual
    column 'r'"). A sliced frame is refused: slice the result. All must have the same
    stored columns with the same dtypes in the same order. The frames stay usable."""
    frames = list(frames)
    if not frames:
        raise ValueError("nothing to concatenate: the list of frames is empty")
    for i, f in enumerate(frames):
        if not isinstance(f, DataFrame):
            raise TypeError(f"concat takes swiftframe DataFrames; item {i} is {type(f).__name__}")
    handles = (ctypes.c_void_p * len(frames))(*[f._handle.value for f in frames])
    out = ctypes.c_void_p()
    check(lib.sf_frame_concat(len(frames), handles, ctypes.byref(out)))
    # The result reads the numpy arrays of in-memory frames in place: keep them all alive.
    keep = tuple(a for f in frames for a in f._keep)
    return DataFrame(out.value, keep)


def _has_glob(text):
    return any(c in text for c in _GLOB_CHARS)


def _expand(path):
    """The files `path` names: one path, a glob pattern or a list of either."""
    if isinstance(path, (list, tuple)):
        items = list(path)
        if not items:
            raise ValueError("no files to open: the list of paths is empty")
    else:
        items = [path]
    paths = []
    for item in items:
        if not isinstance(item, (str, bytes, os.PathLike)):
            raise TypeError(f"a path must be a string or os.PathLike, got {type(item).__name__}")
        text = os.path.expanduser(os.fsdecode(item))
        # A name that exists is taken literally, even when it contains glob characters.
        if _has_glob(text) and not os.path.exists(text):
            matches = sorted(_glob.glob(text))
            if not matches:
                raise FileNotFoundError(f"no files match {text!r}")
            # A converted file matched beside its Parquet source stands for it: once, not twice.
            sources = {m for m in matches if _is_parquet(m)}
            paths.extend(m for m in matches if not (m.endswith(".arrow") and m[:-len(".arrow")] in sources))
        else:
            paths.append(text)
    return paths


def _is_parquet(path):
    return path.lower().endswith(_PARQUET_SUFFIXES)


def _arrow_path(path):
    """`path` itself, or for a Parquet file its converted Arrow file (converted if needed)."""
    if not _is_parquet(path):
        return path
    target = path + ".arrow"
    try:
        source_mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot open {path!r}: no such file") from None
    try:
        if os.stat(target).st_mtime_ns > source_mtime:
            return target
    except FileNotFoundError:
        pass
    convert_parquet(path, target)
    return target


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError as e:
        raise ImportError("reading Parquet files needs pyarrow, which is not installed: "
                          "pip install pyarrow") from e
    return pyarrow


def convert_parquet(path, target):
    """Converts the Parquet file `path` to the Arrow IPC file `target`, one record batch
    at a time (memory stays bounded by a batch). Writes a temporary file in `target`'s
    folder and renames it into place only when complete.

    Dictionary-encoded (categorical) columns keep their encoding. Parquet stores a
    dictionary per row group, while an Arrow IPC file holds one dictionary per column,
    so a first pass over those columns alone collects every value, and the batches are
    then written against that one dictionary."""
    pa = _pyarrow()
    try:
        parquet = pa.parquet.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{path!r} is not a readable Parquet file: {e}") from e
    try:
        try:
            schema, recode = _unified_dictionaries(pa, parquet)
        except (pa.ArrowException, OSError) as e:
            raise ValueError(f"{path!r}: cannot read the Parquet data: {e}") from e
        with temporary_beside(target) as temporary, builtins.open(temporary, "wb") as sink:
            with pa.ipc.new_file(sink, schema) as writer:
                try:
                    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                        writer.write_batch(recode(batch))
                except (pa.ArrowException, OSError) as e:
                    raise ValueError(f"{path!r}: cannot read the Parquet data: {e}") from e
    finally:
        close = getattr(parquet, "close", None)
        if close is not None:
            close()


def _unified_dictionaries(pa, parquet):
    """The schema to write and a function recoding each batch so that every
    dictionary column uses one dictionary (the values of all row groups, in order of
    appearance). Without dictionary columns, the Parquet schema and no recoding."""
    import pyarrow.compute as pc

    schema = parquet.schema_arrow
    names = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    if not names:
        return schema, lambda batch: batch
    values = {name: None for name in names}
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=names):
        for name in names:
            dictionary = batch.column(name).dictionary
            seen = values[name]
            if seen is None:
                values[name] = dictionary
            else:
                new = dictionary.filter(pc.invert(pc.is_in(dictionary, value_set=seen)))
                if len(new):
                    values[name] = pa.concat_arrays([seen, new])
    fields = []
    for field in schema:
        if field.name in values:
            dictionary = values[field.name]
            if dictionary is None:  # no row at all
                dictionary = pa.array([], type=field.type.value_type)
            index_type = field.type.index_type
            if len(dictionary) > 2 ** (index_type.bit_width - 1) - 1:
                index_type = pa.int32() if len(dictionary) < 2 ** 31 - 1 else pa.int64()
            field = field.with_type(pa.dictionary(index_type, field.type.value_type, field.type.ordered))
            values[field.name] = dictionary
        fields.append(field)
    unified_schema = pa.schema(fields, metadata=schema.metadata)

    def recode(batch):
        columns = []
        for i, field in enumerate(unified_schema):
            column = batch.column(i)
            if field.name in values:
                dictionary = values[field.name]
                # Old code -> position of its value in the one dictionary, then per row.
                positions = pc.index_in(column.dictionary, value_set=dictionary)
                indices = pc.take(positions, column.indices).cast(field.type.index_type)
                column = pa.DictionaryArray.from_arrays(indices, dictionary, ordered=field.type.ordered)
            columns.append(column)
        return pa.RecordBatch.from_arrays(columns, schema=unified_schema)

    return unified_schema, recode
