"""W3C Bitstring Status List v1.0: the bitstring, its encoding, status entries and the
(unsigned) status list credential. Pure logic: no I/O, no signing, no storage.

Spec: https://www.w3.org/TR/vc-bitstring-status-list/ (Recommendation, 15 May 2025).
Only `statusSize` 1 is supported (§1.3 allows a conforming processor to do so), and only
the `revocation` and `suspension` purposes.

Written with the standard library (gzip, zlib, base64, secrets): the format is small and the
one delicate part, inflating untrusted data with a hard output cap, is exactly what
`zlib.decompressobj(...).decompress(data, max_length)` gives.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import re
import secrets
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from issuer.errors import IssuerError
from issuer.openbadges.memo import Memo

# §2.2 / §6.1: the uncompressed bitstring MUST be at least 16 KB, i.e. 131,072 entries.
MINIMUM_LIST_LENGTH = 131_072
# Largest list we agree to inflate when reading someone else's list (2,097,152 bits =
# 256 KB uncompressed). VERIFICATION.md R15: never inflate unbounded data.
DEFAULT_MAX_LIST_LENGTH = 16 * MINIMUM_LIST_LENGTH

StatusPurpose = Literal["revocation", "suspension"]
STATUS_PURPOSES: tuple[str, ...] = get_args(StatusPurpose)

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"

# Multibase prefix for base64url without padding (VC Data Integrity §2.4, Multibase).
_MULTIBASE_BASE64URL = "u"
_BASE64URL_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_BASE10_INDEX = re.compile(r"[0-9]+")
# 20 digits is beyond any list we would ever inflate; longer strings are refused before
# int() so a hostile index cannot cost a huge big-integer conversion.
_MAX_INDEX_DIGITS = 20


class StatusListError(IssuerError):
    """A status list or status entry that cannot be used. `code` says which rule failed:

    - ``status.malformed_list``: not base64url, not GZIP, truncated, wrong shape;
    - ``status.list_too_large``: inflates beyond the accepted maximum;
    - ``status.list_too_short``: fewer than 131,072 entries (spec STATUS_LIST_LENGTH_ERROR);
    - ``status.malformed_entry``: the credential's `credentialStatus` is not a valid entry;
    - ``status.unsupported_entry``: another entry type, or `statusSize` other than 1;
    - ``status.list_mismatch``: the entry points at another list than the one given;
    - ``status.purpose_mismatch``: the list does not carry the entry's purpose;
    - ``status.index_out_of_range``: the index falls outside the list;
    - ``status.list_not_valid_now``: the list is not yet valid or has expired;
    - ``status.unsupported_purpose``: a purpose other than revocation / suspension;
    - ``status.list_full``: no free index is left in the list.
    """

    code = "status.error"


def _error(code: str, message_fr: str, message_en: str) -> StatusListError:
    return StatusListError(message_fr, message_en, code=code)


class StatusBitstring:
    """A list of status bits. Index 0 is the left-most (most significant) bit of the first
    byte, index `length - 1` the right-most bit of the last byte (§2.2 encodedList, §7.1)."""

    def __init__(self, length: int | None = None, bits: bytes | None = None) -> None:
        """`length` defaults to MINIMUM_LIST_LENGTH, or to 8 × len(bits) when bits are given.
        Lengths are whole bytes: the encoded list is a byte string."""
        if bits is not None:
            if length is not None and length != 8 * len(bits):
                raise ValueError(f"length {length} does not match {len(bits)} bytes of bits")
            length = 8 * len(bits)
        elif length is None:
            length = MINIMUM_LIST_LENGTH
        if isinstance(length, bool) or not isinstance(length, int) or length <= 0 or length % 8:
            raise ValueError(f"a status list length is a positive multiple of 8, not {length!r}")
        self._bytes = bytearray(bits) if bits is not None else bytearray(length // 8)
        self.length = length

    def _position(self, index: int) -> tuple[int, int]:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.length:
            raise _error(
                "status.index_out_of_range",
                f"L'index {index!r} est hors de la liste de statut (0 à {self.length - 1}).",
                f"Index {index!r} is outside the status list (0 to {self.length - 1}).",
            )
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        byte, mask = self._position(index)
        return bool(self._bytes[byte] & mask)

    def set(self, index: int, value: bool) -> None:
        byte, mask = self._position(index)
        if value:
            self._bytes[byte] |= mask
        else:
            self._bytes[byte] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def encode(self) -> str:
        """§3.3: GZIP, then Multibase base64url without padding ("u" prefix). `mtime=0`
        makes the output depend on the bits only, so an unchanged list re-encodes (and
        re-signs, and caches) identically."""
        compressed = gzip.compress(self.to_bytes(), compresslevel=9, mtime=0)
        encoded = base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")
        return _MULTIBASE_BASE64URL + encoded

    @classmethod
    def decode(
        cls, encoded_list: str, *, max_length: int = DEFAULT_MAX_LIST_LENGTH
    ) -> StatusBitstring:
        """§3.4 Bitstring Expansion, refusing anything that would inflate beyond
        `max_length` bits (VERIFICATION.md R15) without ever holding more than that in memory.

        The "u" multibase prefix is optional on input: StatusList2021 lists carried bare
        base64url. The two cannot be confused, as GZIP data always encodes to "H4s...".
        """
        if not isinstance(encoded_list, str):
            raise _malformed_list(
                "encodedList n'est pas une chaîne.", "encodedList is not a string."
            )
        # A list is read at every verification of a badge on it: its bits are kept, keyed on
        # the digest of the exact encoded text (and the cap), so a changed list is decoded anew.
        key = (hashlib.sha256(encoded_list.encode("utf-8", "surrogatepass")).digest(),
               max_length)
        bits = _DECODED.get(key)
        if bits is None:
            text = encoded_list.removeprefix(_MULTIBASE_BASE64URL)
            compressed = _base64url_decode(text)
            bits = _gunzip_bounded(compressed, max_bytes=max_length // 8)
            if not bits:
                raise _malformed_list("La liste de statut est vide.", "The status list is empty.")
            _DECODED.put(key, bits)
        return cls(bits=bits)


_DECODED: Memo[bytes] = Memo(32)
"""Bitstrings decoded lately (`StatusBitstring.decode`), by digest of the encoded list: at
most 32 × 256 KB (DEFAULT_MAX_LIST_LENGTH); ours are 16 KB each."""


def _malformed_list(detail_fr: str, detail_en: str) -> StatusListError:
    return _error(
        "status.malformed_list",
        f"Liste de statut illisible : {detail_fr}",
        f"Unreadable status list: {detail_en}",
    )


def _base64url_decode(text: str) -> bytes:
    # Strict alphabet: no padding (§2.2 "with no padding"), no standard-base64 "+" or "/",
    # no whitespace; binascii alone would quietly skip characters it does not know.
    if not text or not _BASE64URL_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise _malformed_list(
            "ce n'est pas du base64url sans remplissage.", "not unpadded base64url."
        )
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _malformed_list(
            "ce n'est pas du base64url sans remplissage.", "not unpadded base64url."
        ) from exc


def _gunzip_bounded(compressed: bytes, *, max_bytes: int) -> bytes:
    """Inflate a GZIP stream (RFC 1952, one or more members) to at most `max_bytes`."""
    output = bytearray()
    remaining = compressed
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP header and trailer
        try:
            # Ask for one byte more than allowed: getting it proves the list is too large,
            # and zlib stops there instead of inflating the rest.
            output += inflater.decompress(remaining, max_bytes - len(output) + 1)
        except zlib.error as exc:
            raise _malformed_list("ce n'est pas du GZIP valide.", "not valid GZIP data.") from exc
        if len(output) > max_bytes:
            raise _error(
                "status.list_too_large",
                f"La liste de statut dépasse la taille acceptée ({8 * max_bytes} bits).",
                f"The status list exceeds the accepted size ({8 * max_bytes} bits).",
            )
        if not inflater.eof:
            raise _malformed_list(
                "les données GZIP sont tronquées.", "the GZIP data is truncated."
            )
        remaining = inflater.unused_data
        if not remaining:
            return bytes(output)


def status_list_entry(
    status_list_credential_url: str, index: int, purpose: StatusPurpose
) -> dict[str, str]:
    """The `credentialStatus` of an issued credential (§2.1). The index is written as a
    base-10 string, as the spec requires; the entry id (which MUST NOT be the list URL) is
    the list URL with the index as fragment, as in the spec's examples."""
    _check_purpose(purpose)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a status list index is a non-negative integer, not {index!r}")
    _check_list_url(status_list_credential_url)
    return {
        "id": f"{status_list_credential_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": status_list_credential_url,
    }


