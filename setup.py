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

#: Installed package -> repository folder of what is data, not code: the example programs,
#: their numpy arrays and configurations, and the bring-your-own-flow cocotb example, so that
#: `panther demo` and `panther run` find them after `pip install` (docs/architecture.md).
DATA = {"panther.examples": "examples"}

#: Files of each data package (glob patterns relative to its folder).
PACKAGE_DATA = {
    "panther.examples": ["*.s", "paper/*.s", "paper/*/*.npz", "configs/*.json", "models/*.json",
                         "cocotb/*.py", "cocotb/Makefile", "cocotb/*.md"],
    "panther": ["schemas/*.json"],
    "panther.hdl.fpga": ["*.json"],
}

packages = []
for package, folder in FLOORS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]
packages += list(DATA)

setup(package_dir={**FLOORS, **DATA}, packages=packages, package_data=PACKAGE_DATA)
