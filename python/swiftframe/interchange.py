"""Column data across the C ABI as the Arrow C Data Interface.

Out: ``DataFrame.__arrow_c_stream__`` hands an ``ArrowArrayStream`` in a PyCapsule
named "arrow_array_stream" (the Arrow PyCapsule interface), so ``pyarrow.table(df)``,
``polars.DataFrame(df)`` or duckdb read a frame, zero-copy where the data is stored.
Without pyarrow, ``to_items`` reads the same stream into numpy arrays.

In: ``from_arrow(obj)`` takes any object with ``__arrow_c_stream__`` (pyarrow tables and
readers, polars and duckdb results, ...) and moves its stream into the engine, which
keeps the Arrow arrays (no copy) until the frame dies.

This module and _native.py are the ones that touch ctypes: the Arrow structs and the
capsule calls live here, the sf_ signatures in _native.py.
"""

import ctypes

import numpy as np

from . import _native
from ._native import check, lib

# Arrow formats of the fixed-width dtypes the engine has: numpy's dtype of the stored
# values, and the dtype the values are shown as (temporal types).
FORMATS = {"b": "bool", "c": "int8", "s": "int16", "i": "int32", "l": "int64", "C": "uint8", "S": "uint16",
           "I": "uint32", "L": "uint64", "f": "float32", "g": "float64"}
_UNITS = {"s": "s", "m": "ms", "u": "us", "n": "ns"}


def _numpy_types(fmt):
    """(stored dtype, shown dtype) of a fixed-width Arrow format, ("string", large) for
    utf8/large_utf8, or None for a format with no numpy counterpart here."""
    if fmt in FORMATS:
        return np.dtype(FORMATS[fmt]), np.dtype(FORMATS[fmt])
    if fmt == "tdD":
        return np.dtype(np.int32), np.dtype("datetime64[D]")
    if fmt[:2] == "ts" and fmt[2:3] in _UNITS and fmt[3:4] == ":":  # the zone after ':' (values are UTC)
        return np.dtype(np.int64), np.dtype(f"datetime64[{_UNITS[fmt[2]]}]")
    if fmt[:2] == "tD" and fmt[2:] in _UNITS:
        return np.dtype(np.int64), np.dtype(f"timedelta64[{_UNITS[fmt[2]]}]")
    if fmt in ("u", "U"):
        return "string", fmt == "U"
    return None

SF_ARROW_COPY = 1

_self = ctypes.c_void_p  # every callback gets its own struct's address


class ArrowSchema(ctypes.Structure):
    pass


ArrowSchema._fields_ = [("format", ctypes.c_char_p), ("name", ctypes.c_char_p), ("metadata", ctypes.c_char_p),
                        ("flags", ctypes.c_int64), ("n_children", ctypes.c_int64),
                        ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
                        ("dictionary", ctypes.POINTER(ArrowSchema)),
                        ("release", ctypes.CFUNCTYPE(None, _self)), ("private_data", ctypes.c_void_p)]


class ArrowArray(ctypes.Structure):
    pass


ArrowArray._fields_ = [("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
                       ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
                       ("buffers", ctypes.POINTER(ctypes.c_void_p)),
                       ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
                       ("dictionary", ctypes.POINTER(ArrowArray)),
                       ("release", ctypes.CFUNCTYPE(None, _self)), ("private_data", ctypes.c_void_p)]


class ArrowArrayStream(ctypes.Structure):
    _fields_ = [("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, _self, ctypes.c_void_p)),
                ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, _self, ctypes.c_void_p)),
                ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_void_p, _self)),
                ("release", ctypes.CFUNCTYPE(None, _self)), ("private_data", ctypes.c_void_p)]


# PyCapsule calls (the Python C API through ctypes.pythonapi).
_STREAM_NAME = b"arrow_array_stream"
_CAPSULE_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, _CAPSULE_DESTRUCTOR]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
# The destructor gets the capsule as a raw PyObject*: a second binding takes it as such.
_capsule_pointer_raw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype = ctypes.c_int
_capsule_is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]


_raw_calloc = ctypes.pythonapi.PyMem_RawCalloc
_raw_calloc.restype = ctypes.c_void_p
_raw_calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
_raw_free = ctypes.pythonapi.PyMem_RawFree
_raw_free.restype = None
_raw_free.argtypes = [ctypes.c_void_p]


