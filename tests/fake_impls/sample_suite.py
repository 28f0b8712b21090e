"""A three-case suite used to run the conformance machinery against fake implementations."""

import pytest


def test_dense_layer(keras):
    layer = keras.layers.Dense(3)
    assert layer is not None


def test_after_the_crash_the_run_goes_on(keras):
    assert keras.__version__


@pytest.mark.timeout(5)
def test_activation_layer(keras):
    assert keras.layers.Activation("relu") is not None
