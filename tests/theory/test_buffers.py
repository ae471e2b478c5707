"""The smallest x-max-length for a loss target, against a direct search over M/M/c/K written
from the birth-death probabilities (not through mqsim.theory.mmck)."""

from __future__ import annotations

import math

import pytest

from mqsim.theory import smallest_max_length


def _loss(lam, mu, c, K):
    a = lam / mu
    w = [a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c) for n in range(K + 1)]
    return w[-1] / sum(w)


@pytest.mark.parametrize("lam,mu,c,target", [(0.9, 1.0, 1, 0.01), (1.8, 1.0, 2, 0.02), (9.0, 1 / 0.45, 5, 0.01),
                                             (2.4, 1.0, 2, 0.5)])
def test_smallest_max_length_by_search(lam, mu, c, target):
    m = smallest_max_length(lam, mu, c, target)
    assert _loss(lam, mu, c, m + c) <= target
    assert m == 0 or _loss(lam, mu, c, m - 1 + c) > target


def test_known_value_and_errors():
    assert smallest_max_length(0.9, 1.0, 1, 0.01) == 22
    with pytest.raises(ValueError, match="smallest_max_length.target_loss"):
        smallest_max_length(0.9, 1.0, 1, 0.0)
    with pytest.raises(ValueError, match="no max_length"):
        smallest_max_length(2.0, 1.0, 1, 0.1, limit=5)
