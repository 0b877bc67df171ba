"""Secret keys at rest: the contact master key and the per-install card-hash secret.

A key comes from an environment variable (base64) when the install keeps secrets outside the data
directory, otherwise from a private file created on first run. Losing the key makes everything it
protects unreadable and leaking it defeats the encryption, so every doubtful state — a malformed
variable, a short file, a file others can read — is refused with the variable or path named rather
than worked around.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from pathlib import Path


class KeyFileError(ValueError):
    """A key could not be used as it stands; the message names the variable or file and the fix."""


def load_key(path: Path, env_var: str, *, length: int = 32) -> bytes:
    """The key from `env_var` if set, else from `path`; never creates one.

    For read-only tools: minting a fresh key where one was expected would silently orphan the data
    encrypted under the lost one.
    """
    from_env = _from_env(env_var, length)
    if from_env is not None:
        return from_env
    if not path.exists():
        raise KeyFileError(f"no key file at {path} and {env_var} is not set")
    return _read(path, length)


def load_or_create_key(path: Path, env_var: str, *, length: int = 32) -> bytes:
    """The key from `env_var` if set, else from `path`, creating the file on first run."""
    from_env = _from_env(env_var, length)
    if from_env is not None:
        return from_env
    if not path.exists():
        _create(path, length)
    return _read(path, length)


def _from_env(env_var: str, length: int) -> bytes | None:
    text = os.environ.get(env_var)
    if text is None:
        return None
    hint = f"{env_var} must hold {length} random bytes, base64-encoded"
    try:
        key = base64.b64decode(text.strip(), altchars=b"-_" if "-" in text or "_" in text else None,
                               validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"{hint}; it is not valid base64 ({exc})") from None
    if len(key) != length:
        raise KeyFileError(f"{hint}; it decodes to {len(key)} bytes")
    return key


def _read(path: Path, length: int) -> bytes:
    try:
        if os.name != "nt":
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise KeyFileError(
                    f"key file {path} can be read by other users (mode {mode:04o}); "
                    f"run `chmod 600 {path}` if it has not leaked, or replace it if it has"
                )
        key = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from exc
    if len(key) != length:
        raise KeyFileError(
            f"key file {path} holds {len(key)} bytes, not the {length} of a key; it is damaged or "
            f"not a key file"
        )
    return key


def _create(path: Path, length: int) -> None:
    """Write the key to a private temporary file, then link it into place.

    Linking fails if the name exists, so two first runs racing each other both end up using whichever
    key landed first, and no reader ever sees a half-written key file.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(secrets.token_bytes(length))
                file.flush()
                os.fsync(file.fileno())
            # The name already existing means another first run won the race: use its key.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        _sync_directory(path.parent)
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path}: {exc.strerror or exc}") from exc


def _sync_directory(directory: Path) -> None:
    """Make the new directory entry durable: a key lost to a power cut loses every contact with it."""
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
