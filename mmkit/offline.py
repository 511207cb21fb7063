"""Keep a process offline: refuse every connection that would leave this machine.

The kit promises to run without a network: data ships in `data/`, models in
installed packages. The test run switches this guard on in every Python
process it starts (the pytest workers and each notebook's kernel), so code
that tries to download fails its test even on a machine that is online.

A refused attempt raises `NetworkAccessError` (an `OSError`, like a real
connection failure) *and* prints a line on stderr, because many libraries
catch connection errors and quietly fall back: the printed line still shows
up in the notebook's output, where strict nbval sees it.
"""

import ipaddress
import socket
import sys

MESSAGE = "mmkit offline guard: network access refused"

#: Every refused attempt, as "host:port" strings, in order.
attempts: list[str] = []

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_original: dict[str, object] = {}


class NetworkAccessError(ConnectionRefusedError):
    """Raised when code tries to reach a host other than this machine."""


def is_local(host: object) -> bool:
    """True for loopback names and addresses (127.0.0.0/8, ::1) and for None/"" hosts."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(host: object, port: object) -> None:
    target = f"{host}:{port}"
    attempts.append(target)
    print(f"{MESSAGE}: {target} (the kit must run offline)", file=sys.stderr)
    raise NetworkAccessError(f"{MESSAGE}: tried to reach {target}; the kit must run "
                             "offline, so ship what it needs in data/ or an installed package")


def _check_address(family: int, address: object) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets and the like never leave the machine
    host, port = address[0], address[1]
    if not is_local(host):
        _refuse(host, port)


def block_network() -> None:
    """Refuse connections to anything but loopback in this process. Idempotent."""
    if _original:
        return
    _original["connect"] = socket.socket.connect
    _original["connect_ex"] = socket.socket.connect_ex
    _original["sendto"] = socket.socket.sendto
    _original["getaddrinfo"] = socket.getaddrinfo

    def connect(self, address):
        _check_address(self.family, address)
        return _original["connect"](self, address)

    def connect_ex(self, address):
        _check_address(self.family, address)
        return _original["connect_ex"](self, address)

    def sendto(self, data, *args):
        _check_address(self.family, args[-1])
        return _original["sendto"](self, data, *args)

    def getaddrinfo(host, port, *args, **kwargs):
        if not is_local(host):
            _refuse(host, port)
        return _original["getaddrinfo"](host, port, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo


def allow_network() -> None:
    """Undo `block_network`."""
    if not _original:
        return
    socket.socket.connect = _original.pop("connect")
    socket.socket.connect_ex = _original.pop("connect_ex")
    socket.socket.sendto = _original.pop("sendto")
    socket.getaddrinfo = _original.pop("getaddrinfo")


def network_blocked() -> bool:
    """Whether `block_network` is in force in this process."""
    return bool(_original)
