"""The wheel is the product: built from the checkout and installed into a fresh venv outside it, ``lincah`` migrates a
database, deploys the services that come with it and serves pages in both languages with their styles and scripts.

The build runs on a copy of the checkout (what an sdist would hold, without .git, .venv and caches), so its scratch
folders (build/, *.egg-info) never land in the working tree, and offline: ``--no-build-isolation`` with the
setuptools of the test extras. The fresh venv reuses this venv's installed dependencies, not downloaded again,
through a ``.pth`` line naming a folder of links to them: every entry of this venv's site-packages except the
checkout's editable install (its finder, its .pth, its metadata), so ``engine`` can only come from the wheel and
pip in the fresh venv never sees, let alone replaces, the checkout's installation.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

TOP_PACKAGES = ("engine", "api", "scheduler")
# Not part of the build's input: the repository's history, environments, caches and whatever earlier runs left.
_NOT_SOURCE = {".git", ".venv", "node_modules", "instance", "build", "dist", "__pycache__", ".pytest_cache",
               ".ruff_cache", ".hypothesis"}


def _copy_ignoring(folder: str, names: list[str]) -> set[str]:
    top = Path(folder).resolve() == PROJECT_ROOT
    return {name for name in names
            if name.endswith(".egg-info") or name.endswith(".pyc")
            or (name in _NOT_SOURCE and not (name == "dist" and folder.endswith("static")))
            or (top and name in {"docs", "bench"})}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=_copy_ignoring)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-w", str(root / "out"), str(source)],
        capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, f"pip wheel failed (web assets built? `make web`):\n{built.stdout}\n{built.stderr}"
    (found,) = (root / "out").glob("lincah-*.whl")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, language: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"lincah_lang={language}"} if language else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions() -> set[str]:
    """The distributions whose modules engine/, api/, scheduler/ and migrations/ import (absolute imports)."""
    owners = packages_distributions()
    names: set[str] = set()
    for package in (*TOP_PACKAGES, "migrations"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in TOP_PACKAGES:
                        continue
                    assert top in owners, f"{path}: imports {top}, which no installed distribution provides"
                    names.update(_canonical(name) for name in owners[top])
    return names


def test_every_third_party_package_the_code_imports_is_a_requirement_of_the_wheel(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        headers = Parser().parsestr(archive.read(metadata).decode())
    required = {_canonical(re.match(r"[A-Za-z0-9._-]+", line)[0]) for line in headers.get_all("Requires-Dist", [])
                if "extra ==" not in line}
    assert _imported_distributions() - required == set()


def test_the_wheel_installed_outside_the_checkout_migrates_deploys_and_serves_pages_in_both_languages(wheel,
                                                                                                    tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    fresh_site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    dependencies = tmp_path / "dependencies"
    dependencies.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("lincah", "__editable__")) and entry.suffix != ".pth":
            (dependencies / entry.name).symlink_to(entry)
    (fresh_site / "lincah-test-dependencies.pth").write_text(f"{dependencies}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "--quiet", str(wheel)], check=True, timeout=120)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("LINCAH_") and name not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env.update(LINCAH_INSTANCE_PATH=str(tmp_path / "instance"), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    lincah = str(venv / "bin" / "lincah")

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    where = run(str(python), "-c", "import engine, api, engine.config as c; print(engine.__file__); "
                                   "print(api.__file__); print(c.DATA_ROOT)").split()
    for path in map(Path, where):
        assert path.is_relative_to(venv) and not path.is_relative_to(PROJECT_ROOT), where

    assert "database is up to date" in run(lincah, "db", "upgrade")
    assert (tmp_path / "instance" / "lincah.db").is_file()
    deployed = run(lincah, "deploy", "--bundled")
    assert "deployed research_permit version 1 (published)" in deployed
    assert "deployed fishing_vessel_permit version 1 (published)" in deployed

    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([lincah, "serve", "--port", str(port), "--threads", "2"], cwd=elsewhere, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 45
        while True:
            try:
                status, _, body = _get(f"{base}/api/v1/health")
                break
            except OSError:
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "not serving: " + log_path.read_text()
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok", body

        status, kind, indonesian = _get(f"{base}/", "id")
        assert status == 200 and kind.startswith("text/html")
        page = indonesian.decode()
        assert '<html lang="id">' in page and "Layanan perizinan" in page and "Izin Penelitian" in page
        status, _, english = _get(f"{base}/", "en")
        assert status == 200 and '<html lang="en">' in english.decode()
        assert "Permit services" in english.decode() and "Research Permit" in english.decode()
        status, _, service = _get(f"{base}/services/research_permit", "id")
        assert status == 200 and "Izin Penelitian" in service.decode()

        assert "/assets/web/lincah.css" in page and "/assets/dist/htmx.min.js" in page
        status, kind, css = _get(f"{base}/assets/web/lincah.css")
        assert status == 200 and kind.startswith("text/css") and b"{" in css and len(css) > 1000
        status, kind, script = _get(f"{base}/assets/dist/htmx.min.js")
        assert status == 200 and "javascript" in kind and b"htmx" in script and len(script) > 10_000
        status, _, modeler = _get(f"{base}/assets/dist/editor/modeler.js")
        assert status == 200 and len(modeler) > 100_000
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    assert "Traceback" not in log_path.read_text()
