"""What one gradient costs: the multiply-adds of `gradient_cost`, checked against PyTorch."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from mmkit.scratch.gradcheck import gradient_cost
from mmkit.scratch.layers import Linear, ReLU, Sequential, mlp, torch_twin


def torch_flops(model: Sequential, batch_size: int) -> tuple[int, int]:
    """PyTorch's own count of the forward and backward FLOPs (2 per multiply-add) of `model`'s
    twin, with the input's gradient computed too (as the kit's `Sequential.backward` does)."""
    twin = torch_twin(model)
    x = torch.randn(batch_size, model[0].in_features, dtype=torch.float64, requires_grad=True)
    with FlopCounterMode(display=False) as forward:
        out = twin(x)
    with FlopCounterMode(display=False) as backward:
        out.backward(torch.ones_like(out))
    return forward.get_total_flops(), backward.get_total_flops()


@pytest.mark.parametrize("sizes, batch_size", [([4, 6, 3], 5), ([64, 256, 10], 32),
                                               ([2, 16, 2], 200)])
def test_multiply_adds_match_pytorchs_flop_counter(sizes, batch_size):
    model = mlp(sizes, rng=0)
    cost = gradient_cost(model, batch_size)
    forward_flops, backward_flops = torch_flops(model, batch_size)
    assert 2 * cost.forward == forward_flops
    assert 2 * cost.backward == backward_flops


def test_backward_is_twice_the_forward_whatever_the_size():
    for layer in (Linear(3, 2, rng=0), Linear(768, 3072, rng=0)):
        cost = gradient_cost(layer, 7)
        assert cost.backward == 2 * cost.forward
        assert cost.backpropagation == 3 * cost.forward
    assert gradient_cost(layer, 7).forward == 7 * 768 * 3072


def test_the_numbers_the_notebook_quotes():
    cost = gradient_cost(mlp([4, 6, 3], rng=0), 5)
    assert (cost.forward, cost.backward, cost.n_params) == (210, 420, 51)
    assert cost.finite_differences == 102 * cost.forward   # 2 forward passes per parameter
    assert cost.finite_differences / cost.backpropagation == 34  # = 2 · 51 / 3
    assert "= 3.0 forward passes, for all 51 parameters at once" in repr(cost)


def test_refuses_what_it_cannot_count():
    with pytest.raises(TypeError, match="expected Linear layers"):
        gradient_cost(Sequential(Linear(2, 2, rng=0), object()), 3)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        gradient_cost(Sequential(Linear(2, 2, rng=0), ReLU()), 0)
