"""include/swiftframe.h is the one contract for C and Python: these tests fail
when the header, the symbols libswiftframe.so exports and the ctypes
declarations of swiftframe._native drift apart."""

import ctypes
import pathlib
import re
import shutil
import subprocess

import pytest

from swiftframe import _native

REPO = pathlib.Path(__file__).resolve().parents[2]
HEADER = REPO / "include" / "swiftframe.h"


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _code():
    """The header without comments and preprocessor lines."""
    lines = _strip_comments(HEADER.read_text()).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def _macros():
    return dict(re.findall(r"^\s*#define\s+(\w+)\s+(\S+)", HEADER.read_text(), flags=re.M))


def _parse_type(text):
    """(base type, number of stars) of a C type, dropping const."""
    stars = text.count("*")
    words = [w for w in re.findall(r"\w+", text) if w != "const"]
    return words[0], stars


def _split_params(params):
    params = params.strip()
    if params in ("", "void"):
        return []
    out = []
    for p in params.split(","):
        # Every parameter in the header is named: drop the trailing name.
        m = re.fullmatch(r"\s*(.*?[\s*])(\w+)\s*", p)
        assert m, f"cannot parse parameter {p!r}"
        out.append(_parse_type(m.group(1)))
    return out


def declared_functions():
    """name -> (return type, [parameter types]) for every sf_ function the header declares."""
    functions = {}
    for statement in re.split(r"[;{}]", _code()):
        m = re.fullmatch(r"\s*([\w\s*]+?[\s*])(sf_\w+)\s*\(([^()]*)\)\s*", statement)
        if m:
            name = m.group(2)
            assert name not in functions, f"{name} declared twice"
            functions[name] = (_parse_type(m.group(1)), _split_params(m.group(3)))
    return functions


