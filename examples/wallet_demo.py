"""Wallets without a single prompt: a coldkey and a hotkey, btcli list, a signature.

Run with ``.venv/bin/python examples/wallet_demo.py``. Everything happens in a temporary folder that is
removed at the end; your ``~/.bittensor`` is never touched. The whole network is ``make demo``
(examples/demo.py).
"""

from __future__ import annotations

import os
import tempfile

import bt_llm as bt
from bt_llm.cli.main import main as btcli


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="bt-llm-demo-") as path:
        # The coldkey's password comes from BT_COLD_PW_<NAME>, so nothing is asked.
        os.environ["BT_COLD_PW_DEMO"] = "demo-password"
        wallet = bt.wallet(name="demo", hotkey="miner", path=path)
        print(f"1. Creating {wallet} (coldkey encrypted with $NACL/argon2i: a few seconds)")
        wallet.create_new_coldkey(n_words=12, use_password=True, suppress=True)
        wallet.create_new_hotkey(n_words=12, use_password=False, suppress=True)
        print(f"   coldkey  {wallet.coldkeypub.ss58_address}")
        print(f"   hotkey   {wallet.hotkey.ss58_address}")

        print("2. btcli list")
        btcli(["list", "--wallet.path", path])

        message = b"hello, bittensor"
        signature = wallet.hotkey.sign(message)
        print(f"3. The hotkey signs {message!r}: 0x{signature.hex()[:32]}...")
        verified = bt.Keypair(ss58_address=wallet.hotkey.ss58_address).verify(message, signature)
        tampered = bt.Keypair(ss58_address=wallet.hotkey.ss58_address).verify(b"hello, bittensoR", signature)
        print(f"   verified with the address alone: {verified}; a tampered message verifies: {tampered}")
        if not verified or tampered:
            raise SystemExit("signature check failed")

        coldkey = wallet.coldkey  # decrypted once per process; the password came from the environment
        print(f"4. The coldkey (decrypted) signs too: {coldkey.verify(message, coldkey.sign(message))}")
        print(f"   a balance prints like {bt.Balance.from_tao(1)}")

    print()
    print("The whole network (localnet, miners, the bridge) runs with `make demo`.")


if __name__ == "__main__":
    run()
