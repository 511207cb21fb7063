"""Notebook 02's pictures and widget: the backward pass on a graph, checks, a training step.

Backpropagation itself lives in `mmkit.scratch` (`autograd.Tensor.backward`,
`Linear.backward`, ..., `gradcheck`); this module only shows it:

    draw_graph               any autograd graph as boxes and arrows, grads included
    neuron_graph             the tiny neuron L = (σ(w·x + b) − y)² as a labelled graph,
                             optionally with an L2 penalty + λ·w² (then w is used twice)
    local_derivative         ∂(a node)/∂(one of its inputs), for a graph of scalars
    chain_rule_step          "∂L/∂z = ∂L/∂ŷ · ∂ŷ/∂z = ..." for the node just reached,
                             a sum over its users when it was used more than once
    backward_state           a fresh penalised graph, run `step` nodes into its backward pass
    plot_backward_step       that state drawn, the current node highlighted
    backward_widget          the same, with sliders for the step and for x, w, b, y, λ
    difference_errors        error of forward and centred differences against the exact slope
    plot_difference_errors   the same, against the step h, on log-log axes
    read_relative_error      what a gradient check's relative error says, in words
    gradcheck_table          a `check_module` report, one verdict per array
    plot_losses              a training loss, step by step

All tensors of the neuron are scalars (shape ()).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from mmkit.scratch.autograd import Tensor, backward_steps, topological_order
from mmkit.scratch.gradcheck import GradCheck
from mmkit.scratch.layers import sigmoid
from mmkit.validate import check_count

#: The numbers of the neuron used throughout notebook 02: input, weight, bias, target.
NEURON = {"x": 1.5, "w": 0.8, "b": -0.5, "y": 1.0}
#: λ of the L2 penalty λ·w² that notebook 02 adds in section 4, so that w is used twice.
PENALTY = 0.1
#: Graph boxes and titles are drawn with this font size (10 pt: readable on a laptop).
GRAPH_FONTSIZE = 10
GRAPH_FIGSIZE = (9.0, 3.3)
#: The penalised graph has three rows of boxes and a two-line title: a little taller.
PENALIZED_FIGSIZE = (9.0, 3.6)
#: Where each node of the penalised graph is drawn (column, row): the squared error on top,
#: the penalty p = λ·w² below, so that no arrow crosses a box.
PENALIZED_LAYOUT = {"x": (0, 1), "wx": (1, 1), "z": (2, 1), "y_hat": (3, 1), "e": (4, 1),
                    "s": (5, 1), "w": (0, 0), "b": (1, 0), "y": (3, 0), "lam": (4, 0),
                    "L": (6, 0), "q": (1, -1), "p": (5, -1)}


def neuron_graph(x: float = NEURON["x"], w: float = NEURON["w"], b: float = NEURON["b"],
                 y: float = NEURON["y"], penalty: float | None = None) -> dict[str, Tensor]:
    """The computational graph of L = (σ(w·x + b) − y)², every node labelled.

    Returns scalar tensors (shape ()) by name: the leaves "x", "y" (data) and
    "w", "b" (requires_grad), and the intermediate results "wx" = w·x,
    "z" = wx + b, "y_hat" = σ(z) (label ŷ), "e" = ŷ − y and "L" = e².

    With a `penalty` λ (a number, 0 included) the loss gains an L2 penalty,
    L = s + p with s = e² and p = λ·q, q = w²: w feeds two ops, wx and q, so
    its gradient is the sum of two contributions. Then there are also the
    nodes "s", "q", "p" and the data leaf "lam" (label λ).
    """
    values = {"x": x, "w": w, "b": b, "y": y}
    if penalty is not None:
        values["penalty"] = penalty
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
            raise TypeError(f"neuron_graph: {name} must be a number, got {type(value).__name__}")
    nodes = {"x": Tensor(float(x), label="x"), "w": Tensor(float(w), True, "w"),
             "b": Tensor(float(b), True, "b"), "y": Tensor(float(y), label="y")}
    nodes["wx"] = nodes["w"] * nodes["x"]
    nodes["z"] = nodes["wx"] + nodes["b"]
    nodes["y_hat"] = nodes["z"].sigmoid()
    nodes["e"] = nodes["y_hat"] - nodes["y"]
    if penalty is None:
        nodes["L"] = nodes["e"] ** 2
    else:
        nodes["s"] = nodes["e"] ** 2
        nodes["lam"] = Tensor(float(penalty), label="λ")
        nodes["q"] = nodes["w"] ** 2
        nodes["p"] = nodes["lam"] * nodes["q"]
        nodes["L"] = nodes["s"] + nodes["p"]
    for name, node in nodes.items():
        if name in ("wx", "z", "e", "s", "q", "p", "L"):
            node.label = name
    nodes["y_hat"].label = "ŷ"
    return nodes


def neuron_loss(x: float, w: float, b: float, y: float, penalty: float = 0.0) -> float:
    """L = (σ(w·x + b) − y)² + λ·w² for plain numbers, without a graph (for finite differences).

    penalty: λ; 0 (the default) leaves the plain squared error.
    """
    return float((sigmoid(np.float64(w * x + b)) - y) ** 2 + penalty * w**2)


def local_derivative(user: Tensor, node: Tensor) -> float:
    """∂user/∂node, where `node` is one of `user`'s inputs; both scalars (shape ()).

    Runs `user`'s backward closure with an upstream gradient of 1: what comes
    back for `node` is the local derivative alone.
    """
    if node not in user._prev:
        raise ValueError(f"local_derivative: {node!r} is not an input of {user!r}")
    if user.data.size != 1 or node.data.size != 1:
        raise ValueError(f"local_derivative: expected scalar tensors, got shapes {user.shape} "
                         f"and {node.shape}")
    grads = user._backward(np.ones_like(user.data))
    return float(sum(g for parent, g in zip(user._prev, grads, strict=True) if parent is node))


def _name(node: Tensor) -> str:
    return node.label or node._op or "?"


def _users(node: Tensor, root: Tensor) -> list[Tensor]:
    """The nodes of `root`'s graph computed directly from `node`, in topological order."""
    return [user for user in topological_order(root) if node in user._prev]


