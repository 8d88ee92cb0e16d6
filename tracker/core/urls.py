"""Redirect targets that come from the client."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a redirect target (no scheme, host, `//`, `\\`, nor a
    line break or other character that is not printable: it could split the Location header)."""
    if not target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
