"""Who is asking (the client address behind trusted proxies) and how long a failing /admin login must wait."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta

from reuses.settings import LoginLimits, ProxySettings

UNKNOWN_CLIENT = "inconnue"  # no address (local connection, AppTest): every such client shares one key


def _address(value: str) -> str | None:
    """A normalised IPv4/IPv6 address (port and brackets removed), or None when `value` is not one."""
    text = value.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:51234
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(remote_ip: str | None, header_values: Sequence[str], proxy: ProxySettings) -> str:
    """The address the rate limits are keyed on.

    Without a configured header this is the socket's address (`st.context.ip_address`). With one, the header was
    set by our own reverse proxies, each appending the address it received the request from: as Django and
    Datasette advise, only the right-most entries can be trusted, so the client is the `proxy.count`-th entry
    from the right (the left-most ones are whatever the client chose to send). A missing or unreadable header
    falls back to the socket's address.
    """
    if proxy.header:
        entries = [e for value in header_values for e in value.split(",") if e.strip()]
        if len(entries) >= proxy.count:
            found = _address(entries[-proxy.count])
            if found:
                return found
    return _address(remote_ip or "") or UNKNOWN_CLIENT


def login_wait_s(address_failures: Sequence[datetime], global_failures: Sequence[datetime], now: datetime,
                 lim: LoginLimits) -> int:
    """Seconds before the next login attempt is allowed (0: now), from the failures inside the window.

    `address_failures` are this address's failure times, `global_failures` everyone's, both newest first.
    """
    wait = 0.0
    extra = len(address_failures) - lim.max_failures
    if extra >= 0:
        delay = min(lim.max_delay_s, lim.delay_s * 2 ** min(extra, 30))
        wait = (address_failures[0] + timedelta(seconds=delay) - now).total_seconds()
    if len(global_failures) >= lim.global_max_failures:
        # the ceiling lifts when the failure that reached it leaves the window
        oldest_counted = global_failures[lim.global_max_failures - 1]
        wait = max(wait, (oldest_counted + timedelta(seconds=lim.window_s) - now).total_seconds())
    return max(0, int(wait + 0.999))
