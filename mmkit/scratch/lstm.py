"""An LSTM from scratch in NumPy, with PyTorch's weights, gate order and names.

    lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)   one step ≙ torch.nn.LSTMCell
        → (h, c, gates)
    LSTMCell(input_size, hidden_size, seed)                      the same with its own weights
                                                                 (`copy_from(torch_cell)`)
    lstm(cell, x, lengths)                                       the cell over a sequence,
        → (outputs, (h_n, c_n), gates)                           ≙ torch.nn.LSTM (one layer,
                                                                 one direction), packed if
                                                                 lengths is given
    last_outputs(outputs, lengths)                               each sequence's output at its
                                                                 last real step

One step, for x (N, in), h and c (N, H); PyTorch stacks the four gates' weights in the
order input, forget, cell (g), output: weight_ih (4H, in), weight_hh (4H, H), biases (4H,).

    z = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, split into four (N, H) parts
    i = σ(z_i)    input gate: how much of the candidate to write
    f = σ(z_f)    forget gate: how much of the old cell to keep
    g = tanh(z_g) candidate: what to write, in (−1, 1)
    o = σ(z_o)    output gate: how much of the cell to show
    c' = f ⊙ c + i ⊙ g        the cell: the memory, updated additively
    h' = o ⊙ tanh(c')         the hidden state: what the next layer (and step) reads
"""

from typing import NamedTuple

import numpy as np

from mmkit.validate import as_float_array, check_count, check_shape, default_rng

GATES = ("input", "forget", "cell", "output")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))  # = 1 / (1 + e^−z), without overflow


class Gates(NamedTuple):
    """The four gates of one step, each (N, H): i, f, o in (0, 1), g in (−1, 1)."""

    input: np.ndarray
    forget: np.ndarray
    cell: np.ndarray
    output: np.ndarray


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, weight_ih: np.ndarray,
              weight_hh: np.ndarray, bias_ih: np.ndarray, bias_hh: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, Gates]:
    """One LSTM step: x (N, in), h, c (N, H), PyTorch's weights (see the module docstring)
    → (h' (N, H), c' (N, H), the gates)."""
    x = check_shape(as_float_array(x, "x"), ("N", None), "x (N, input_size)")
    hidden = check_shape(as_float_array(weight_hh, "weight_hh"), (None, None),
                         "weight_hh (4H, H)").shape[1]
    check_shape(weight_hh, (4 * hidden, hidden), "weight_hh (4H, H)")
    check_shape(as_float_array(weight_ih, "weight_ih"), (4 * hidden, x.shape[1]),
                "weight_ih (4H, input_size)")
    h = check_shape(as_float_array(h, "h"), (len(x), hidden), "h (N, H)")
    c = check_shape(as_float_array(c, "c"), (len(x), hidden), "c (N, H)")
    z = x @ np.asarray(weight_ih).T + bias_ih + h @ np.asarray(weight_hh).T + bias_hh
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    gates = Gates(_sigmoid(z_i), _sigmoid(z_f), np.tanh(z_g), _sigmoid(z_o))
    c_new = gates.forget * c + gates.input * gates.cell
    h_new = gates.output * np.tanh(c_new)
    return h_new, c_new, gates


class LSTMCell:
    """`torch.nn.LSTMCell` in NumPy: weights drawn like PyTorch's (uniform in ±1/√H), or
    copied from a torch cell (`copy_from`); `cell(x, (h, c))` → (h', c'), and `cell.gates`
    holds the last step's gates."""

    def __init__(self, input_size: int, hidden_size: int, seed: int | None = 0):
        self.input_size = check_count(input_size, "input_size", 1)
        self.hidden_size = check_count(hidden_size, "hidden_size", 1)
        rng, bound = default_rng(seed), 1 / np.sqrt(hidden_size)
        four = 4 * hidden_size
        self.weight_ih = rng.uniform(-bound, bound, (four, input_size))
        self.weight_hh = rng.uniform(-bound, bound, (four, hidden_size))
        self.bias_ih = rng.uniform(-bound, bound, four)
        self.bias_hh = rng.uniform(-bound, bound, four)
        self.gates: Gates | None = None

    def copy_from(self, torch_cell) -> "LSTMCell":
        """Take the weights of a `torch.nn.LSTMCell` (or of layer 0, forward direction, of a
        `torch.nn.LSTM`) of the same sizes; returns self."""
        suffix = "_l0" if hasattr(torch_cell, "weight_ih_l0") else ""
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            value = getattr(torch_cell, name + suffix).detach().cpu().double().numpy()
            check_shape(value, getattr(self, name).shape, f"the torch cell's {name}")
            setattr(self, name, value.copy())
        return self

    def __call__(self, x: np.ndarray, state: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """x (N, input_size), state (h, c) each (N, H) (None: zeros) → (h', c')."""
        if state is None:
            zeros = np.zeros((len(x), self.hidden_size))
            state = (zeros, zeros)
        h, c, self.gates = lstm_step(x, *state, self.weight_ih, self.weight_hh,
                                     self.bias_ih, self.bias_hh)
        return h, c


def last_outputs(outputs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """outputs (N, T, H), lengths (N,) in 1..T → (N, H): outputs[n, lengths[n] − 1], each
    sequence's output at its last *real* step (not at T − 1, which is padding for the
    shorter ones)."""
    outputs = check_shape(as_float_array(outputs, "outputs"), ("N", None, None),
                          "outputs (N, T, H)")
    lengths = np.asarray(lengths)
    check_shape(lengths, (len(outputs),), "lengths (N,)")
    if lengths.size and (lengths.min() < 1 or lengths.max() > outputs.shape[1]):
        raise ValueError(f"lengths: expected 1..{outputs.shape[1]} (T), got "
                         f"{lengths.min()}..{lengths.max()}")
    return outputs[np.arange(len(outputs)), lengths.astype(int) - 1]


def lstm(cell: LSTMCell, x: np.ndarray, lengths: np.ndarray | None = None
         ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Gates]:
    """Run `cell` over x (N, T, input_size) from zero states.

    lengths (N,) (None: every sequence is T steps): a sequence's state stops changing after
    its last real step and its outputs there are 0, as with `pack_padded_sequence`, so the
    padding never enters the state. Returns (outputs (N, T, H), (h_n, c_n) each (N, H):
    the state after each sequence's last real step, gates: each (N, T, H)).
    """
    x = check_shape(as_float_array(x, "x"), (None, None, cell.input_size),
                    f"x (N, T, {cell.input_size})")
    n, steps, _ = x.shape
    lengths = np.full(n, steps) if lengths is None else np.asarray(lengths)
    check_shape(lengths, (n,), "lengths (N,)")
    h = c = np.zeros((n, cell.hidden_size))
    outputs = np.zeros((n, steps, cell.hidden_size))
    gates: list[Gates] = []
    for t in range(steps):
        h_new, c_new = cell(x[:, t], (h, c))
        real = (t < lengths)[:, None]
        h, c = np.where(real, h_new, h), np.where(real, c_new, c)
        outputs[:, t] = np.where(real, h_new, 0.0)
        gates.append(cell.gates)
    stacked = Gates(*(np.stack([g[k] for g in gates], axis=1) for k in range(len(GATES))))
    return outputs, (h, c), stacked
