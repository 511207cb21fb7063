"""Checks for notebook 09's exercises: counting a block, Adam's memory, training compute.

    check_block_parameters(block_parameters)      one GPT block of width C: 12C² + 13C
    check_adam_memory(adam_memory)                bytes to train with Adam: 4 values a weight
    check_training_flops(training_flops)          ≈ 6 · N · T

Each check runs the learner's function with the kit's own versions switched off
(`@check(kit=...)`: `mmkit.models.scale`'s counts, the GPT's modules, the widget's
report), compares with the private references of `_reference` (PyTorch's own
`nn.TransformerEncoderLayer` counted, the bytes `torch.optim.Adam` allocates, the FLOPs
`FlopCounterMode` counts), and names the typical mistake when there is one: biases or
layer norms forgotten, the MLP not widened, the gradients or a moment of Adam left out,
the forward pass alone counted. A check returns `Feedback`; it never raises on a wrong
answer.
"""

from collections.abc import Callable

from mmkit.demos import scale as demos
from mmkit.exercises import _reference
from mmkit.exercises.feedback import Feedback, attempt, check, correct, diagnose
from mmkit.models import attention, scale, transformer

# --- exercise 1: the parameters of one block ----------------------------------------------------

#: The kit's ways to count a block.
BLOCK_KIT = [scale.gpt_parameters, scale.parameter_breakdown, scale.bert_parameters,
             transformer.Block, transformer.MLP, transformer.GPT, attention.MultiHeadAttention,
             demos.size_report]


def _block_mistakes(C: int) -> list[tuple[int, str]]:
    return [
        (12 * C * C, "You counted the weight matrices only (12C²): every linear layer also "
                     "has a bias (C for each of Q, K, V and the output, 4C and C in the "
                     "MLP), and each layer norm a scale and a shift."),
        (12 * C * C + 9 * C, "You left out the two layer norms: each has a scale and a shift "
                             "of C numbers, 4C in all."),
        (12 * C * C + 4 * C, "You left out the biases: 4C in attention (Q, K, V and the "
                             "output projection) and 4C + C in the MLP."),
        (12 * C * C + 11 * C, "Each layer norm has two vectors of C numbers, a scale "
                              "(weight) and a shift (bias): 4C for the two, not 2C."),
        (6 * C * C + 10 * C, "Your MLP keeps the width C: GPT's MLP widens to 4C features "
                             "and back, C × 4C + 4C × C = 8C² weights."),
        (11 * C * C + 12 * C, "You left out attention's output projection, C × C weights and "
                              "C biases: attention has four C × C matrices (Q, K, V, output)."),
    ]


@check(kit=BLOCK_KIT)
def check_block_parameters(block_parameters: Callable) -> Feedback:
    """`block_parameters(n_embd)` → the number of parameters of one GPT block of width
    C = n_embd: layer norm, attention (Q, K, V, output: C × C and a bias each), layer norm,
    MLP C → 4C → C with biases."""
    for C in (10, 48, 768):
        answer = attempt(block_parameters, C)
        expected = _reference.scale_block_parameters(C)
        problem = diagnose(answer, expected, _block_mistakes(C), f"your count for C = {C}",
                           hint="Count each part: 2 layer norms, 4 attention matrices with "
                                "biases, the MLP's two layers with biases.")
        if problem is not None:
            return problem
    return correct("Correct! 12C² + 13C: attention 4C² + 4C, MLP 8C² + 5C, layer norms 4C. "
                   "At C = 768 (GPT-2 small) one block holds 7.1 M parameters, two thirds "
                   "of them in the MLP.")


# --- exercise 2: the memory of training with Adam ----------------------------------------------

#: The kit's ways to the memory of training.
MEMORY_KIT = [scale.training_memory, demos.size_report]


def _memory_mistakes(n: int, b: int) -> list[tuple[int, str]]:
    return [
        (b * n, "That is the weights alone: training also keeps a gradient for every "
                "weight, and Adam two moving averages (m and v)."),
        (2 * b * n, "Weights and gradients, but Adam's states are missing: it keeps two "
                    "numbers per weight, the moving averages m and v."),
        (3 * b * n, "One value per weight short: either the gradients or one of Adam's two "
                    "moments (m and v) is missing. Per weight: the weight, its gradient, m "
                    "and v, 4 values."),
        (16 * n, "You ignored bytes_per_value: each of the 4 values per weight takes "
                 "bytes_per_value bytes, not always 4."),
        (8 * 4 * b * n, "You counted bits: a byte is 8 bits, and bytes_per_value is already "
                        "in bytes."),
    ]


@check(kit=MEMORY_KIT)
def check_adam_memory(adam_memory: Callable) -> Feedback:
    """`adam_memory(parameters, bytes_per_value)` → the bytes that training a model of that
    many parameters with Adam holds: weights, gradients and Adam's states (activations not
    counted)."""
    for n, b in ((1000, 4), (250, 2), (37, 8)):
        answer = attempt(adam_memory, n, b)
        expected = _reference.scale_adam_training_bytes(n, b)
        problem = diagnose(answer, expected, _memory_mistakes(n, b),
                           f"your bytes for {n} parameters of {b} bytes",
                           hint="Count the values kept per weight, then multiply.")
        if problem is not None:
            return problem
    return correct("Correct! 4 values per weight (the weight, its gradient, Adam's m and v): "
                   "16 bytes per parameter in 32-bit floats, what torch.optim.Adam "
                   "allocates.")


# --- exercise 3: the compute of training ---------------------------------------------------------

#: The kit's ways to training compute.
FLOPS_KIT = [scale.training_flops, demos.size_report]


def _flops_mistakes(n: int, t: int) -> list[tuple[int, str]]:
    return [
        (2 * n * t, "That is the forward pass alone (a multiply and an add per weight and "
                    "token): the backward pass costs twice as much, so 6 N T in all."),
        (4 * n * t, "That is the backward pass alone: add the forward pass (2 N T)."),
        (3 * n * t, "You counted a multiply-add as one operation: FLOPs count the multiply "
                    "and the add separately, 2 per weight and token forward, 4 backward."),
        (n * t, "One operation per weight and token is too few: forward 2 (multiply and "
                "add), backward 4 (the gradients of the input and of the weight)."),
    ]


@check(kit=FLOPS_KIT)
def check_training_flops(training_flops: Callable) -> Feedback:
    """`training_flops(parameters, tokens)` → the floating-point operations of training a
    model of N parameters on T tokens (forward and backward passes), by the usual rule."""
    for n, t in ((1000, 50), (12, 7), (300, 1)):
        answer = attempt(training_flops, n, t)
        expected = _reference.scale_training_flops(n, t)
        problem = diagnose(answer, expected, _flops_mistakes(n, t),
                           f"your FLOPs for N = {n}, T = {t}",
                           hint="Count the forward pass and the backward pass per weight and "
                                "token.")
        if problem is not None:
            return problem
    return correct("Correct! 6 N T: 2 forward, 4 backward per weight and token, what "
                   "PyTorch's FlopCounterMode counts for a linear layer.")