def chain_rule_step(node: Tensor, root: Tensor) -> str:
    """How `node`'s gradient is made: "∂L/∂z = ∂L/∂ŷ · ∂ŷ/∂z = (−0.664)(0.222) = −0.147".

    The upstream gradient of each node that used `node` (already computed
    when the backward pass reaches `node`) times the local derivative, summed
    over those users. Scalar graphs only; the root's gradient is 1.
    """
    top = _name(root)
    if node is root:
        return f"∂{top}/∂{top} = 1: the backward pass starts at the loss"
    users = _users(node, root)
    if not users:
        raise ValueError(f"chain_rule_step: {node!r} is not part of the graph of {root!r}")
    symbols, numbers, total = [], [], 0.0
    for user in users:
        if user.grad is None:
            raise ValueError(f"chain_rule_step: {_name(user)} has no gradient yet; run the "
                             "backward pass up to it first")
        upstream, local = float(user.grad), local_derivative(user, node)
        symbols.append(f"∂{top}/∂{_name(user)} · ∂{_name(user)}/∂{_name(node)}")
        numbers.append(f"({upstream:.3g})({local:.3g})")
        total += upstream * local
    return (f"∂{top}/∂{_name(node)} = {' + '.join(symbols)} = {' + '.join(numbers)} "
            f"= {total:.3g}")


def contributions(node: Tensor, root: Tensor) -> tuple[float, int, int]:
    """What `node` has received so far in a backward pass from `root`: (sum, received, users).

    Every user of `node` (a node computed from it) passes back upstream ×
    local once its own gradient is complete; a node used twice gets two
    contributions, and its gradient is their sum. Scalar graphs only.
    """
    users = _users(node, root)
    done = [user for user in users if user.grad is not None]
    total = sum(float(user.grad) * local_derivative(user, node) for user in done)
    return total, len(done), len(users)


@dataclass
class BackwardState:
    """A penalised neuron graph `step` nodes into its backward pass.

    nodes: the graph's tensors by name (see `neuron_graph`, with a penalty);
    visited: the nodes whose gradient is complete, in the order the pass
    reached them; total: how many nodes the whole pass visits (those that
    require grad).
    """

    nodes: dict[str, Tensor]
    visited: list[Tensor]
    total: int

    @property
    def current(self) -> Tensor | None:
        """The node reached last, or None before the first step."""
        return self.visited[-1] if self.visited else None

    def partial(self) -> dict[Tensor, str]:
        """Nodes used more than once that have received some, not all, of their contributions,
        with a note saying so ("grad so far 0.16 (1 of 2 arrived)")."""
        root, notes = self.nodes["L"], {}
        for node in topological_order(root):
            if node.requires_grad and node.grad is None:
                total, received, users = contributions(node, root)
                if 0 < received < users:
                    notes[node] = f"grad so far {total:.3g}\n({received} of {users} arrived)"
        return notes


