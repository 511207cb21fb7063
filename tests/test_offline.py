"""The offline guard refuses anything but loopback, loudly, in tests and kernels."""

import socket
import threading
import urllib.request

import pytest

from mmkit import offline


@pytest.fixture
def allowed_attempts():
    """Let a test make refused attempts on purpose without failing the run's guard."""
    before = len(offline.attempts)
    yield
    del offline.attempts[before:]


def test_the_test_run_is_guarded():
    assert offline.network_blocked()


@pytest.mark.parametrize("host", ["example.com", "huggingface.co", "10.0.0.1", "8.8.8.8",
                                  "2001:4860:4860::8888"])
def test_outside_hosts_are_refused_and_reported(host, capsys, allowed_attempts):
    with pytest.raises(offline.NetworkAccessError, match="must run offline"):
        socket.create_connection((host, 443), timeout=1)
    assert offline.attempts[-1] == f"{host}:443"
    assert offline.MESSAGE in capsys.readouterr().err


def test_a_download_through_urllib_is_refused(allowed_attempts):
    with pytest.raises(OSError, match="network access refused"):
        urllib.request.urlopen("http://example.com/data.csv", timeout=1)


def test_a_raw_ip_connection_is_refused(allowed_attempts):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(offline.NetworkAccessError):
            sock.connect(("93.184.216.34", 80))
        with pytest.raises(offline.NetworkAccessError):
            sock.connect_ex(("93.184.216.34", 80))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(offline.NetworkAccessError):
            sock.sendto(b"x", ("8.8.8.8", 53))


def test_loopback_still_works():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        thread = threading.Thread(target=lambda: server.accept()[0].sendall(b"hi"))
        thread.start()
        with socket.create_connection(("localhost", port), timeout=5) as client:
            assert client.recv(2) == b"hi"
        thread.join()


@pytest.mark.parametrize("host, local", [("127.0.0.1", True), ("127.8.9.1", True),
                                         ("::1", True), ("[::1]", True), ("localhost", True),
                                         (None, True), ("192.168.1.1", False),
                                         ("localhost.evil.com", False), (b"127.0.0.1", True)])
def test_is_local(host, local):
    assert offline.is_local(host) is local


def test_allow_and_block_are_reversible():
    offline.allow_network()
    try:
        assert not offline.network_blocked()
        assert socket.getaddrinfo.__module__ == "socket"
    finally:
        offline.block_network()
    assert offline.network_blocked()