def build_status_list_credential(
    *,
    url: str,
    issuer: str | dict[str, Any],
    purpose: StatusPurpose,
    bitstring: StatusBitstring,
    valid_from: datetime,
    valid_until: datetime | None = None,
    name: str | None = None,
    ttl: timedelta | None = None,
) -> dict[str, Any]:
    """An UNSIGNED BitstringStatusListCredential (§2.2); the caller adds a Data Integrity
    proof (VERIFICATION.md R7: wallets read only DI-signed JSON-LD lists).

    Only the VC 2.0 context: it defines every term used here (VERIFICATION.md R1, R14).
    `ttl`, if given, tells verifiers how long to cache the list (§2.2 credentialSubject.ttl,
    in milliseconds); align the HTTP Cache-Control header with it when publishing.
    """
    _check_purpose(purpose)
    _check_list_url(url)
    if bitstring.length < MINIMUM_LIST_LENGTH:
        raise _too_short(bitstring.length)
    if valid_until is not None and _utc(valid_until) <= _utc(valid_from):
        raise ValueError("validUntil must come after validFrom")
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": bitstring.encode(),
    }
    if ttl is not None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        subject["ttl"] = int(ttl / timedelta(milliseconds=1))
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
    }
    if name is not None:
        credential["name"] = name
    credential["validFrom"] = _xsd_datetime(valid_from)
    if valid_until is not None:
        credential["validUntil"] = _xsd_datetime(valid_until)
    credential["credentialSubject"] = subject
    return credential


