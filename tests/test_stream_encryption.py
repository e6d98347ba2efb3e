"""The STREAM encryption of backup parts (issuance.stream_encryption): a multi-megabyte input
comes back whole through bounded memory; a chunk modified, removed, repeated or moved, a
stream cut at a chunk boundary or inside a chunk, a chunk added after the last, another
part's label and another key are each refused."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from issuer.issuance.stream_encryption import (
    PREFIX_SIZE,
    TAG_SIZE,
    StreamDamaged,
    opening,
    read_to_end,
    sealing,
)

KEY = bytes(range(32))
CHUNK = 64 * 1024
LABEL = "database.sqlite3.aes-gcm"


class GeneratedSource:
    """`size` bytes read from a random 1 MiB pattern over and over, handed out as views of it:
    the test's own reads allocate nothing, so what tracemalloc sees is the encryption's."""

    pattern = os.urandom(1 << 20)

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.offset = 0
        self.digest = hashlib.sha256()

    def read(self, size: int) -> memoryview:
        size = min(size, self.remaining, len(self.pattern) - self.offset)
        view = memoryview(self.pattern)[self.offset:self.offset + size]
        self.offset = (self.offset + size) % len(self.pattern)
        self.remaining -= size
        self.digest.update(view)
        return view


class Recorder:
    """A sink that keeps only a digest, the total size and the largest single write."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.largest_write = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.largest_write = max(self.largest_write, len(data))
        return len(data)


def seal(data: bytes, *, label: str = LABEL, key: bytes = KEY, chunk: int = 1024) -> bytes:
    sink = io.BytesIO()
    with sealing(key, sink, label, chunk_size=chunk) as plaintext:
        plaintext.write(data)
    return sink.getvalue()


def unseal(sealed: bytes, *, label: str = LABEL, key: bytes = KEY, chunk: int = 1024) -> bytes:
    with opening(key, io.BytesIO(sealed), label, chunk_size=chunk) as stream:
        return stream.read()


