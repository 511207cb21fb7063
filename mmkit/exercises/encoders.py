"""Checks for notebook 11's exercises: a convolution's output size, a convolution written as
a loop, one LSTM step, and each clip's last real frame.

    check_conv_output_size(conv_output_size)    (size, kernel, stride, padding) → one side
    check_conv2d_single(conv2d_single)          image (H, W), kernel (kH, kW) → 'valid' map
    check_lstm_step(lstm_step)                  x, h, c and PyTorch's weights → (h', c')
    check_last_real_frame(last_real_frame)      outputs (N, T, H), lengths (N,) → (N, H)

Each check runs the learner's function on fixed inputs with the kit's own versions switched
off (`@check(kit=...)`: `mmkit.scratch.conv`'s `conv_output_size`, `conv2d`, `max_pool2d`;
`mmkit.scratch.lstm`'s `lstm_step`, `LSTMCell`, `lstm`, `last_outputs`), compares with the
private references of `_reference` (PyTorch: F.conv2d, nn.LSTMCell, torch.gather), and
names the typical mistake when there is one: padding added on one side only or not at all,
the "+ 1" forgotten, no floor; the kernel flipped (a true convolution, not PyTorch's
cross-correlation), the last window left out, zero padding added; σ and tanh swapped, the
forget gate applied to h instead of c, no tanh on the cell, the gates in another order; the
padded last step taken, an index off by one, every clip's frames at every length.
A check returns `Feedback`; it never raises on a wrong answer.
"""

import math
from collections.abc import Callable

import numpy as np

from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    as_numbers,
    attempt,
    check,
    compare_number,
    correct,
    diagnose,
    known_mistake,
    unpack,
    wrong,
)
from mmkit.scratch import conv as scratch_conv
from mmkit.scratch import lstm as scratch_lstm

# --- exercise 1: a convolution's output size ------------------------------------------------

#: The kit's ways to a convolution's output size.
SIZE_KIT = [scratch_conv.conv_output_size, scratch_conv.conv2d, scratch_conv.max_pool2d]
#: (size, kernel, stride, padding): the first tells every mistake apart; the second has a
#: remainder (stride 2), so only the floor is right.
SIZE_CASES = [(8, 3, 1, 2), (8, 3, 2, 1), (28, 3, 1, 1), (14, 2, 2, 0), (10, 5, 3, 2)]


def _size_mistakes(size: int, kernel: int, stride: int, padding: int
                   ) -> list[tuple[object, str]]:
    return [
        ((size + padding - kernel) // stride + 1,
         "You added the padding once: it goes on *both* sides, so the padded length is "
         "size + 2·padding."),
        ((size - kernel) // stride + 1,
         "You left the padding out: the kernel slides over the padded input, size + "
         "2·padding long."),
        ((size + 2 * padding - kernel) // stride,
         "Off by one: count the windows, not the steps between them. The first window sits "
         "at 0, then one more every `stride` pixels: ⌊(size + 2·padding − kernel) / stride⌋ "
         "+ 1."),
        (math.ceil((size + 2 * padding - kernel) / stride) + 1,
         "You rounded up: a last window that sticks out of the padded input is dropped, so "
         "round down (⌊…⌋, `//` in Python)."),
        ((size + 2 * padding - kernel) / stride + 1,
         "Your size is not a whole number: round the division down (⌊…⌋, `//` in Python); a "
         "last window that does not fit is dropped."),
    ]


@check(kit=SIZE_KIT)
def check_conv_output_size(conv_output_size: Callable) -> Feedback:
    """`conv_output_size(size, kernel, stride, padding)` → the number of positions a kernel
    of side `kernel` takes along a side of `size` pixels zero-padded by `padding` on each
    side, moving `stride` pixels at a time (an int)."""
    for size, kernel, stride, padding in SIZE_CASES:
        answer = attempt(conv_output_size, size, kernel, stride, padding)
        expected = _reference.encoders_conv_output_size(size, kernel, stride, padding)
        if answer is not None and np.ndim(answer) == 0 and answer == expected:
            continue
        where = f"size {size}, kernel {kernel}, stride {stride}, padding {padding}"
        problem = known_mistake(answer, _size_mistakes(size, kernel, stride, padding))
        if problem is not None:
            return wrong(f"{problem.message} (For {where}.)")
        return compare_number(answer, expected, f"your size ({where})")
    return correct("Correct! ⌊(size + 2·padding − kernel) / stride⌋ + 1: a 3×3 kernel with "
                   "padding 1 and stride 1 keeps the size (28 → 28), a 2×2 pool with stride 2 "
                   "halves it (28 → 14).")


