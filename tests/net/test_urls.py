"""The outbound-URL policy, one table: every caller (config validation, the ConnectWise
client, the LMPI source, the sandbox's listening address) asks this module."""

from __future__ import annotations

import pytest

from reconciler.net.urls import UrlRefused, check_url, is_loopback_host, url_problem

NAME = "connectwise.url"

# (url, normal form when allowed else None, part of the refusal message)
TABLE = [
    # https anywhere
    ("https://na.myconnectwise.net", "https://na.myconnectwise.net", None),
    ("https://na.myconnectwise.net/", "https://na.myconnectwise.net", None),
    ("https://cw.example.com:8443/sub/", "https://cw.example.com:8443/sub", None),
    ("HTTPS://CW.Example.COM", "https://cw.example.com", None),
    ("https://cw.example.com.", "https://cw.example.com.", None),
    ("https://10.0.0.1", "https://10.0.0.1", None),
    ("https://[2001:db8::1]:443", "https://[2001:db8::1]:443", None),
    ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example", None),
    # http only to loopback
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080", None),
    ("http://127.0.0.2:9", "http://127.0.0.2:9", None),
    ("http://127.255.255.254", "http://127.255.255.254", None),
    ("http://localhost", "http://localhost", None),
    ("http://LOCALHOST:80/", "http://localhost:80", None),
    ("HTTP://127.0.0.1", "http://127.0.0.1", None),
    ("http://[::1]:8080", "http://[::1]:8080", None),
    ("http://[0:0:0:0:0:0:0:1]", "http://[::1]", None),
    ("http://localhost.evil.example", None, "plain http:// to 'localhost.evil.example'"),
    ("http://localhost.", None, "plain http:// to 'localhost.'"),
    ("http://127.0.0.1.evil.example", None, "plain http:// to '127.0.0.1.evil.example'"),
    ("http://evil-localhost", None, "plain http:// to 'evil-localhost'"),
    ("http://na.myconnectwise.net", None, "plain http:// to 'na.myconnectwise.net'"),
    ("http://10.0.0.1", None, "plain http:// to '10.0.0.1'"),
    ("http://128.0.0.1", None, "plain http://"),
    ("http://0.0.0.0:8080", None, "plain http://"),
    ("http://[::]:8080", None, "plain http://"),
    ("http://[::ffff:127.0.0.1]", None, "plain http://"),
    ("http://[fe80::1%25lo]", None, "not an IPv6 address"),
    # numbers that are not dotted quads: ambiguous, refused whatever the scheme
    ("http://127.1", None, "numeric host that is not a dotted IPv4"),
    ("http://2130706433", None, "numeric host"),
    ("http://0x7f.0.0.1", None, "numeric host"),
    ("http://0177.0.0.1", None, "numeric host"),
    ("http://127.0.0.1.", None, "numeric host"),
    ("https://example.123", None, "numeric host"),
    ("http://[::1", None, "unclosed [IPv6]"),
    ("http://[::1]x", None, "text after its [IPv6] host"),
    ("http://[127.0.0.1]", None, "not an IPv6 address"),
    # userinfo: never allowed, never echoed
    ("https://admin:S3cr3t-pw@cw.example.com", None, "contains credentials"),
    ("http://S3cr3t-pw@127.0.0.1", None, "contains credentials"),
    ("http://127.0.0.1:80@evil.example", None, "contains credentials"),
    ("https://@cw.example.com", None, "contains credentials"),
    # ports: digits only, 1..65535; a secret in the port position is never echoed
    ("https://cw.example.com:S3cr3t-pw", None, "port that is not a number"),
    ("https://cw.example.com:S3cr3t-pw/v4_6_release", None, "port that is not a number"),
    ("http://127.0.0.1:0", None, "port that is not a number"),
    ("http://127.0.0.1:65536", None, "port that is not a number"),
    ("http://127.0.0.1:+80", None, "port that is not a number"),
    ("http://127.0.0.1:", None, "port that is not a number"),
    ("http://[::1]:S3cr3t-pw", None, "port that is not a number"),
    ("http://127.0.0.1:80:80", None, "port that is not a number"),
    # query, fragment and characters no URL should hold
    ("http://127.0.0.1#@evil.example", None, "query (?...) or fragment"),
    ("https://cw.example.com/?token=S3cr3t-pw", None, "query (?...) or fragment"),
    ("https://cw.example.com#frag", None, "query (?...) or fragment"),
    ("http://127.0.0.1\\@evil.example", None, "backslashes"),
    ("https://cw.example.com /x", None, "spaces"),
    (" https://cw.example.com", None, "spaces"),
    ("https://cw.example.com\n", None, "control characters"),
    ("https://bücher.example", None, "non-ASCII"),
    # not https
    ("ftp://cw.example.com", None, "must be https://<site> (http:// only to loopback)"),
    ("javascript://127.0.0.1", None, "must be https://<site> (http:// only to loopback)"),
    ("na.myconnectwise.net", None, "is not a URL"),
    ("https:/cw.example.com", None, "is not a URL"),
    ("", None, "is empty"),
    ("https://", None, "has no host"),
    ("https:///path", None, "has no host"),
    ("https://:443", None, "has no host"),
    ("https://-bad-.example", None, "not a valid host name"),
    ("https://a..b.example", None, "not a valid host name"),
    ("https://under_score.example", "https://under_score.example", None),
]


@pytest.mark.parametrize(("url", "normal", "message"), TABLE)
def test_outbound_url_policy(url: str, normal: str | None, message: str | None) -> None:
    problem = url_problem(url, NAME)
    if normal is not None:
        assert problem is None
        assert check_url(url, NAME) == normal
        assert check_url(normal, NAME) == normal  # the normal form is a fixed point
        return
    assert problem is not None and problem.startswith(NAME + " ")
    assert message in problem
    assert "S3cr3t" not in problem
    with pytest.raises(UrlRefused, match="^" + NAME):
        check_url(url, NAME)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.9.9.9", True), ("localhost", True), ("LocalHost", True),
     ("::1", True), ("[::1]", True), ("localhost.", False), ("127.1", False),
     ("::ffff:127.0.0.1", False), ("0.0.0.0", False), ("10.0.0.1", False), ("", False),
     ("localhost.evil.example", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
