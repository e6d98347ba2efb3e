"""Encryption of a stream of any length in bounded memory: the STREAM construction (Hoang,
Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
Misuse-Resistance", CRYPTO 2015) over AES-256-GCM, for the parts of a backup archive
(issuance.backup; docs/DEPLOYMENT.md, "Backup and restore").

Why by hand: `cryptography` offers AES-GCM only as a one-shot AEAD (`AESGCM`: the whole
message in memory, which a `pg_dump` of a large database must not be) or as the hazmat
`Cipher(AES, GCM)` whose incremental decryptor hands out plaintext before the tag at the end
has been checked: fed to `pg_restore`, a modified archive would be half-restored before the
forgery shows. It has no segmented ("online") AEAD, the construction its maintainers point to
for this (pyca/cryptography issue #1199). Tink's streaming AEAD and `age` do have one, but
are another dependency for some forty lines built on the one we have.

The construction. The plaintext is cut into chunks of `chunk_size` bytes (the last one
shorter, possibly empty); each is sealed on its own with AES-256-GCM, so each is authenticated
before a byte of it is released:
- nonce (12 bytes) = a random 8-byte prefix, drawn per stream and written in clear as the
  stream's first 8 bytes, then the chunk's index as a 4-byte big-endian counter: no nonce
  is ever used twice under one key (at most 2^32 chunks a stream, 4 PiB at 1 MiB);
- associated data = a label naming the stream (the archive member: one member's chunks cannot
  be moved into another), the chunk's index (8 bytes) and a final-chunk flag (1 byte, 1 on
  the last chunk only).
So a chunk moved, dropped or repeated fails its tag (its index differs); a stream cut after
any chunk fails, because the chunk that is then last was sealed with the flag 0; chunks
added after the last fail, because the last was sealed with the flag 1. To know whether a
chunk is the last, the writer holds it until the next byte arrives or the stream ends, and
the reader reads one byte past each chunk.

Memory: a writer holds one chunk of plaintext and its sealed form; a reader one sealed chunk
and its plaintext; whatever the length of the stream.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

CHUNK_SIZE = 1 << 20
TAG_SIZE = 16
PREFIX_SIZE = 8
_MAX_CHUNKS = 1 << 32
_LABEL = b"roubaix-badges-backup STREAM v1\0"


class StreamDamaged(Exception):
    """The sealed stream was modified, cut or reordered, or the key is not its key."""

    def __init__(self, detail_fr: str, detail_en: str) -> None:
        super().__init__(detail_en)
        self.detail_fr = detail_fr
        self.detail_en = detail_en


class _Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Source(Protocol):
    def read(self, size: int, /) -> bytes: ...


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


def _associated_data(label: bytes, index: int, final: bool) -> bytes:
    return _LABEL + label + b"\0" + index.to_bytes(8, "big") + (b"\1" if final else b"\0")


class _SealingWriter(io.RawIOBase):
    """Takes plaintext by `write`, writes sealed chunks to `sink`; `finish` seals the last."""

    def __init__(self, key: bytes, sink: _Sink, label: bytes, chunk_size: int) -> None:
        super().__init__()
        self._aead = AESGCM(key)
        self._sink = sink
        self._label = label
        self._prefix = secrets.token_bytes(PREFIX_SIZE)
        self._chunk = bytearray(chunk_size)
        self._filled = 0
        self._index = 0
        self._finished = False
        self._abandoned = False
        sink.write(self._prefix)

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        if self._abandoned:  # the block failed: what is still buffered is dropped
            return len(memoryview(data))
        if self._finished:
            raise ValueError("stream already finished")
        view = memoryview(data).cast("B")
        size = len(self._chunk)
        taken = 0
        while taken < len(view):
            if self._filled == size:  # more follows: this chunk is not the last
                self._seal(final=False)
            step = min(size - self._filled, len(view) - taken)
            self._chunk[self._filled:self._filled + step] = view[taken:taken + step]
            self._filled += step
            taken += step
        return taken

    def abandon(self) -> None:
        self._abandoned = True

    def finish(self) -> None:
        if not self._finished:
            self._seal(final=True)
            self._finished = True

    def _seal(self, *, final: bool) -> None:
        if self._index >= _MAX_CHUNKS:
            raise ValueError("stream too long for a 32-bit chunk counter")
        with memoryview(self._chunk) as whole, whole[:self._filled] as plaintext:
            sealed = self._aead.encrypt(_nonce(self._prefix, self._index), plaintext,
                                        _associated_data(self._label, self._index, final))
        self._sink.write(sealed)
        self._index += 1
        self._filled = 0


@contextmanager
def sealing(key: bytes, sink: _Sink, label: str, *,
            chunk_size: int = CHUNK_SIZE) -> Iterator[BinaryIO]:
    """A binary file to write the plaintext into; its sealed form goes to `sink`. The last
    chunk is sealed when the block ends without an exception (never after one: a stream cut
    by an error must not look whole)."""
    raw = _SealingWriter(key, sink, label.encode("utf-8"), chunk_size)
    writer = io.BufferedWriter(raw, buffer_size=min(chunk_size, io.DEFAULT_BUFFER_SIZE))
    try:
        yield writer
        writer.flush()
        raw.finish()
    except BaseException:
        raw.abandon()
        raise


class _OpeningReader(io.RawIOBase):
    """Reads sealed chunks from `source`, gives their plaintext once authenticated."""

    def __init__(self, key: bytes, source: _Source, label: bytes, chunk_size: int) -> None:
        super().__init__()
        self._aead = AESGCM(key)
        self._source = source
        self._label = label
        self._sealed = bytearray(chunk_size + TAG_SIZE + 1)  # one sealed chunk + one byte ahead
        self._ahead = 0        # bytes already in self._sealed (the byte read past a chunk)
        self._plain = b""
        self._offset = 0
        self._index = 0
        self._done = False
        prefix = bytearray(PREFIX_SIZE)
        if self._fill(memoryview(prefix)) != PREFIX_SIZE:
            raise StreamDamaged("flux chiffré tronqué (en-tête)", "encrypted stream cut (header)")
        self._prefix = bytes(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        while self._offset == len(self._plain):
            if self._done:
                return 0
            self._open_next()
        step = min(len(target), len(self._plain) - self._offset)
        with memoryview(self._plain) as plain:
            target[:step] = plain[self._offset:self._offset + step]
        self._offset += step
        return step

    def _fill(self, view: memoryview) -> int:
        filled = 0
        readinto = getattr(self._source, "readinto", None)  # files: no copy in between
        while filled < len(view):
            if readinto is not None:
                count = readinto(view[filled:])
            else:
                block = self._source.read(len(view) - filled)
                view[filled:filled + len(block)] = block
                count = len(block)
            if not count:
                break
            filled += count
        return filled

    def _open_next(self) -> None:
        whole = len(self._sealed) - 1
        self._plain = b""  # the previous chunk's plaintext goes before the next is opened
        with memoryview(self._sealed) as view:
            filled = self._ahead + self._fill(view[self._ahead:])
            final = filled <= whole  # nothing past this chunk: it must be the last
            length = filled if final else whole
            if length < TAG_SIZE:
                raise StreamDamaged(f"flux chiffré tronqué (bloc {self._index})",
                                    f"encrypted stream cut (chunk {self._index})")
            try:
                with view[:length] as sealed:
                    self._plain = self._aead.decrypt(
                        _nonce(self._prefix, self._index), sealed,
                        _associated_data(self._label, self._index, final))
            except InvalidTag:
                raise StreamDamaged(
                    f"bloc {self._index} non authentifié (modifié, déplacé, ou flux tronqué)",
                    f"chunk {self._index} fails authentication (modified, moved, or stream "
                    "cut)") from None
        if final:
            self._done = True
        else:
            self._sealed[0] = self._sealed[whole]
            self._ahead = 1
        self._offset = 0
        self._index += 1


def opening(key: bytes, source: _Source, label: str, *,
            chunk_size: int = CHUNK_SIZE) -> BinaryIO:
    """A binary file reading the plaintext of the sealed stream `source`; reading raises
    `StreamDamaged` at the first chunk that fails, and reaching the end means the stream is
    whole. Raises `StreamDamaged` now if even the header is missing."""
    raw = _OpeningReader(key, source, label.encode("utf-8"), chunk_size)
    return io.BufferedReader(raw, buffer_size=min(chunk_size, io.DEFAULT_BUFFER_SIZE))


def read_to_end(stream: BinaryIO) -> None:
    """Read what is left of `stream` (authenticating every chunk up to the last)."""
    while stream.read(io.DEFAULT_BUFFER_SIZE):
        pass
