"""One error hierarchy for bt-llm.

::

    BtLlmError
     ├── ConfigError            bad configuration or arguments
     │    ├── UnsupportedFeatureError   a feature this class does not have (also a NotImplementedError)
     │    └── AddressError      a malformed SS58 address or account id (also a WalletError and a ValueError)
     ├── WalletError            keys and keyfiles
     │    ├── KeyFileError      a keyfile is missing, corrupt, unreadable or unwritable
     │    ├── PasswordError     a wrong password, or none available without a prompt
     │    └── MnemonicError     a mnemonic with a bad word, length or checksum
     ├── SignatureError         a signature is missing or does not verify
     ├── ChainError             the chain refused or could not do something
     │    └── ExtrinsicFailedError   carries the pallet error name (``.error_name``)
     ├── RpcError               talking to a node
     │    ├── RpcTimeoutError
     │    ├── RpcConnectError
     │    ├── RpcProtocolError
     │    └── RpcRemoteError    the node answered with an error object
     ├── ProtocolError          the axon/dendrite wire protocol
     ├── RegistrationError      proof of work and registration
     ├── MinerError             a miner could not answer (an upstream or model failed); ``.status_code``
     └── PromptError            bt.prompt / the bridge could not get an answer

Dependency errors are translated into the most specific of these at the boundary where they occur.
"""

from __future__ import annotations


class BtLlmError(Exception):
    """Root of every error bt-llm raises on purpose."""


class ConfigError(BtLlmError):
    """Bad configuration, flags or arguments."""


class UnsupportedFeatureError(ConfigError, NotImplementedError):
    """A feature a class does not offer; the message names it and what to use instead."""


class WalletError(BtLlmError):
    """Something is wrong with a wallet or one of its keys."""


class AddressError(ConfigError, WalletError, ValueError):
    """An SS58 address or a raw account id is malformed: a bad character, length, format or checksum.

    The one error for a bad address, raised by :mod:`bt_llm.scale` for the client, the node and the wallet.
    It is a :class:`ConfigError` (a bad argument), a :class:`WalletError` (what the wallet raised) and a
    ``ValueError`` (what the SCALE helpers raised), so callers written against any of those still catch it.
    """


class KeyFileError(WalletError):
    """A keyfile is missing, corrupt, unreadable or cannot be written."""


class PasswordError(WalletError):
    """A wrong password, or no password available where no prompt is allowed."""


class MnemonicError(WalletError):
    """A mnemonic with an unknown word, a bad length or a bad checksum."""


class SignatureError(BtLlmError):
    """A signature is missing, malformed or does not verify."""


class ChainError(BtLlmError):
    """The chain refused an operation or could not perform it."""


class ExtrinsicFailedError(ChainError):
    """An extrinsic failed on chain; ``error_name`` is the pallet's error (e.g. ``NotEnoughBalanceToStake``)."""

    def __init__(self, error_name: str, message: str | None = None, *, module: str | None = None) -> None:
        self.error_name = error_name
        self.module = module
        super().__init__(message or error_name)


class RpcError(BtLlmError):
    """Talking to a node failed."""


class RpcTimeoutError(RpcError):
    """The node did not answer in time."""


class RpcConnectError(RpcError):
    """The node could not be reached."""


class RpcProtocolError(RpcError):
    """The node's answer could not be understood."""


class RpcRemoteError(RpcError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, message: str, *, code: int | None = None, data: object = None) -> None:
        self.code = code
        self.data = data
        super().__init__(message)


class ProtocolError(BtLlmError):
    """A wire-protocol message is malformed or was refused."""


class RegistrationError(BtLlmError):
    """Proof of work or registration failed."""


class MinerError(BtLlmError):
    """A miner could not answer (its upstream or model failed); the axon answers ``status_code`` (default 502)."""

    def __init__(self, message: str, *, status_code: int = 502) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(message)


class PromptError(BtLlmError):
    """No answer could be obtained for a prompt."""


__all__ = sorted(
    name for name, value in globals().items() if isinstance(value, type) and issubclass(value, BtLlmError)
)
