"""Test surfaces for optimizers: 2-D losses f(x, y) on which every step can be drawn.

On a surface a "model" is one `Parameter` of shape (2,), the point (x, y); its
gradient is (∂f/∂x, ∂f/∂y). `trajectory` runs a real optimizer from
`mmkit.scratch.optim` on it and returns the path, so what notebook 04 draws is
exactly what those classes do on a network.

    SURFACES       "bowl" (ill-conditioned), "rosenbrock" (curved valley), "saddle"
    bowl_gd_factors  what one GD step multiplies the bowl's x and y by
    trajectory     the points an optimizer visits, (steps + 1, 2)
    exit_step      where a path left the plotting box (diverged), or None
    path_losses    f along a path, (steps + 1,)
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmkit.scratch.layers import Parameter
from mmkit.scratch.optim import OPTIMIZERS
from mmkit.validate import check_count, lookup

BOWL_CURVATURES = (1.0, 20.0)
"""The bowl's curvatures along x and y (its Hessian's eigenvalues): a condition number of 20."""


def bowl(x: Any, y: Any) -> Any:
    """f = ½(x² + 20y²): a long, narrow valley along x. Floats, arrays or torch tensors."""
    a, b = BOWL_CURVATURES
    return 0.5 * (a * x**2 + b * y**2)


def bowl_gradient(x: float, y: float) -> tuple[float, float]:
    """(∂f/∂x, ∂f/∂y) = (x, 20y)."""
    a, b = BOWL_CURVATURES
    return a * x, b * y


def bowl_gd_factors(lr: float) -> np.ndarray:
    """What one GD step multiplies x and y by on the bowl: (1 − η·1, 1 − η·20), shape (2,).

    p ← p − η∇f = (x − ηx, y − 20ηy). GD converges iff both factors lie in (−1, 1),
    i.e. 0 < η < 2/20 = 0.1; then x's factor 1 − η is above 0.9, so x shrinks by at
    most 10% per step. The slowest of the two is smallest at η = 2/21: 19/21 ≈ 0.905.
    """
    return 1 - lr * np.asarray(BOWL_CURVATURES)


def rosenbrock(x: Any, y: Any) -> Any:
    """f = (1 − x)² + 100(y − x²)²: a curved, flat-bottomed valley; minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_gradient(x: float, y: float) -> tuple[float, float]:
    """(∂f/∂x, ∂f/∂y) = (−2(1 − x) − 400x(y − x²), 200(y − x²))."""
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def saddle(x: Any, y: Any) -> Any:
    """f = x² − y²: downhill towards x = 0, but also downhill away from y = 0; no minimum."""
    return x**2 - y**2


