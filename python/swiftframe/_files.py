"""Writing files safely: a temporary file beside the target, renamed into place only
when complete, so a failed or cancelled write never leaves a partial file under the
target's name (and never touches an existing one)."""

import contextlib
import os
import uuid


@contextlib.contextmanager
def temporary_beside(path):
    """Yields the name of a new, empty temporary file in `path`'s folder (permissions as a
    plain open() gives them); renames it to `path` when the block completes and removes it
    when the block raises."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
