"""A float32 vector as a statement parameter in pgvector's binary form: nothing formatted as
text in the process, nothing parsed from text on the server."""

from __future__ import annotations

import struct
from typing import Any


class VectorParam:
    """float32 little-endian bytes, sent as a `vector` parameter (register_vector_param)."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def text(self) -> str:
        """The same vector as pgvector's text form, for a statement replayed elsewhere."""
        return to_literal(self.blob)


def to_literal(blob: bytes) -> str:
    """float32 bytes → pgvector text; repr of each value parses back to the same float32."""
    values = struct.unpack(f"<{len(blob) // 4}f", blob)
    return "[" + ",".join(map(repr, values)) + "]"


def binary_vector(blob: bytes) -> bytes:
    """pgvector's binary form of float32 little-endian bytes: the dimension count, an unused
    int16, then the values as big-endian float32 (the same bits)."""
    count = len(blob) // 4
    return struct.pack(f">hh{count}f", count, 0, *struct.unpack(f"<{count}f", blob))


def register_vector_param(conn: Any) -> None:
    """Let conn take VectorParam values (its statements cast them: `%s::vector`)."""
    conn.adapters.register_dumper(VectorParam, _dumper())


_DUMPER: list[type] = []


def _dumper() -> type:
    """The psycopg dumper class, made once psycopg is in use (it is imported lazily)."""
    if not _DUMPER:
        from psycopg.adapt import Dumper
        from psycopg.pq import Format

        class VectorDumper(Dumper):
            format = Format.BINARY  # of unknown type: the statement's cast names it

            def dump(self, obj: VectorParam) -> bytes:
                return binary_vector(obj.blob)

        _DUMPER.append(VectorDumper)
    return _DUMPER[0]
