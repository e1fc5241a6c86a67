"""btcli register / recycle_register against a fake chain client (no sockets); the PoW is real."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from bt_llm.balance import Balance
from bt_llm.chain.extrinsics import ExtrinsicResult
from bt_llm.cli import chain_options
from bt_llm.cli.main import cli, main
from bt_llm.registration.seal import meets_difficulty, seal
from bt_llm.registration.solver import solve
from bt_llm.wallet.wallet import Wallet

BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"  # //Bob, the test wallet's hotkey


class FakeChain:
    network = "fake"

    def __init__(self) -> None:
        self.uids: dict[str, int] = {}
        self.block = 500
        self.balance = Balance.from_tao(10)
        self.calls: list[tuple[Any, ...]] = []
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def subnet_exists(self, netuid: int) -> bool:
        return netuid == 1

    def get_uid_for_hotkey_on_subnet(self, hotkey: str, netuid: int) -> int | None:
        return self.uids.get(hotkey)

    def difficulty(self, netuid: int) -> int:
        return 5_000

    def burn(self, netuid: int) -> Balance:
        return Balance.from_tao(1)

    def get_balance(self, address: str) -> Balance:
        return self.balance

    def get_block(self) -> tuple[int, bytes, int]:
        self.block += 1
        return self.block, self.block.to_bytes(32, "big"), self.difficulty(1)

    def register(self, wallet: Any, netuid: int, **solver: Any) -> ExtrinsicResult:
        self.calls.append(("register", netuid, {k: v for k, v in solver.items() if k != "progress"}))
        kwargs = {k: solver[k] for k in ("processes", "update_interval", "cuda", "dev_id", "tpb", "progress")}
        sol = solve(self.get_block, bytes(wallet.hotkey.public_key), **kwargs)
        assert sol is not None
        assert sol.seal == seal(
            sol.block_number.to_bytes(32, "big"), bytes(wallet.hotkey.public_key), sol.nonce
        )
        assert meets_difficulty(sol.seal, sol.difficulty)
        self.uids[wallet.hotkey.ss58_address] = 7
        return ExtrinsicResult("0xabc", "0xdef", included=True, finalized=True)

    def burned_register(self, wallet: Any, netuid: int) -> ExtrinsicResult:
        self.calls.append(("burned_register", netuid))
        self.uids[wallet.hotkey.ss58_address] = 8
        self.balance = Balance.from_tao(9)
        return ExtrinsicResult("0x123", "0x456", included=True, finalized=True)


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> FakeChain:
    fake = FakeChain()
    monkeypatch.setattr(chain_options, "make_subtensor", lambda network, endpoint: fake)
    monkeypatch.setattr("bt_llm.cli.register_commands.make_subtensor", lambda network, endpoint: fake)
    return fake


@pytest.fixture
def wallet_args(tmp_path) -> list[str]:
    wallet = Wallet(name="w", hotkey="h", path=str(tmp_path))
    wallet.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    wallet.create_hotkey_from_uri("//Bob", suppress=True)
    return ["--wallet.name", "w", "--wallet.hotkey", "h", "--wallet.path", str(tmp_path)]


def run(args: list[str], input: str | None = None):
    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)


def test_register_solves_submits_and_prints_the_uid(chain: FakeChain, wallet_args: list[str]) -> None:
    result = run(["register", "--netuid", "1", *wallet_args, "--processes", "1", "--update_interval", "256",
                  "--no_prompt"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert chain.calls == [("register", 1, {"processes": 1, "update_interval": 256, "cuda": False, "dev_id": 0,
                                            "tpb": 256})]  # fmt: skip
    out = result.output
    for text in (
        "Difficulty",
        "Hash rate",
        "Nonces tried",
        "Elapsed",
        "stale blocks dropped",  # the summary counts them (dropping is tested in test_solver.py)
        "Registered",
        "uid 7",
        "0xabc",
    ):
        assert text in out, text
    assert chain.closed


def test_register_asks_first_and_a_no_submits_nothing(chain: FakeChain, wallet_args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["register", "--netuid", "1", *wallet_args], input="n\n")
    assert result.exit_code != 0
    assert "difficulty 5,000" in result.output
    assert chain.calls == []


def test_register_already_registered(chain: FakeChain, wallet_args: list[str]) -> None:
    chain.uids[BOB] = 3
    result = run(["register", "--netuid", "1", *wallet_args, "--no_prompt"])
    assert result.exit_code == 0 and "Already registered" in result.output and "uid 3" in result.output
    assert chain.calls == []


def test_register_unknown_subnet_is_one_red_line(chain: FakeChain, wallet_args: list[str], capsys) -> None:
    assert main(["register", "--netuid", "9", *wallet_args, "--no_prompt"]) == 1
    assert "subnet 9 does not exist" in capsys.readouterr().err


def test_register_bad_processes(chain: FakeChain, wallet_args: list[str], capsys) -> None:
    assert main(["register", "--netuid", "1", *wallet_args, "--no_prompt", "--processes", "0"]) == 1
    assert "--processes" in capsys.readouterr().err


def test_register_cuda_flags_reach_the_solver(chain: FakeChain, wallet_args: list[str], capsys) -> None:
    from bt_llm.registration.solver import cuda_available

    if cuda_available():
        pytest.skip("a CUDA GPU is present: this checks the error without one")
    code = main(["register", "--netuid", "1", *wallet_args, "--no_prompt", "--cuda", "--cuda.dev_id", "0",
                 "--cuda.tpb", "128"])  # fmt: skip
    assert code == 1
    assert "no CUDA GPU" in capsys.readouterr().err
    assert chain.calls[0][2]["tpb"] == 128 and chain.calls[0][2]["cuda"] is True


def test_recycle_register(chain: FakeChain, wallet_args: list[str]) -> None:
    result = run(["recycle_register", "--netuid", "1", *wallet_args], input="y\n")
    assert result.exit_code == 0, result.output
    assert "cost to register by recycle is τ1.000000000" in result.output
    assert chain.calls == [("burned_register", 1)]
    assert "uid 8" in result.output and "τ10.000000000" in result.output and "τ9.000000000" in result.output


def test_recycle_register_declined(chain: FakeChain, wallet_args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["recycle_register", "--netuid", "1", *wallet_args], input="n\n")
    assert result.exit_code != 0 and chain.calls == []


def test_register_ctrl_c_stops_cleanly(chain: FakeChain, wallet_args: list[str], capsys, python_sigint: None) -> None:
    import _thread

    chain.difficulty = lambda netuid: 2**64 - 1  # type: ignore[method-assign]
    solving = chain.register

    def register(wallet: Any, netuid: int, **solver: Any) -> ExtrinsicResult:
        shown = solver["progress"]

        def progress(report: Any) -> None:  # Ctrl-C while the solver is hashing, after its first round
            if shown is not None:
                shown(report)
            _thread.interrupt_main()

        return solving(wallet, netuid, **{**solver, "progress": progress})

    chain.register = register  # type: ignore[method-assign]
    code = main(["register", "--netuid", "1", *wallet_args, "--no_prompt", "--processes", "1",
                 "--update_interval", "1024"])  # fmt: skip
    # click turns KeyboardInterrupt into Abort: btcli prints "Aborted." and exits 1.
    assert code == 1
    assert "Aborted" in capsys.readouterr().err
    assert chain.uids == {}


def test_register_help_lists_the_solver_flags() -> None:
    out = run(["register", "--help"]).output
    for flag in ("--netuid", "--cuda", "--cuda.dev_id", "--cuda.tpb", "--processes", "--update_interval"):
        assert flag in out
