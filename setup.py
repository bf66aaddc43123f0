"""Packages of the wheel: every top-level folder of the repository is a subpackage of the one
``panther`` namespace (``panther.hdl`` <- ``hdl/``, ...), so an install adds no generic
top-level module such as ``hdl`` or ``isa``. The metadata is in ``pyproject.toml``."""

from setuptools import find_packages, setup

#: Installed package -> repository folder, bottom floor first (docs/architecture.md).
FLOORS = {
    "panther": "panther",
    "panther.analog_models": "analog_models",
    "panther.isa": "isa",
    "panther.hdl": "hdl",
    "panther.cosim": "cosim",
    "panther.compiler": "compiler",
    "panther.apps": "apps",
}

packages = []
for package, folder in FLOORS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]

setup(package_dir=FLOORS, packages=packages)
