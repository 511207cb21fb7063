"""Benchmarks whose results are committed under benchmarks/results/.

    python -m benchmarks notebooks [NOTEBOOK ...]    (make bench)

Speed and memory targets are measured here and quoted from the committed
tables, never asserted by timed tests: test machines are too noisy for that.
"""