# --- exercise 2: a convolution as a loop ----------------------------------------------------

#: The kit's ways to a convolution.
CONV_KIT = [scratch_conv.conv2d]


def _conv_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(image (H, W), kernel (kH, kW)): no symmetry in the kernels, so a flip shows."""
    rng = np.random.default_rng(11)
    return [(rng.standard_normal((6, 7)), np.array([[1.0, 2, 0], [0, -1, 3], [-2, 0, 1]])),
            (rng.standard_normal((5, 5)), rng.standard_normal((2, 3)))]


def _conv_mistakes(image: np.ndarray, kernel: np.ndarray) -> list[tuple[object, str]]:
    reference = _reference.encoders_conv2d_single
    kh, kw = kernel.shape
    expected = reference(image, kernel)
    padded = np.pad(image, ((kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2)))
    return [
        (reference(image, kernel[::-1, ::-1]),
         "You flipped the kernel: that is the textbook convolution. PyTorch's conv2d (and "
         "every CNN library) computes a cross-correlation: out[i, j] = Σ_u Σ_v image[i + u, "
         "j + v] · kernel[u, v], the kernel as it is."),
        (expected[:-1, :-1],
         "Your map misses the last row and column of positions: the last window starts at "
         "H − kH (and W − kW), so loop over range(H − kH + 1)."),
        (reference(padded, kernel),
         "You zero-padded the image ('same' size): this exercise asks for no padding, so the "
         "map is (H − kH + 1, W − kW + 1)."),
    ]


@check(kit=CONV_KIT)
def check_conv2d_single(conv2d_single: Callable) -> Feedback:
    """`conv2d_single(image, kernel)` → out (H − kH + 1, W − kW + 1): image (H, W) and
    kernel (kH, kW) float arrays; out[i, j] = Σ_u Σ_v image[i + u, j + v] · kernel[u, v]
    (no padding, stride 1, the kernel not flipped: PyTorch's conv2d)."""
    for image, kernel in _conv_cases():
        answer = attempt(conv2d_single, image.copy(), kernel.copy())
        problem = diagnose(as_numbers(answer), _reference.encoders_conv2d_single(image, kernel),
                           _conv_mistakes(image, kernel),
                           f"your map for a {image.shape} image and a {kernel.shape} kernel",
                           hint="out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum().")
        if problem is not None:
            return problem
    return correct("Correct! Each output pixel is the dot product of the kernel with the "
                   "window under it: the same few weights at every position, which is why a "
                   "conv layer has so few parameters and finds a stroke wherever it is.")


# --- exercise 3: one LSTM step ----------------------------------------------------------------

#: The kit's ways to an LSTM step.
STEP_KIT = [scratch_lstm.lstm_step, scratch_lstm.LSTMCell, scratch_lstm.lstm]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _step_cases() -> list[tuple[np.ndarray, ...]]:
    """(x (N, in), h, c (N, H), weight_ih (4H, in), weight_hh (4H, H), bias_ih, bias_hh)."""
    cases = []
    for seed, (n, d, hidden) in ((3, (2, 3, 4)), (4, (3, 2, 5))):
        rng = np.random.default_rng(seed)
        cases.append((rng.standard_normal((n, d)), rng.standard_normal((n, hidden)),
                      2 * rng.standard_normal((n, hidden)),
                      rng.standard_normal((4 * hidden, d)),
                      rng.standard_normal((4 * hidden, hidden)),
                      rng.standard_normal(4 * hidden), rng.standard_normal(4 * hidden)))
    return cases


def _step(x, h, c, w_ih, w_hh, b_ih, b_hh, order="ifgo", candidate=np.tanh, gate=_sigmoid,
          forget_h=False, cell_tanh=True) -> tuple[np.ndarray, np.ndarray]:
    """One step with the given slips (the default: no slip)."""
    parts = dict(zip(order, np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1),
                     strict=True))
    i, f, g, o = gate(parts["i"]), gate(parts["f"]), candidate(parts["g"]), gate(parts["o"])
    c_new = f * (h if forget_h else c) + i * g
    return o * (np.tanh(c_new) if cell_tanh else c_new), c_new


