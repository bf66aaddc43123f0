"""The shipped example programs, as package data of ``panther.examples``.

The folder holds no code: it is a package only so that an installed ``panther`` finds its
examples (``importlib.resources.files("panther.examples")``) wherever pip put them, and
``panther demo`` runs from any folder (see docs/architecture.md, "Packaging").
"""
