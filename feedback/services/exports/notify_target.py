"""Where a user-entered export notification may point: a public http(s) host, or an e-mail address.

A manager types the webhook into the export form and the worker POSTs to it, so an address on this
machine or the shop's private network (127.0.0.1, 10.x, 169.254.169.254 …) would let the form probe
internal services. ``feedback.notify_allow_private_hosts = true`` allows them where an internal chat
robot really lives on the LAN.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _private(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return True  # not an address we understand: refuse
    return not addr.is_global or addr.is_multicast


def notify_target_problem(notify: str, allow_private_hosts: bool = False) -> str | None:
    """A message saying why ``notify`` cannot be used, or None when it can."""
    if _EMAIL.fullmatch(notify) and not notify.startswith(("http://", "https://")):
        return None
    if not notify.startswith(("https://", "http://")):
        return "通知地址应为 http(s) 网址或电子邮箱 (notify must be a URL or an e-mail address)"
    try:
        host = urlsplit(notify).hostname
    except ValueError:
        host = None
    if not host:
        return "通知网址缺少主机名 (the notify URL has no host)"
    if allow_private_hosts:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError, OSError):
        # not resolvable here (yet): only a literal or a local-only name is refused outright
        addresses = {host} if _is_literal(host) else set()
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            addresses.add("127.0.0.1")
    if any(_private(a) for a in addresses):
        return ("通知网址不能指向本机或内网地址 (the notify URL points to this machine or a private "
                "network; set feedback.notify_allow_private_hosts = true to allow it)")
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
