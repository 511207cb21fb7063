"""Check for notebook 00's warm-up exercise: where one neuron switches.

    check_switch_point(switch_point)   x where σ(w·x + b) = 0.5, i.e. −b/w; None when w = 0

Every exercise check in the kit works like this one: it runs the learner's
function on fixed inputs, compares with a private reference
(`mmkit.exercises._reference`, here the root of w·x + b by `np.roots`) and,
when the answer is wrong, names the typical mistake behind it. The kit's own
versions (`mmkit.demos.welcome.switch_point`, `neuron`, `sigmoid`,
`plot_neuron`) are switched off while the learner's function runs. A check
returns `Feedback` and never raises on a wrong answer.
"""

from collections.abc import Callable

from mmkit.demos.welcome import neuron, plot_neuron, sigmoid, switch_point
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    NotAnswered,
    attempt,
    check,
    correct,
    diagnose,
    wrong,
)

#: (weight, bias) pairs the answer is tried on; on the first, every typical mistake differs.
CASES = ((2.0, -1.0), (-3.0, 1.5), (0.5, 2.0))
#: A neuron with no weight: σ(0·x + 1) = σ(1) ≈ 0.73 for every x, so it never crosses 0.5.
ZERO_WEIGHT = (0.0, 1.0)
HINT = ("The output σ(w·x + b) is 0.5 exactly where w·x + b = 0: solve that for x "
        "(when w ≠ 0).")
NO_WEIGHT = ("with w = 0 the neuron outputs σ(b) for every x: a flat line that never crosses "
             "0.5. Test `if weight == 0:` first and `return None` (no switch point)")


def _mistakes(weight: float, bias: float) -> list[tuple[object, str]]:
    """What the typical mistakes return for one (weight, bias), and what explains each."""
    call = f"switch_point({weight}, {bias})"
    mistakes = [
        (bias / weight, "the sign is flipped: w·x + b = 0 gives w·x = −b, so x = −b/w, "
                        "not +b/w."),
        (-weight / bias, "the fraction is upside down: x = −b/w, the bias over the weight."),
        (-bias, "x = −b is where x + b = 0: that is the neuron σ(w·(x + b)). This neuron "
                "computes σ(w·x + b): divide by w as well."),
        ((0.5 - bias) / weight, "you solved w·x + b = 0.5, but 0.5 is the output σ(z), not "
                                "z: σ(z) = 0.5 where z = 0, so solve w·x + b = 0."),
    ]
    return [(value, f"{call} gave {value:g}: {why}") for value, why in mistakes]


@check(kit=[switch_point, neuron, sigmoid, plot_neuron])
def check_switch_point(function: Callable[[float, float], float | None]) -> Feedback:
    """Check `switch_point(weight, bias)` → the x where σ(w·x + b) = 0.5, or None when w = 0."""
    for weight, bias in CASES:
        got = attempt(function, weight, bias)
        problem = diagnose(got, _reference.welcome_switch_point(weight, bias),
                           _mistakes(weight, bias),
                           name=f"switch_point({weight}, {bias})", hint=HINT)
        if problem is not None:
            return problem
    try:
        got = attempt(function, *ZERO_WEIGHT)
    except NotAnswered as failure:
        if "ZeroDivisionError" not in failure.feedback.message:
            raise
        return wrong(f"switch_point(0.0, 1.0) divides by zero: {NO_WEIGHT}.")
    if got is not None:
        return wrong(f"switch_point(0.0, 1.0) returned {got!r}: {NO_WEIGHT}.")
    return correct("Correct! x = −b/w, and no switch point when w = 0. You can now check "
                   "your answer to question 2 with your own function.")