def _new_struct(kind):
    """A zeroed struct in memory that nothing moves or frees behind our back."""
    p = _raw_calloc(1, ctypes.sizeof(kind))
    if not p:
        raise MemoryError("cannot allocate an Arrow struct")
    return p


def _free_struct(p):
    _raw_free(p)


def _release_stream_at(address):
    stream = ArrowArrayStream.from_address(address)
    if stream.release:
        stream.release(address)


@_CAPSULE_DESTRUCTOR
def _destroy_stream_capsule(capsule):
    # Releases the stream unless a consumer moved it out (release == NULL), then frees the struct.
    address = _capsule_pointer_raw(capsule, _STREAM_NAME)
    if address:
        _release_stream_at(address)
        _free_struct(address)


def export_stream(frame, columns=None, max_rows=0, copy=None):
    """A PyCapsule "arrow_array_stream" over `frame`'s visible columns, or over
    `columns` (a list of (name, expression string)). By default frames over numpy
    arrays the Python side keeps alive are copied, as those arrays could die before
    the stream's consumer is done."""
    address = _new_struct(ArrowArrayStream)
    names = [n for n, _ in columns] if columns else []
    expressions = [e for _, e in columns] if columns else []
    flags = SF_ARROW_COPY if (bool(frame._keep) if copy is None else copy) else 0
    try:
        check(lib.sf_frame_export_arrow(frame._handle, len(names), _native.strings(names) if names else None,
                                        _native.strings(expressions) if names else None, int(max_rows), flags,
                                        address))
    except BaseException:
        _free_struct(address)
        raise
    return _capsule_new(address, _STREAM_NAME, _destroy_stream_capsule)


