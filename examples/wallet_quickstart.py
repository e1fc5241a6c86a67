"""Wallet quickstart: the seed README's wallet API, in a temporary folder.

    python examples/wallet_quickstart.py

Shows ``bt.wallet(...)``, creating and regenerating keys, where files go, and signing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import bt_llm as bt

MNEMONIC = "old leopard transfer rib spatial phone calm indicate online fire caution review"


def main() -> None:
    with tempfile.TemporaryDirectory() as path:
        wallet = bt.wallet(name="default", hotkey="default", path=path)
        print(wallet)  # Wallet (default, default, <path>)

        # Regenerate a coldkey from its mnemonic (unencrypted here to keep the example instant;
        # by default coldkeys are encrypted and the password comes from BT_COLD_PW_DEFAULT or a prompt).
        wallet.regenerate_coldkey(mnemonic=MNEMONIC, use_password=False, suppress=True)
        assert wallet.coldkeypub.ss58_address == "5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX"

        # A fresh hotkey (plain on disk, as hotkeys usually are); suppress=False would print its mnemonic.
        wallet.create_new_hotkey(n_words=12, suppress=True)

        # Dev keys from URIs, handy on a localnet.
        dev = bt.wallet(name="alice", hotkey="default", path=path)
        dev.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
        dev.create_hotkey_from_uri("//Alice//hot", suppress=True)

        for file in sorted(Path(path).rglob("*")):
            if file.is_file():
                print(f"{oct(file.stat().st_mode & 0o777)}  {file.relative_to(path)}")

        signature = wallet.hotkey.sign("my message")
        print("hotkey", wallet.hotkey.ss58_address, "verifies:", wallet.hotkey.verify("my message", signature))
        print("coldkey", wallet.coldkeypub.ss58_address, "alice", dev.coldkeypub.ss58_address)
        print("stake of", bt.Balance.from_tao(10) + bt.Balance.from_tao(0.5))


if __name__ == "__main__":
    main()