def chunks_of(sealed: bytes, chunk: int = 1024) -> tuple[bytes, list[bytes]]:
    step = chunk + TAG_SIZE
    body = sealed[PREFIX_SIZE:]
    return sealed[:PREFIX_SIZE], [body[at:at + step] for at in range(0, len(body), step)]


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 2048, 5000])
def test_any_length_comes_back_whole(size: int) -> None:
    data = os.urandom(size)
    sealed = seal(data)
    assert unseal(sealed) == data
    # One chunk per started kibibyte (an empty or exact-multiple input ends on a full or empty
    # last chunk, never on an extra one), each with its tag, after the nonce prefix.
    count = max(1, -(-size // 1024))
    assert len(sealed) == PREFIX_SIZE + size + count * TAG_SIZE
    assert data[:64] not in sealed or size == 0


def seal_generated(source: GeneratedSource, path: str, recorder: Recorder) -> None:
    with open(path, "wb") as sink:
        class Tee:
            def write(self, data: bytes) -> int:
                recorder.write(data)
                return sink.write(data)
        with sealing(KEY, Tee(), LABEL, chunk_size=CHUNK) as plaintext:
            while block := source.read(100_000):  # writes that straddle chunks
                plaintext.write(block)


def open_into(path: str, clear: Recorder) -> None:
    with open(path, "rb") as sealed, opening(KEY, sealed, LABEL, chunk_size=CHUNK) as stream:
        while block := stream.read(50_000):
            clear.write(block)


def test_a_multi_megabyte_stream_goes_through_in_bounded_memory(tmp_path: Path) -> None:
    size = 8 * 1024 * 1024 + 123  # 128 chunks and a bit
    source, recorder, clear = GeneratedSource(size), Recorder(), Recorder()
    sealed_path = str(tmp_path / "sealed")

    tracemalloc.start()
    try:
        seal_generated(source, sealed_path, recorder)
        _, sealing_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        open_into(sealed_path, clear)
        _, opening_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert clear.size == size and clear.digest.digest() == source.digest.digest()
    assert recorder.size == PREFIX_SIZE + size + (size // CHUNK + 1) * TAG_SIZE
    assert recorder.largest_write == CHUNK + TAG_SIZE  # one sealed chunk at a time
    # One chunk and its sealed or opened form (plus the block being copied), whatever the
    # length: the 8 MiB are never in memory.
    assert sealing_peak < 3 * CHUNK, sealing_peak
    assert opening_peak < 3 * CHUNK + 2 * 50_000, opening_peak


def refused(sealed: bytes, **options: object) -> str:
    with pytest.raises(StreamDamaged) as caught:
        unseal(sealed, **options)  # type: ignore[arg-type]
    return caught.value.detail_fr


def test_a_flipped_byte_is_refused() -> None:
    sealed = bytearray(seal(os.urandom(3000)))
    sealed[PREFIX_SIZE + 1500] ^= 1
    assert "bloc 1 non authentifié" in refused(bytes(sealed))


def test_a_removed_chunk_is_refused() -> None:
    prefix, chunks = chunks_of(seal(os.urandom(3500)))
    assert len(chunks) == 4
    assert "bloc 1 non authentifié" in refused(prefix + chunks[0] + chunks[2] + chunks[3])


def test_swapped_or_repeated_chunks_are_refused() -> None:
    prefix, chunks = chunks_of(seal(os.urandom(3500)))
    assert "bloc 0" in refused(prefix + chunks[1] + chunks[0] + chunks[2] + chunks[3])
    assert "bloc 1" in refused(prefix + chunks[0] + chunks[0] + chunks[2] + chunks[3])


@pytest.mark.parametrize("kept", [1, 2, 3], ids=["one", "two", "three"])
def test_a_stream_cut_after_a_chunk_is_refused(kept: int) -> None:
    """The last chunk dropped (or more): the chunk that is now last was sealed as not last."""
    prefix, chunks = chunks_of(seal(os.urandom(3500)))
    assert f"bloc {kept - 1} non authentifié" in refused(prefix + b"".join(chunks[:kept]))


def test_an_exact_multiple_cut_at_a_boundary_is_refused() -> None:
    prefix, chunks = chunks_of(seal(os.urandom(4096)))  # four full chunks, the last one final
    assert len(chunks) == 4
    assert "bloc 2 non authentifié" in refused(prefix + b"".join(chunks[:3]))


def test_a_stream_cut_inside_a_chunk_or_its_header_is_refused() -> None:
    sealed = seal(os.urandom(3500))
    assert "non authentifié" in refused(sealed[:-1])
    assert "non authentifié" in refused(sealed[:PREFIX_SIZE + 1024 + TAG_SIZE + 100])
    assert "tronqué" in refused(sealed[:PREFIX_SIZE + 5])
    assert "tronqué (en-tête)" in refused(sealed[:3])
    assert "tronqué" in refused(b"")


def test_a_chunk_added_after_the_last_is_refused() -> None:
    prefix, chunks = chunks_of(seal(os.urandom(3500)))
    _other_prefix, others = chunks_of(seal(os.urandom(3500)))
    assert "bloc 3 non authentifié" in refused(prefix + b"".join(chunks) + others[0])


def test_another_parts_label_or_another_key_is_refused() -> None:
    sealed = seal(b"keys and names")
    assert "bloc 0 non authentifié" in refused(sealed, label="files.tar.gz.aes-gcm")
    assert "bloc 0 non authentifié" in refused(sealed, key=bytes(32))


def test_read_to_end_authenticates_what_a_reader_left() -> None:
    prefix, chunks = chunks_of(seal(os.urandom(3500)))
    cut = prefix + b"".join(chunks[:3])
    with opening(KEY, io.BytesIO(cut), LABEL, chunk_size=1024) as stream:
        assert len(stream.read(100)) == 100  # the first chunk is whole and authentic
        with pytest.raises(StreamDamaged):
            read_to_end(stream)


def test_an_error_inside_the_block_seals_no_last_chunk() -> None:
    """A backup that fails mid-way must not leave a stream that looks whole."""
    sink = io.BytesIO()

    def back_up_until_the_dump_fails() -> None:
        with sealing(KEY, sink, LABEL, chunk_size=1024) as plaintext:
            plaintext.write(os.urandom(2500))
            raise RuntimeError("pg_dump failed")

    with pytest.raises(RuntimeError):
        back_up_until_the_dump_fails()
    assert len(sink.getvalue()) == PREFIX_SIZE + 2 * (1024 + TAG_SIZE)  # two chunks, no last
    assert "bloc 1 non authentifié" in refused(sink.getvalue())
