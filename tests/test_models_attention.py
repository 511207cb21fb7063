"""mmkit.models.attention against PyTorch's attention, masks included."""

import pytest
import torch

from mmkit.models.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)


def tensors(*shapes, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=generator) for shape in shapes]


def test_scaled_dot_product_attention_equals_pytorchs_with_and_without_a_mask():
    q, k, v = tensors((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 4))
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, torch.nn.functional.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5))
    mask = torch.rand(5, 7, generator=torch.Generator().manual_seed(1)) > 0.3
    mask[:, 0] = True  # every query sees at least one key
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(
        out, torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    assert torch.all(weights[..., ~mask] == 0)


def test_a_query_that_may_see_nothing_gets_zero_weights_not_nan():
    q, k, v = tensors((1, 2, 4), (1, 3, 4), (1, 3, 4))
    mask = torch.tensor([[True, True, False], [False, False, False]])
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    assert torch.isfinite(out).all() and torch.all(weights[0, 1] == 0)


@pytest.mark.parametrize("masks", ["none", "causal", "padding", "both"])
def test_multi_head_attention_equals_torch_nn_multiheadattention(masks):
    torch.manual_seed(0)
    twin = torch.nn.MultiheadAttention(12, 3, batch_first=True)
    ours = MultiHeadAttention(12, 3).copy_from(twin)
    x, memory = tensors((2, 5, 12), (2, 5, 12), seed=3)
    attn_mask = ~causal_mask(5) if masks in ("causal", "both") else None
    pad = padding_mask([5, 3], 5) if masks in ("padding", "both") else None
    out, weights = ours(x, memory, memory, key_padding_mask=pad, attn_mask=attn_mask,
                        average_attn_weights=False)
    expected, expected_weights = twin(x, memory, memory, key_padding_mask=pad,
                                      attn_mask=attn_mask, average_attn_weights=False)
    assert (out - expected).abs().max() < 1e-5
    assert (weights - expected_weights).abs().max() < 1e-5
    _, averaged = ours(x, memory, memory, key_padding_mask=pad, attn_mask=attn_mask)
    torch.testing.assert_close(averaged, weights.mean(1))
    if attn_mask is not None:  # exactly zero weight on the future
        assert torch.all(weights[..., attn_mask] == 0)
    if pad is not None:  # exactly zero weight on padded keys
        assert torch.all(weights[1, :, :, 3:] == 0)


def test_masks_say_who_sees_whom():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False],
                                       [True, True, True]]
    assert padding_mask([2, 0], 3).tolist() == [[False, False, True], [True, True, True]]


def test_mismatched_shapes_and_masks_name_the_shapes():
    q, k, v = tensors((2, 4), (3, 5), (3, 5))
    with pytest.raises(ValueError, match=r"query \(2, 4\) and key \(3, 5\)"):
        scaled_dot_product_attention(q, k, v)
    q, k, v = tensors((2, 4), (3, 4), (2, 4))
    with pytest.raises(ValueError, match="as many values as keys"):
        scaled_dot_product_attention(q, k, v)
    q, k, v = tensors((2, 4), (3, 4), (3, 4))
    with pytest.raises(ValueError, match=r"a mask of shape \(\.\.\., 2, 3\).*got \(3, 2\)"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(3, 2, dtype=torch.bool))
    attention = MultiHeadAttention(8, 2)
    x = torch.zeros(1, 4, 8)
    with pytest.raises(ValueError, match=r"query: expected a tensor of shape \(B, N, 8\), "
                                         r"got \(1, 4, 6\)"):
        attention(torch.zeros(1, 4, 6), x, x)
    with pytest.raises(ValueError, match=r"key_padding_mask: expected a bool mask of shape "
                                         r"\(1, 4\)"):
        attention(x, x, x, key_padding_mask=torch.zeros(4, dtype=torch.bool))
    with pytest.raises(ValueError, match="num_heads: expected a divisor of embed_dim=8"):
        MultiHeadAttention(8, 3)
    with pytest.raises(ValueError, match=r"lengths: expected one length per sequence"):
        padding_mask([4, 7], 5)
