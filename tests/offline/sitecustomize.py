"""Tests send traffic to loopback only: in the test process and in every Python process it
starts (the tests put this folder on PYTHONPATH, so each loads this file first), a name lookup
or a connection to any other host is refused and written to $NEWSWIRE_TEST_REFUSED (each test
process sets its own), and the test fails (tests/conftest.py). The registries a fresh machine
provisions from ($NEWSWIRE_TEST_REGISTRIES: Maven, pip's index) are allowed. Inside a test's
own network namespace ($NEWSWIRE_NETNS_PUBLIC) nothing can leave, and its cases need a global
address on `lo`, so the guard stays off there."""

import ipaddress
import os
import socket
import sys

_REGISTRIES = {*os.environ.get("NEWSWIRE_TEST_REGISTRIES", "").split(",")} - {""}
_registry_addresses: set[str] = set()  # what the registries' names were looked up as
_getaddrinfo = socket.getaddrinfo


def _text(host: object) -> str:
    return host.decode() if isinstance(host, bytes) else str(host)


def _allowed(host: str) -> bool:
    """Whether `host` (a name or an address) is this machine or a registry."""
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return host.lower() in {"localhost", *_REGISTRIES}
    return address.is_loopback or address.is_unspecified or host in _registry_addresses


def _looking_up(host: object, *args: object, **kwargs: object) -> list:
    """socket.getaddrinfo, remembering a registry's addresses so they may be connected to."""
    infos = _getaddrinfo(host, *args, **kwargs)
    if host is not None and _text(host).lower() in _REGISTRIES:
        _registry_addresses.update(str(info[4][0]) for info in infos)
    return infos


def _guard(event: str, args: tuple) -> None:
    """The audit hook: refuse and record a lookup or a connection off this machine."""
    if event == "socket.getaddrinfo" and args[0] is not None:
        host, refusal = _text(args[0]), socket.gaierror
    elif event == "socket.connect" and isinstance(args[1], tuple):
        host, refusal = _text(args[1][0]), ConnectionRefusedError
    else:
        return
    if not _allowed(host):
        with open(os.environ["NEWSWIRE_TEST_REFUSED"], "a") as log:
            log.write(f"{event} {host} (pid {os.getpid()})\n")
        raise refusal(f"refused by the tests: {host} is not loopback")


if "NEWSWIRE_TEST_REFUSED" in os.environ and not os.environ.get("NEWSWIRE_NETNS_PUBLIC"):
    socket.getaddrinfo = _looking_up
    sys.addaudithook(_guard)
