"""Smaller models for limited compute: quantisation and pruning, and what each costs.

    small = quantize(model)                  # int8 weights in every Linear and LSTM layer
    sparse = prune_global(model, 0.5)        # the smallest half of the weights set to 0
    measure(model, batch)                    # size on disk, parameters, latency per batch

Both return a new model and leave the one given untouched, so the float model stays
available to compare with.

**Dynamic quantisation** (`torch.ao.quantization.quantize_dynamic`): each weight matrix of
a Linear or LSTM layer is stored as 8-bit integers with one float scale, w ≈ scale · q,
q in [−128, 127]: a quarter of float32's bytes. The activations are quantised on the
fly, batch by batch, so nothing needs calibrating. PyTorch now marks this API (and its
quantised tensors) as deprecated: quantisation moves to the separate `torchao` package
(`torchao.quantization.quantize_`), which is not in the kit's stack; the idea and the
numbers are the same. The deprecation warnings are silenced here, by their text, and
nowhere else.

**Magnitude pruning** (`torch.nn.utils.prune.global_unstructured` with the L1 norm):
the weights with the smallest |w| over all the chosen layers together (global), one by
one (unstructured), are set to 0 and stay 0. Zeros only save space or time with sparse
storage or kernels; what pruning shows here is how many weights a model can lose.
"""

import copy
import io
import statistics
import time
import warnings
from collections.abc import Mapping

import torch
from torch import nn
from torch.nn.utils import prune

#: The layers whose weights `quantize` stores as int8.
QUANTIZED_LAYERS = (nn.Linear, nn.LSTM)
#: The layers whose weights `prune_global` prunes (biases are kept).
PRUNED_LAYERS = (nn.Linear, nn.Conv2d, nn.Embedding)


def quantize(model: nn.Module) -> nn.Module:
    """A copy of `model` with int8 weights in its Linear and LSTM layers (dynamic
    quantisation), in eval mode; for inference on the CPU."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*(deprecat|quantiz).*",
                                category=UserWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        quantized = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model).eval(), set(QUANTIZED_LAYERS), dtype=torch.qint8)
    return quantized


def _prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    return [(module, "weight") for module in model.modules()
            if isinstance(module, PRUNED_LAYERS) and module.weight.requires_grad]


def prune_global(model: nn.Module, sparsity: float) -> nn.Module:
    """A copy of `model` whose Linear, Conv2d and Embedding weights (trainable ones only)
    have the share `sparsity` of smallest |w|, counted over all of them together, set to 0
    permanently (`prune.remove` applied: plain weights again, no mask left behind)."""
    if not 0 <= sparsity < 1:
        raise ValueError(f"prune_global: sparsity must be a share in [0, 1), got {sparsity!r}")
    pruned = copy.deepcopy(model)
    parameters = _prunable(pruned)
    if not parameters:
        raise ValueError(f"prune_global: {type(model).__name__} has no trainable Linear, "
                         f"Conv2d or Embedding weights to prune")
    if sparsity > 0:
        prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured,
                                  amount=float(sparsity))
        for module, name in parameters:
            prune.remove(module, name)
    return pruned


def weight_sparsity(model: nn.Module) -> float:
    """The share of exact zeros among the weights `prune_global` would prune."""
    weights = [module.weight.detach() for module, _ in _prunable(model)]
    total = sum(w.numel() for w in weights)
    return sum(int((w == 0).sum()) for w in weights) / total if total else 0.0


def size_on_disk(model: nn.Module) -> int:
    """Bytes of `torch.save(model.state_dict())`: what storing the weights costs."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def num_parameters(model: nn.Module) -> int:
    """Numbers the model holds: its parameters, and for a quantised layer its packed int8
    weights (which are no longer parameters) counted as the float weights they replace."""
    count = sum(p.numel() for p in model.parameters())
    for module in model.modules():
        if type(module).__module__.startswith("torch.ao.nn.quantized"):
            if hasattr(module, "weight") and callable(module.weight):   # quantised Linear
                weight, bias = module.weight(), module.bias()
                count += weight.numel() + (bias.numel() if bias is not None else 0)
            elif hasattr(module, "_all_weight_values"):                  # quantised LSTM
                for packed in module._all_weight_values:
                    count += sum(t.numel() for t in packed.param.__getstate__()[0][1]
                                 if isinstance(t, torch.Tensor))
    return count


def latency_ms(model: nn.Module, batch: object, repeats: int = 20, warmup: int = 3) -> float:
    """The median wall time of `model(batch)` in milliseconds, without gradients, after
    `warmup` calls that are not timed (the first calls allocate memory and pick kernels:
    timing them measures the start-up, not the model)."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"latency_ms: expected repeats ≥ 1 and warmup ≥ 0, got {repeats} "
                         f"and {warmup}")
    model.eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            model(batch)
            if i >= warmup:
                times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def measure(model: nn.Module, batch: object, repeats: int = 20) -> Mapping[str, float]:
    """{"size_kb": `size_on_disk` / 1000, "parameters": `num_parameters`, "latency_ms":
    `latency_ms` of one call on `batch`}: the three costs a smaller model is meant to cut
    (its accuracy, the fourth, is the caller's to measure on its own split)."""
    return {"size_kb": size_on_disk(model) / 1000, "parameters": num_parameters(model),
            "latency_ms": latency_ms(model, batch, repeats)}
