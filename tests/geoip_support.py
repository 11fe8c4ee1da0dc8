"""A small MaxMind DB (.mmdb) file written by the tests, read by the real ``maxminddb`` reader.

The format (https://maxmind.github.io/MaxMind-DB/): a binary search tree over the address bits
(24-bit records here), 16 zero bytes, a data section of typed values, then a metadata map after
the marker ``\\xab\\xcd\\xefMaxMind.com``. The tree is IPv6; IPv4 networks sit under ::/96, where
readers look IPv4 addresses up. Only what a country database needs is written.
"""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

_STRING, _UINT16, _UINT32, _MAP = 2, 5, 6, 7
_UINT64, _ARRAY = 9, 11


def _control(kind: int, size: int) -> bytes:
    if size < 29:
        size_bits, extra = size, b""
    elif size < 285:
        size_bits, extra = 29, bytes([size - 29])
    else:
        raise ValueError("too large for this small writer")
    if kind <= 7:
        return bytes([(kind << 5) | size_bits]) + extra
    return bytes([size_bits, kind - 7]) + extra


def _unsigned(kind: int, value: int) -> bytes:
    payload = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return _control(kind, len(payload)) + payload


def encode(value) -> bytes:
    """One value in the MMDB data format (strings, maps, lists and unsigned integers)."""
    if isinstance(value, str):
        raw = value.encode()
        return _control(_STRING, len(raw)) + raw
    if isinstance(value, dict):
        return _control(_MAP, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _control(_ARRAY, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, tuple):  # (kind, number): an integer of a chosen width
        return _unsigned(*value)
    raise TypeError(type(value))


def _bits(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[int]:
    if network.version == 4:
        address, length = int(network.network_address), 96 + network.prefixlen
        value = address  # ::a.b.c.d
    else:
        value, length = int(network.network_address), network.prefixlen
    return [(value >> (127 - i)) & 1 for i in range(length)]


def write_country_database(path: Path, countries: dict[str, str]) -> Path:
    """Write ``{"203.0.113.0/24": "IQ", ...}`` as a GeoLite2-Country-like database at ``path``."""
    nodes: list[list] = [[None, None]]  # each side: ("node", index) | ("data", offset) | None
    data = b""
    offsets: dict[str, int] = {}
    for cidr, country in countries.items():
        if country not in offsets:
            offsets[country] = len(data)
            data += encode({"country": {"iso_code": country}})
        bits = _bits(ipaddress.ip_network(cidr))
        node = 0
        for depth, bit in enumerate(bits):
            if depth == len(bits) - 1:
                nodes[node][bit] = ("data", offsets[country])
                break
            child = nodes[node][bit]
            if child is None or child[0] != "node":
                nodes.append([None, None])
                nodes[node][bit] = ("node", len(nodes) - 1)
            node = nodes[node][bit][1]

    node_count = len(nodes)

    def record(side) -> int:
        if side is None:
            return node_count
        kind, number = side
        return number if kind == "node" else node_count + 16 + number

    tree = b"".join(
        struct.pack(">I", record(left))[1:] + struct.pack(">I", record(right))[1:] for left, right in nodes
    )
    metadata = encode(
        {
            "node_count": (_UINT32, node_count),
            "record_size": (_UINT16, 24),
            "ip_version": (_UINT16, 6),
            "database_type": "Tadamun-Test-Country",
            "languages": ["en"],
            "binary_format_major_version": (_UINT16, 2),
            "binary_format_minor_version": (_UINT16, 0),
            "build_epoch": (_UINT64, 1_700_000_000),
            "description": {"en": "Countries for the tests"},
        }
    )
    path.write_bytes(tree + b"\x00" * 16 + data + b"\xab\xcd\xefMaxMind.com" + metadata)
    return path
