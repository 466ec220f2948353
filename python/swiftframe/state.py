"""Pipelines as state, vaex's `state_get` / `state_set` / `state_write` / `state_load`:
the virtual columns (encoded categoricals among them), renames, filter, named
selections and visible columns as a JSON-able dict, built and applied by the engine,
so a pipeline made on a sample replays on the full file."""

import ctypes
import json
import os

from . import _native
from ._files import temporary_beside
from ._native import check, encode, lib

ACTIVE_RANGE = 1  # SF_STATE_ACTIVE_RANGE


def state_get(df):
    """The frame's state as a dict: virtual_columns, column_names, renamed_columns,
    selections, filter and active_range (vaex's keys)."""
    out = ctypes.c_void_p()
    check(lib.sf_frame_state_get(df._handle, ctypes.byref(out)))
    return json.loads(_native.take_string(out))


def state_set(df, state, use_active_range=False):
    """Replaces the frame's state by `state` (a dict from state_get, or its JSON text).
    The engine checks everything first: a malformed state, a value of the wrong type or
    an unknown column raises and leaves the frame unchanged."""
    if isinstance(state, (str, bytes)):
        text = state.decode("utf-8") if isinstance(state, bytes) else state
    elif isinstance(state, dict):
        try:
            text = json.dumps(state)
        except (TypeError, ValueError) as e:
            raise TypeError(f"a state holds only JSON values: {e}") from None
    else:
        raise TypeError(f"a state is a dict or a JSON string, not {type(state).__name__}")
    check(lib.sf_frame_state_set(df._handle, encode(text), ACTIVE_RANGE if use_active_range else 0))


def state_write(df, path):
    """Writes the state as JSON to `path` (via a temporary file renamed into place)."""
    text = json.dumps(state_get(df), indent=2)
    with temporary_beside(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def state_load(df, path, use_active_range=False):
    """Applies the state written by state_write to `path`."""
    with open(os.fspath(path), encoding="utf-8") as f:
        text = f.read()
    state_set(df, text, use_active_range)


def rename(df, old, new):
    """Renames column `old` to `new` in place (vaex's rename); expressions referring to
    it (virtual columns, the filter, selections) are rewritten and keep working."""
    from .dataframe import _text
    check(lib.sf_frame_rename(df._handle, encode(_text(old)), encode(str(new))))
