"""Packages of the wheel: every top-level folder of the repository is a subpackage of the one
``panther`` namespace (``panther.hdl`` <- ``hdl/``, ...), so an install adds no generic
top-level module such as ``hdl`` or ``isa``. The metadata is in ``pyproject.toml``."""

from setuptools import find_namespace_packages, find_packages, setup

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
#: Each subfolder is a package of its own for setuptools (data only, no __init__.py).
DATA = {"panther.examples": "examples"}
#: The data files of every data package.
DATA_FILES = ["*.s", "*.json", "*.npy", "*.npz", "*.py", "*.md", "Makefile"]

packages = []
for package, folder in FLOORS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]
packages.append("panther.schemas")          # the JSON Schemas of the reports (data only)
package_data = {"panther.schemas": ["*.json"], "panther.hdl.fpga": ["*.json"]}
for package, folder in DATA.items():
    subs = [f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"])]
    packages += [package, *subs]
    package_data.update({name: DATA_FILES for name in [package, *subs]})

setup(package_dir={**FLOORS, **DATA}, packages=packages, package_data=package_data)
