#!/usr/bin/env python3
"""Check a consistency proof by hand: RFC 9162 section 2.1.4.2, standard library only.

    python3 proofs.py consistency OLD_SIZE NEW_SIZE OLD_ROOT NEW_ROOT [HASH ...]

Sizes are decimal; roots and the proof's hashes are 64 hex digits, as the ledger's
JSON gives them (GET /v1/consistency?from=OLD_SIZE&to=NEW_SIZE, its "path"). The
old size and root are the ones you remembered; the new ones come from a checkpoint
whose signature you checked, never from the answer that carries the proof.

It prints the two roots the proof folds to and exits 0 when they are OLD_ROOT and
NEW_ROOT: the tree of OLD_SIZE events is a prefix of the tree of NEW_SIZE, nothing
before it was changed. Otherwise it says what failed and exits 1.
"""

import hashlib
import sys

EMPTY_ROOT = hashlib.sha256(b"").digest()


def node(left, right):
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def consistency(m, n, old_root, new_root, proof):
    """Return the (old, new) roots the proof folds to; raise ValueError if it fails.

    Sizes 0 < m < n follow the RFC. As docs/MERKLE.md says, m == n takes an empty
    proof and equal roots, and m == 0 an empty proof and the empty tree's root.
    """
    if m > n:
        raise ValueError(f"the old size {m} is above the new size {n}: events were removed")
    if m == n or m == 0:
        if proof:
            raise ValueError(f"from size {m} to {n} the proof is empty, this one has {len(proof)} hashes")
        if m == n:
            return old_root, old_root  # the same tree: the roots must be equal
        # The empty tree is a prefix of every tree: nothing more to check.
        return EMPTY_ROOT, EMPTY_ROOT if n == 0 else new_root
    if not proof:
        raise ValueError("the proof is empty")
    # 2. If m is an exact power of 2, prepend the old root to the proof.
    if m & (m - 1) == 0:
        proof = [old_root] + proof
    # 3-5. fn and sn are the positions of the old tree's last leaf and the new
    # tree's last leaf; skip the levels where the old tree's last node is a
    # right child already hashed into the first proof hash.
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    # 6. Fold the rest: fr rebuilds the old root, sr the new one.
    for c in proof[1:]:
        if sn == 0:
            raise ValueError(f"the proof is too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # 7. Both ends must be reached, and the roots be those given.
    if sn != 0:
        raise ValueError(f"the proof is too short: {len(proof)} hashes")
    return fr, sr


def main(args):
    if len(args) < 5 or args[0] != "consistency":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        m, n = int(args[1]), int(args[2])
        old_root, new_root = bytes.fromhex(args[3]), bytes.fromhex(args[4])
        proof = [bytes.fromhex(h) for h in args[5:]]
    except ValueError as e:
        print(f"not sizes, roots and hashes: {e}", file=sys.stderr)
        return 2
    if m < 0 or any(len(h) != 32 for h in [old_root, new_root] + proof):
        print("sizes are not negative, and every hash is 32 bytes (64 hex digits)", file=sys.stderr)
        return 2
    try:
        fr, sr = consistency(m, n, old_root, new_root, proof)
    except ValueError as e:
        print(f"consistency from size {m} to {n}: {e}", file=sys.stderr)
        return 1
    bad = []
    if fr != old_root:
        bad.append(f"the proof folds to old root {fr.hex()}, not the remembered {old_root.hex()}")
    if sr != new_root:
        bad.append(f"the proof folds to new root {sr.hex()}, not the checkpoint's {new_root.hex()}")
    if bad:
        print(f"consistency from size {m} to {n}: " + "; ".join(bad), file=sys.stderr)
        return 1
    print(f"old root at size {m}: {fr.hex()}")
    print(f"new root at size {n}: {sr.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
