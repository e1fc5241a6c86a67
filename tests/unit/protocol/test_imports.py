"""Callers stay light: the protocol and the dendrite never load the server stack."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER_STACK = ("fastapi", "starlette", "uvicorn", "httptools", "torch")


def _loaded(module: str) -> list[str]:
    code = f"import json, sys, {module}; print(json.dumps([m for m in {SERVER_STACK!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_protocol_and_dendrite_do_not_import_the_server_stack() -> None:
    assert _loaded("bt_llm.protocol") == []
    assert _loaded("bt_llm.dendrite.client") == []
    assert _loaded("bt_llm.dendrite.text_prompting") == []


def test_the_axon_packages_stay_callable() -> None:
    code = (
        "import sys, bt_llm.axon.gate, bt_llm.dendrite.errors, bt_llm as bt; "
        "from substrateinterface import Keypair; kp = Keypair.create_from_uri('//Alice'); "
        "print(type(bt.axon(wallet=kp, port=0)).__name__, type(bt.dendrite(kp)).__name__, "
        "isinstance(bt.axon(wallet=kp, port=0), bt.axon), bt.dendrite is sys.modules['bt_llm.dendrite'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Axon", "Dendrite", "True", "True"]
