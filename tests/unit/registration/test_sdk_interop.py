"""Live cross-check with the bittensor SDK (``.interop-venv``): random inputs, both seal functions.

The literal vectors in ``test_seal.py`` cover the same ground without the reference venv; this test
draws fresh random inputs each run and asks the SDK itself.
"""

from __future__ import annotations

import json
import random

import pytest

from bt_llm.registration.cpu_kernel import hash_words, seal_bytes
from bt_llm.registration.seal import block_hotkey_hash, meets_difficulty, seal
from tests.interop.reference import BT9_PYTHON, requires_bt9, run_reference

pytestmark = [pytest.mark.interop, pytest.mark.slow, requires_bt9]

SDK_CODE = """
import json, sys, warnings
warnings.simplefilter("ignore")
from bittensor.utils.registration.pow import _create_seal_hash, _hash_block_with_hotkey, _seal_meets_difficulty
cases = json.loads(CASES)
out = []
for block_hex, hotkey_hex, nonce, difficulty in cases:
    h = _hash_block_with_hotkey(bytes.fromhex(block_hex), bytes.fromhex(hotkey_hex))
    s = _create_seal_hash(h, nonce)
    out.append([h.hex(), s.hex(), _seal_meets_difficulty(s, difficulty, 2**256 - 1)])
print(json.dumps(out))
"""


def test_random_seals_match_the_sdk() -> None:
    rng = random.Random()
    cases = []
    for _ in range(40):
        nonce = rng.choice([0, 2**32 - 1, 2**32, 2**64 - 1, rng.randrange(2**64)])
        difficulty = rng.choice([0, 1, 2, rng.randrange(1, 2**16), rng.randrange(2**64)])
        cases.append([rng.randbytes(32).hex(), rng.randbytes(32).hex(), nonce, difficulty])
    code = f"CASES = {json.dumps(json.dumps(cases))}\n" + SDK_CODE
    sdk = run_reference(BT9_PYTHON, code)
    assert isinstance(sdk, list) and len(sdk) == len(cases)
    for (block_hex, hotkey_hex, nonce, difficulty), (h_hex, s_hex, meets) in zip(cases, sdk, strict=True):
        block, hotkey = bytes.fromhex(block_hex), bytes.fromhex(hotkey_hex)
        assert block_hotkey_hash(block, hotkey).hex() == h_hex
        assert seal(block, hotkey, nonce).hex() == s_hex
        assert seal_bytes(hash_words(bytes.fromhex(h_hex)), nonce).hex() == s_hex
        assert meets_difficulty(bytes.fromhex(s_hex), difficulty) is meets
