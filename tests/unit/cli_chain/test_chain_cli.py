"""btcli chain, stake and senate commands against a fake chain client (no sockets)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bt_llm.balance import Balance
from bt_llm.chain import chain_data as cd
from bt_llm.chain.extrinsics import ExtrinsicResult
from bt_llm.cli import chain_commands, chain_options, senate_commands, stake_commands
from bt_llm.cli.main import cli, main
from bt_llm.errors import ExtrinsicFailedError
from bt_llm.wallet.wallet import Wallet
from tests.unit.chain.factories import address, neuron
from tests.unit.chain.scale_types import encode

DONE = ExtrinsicResult("0x01", "0x02", included=True, finalized=False)


class FakeChain:
    network = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.fail: str | None = None
        self.stake = Balance.from_rao(0)

    def close(self) -> None:
        pass

    # reads
    def get_current_block(self) -> int:
        return 77

    def get_balance(self, address: str, block=None) -> Balance:
        return Balance.from_tao(100)

    def get_existential_deposit(self) -> Balance:
        return Balance.from_rao(500)

    def get_subnets(self, block=None) -> list[int]:
        return [1]

    def subnet_exists(self, netuid: int, block=None) -> bool:
        return netuid == 1

    def neurons_lite(self, netuid: int, block=None):
        return cd.decode_neurons_lite(encode("Vec<NeuronInfoLite>", [neuron(u) for u in range(3)]))

    def difficulty(self, netuid: int, block=None) -> int:
        return 10_000_000

    def get_total_issuance(self, block=None) -> Balance:
        return Balance.from_tao(3000)

    def get_all_subnets_info(self, block=None):
        return [cd.SubnetInfo(1, 10, 32767, 10_000_000, 4096, 128, 1, 65535, 50, 3, 4096, 5, 99, 0, {}, 10**9,
                              10**9, address("alice"))]

    def weights(self, netuid: int, block=None):
        return {0: [(1, 65535), (2, 65535)]}

    def get_stake_for_coldkey_and_hotkey(self, hotkey: str, coldkey: str, block=None) -> Balance:
        return self.stake

    def get_hotkey_owner(self, hotkey: str, block=None) -> str:
        return "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # //Alice, the test wallet's coldkey

    def is_hotkey_delegate(self, hotkey: str, block=None) -> bool:
        return hotkey == address("hot1")

    def get_delegates(self, block=None):
        return [cd.DelegateInfo(address("hot1"), 0.18, [(address("cold1"), 10**9)], address("cold1"), [1], [1], 5, 6)]

    def get_delegated(self, coldkey: str, block=None):
        return [(self.get_delegates()[0], Balance.from_tao(1))]

    def get_senate_members(self, block=None) -> list[str]:
        return [address("senator")]

    def is_senate_member(self, hotkey: str, block=None) -> bool:
        return hotkey == address("senator")

    def get_proposals(self, block=None):
        return {"0xabababababababababababababababababababababababababababababababab": ({"call_module": "Sudo", "call_function": "sudo", "call_args": []},
                          cd.ProposalVoteData(3, 2, [address("senator")], [], 5000))}

    def get_proposal_vote_data(self, proposal_hash: str, block=None):
        return self.get_proposals()["0xabababababababababababababababababababababababababababababababab"][1] if proposal_hash == "0xabababababababababababababababababababababababababababababababab" else None

    # writes
    def _write(self, name: str, *args) -> ExtrinsicResult:
        self.calls.append((name, *args))
        if self.fail:
            raise ExtrinsicFailedError(self.fail)
        return DONE

    def add_stake(self, wallet, amount, hotkey=None):
        self.stake = amount
        return self._write("add_stake", amount.rao, hotkey)

    def unstake(self, wallet, amount=None, hotkey=None):
        return self._write("unstake", amount.rao, hotkey)

    def get_transfer_fee(self, wallet, dest, amount) -> int:
        return 125

    def transfer(self, wallet, dest, amount):
        return self._write("transfer", dest, amount.rao)

    def nominate(self, wallet):
        return self._write("nominate")

    def delegate(self, wallet, delegate, amount):
        return self._write("delegate", delegate, amount.rao)

    def vote(self, wallet, proposal, index, approve):
        return self._write("vote", proposal, index, approve)

    def join_senate(self, wallet):
        return self._write("join_senate")

    def leave_senate(self, wallet):
        return self._write("leave_senate")


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> FakeChain:
    fake = FakeChain()
    seen: list[tuple] = []

    def make(network, endpoint):
        seen.append((network, endpoint))
        return fake

    # the command modules are imported above, so each holds the real function that is restored afterwards
    for module in (chain_options, chain_commands, stake_commands, senate_commands):
        monkeypatch.setattr(module, "make_subtensor", make)
    fake.seen = seen  # type: ignore[attr-defined]
    return fake


@pytest.fixture
def wallet_args(tmp_path) -> list[str]:
    wallet = Wallet(name="w", hotkey="h", path=str(tmp_path))
    wallet.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    wallet.create_hotkey_from_uri("//Bob", suppress=True)
    return ["--wallet.name", "w", "--wallet.hotkey", "h", "--wallet.path", str(tmp_path)]


def run(args: list[str], input: str | None = None):
    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)


def test_metagraph_table(chain: FakeChain) -> None:
    result = run(["metagraph", "--netuid", "1", "--subtensor.network", "local"])
    assert result.exit_code == 0, result.output
    assert "block: 77" in result.output and "N: 3" in result.output
    assert address("hot2") in result.output and "/ipv4/127.0.0.1:8093" in result.output
    assert chain.seen == [("local", None)]  # type: ignore[attr-defined]


def test_list_subnets_and_weights(chain: FakeChain) -> None:
    out = run(["list_subnets"]).output
    assert "4096" in out and address("alice") in out and "100.00%" in out
    out = run(["weights", "--netuid", "1"]).output
    assert "65535" in out and "0.50000" in out


def test_stake_no_prompt(chain: FakeChain, wallet_args: list[str]) -> None:
    result = run(["stake", *wallet_args, "--amount", "1.5", "--no_prompt", "--subtensor.chain_endpoint", "ws://x:1"])
    assert result.exit_code == 0, result.output
    bob = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    assert chain.calls == [("add_stake", 1_500_000_000, bob)]
    assert "τ1.500000000" in result.output


def test_transfer_declined_sends_nothing(chain: FakeChain, wallet_args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["transfer", *wallet_args, "--dest", address("x"), "--amount", "2"], input="n\n")
    assert result.exit_code != 0 and chain.calls == []
    result = run(["transfer", *wallet_args, "--dest", address("x"), "--amount", "2"], input="y\n")
    assert chain.calls == [("transfer", address("x"), 2 * 10**9)]
    assert "for fee: τ0.000000125" in result.output


def test_chain_refusal_is_one_red_line(chain: FakeChain, wallet_args: list[str], capsys) -> None:
    chain.fail = "NotEnoughBalanceToStake"
    code = main(["stake", *wallet_args, "--amount", "1", "--no_prompt"])
    assert code == 1
    assert "NotEnoughBalanceToStake" in capsys.readouterr().err


def test_no_prompt_requires_amount(chain: FakeChain, wallet_args: list[str], capsys) -> None:
    assert main(["unstake", *wallet_args, "--no_prompt"]) == 1
    assert "--amount" in capsys.readouterr().err and chain.calls == []


def test_delegation_commands(chain: FakeChain, wallet_args: list[str]) -> None:
    out = run(["list_delegates"]).output
    assert address("hot1") in out and "18.00%" in out
    out = run(["my_delegates", *wallet_args, "--no_prompt"]).output
    assert address("hot1") in out
    run(["delegate", *wallet_args, "--delegate_ss58", address("hot1"), "--amount", "1", "--no_prompt"])
    assert chain.calls[-1] == ("delegate", address("hot1"), 10**9)
    run(["nominate", *wallet_args, "--no_prompt"])
    assert chain.calls[-1] == ("nominate",)


def test_senate_commands(chain: FakeChain, wallet_args: list[str]) -> None:
    assert address("senator") in run(["senate"]).output
    out = run(["proposals"]).output
    assert "0xabababababababababababababababababababababababababababababababab" in out and "Sudo.sudo" in out
    assert "aye" in run(["proposal_votes", "--proposal", "0xabababababababababababababababababababababababababababababababab"]).output
    run(["senate_vote", *wallet_args, "--proposal", "0xabababababababababababababababababababababababababababababababab", "--vote", "nay", "--no_prompt"])
    assert chain.calls[-1] == ("vote", "0xabababababababababababababababababababababababababababababababab", 3, False)
    chain.is_hotkey_delegate = lambda hotkey, block=None: True  # only delegates may join (checked before signing)
    run(["senate_register", *wallet_args, "--no_prompt"])
    assert chain.calls[-1] == ("join_senate",)


def test_overview_lists_registered_hotkeys(chain: FakeChain, tmp_path) -> None:
    # hotkey h is //Bob; make the fake metagraph list it by its address
    wallet = Wallet(name="o", hotkey="h", path=str(tmp_path))
    wallet.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    wallet.create_hotkey_from_uri("//Bob", suppress=True)
    out = run(["overview", "--wallet.name", "o", "--wallet.path", str(tmp_path), "--no_prompt"]).output
    assert "Wallet - o:" in out and "Balance: τ100.000000000" in out
