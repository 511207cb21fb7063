"""mmkit: the helper package behind the notebooks.

One module per concept; each notebook imports from the module that teaches
its concept. Every notebook starts with::

    from mmkit import nb_setup
    nb_setup(seed=0)
"""

from importlib import metadata

from mmkit.notebook import check_environment, nb_setup

__version__ = metadata.version("mmkit")

__all__ = ["__version__", "check_environment", "nb_setup"]
