"""bt_llm.neuron and bt_llm.models stay light to import, and every lazy name resolves."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "fastapi", "uvicorn", "httpx")


def test_importing_the_runtime_and_models_is_light() -> None:
    code = (
        "import json, sys; import bt_llm.neuron, bt_llm.models; "
        "from bt_llm.neuron import Miner, NeuronConfig, parse_config, CallerPolicy, SamplingParams; "
        "from bt_llm.models import SamplingParams, to_chat; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_lazy_names_resolve() -> None:
    import bt_llm.models
    import bt_llm.neuron

    for module in (bt_llm.neuron, bt_llm.models):
        assert module.__all__ == sorted(module.__all__)
        for name in module.__all__:
            assert getattr(module, name) is not None, name
