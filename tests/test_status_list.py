"""Bitstring Status List v1.0: encoding, the official samples, hostile lists, entries,
list credentials and random index allocation."""

from __future__ import annotations

import base64
import copy
import gzip
import itertools
import json
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from issuer.errors import IssuerError
from issuer.openbadges.status_list import (
    MINIMUM_LIST_LENGTH,
    StatusBitstring,
    StatusListError,
    build_status_list_credential,
    pick_free_index,
    read_status_bit,
    status_list_entry,
)

SAMPLES = Path(__file__).parent / "fixtures" / "validator" / "bit-string-list"
LIST_URL = "https://badges.ville-roubaix.fr/status/revocation/1"
ISSUER = "did:web:badges.ville-roubaix.fr"
# Example 3 of the spec (§2.2): a list of 131,072 bits, none set.
SPEC_EXAMPLE_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def load_sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def set_bits(bitstring: StatusBitstring) -> list[int]:
    return [i for i in range(bitstring.length) if bitstring.get(i)]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def revocation_list(*revoked: int, purpose: str = "revocation") -> dict:
    bitstring = StatusBitstring()
    for index in revoked:
        bitstring.set(index, True)
    return build_status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose=purpose,  # type: ignore[arg-type]
        bitstring=bitstring,
        valid_from=datetime(2025, 7, 11, 9, 0, tzinfo=UTC),
    )


# --- the bitstring and its encoding ---------------------------------------------------


def test_default_list_has_the_minimum_length_and_no_bit_set():
    bitstring = StatusBitstring()
    assert bitstring.length == MINIMUM_LIST_LENGTH == 131_072
    assert bitstring.to_bytes() == bytes(16 * 1024)


def test_encode_decode_round_trip_keeps_exactly_the_set_bits():
    bitstring = StatusBitstring()
    for index in (0, 7, 8, 23, 94_567, 131_071):
        bitstring.set(index, True)
    bitstring.set(8, False)

    decoded = StatusBitstring.decode(bitstring.encode())

    assert decoded.length == 131_072
    assert set_bits(decoded) == [0, 7, 23, 94_567, 131_071]
    assert decoded.to_bytes() == bitstring.to_bytes()


def test_encoded_list_is_multibase_base64url_without_padding_of_gzip():
    bitstring = StatusBitstring()
    bitstring.set(23, True)
    encoded = bitstring.encode()

    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert raw[:2] == b"\x1f\x8b"  # GZIP magic (RFC 1952)
    assert gzip.decompress(raw) == bitstring.to_bytes()
    assert len(encoded) < 200  # a mostly empty 16 KB list compresses to a few dozen bytes


def test_same_bits_always_encode_to_the_same_string():
    first, second = StatusBitstring(), StatusBitstring()
    first.set(42, True)
    second.set(42, True)
    assert first.encode() == second.encode()


def test_index_zero_is_the_left_most_bit_of_the_first_byte():
    bitstring = StatusBitstring(length=16)
    bitstring.set(0, True)
    assert bitstring.to_bytes() == b"\x80\x00"
    bitstring.set(7, True)
    assert bitstring.to_bytes() == b"\x81\x00"
    bitstring.set(8, True)
    assert bitstring.to_bytes() == b"\x81\x80"
    bitstring.set(15, True)
    assert bitstring.to_bytes() == b"\x81\x81"


def test_bits_given_as_bytes_are_read_in_spec_order():
    bitstring = StatusBitstring(bits=b"\x00\x00\x10")
    assert bitstring.length == 24
    assert set_bits(bitstring) == [19]


@pytest.mark.parametrize("index", [-1, 131_072, True, "3"])
def test_index_outside_the_list_is_refused(index):
    with pytest.raises(StatusListError) as caught:
        StatusBitstring().get(index)
    assert caught.value.code == "status.index_out_of_range"


def test_official_sample_list_has_exactly_bit_23_set():
    testlist = load_sample("testlist.json")

    decoded = StatusBitstring.decode(testlist["credentialSubject"]["encodedList"])

    assert decoded.length == 131_072
    assert set_bits(decoded) == [23]


def test_spec_example_list_decodes_to_an_empty_list_of_minimum_length():
    decoded = StatusBitstring.decode(SPEC_EXAMPLE_LIST)
    assert decoded.length == MINIMUM_LIST_LENGTH
    assert not any(decoded.to_bytes())


