"""Checks for the notebooks' exercises: one module per notebook, one shared feedback helper.

    feedback.py            compare an answer with the expected one and say what is wrong
    forward_pass.py        notebook 01's exercises (and so on, named after the notebook)

A check never raises on a wrong answer: it returns a `Feedback` whose repr
tells the learner what is right or wrong, so "Run All" still reaches the end.
"""
