"""The transfer fee on the live (dynamic-TAO) runtime, end to end through ``Subtensor``: from the runtime API
``TransactionPaymentApi_query_info``, asked with the transfer extrinsic (fake-signed, as the SDK's
``get_payment_info`` builds it) and answered in the API's V15 output type ``RuntimeDispatchInfo``.

The finney recording holds no ``query_info`` exchange (the reference SDK falls back to a guessed fee there), so
the answers are made: ``RuntimeDispatchInfo`` values SCALE-encoded with the spec-343 metadata V15's own type
registry, served by the replay node in a scenario of their own at exactly the request bytes the runtime expects
for the transfer (built here by hand from the spec-343 layout). A request the client builds otherwise finds no
answer. The 2023 path is covered against the localnet (``test_subtensor.py -k fee``).
"""

from __future__ import annotations

import json

import pytest
from scalecodec.base import ScaleBytes
from substrateinterface import Keypair

from bt_llm.localnet.replay import METADATA_V15
from bt_llm.scale import encode_compact, ss58_decode
from tests.integration.chain.made_answers import REPLAY_MARKS, replay_with

pytestmark = REPLAY_MARKS

BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
NONCE = 7
BALANCES, TRANSFER_ALLOW_DEATH, TRANSFER_KEEP_ALIVE = 5, 0, 3  # spec 343: pallet and call indices
FEE = 12_345_678_901  # above 2**32: a u32 reading would lose it
FEE_ALLOW_DEATH = 98_765
BAD_AMOUNT = 3.0  # answered with a u128 partial_fee: 8 bytes too many for the V15 type


class Wallet:
    coldkey = coldkeypub = Keypair.create_from_uri("//Alice")


def transfer_request(function: int, dest: str, rao: int) -> tuple[bytes, str]:
    """The encoded extrinsic and ``query_info``'s argument bytes (hex) for a transfer signed by Alice with a
    blank signature, immortal, nonce ``NONCE``, no tip, against spec 343's signed extensions."""
    signer = Wallet.coldkey.public_key
    extra = (b"\x00"                      # CheckMortality: immortal
             + encode_compact(NONCE)      # CheckNonce
             + encode_compact(0)          # ChargeTransactionPayment: tip
             + b"\x00")                   # CheckMetadataHash: mode disabled (the other extensions carry nothing)
    call = bytes([BALANCES, function, 0]) + ss58_decode(dest) + encode_compact(rao)  # MultiAddress::Id
    body = b"\x84" + b"\x00" + signer + b"\x01" + bytes(64) + extra + call  # signed v4, MultiSignature::Sr25519
    xt = encode_compact(len(body)) + body
    return xt, "0x" + (xt + len(xt).to_bytes(4, "little")).hex()


def dispatch_info(apis, fee_bytes: bytes | None = None, fee: int = 0) -> str:
    _, output = apis.methods["TransactionPaymentApi"]["query_info"]
    value = {"weight": {"ref_time": 190_949_000, "proof_size": 3_593}, "class": "Normal", "partial_fee": fee}
    encoded = bytes(apis.config.create_scale_object(f"v15::{output}").encode(value).data)
    return "0x" + (encoded[:-8] + fee_bytes if fee_bytes is not None else encoded).hex()


@pytest.fixture(scope="module")
def node():
    from bt_llm.chain.live import parse_metadata_v15

    apis = parse_metadata_v15(METADATA_V15.read_text())
    _, keep_alive = transfer_request(TRANSFER_KEEP_ALIVE, BOB, 1_500_000_000)
    _, allow_death = transfer_request(TRANSFER_ALLOW_DEATH, BOB, 250_000_000_000)
    _, bad = transfer_request(TRANSFER_KEEP_ALIVE, BOB, 3_000_000_000)
    nonce = "0x" + ss58_decode(Wallet.coldkey.ss58_address).hex()
    state_call = {
        json.dumps(["AccountNonceApi_account_nonce", nonce]): {"result": "0x" + NONCE.to_bytes(4, "little").hex()},
        json.dumps(["TransactionPaymentApi_query_info", keep_alive]): {"result": dispatch_info(apis, fee=FEE)},
        json.dumps(["TransactionPaymentApi_query_info", allow_death]): {
            "result": dispatch_info(apis, fee=FEE_ALLOW_DEATH)},
        json.dumps(["TransactionPaymentApi_query_info", bad]): {
            "result": dispatch_info(apis, fee_bytes=(77).to_bytes(16, "little"))},
    }
    with replay_with(state_call) as replay:
        yield replay



def fee_requests(node) -> list[str]:
    return [params[1] for _, method, params in node.requests
            if method == "state_call" and params[0] == "TransactionPaymentApi_query_info"]


def test_fee_is_the_runtime_apis_partial_fee(sub, node) -> None:
    from bt_llm.balance import Balance

    before = len(fee_requests(node))
    fee = sub.get_transfer_fee(Wallet, BOB, 1.5)
    assert isinstance(fee, Balance) and fee.rao == FEE and fee == FEE
    (sent,) = fee_requests(node)[before:]
    xt, expected = transfer_request(TRANSFER_KEEP_ALIVE, BOB, 1_500_000_000)
    assert sent == expected
    # the uxt the runtime receives decodes, with the runtime's own metadata, to the intended transfer
    decoded = sub.connection.run(
        lambda substrate: substrate.create_scale_object("Extrinsic", data=ScaleBytes(xt)).decode())
    assert (decoded["call"]["call_module"], decoded["call"]["call_function"]) == ("Balances", "transfer_keep_alive")
    args = {a["name"]: a["value"] for a in decoded["call"]["call_args"]}
    assert args["value"] == 1_500_000_000 and args["dest"] in (BOB, "0x" + ss58_decode(BOB).hex())
    assert decoded["nonce"] == NONCE and decoded["signature"] == {"Sr25519": "0x" + "00" * 64}


def test_fee_of_a_transfer_that_may_reap(sub, node) -> None:
    fee = sub.get_transfer_fee(Wallet, BOB, 250.0, keep_alive=False)
    assert fee.rao == FEE_ALLOW_DEATH
    assert fee_requests(node)[-1] == transfer_request(TRANSFER_ALLOW_DEATH, BOB, 250_000_000_000)[1]


def test_an_answer_not_of_the_v15_type_is_named(sub) -> None:
    """A ``partial_fee`` of 16 bytes does not fit ``RuntimeDispatchInfo``'s ``u64``: a clear error, where reading
    the last 8 bytes would have given a wrong fee."""
    from bt_llm.chain.live import UnsupportedRuntimeError

    with pytest.raises(UnsupportedRuntimeError, match="TransactionPaymentApi_query_info"):
        sub.get_transfer_fee(Wallet, BOB, BAD_AMOUNT)
