"""Weight-layout conversions from old Keras files to tf_keras's layers.

Derived from the formats, for the corpus's oracle (not for a loader):

- Keras 1 LSTM, `consume_less` 'cpu'/'mem': twelve arrays W, U, b per gate in
  the order i, c, f, o; tf_keras wants the gates stacked as i, f, c, o.
- Keras 1 GRU: nine arrays W, U, b per gate z, r, h; stacked as z, r, h. Its
  candidate applies the reset gate before the recurrent product, which is
  tf_keras's `GRU(reset_after=False)`.
- Keras 1 `Convolution2D` with `dim_ordering='th'`: kernel (filters, channels,
  rows, cols); tf_keras: (rows, cols, channels, filters). With 'tf': already
  (rows, cols, channels, filters). (On Theano, Keras 1 also convolved with the
  kernel flipped, but a Keras 1 file does not say which backend wrote it; the
  corpus's Keras 1 files are written by the TensorFlow backend.)
- Keras 2.0-2.2 on Theano: kernels in Keras 2's (rows, cols, channels, filters)
  layout, but Theano's `conv2d` convolves (flips the kernel) where TensorFlow
  correlates; Keras 2 loaders flipped the spatial axes when the file's `backend`
  attribute named the other kind. (tf_keras no longer does.)
- Keras 1 `Convolution1D`: a 2D kernel with a unit column axis, laid out
  (filter_length, 1, input_dim, nb_filter) in Keras 1.2 and
  (nb_filter, input_dim, filter_length, 1) in Keras 1.1.
- Keras 1 BatchNormalization's `running_std` holds the running *variance*
  (Keras 1.1-1.2 passed it to `K.batch_normalization` as the variance).
- Keras 2 `CuDNNLSTM`/`CuDNNGRU`: per gate, the (input, units) block of the
  kernel is handed to cuDNN as its flat row-major buffer, which cuDNN reads as a
  (units, input) matrix; the recurrent blocks likewise; the bias holds the input
  biases then the recurrent biases (8 or 6 times units). A CuDNNLSTM is an LSTM
  with sigmoid gates and the two biases summed; a CuDNNGRU is a
  `GRU(reset_after=True)` with sigmoid gates whose bias is the (2, 3 * units)
  pair. CuDNNGRU passes gates z, r, h, as GRU stacks them.

Example:

```python
import numpy as np
kernel = np.arange(12.0).reshape(2, 6)
assert cudnn_block_to_kernel(kernel[:, :3]).shape == (2, 3)
```
"""

import numpy as np

# Position of each Keras 1 LSTM gate in the file's order (i, c, f, o).
_KERAS1_LSTM_FILE_GATES = {"i": 0, "c": 1, "f": 2, "o": 3}
_TF_KERAS_LSTM_GATES = ("i", "f", "c", "o")


def keras1_lstm_to_fused(arrays):
    """Twelve Keras 1 LSTM arrays -> [kernel, recurrent_kernel, bias] (i, f, c, o)."""
    if len(arrays) != 12:
        raise ValueError(f"A Keras 1 LSTM has 12 arrays; received {len(arrays)}.")
    fused = []
    for part in range(3):  # W, U, b
        blocks = [arrays[3 * _KERAS1_LSTM_FILE_GATES[gate] + part] for gate in _TF_KERAS_LSTM_GATES]
        fused.append(np.concatenate(blocks, axis=-1))
    return fused


def keras1_gru_to_fused(arrays):
    """Nine Keras 1 GRU arrays (z, r, h) -> [kernel, recurrent_kernel, bias]."""
    if len(arrays) != 9:
        raise ValueError(f"A Keras 1 GRU has 9 arrays; received {len(arrays)}.")
    return [np.concatenate(arrays[part::3], axis=-1) for part in range(3)]


def keras1_th_kernel_to_hwio(kernel):
    """(filters, channels, rows, cols) -> (rows, cols, channels, filters)."""
    return np.transpose(kernel, (2, 3, 1, 0))


def theano_kernel_to_correlation(kernel):
    """A kernel Theano convolved with -> the kernel TensorFlow correlates with."""
    spatial = kernel.ndim - 2
    return np.ascontiguousarray(kernel[(slice(None, None, -1),) * spatial])


def keras1_conv1d_kernel(kernel, layout_version):
    """A Keras 1 Convolution1D kernel -> (filter_length, input_dim, nb_filter).

    Keras 1.2 stored (filter_length, 1, input_dim, nb_filter); Keras 1.1
    (nb_filter, input_dim, filter_length, 1).
    """
    if layout_version == "1.1":
        kernel = np.transpose(kernel, (2, 3, 1, 0))
    return kernel[:, 0, :, :]


def cudnn_block_to_kernel(block):
    """One gate's (rows, units) block as cuDNN used it -> a Keras (rows, units) kernel."""
    rows, units = block.shape
    return np.reshape(block, (units, rows)).T


def _cudnn_kernels_to_keras(kernel, gates):
    return np.concatenate(
        [cudnn_block_to_kernel(block) for block in np.split(kernel, gates, axis=1)],
        axis=1,
    )


def cudnn_lstm_to_lstm(kernel, recurrent_kernel, bias):
    """CuDNNLSTM arrays -> tf_keras LSTM arrays (recurrent_activation='sigmoid')."""
    input_bias, recurrent_bias = np.split(bias, 2)
    return [
        _cudnn_kernels_to_keras(kernel, 4),
        _cudnn_kernels_to_keras(recurrent_kernel, 4),
        input_bias + recurrent_bias,
    ]


def cudnn_gru_to_gru(kernel, recurrent_kernel, bias):
    """CuDNNGRU arrays -> tf_keras GRU(reset_after=True, recurrent_activation='sigmoid')."""
    return [
        _cudnn_kernels_to_keras(kernel, 3),
        _cudnn_kernels_to_keras(recurrent_kernel, 3),
        np.reshape(bias, (2, -1)),
    ]
