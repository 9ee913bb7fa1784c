"""The REPL pipe protocol: messages are 4-byte big-endian lengths followed by UTF-8 JSON objects."""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">I")


def encode(message: dict[str, Any]) -> bytes:
    """One framed message."""
    body = json.dumps(message, default=str).encode("utf-8")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object of a frame body."""
    value = json.loads(body.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("a REPL message must be a JSON object; the peer speaks another protocol")
    return value


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> dict[str, Any] | None:
    """Block until one message arrives on fd; None at end of file (the peer went away)."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, HEADER.unpack(header)[0])
    return None if body is None else decode(body)


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one whole message to fd (blocking)."""
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]
