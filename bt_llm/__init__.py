"""bt-llm: the Bittensor network as an LLM backend.

``import bt_llm as bt`` is cheap: every public name is loaded on first use (PEP 562), so importing
the package never imports torch, transformers, fastapi, uvicorn or numba.

Example:
    >>> import bt_llm as bt
    >>> bt.__version__
    '0.1.0'
"""

from __future__ import annotations

from bt_llm.aliases import lazy
from bt_llm.errors import (
    BtLlmError as BtLlmError,
)
from bt_llm.errors import (
    ChainError as ChainError,
)
from bt_llm.errors import (
    ConfigError as ConfigError,
)
from bt_llm.errors import (
    ExtrinsicFailedError as ExtrinsicFailedError,
)
from bt_llm.errors import (
    KeyFileError as KeyFileError,
)
from bt_llm.errors import (
    MnemonicError as MnemonicError,
)
from bt_llm.errors import (
    PasswordError as PasswordError,
)
from bt_llm.errors import (
    PromptError as PromptError,
)
from bt_llm.errors import (
    ProtocolError as ProtocolError,
)
from bt_llm.errors import (
    RegistrationError as RegistrationError,
)
from bt_llm.errors import (
    RpcError as RpcError,
)
from bt_llm.errors import (
    SignatureError as SignatureError,
)
from bt_llm.errors import (
    WalletError as WalletError,
)

__version__ = "0.1.0"

# public name -> "module:attribute"; resolved lazily by __getattr__.
_LAZY: dict[str, str] = {
    # wallets and keys (issue 3)
    "Keypair": "bt_llm.wallet.keypair:Keypair",
    "Wallet": "bt_llm.wallet.wallet:Wallet",
    "wallet": "bt_llm.wallet",  # the package, which stands in for Wallet (bt_llm.aliases)
    "Keyfile": "bt_llm.wallet.keyfile:Keyfile",
    "Balance": "bt_llm.balance:Balance",
    # wire protocol (issue 5)
    "Synapse": "bt_llm.protocol.synapse:Synapse",
    "StreamingSynapse": "bt_llm.protocol.synapse:StreamingSynapse",
    "TerminalInfo": "bt_llm.protocol.synapse:TerminalInfo",
    "TextPrompting": "bt_llm.protocol.synapses:TextPrompting",
    "StreamingTextPrompting": "bt_llm.protocol.synapses:StreamingTextPrompting",
    "TextPromptingBackward": "bt_llm.protocol.synapses:TextPromptingBackward",
    "Embedding": "bt_llm.protocol.synapses:Embedding",
    "AxonInfo": "bt_llm.protocol.axon_info:AxonInfo",
    "axon": "bt_llm.axon",  # stands in for Axon
    "Axon": "bt_llm.axon.server:Axon",
    "dendrite": "bt_llm.dendrite",  # stands in for Dendrite
    "Dendrite": "bt_llm.dendrite.client:Dendrite",
    "text_prompting": "bt_llm.dendrite.text_prompting:TextPromptingClient",
    "TextPromptingSynapse": "bt_llm.axon.seed_style:TextPromptingSynapse",
    # chain client (issue 8)
    "subtensor": "bt_llm.chain.subtensor:Subtensor",
    "Subtensor": "bt_llm.chain.subtensor:Subtensor",
    "metagraph": "bt_llm.chain.metagraph:Metagraph",
    "Metagraph": "bt_llm.chain.metagraph:Metagraph",
    # prompting (issue 9)
    "prompt": "bt_llm.prompting:prompt",
    "aprompt": "bt_llm.prompting:aprompt",
    "BittensorLLM": "bt_llm.langchain:BittensorLLM",
    "ChatBittensor": "bt_llm.langchain:ChatBittensor",
    # bittensor 5.3.4's other top-level names (issue 22)
    "logging": "bt_llm.compat:logging",
    "config": "bt_llm.compat:config",
    "Config": "bt_llm.compat:Config",
    "trace": "bt_llm.compat:trace",
    "debug": "bt_llm.compat:debug",
    "axon_info": "bt_llm.protocol.axon_info:AxonInfo",
    "keyfile": "bt_llm.wallet.keyfile:Keyfile",
    "NeuronInfo": "bt_llm.chain.chain_data:NeuronInfo",
    "NeuronInfoLite": "bt_llm.chain.chain_data:NeuronInfoLite",
    "DelegateInfo": "bt_llm.chain.chain_data:DelegateInfo",
    "SubnetInfo": "bt_llm.chain.chain_data:SubnetInfo",
    "PrometheusInfo": "bt_llm.chain.chain_data:PrometheusInfo",
    "BasePromptingMiner": "bt_llm.neuron.prompting_miner:BasePromptingMiner",
    "text_prompting_pool": "bt_llm.dendrite.text_prompting:TextPromptingPool",
    "UnsupportedFeatureError": "bt_llm.errors:UnsupportedFeatureError",
}


__getattr__ = lazy(__name__, _LAZY)

def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = sorted(
    [
        "BtLlmError",
        "ChainError",
        "ConfigError",
        "ExtrinsicFailedError",
        "KeyFileError",
        "MnemonicError",
        "PasswordError",
        "PromptError",
        "ProtocolError",
        "RegistrationError",
        "RpcError",
        "SignatureError",
        "WalletError",
        "__version__",
        *_LAZY,
    ]
)
