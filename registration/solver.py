"""The public solving API: one plain function in front of the Numba CPU and CUDA solvers.

Example:
    >>> from registration.solver import solve
    >>> from registration.seal import seal, meets_difficulty
    >>> block = (7, bytes(range(32)), 5_000)          # (block_number, block_hash, difficulty)
    >>> sol = solve(lambda: block, bytes(32), processes=1, update_interval=2_048)
    >>> sol.block_number, meets_difficulty(seal(block[1], bytes(32), sol.nonce), 5_000)
    (7, True)
"""

from __future__ import annotations

import random
import threading

from bt_llm.registration.results import STALE_AFTER, GetBlock, PowProgress, PowSolution, Progress
from bt_llm.registration.seal import meets_difficulty, seal

__all__ = [
    "STALE_AFTER",
    "GetBlock",
    "PowProgress",
    "PowSolution",
    "Progress",
    "cuda_available",
    "meets_difficulty",
    "seal",
    "solve",
]


def cuda_available() -> bool:
    """Whether a CUDA GPU is usable by Numba (imports ``numba.cuda``)."""
    from bt_llm.registration.cuda_solver import cuda_available as _available

    return _available()


def solve(
    get_block: GetBlock,
    hotkey_pubkey: bytes,
    *,
    processes: int | None = None,
    update_interval: int = 50_000,
    cuda: bool = False,
    dev_id: int = 0,
    tpb: int = 256,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    rng: random.Random | None = None,
) -> PowSolution | None:
    """Find a nonce whose seal meets the chain's current difficulty for ``hotkey_pubkey``.

    ``get_block`` is called once at the start and again after every round of nonces; when the chain
    has advanced, the work for the old block is dropped, so a solution is at most one round old.

    Args:
        get_block: returns ``(block_number, block_hash (32 bytes or hex), difficulty)``.
        hotkey_pubkey: the 32-byte public key of the hotkey to register.
        processes: CPU worker threads (default: all cores); ignored with ``cuda``.
        update_interval: nonces per CPU thread per round; with ``cuda``, blocks of ``tpb`` threads
            per round (``update_interval * tpb`` nonces).
        cuda: solve on a CUDA GPU.
        dev_id: the GPU to use.
        tpb: CUDA threads per block.
        progress: called with a :class:`PowProgress` after every round.
        cancel: set it to stop between two rounds; ``solve`` then returns ``None``.
        rng: where the random start nonce comes from (default: the system's).

    Returns:
        The :class:`PowSolution`, or ``None`` when cancelled.

    Raises:
        RegistrationError: bad inputs, or CUDA asked for without a GPU.
        ConfigError: bad solver settings.
        KeyboardInterrupt: Ctrl-C, between two rounds.
    """
    if cuda:
        from bt_llm.registration.cuda_solver import solve_cuda

        return solve_cuda(
            get_block, hotkey_pubkey, dev_id=dev_id, tpb=tpb, update_interval=update_interval,
            progress=progress, cancel=cancel, rng=rng,
        )  # fmt: skip
    from bt_llm.registration.cpu_solver import solve_cpu

    return solve_cpu(
        get_block, hotkey_pubkey, processes=processes, update_interval=update_interval,
        progress=progress, cancel=cancel, rng=rng,
    )  # fmt: skip