def _step_mistakes(*case: np.ndarray) -> list[tuple[tuple[np.ndarray, np.ndarray], str]]:
    return [
        (_step(*case, candidate=_sigmoid, gate=np.tanh),
         "You swapped σ and tanh: the gates i, f, o are σ (a fraction in (0, 1): how much "
         "passes), the candidate g is tanh (a value in (−1, 1): what is written)."),
        (_step(*case, candidate=_sigmoid),
         "Your candidate g uses σ: it is tanh(z_g), a value in (−1, 1), so the cell can be "
         "written down as well as up; only i, f and o are σ."),
        (_step(*case, forget_h=True),
         "Your forget gate multiplies h: it acts on the cell, c' = f ⊙ c + i ⊙ g (the cell c "
         "is the memory that runs along the sequence; h is what is shown of it)."),
        (_step(*case, cell_tanh=False),
         "Your h is o ⊙ c': squash the cell first, h' = o ⊙ tanh(c') (c' can grow beyond "
         "±1; h' stays in (−1, 1))."),
        (_step(*case, order="ifog"),
         "Your gates are in another order: PyTorch stacks the rows of weight_ih and "
         "weight_hh as input, forget, cell (g), output, so split z into i, f, g, o."),
    ]


@check(kit=STEP_KIT)
def check_lstm_step(lstm_step: Callable) -> Feedback:
    """`lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)` → (h', c'): one LSTM
    step with PyTorch's weights (gates stacked as input, forget, cell, output); x (N, in),
    h, c (N, H), weight_ih (4H, in), weight_hh (4H, H), biases (4H,), float64 arrays."""
    for case in _step_cases():
        answer = attempt(lstm_step, *(a.copy() for a in case))
        problem = unpack(answer, ("h", "c"))
        if problem is not None:
            return problem
        got = tuple(as_numbers(a) for a in answer)
        expected = _reference.encoders_lstm_step(*case)
        if all(diagnose(g, e) is None for g, e in zip(got, expected, strict=True)):
            continue
        for (h_wrong, c_wrong), message in _step_mistakes(*case):
            if diagnose(got[0], h_wrong) is None and diagnose(got[1], c_wrong) is None:
                return wrong(message)
        for name, g, e in zip(("h'", "c'"), got, expected, strict=True):
            problem = diagnose(g, e, (), f"your {name} (N = {len(case[0])})",
                               hint="z = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh → i, f, g, o; "
                                    "c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').")
            if problem is not None:
                return problem
    return correct("Correct! That is torch.nn.LSTMCell: three σ gates and a tanh candidate; "
                   "the cell is updated by adding (c' = f ⊙ c + i ⊙ g), which lets a "
                   "gradient run along many steps without vanishing.")


# --- exercise 4: the last real frame -------------------------------------------------------------

#: The kit's ways to each sequence's last real output.
LAST_KIT = [scratch_lstm.last_outputs, scratch_lstm.lstm]


def _last_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(outputs (N, T, H), lengths (N,)): the first with every length < T."""
    rng = np.random.default_rng(5)
    return [(rng.standard_normal((4, 7, 3)), np.array([3, 6, 1, 5])),
            (rng.standard_normal((3, 5, 2)), np.array([5, 2, 4]))]


def _last_mistakes(outputs: np.ndarray, lengths: np.ndarray) -> list[tuple[object, str]]:
    rows = np.arange(len(outputs))
    return [
        (outputs[:, -1],
         "You took the last step, outputs[:, −1]: for every clip shorter than T that is the "
         "LSTM's output after reading padding (here, noise). Take step lengths[n] − 1 of "
         "row n."),
        (outputs[rows, np.minimum(lengths, outputs.shape[1] - 1)],
         "Off by one: a clip of length L has its last real frame at index L − 1 (indices "
         "start at 0)."),
        (outputs[:, lengths - 1],
         "outputs[:, lengths − 1] takes every clip's frames at every clip's length, (N, N, "
         "H): index the rows and the steps together, outputs[np.arange(N), lengths − 1]."),
    ]


@check(kit=LAST_KIT)
def check_last_real_frame(last_real_frame: Callable) -> Feedback:
    """`last_real_frame(outputs, lengths)` → (N, H): outputs (N, T, H) of an LSTM run over
    padded clips, lengths (N,) the real frames of each (1..T); row n is outputs[n,
    lengths[n] − 1]."""
    for outputs, lengths in _last_cases():
        answer = attempt(last_real_frame, outputs.copy(), lengths.copy())
        problem = diagnose(as_numbers(answer),
                           _reference.encoders_last_real_frame(outputs, lengths),
                           _last_mistakes(outputs, lengths),
                           f"your frames for outputs of shape {outputs.shape}",
                           hint="row n: outputs[n, lengths[n] − 1], shape (N, H).")
        if problem is not None:
            return problem
    return correct("Correct! Each clip's features come from its own last frame, so the "
                   "padding after it cannot change them: what packing does for you, and "
                   "what reading outputs[:, −1] silently gets wrong.")
