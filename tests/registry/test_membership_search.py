"""The membership index's search by directory gives what a binary search gives."""

import numpy as np
import pytest

from registry.membership import _combine, _Sorted


def binary_search_masks(queries, keys, masks):
    """The reference: each query's mask by a binary search of the sorted keys, 0 where absent."""
    if len(keys) == 0:
        return np.zeros(len(queries), np.int32)
    positions = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[positions] == queries, masks[positions], 0)


@pytest.mark.parametrize("size", [0, 1, 2, 5, 17, 1000, 70_000])
def test_the_directory_search_agrees_with_a_binary_search(size):
    rng = np.random.default_rng(size)
    keys = rng.integers(-2**63, 2**63 - 1, size, dtype=np.int64)
    keys[: size // 10] = keys[size // 10 : 2 * (size // 10)]  # shared keys, combined into one mask
    run = slice(size // 5, size // 5 + size // 20)  # a long run of keys sharing their top bits
    keys[run] = (keys[size // 5 : size // 5 + 1] & ~np.int64(0xFFFFF)) + np.arange(size // 20, dtype=np.int64)
    masks = rng.integers(1, 255, size).astype(np.int32)
    keys, masks = _combine(keys, masks)
    present = rng.choice(keys, min(2000, len(keys))) if len(keys) else np.zeros(0, np.int64)
    absent = rng.integers(-2**63, 2**63 - 1, 2000, dtype=np.int64)
    near = np.concatenate((present + 1, present - 1)) if len(keys) else np.zeros(0, np.int64)
    edges = np.array([-2**63, -1, 0, 1, 2**63 - 1], dtype=np.int64)
    queries = np.concatenate((present, absent, near, edges))
    assert (_Sorted(keys, masks).masks_of(queries) == binary_search_masks(queries, keys, masks)).all()


def test_shared_keys_keep_the_union_of_their_masks():
    keys, masks = _combine(np.array([5, 3, 5], dtype=np.int64), np.array([1, 4, 2], dtype=np.int32))
    assert (keys.tolist(), masks.tolist()) == ([3, 5], [4, 3])
