"""The plain functions behind each notebook's pictures and widgets, one module per notebook.

A widget only moves sliders and calls one of these functions, which also run
(and are tested) without it. The concepts themselves live elsewhere
(`mmkit.scratch`, ...); these modules only show them.
"""
