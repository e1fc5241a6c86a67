"""The options every btcli command shares, added in one place (``LazyGroup`` applies them), and the
listing layer every table command prints through.

Every command takes, as bittensor 5.x's btcli did:

- ``--config FILE``: a YAML file of defaults in 5.x nesting (``wallet: {name: alice}``,
  ``subtensor: {network: local}``, ``netuid: 1``, ``no_prompt: true``...). Flags on the command line
  win over it. Keys that no option of the command takes are ignored, as 5.x ignored them.
- ``--strict``: unknown keys in the ``--config`` file and unknown flags are an error naming them.
  Without it, unknown 5.x-style dotted flags (``--logging.debug``, ``--axon.port 8091``) are ignored
  with one warning line, as 5.x's parser ignored them; other unknown flags are errors (typos).
- ``--no_version_checking``: accepted; bt-llm never checks for a newer version.

Listing commands (``LISTING_COMMANDS``) also take ``--width N`` and ``--json``, and print through
:func:`emit`: on a terminal (or with ``--width``) a table that fits the width, keys cut to 10
characters as 5.x did, the least important columns left out (named under the table) rather than
squeezed to nothing; piped (``| cat``), the full table with full keys; ``--json``, the rows as JSON.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from bt_llm.compat import load_yaml_config
from bt_llm.errors import ConfigError

__all__ = [
    "LISTING_COMMANDS",
    "Column",
    "Listing",
    "SharedOptionsGroup",
    "add_shared_options",
    "emit",
    "listing_mode",
    "prepare",
    "short_key",
]

# Commands that print tables: they take --width and --json.
LISTING_COMMANDS = frozenset({
    "metagraph", "overview", "list_subnets", "weights", "list_delegates", "my_delegates", "senate", "proposals",
    "proposal_votes", "inspect", "list",
})

KEY_CHARS = 10  # 5.x's btcli showed ss58 keys as their first 10 characters
_MARK = "_bt_llm_shared_options"
_META_WIDTH = "bt_llm.width"
_META_JSON = "bt_llm.json"


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value

    return callback


def _shared_params(listing: bool) -> list[click.Parameter]:
    params: list[click.Parameter] = [
        click.Option(["--config"], metavar="FILE", expose_value=False, type=click.Path(dir_okay=False),
                     help="A YAML file of defaults, nested as in bittensor 5.x (wallet.name, subtensor.network, "
                          "...); flags win over it. (default: none)"),
        click.Option(["--strict"], is_flag=True, expose_value=False,
                     help="Unknown --config keys and unknown flags are errors. (default: off)"),
        click.Option(["--no_version_checking"], is_flag=True, expose_value=False,
                     help="Accepted for bittensor 5.x scripts; bt-llm never checks for new versions."),
    ]
    if listing:
        params += [
            click.Option(["--width"], type=click.IntRange(min=40), default=None, expose_value=False,
                         callback=_remember(_META_WIDTH),
                         help="Fit tables to this many columns. (default: the terminal's width; piped: the "
                              "full table)"),
            click.Option(["--json", "json_output"], is_flag=True, expose_value=False,
                         callback=_remember(_META_JSON), help="Print the rows as JSON instead. (default: off)"),
        ]
    return params


def add_shared_options(name: str, command: click.Command) -> click.Command:
    """Give ``command`` the shared options (once); groups are left as they are."""
    if isinstance(command, click.Group) or getattr(command, _MARK, False):
        return command
    have = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for param in _shared_params(name in LISTING_COMMANDS):
        if not set(param.opts) & have:
            command.params.append(param)
    setattr(command, _MARK, True)
    return command


class SharedOptionsGroup(click.Group):
    """A command group whose commands take the shared options (``--config``, ``--strict``, ...), applied
    before click parses their arguments; ``btcli`` itself and its ``localnet`` and ``bridge`` groups."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else add_shared_options(cmd_name, command)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and command is not None:
            label = name if ctx.parent is None else f"{ctx.info_name} {name}"  # "localnet up" in messages
            defaults, rest = prepare(label, command, rest)
            if defaults:
                ctx.default_map = {**(ctx.default_map or {}), name: defaults}
        return name, command, rest


