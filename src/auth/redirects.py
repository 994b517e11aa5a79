"""Where OAuth may send a browser back to: only URLs under an allow-listed prefix.

An entry is `scheme://host[:port][/path]`; without a port any port matches, and a path matches
itself and what lies below it (`/app` allows `/app` and `/app/x`, not `/application`).

A target must be plain before it is compared: printable ASCII (no IDN, no tabs or newlines that
parsers drop), no backslashes, no percent-escapes or `@` in the authority (userinfo, even
empty), a host of letters, digits, dots and dashes not ending in a dot, an ASCII port, and a
path (if any) right after the authority without `..` segments. Anything a browser could read
differently from us is refused, not interpreted.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_PLAIN = re.compile(
    r"^(?P<scheme>https?)://(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(?P<port>[0-9]{1,5}))?(?P<rest>[/?#].*)?$",
    re.IGNORECASE,
)


def _path_under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def allowed(url: str, allowlist: tuple[str, ...]) -> bool:
    if not url.isascii() or not url.isprintable() or any(c in url for c in "\\ \t\r\n"):
        return False
    plain = _PLAIN.match(url)
    if plain is None:
        return False
    rest = plain["rest"] or ""
    if rest and rest[0] != "/":  # `http://good?@evil`: only a path may follow the authority
        return False
    target = urlsplit(url)
    port = int(plain["port"]) if plain["port"] else None
    if port is not None and not 0 < port < 65536:
        return False
    if ".." in unquote(target.path).split("/"):
        return False
    scheme, host = plain["scheme"].lower(), plain["host"].lower()
    for entry in allowlist:
        rule = urlsplit(entry)
        if rule.scheme != scheme or rule.hostname != host:
            continue
        if rule.port is not None and rule.port != port:
            continue
        if _path_under(target.path, rule.path):
            return True
    return False