class _Holder:
    """An object with __arrow_c_stream__ handing out one capsule (for pyarrow's from_stream)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self.capsule


def export_stream_as(frame, requested_schema, columns=None):
    """export_stream(frame, columns), cast to `requested_schema` (a PyCapsule "arrow_schema",
    the Arrow PyCapsule interface's request) by pyarrow's RecordBatchReader.cast, batch by
    batch as the consumer reads. Without pyarrow, or without a request, the stream keeps
    the frame's own types (the interface lets a producer ignore the request). A schema
    the columns cannot be cast to (other names or count, types with no cast) is a
    TypeError here; a value that does not convert (text to a number) fails when read."""
    capsule = export_stream(frame, columns)
    if requested_schema is None:
        return capsule
    try:
        import pyarrow as pa
    except ImportError:
        return capsule
    reader = pa.RecordBatchReader.from_stream(_Holder(capsule))
    target = pa.Schema._import_from_c_capsule(requested_schema)
    if target.equals(reader.schema):
        return reader.__arrow_c_stream__()
    try:
        cast = reader.cast(target)
    except (ValueError, TypeError, NotImplementedError, pa.ArrowException) as e:
        reader.close()
        raise TypeError(f"cannot give the frame's stream the requested schema ({e}); the frame's columns are "
                        f"{', '.join(f'{f.name}: {f.type}' for f in reader.schema)}") from None
    return cast.__arrow_c_stream__()


def _stream_capsule_of(obj, requested_schema=None):
    if hasattr(obj, "__arrow_c_stream__"):
        return obj.__arrow_c_stream__(requested_schema) if requested_schema is not None else obj.__arrow_c_stream__()
    raise TypeError(f"{type(obj).__name__} has no __arrow_c_stream__ (the Arrow PyCapsule interface); "
                    "pass a pyarrow Table or RecordBatchReader, a polars DataFrame, a duckdb result, ...")


def import_stream(obj):
    """A DataFrame over the Arrow C stream of `obj` (an object with __arrow_c_stream__
    or a PyCapsule "arrow_array_stream"), without copying its arrays."""
    from .dataframe import DataFrame
    capsule = obj if type(obj).__name__ == "PyCapsule" else _stream_capsule_of(obj)
    if not _capsule_is_valid(capsule, _STREAM_NAME):
        raise TypeError("expected a PyCapsule named 'arrow_array_stream'")
    address = _capsule_pointer(capsule, _STREAM_NAME)
    out = ctypes.c_void_p()
    # The engine moves the stream out of the capsule (its release becomes NULL), so the
    # capsule's destructor only frees the struct.
    check(lib.sf_frame_from_arrow_stream(address, ctypes.byref(out)))
    return DataFrame(out.value)


def from_pandas(pdf):
    """A frame over a pandas DataFrame's columns, through pyarrow (zero-copy for numeric
    columns without missing values); nullable pandas dtypes keep their missing values."""
    import pyarrow as pa
    return import_stream(pa.Table.from_pandas(pdf, preserve_index=False))


# Reading a stream into numpy arrays (no pyarrow needed).

class _Batch:
    """Owns one imported ArrowArray (moved in) and releases it when no array uses it;
    `keep` (the Python frame) keeps memory the arrays may point into alive."""

    def __init__(self, address, keep=None):
        self.keep = keep
        self.address = _new_struct(ArrowArray)
        ctypes.memmove(self.address, address, ctypes.sizeof(ArrowArray))
        ArrowArray.from_address(address).release = ctypes.CFUNCTYPE(None, _self)()
        self.array = ArrowArray.from_address(self.address)

    def __del__(self):
        if self.array.release:
            self.array.release(self.address)
        _free_struct(self.address)


def _view(address, nbytes, owner):
    buffer = (ctypes.c_char * max(1, nbytes)).from_address(address)
    buffer._owner = owner  # the memory lives as long as the numpy arrays over it
    return np.frombuffer(buffer, dtype=np.uint8, count=nbytes)


def _bits(address, offset, length, owner):
    """Bits offset .. offset+length of an Arrow bitmap as a bool array (a copy)."""
    first, last = offset // 8, (offset + length + 7) // 8
    raw = _view(address + first, last - first, owner)
    return np.unpackbits(raw, bitorder="little")[offset - first * 8:offset - first * 8 + length].astype(bool)


def _column_piece(child, dtype, owner):
    """(values, valid or None) of one child array; values are a read-only view when possible."""
    n, off = child.length, child.offset
    values_address, validity_address = child.buffers[1], child.buffers[0]
    if n == 0:
        return np.empty(0, dtype=dtype), None
    if dtype == np.bool_:
        values = _bits(values_address, off, n, owner)
    else:
        values = _view(values_address + off * dtype.itemsize, n * dtype.itemsize, owner).view(dtype)
        values.flags.writeable = False
    valid = None
    if child.null_count != 0 and validity_address:
        valid = _bits(validity_address, off, n, owner)
        if valid.all():
            valid = None
    return values, valid


def read_stream(capsule, keep=None, pandas=False):
    """[(name, numpy array)] from a PyCapsule "arrow_array_stream" of the supported
    dtypes; a column with missing values comes back as a numpy masked array. With
    `pandas`, a dictionary-encoded column comes back as a pandas Categorical and a
    timestamp with a time zone as a zone-aware pandas Series, as pyarrow's to_pandas
    makes them."""
    stream_address = _capsule_pointer(capsule, _STREAM_NAME)
    stream = ArrowArrayStream.from_address(stream_address)

    def fail(status, what):
        message = stream.get_last_error(stream_address)
        detail = ctypes.string_at(message).decode("utf-8", "replace") if message else f"errno {status}"
        raise OSError(status, f"Arrow stream {what} failed: {detail}")

    zones = {}  # column -> time zone (with `pandas`)
    schema_address = _new_struct(ArrowSchema)
    try:
        status = stream.get_schema(stream_address, schema_address)
        if status:
            fail(status, "get_schema")
        schema = ArrowSchema.from_address(schema_address)
        columns = []
        for i in range(schema.n_children):
            child = schema.children[i].contents
            fmt = (child.format or b"").decode("utf-8", "replace")
            name = (child.name or b"").decode("utf-8", "replace")
            types = _numpy_types(fmt)
            if child.dictionary:  # a categorical: integer indices into strings
                values = _numpy_types((child.dictionary.contents.format or b"").decode("utf-8", "replace"))
                types = None if types is None or values is None or values[0] != "string" \
                    else ("dictionary", (types[0], values[1]))
            if types is None:
                raise TypeError(f"column {name!r} has Arrow format {fmt!r}, which has no numpy dtype here")
            if pandas and fmt[:2] == "ts" and fmt[4:]:
                zones[i] = fmt[4:]
            columns.append((name, types))
        if schema.release:
            schema.release(schema_address)
    finally:
        _free_struct(schema_address)

    pieces = [[] for _ in columns]
    array_address = _new_struct(ArrowArray)
    try:
        while True:
            status = stream.get_next(stream_address, array_address)
            if status:
                fail(status, "get_next")
            if not ArrowArray.from_address(array_address).release:
                break
            batch = _Batch(array_address, keep)
            for j, (_, types) in enumerate(columns):
                child = batch.array.children[j].contents
                if types[0] == "string":
                    pieces[j].append((_strings(child, types[1], batch), None))
                elif types[0] == "dictionary":
                    pieces[j].append((_codes(child, *types[1], batch) if pandas else _decode(child, *types[1], batch),
                                      None))
                else:
                    pieces[j].append(_column_piece(child, types[0], batch))
    finally:
        _free_struct(array_address)

    items = []
    for j, ((name, (stored, shown)), parts) in enumerate(zip(columns, pieces)):
        if stored == "dictionary" and pandas:
            items.append((name, _categorical([p[0] for p in parts])))
            continue
        if stored in ("string", "dictionary"):
            items.append((name, np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=object)))
            continue
        dtype = stored
        if len(parts) == 1:
            values, valid = parts[0]
        elif parts:
            values = np.concatenate([p[0] for p in parts])
            valid = None
            if any(p[1] is not None for p in parts):
                valid = np.concatenate([np.ones(len(p[0]), bool) if p[1] is None else p[1] for p in parts])
        else:
            values, valid = np.empty(0, dtype=dtype), None
        if shown != stored:  # temporal: int32 days become datetime64[D]; int64 counts are viewed
            values = values.astype(shown) if shown.itemsize != stored.itemsize else values.view(shown)
        if j in zones:  # UTC instants shown in their zone; missing ones NaT
            import pandas as pd
            if valid is not None:
                values = np.where(valid, values, np.array("NaT", dtype=values.dtype))
            items.append((name, pd.Series(values, name=name).dt.tz_localize("UTC").dt.tz_convert(zones[j])))
            continue
        items.append((name, values if valid is None else np.ma.MaskedArray(values, mask=~valid)))
    return items


def _codes(child, index_dtype, large, owner):
    """(int64 codes, dictionary strings) of a dictionary-encoded child: -1 where the row is
    missing or its dictionary entry is."""
    indices, valid = _column_piece(child, index_dtype, owner)
    words = _strings(child.dictionary.contents, large, owner)
    codes = indices.astype(np.int64)
    if valid is not None:
        codes[~valid] = -1
    return codes, words


def _categorical(parts):
    """A pandas Categorical from [(codes, dictionary strings)] of record batches: the
    categories are the first batch's strings then each later batch's new ones, in order
    (pyarrow's dictionary unification); missing dictionary entries are not categories."""
    import pandas as pd
    categories = pd.Index([], dtype=object)
    codes = []
    for batch_codes, words in parts:
        present = ~pd.isna(words)
        new = pd.unique(words[present])
        new = new[~pd.Index(new, dtype=object).isin(categories)]
        if len(new):
            categories = categories.append(pd.Index(new, dtype=object))
        remap = np.full(len(words) + 1, -1, dtype=np.int64)  # code -1 (the last slot) stays -1
        remap[:-1][present] = categories.get_indexer(words[present])
        codes.append(remap[batch_codes])
    all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    return pd.Categorical.from_codes(all_codes, categories=pd.Index(categories.tolist()) if len(categories)
                                     else pd.Index([], dtype=object))


def _decode(child, index_dtype, large, owner):
    """A dictionary-encoded string child decoded into a numpy object array (None where missing)."""
    indices, valid = _column_piece(child, index_dtype, owner)
    words = _strings(child.dictionary.contents, large, owner)
    if valid is not None:
        indices = np.where(valid, indices, 0)
    out = words[indices.astype(np.intp)] if len(words) else np.full(len(indices), None, dtype=object)
    if valid is not None:
        out[~valid] = None
    return out


def _strings(child, large, owner):
    """A utf8/large_utf8 child as a numpy object array (None where missing), decoded by pyarrow."""
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError("reading string columns needs pyarrow: pip install pyarrow") from None
    n, off = child.length, child.offset
    if n == 0:
        return np.empty(0, dtype=object)
    width = 8 if large else 4
    offsets = np.frombuffer(_view(child.buffers[1], (off + n + 1) * width, owner), dtype=np.int64 if large else np.int32)
    end = int(offsets[off + n])
    data = pa.foreign_buffer(child.buffers[2], end, base=owner) if end else pa.py_buffer(b"")
    bitmap = None
    if child.null_count != 0 and child.buffers[0]:
        bitmap = pa.foreign_buffer(child.buffers[0], (off + n + 7) // 8, base=owner)
    array = pa.Array.from_buffers(pa.large_string() if large else pa.string(), n,
                                  [bitmap, pa.foreign_buffer(child.buffers[1], (off + n + 1) * width, base=owner), data],
                                  offset=off)
    return array.to_numpy(zero_copy_only=False)


def shared_dictionary(frame, name):
    """(int64 offsets, bytes, presence bytes) of stored categorical `name`'s dictionary
    when all its record batches share one, else None."""
    count, offsets, valid, data, length = ctypes.c_int64(), ctypes.c_void_p(), ctypes.c_void_p(), \
        ctypes.c_void_p(), ctypes.c_int64()
    check(lib.sf_frame_dictionary(frame._handle, _native.encode(name), ctypes.byref(count), ctypes.byref(offsets),
                                  ctypes.byref(valid), ctypes.byref(data), ctypes.byref(length)))
    if count.value < 0:
        return None
    try:
        n = count.value
        words = np.frombuffer(ctypes.string_at(offsets.value, (n + 1) * 8), dtype=np.int64) if offsets.value \
            else np.zeros(n + 1, dtype=np.int64)
        present = np.frombuffer(ctypes.string_at(valid.value, n), dtype=np.uint8).astype(bool) if valid.value \
            else np.ones(n, dtype=bool)
        chars = ctypes.string_at(data.value, length.value) if data.value else b""
    finally:
        for p in (offsets, valid, data):
            lib.sf_buffer_free(p)
    return words, chars, present


def dictionary_indices(frame, name, start, stop):
    """(int32 indices, presence bytes, missing count) of categorical `name`, rows [start, stop)."""
    indices = np.empty(stop - start, dtype=np.int32)
    valid = np.empty(stop - start, dtype=np.uint8)
    missing = ctypes.c_int64()
    check(lib.sf_frame_dictionary_indices(frame._handle, _native.encode(name), start, stop,
                                          indices.ctypes.data_as(ctypes.c_void_p),
                                          valid.ctypes.data_as(ctypes.c_void_p), _native.NO_PROGRESS, None,
                                          ctypes.byref(missing)))
    return indices, valid, missing.value


def _dictionary_words(dictionary):
    """The strings of a shared dictionary (shared_dictionary) as a numpy object array,
    None where an entry is missing, decoded by pyarrow."""
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError("reading string columns needs pyarrow: pip install pyarrow") from None
    offsets, chars, present = dictionary
    mask = None if present.all() else pa.py_buffer(np.packbits(present, bitorder="little"))
    array = pa.Array.from_buffers(pa.large_string(), len(present), [mask, pa.py_buffer(offsets), pa.py_buffer(chars)])
    return array.to_numpy(zero_copy_only=False)


def to_pandas_items(frame):
    """[(name, array or pandas object)] of the visible columns for to_pandas_df: stored
    categoricals whose record batches share a dictionary as pandas Categoricals (also
    under a filter), other categoricals as Categoricals when they go out
    dictionary-encoded, zoned timestamps zone-aware, the rest as to_items gives them."""
    columns = frame._columns()
    shared = {}
    for c in columns:
        if c["dtype"] in ("string", "large_string") and c["expression"] is None:
            dictionary = shared_dictionary(frame, c["name"])
            if dictionary is not None:
                shared[c["name"]] = dictionary
    from .expression import column_ref
    others = [(c["name"], column_ref(c["name"])) for c in columns if c["name"] not in shared]
    items = dict(read_stream(export_stream(frame, others, copy=False), keep=frame, pandas=True)) if others else {}
    n = len(frame) if shared else 0
    for name, dictionary in shared.items():
        indices, valid, _ = dictionary_indices(frame, name, 0, n)
        codes = indices.astype(np.int64)
        codes[valid == 0] = -1
        items[name] = _categorical([(codes, _dictionary_words(dictionary))])
    return [(c["name"], items[c["name"]]) for c in columns]


def to_items(frame, columns=None, pandas=False):
    """[(name, numpy array)] of the frame's visible columns (or `columns`, a list of
    (name, expression)), read through the Arrow C stream: a stored column of one
    record batch comes back without a copy. `pandas`: as read_stream."""
    return read_stream(export_stream(frame, columns, copy=False), keep=frame, pandas=pandas)


def live_exports():
    """Exported Arrow structures not yet released by their consumers (for tests)."""
    return lib.sf_arrow_live_exports()


def live_imports():
    """Imported Arrow arrays the engine still holds (for tests)."""
    return lib.sf_arrow_live_imports()
