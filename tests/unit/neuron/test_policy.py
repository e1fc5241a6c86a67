"""Blacklist and priority from a metagraph snapshot."""

from __future__ import annotations

from types import SimpleNamespace

from bt_llm.neuron.policy import CallerPolicy
from bt_llm.protocol.synapse import TerminalInfo
from bt_llm.protocol.synapses import TextPrompting

MG = SimpleNamespace(hotkeys=["5Val", "5Min", "5Other"], validator_permit=[True, False, False], S=[500.0, 1.0, 0.0])


def synapse(hotkey: str | None) -> TextPrompting:
    return TextPrompting(roles=["user"], messages=["hi"], dendrite=TerminalInfo(hotkey=hotkey))


def test_registered_callers_pass_unregistered_are_refused() -> None:
    policy = CallerPolicy(MG)
    assert policy.blacklist(synapse("5Val"))[0] is False
    assert policy.blacklist(synapse("5Min"))[0] is False
    assert policy.blacklist(synapse("5Stranger")) == (True, "Unrecognized hotkey")
    assert policy.blacklist(synapse(None)) == (True, "Unrecognized hotkey")


def test_allow_non_registered() -> None:
    policy = CallerPolicy(MG, allow_non_registered=True)
    assert policy.blacklist(synapse("5Stranger"))[0] is False
    assert policy.blacklist(synapse(None))[0] is True  # no hotkey at all is never served


def test_force_validator_permit() -> None:
    policy = CallerPolicy(MG, force_validator_permit=True)
    assert policy.blacklist(synapse("5Val"))[0] is False
    assert policy.blacklist(synapse("5Min")) == (True, "No validator permit")


def test_priority_is_stake() -> None:
    policy = CallerPolicy(MG)
    assert policy.priority(synapse("5Val")) == 500.0
    assert policy.priority(synapse("5Min")) == 1.0
    assert policy.priority(synapse("5Stranger")) == 0.0
    assert policy.uid_of("5Other") == 2


def test_refresh_from_neuron_records_and_new_snapshots() -> None:
    policy = CallerPolicy()
    assert policy.blacklist(synapse("5Val"))[0] is True  # nothing synced yet
    neurons = [SimpleNamespace(hotkey="5Val", uid=4, stake=9.5, validator_permit=True, is_null=False)]
    policy.refresh(neurons)
    assert policy.caller("5Val").uid == 4 and policy.stake_of("5Val") == 9.5
    policy.refresh(SimpleNamespace(hotkeys=["5New"], validator_permit=None, S=None))
    assert policy.uid_of("5Val") is None and policy.uid_of("5New") == 0
