"""The default stack: built with `cygnet-software stack build`, published, mounted at /cvmfs, and used by a
JupyterLab session started by `cygnet up`, whose Python and ROOT C++ kernels both run a cell."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from conftest import running_cygnet
from hub_e2e import HubBrowser
from software_e2e import SOFTWARE, Mount, Server, listed_in_proc_mounts

REPOSITORY = "software.cygnet.local"
MOUNT_POINT = Path("/cvmfs") / REPOSITORY
PREFIX = MOUNT_POINT / "stacks" / "default"
# Built once and kept between local runs (a fresh clone, as in CI, builds it: about two minutes here).
SOFTWARE_DIR = Path(
    os.environ.get("CYGNET_E2E_SOFTWARE_DIR", Path(__file__).resolve().parents[2] / ".build" / "e2e-software")
)


@pytest.fixture(scope="module")
def default_stack() -> Path:
    if os.path.ismount(MOUNT_POINT):
        pytest.fail(f"{MOUNT_POINT} is mounted already (another Cygnet?); unmount it to run these tests")
    manifest = SOFTWARE_DIR / "repositories" / REPOSITORY / ".cvmfspublished"
    if not manifest.exists():
        result = subprocess.run(
            [SOFTWARE, "stack", "build", "--software-dir", str(SOFTWARE_DIR)],
            capture_output=True, text=True, timeout=1800,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return SOFTWARE_DIR


def test_python_from_the_mounted_stack_fills_a_root_histogram(default_stack, tmp_path):
    server = Server(default_stack).start()
    mount = Mount(default_stack, REPOSITORY, MOUNT_POINT, [server.url], "--cache-dir", str(tmp_path / "cache"))
    try:
        mount.start()
        code = (
            "import numpy, matplotlib, ROOT\n"
            "h = ROOT.TH1F('h', 'h', 10, 0, 10)\n"
            "for x in numpy.arange(100) % 10: h.Fill(float(x))\n"
            "print(int(h.GetEntries()), int(h.GetBinContent(3)))\n"
        )
        result = subprocess.run(
            [str(PREFIX / "bin" / "python"), "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["100", "10"]
        kernels = subprocess.run(
            [str(PREFIX / "bin" / "jupyter"), "kernelspec", "list"], capture_output=True, text=True, timeout=120
        ).stdout
        assert "python3" in kernels and "root" in kernels
    finally:
        mount.stop()
        server.stop()


@pytest.fixture(scope="module")
def appliance_with_software(default_stack, tmp_path_factory):
    env = {"CYGNET_SOFTWARE_ENABLED": "true", "CYGNET_SOFTWARE_DIR": str(default_stack)}
    with running_cygnet(tmp_path_factory, "software", env=env) as instance:
        yield instance
    # cygnet up stops its mount with it; make sure nothing is left for the next run.
    if os.path.ismount(MOUNT_POINT):
        subprocess.run(["fusermount3", "-u", "-z", str(MOUNT_POINT)], check=False)


def test_a_session_runs_python_and_root_kernels_from_the_stack(appliance_with_software):
    instance = appliance_with_software
    assert os.path.ismount(MOUNT_POINT), "cygnet up mounts the software repository"
    username = "s" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    instance.add_user(username, password)
    browser = HubBrowser(instance.base_url, username)
    browser.login(password)
    form = browser.spawn_form().text
    assert "Python 3 with JupyterLab, NumPy" in form, "the form lists the stack found under /cvmfs"
    try:
        progress = browser.start(stack="default", cores=1, memory_mb=4096)
        assert progress.ready, progress.messages
        browser.open_lab()
        specs = browser.api("GET", "/kernelspecs").json()["kernelspecs"]
        assert {"python3", "root"} <= set(specs), specs
        assert specs["root"]["spec"]["argv"][0] == str(PREFIX / "bin" / "python")
        python = browser.start_kernel("python3")
        output = browser.execute(python, "import sys, numpy; print(sys.prefix, numpy.__version__)")
        assert output.split()[0] == str(PREFIX), output
        root = browser.start_kernel("root")
        assert browser.execute(root, 'printf("%d\\n", 6*7);', timeout=180).strip().endswith("42")
    finally:
        browser.stop()
    # The repository is also served through the front door, as any CernVM-FS client expects.
    import urllib.request

    with urllib.request.urlopen(f"{instance.base_url}/cvmfs/{REPOSITORY}/.cvmfspublished", timeout=10) as reply:
        assert reply.headers["Cache-Control"].startswith("public, max-age=")


def test_stopping_cygnet_up_takes_its_mount_down(appliance_with_software):
    """Ctrl-C on `cygnet up` unmounts the stack: a dead mount point would answer "Transport endpoint is not
    connected" to everyone until someone unmounted it by hand. (Last in this module: it stops the appliance.)"""
    assert appliance_with_software.stop() == 0
    assert not listed_in_proc_mounts(MOUNT_POINT), f"{MOUNT_POINT} is still mounted after cygnet up stopped"
