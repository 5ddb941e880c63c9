"""The outbound-URL policy: which URLs the tool may send requests (and credentials) to.

One policy for every endpoint (ConnectWise site, Trend Micro sources, the sandbox's
listening address), so config validation and the clients can never disagree:
- `https://` to any host; plain `http://` only to loopback: 127.0.0.0/8, ::1, or the
  name `localhost` exactly (not `localhost.`, not `localhost.evil.example`);
- no user:password@ part (credentials come only from the environment);
- a port is 1 to 5 digits, 1..65535 (a secret pasted there is refused, never echoed);
- no query or fragment, no spaces, control characters, backslashes or non-ASCII;
- a host is a DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address. A host
  whose last label is a number but which is not a dotted quad (`127.1`, `0x7f.0.0.1`,
  `2130706433`, `127.0.0.1.`) is refused: resolvers read such names as IPv4 addresses
  in ways that differ between libraries, so its meaning is ambiguous.
Messages never repeat the URL, only the host once it is known to be a plain host name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from reconciler.errors import ReconcilerError

_SCHEME_AND_REST = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", re.DOTALL)
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")
_PORT = re.compile(r"^[0-9]{1,5}$")
LOOPBACK_NAME = "localhost"
SITE = "https://<site>"  # what an endpoint should look like, for messages
_IPV6_LOOPBACK = ipaddress.IPv6Address("::1")


class UrlRefused(ReconcilerError, ValueError):
    """A URL the outbound policy does not allow; the message never repeats the URL."""


@dataclass(frozen=True)
class Endpoint:
    """A URL the policy accepts, in normal form (lowercase scheme and host)."""

    scheme: str
    host: str  # IPv6 without brackets
    port: int | None
    path: str  # "" or starting with "/", without a trailing "/"

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}{self.path}"


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8 (dotted quad), ::1 (bracketed or not), or `localhost` exactly."""
    host = host.lower()
    if host == LOOPBACK_NAME:
        return True
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # Only ::1 for IPv6: not IPv4-mapped forms (::ffff:127.0.0.1), which some Python
    # versions call loopback and others do not.
    return address == _IPV6_LOOPBACK if address.version == 6 else address.is_loopback


def parse_url(url: str, name: str, *, expected: str = SITE) -> Endpoint:
    """The endpoint `url` names, or UrlRefused saying why. `name` says which setting;
    `expected` what it should look like (config adds its `sandbox` keyword)."""
    if not isinstance(url, str) or not url:
        raise UrlRefused(f"{name} is empty; expected {expected}")
    if any(ch.isspace() or not ch.isprintable() or not ch.isascii() or ch == "\\" for ch in url):
        raise UrlRefused(f"{name} contains spaces, control characters, backslashes or "
                         f"non-ASCII characters; expected {expected}")
    match = _SCHEME_AND_REST.match(url)
    if not match:
        raise UrlRefused(f"{name} is not a URL; expected {expected}")
    scheme, authority, rest = match.group(1).lower(), match.group(2), match.group(3)
    if scheme not in ("http", "https"):
        raise UrlRefused(f"{name} must be {expected} (http:// only to loopback)")
    if "@" in authority:
        raise UrlRefused(
            f"{name} contains credentials (user:password@host); remove them: credentials "
            "come only from the environment"
        )
    if "?" in rest or "#" in rest:
        raise UrlRefused(f"{name} must not have a query (?...) or fragment (#...)")
    host, port = _split_authority(authority, name, expected)
    endpoint = Endpoint(scheme, host, port, rest.rstrip("/"))
    if scheme == "http" and not endpoint.loopback:
        raise UrlRefused(
            f"{name} uses plain http:// to {_shown(host)}; use https:// (http:// only to "
            "loopback: 127.0.0.0/8, ::1 or localhost)"
        )
    return endpoint


def check_url(url: str, name: str, *, expected: str = SITE) -> str:
    """`url` in normal form if the policy allows it, else UrlRefused."""
    return str(parse_url(url, name, expected=expected))


def url_problem(url: str, name: str, *, expected: str = SITE) -> str | None:
    """Why the policy refuses `url`, or None when it is allowed."""
    try:
        parse_url(url, name, expected=expected)
    except UrlRefused as exc:
        return str(exc)
    return None


def _split_authority(authority: str, name: str, expected: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise UrlRefused(f"{name} has an unclosed [IPv6] host")
        host, after = _ipv6(authority[1:end], name), authority[end + 1 :]
        if after and not after.startswith(":"):
            raise UrlRefused(f"{name} has text after its [IPv6] host")
        port_text = after[1:] if after else None
    else:
        host, sep, port_text = authority.partition(":")
        port_text = port_text if sep else None
        host = _host_name(host.lower(), name, expected)
    return host, _port(port_text, name)


def _port(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not _PORT.match(text) or not 1 <= int(text) <= 65535:
        # What was written there may be a secret pasted in the wrong place: never shown.
        raise UrlRefused(f"{name} has a port that is not a number from 1 to 65535 "
                         "(the value is not shown)")
    return int(text)


def _ipv6(text: str, name: str) -> str:
    try:
        if "%" in text:  # a zone id names a local interface: never a site
            raise ValueError(text)
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise UrlRefused(f"{name} has a [host] that is not an IPv6 address") from None


def _host_name(host: str, name: str, expected: str) -> str:
    if not host:
        raise UrlRefused(f"{name} has no host; expected {expected}")
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]) or (labels[-1] == "" and len(labels) > 1
                                            and _NUMERIC_LABEL.match(labels[-2])):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise UrlRefused(f"{name} has a numeric host that is not a dotted IPv4 address "
                             "(a.b.c.d)") from None
    dns = labels[:-1] if labels[-1] == "" else labels  # one trailing dot: a rooted name
    if len(host) > 253 or not dns or not all(_LABEL.match(label) for label in dns):
        raise UrlRefused(f"{name} has a host that is not a valid host name")
    return host


def _shown(host: str) -> str:
    return repr(f"[{host}]" if ":" in host else host)
