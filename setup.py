"""The optional C extension; everything else is in pyproject.toml.

``stance._score`` computes the default model's inference features (name mask, word and cue-tag
n-grams) and per-term sums (used by ``stance.predict._Compiled``). ``optional=True``: without a C
compiler the install goes on and the same features and sums run in Python. (It lives here rather
than in pyproject.toml's ``[tool.setuptools] ext-modules``, which setuptools calls experimental
and warns about on every build.)
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("stance._score", sources=["src/stance/_score.c"], optional=True)])
