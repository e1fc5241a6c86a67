"""What a bittensor 5.x user types into btcli (issue 22), through the CLI entry point against the fake
chain of test_chain_cli: --config/--strict/--no_version_checking on every command, 5.3.4's overview and
stake/unstake options, tables that fit 80 and 120 columns, --json, defaults in every --help, inspect's
default network, and scripted runs without a terminal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bt_llm.balance import Balance
from bt_llm.cli.main import COMMANDS, cli, main
from bt_llm.cli.shared import LISTING_COMMANDS
from bt_llm.wallet.wallet import Wallet
from tests.unit.chain.factories import address
from tests.unit.cli_chain import test_chain_cli as base
from tests.unit.cli_chain.test_chain_cli import FakeChain, run

chain = base.chain  # the fake chain client and a wallet, as in test_chain_cli
wallet_args = base.wallet_args

FIXTURE = json.loads((Path(__file__).parents[2] / "fixtures" / "bittensor_534_signatures.json").read_text())
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
LEAF_COMMANDS = [n for n in COMMANDS if n not in ("localnet", "bridge")]


def btcli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code: int, err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0 and "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for needle in needles:
        assert needle in err, (needle, err)


def options_of(name: str) -> dict[str, click.Parameter]:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}


# --- the shared layer: every command ---------------------------------------------------------------


@pytest.mark.parametrize("name", LEAF_COMMANDS)
def test_every_command_takes_config_strict_and_no_version_checking(name: str) -> None:
    assert {"--config", "--strict", "--no_version_checking"} <= set(options_of(name))


@pytest.mark.parametrize("name", sorted(LISTING_COMMANDS))
def test_every_listing_command_takes_width_and_json(name: str) -> None:
    assert {"--width", "--json"} <= set(options_of(name))


@pytest.mark.parametrize("name", LEAF_COMMANDS)
def test_every_help_states_the_defaults(name: str) -> None:
    for param in cli.get_command(click.Context(cli), name).params:
        if not isinstance(param, click.Option) or (param.is_flag and not param.secondary_opts) or param.required:
            continue
        assert param.show_default or "default" in (param.help or "").lower(), (name, param.opts, param.help)
    result = CliRunner().invoke(cli, [name, "--help"], terminal_width=120)
    assert result.exit_code == 0
    if "--subtensor.network" in result.output:
        assert "else local" in re.sub(r"\s+", " ", result.output)  # what the default network is


def test_534_overview_and_stake_options_exist() -> None:
    for command, options in FIXTURE["cli_options"].items():
        have = options_of(command)
        missing = [o for group in options for o in group if o not in have]
        if command == "unstake":
            assert "--hotkey_ss58address" in have
        assert missing == [], (command, missing)


def test_config_file_gives_defaults_and_flags_win(chain: FakeChain, tmp_path: Path) -> None:
    Wallet(name="cfg", hotkey="h", path=str(tmp_path)).create_coldkey_from_uri("//Alice", use_password=False,
                                                                               suppress=True)
    Wallet(name="cfg", hotkey="h", path=str(tmp_path)).create_hotkey_from_uri("//Bob", suppress=True)
    config = tmp_path / "btcli.yaml"
    config.write_text(f"wallet:\n  name: cfg\n  hotkey: h\n  path: {tmp_path}\nsubtensor:\n  network: local\n"
                      "amount: 2\nno_prompt: true\nlogging:\n  debug: true\n")
    result = run(["stake", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert chain.calls == [("add_stake", 2 * 10**9, BOB)]
    assert chain.seen[-1] == ("local", None)  # type: ignore[attr-defined]
    result = run(["stake", "--config", str(config), "--amount", "3", "--subtensor.network", "test"])
    assert chain.calls[-1] == ("add_stake", 3 * 10**9, BOB) and chain.seen[-1] == ("test", None)  # type: ignore[attr-defined]


def test_strict_names_unknown_keys_and_flags(chain: FakeChain, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("netuid: 1\nlogging:\n  debug: true\naxon:\n  port: 9\n")
    code, out, err = btcli(capsys, "metagraph", "--config", str(config))
    assert code == 0 and "UID" in out  # unknown keys: ignored, as 5.x
    code, _, err = btcli(capsys, "metagraph", "--config", str(config), "--strict")
    one_line_error(code, err, "logging.debug", "axon.port")
    code, out, err = btcli(capsys, "metagraph", "--logging.debug", "--axon.port", "9", "--no_version_checking")
    assert code == 0 and "UID" in out and "Ignored" in err and "--logging.debug" in err
    code, _, err = btcli(capsys, "metagraph", "--logging.debug", "--strict")
    one_line_error(code, err, "--logging.debug")
    code, _, err = btcli(capsys, "metagraph", "--bogus")
    assert code == 2 and "--bogus" in err and "Traceback" not in err  # a typo stays an error


def test_bad_config_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = btcli(capsys, "list_subnets", "--config", str(tmp_path / "missing.yaml"))
    one_line_error(code, err, "missing.yaml")
    (tmp_path / "bad.yaml").write_text("wallet: [unclosed\n")
    code, _, err = btcli(capsys, "list", "--config", str(tmp_path / "bad.yaml"))
    one_line_error(code, err, "not valid YAML")


# --- tables ------------------------------------------------------------------------------------------


def table_header(output: str) -> str:
    return next(line for line in output.splitlines() if "┃" in line)


@pytest.mark.parametrize("width", [80, 120])
def test_metagraph_fits_and_keeps_the_columns_that_matter(chain: FakeChain, width: int) -> None:
    out = run(["metagraph", "--width", str(width)]).output
    assert max(len(line) for line in out.splitlines()) <= width
    header = table_header(out)
    for column in ("UID", "STAKE(τ)", "INCENTIVE", "EMISSION(ρ)", "HOTKEY"):
        assert column in header, (column, header)
    assert "5EbegA7ai8" in out and address("hot0") not in out  # keys cut to 10 characters, as 5.x
    assert "Not shown at" in out  # the columns left out are named
    assert not re.search(r"┃\s*┃", header)  # no column squeezed to nothing
    if width == 120:
        assert "RANK" in header and "COLDKEY" in header


@pytest.mark.parametrize("width", [80, 120])
def test_delegates_and_subnets_fit(chain: FakeChain, wallet_args: list[str], width: int) -> None:
    for args, columns in ((["list_delegates"], ("DELEGATE", "TOTAL STAKE(τ)", "TAKE")),
                          (["my_delegates", *wallet_args, "--no_prompt"], ("DELEGATE", "MY STAKE")),
                          (["list_subnets"], ("NETUID", "N", "EMISSION", "BURN")),
                          (["proposals"], ("HASH", "AYES", "NAYS"))):
        out = run([*args, "--width", str(width)]).output
        assert max(len(line) for line in out.splitlines()) <= width, (args, out)
        header = table_header(out)
        assert all(c in header for c in columns), (args, header)


@pytest.mark.parametrize("width", [80, 120])
def test_overview_fits(chain: FakeChain, tmp_path: Path, width: int) -> None:
    hot = overview_wallet(tmp_path)
    out = run(["overview", "--wallet.name", "o", "--wallet.path", str(tmp_path), "--no_prompt",
               "--width", str(width)]).output
    assert max(len(line) for line in out.splitlines()) <= width
    header = table_header(out)
    for column in ("HOTKEY NAME", "UID", "STAKE(τ)", "HOTKEY_SS58"):
        assert column in header
    assert hot[:10] in out and "Balance: τ100.000000000" in out


def test_piped_output_is_the_full_table(chain: FakeChain) -> None:
    out = run(["metagraph"]).output  # CliRunner's stdout is not a terminal
    header = table_header(out)
    assert all(c in header for c in ("RANK", "TRUST", "CONSENSUS", "VTRUST", "UPDATED", "ACTIVE", "AXON", "COLDKEY"))
    assert address("hot2") in out and "Not shown" not in out


def overview_wallet(root: Path) -> str:
    """Wallet ``o``: coldkey //Alice, hotkeys ``h`` (the fake metagraph's uid 1) and ``spare``."""
    wallet = Wallet(name="o", hotkey="h", path=str(root))
    wallet.create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    hot = address("hot1")
    # the fake metagraph's hotkeys are factory addresses: give hotkey h one of them as its public file
    (root / "o" / "hotkeys").mkdir(parents=True, exist_ok=True)
    (root / "o" / "hotkeys" / "h").write_text(json.dumps({"ss58Address": hot}))
    Wallet(name="o", hotkey="spare", path=str(root)).create_hotkey_from_uri("//Spare", suppress=True)
    return hot


