"""The optimizer test surfaces: gradients against autograd, paths against torch.optim."""

import numpy as np
import pytest
import torch

from mmkit.scratch.surfaces import (
    BOWL_CURVATURES,
    SURFACES,
    bowl_gd_factors,
    exit_step,
    path_losses,
    trajectory,
)

# --------------------------------------------------------------------------- surfaces

@pytest.mark.parametrize("name", list(SURFACES))
def test_gradients_match_autograd(name):
    surface = SURFACES[name]
    for point in ([0.3, -0.7], [-1.2, 1.0], [1.5, 0.2]):
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        surface.function(p[0], p[1]).backward()
        np.testing.assert_allclose(surface.gradient(np.array(point)), p.grad.numpy(),
                                   rtol=1e-12, atol=1e-12)
        assert surface.value(np.array(point)) == pytest.approx(float(surface.function(*point)))


def test_minima_are_where_the_gradient_vanishes():
    for surface in SURFACES.values():
        if surface.minimum is not None:
            np.testing.assert_allclose(surface.gradient(np.array(surface.minimum)), 0)
            assert surface.floor() == 0.0
    assert SURFACES["saddle"].floor() == -np.inf


def test_contains_points_and_paths():
    bowl = SURFACES["bowl"]
    assert bowl.contains(np.array([0.0, 0.0])) is True
    assert bowl.contains(np.array([0.0, 3.0])) is False
    np.testing.assert_array_equal(bowl.contains(np.array([[0, 0], [5, 0]])), [True, False])


def test_a_point_must_have_two_coordinates():
    with pytest.raises(ValueError, match=r"expected a point of shape \(2,\), got shape \(3,\)"):
        SURFACES["bowl"].gradient(np.zeros(3))


# --------------------------------------------------------------------------- trajectories

def test_gd_trajectory_is_the_textbook_update():
    bowl = SURFACES["bowl"]
    path = trajectory("GD", "bowl", steps=5, lr=0.05)
    assert path.shape == (6, 2)
    np.testing.assert_array_equal(path[0], bowl.start)
    expected = np.array(bowl.start)
    for row in path[1:]:
        expected = expected - 0.05 * bowl.gradient(expected)
        np.testing.assert_allclose(row, expected)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.001, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.3}),
    ("RMSprop", {"lr": 0.01}),
    ("Adam", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
])
def test_trajectories_match_torch_optim(name, kwargs):
    rosenbrock = SURFACES["rosenbrock"]
    ours = trajectory(name, rosenbrock, 30, **kwargs)
    p = torch.tensor(rosenbrock.start, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, name)([p], **kwargs)
    theirs = [p.detach().numpy().copy()]
    for _ in range(30):
        optimizer.zero_grad()
        rosenbrock.function(p[0], p[1]).backward()
        optimizer.step()
        theirs.append(p.detach().numpy().copy())
    np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-10, atol=1e-12)


def test_a_path_that_leaves_the_box_stops_there():
    path = trajectory("GD", "saddle", 100, lr=0.1)
    left = exit_step(path, "saddle")
    assert left is not None and 0 < left < 100
    assert not SURFACES["saddle"].contains(path[left])
    assert SURFACES["saddle"].contains(path[left - 1])
    assert (path[left:] == path[left]).all()


def test_a_diverging_learning_rate_leaves_the_bowl_without_overflow():
    with np.errstate(all="raise"):
        path = trajectory("GD", "bowl", 200, lr=0.5)
    assert exit_step(path, "bowl") == 1
    assert np.isfinite(path).all()


def test_start_on_the_saddle_axis_stays_on_it_with_gd():
    path = trajectory("GD", "saddle", 60, start=(-1.8, 0.0), lr=0.1)
    assert exit_step(path, "saddle") is None and (path[:, 1] == 0).all()


def test_trajectory_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"optimizer must be one of .*'Adam'.*; got 'Adamm'"):
        trajectory("Adamm", "bowl", 3, lr=0.1)
    with pytest.raises(ValueError, match=r"surface must be one of .*; got 'bowel'"):
        trajectory("GD", "bowel", 3, lr=0.1)
    with pytest.raises(ValueError, match="steps must be an int >= 0, got -1"):
        trajectory("GD", "bowl", -1, lr=0.1)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        trajectory("GD", "bowl", 3, lr=0.0)


def test_path_losses_are_f_along_the_path():
    path = trajectory("GD", "bowl", 3, lr=0.05)
    np.testing.assert_allclose(path_losses(path, "bowl"),
                               [SURFACES["bowl"].value(point) for point in path])


# --------------------------------------------------------------------------- facts of notebook 04

def test_gd_multiplies_the_bowls_coordinates_by_its_factors():
    for lr in (0.01, 0.03, 0.09, 2 / 21):  # not 0.05: y would be 0 after one step
        path = trajectory("GD", "bowl", 5, lr=lr)
        np.testing.assert_allclose(path[1:] / path[:-1], np.tile(bowl_gd_factors(lr), (5, 1)))


def test_stable_gd_shrinks_x_by_at_most_ten_percent_a_step():
    """The notebook: stable only for η < 2/20, and then x shrinks by *at most* 10% a step;
    the best η, 2/21, shrinks both x and y by the factor 0.905 and no faster."""
    lrs = np.linspace(1e-4, 0.1, 2001)
    factors = np.abs(np.array([bowl_gd_factors(lr) for lr in lrs]))
    stable = factors.max(axis=1) < 1
    assert lrs[stable].max() < 2 / BOWL_CURVATURES[1] <= lrs[~stable].min()
    assert (factors[stable, 0] > 0.9).all()  # x: at most 10% per step
    slowest = factors.max(axis=1)
    assert slowest.min() == pytest.approx(19 / 21, abs=1e-3)
    assert lrs[slowest.argmin()] == pytest.approx(2 / 21, abs=1e-4)
    assert round(19 / 21, 3) == 0.905