def test_list_without_multibase_prefix_is_still_read():
    # StatusList2021 lists carried bare base64url.
    bitstring = StatusBitstring()
    bitstring.set(5, True)
    assert set_bits(StatusBitstring.decode(bitstring.encode()[1:])) == [5]


# --- hostile or broken lists ----------------------------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> str:
    """200 MB of zeros, GZIP-compressed to about 200 KB, built without holding 200 MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(200)]
    parts.append(compressor.flush())
    return "u" + b64url(b"".join(parts))


def test_gzip_bomb_is_refused_without_inflating_it(gzip_bomb):
    # The work done is measured by memory, not by the clock of a possibly busy machine.
    tracemalloc.start()
    try:
        with pytest.raises(StatusListError) as caught:
            StatusBitstring.decode(gzip_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.code == "status.list_too_large"
    assert peak < 5 * 1024 * 1024  # the bomb is 200 MB inflated; we hold at most ~256 KB of it


def test_gzip_bomb_split_across_members_is_refused_too():
    member = gzip.compress(bytes(200 * 1024), mtime=0)
    with pytest.raises(StatusListError) as caught:
        StatusBitstring.decode("u" + b64url(member * 2))
    assert caught.value.code == "status.list_too_large"


def test_list_of_exactly_the_maximum_length_is_accepted():
    bitstring = StatusBitstring(length=2 * MINIMUM_LIST_LENGTH)
    decoded = StatusBitstring.decode(bitstring.encode(), max_length=2 * MINIMUM_LIST_LENGTH)
    assert decoded.length == 2 * MINIMUM_LIST_LENGTH


def test_list_one_byte_over_the_maximum_is_refused():
    bitstring = StatusBitstring(length=MINIMUM_LIST_LENGTH + 8)
    with pytest.raises(StatusListError) as caught:
        StatusBitstring.decode(bitstring.encode(), max_length=MINIMUM_LIST_LENGTH)
    assert caught.value.code == "status.list_too_large"


@pytest.mark.parametrize(
    "encoded_list",
    [
        "u!!!not-base64!!!",
        "uH4sI AAAA",  # whitespace
        "uH4sIAAAAAAAAA+3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",  # standard b64
        SPEC_EXAMPLE_LIST + "==",  # padding
        "uA",  # impossible base64 length
        "u",
        "",
        "u" + b64url(b"hello, this is not gzip"),
        "u" + b64url(zlib.compress(bytes(16 * 1024))),  # zlib, not GZIP
        "u" + b64url(gzip.compress(bytes(16 * 1024), mtime=0)[:-12]),  # truncated
        "u" + b64url(gzip.compress(bytes(16 * 1024), mtime=0) + b"junk"),  # trailing junk
        "u" + b64url(gzip.compress(b"", mtime=0)),  # empty list
    ],
)
def test_garbage_encoded_list_is_refused_as_malformed(encoded_list):
    with pytest.raises(StatusListError) as caught:
        StatusBitstring.decode(encoded_list)
    assert caught.value.code == "status.malformed_list"


def test_status_list_error_is_an_issuer_error_with_both_languages():
    with pytest.raises(IssuerError) as caught:
        StatusBitstring.decode("u!!!")
    assert caught.value.message("fr").startswith("Liste de statut illisible")
    assert caught.value.message("en").startswith("Unreadable status list")


# --- entries and list credentials -----------------------------------------------------


def test_status_entry_has_the_spec_shape_with_index_as_a_string():
    assert status_list_entry(LIST_URL, 94_567, "revocation") == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


@pytest.mark.parametrize(
    ("url", "index", "purpose"),
    [
        (LIST_URL, -1, "revocation"),
        (LIST_URL, True, "revocation"),
        (LIST_URL + "#list", 1, "revocation"),
        ("status/1", 1, "revocation"),
    ],
)
def test_invalid_status_entry_arguments_are_refused(url, index, purpose):
    with pytest.raises(ValueError, match=r"a status list (index|URL)"):
        status_list_entry(url, index, purpose)


def test_unknown_status_purpose_is_refused():
    with pytest.raises(StatusListError) as caught:
        status_list_entry(LIST_URL, 1, "message")  # type: ignore[arg-type]
    assert caught.value.code == "status.unsupported_purpose"


def test_status_list_credential_has_the_spec_shape():
    bitstring = StatusBitstring()
    bitstring.set(3, True)
    paris = timezone(timedelta(hours=2))

    credential = build_status_list_credential(
        url=LIST_URL,
        issuer={"id": ISSUER, "type": ["Profile"], "name": "Ville de Roubaix"},
        purpose="suspension",
        bitstring=bitstring,
        valid_from=datetime(2025, 7, 11, 11, 30, 15, 123456, tzinfo=paris),
        valid_until=datetime(2025, 7, 12, 11, 30, tzinfo=paris),
        name="Liste de suspension des badges de la Ville de Roubaix",
        ttl=timedelta(hours=1),
    )

    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Ville de Roubaix"},
        "name": "Liste de suspension des badges de la Ville de Roubaix",
        "validFrom": "2025-07-11T09:30:15Z",
        "validUntil": "2025-07-12T09:30:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": bitstring.encode(),
            "ttl": 3_600_000,
        },
    }
    assert "proof" not in credential


def test_status_list_credential_refuses_a_list_shorter_than_the_minimum():
    with pytest.raises(StatusListError) as caught:
        build_status_list_credential(
            url=LIST_URL,
            issuer=ISSUER,
            purpose="revocation",
            bitstring=StatusBitstring(length=1024),
            valid_from=datetime(2025, 7, 11, tzinfo=UTC),
        )
    assert caught.value.code == "status.list_too_short"


def test_status_list_credential_refuses_naive_dates():
    with pytest.raises(ValueError, match="timezone-aware"):
        build_status_list_credential(
            url=LIST_URL,
            issuer=ISSUER,
            purpose="revocation",
            bitstring=StatusBitstring(),
            valid_from=datetime(2025, 7, 11),  # noqa: DTZ001 - the naive date refused
        )


# --- reading a status -----------------------------------------------------------------


def test_official_sample_entry_points_to_another_url_than_the_sample_list_and_is_refused():
    # What the 1EdTech samples hold: the credential's entry names
    # https://raw.githubusercontent.com/.../bit-string-list/testlist while testlist.json has
    # id https://example.com/credentials/status/3; reading one against the other would
    # trust a list the credential never named.
    testlist = load_sample("testlist.json")
    entry = load_sample("credential-status-revoked.json")["credentialStatus"]
    assert entry["statusListCredential"] != testlist["id"]

    with pytest.raises(StatusListError) as caught:
        read_status_bit(testlist, entry)
    assert caught.value.code == "status.list_mismatch"


def test_official_sample_entry_bound_to_the_sample_list_reads_revoked():
    testlist = load_sample("testlist.json")
    entry = dict(load_sample("credential-status-revoked.json")["credentialStatus"])
    entry["statusListCredential"] = testlist["id"]
    entry["statusListIndex"] = "23"  # the sample writes the number 23; the spec wants "23"

    assert read_status_bit(testlist, entry) is True
    assert read_status_bit(testlist, {**entry, "statusListIndex": "22"}) is False


def test_index_written_as_a_json_number_is_refused():
    # The official sample writes "statusListIndex": 23; §2.1 requires a base-10 string.
    testlist = load_sample("testlist.json")
    entry = dict(load_sample("credential-status-revoked.json")["credentialStatus"])
    entry["statusListCredential"] = testlist["id"]
    assert entry["statusListIndex"] == 23

    with pytest.raises(StatusListError) as caught:
        read_status_bit(testlist, entry)
    assert caught.value.code == "status.malformed_entry"


def test_revoked_badge_reads_revoked_and_others_do_not():
    status_list = revocation_list(12_345)
    assert read_status_bit(status_list, status_list_entry(LIST_URL, 12_345, "revocation"))
    assert not read_status_bit(status_list, status_list_entry(LIST_URL, 12_346, "revocation"))


def test_suspension_entry_against_a_revocation_list_is_refused():
    status_list = revocation_list(7)
    with pytest.raises(StatusListError) as caught:
        read_status_bit(status_list, status_list_entry(LIST_URL, 7, "suspension"))
    assert caught.value.code == "status.purpose_mismatch"


def test_list_carrying_several_purposes_serves_each_of_them():
    status_list = revocation_list(7)
    status_list["credentialSubject"]["statusPurpose"] = ["revocation", "suspension"]
    assert read_status_bit(status_list, status_list_entry(LIST_URL, 7, "suspension"))


@pytest.mark.parametrize(
    ("index", "code"),
    [
        ("131072", "status.index_out_of_range"),
        ("9" * 400, "status.index_out_of_range"),
        ("-1", "status.malformed_entry"),
        ("0x17", "status.malformed_entry"),
        ("٢٣", "status.malformed_entry"),  # Arabic-Indic digits: not base-10 ASCII
        ("", "status.malformed_entry"),
        (None, "status.malformed_entry"),
    ],
)
def test_bad_status_list_index_is_refused(index, code):
    entry = {**status_list_entry(LIST_URL, 0, "revocation"), "statusListIndex": index}
    with pytest.raises(StatusListError) as caught:
        read_status_bit(revocation_list(), entry)
    assert caught.value.code == code


def test_last_index_of_the_list_is_readable():
    status_list = revocation_list(131_071)
    assert read_status_bit(status_list, status_list_entry(LIST_URL, 131_071, "revocation"))


def test_list_shorter_than_the_minimum_is_refused_when_read():
    status_list = revocation_list()
    status_list["credentialSubject"]["encodedList"] = StatusBitstring(length=1024).encode()
    with pytest.raises(StatusListError) as caught:
        read_status_bit(status_list, status_list_entry(LIST_URL, 1, "revocation"))
    assert caught.value.code == "status.list_too_short"


def test_other_entry_types_and_multi_bit_entries_are_refused():
    status_list = revocation_list()
    entry = status_list_entry(LIST_URL, 1, "revocation")
    for changed in ({"type": "1EdTechRevocationList"}, {"statusSize": 2}):
        with pytest.raises(StatusListError) as caught:
            read_status_bit(status_list, {**entry, **changed})
        assert caught.value.code == "status.unsupported_entry"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c.update({"@context": ["https://www.w3.org/2018/credentials/v1"]}),
        lambda c: c.update({"type": ["VerifiableCredential"]}),
        lambda c: c["credentialSubject"].update({"type": "StatusList2021"}),
        lambda c: c["credentialSubject"].pop("encodedList"),
        lambda c: c.update({"credentialSubject": [c["credentialSubject"]]}),
    ],
)
def test_status_list_credential_of_another_shape_is_refused(tamper):
    status_list = copy.deepcopy(revocation_list(1))
    tamper(status_list)
    with pytest.raises(StatusListError) as caught:
        read_status_bit(status_list, status_list_entry(LIST_URL, 1, "revocation"))
    assert caught.value.code == "status.malformed_list"


def test_list_outside_its_validity_period_is_refused_when_a_date_is_given():
    status_list = revocation_list()
    status_list["validUntil"] = "2025-07-12T09:00:00Z"
    entry = status_list_entry(LIST_URL, 1, "revocation")

    inside = datetime(2025, 7, 11, 12, 0, tzinfo=UTC)
    assert read_status_bit(status_list, entry, now=inside) is False
    too_early = datetime(2025, 7, 10, tzinfo=UTC)
    too_late = datetime(2025, 7, 13, tzinfo=UTC)
    for outside in (too_early, too_late):
        with pytest.raises(StatusListError) as caught:
            read_status_bit(status_list, entry, now=outside)
        assert caught.value.code == "status.list_not_valid_now"


# --- index allocation -----------------------------------------------------------------


def test_picked_index_is_never_a_taken_one():
    def is_taken(index: int) -> bool:
        return index % 2 == 0

    picks = [pick_free_index(is_taken) for _ in range(1_000)]
    assert all(index % 2 == 1 for index in picks)
    assert all(0 <= index < MINIMUM_LIST_LENGTH for index in picks)


def test_picked_indices_are_spread_over_the_list_not_sequential():
    taken: set[int] = set()
    picks = []
    for _ in range(1_000):
        index = pick_free_index(taken.__contains__)
        taken.add(index)
        picks.append(index)

    assert len(set(picks)) == 1_000
    assert picks != sorted(picks)
    steps = [b - a for a, b in itertools.pairwise(picks)]
    assert sum(1 for step in steps if abs(step) == 1) < 10
    # Spread: every eighth of the list receives some of the 1,000 picks.
    assert {index * 8 // MINIMUM_LIST_LENGTH for index in picks} == set(range(8))


def test_last_free_index_of_a_nearly_full_list_is_found():
    assert pick_free_index(lambda index: index != 5, length=16) == 5


def test_full_list_raises_list_full():
    with pytest.raises(StatusListError) as caught:
        pick_free_index(lambda index: True, length=16)
    assert caught.value.code == "status.list_full"
