"""The suite's fixtures (`keras`, `implementation`, the `requires` marker) come from
`conformance.pytest_plugin`, registered by the repository's root conftest.py."""

import random

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seeded():
    """Every suite test starts from the same seeds."""
    random.seed(1234)
    np.random.seed(1234)
