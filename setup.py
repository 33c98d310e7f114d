"""The one build step setup.cfg cannot state: the repository's top-level data folders go into the wheel.

processes/ and forms/ (the services that come with Lincah) and migrations/ (the database schema) stay top-level
folders of the repository, where analysts and reviewers look for them. A wheel, though, installs files only inside
its packages; ``data_files`` would land under the interpreter's prefix, a place that differs between a venv,
``pip install --user`` and ``--target`` and that the code would then have to guess, and mapping the folders into
``engine`` with ``package_dir`` makes them fake subpackages that editable installs and package discovery handle
differently. So the build copies the three folders, every file in them, into ``engine/bundled/`` of the wheel:
the engine is what reads them, ``engine.config.DATA_ROOT`` finds them from ``engine``'s own location, and an
editable install or the checkout keeps reading the folders themselves.

The pages' browser files in api/static/dist (htmx, the BPMN viewer and modeler) are built by ``make web`` (npm) and
are not in the repository. A wheel without them serves pages without diagrams and without a modeler, so the build
stops and says how to build them, unless ``LINCAH_WHEEL_WITHOUT_WEB_ASSETS=1`` says that wheel is wanted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

HERE = Path(__file__).resolve().parent
BUNDLED_FOLDERS = ("processes", "forms", "migrations")
WEB_ASSETS = HERE / "api" / "static" / "dist"


def check_web_assets() -> None:
    if any(path.is_file() for path in WEB_ASSETS.rglob("*")):
        return
    if os.environ.get("LINCAH_WHEEL_WITHOUT_WEB_ASSETS") == "1":
        print(f"WARNING: {WEB_ASSETS} is missing or empty: this wheel's pages have no BPMN diagrams and no modeler.")
        return
    raise SetupError(
        f"{WEB_ASSETS} is missing or empty: build the pages' browser files first with `make web` (needs Node.js "
        "20.19+ and npm), or set LINCAH_WHEEL_WITHOUT_WEB_ASSETS=1 to build a wheel whose pages have no diagrams.")


class build_py_with_data(build_py):  # noqa: N801 - named like the command it extends
    def run(self) -> None:
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout's own folders
            super().run()
            return
        check_web_assets()
        super().run()
        target = Path(self.build_lib) / "engine" / "bundled"
        shutil.rmtree(target, ignore_errors=True)
        for name in BUNDLED_FOLDERS:
            shutil.copytree(HERE / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))


setup(cmdclass={"build_py": build_py_with_data})
