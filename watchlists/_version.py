"""The distribution version, as one literal.

``setup.cfg`` reads it (``version = attr: watchlists._version.__version__``; setuptools
parses this file without importing the package), and ``watchlists.__version__`` is this
string, so asking for the version needs no :mod:`importlib.metadata` at run time.
"""

__version__ = "0.1.0"
