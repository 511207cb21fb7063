"""mmkit.scratch.lstm against PyTorch: lstm_step and LSTMCell ≙ torch.nn.LSTMCell, lstm ≙
torch.nn.LSTM (packed and not), with the weights copied."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mmkit.scratch.lstm import GATES, LSTMCell, last_outputs, lstm, lstm_step


def torch_cell(input_size=5, hidden=4, seed=0):
    torch.manual_seed(seed)
    return torch.nn.LSTMCell(input_size, hidden).double()


def test_lstm_step_equals_torch_lstm_cell():
    cell = torch_cell()
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((3, 5)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    h_t, c_t = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    weights = [getattr(cell, n).detach().numpy() for n in
               ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    h_new, c_new, gates = lstm_step(x, h, c, *weights)
    np.testing.assert_allclose(h_new, h_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_new, c_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert gates._fields == GATES
    for name in ("input", "forget", "output"):
        assert ((getattr(gates, name) > 0) & (getattr(gates, name) < 1)).all()
    assert (np.abs(gates.cell) < 1).all()
    np.testing.assert_allclose(c_new, gates.forget * c + gates.input * gates.cell)


def test_lstm_cell_copies_torch_and_starts_from_zeros():
    ours = LSTMCell(5, 4).copy_from(torch_cell())
    x = np.random.default_rng(1).standard_normal((2, 5))
    h, c = ours(x)
    h_t, c_t = torch_cell()(torch.tensor(x))
    np.testing.assert_allclose(h, h_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c, c_t.detach().numpy(), atol=1e-12)
    assert ours.gates.forget.shape == (2, 4)


def test_lstm_cell_draws_weights_like_torch():
    cell = LSTMCell(3, 16, seed=0)
    assert cell.weight_ih.shape == (64, 3) and cell.weight_hh.shape == (64, 16)
    assert np.abs(cell.weight_hh).max() <= 1 / 4


@pytest.mark.parametrize("packed", [False, True])
def test_lstm_over_a_sequence_equals_torch_lstm(packed):
    torch.manual_seed(0)
    net = torch.nn.LSTM(3, 4, batch_first=True).double()
    x = np.random.default_rng(2).standard_normal((3, 6, 3))
    lengths = np.array([6, 2, 4])
    if packed:
        out_t, (h_t, c_t) = net(pack_padded_sequence(torch.tensor(x), torch.tensor(lengths),
                                                     batch_first=True, enforce_sorted=False))
        out_t, _ = pad_packed_sequence(out_t, batch_first=True, total_length=6)
    else:
        out_t, (h_t, c_t) = net(torch.tensor(x))
    outputs, (h, c), gates = lstm(LSTMCell(3, 4).copy_from(net), x,
                                  lengths if packed else None)
    np.testing.assert_allclose(outputs, out_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(h, h_t[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c, c_t[0].detach().numpy(), atol=1e-12)
    assert gates.input.shape == (3, 6, 4)
    if packed:
        np.testing.assert_allclose(last_outputs(outputs, lengths), h, atol=1e-12)


def test_padding_changes_the_final_state_unless_packed():
    cell = LSTMCell(2, 3, seed=1)
    clip = np.random.default_rng(3).standard_normal((4, 2))
    noise = np.random.default_rng(4).standard_normal((1, 8, 2))
    padded = [np.concatenate([clip[None], noise[:, :k]], axis=1) for k in (0, 3, 8)]
    unpacked = [lstm(cell, p)[1][0] for p in padded]
    packed = [lstm(cell, p, np.array([4]))[1][0] for p in padded]
    assert not np.allclose(unpacked[0], unpacked[2])
    for state in packed:
        np.testing.assert_allclose(state, unpacked[0], atol=1e-15)


def test_last_outputs_picks_the_last_real_step_and_checks_lengths():
    outputs = np.arange(24.0).reshape(2, 4, 3)
    np.testing.assert_array_equal(last_outputs(outputs, [2, 4]), [outputs[0, 1], outputs[1, 3]])
    with pytest.raises(ValueError, match=r"lengths: expected 1..4"):
        last_outputs(outputs, [0, 4])
    with pytest.raises(ValueError, match=r"weight_ih \(4H, input_size\)"):
        lstm_step(np.zeros((1, 2)), np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((12, 5)),
                  np.zeros((12, 3)), np.zeros(12), np.zeros(12))