def saddle_gradient(x: float, y: float) -> tuple[float, float]:
    """(∂f/∂x, ∂f/∂y) = (2x, −2y): zero at the saddle point (0, 0)."""
    return 2 * x, -2 * y


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface, the box it is drawn in, and where the optimizers start.

    function(x, y) and partials(x, y) take floats (the function also NumPy arrays
    of any shape and torch tensors); `value` and `gradient` take a point of shape (2,).
    minimum: the lowest point, or None if f is unbounded below (the saddle).
    """

    name: str
    title: str
    function: Callable[[Any, Any], Any]
    partials: Callable[[float, float], tuple[float, float]]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minimum: tuple[float, float] | None
    steps: int

    def value(self, point: np.ndarray) -> float:
        """f at a point of shape (2,)."""
        x, y = _point(point)
        return float(self.function(x, y))

    def gradient(self, point: np.ndarray) -> np.ndarray:
        """∇f at a point of shape (2,) → array of shape (2,)."""
        x, y = _point(point)
        return np.array(self.partials(x, y), dtype=float)

    def contains(self, points: np.ndarray) -> np.ndarray | bool:
        """Whether each point lies in the plotting box: (2,) → bool, (N, 2) → (N,) bools."""
        points = np.asarray(points, dtype=float)
        x, y = points[..., 0], points[..., 1]
        inside = ((self.xlim[0] <= x) & (x <= self.xlim[1])
                  & (self.ylim[0] <= y) & (y <= self.ylim[1]))
        return bool(inside) if inside.ndim == 0 else inside

    def floor(self) -> float:
        """The lowest value of f (at `minimum`), or −inf if it has none."""
        return -np.inf if self.minimum is None else float(self.function(*self.minimum))


def _point(point: np.ndarray) -> tuple[float, float]:
    point = np.asarray(point, dtype=float)
    if point.shape != (2,):
        raise ValueError(f"expected a point of shape (2,), got shape {point.shape}")
    return float(point[0]), float(point[1])


SURFACES: dict[str, Surface] = {
    "bowl": Surface("bowl", "ill-conditioned bowl: ½x² + 10y²", bowl, bowl_gradient,
                    start=(-4.0, 1.5), xlim=(-4.5, 4.5), ylim=(-2.0, 2.0), minimum=(0.0, 0.0),
                    steps=60),
    "rosenbrock": Surface("rosenbrock", "Rosenbrock: (1 − x)² + 100(y − x²)²", rosenbrock,
                          rosenbrock_gradient, start=(-1.2, 1.0), xlim=(-2.0, 2.0),
                          ylim=(-1.0, 3.0), minimum=(1.0, 1.0), steps=500),
    "saddle": Surface("saddle", "saddle: x² − y²", saddle, saddle_gradient,
                      start=(-1.8, 0.001), xlim=(-2.0, 2.0), ylim=(-2.0, 2.0), minimum=None,
                      steps=60),
}
"""The three surfaces of the notebook, by name."""


def get_surface(surface: str | Surface) -> Surface:
    """A `Surface` from itself or its name in `SURFACES`."""
    if isinstance(surface, Surface):
        return surface
    return lookup(surface, SURFACES, "surface")


def trajectory(optimizer_name: str, surface: str | Surface, steps: int | None = None,
               start: Sequence[float] | None = None, **hyperparams: Any) -> np.ndarray:
    """Run `OPTIMIZERS[optimizer_name]` on a surface; return the visited points, (steps + 1, 2).

    The point (x, y) is one `Parameter` of shape (2,); each step sets its
    gradient to ∇f and calls the optimizer's real `step()`. Row 0 is the start
    (the surface's, unless `start` is given), row t the point after t steps. A
    path that leaves the plotting box (diverging, or sliding off the saddle)
    stops there: the remaining rows repeat the first point outside the box
    (see `exit_step`). steps: the surface's default if None.
    """
    surface = get_surface(surface)
    optimizer_class = lookup(optimizer_name, OPTIMIZERS, "optimizer")
    steps = check_count(surface.steps if steps is None else steps, "steps")
    point = Parameter(np.array(surface.start if start is None else start, dtype=float))
    if point.shape != (2,):
        raise ValueError(f"start: expected a point of shape (2,), got shape {point.shape}")
    optimizer = optimizer_class([point], **hyperparams)
    path = np.empty((steps + 1, 2))
    path[0] = point.data
    for t in range(1, steps + 1):
        optimizer.zero_grad()
        point.grad += surface.gradient(point.data)
        optimizer.step()
        path[t] = point.data
        if not surface.contains(point.data):
            path[t + 1:] = point.data
            break
    return path


def exit_step(path: np.ndarray, surface: str | Surface) -> int | None:
    """The first step whose point lies outside the surface's box, or None. path: (T, 2)."""
    outside = ~get_surface(surface).contains(path)
    return int(np.argmax(outside)) if outside.any() else None


def path_losses(path: np.ndarray, surface: str | Surface) -> np.ndarray:
    """f at every point of a path: (T, 2) → (T,)."""
    path = np.asarray(path, dtype=float)
    return np.asarray(get_surface(surface).function(path[:, 0], path[:, 1]), dtype=float)
