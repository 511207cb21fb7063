"""mmkit: the helper package behind the notebooks.

One module per concept; each notebook imports from the module that teaches
its concept. Every notebook starts with::

    from mmkit import nb_setup
    nb_setup(seed=0)
"""

__version__ = "0.1.0"

from mmkit.notebook import check_environment, nb_setup

__all__ = ["__version__", "check_environment", "nb_setup"]
