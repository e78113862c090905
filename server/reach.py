"""Can the phones in the room reach the join link? (issue 14, item 11)

On a laptop started without ``PUBLIC_URL`` the links are built from the address the facilitator's browser used,
usually ``http://127.0.0.1:8000``: a loopback address, which on a phone means the phone itself. The created page,
the console and ``thrive-workshop serve`` say so, and offer the laptop's own network addresses when they can be
found safely:

- ``is_loopback_host`` / ``is_loopback_url`` are pure: 127.0.0.0/8, ::1 (also IPv4-mapped), ``localhost`` and
  any ``*.localhost`` name;
- ``lan_addresses`` asks the operating system only, at once (no packet is sent, no name server is asked, so it
  cannot block a request): the address of the interface the default route would use, from a UDP socket
  "connected" to a documentation address, which sends nothing. Only private or shared (RFC 1918, RFC 6598,
  IPv6 ULA) unicast addresses are kept: a public address is left for ``PUBLIC_URL``. Any failure gives ``[]``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

# TEST-NET-1 and the IPv6 documentation prefix: never routed, and connect() on UDP sends nothing.
_PROBES = (("192.0.2.1", socket.AF_INET), ("2001:db8::1", socket.AF_INET6))


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) means "this machine"."""
    name = (host or "").strip().strip("[]").rstrip(".").lower()
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:  # the short IPv4 forms a browser also accepts: 127.1, 2130706433, 0x7f.1
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except (OSError, ValueError):
            return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped and mapped.is_loopback))


def is_loopback_url(url: str | None) -> bool:
    """Whether a link's host is a loopback address (phones opening it would be talking to themselves)."""
    try:
        return is_loopback_host(urlsplit(url or "").hostname)
    except ValueError:
        return False


def _usable(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.is_loopback or address.is_link_local or address.is_multicast or address.is_unspecified:
        return None
    shared = isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10")
    return str(address) if (address.is_private or shared) else None


def lan_addresses() -> list[str]:
    """This machine's addresses on the local network, IPv4 first; ``[]`` when none can be found."""
    found: list[str] = []
    for probe, family in _PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                found.append(sock.getsockname()[0])
        except OSError:
            continue
    kept: list[str] = []
    for text in found:
        address = _usable(str(text))
        if address and address not in kept:
            kept.append(address)
    return sorted(kept, key=lambda a: (":" in a, a))


def lan_origins(addresses: list[str], scheme: str, port: int | None) -> list[str]:
    """``http://192.168.1.20:8000`` for each address (IPv6 in brackets), the port left out when default."""
    default = {"http": 80, "https": 443}.get(scheme)
    suffix = f":{port}" if port and port != default else ""
    return [f"{scheme}://{f'[{a}]' if ':' in a else a}{suffix}" for a in addresses]
