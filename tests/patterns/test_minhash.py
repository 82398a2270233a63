"""patterns/minhash.py gives datasketch's signatures and LSH candidate pairs, all at once."""

from __future__ import annotations

import random

import numpy as np
import pytest
from cohesion.patterns import minhash
from cohesion.patterns.coordination import LSH_WEIGHTS, NUM_PERM, SEED, lsh_threshold
from datasketch import MinHash, MinHashLSH


def _sets(n: int) -> list[frozenset[str]]:
    """Shingle sets of short texts over a small vocabulary (many shared shingles and
    near-copies), a few exact copies and an empty set."""
    rng = random.Random(5)
    words = "the mayor stole ballots rigged vote council road tax shame".split()
    sets = []
    for _ in range(n):
        text = [rng.choice(words) for _ in range(rng.randint(3, 16))]
        sets.append(frozenset(" ".join(text[k : k + 3]) for k in range(len(text) - 2)))
    return [*sets, frozenset(), *sets[:20], frozenset({"ünïcode wörds 🙂"})]


def _datasketch(sets: list[frozenset[str]]) -> list[MinHash]:
    return MinHash.bulk(
        [[s.encode("utf-8") for s in sorted(t)] for t in sets], num_perm=NUM_PERM, seed=SEED
    )


def test_signatures_equal_datasketch() -> None:
    sets = _sets(1_500)
    expected = np.array([m.hashvalues for m in _datasketch(sets)])
    assert np.array_equal(minhash.signatures(sets, NUM_PERM, SEED), expected)


def test_signatures_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    sets = _sets(300)
    whole = minhash.signatures(sets, NUM_PERM, SEED)
    monkeypatch.setattr(minhash, "BLOCK_ROWS", 7)  # smaller than one set: a set a block
    assert np.array_equal(minhash.signatures(sets, NUM_PERM, SEED), whole)
    assert minhash.signatures([], NUM_PERM, SEED).shape == (0, NUM_PERM)


@pytest.mark.parametrize("similarity", [0.5, 0.7, 0.9, "collisions"])
def test_candidates_equal_datasketch_lsh(
    similarity: float | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if similarity == "collisions":  # every band's mix equal: sorted by the values instead
        monkeypatch.setattr(minhash, "_MIX", np.zeros(256, dtype=np.uint64))
        similarity = 0.7
    assert isinstance(similarity, float)
    sets = _sets(1_500)
    threshold = lsh_threshold(similarity)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, weights=LSH_WEIGHTS)
    expected = set()
    for i, m in enumerate(_datasketch(sets)):
        expected.update((j, i) for j in lsh.query(m))
        lsh.insert(i, m)
    bands, rows = minhash.bands(threshold, NUM_PERM, LSH_WEIGHTS)
    found = set()
    for bucket in minhash.candidate_buckets(minhash.signatures(sets, NUM_PERM, SEED), bands, rows):
        members = bucket.tolist()
        assert members == sorted(members)
        found.update((i, j) for k, i in enumerate(members) for j in members[k + 1 :])
    assert found == expected and len(expected) > 20
