"""mmkit.scratch.conv against PyTorch: conv2d ≙ F.conv2d, max_pool2d ≙ F.max_pool2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.scratch.conv import conv2d, conv_output_size, max_pool2d


@pytest.mark.parametrize("n, c_in, c_out, size, kernel, stride, padding", [
    (2, 1, 1, 5, 3, 1, 0),
    (3, 2, 4, 8, 3, 1, 1),
    (2, 3, 2, 7, 3, 2, 1),
    (1, 2, 3, 9, (2, 4), 3, 2),
    (2, 1, 8, 28, 3, 1, 1),
])
def test_conv2d_equals_torch(n, c_in, c_out, size, kernel, stride, padding):
    rng = np.random.default_rng(0)
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    x = rng.standard_normal((n, c_in, size, size + 1))
    weight = rng.standard_normal((c_out, c_in, kh, kw))
    bias = rng.standard_normal(c_out)
    ours = conv2d(x, weight, bias, stride=stride, padding=padding)
    theirs = F.conv2d(torch.tensor(x), torch.tensor(weight), torch.tensor(bias),
                      stride=stride, padding=padding).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    no_bias = conv2d(x, weight, stride=stride, padding=padding)
    np.testing.assert_allclose(no_bias, theirs - bias[None, :, None, None], atol=1e-10)


def test_conv2d_is_a_cross_correlation_not_a_flipped_convolution():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # an impulse: a cross-correlation returns the kernel flipped
    weight = np.arange(9.0).reshape(1, 1, 3, 3)
    out = conv2d(x, weight, padding=1)[0, 0]
    np.testing.assert_array_equal(out, weight[0, 0, ::-1, ::-1])


@pytest.mark.parametrize("size, kernel, stride, padding", [
    (28, 3, 1, 1), (28, 3, 1, 0), (7, 3, 2, 1), (8, 2, 2, 0), (10, 4, 3, 2), (5, 5, 1, 0)])
def test_conv_output_size_equals_torch(size, kernel, stride, padding):
    out = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel),
                   stride=stride, padding=padding)
    assert conv_output_size(size, kernel, stride, padding) == out.shape[-1]


def test_conv_bad_input_says_what_was_expected():
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match=r"weight \(C_out, C_in, kH, kW\): expected shape"):
        conv2d(np.zeros((1, 2, 5, 5)), np.zeros((1, 3, 3, 3)))
    with pytest.raises(ValueError, match="stride"):
        conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=0)


@pytest.mark.parametrize("size, kernel, stride", [(28, 2, None), (7, 2, None), (9, 3, 2),
                                                  (6, 3, 1)])
def test_max_pool2d_equals_torch(size, kernel, stride):
    x = np.random.default_rng(1).standard_normal((2, 3, size, size + 2))
    ours = max_pool2d(x, kernel, stride)
    theirs = F.max_pool2d(torch.tensor(x), kernel, stride).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
