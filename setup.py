"""Build hook: the shipped models and assets sit at the top of the repository (``models/``,
``assets/``) and travel inside the package as ``vbg/_data/models`` and ``vbg/_data/assets``,
where ``vbg.resources`` finds them in a wheel.

Everything else is in pyproject.toml. This file does the two things its tables can't:
add the two data-only packages to the discovered ``vbg`` packages (a ``find`` directive takes
no extra names) with their folders, and keep their Python files out of the wheel
(``models/convert_mediapipe.py`` makes the MediaPipe models; it ships nowhere). Which files of
the two folders ship is ``[tool.setuptools.package-data]``.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DATA_PACKAGES = {"vbg._data.models": "models", "vbg._data.assets": "assets"}


class BuildPy(build_py):
    def find_package_modules(self, package, package_dir):
        if package in DATA_PACKAGES:
            return []  # data only: its .py files are tools, not part of vbg
        return super().find_package_modules(package, package_dir)


setup(
    packages=[*find_packages(include=["vbg", "vbg.*"]), *DATA_PACKAGES],
    package_dir=DATA_PACKAGES,
    cmdclass={"build_py": BuildPy},
)
