"""Convolution and max-pooling from scratch in NumPy, named and shaped as in PyTorch.

    conv_output_size(size, kernel, stride, padding)   one side of the output
    conv2d(x, weight, bias, stride, padding)          ≙ torch.nn.functional.conv2d
    max_pool2d(x, kernel_size, stride)                ≙ torch.nn.functional.max_pool2d

Shapes: x (N, C_in, H, W); weight (C_out, C_in, kH, kW); bias (C_out,). Like PyTorch (and
every deep-learning library), "convolution" here is a **cross-correlation**: the kernel
slides over the input *unflipped*, out[n, o, i, j] = Σ_c Σ_u Σ_v x[n, c, i·s + u, j·s + v]
· weight[o, c, u, v] + bias[o] (x zero-padded by `padding` on every side). A learned kernel
does not care which of the two it is; the textbook convolution flips the kernel first.
"""

import numpy as np

from mmkit.validate import as_float_array, check_count, check_shape


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """The output's length along one side: ⌊(size + 2·padding − kernel) / stride⌋ + 1
    (padding is added on *both* sides; the last window must fit entirely)."""
    size, kernel = check_count(size, "size", 1), check_count(kernel, "kernel", 1)
    stride, padding = check_count(stride, "stride", 1), check_count(padding, "padding", 0)
    padded = size + 2 * padding
    if kernel > padded:
        raise ValueError(f"kernel {kernel} is larger than the padded input "
                         f"({size} + 2·{padding} = {padded})")
    return (padded - kernel) // stride + 1


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
           stride: int = 1, padding: int = 0) -> np.ndarray:
    """x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None →
    (N, C_out, H_out, W_out), H_out = conv_output_size(H, kH, stride, padding).

    One loop over the kH·kW kernel positions: each adds the input window shifted by
    (u, v), (N, C_in, H_out, W_out), times weight[:, :, u, v], summed over C_in.
    """
    x = check_shape(as_float_array(x, "x"), (None, "C", None, None), "x (N, C_in, H, W)")
    weight = check_shape(as_float_array(weight, "weight"), (None, x.shape[1], None, None),
                         "weight (C_out, C_in, kH, kW)")
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out = conv_output_size(h, kh, stride, padding)
    w_out = conv_output_size(w, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n, c_out, h_out, w_out), dtype=np.result_type(x, weight))
    for u in range(kh):
        for v in range(kw):
            window = padded[:, :, u:u + stride * h_out:stride, v:v + stride * w_out:stride]
            out += np.einsum("nchw,oc->nohw", window, weight[:, :, u, v])
    if bias is not None:
        bias = check_shape(as_float_array(bias, "bias"), (c_out,), "bias (C_out,)")
        out += bias[None, :, None, None]
    return out


def max_pool2d(x: np.ndarray, kernel_size: int, stride: int | None = None) -> np.ndarray:
    """x (N, C, H, W) → (N, C, H_out, W_out): the largest value of each kernel_size ×
    kernel_size window, windows `stride` apart (default: kernel_size, so they do not
    overlap); a remainder too small for a window is dropped, as in PyTorch."""
    x = check_shape(as_float_array(x, "x"), (None, None, None, None), "x (N, C, H, W)")
    k = check_count(kernel_size, "kernel_size", 1)
    s = k if stride is None else check_count(stride, "stride", 1)
    h_out = conv_output_size(x.shape[2], k, s)
    w_out = conv_output_size(x.shape[3], k, s)
    out = np.full((*x.shape[:2], h_out, w_out), -np.inf, dtype=x.dtype)
    for u in range(k):
        for v in range(k):
            out = np.maximum(out, x[:, :, u:u + s * h_out:s, v:v + s * w_out:s])
    return out
