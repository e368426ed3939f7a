"""Content-addressed file store under UPLOAD_FOLDER: a file is kept at its sha256 and never overwritten."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

CHUNK = 1 << 16


class TooLarge(Exception):
    pass


def blob_path(root: str | Path, sha256: str) -> Path:
    return Path(root) / sha256[:2] / sha256[2:4] / sha256


def store(root: str | Path, stream: BinaryIO, max_bytes: int,
          check: Callable[[bytes, Path], None] | None = None) -> tuple[str, int, bytes]:
    """Copy stream into the store; return (sha256, size, first bytes for type sniffing).

    The bytes go to a temporary file first and are moved into place only when complete, so a
    failed or oversized upload leaves nothing behind and an existing blob is never touched.
    check(head, temporary path), when given, runs on the complete file before it is moved into
    place; whatever it raises rejects the upload and leaves nothing in the store.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if check is not None:
            check(head, Path(tmp))
        sha = digest.hexdigest()
        final = blob_path(root, sha)
        if final.exists():
            os.unlink(tmp)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        return sha, size, head
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def store_bytes(root: str | Path, data: bytes) -> str:
    """Store data and return its sha256."""
    import io

    sha, _, _ = store(root, io.BytesIO(data), max_bytes=len(data) + 1)
    return sha