# --------------------------------------------------------------------------------------------------
# --config and --strict, applied to the arguments before click parses them


def _option_value(args: Sequence[str], flag: str) -> tuple[str | None, bool]:
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == flag:
            return (args[i + 1] if i + 1 < len(args) else None), True
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1], True
    return None, False


def _flags_of(command: click.Command) -> dict[str, click.Parameter]:
    return {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts) if opt.startswith("-")}


def _unknown_flags(command: click.Command, args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``(kept args, unknown dotted flags, other unknown flags)``; an unknown flag's value goes with it."""
    flags = _flags_of(command)
    kept: list[str] = []
    dotted: list[str] = []
    others: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            kept += args[i:]
            break
        name = arg.split("=", 1)[0]
        if not arg.startswith("--") or name in flags or name in ("--help", "-h"):
            kept.append(arg)
            param = flags.get(name)
            i += 1
            if param is None or "=" in arg or getattr(param, "is_flag", False) or i >= len(args):
                continue
            kept.append(args[i])  # the option's own value, whatever it looks like
            i += 1
            while getattr(param, "multiple", False) and i < len(args) and not args[i].startswith("-"):
                kept += [name, args[i]]  # 5.x's nargs="*": --hotkeys a b c
                i += 1
            continue
        (dotted if "." in name else others).append(name)
        takes_value = "=" not in arg and i + 1 < len(args) and not args[i + 1].startswith("-")
        i += 2 if takes_value else 1
    return kept, dotted, others


def prepare(name: str, command: click.Command, args: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Apply ``--config`` and ``--strict`` to ``args`` before click parses them.

    Returns the defaults the config file gives (for ``ctx.default_map``, by parameter name) and the
    arguments to parse (unknown dotted flags dropped when not strict).

    Raises:
        ConfigError: under ``--strict``, unknown config keys or flags (named); a bad config file.
    """
    if isinstance(command, click.Group) or any(a in ("--help", "-h") for a in args):
        return {}, args
    strict = "--strict" in args[: args.index("--")] if "--" in args else "--strict" in args
    own_config = any("--config" in p.opts and p.expose_value for p in command.params)  # e.g. bridge serve's
    path, given = (None, False) if own_config else _option_value(args, "--config")
    defaults: dict[str, Any] = {}
    unknown_keys: list[str] = []
    if given:
        if not path or path.startswith("-"):
            raise ConfigError("--config needs a file name")
        flags = _flags_of(command)
        for key, value in load_yaml_config(path).items():
            param = flags.get("--" + key) or flags.get("--" + key.replace("_", "-"))
            if param is None or param.name is None or key in ("config", "strict"):
                if key not in ("config", "strict"):
                    unknown_keys.append(key)
                continue
            defaults[param.name] = value
    kept, dotted, others = _unknown_flags(command, args)
    if strict:
        problems = []
        if unknown_keys:
            problems.append(f"unknown keys in {path}: {', '.join(unknown_keys)}")
        if dotted or others:
            problems.append(f"unknown flags: {', '.join(dotted + others)}")
        if problems:
            raise ConfigError(f"--strict: btcli {name}: " + "; ".join(problems))
        return defaults, args
    if dotted:
        click.secho(f"Ignored (not options of btcli {name}; --strict makes them errors): {', '.join(dotted)}",
                    fg="yellow", err=True)
    if others:
        return defaults, args  # click names the first unknown flag as its usage error
    return defaults, kept


# --------------------------------------------------------------------------------------------------
# listings: tables that fit, and --json


def short_key(key: str) -> str:
    """An ss58 key cut to 10 characters, as 5.x showed it."""
    return key[:KEY_CHARS] if key and len(key) > KEY_CHARS else key


@dataclass(frozen=True)
class Column:
    """One column: its header, how a value is shown, whether it holds keys (cut to 10 characters on a
    terminal), and how much it matters (0 first; the highest numbers leave a narrow table first)."""

    header: str
    fmt: Callable[[Any], str] = str
    key: bool = False
    priority: int = 0
    justify: str = "left"
    json_name: str = ""

    @property
    def name(self) -> str:
        return self.json_name or re.sub(r"[^a-z0-9]+", "_", self.header.lower()).strip("_")


@dataclass
class Listing:
    """A titled table of raw values (``rows``); ``--json`` prints the values, the table their text."""

    title: str
    columns: Sequence[Column]
    rows: list[Sequence[Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        names = [c.name for c in self.columns]
        return {"title": self.title, "columns": names,
                "rows": [{n: _plain(v) for n, v in zip(names, row, strict=False)} for row in self.rows]}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    try:
        return value.item()  # numpy scalars
    except AttributeError:
        return str(value)


def listing_mode() -> tuple[int | None, bool]:
    """``(width, json)`` from ``--width`` and ``--json`` of the running command (``(None, False)`` outside one)."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    return meta.get(_META_WIDTH), bool(meta.get(_META_JSON))


def _target_width(width: int | None) -> int | None:
    """The width to fit: ``--width``; the terminal's on a terminal; None (the full table) when piped."""
    if width:
        return width
    try:
        if sys.stdout.isatty():
            import shutil

            return shutil.get_terminal_size((120, 24)).columns
    except (AttributeError, ValueError, OSError):
        pass
    return None


def render(listing: Listing, width: int | None) -> tuple[Any, list[str]]:
    """A rich ``Table`` fitting ``width`` columns (None: everything, keys in full) and the columns left out."""
    from rich.cells import cell_len
    from rich.table import Table

    cut = width is not None
    cells = [[(short_key(str(c.fmt(v))) if c.key and cut else c.fmt(v)) for c, v in zip(listing.columns, row,
                                                                                          strict=False)]
             for row in listing.rows]
    widths = [max([cell_len(c.header)] + [cell_len(r[i]) for r in cells]) for i, c in enumerate(listing.columns)]
    shown = list(range(len(listing.columns)))
    hidden: list[str] = []

    def total() -> int:
        return sum(widths[i] for i in shown) + 3 * len(shown) + 1  # one space each side, one border each

    while cut and width is not None and total() > width and len(shown) > 1:
        drop = max(shown, key=lambda i: (listing.columns[i].priority, i))
        if listing.columns[drop].priority == 0:
            break
        shown.remove(drop)
        hidden.append(listing.columns[drop].header)
    table = Table(title=listing.title)
    for i in shown:
        column = listing.columns[i]
        table.add_column(column.header, no_wrap=True, justify=column.justify, min_width=widths[i])  # type: ignore[arg-type]
    for row in cells:
        table.add_row(*(row[i] for i in shown))
    if hidden:
        table.caption = f"Not shown at {width} columns: {', '.join(hidden)} (see --width, --json)"
    return table, hidden


def emit(listings: Listing | Sequence[Listing], *, extra: dict[str, Any] | None = None,
         notes: Sequence[str] = ()) -> None:
    """Print ``listings`` as the running command's ``--width``/``--json`` ask; ``notes`` are printed
    after the tables (in JSON: ``extra`` holds what the notes say)."""
    from rich.console import Console

    items = [listings] if isinstance(listings, Listing) else list(listings)
    width, as_json = listing_mode()
    if as_json:
        payload: dict[str, Any] = items[0].as_json() if len(items) == 1 else {
            "tables": [item.as_json() for item in items]}
        payload.update({k: _plain(v) for k, v in (extra or {}).items()})
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    target = _target_width(width)
    tables = [render(item, target)[0] for item in items]
    if target is None:
        from rich.measure import Measurement

        probe = Console(width=100_000)
        need = max([Measurement.get(probe, probe.options, t).maximum for t in tables] + [80])
        console = Console(highlight=False, width=need, soft_wrap=True)
    else:
        console = Console(highlight=False, width=target)
    for table in tables:
        console.print(table)
    for note in notes:
        console.print(note)
