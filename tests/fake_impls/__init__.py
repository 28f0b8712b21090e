"""Deliberately broken Keras implementations, to prove the suite survives them."""
