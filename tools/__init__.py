"""Maintainers' tools: run, refresh and check the notebooks; start JupyterLab."""