@pytest.mark.parametrize("name", sorted(LISTING_COMMANDS))
def test_json_for_every_listing_command(chain: FakeChain, wallet_args: list[str], name: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from bt_llm.cli import wallet_commands

    monkeypatch.setattr(wallet_commands, "fetch_chain_view", lambda *a, **k: wallet_commands.ChainView(
        balance=Balance.from_tao(1), stakes={}))
    extra = {"overview": [*wallet_args, "--no_prompt"], "my_delegates": [*wallet_args, "--no_prompt"],
             "inspect": [*wallet_args[:2], *wallet_args[4:], "--no_prompt", "--subtensor.network", "local"],
             "list": wallet_args[4:],
             "proposal_votes": ["--proposal", "0x" + "ab" * 32]}.get(name, [])
    result = run([name, *extra, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    tables = payload.get("tables", [payload])
    assert all(isinstance(t["rows"], list) and t["columns"] for t in tables)


def test_metagraph_json_has_full_keys_and_numbers(chain: FakeChain) -> None:
    payload = json.loads(run(["metagraph", "--json"]).output)
    row = payload["rows"][2]
    assert row["hotkey"] == address("hot2") and isinstance(row["stake"], float) and row["uid"] == 2
    assert payload["block"] == 77 and payload["n"] == 3


# --- overview and stake/unstake options of 5.3.4 -----------------------------------------------------


def test_overview_hotkeys_sort_and_all(chain: FakeChain, tmp_path: Path) -> None:
    hot = overview_wallet(tmp_path)
    base = ["overview", "--wallet.path", str(tmp_path), "--no_prompt", "--json"]
    rows = json.loads(run([*base, "--wallet.name", "o"]).output)["rows"]
    assert [r["hotkey"] for r in rows] == [hot] and rows[0]["hotkey_name"] == "h"
    assert json.loads(run([*base, "--wallet.name", "o", "--hotkeys", "spare"]).output)["rows"] == []
    assert json.loads(run([*base, "--wallet.name", "o", "--all_hotkeys", "--hotkeys", "h"]).output)["rows"] == []
    rows = json.loads(run([*base, "--all", "--sort_by", "uid", "--sort_order", "desc"]).output)["rows"]
    assert rows and rows[0]["wallet"] == "o"


def test_overview_bad_sort_is_one_line(chain: FakeChain, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overview_wallet(tmp_path)
    code, _, err = btcli(capsys, "overview", "--wallet.path", str(tmp_path), "--wallet.name", "o", "--no_prompt",
                         "--sort_by", "nope")
    one_line_error(code, err, "--sort_by", "stake")


def test_stake_max_stake_hotkeys_and_uid(chain: FakeChain, wallet_args: list[str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    chain.stake = Balance.from_tao(1)
    code, _, err = btcli(capsys, "stake", *wallet_args, "--max_stake", "5", "--no_prompt", "--uid", "3")
    assert code == 0 and chain.calls == [("add_stake", 4 * 10**9, BOB)]  # topped up to 5 τ
    assert "--uid has no effect" in err
    chain.stake = Balance.from_tao(5)
    code, _, err = btcli(capsys, "stake", *wallet_args, "--max_stake", "5", "--no_prompt")
    one_line_error(code, err, "--max_stake")
    chain.calls.clear()
    chain.stake = Balance.from_tao(2)
    code, _, _ = btcli(capsys, "stake", *wallet_args, "--hotkeys", BOB, address("hot1"), "--amount", "1",
                       "--no_prompt")
    assert code == 0 and [c[2] for c in chain.calls] == [BOB, address("hot1")]
    chain.calls.clear()
    chain.stake = Balance.from_tao(2)  # (the fake's add_stake set it)
    code, _, _ = btcli(capsys, "unstake", *wallet_args, "--all_hotkeys", "--max_stake", "0.5", "--no_prompt")
    assert code == 0 and chain.calls == [("unstake", 1_500_000_000, BOB)]  # down to 0.5 τ


# --- inspect, scripts without a terminal --------------------------------------------------------------


def test_inspect_reads_the_default_network(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from bt_llm.cli import wallet_commands

    seen = []

    def view(coldkey, hotkeys, *, network, chain_endpoint):
        seen.append((network, chain_endpoint))
        return wallet_commands.ChainView(balance=Balance.from_tao(7), stakes={})

    monkeypatch.setattr(wallet_commands, "fetch_chain_view", view)
    Wallet(name="a", path=str(tmp_path)).create_coldkey_from_uri("//Alice", use_password=False, suppress=True)
    code, out, _ = btcli(capsys, "inspect", "--wallet.name", "a", "--wallet.path", str(tmp_path), "--no_prompt")
    assert code == 0 and "τ7.000000000" in out and seen == [(None, None)]  # None: the default network


def test_a_question_without_a_terminal_says_no_prompt(chain: FakeChain, wallet_args: list[str],
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # a script: stdin at its end, not a terminal
    code, _, err = btcli(capsys, "nominate", *wallet_args)
    one_line_error(code, err, "--no_prompt")
    assert chain.calls == []
    code, _, err = btcli(capsys, "nominate", *wallet_args, "--no_prompt")
    assert code == 0 and chain.calls == [("nominate",)]
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))  # a piped "no" is still a no
    code, _, err = btcli(capsys, "nominate", *wallet_args)
    assert code == 1 and "Aborted." in err


def test_subtensor_prompt_true_asks_and_a_no_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.prompt import Confirm

    from bt_llm.chain.operations import declined

    asked = []
    monkeypatch.setattr(Confirm, "ask", classmethod(lambda cls, q, **kw: asked.append(q) or False))
    assert declined(False, "x") is False and asked == []
    assert declined(True, "Transfer?") is True and asked == ["Transfer?"]


def test_534_positional_stake_order_is_understood() -> None:
    from bt_llm.chain.operations import stake_args

    assert stake_args(BOB, 10.0) == (10.0, BOB)  # 5.x: add_stake(wallet, hotkey_ss58, amount)
    assert stake_args(10.0, BOB) == (10.0, BOB)  # ours: add_stake(wallet, amount, hotkey_ss58)
    assert stake_args(BOB, None) == (None, BOB)  # 5.x: unstake(wallet, hotkey_ss58)


def test_the_groups_subcommands_take_config_and_strict_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    state = tmp_path / "nostate"
    good = tmp_path / "c.yaml"
    good.write_text(f"state: {state}\n")
    code, _, err = btcli(capsys, "localnet", "status", "--config", str(good))
    assert code == 1 and f"no localnet in {state}" in err  # the file's state: was used
    bad = tmp_path / "d.yaml"
    bad.write_text(f"state: {state}\nfoo: 1\n")
    code, _, err = btcli(capsys, "localnet", "status", "--config", str(bad), "--strict")
    assert code == 1 and "btcli localnet status: unknown keys in" in err and "foo" in err
    code, _, err = btcli(capsys, "bridge", "serve", "--strict", "--nope")
    assert code == 1 and "btcli bridge serve: unknown flags: --nope" in err