def exported_symbols():
    """The sf_ symbols defined by the shared object the package loaded."""
    nm = shutil.which("nm")
    assert nm, "nm (binutils) is needed to list the library's exports"
    out = subprocess.run([nm, "-D", "--defined-only", _native.lib._name], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[-1].startswith("sf_"):
            names.add(parts[-1].split("@")[0])
    return names


def test_header_declares_functions():
    functions = declared_functions()
    # The plain textual scan agrees with the statement parser (nothing is missed).
    textual = set(re.findall(r"\b(sf_\w+)\s*\(", _code()))
    assert set(functions) == textual
    assert {"sf_abi_version", "sf_last_error", "sf_frame_open", "sf_frame_release"} <= set(functions)


def test_header_matches_exported_symbols():
    declared, exported = set(declared_functions()), exported_symbols()
    assert not declared - exported, f"declared in {HEADER.name} but not exported: {sorted(declared - exported)}"
    assert not exported - declared, f"exported but not declared in {HEADER.name}: {sorted(exported - declared)}"


def test_every_function_has_a_ctypes_signature():
    declared = set(declared_functions())
    signed = set(_native._SIGNATURES)
    assert not declared - signed, f"no ctypes signature in _native._SIGNATURES: {sorted(declared - signed)}"
    assert not signed - declared, f"_native._SIGNATURES declares unknown functions: {sorted(signed - declared)}"


_INTEGERS = {"int8_t": ctypes.c_int8, "int16_t": ctypes.c_int16, "int32_t": ctypes.c_int32,
             "int64_t": ctypes.c_int64, "uint8_t": ctypes.c_uint8, "uint16_t": ctypes.c_uint16,
             "uint32_t": ctypes.c_uint32, "uint64_t": ctypes.c_uint64, "double": ctypes.c_double,
             "int": ctypes.c_int}


def _is_pointer(t):
    return t in (ctypes.c_void_p, ctypes.c_char_p) or issubclass(t, ctypes._Pointer)


def _fits(ctype, ctype_decl, where):
    """Asserts that the ctypes type `ctype` passes the C type `ctype_decl` correctly."""
    base, stars = ctype_decl
    if stars == 0 and base == "void":
        assert ctype is None, f"{where}: void, ctypes has {ctype}"
    elif stars == 0 and base == "sf_progress":
        assert issubclass(ctype, ctypes._CFuncPtr), f"{where}: sf_progress needs a CFUNCTYPE, got {ctype}"
        assert ctype._restype_ is ctypes.c_int32 and ctype._argtypes_ == (ctypes.c_void_p, ctypes.c_double), where
    elif stars == 0:
        assert base in _INTEGERS, f"{where}: unexpected C type {base}"
        assert ctype is _INTEGERS[base], f"{where}: {base} needs {_INTEGERS[base].__name__}, got {ctype}"
    elif stars >= 2:
        # An array of pointers or an out-pointer to a handle or string.
        assert ctype is not None and issubclass(ctype, ctypes._Pointer) and _is_pointer(ctype._type_), \
            f"{where}: {base}{'*' * stars} needs POINTER(pointer), got {ctype}"
    elif base == "char":
        assert ctype in (ctypes.c_char_p, ctypes.c_void_p), f"{where}: char* needs c_char_p or c_void_p, got {ctype}"
    elif base in _INTEGERS:
        assert ctype is ctypes.c_void_p or (issubclass(ctype, ctypes._Pointer) and ctype._type_ is _INTEGERS[base]), \
            f"{where}: {base}* needs POINTER({_INTEGERS[base].__name__}) or c_void_p, got {ctype}"
    elif base == "sf_scalar":
        assert ctype is ctypes.c_void_p or (issubclass(ctype, ctypes._Pointer) and ctype._type_ is _native.Scalar), \
            f"{where}: sf_scalar* needs POINTER(Scalar), got {ctype}"
    else:
        # void* and opaque handles (sf_frame*).
        assert ctype is ctypes.c_void_p, f"{where}: {base}* needs c_void_p, got {ctype}"


@pytest.mark.parametrize("name", sorted(declared_functions()))
def test_ctypes_signature_matches_header(name):
    if name not in _native._SIGNATURES:
        pytest.fail(f"{name} has no ctypes signature")
    (ret, params), (restype, argtypes) = declared_functions()[name], _native._SIGNATURES[name]
    assert len(argtypes) == len(params), f"{name}: header has {len(params)} parameters, ctypes {len(argtypes)}"
    if ret == ("char", 1):
        assert restype in (ctypes.c_char_p, ctypes.c_void_p), f"{name}: return type"
    else:
        _fits(restype, ret, f"{name} return")
    for i, (argtype, param) in enumerate(zip(argtypes, params)):
        _fits(argtype, param, f"{name} parameter {i}")


def test_abi_version_matches_header():
    macros = _macros()
    major, minor, patch = (int(macros[f"SF_ABI_VERSION_{k}"]) for k in ("MAJOR", "MINOR", "PATCH"))
    loaded = _native.lib.sf_abi_version()
    assert loaded == major * 10000 + minor * 100 + patch, \
        f"{_native.lib._name} reports ABI {loaded}, {HEADER.name} says {major}.{minor}.{patch}"
    assert _native.ABI_MAJOR == major


def _enum(prefix):
    return {name: int(value) for name, value in re.findall(rf"\b{prefix}(\w+)\s*=\s*(\d+)", _code())}


def test_codes_match_header():
    dtypes = _enum("SF_DTYPE_")
    assert {code: name.lower() for name, code in dtypes.items()} == _native.DTYPES, "SF_DTYPE_* vs _native.DTYPES"
    assert {name.lower(): code for name, code in _enum("SF_AGG_").items()} == _native.AGGREGATES, \
        "SF_AGG_* vs _native.AGGREGATES"
    errors = _enum("SF_ERR_")
    assert re.search(r"\bSF_OK\s*=\s*0\b", _code()), "SF_OK must be 0"
    assert set(errors.values()) == set(_native.ERRORS), f"SF_ERR_* {errors} vs _native.ERRORS {_native.ERRORS}"
    expected = {"ARGUMENT": ValueError, "EXPRESSION": SyntaxError, "TYPE": TypeError, "IO": OSError,
                "CORRUPT": ValueError, "NOMEM": MemoryError, "CANCELLED": KeyboardInterrupt,
                "NAME": NameError, "NOT_FOUND": FileNotFoundError}
    assert set(errors) == set(expected), "a new status code needs its Python exception (DESIGN.md)"
    for name, code in errors.items():
        assert _native.ERRORS[code] is expected[name], f"SF_ERR_{name}"


def test_scalar_layout_matches_header():
    m = re.search(r"typedef\s+struct\s+sf_scalar\s*\{([^}]*)\}\s*sf_scalar\s*;", _code())
    assert m, "sf_scalar not found in the header"
    fields = re.findall(r"(\w+)\s+(\w+)\s*;", m.group(1))
    assert [(name, _INTEGERS[ctype]) for ctype, name in fields] == list(_native.Scalar._fields_), \
        f"sf_scalar {fields} vs _native.Scalar {_native.Scalar._fields_}"


@pytest.mark.parametrize("compiler, flags", [("cc", ["-x", "c", "-std=c11", "-Wstrict-prototypes"]),
                                             ("c++", ["-x", "c++", "-std=c++11"])])
def test_header_compiles_alone(tmp_path, compiler, flags):
    """The header is self-contained and warning-free in C and C++."""
    exe = shutil.which(compiler)
    if exe is None:
        pytest.skip(f"{compiler} not installed")
    source = tmp_path / "header.c"
    source.write_text('#include "swiftframe.h"\nint main(void) { return sf_abi_version() < 0; }\n')
    result = subprocess.run([exe, *flags, "-Wall", "-Wextra", "-Wpedantic", "-Werror", f"-I{REPO / 'include'}",
                             "-fsyntax-only", str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
