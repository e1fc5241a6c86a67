"""A literal, slow, pure-Python transcription of ``epoch.rs::epoch`` and ``math.rs`` (sparse path).

Python integers hold I32F32 bits, so there is nothing to overflow; every function mirrors the Rust
one line by line (including the recursive partition-search ``weighted_median``). The vectorised
implementation in ``bt_llm.localnet.yuma`` is checked against this on random subnets.
"""

from __future__ import annotations

F = 32
ONE = 1 << F


def mul(a: int, b: int) -> int:
    return (a * b) >> F


def div(a: int, b: int) -> int:
    """Truncating toward zero, like the widened integer division of substrate_fixed."""
    q = (abs(a) << F) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def normalize(x: list[int]) -> list[int]:
    s = sum(x)
    if s == 0:
        return list(x)
    return [div(v, s) for v in x]


def is_topk(v: list[int], k: int) -> list[bool]:
    n = len(v)
    out = [True] * n
    if n < k:
        return out
    idxs = sorted(range(n), key=lambda i: v[i])  # Python's sort is stable
    for i in idxs[: n - k]:
        out[i] = False
    return out


def weighted_median(stake, score, partition_idx, minority, lo, hi) -> int:
    n = len(partition_idx)
    if n == 0:
        return 0
    if n == 1:
        return score[partition_idx[0]]
    pivot = score[partition_idx[n // 2]]
    lo_stake = hi_stake = 0
    lower, upper = [], []
    for idx in partition_idx:
        if score[idx] == pivot:
            continue
        if score[idx] < pivot:
            lo_stake += stake[idx]
            lower.append(idx)
        else:
            hi_stake += stake[idx]
            upper.append(idx)
    if lo + lo_stake <= minority < hi - hi_stake:
        return pivot
    if minority < lo + lo_stake and lower:
        return weighted_median(stake, score, lower, minority, lo, lo + lo_stake)
    if hi - hi_stake <= minority and upper:
        return weighted_median(stake, score, upper, minority, hi - hi_stake, hi)
    return pivot


def weighted_median_col_sparse(stake, score, columns, majority) -> list[int]:
    use_stake = normalize([s for s in stake if s > 0])
    stake_sum = sum(use_stake)
    idx = list(range(len(use_stake)))
    minority = stake_sum - majority
    use_score = [[0] * len(use_stake) for _ in range(columns)]
    k = 0
    for r in range(len(stake)):
        if stake[r] <= 0:
            continue
        for c, v in score[r]:
            use_score[c][k] = v
        k += 1
    return [weighted_median(use_stake, use_score[c], idx, minority, 0, stake_sum) for c in range(columns)]


def col_sums(m, n):
    s = [0] * n
    for row in m:
        for j, v in row:
            s[j] += v
    return s


def col_normalize(m, n):
    s = col_sums(m, n)
    return [[(j, v if s[j] == 0 else div(v, s[j])) for j, v in row] for row in m]


def epoch(
    *, current_block, stake, last_update, block_at_registration, validator_permit, weights, bonds,
    activity_cutoff, kappa, bonds_moving_average, max_allowed_validators, rao_emission,
):  # fmt: skip
    n = len(stake)
    inactive = [u + activity_cutoff < current_block for u in last_update]
    total = sum(stake)
    s64 = [(s << 64) // total if total else 0 for s in stake]
    st = [v >> 32 for v in s64]
    new_permits = is_topk(st, max_allowed_validators)
    active_stake = [0 if (inactive[i] or not validator_permit[i]) else st[i] for i in range(n)]
    active_stake = normalize(active_stake)

    def outdated(i, j):
        return last_update[i] <= block_at_registration[j]

    w = [[(j, v << F) for j, v in row] if validator_permit[i] else [] for i, row in enumerate(weights)]
    w = [[(j, v) for j, v in row if j != i] for i, row in enumerate(w)]
    w = [[(j, v) for j, v in row if not outdated(i, j)] for i, row in enumerate(w)]
    w2 = []
    for row in w:
        rs = sum(v for _, v in row)
        w2.append([(j, div(v, rs)) for j, v in row] if rs > 0 else row)
    w = w2

    preranks = [0] * n
    for i, row in enumerate(w):
        for j, v in row:
            preranks[j] += mul(active_stake[i], v)
    kappa_f = div(kappa << F, 65535 << F)
    consensus = weighted_median_col_sparse(active_stake, w, n, kappa_f)
    clipped = []
    for row in w:
        out = []
        for j, v in row:
            if consensus[j] < v:
                if consensus[j] > 0:
                    out.append((j, consensus[j]))
            else:
                out.append((j, v))
        clipped.append(out)
    w = clipped
    validator_trust = [sum(v for _, v in row) for row in w]
    ranks = [0] * n
    for i, row in enumerate(w):
        for j, v in row:
            ranks[j] += mul(active_stake[i], v)
    trust = [div(ranks[i], preranks[i]) if preranks[i] != 0 else 0 for i in range(n)]
    ranks = normalize(ranks)
    incentive = list(ranks)

    b = [[(j, v << F) for j, v in row if not outdated(i, j)] for i, row in enumerate(bonds)]
    b = col_normalize(b, n)
    delta = [[(j, mul(v, active_stake[i])) for j, v in row] for i, row in enumerate(w)]
    delta = col_normalize(delta, n)
    bma64 = (bonds_moving_average << 64) // 1_000_000  # I64F64 quotient
    alpha = ONE - (bma64 >> 32)
    ema = []
    for i in range(n):
        row = [0] * n
        for j, v in delta[i]:
            row[j] += mul(alpha, v)
        for j, v in b[i]:
            row[j] += mul(ONE - alpha, v)
        ema.append([(j, v) for j, v in enumerate(row) if v > 0])
    ema = col_normalize(ema, n)
    dividends = [0] * n
    for i, row in enumerate(ema):
        for j, v in row:
            dividends[i] += mul(incentive[j], v)
    dividends = normalize(dividends)

    combined = [incentive[i] + dividends[i] for i in range(n)]
    esum = sum(combined)
    nse = [div(x, esum) for x in incentive] if esum else list(incentive)
    nve = [div(x, esum) for x in dividends] if esum else list(dividends)
    nce = normalize(combined)
    if esum == 0:
        if sum(active_stake) == 0:
            nve, nce = list(st), list(st)
        else:
            nve, nce = list(active_stake), list(active_stake)
    server = [(x * rao_emission) >> F for x in nse]
    validator = [(x * rao_emission) >> F for x in nve]
    emission = [(x * rao_emission) >> F for x in nce]

    def u16(x):
        return ((x * 65535) >> F) & 0xFFFF

    top = max(nce) if nce else 0
    if top == 0:
        pruning = [u16(x) for x in nce]
    else:
        pruning = [((div(mul(x, 65535 << F), top) + (ONE >> 1)) >> F) & 0xFFFF for x in nce]

    colmax = [0] * n
    for row in ema:
        for j, v in row:
            colmax[j] = max(colmax[j], v)
    ema = [[(j, div(v, colmax[j]) if colmax[j] else v) for j, v in row] for row in ema]
    new_bonds = []
    for i in range(n):
        if new_permits[i]:
            new_bonds.append([(j, u16(v)) for j, v in ema[i]])
        elif validator_permit[i]:
            new_bonds.append([])
        else:
            new_bonds.append(list(bonds[i]))
    return {
        "active": [not x for x in inactive],
        "emission": emission,
        "server_emission": server,
        "validator_emission": validator,
        "rank": [u16(x) for x in ranks],
        "trust": [u16(x) for x in trust],
        "consensus": [u16(x) for x in consensus],
        "incentive": [u16(x) for x in incentive],
        "dividends": [u16(x) for x in dividends],
        "validator_trust": [u16(x) for x in validator_trust],
        "pruning_scores": pruning,
        "validator_permit": new_permits,
        "bonds": new_bonds,
    }