def n_backward_steps() -> int:
    """How many nodes the penalised neuron's backward pass visits: 10 (those that require grad)."""
    return sum(node.requires_grad
               for node in topological_order(neuron_graph(penalty=PENALTY)["L"]))


def backward_state(step: int, x: float = NEURON["x"], w: float = NEURON["w"],
                   b: float = NEURON["b"], y: float = NEURON["y"],
                   penalty: float = PENALTY) -> BackwardState:
    """Build a fresh graph of L = (σ(w·x + b) − y)² + λ·w² and run `step` nodes of its backward
    pass.

    step: 0 (nothing done yet) to `n_backward_steps()` (10, the whole pass);
    x, w, b, y, penalty (λ): the numbers in the graph.
    """
    total = n_backward_steps()
    if check_count(step, f"step (from 0 to {total})") > total:
        raise ValueError(f"step (from 0 to {total}) must be at most {total}, got {step!r}")
    nodes = neuron_graph(x, w, b, y, penalty=penalty)
    steps = backward_steps(nodes["L"])
    visited = [next(steps)[0] for _ in range(step)]
    return BackwardState(nodes, visited, total)


# --- drawing a graph --------------------------------------------------------------------------

COLORS = {"data": "#eeeeee", "parameter": "#cfe3ff", "op": "#dcf1d4", "highlight": "#ffc857"}


def _node_text(node: Tensor) -> str:
    """label = op, then the value (one element) or the shape, then the gradient if set."""
    lines = [" = ".join(part for part in (node.label, node._op) if part),
             f"{node.data.item():.4g}" if node.data.size == 1 else str(node.shape)]
    if node.grad is not None:
        lines.append(f"grad {node.grad.item():.3g}" if node.grad.size == 1
                     else f"|grad| {np.linalg.norm(node.grad):.3g}")
    return "\n".join(line for line in lines if line)


def _layered(nodes: list[Tensor]) -> dict[Tensor, tuple[float, float]]:
    """Column = depth (a leaf just left of its first user), rows centred in each column."""
    depth: dict[Tensor, int] = {}
    users: dict[Tensor, list[Tensor]] = {node: [] for node in nodes}
    for node in nodes:
        depth[node] = 1 + max((depth[parent] for parent in node._prev), default=-1)
        for parent in node._prev:
            users[parent].append(node)
    for node in nodes:
        if not node._prev and users[node]:
            depth[node] = min(depth[user] for user in users[node]) - 1
    columns: dict[int, list[Tensor]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    return {node: (x, (len(column) - 1) / 2 - row)
            for x, column in columns.items() for row, node in enumerate(column)}


def draw_graph(root: Tensor, ax: Axes | None = None,
               highlight: Tensor | Iterable[Tensor] | None = None,
               fontsize: float = GRAPH_FONTSIZE,
               positions: Mapping[Tensor, tuple[float, float]] | None = None,
               notes: Mapping[Tensor, str] | None = None) -> Axes:
    """Draw the graph that computed `root`, inputs on the left, `root` on the right.

    A node's column is its depth: one more than its deepest input, a leaf
    (input, parameter or constant) just left of the first op that uses it;
    `positions` (x, y for every node, one unit between neighbours) replaces
    that layout. Colours: grey data and constants, blue leaves that require
    grad, green op results, orange the node(s) in `highlight` (say, the current
    backward step). A box shows label = op, the value (one element) or the
    shape, and the gradient once set (|grad|, its norm, for an array); `notes`
    are written in red just below their node's box (say, a gradient still being
    summed). Without `ax`, the figure grows with the graph, up to 9 inches
    wide. fontsize: 10 pt by default, the smallest that reads well.
    """
    nodes = topological_order(root)
    if positions is None:
        xy = _layered(nodes)
    else:
        missing = [_name(node) for node in nodes if node not in positions]
        if missing:
            raise ValueError(f"draw_graph: positions has no place for {', '.join(missing)}")
        xy = {node: positions[node] for node in nodes}
    xs, ys = [x for x, _ in xy.values()], [y for _, y in xy.values()]
    if ax is None:
        n_columns, n_rows = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
        _, ax = plt.subplots(figsize=(min(max(7.0, 0.85 * n_columns), 9.0),
                                      max(3.5, 0.9 * n_rows)))
    marked = {highlight} if isinstance(highlight, Tensor) else set(highlight or ())
    width, height = 0.84, 0.72
    for node in nodes:
        x, y = xy[node]
        kind = ("highlight" if node in marked else "op" if node._op
                else "parameter" if node.requires_grad else "data")
        ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=COLORS[kind], linewidth=2 if node in marked else 0.8,
                                    edgecolor="tab:red" if node in marked else "0.35"))
        ax.text(x, y, _node_text(node), ha="center", va="center", fontsize=fontsize)
        if notes and node in notes:
            ax.text(x, y - height / 2 - 0.06, notes[node], ha="center", va="top",
                    fontsize=fontsize, color="tab:red")
        for parent in node._prev:
            px, py = xy[parent]
            ax.add_patch(FancyArrowPatch((px + width / 2, py), (x - width / 2, y),
                                         arrowstyle="-|>", mutation_scale=8, color="0.4",
                                         shrinkA=0, shrinkB=0))
    middle, half = (max(ys) + min(ys)) / 2, max(max(ys) - min(ys), 1) / 2 + 0.7
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(middle - half, middle + half)
    ax.set_axis_off()
    return ax


