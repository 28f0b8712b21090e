"""A small page of the site: a bare block, an original broken in its source beside
its corrected variant, and a block that needs no migration (tests of the Keras 3 tabs
and of the badges)."""

PAGE = """Prose.

```python
from keras.optimizers import SGD
sgd = SGD(lr=0.1)
```

/// tab | Original

<!-- expect-failure: SyntaxError: invalid character -->
```python
y = lstm.get_output_at（1）
```
///

/// tab | Corrected

```python
y = lstm.get_output_at(1)
```
///

```python
print('unchanged')
```
"""
