"""PNG chunks read and written by hand (PNG §5.3), and the `openbadgecredential` iTXt chunk
(OB 3.0 §5.3.1.1).

Chunks are read and written by hand: Pillow decodes and re-encodes the pixels on save, so it
cannot promise that every other byte of the artwork stays identical, and it reads iTXt
payloads without our limits (it would inflate a compressed one). The chunk layout is simple
(PNG §5.3: length, type, data, CRC-32 over type + data).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from issuer.openbadges.baked.payloads import (
    MAX_PAYLOAD_BYTES,
    BakingError,
    check_image_size,
    corrupt,
)

PNG_KEYWORD = b"openbadgecredential"  # OB 3.0 §5.3.1.1

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_MAX_CHUNK_LENGTH = 2**31 - 1  # PNG §5.3: lengths above this are invalid
# Reading a chunk costs a few microseconds whatever its size: an image made of 12-byte chunks
# would take seconds. Real images hold tens of chunks (hundreds of IDAT for a large one).
MAX_PNG_CHUNKS = 10_000


@dataclass(frozen=True)
class PngChunk:
    type: bytes
    data: bytes
    raw: bytes
    """The whole chunk as found in the file (length, type, data, CRC), copied back verbatim."""


def read_png_chunks(data: bytes) -> list[PngChunk]:
    """Every chunk from IHDR to IEND, CRCs checked; refuses truncated or trailing data."""
    check_image_size(data)
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError.of("baked.not_an_image")
    chunks: list[PngChunk] = []
    position = len(PNG_SIGNATURE)
    while True:
        if position + 12 > len(data):
            raise corrupt("fichier PNG tronqué", "truncated PNG file")
        (length,) = struct.unpack_from(">I", data, position)
        chunk_type = data[position + 4 : position + 8]
        if length > _PNG_MAX_CHUNK_LENGTH or position + 12 + length > len(data):
            raise corrupt("longueur de bloc PNG impossible", "impossible PNG chunk length")
        if not chunk_type.isalpha():  # bytes.isalpha: ASCII letters only (PNG §5.4)
            raise corrupt("type de bloc PNG invalide", "invalid PNG chunk type")
        chunk_data = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack_from(">I", data, position + 8 + length)
        if zlib.crc32(chunk_type + chunk_data) != crc:
            raise corrupt("somme de contrôle PNG fausse", "bad PNG chunk CRC")
        end = position + 12 + length
        if not chunks and chunk_type != b"IHDR":
            raise corrupt("le PNG ne commence pas par IHDR", "PNG does not start with IHDR")
        chunks.append(PngChunk(chunk_type, chunk_data, data[position:end]))
        if len(chunks) > MAX_PNG_CHUNKS:
            raise corrupt(f"plus de {MAX_PNG_CHUNKS} blocs PNG",
                           f"more than {MAX_PNG_CHUNKS} PNG chunks")
        position = end
        if chunk_type == b"IEND":
            break
    # Bytes after IEND are ignored by image decoders; a payload hidden there would be read by
    # some badge tools and not others (VERIFICATION.md R15).
    if position != len(data):
        raise corrupt("données après la fin du PNG", "data after the end of the PNG")
    return chunks


def text_chunk_keyword(chunk: PngChunk) -> bytes | None:
    """The keyword of a tEXt / zTXt / iTXt chunk (1–79 bytes, NUL-terminated; PNG §11.3)."""
    if chunk.type not in (b"tEXt", b"zTXt", b"iTXt"):
        return None
    end = chunk.data.find(b"\x00", 0, 80)
    return chunk.data[:end] if end > 0 else None


def is_credential_chunk(chunk: PngChunk) -> bool:
    return text_chunk_keyword(chunk) == PNG_KEYWORD


def credential_chunk_text(chunk: PngChunk) -> str:
    """The text of an `openbadgecredential` chunk, refusing every form but uncompressed iTXt
    (OB 3.0 §5.3.1.1: "Compression MUST NOT be used")."""
    if chunk.type == b"zTXt":
        raise BakingError.of("baked.compressed_chunk")
    if chunk.type != b"iTXt":
        raise BakingError.of("baked.wrong_chunk_type")
    # iTXt layout (PNG §11.3.4.5): keyword NUL, compression flag, compression method,
    # language tag NUL, translated keyword NUL, text.
    rest = chunk.data[len(PNG_KEYWORD) + 1 :]
    if len(rest) < 2:
        raise corrupt("bloc iTXt incomplet", "incomplete iTXt chunk")
    compression_flag, compression_method = rest[0], rest[1]
    if compression_flag != 0:
        raise BakingError.of("baked.compressed_chunk")
    if compression_method != 0:
        raise corrupt("bloc iTXt invalide", "invalid iTXt chunk")
    language_end = rest.find(b"\x00", 2)
    translated_end = rest.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        raise corrupt("bloc iTXt incomplet", "incomplete iTXt chunk")
    text = rest[translated_end + 1 :]
    if len(text) > MAX_PAYLOAD_BYTES:
        raise BakingError.of("baked.too_large", limit=MAX_PAYLOAD_BYTES)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise corrupt("texte iTXt non UTF-8", "iTXt text is not UTF-8") from exc


def credential_itxt_chunk(text: str) -> bytes:
    # Uncompressed, empty language tag and translated keyword (OB 3.0 §5.3.1.1 example).
    data = PNG_KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
    return (
        struct.pack(">I", len(data))
        + b"iTXt"
        + data
        + struct.pack(">I", zlib.crc32(b"iTXt" + data))
    )