def _draw(root: Tensor, ax: Axes | None, highlight: Tensor | None,
          figsize: tuple[float, float] = GRAPH_FIGSIZE, **layout) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return draw_graph(root, ax=ax, highlight=highlight, fontsize=GRAPH_FONTSIZE, **layout)


def plot_graph(root: Tensor, ax: Axes | None = None, title: str = "") -> Axes:
    """`draw_graph(root)` at a readable size, with a title."""
    ax = _draw(root, ax, None)
    ax.set_title(title, fontsize=GRAPH_FONTSIZE + 1)
    return ax


def plot_backward_step(step: int, x: float = NEURON["x"], w: float = NEURON["w"],
                       b: float = NEURON["b"], y: float = NEURON["y"], penalty: float = PENALTY,
                       ax: Axes | None = None) -> Axes:
    """The graph of L = (σ(w·x + b) − y)² + λ·w² after `step` nodes of the backward pass.

    The current node is orange and the title says how its gradient was made
    (upstream gradient × local derivative, summed over the nodes that used it);
    boxes already reached show "grad", and w, used twice, shows "so far" while
    only one of its two contributions has arrived. step: 0 to
    `n_backward_steps()` (10); x, w, b, y, penalty (λ): the numbers in the graph.
    """
    state = backward_state(step, x, w, b, y, penalty)
    root, node = state.nodes["L"], state.current
    positions = {state.nodes[name]: xy for name, xy in PENALIZED_LAYOUT.items()}
    ax = _draw(root, ax, node, PENALIZED_FIGSIZE, positions=positions, notes=state.partial())
    if node is None:
        title = (f"step 0 of {state.total}: the forward pass is done, no gradient yet\n"
                 "the backward pass starts at L")
    else:
        used = contributions(node, root)[2]
        title = (f"step {step} of {state.total}: {_name(node)}"
                 + (f", used {used} times: the contributions add" if used > 1 else "")
                 + f"\n{chain_rule_step(node, root)}")
    ax.set_title(title, fontsize=GRAPH_FONTSIZE + 1)
    return ax


def backward_widget() -> widgets.interactive:
    """Sliders for the step (0–10) and the numbers x, w, b, y, λ, driving `plot_backward_step`.

    Moving a number rebuilds the graph with it and recomputes every value and
    gradient. `.result` holds the latest Axes; children: step, x, w, b, y,
    penalty, then the output.
    """

    def show(step: int, x: float, w: float, b: float, y: float, penalty: float) -> Axes:
        ax = plot_backward_step(step, x, w, b, y, penalty)
        display(ax.figure)
        plt.close(ax.figure)
        return ax

    style = {"description_width": "initial"}

    def number(value: float, low: float, high: float, description: str) -> widgets.FloatSlider:
        return widgets.FloatSlider(value=value, min=low, max=high, step=0.1,
                                   description=description, continuous_update=False,
                                   style=style)

    return widgets.interactive(
        show,
        step=widgets.IntSlider(value=0, min=0, max=n_backward_steps(), step=1,
                               description="backward step", continuous_update=False,
                               style=style),
        x=number(NEURON["x"], -3.0, 3.0, "input x"),
        w=number(NEURON["w"], -3.0, 3.0, "weight w"),
        b=number(NEURON["b"], -3.0, 3.0, "bias b"),
        y=number(NEURON["y"], 0.0, 1.0, "target y"),
        penalty=number(PENALTY, 0.0, 1.0, "penalty λ"),
    )


