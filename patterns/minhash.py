"""MinHash signatures and LSH candidate pairs for many sets at once, with NumPy.

The same numbers as `datasketch.MinHash.bulk` and `datasketch.MinHashLSH` (their default
"affine32" scheme: SHA-1's first four bytes of each element, the MurmurHash3 finalizer,
then `a * h + b` modulo 2**32 per permutation, the permutations drawn from `seed`; LSH
bands of `r` rows, a pair a candidate when one band is equal), so the candidates are
the pairs datasketch's index returns; tests/patterns/test_minhash.py holds them equal.
What is saved: each distinct element is hashed once for all the sets that hold it, the
permutations are applied to all elements as array operations, and the bands are
grouped by sorting instead of one index insert and query per set (datasketch spends
about 0.3 ms a set on those, 7-16 s for a week of posts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import chain

import numpy as np
from datasketch import MinHash, MinHashLSH

EMPTY = np.uint32(0xFFFFFFFF)  # an empty set's signature, as datasketch leaves it
# Elements' hash values permuted per block: rows x permutations x 4 bytes stay small.
BLOCK_ROWS = 32_768


@cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of datasketch's permutations for num_perm and seed, as uint32."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


@cache
def bands(threshold: float, num_perm: int, weights: tuple[float, float]) -> tuple[int, int]:
    """(bands, rows per band) datasketch's LSH picks for this threshold and weights."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
    return lsh.b, lsh.r


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection; uint32 wraps around)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(sets: Sequence[frozenset[str]], num_perm: int, seed: int) -> np.ndarray:
    """One row of num_perm uint32 minimum hash values per set (elements UTF-8 encoded)."""
    ids: dict[str, int] = {}
    members = [[ids.setdefault(element, len(ids)) for element in s] for s in sets]
    digests = b"".join(hashlib.sha1(element.encode()).digest()[:4] for element in ids)
    hashed = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
    lengths = np.fromiter(map(len, members), dtype=np.int64, count=len(members))
    flat = np.fromiter(chain.from_iterable(members), dtype=np.int64, count=int(lengths.sum()))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    a, b = permutations(num_perm, seed)
    result = np.full((len(sets), num_perm), EMPTY, dtype=np.uint32)
    start = 0
    while start < len(sets):
        # Sets start..stop-1: at least one, else as many as fit in BLOCK_ROWS elements.
        stop = max(
            start + 1, int(np.searchsorted(offsets, offsets[start] + BLOCK_ROWS, "right")) - 1
        )
        stop = min(stop, len(sets))
        permuted = np.multiply.outer(a, hashed[flat[offsets[start] : offsets[stop]]])
        permuted += b[:, None]  # one row per permutation: each set's values contiguous
        filled = np.flatnonzero(lengths[start:stop]) + start
        if len(filled):
            result[filled] = np.minimum.reduceat(
                permuted, offsets[filled] - offsets[start], axis=1
            ).T
        start = stop
    return result


def candidate_buckets(signature: np.ndarray, bands: int, rows: int) -> Iterator[np.ndarray]:
    """Row indices (ascending) sharing one band's values, per band and value: every
    group of two or more. A pair is a candidate when it shares at least one."""
    for band in range(bands):
        values = signature[:, band * rows : (band + 1) * rows]
        # Sorted by one 64-bit mix of the band's values, a single key; rows are equal
        # only if their mixes are, and rows with one mix are checked to be equal (else,
        # a collision, the band is sorted by its values themselves).
        mixed = (values.astype(np.uint64) * _MIX[: values.shape[1]]).sum(axis=1, dtype=np.uint64)
        order = np.argsort(mixed, kind="stable")
        ordered = values[order]
        equal = (ordered[1:] == ordered[:-1]).all(axis=1)
        if not np.array_equal(equal, mixed[order][1:] == mixed[order][:-1]):
            order = np.lexsort(values.T[::-1])
            ordered = values[order]
            equal = (ordered[1:] == ordered[:-1]).all(axis=1)
        starts = np.concatenate(([0], np.flatnonzero(~equal) + 1, [len(order)]))
        shared = np.flatnonzero(np.diff(starts) > 1)
        for first, end in zip(starts[shared].tolist(), starts[shared + 1].tolist(), strict=True):
            yield np.sort(order[first:end])


# Odd pseudo-random 64-bit multipliers for mixing a band's values (any band width).
_MIX = np.random.default_rng(61).integers(0, 2**63, 256, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)
