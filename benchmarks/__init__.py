"""Benchmarks of refimpl against Keras 3, tf_keras and a fused pure-TensorFlow limit."""