def difference_errors(hs: Sequence[float] | np.ndarray, x: float = NEURON["x"],
                      w: float = NEURON["w"], b: float = NEURON["b"], y: float = NEURON["y"]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """|numeric − exact| for ∂L/∂w of the neuron, for each step size h.

    hs: (K,) positive step sizes → (forward, centred): two arrays of shape
    (K,), the errors of (L(w + h) − L(w))/h and of (L(w + h) − L(w − h))/2h.
    """
    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 1 or not np.all(hs > 0):
        raise ValueError(f"hs: expected a 1-D array of positive step sizes, got {hs!r}")
    s = sigmoid(np.float64(w * x + b))
    exact = 2 * (s - y) * s * (1 - s) * x
    loss = np.vectorize(lambda v: neuron_loss(x, v, b, y))
    forward = (loss(w + hs) - loss(w)) / hs
    centred = (loss(w + hs) - loss(w - hs)) / (2 * hs)
    return np.abs(forward - exact), np.abs(centred - exact)


def plot_difference_errors(hs: Sequence[float] | np.ndarray | None = None,
                           ax: Axes | None = None) -> Axes:
    """Log-log plot of the forward and centred difference errors against h.

    hs: (K,) step sizes, 1e-12 to 1 by default. An error below 1e-14 (or
    exactly 0) is drawn at 1e-14, the bottom of the axis.
    """
    hs = np.logspace(-12, 0, 49) if hs is None else np.asarray(hs, dtype=float)
    forward, centred = difference_errors(hs)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.3))
    floor = 1e-14
    ax.loglog(hs, np.maximum(forward, floor), "o-", ms=3, label="forward  (L(w+h) − L(w)) / h")
    ax.loglog(hs, np.maximum(centred, floor), "o-", ms=3,
              label="centred  (L(w+h) − L(w−h)) / 2h")
    ax.axvline(1e-6, color="grey", ls="--", lw=1)
    ax.text(1e-6, 2e-14, " h = 1e-6 (numerical_gradient)", va="bottom")
    ax.set(xlabel="step h", ylabel="|numeric − exact|", ylim=(floor / 2, 10),
           title="Finite differences: truncation error (right) vs rounding error (left)")
    ax.legend(loc="upper left")
    return ax


def read_relative_error(error: float) -> str:
    """A gradient check's relative error ‖a − n‖ / (‖a‖ + ‖n‖) in words.

    Below 1e-7 only rounding noise is left (its exact digits vary from machine
    to machine, so they are not shown); up to 1e-4 is suspicious (fine near a
    kink such as ReLU's 0, otherwise look again); above that the gradient is wrong.
    """
    error = float(error)
    if not np.isfinite(error) or error < 0:
        raise ValueError(f"a relative error is a finite number >= 0, got {error!r}")
    if error < 1e-7:
        return "< 1e-7   ✓ right (rounding noise only)"
    if error < 1e-4:
        return f"{error:.0e}    ? suspicious: a kink, float32, or a small bug"
    return f"{error:.2g}     ✗ wrong"


def gradcheck_table(report: GradCheck) -> str:
    """One line per checked array of a `check_module` report: its name and the verdict."""
    if not report.errors:
        raise ValueError("gradcheck_table: the report checks no arrays")
    width = max(len(name) for name in report.errors)
    return "\n".join(f"{name:<{width}}  relative error {read_relative_error(error)}"
                     for name, error in report.errors.items())


def plot_losses(losses: Sequence[float] | np.ndarray, ax: Axes | None = None,
                title: str = "") -> Axes:
    """The loss after each training step.  losses: (T,), losses[0] before any update."""
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or len(losses) == 0:
        raise ValueError(f"losses: expected a non-empty 1-D sequence, got shape {losses.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.0))
    ax.plot(np.arange(len(losses)), losses, "o-", ms=3)
    ax.set(xlabel="update steps done", ylabel="training loss", title=title)
    return ax
