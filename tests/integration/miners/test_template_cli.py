"""Every template runs as a script, and its README documents flags its ``--help`` really has."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import REPO

TEMPLATES = ("template", "transformers", "openai_upstream", "embedding")


@pytest.mark.parametrize("template", TEMPLATES)
def test_help_matches_the_readme(template: str) -> None:
    folder = REPO / "miners" / template
    assert (folder / "requirements.txt").is_file()
    out = subprocess.run([sys.executable, str(folder / "neuron.py"), "--help"], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    help_text = out.stdout
    for flag in ("--netuid", "--wallet.name", "--subtensor.chain_endpoint", "--axon.port", "--logging.debug"):
        assert flag in help_text
    documented = set(re.findall(r"`(--[a-z_]+\.[a-z_]+)`", (folder / "README.md").read_text()))
    assert documented, f"{template}/README.md documents no flags"
    missing = sorted(f for f in documented if f not in help_text)
    assert not missing, f"{template}/README.md documents flags that --help lacks: {missing}"


def test_upstream_template_requires_its_upstream() -> None:
    out = subprocess.run([sys.executable, str(REPO / "miners" / "openai_upstream" / "neuron.py"), "--netuid", "1"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2 and "--upstream.base_url" in out.stderr
