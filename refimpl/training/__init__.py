"""Keras 2's training API on a Keras 3 model, and the fast paths under it.

| module           | what it holds                                                        |
|------------------|----------------------------------------------------------------------|
| `trainer`        | `Keras2Training`: `compile`, `fit`, `evaluate`, `predict` and kin     |
| `feed`           | Keras 2's generator enqueuer: what Keras 3 iterates for a generator   |
| `data`           | what kind of data a call got (arrays, generator, Sequence), decided once |
| `fast_path`      | the protocol every fast path implements, and the checks they share    |
| `compiled`       | the one cache of the fast paths' compiled functions, kept on a model  |
| `epochs`         | Keras 3's epoch loop and epoch-level callbacks, for the fused paths   |
| `fast_fit`       | `fit` on NumPy arrays: one compiled call per epoch                    |
| `fast_generator` | `fit_generator`: runs of stacked batches, one compiled call per run   |
| `fast_predict`   | `predict` on NumPy arrays: one cached compiled call per batch         |
"""
