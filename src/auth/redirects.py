"""Where OAuth may send a browser back to: only URLs under an allow-listed prefix.

An entry is `scheme://host[:port][/path]`; without a port any port matches. URLs with
credentials (`http://good@evil/`) or another host never match, whatever their text prefix.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def allowed(url: str, allowlist: tuple[str, ...]) -> bool:
    try:
        target = urlsplit(url)
        port = target.port
    except ValueError:
        return False
    if target.scheme not in ("http", "https") or not target.hostname or target.username or target.password:
        return False
    for entry in allowlist:
        rule = urlsplit(entry)
        if rule.scheme != target.scheme or rule.hostname != target.hostname:
            continue
        if rule.port is not None and rule.port != port:
            continue
        if target.path.startswith(rule.path.rstrip("/")) or not rule.path:
            return True
    return False