def read_status_bit(
    status_list_credential: Mapping[str, Any],
    entry: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> bool:
    """§3.2 Validate, from the entry's point of view: True when the entry's bit is set
    (revoked, or suspended). Raises StatusListError when the status cannot be read; a
    caller must then report "status unknown", never "valid" (VERIFICATION.md R7).

    The list credential's proof and the issuer binding (VERIFICATION.md R13) are checked by the
    caller before this. Pass `now` to also refuse a list outside its validity period.
    """
    if not isinstance(entry, Mapping):
        raise _malformed_entry(
            "credentialStatus n'est pas un objet.", "credentialStatus is not an object."
        )
    if not _has_type(entry, ENTRY_TYPE):
        raise _error(
            "status.unsupported_entry",
            f"Type de statut non pris en charge : {entry.get('type')!r}.",
            f"Unsupported credential status type: {entry.get('type')!r}.",
        )
    # §2.1 statusSize: absent means 1; larger sizes carry status messages we do not read.
    if entry.get("statusSize", 1) != 1 or isinstance(entry.get("statusSize"), bool):
        raise _error(
            "status.unsupported_entry",
            "Seules les entrées de statut d'un bit sont prises en charge.",
            "Only one-bit status entries are supported.",
        )
    list_url = entry.get("statusListCredential")
    if not isinstance(list_url, str) or not list_url:
        raise _malformed_entry(
            "statusListCredential manque.", "statusListCredential is missing."
        )
    if not isinstance(status_list_credential, Mapping):
        raise _malformed_list("ce n'est pas un objet JSON.", "not a JSON object.")
    if status_list_credential.get("id") != list_url:
        raise _error(
            "status.list_mismatch",
            "La liste de statut fournie n'est pas celle que désigne le badge "
            f"({list_url}).",
            f"The status list given is not the one the credential points to ({list_url}).",
        )
    subject = _status_list_subject(status_list_credential)
    purpose = entry.get("statusPurpose")
    _check_purpose(purpose)  # type: ignore[arg-type]
    if purpose not in _list_purposes(subject):
        raise _error(
            "status.purpose_mismatch",
            f"La liste de statut ne porte pas le motif « {purpose} » demandé par le badge.",
            f"The status list does not carry the purpose '{purpose}' the credential names.",
        )
    index = _parse_index(entry.get("statusListIndex"))
    if now is not None:
        _check_validity_period(status_list_credential, now)
    bitstring = StatusBitstring.decode(subject.get("encodedList"))  # type: ignore[arg-type]
    if bitstring.length < MINIMUM_LIST_LENGTH:
        raise _too_short(bitstring.length)
    if index >= bitstring.length:
        raise _error(
            "status.index_out_of_range",
            f"L'index {index} est hors de la liste de statut ({bitstring.length} entrées).",
            f"Index {index} is outside the status list ({bitstring.length} entries).",
        )
    return bitstring.get(index)


def pick_free_index(
    is_taken: Callable[[int], bool],
    length: int = MINIMUM_LIST_LENGTH,
    *,
    attempts: int = 64,
) -> int:
    """A free index chosen at random, so that a position says nothing about when a badge
    was issued or how many were (§2.1 statusListIndex: "Implementations SHOULD assign
    indexes randomly").

    Random draws first; if all `attempts` land on taken indices, the list is nearly full and
    the rest is scanned from a random starting point, so a free index is always found when
    one exists. `is_taken` should therefore be cheap (a set of taken indices in memory).
    Raises StatusListError("status.list_full") when every index is taken: open a new list.
    """
    if isinstance(length, bool) or not isinstance(length, int) or length <= 0:
        raise ValueError(f"a status list length is a positive integer, not {length!r}")
    for _ in range(attempts):
        candidate = secrets.randbelow(length)
        if not is_taken(candidate):
            return candidate
    start = secrets.randbelow(length)
    for offset in range(length):
        candidate = (start + offset) % length
        if not is_taken(candidate):
            return candidate
    raise _error(
        "status.list_full",
        f"La liste de statut est pleine ({length} entrées) : il faut en ouvrir une nouvelle.",
        f"The status list is full ({length} entries): a new list must be opened.",
    )


# --- helpers -------------------------------------------------------------------------


def _check_purpose(purpose: str) -> None:
    if purpose not in STATUS_PURPOSES:
        raise _error(
            "status.unsupported_purpose",
            f"Motif de statut non pris en charge : {purpose!r} (revocation ou suspension).",
            f"Unsupported status purpose: {purpose!r} (revocation or suspension).",
        )


def _check_list_url(url: str) -> None:
    # §2.1: statusListCredential MUST be a URL; the entry id appends "#index" to it.
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise ValueError(f"a status list URL is an http(s) URL without fragment, not {url!r}")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment.astimezone(UTC)


def _xsd_datetime(moment: datetime) -> str:
    return _utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_xsd_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _has_type(node: Mapping[str, Any], expected: str) -> bool:
    declared = node.get("type")
    return declared == expected or (isinstance(declared, list) and expected in declared)


def _malformed_entry(detail_fr: str, detail_en: str) -> StatusListError:
    return _error(
        "status.malformed_entry",
        f"Entrée de statut invalide : {detail_fr}",
        f"Invalid status entry: {detail_en}",
    )


def _too_short(length: int) -> StatusListError:
    return _error(
        "status.list_too_short",
        f"La liste de statut n'a que {length} entrées ; il en faut au moins "
        f"{MINIMUM_LIST_LENGTH} pour protéger la vie privée des titulaires.",
        f"The status list has only {length} entries; at least {MINIMUM_LIST_LENGTH} are "
        "required for holders' group privacy.",
    )


def _status_list_subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    # VERIFICATION.md R14: accept exactly the shape we publish, VC 2.0 context only.
    context = credential.get("@context")
    if context not in (VC_V2_CONTEXT, [VC_V2_CONTEXT]):
        raise _malformed_list(
            "seul le contexte VC 2.0 est accepté.", "only the VC 2.0 context is accepted."
        )
    if not _has_type(credential, LIST_CREDENTIAL_TYPE):
        raise _malformed_list(
            "ce n'est pas une BitstringStatusListCredential.",
            "not a BitstringStatusListCredential.",
        )
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or not _has_type(subject, LIST_TYPE):
        raise _malformed_list(
            "credentialSubject n'est pas une BitstringStatusList.",
            "credentialSubject is not a BitstringStatusList.",
        )
    return subject


def _list_purposes(subject: Mapping[str, Any]) -> tuple[str, ...]:
    # §2.2: credentialSubject.statusPurpose is "one or more strings".
    declared = subject.get("statusPurpose")
    if isinstance(declared, str):
        return (declared,)
    if isinstance(declared, list) and all(isinstance(p, str) for p in declared):
        return tuple(declared)
    raise _malformed_list("statusPurpose manque.", "statusPurpose is missing.")


def _parse_index(value: object) -> int:
    # §2.1: "an arbitrary size integer greater than or equal to 0, expressed as a string in
    # base 10". A JSON number is refused: it is not what was signed as the spec says.
    if not isinstance(value, str) or not _BASE10_INDEX.fullmatch(value):
        raise _malformed_entry(
            f"statusListIndex doit être un entier en base 10 écrit en chaîne, pas {value!r}.",
            f"statusListIndex must be a base-10 integer written as a string, not {value!r}.",
        )
    if len(value.lstrip("0")) > _MAX_INDEX_DIGITS:
        raise _error(
            "status.index_out_of_range",
            "L'index de statut est hors de toute liste acceptée.",
            "The status index is outside any accepted list.",
        )
    return int(value)


def _check_validity_period(credential: Mapping[str, Any], now: datetime) -> None:
    moment = _utc(now)
    valid_from = credential.get("validFrom")
    valid_until = credential.get("validUntil")
    start = _parse_xsd_datetime(valid_from) if valid_from is not None else None
    end = _parse_xsd_datetime(valid_until) if valid_until is not None else None
    if (valid_from is not None and start is None) or (valid_until is not None and end is None):
        raise _malformed_list("dates de validité illisibles.", "unreadable validity dates.")
    if (start is not None and moment < start) or (end is not None and moment > end):
        raise _error(
            "status.list_not_valid_now",
            "La liste de statut n'est pas valide à cette date : elle doit être republiée.",
            "The status list is not valid at this time: it must be republished.",
        )
