"""Loaded at start-up by every Python process of a test run.

The Makefile puts this folder on PYTHONPATH for `make test`, `make refresh`
and `make bench`, so the pytest workers and every notebook kernel refuse
connections that would leave the machine (see mmkit/offline.py).
"""

from mmkit.offline import block_network

block_network()
