"""Feedback on an exercise answer: what is wrong, not only that something is.

`compare(answer, expected)` recognises the typical mistakes with arrays
(nothing returned, wrong shape, the transpose, a flipped sign, a constant
factor such as a missing 1/N, a few wrong entries) and says so. `attempt`
runs a learner's function and turns "not written yet" and crashes into
feedback too.

An exercise cannot be passed by calling the kit: a check declares the kit's
own versions of what it asks for (`@check(kit=[softmax])`), and while the
learner's function runs inside `attempt`, those, and every reference answer
in `mmkit.exercises._reference`, are switched off: calling one ends the
attempt with "write this one yourself". Expected answers come from
`_reference`, which notebooks never import.
"""

import contextlib
import contextvars
import inspect
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FunctionType

import numpy as np

SIMPLE_FACTORS = np.array([2, 3, 4, 10, 1 / 2, 1 / 3, 1 / 4, 1 / 10])
_LIBRARY_PATHS = (sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; its repr is what the notebook shows."""

    ok: bool
    message: str

    def __repr__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.message}"

    def _ipython_display_(self) -> None:
        """In a notebook, a right answer prints to stdout and a wrong or missing one to
        stderr (shown in red). Nothing raises, so "Run All" never stops at an unanswered
        exercise, and nbgrader's autograder, which gives no points to a test cell with
        stderr output, scores a check cell by its verdict."""
        print(repr(self), file=sys.stdout if self.ok else sys.stderr)

    def __bool__(self) -> bool:
        # `if feedback:` is ambiguous (is it there? is it right?): say which
        raise TypeError("test `feedback.ok` (right or wrong) or `feedback is None`, "
                        "not the Feedback itself")


def correct(message: str = "Correct!") -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


class NotAnswered(Exception):
    """Raised inside `attempt` to turn a learner's exception into feedback."""

    def __init__(self, feedback: Feedback):
        super().__init__(feedback.message)
        self.feedback = feedback


def attempt(function: Callable, *args, **kwargs):
    """Call the learner's `function`; raise `NotAnswered` with feedback if it fails.

    While it runs, the kit's own versions of the answer (the `kit=` of the
    enclosing `@check`, and the references in `_reference`) are switched off.
    Use inside a check: `out = attempt(f, x)` inside `try: ... except NotAnswered as e:
    return e.feedback`, or decorate the check with `@check`.
    """
    switched_off = _switched_off()
    own = switched_off.get(getattr(inspect.unwrap(function), "__code__", None))
    if own is not None:
        raise NotAnswered(wrong(f"that is the kit's own `{own}`, not an answer: write the "
                                "function yourself, in the exercise's cell, and pass that"))
    used: list[str] = []
    try:
        with _calls_refused(switched_off, used):
            result = function(*args, **kwargs)
    except NotImplementedError:
        raise NotAnswered(wrong("Not answered yet: replace `raise NotImplementedError()` "
                                "with your code.")) from None
    except Exception as error:  # the learner's bug: show where, briefly
        if not used:
            raise NotAnswered(wrong(f"Your code raised {type(error).__name__}: {error}"
                                    f"{_where(error)}")) from None
    if used:  # even if the learner's code caught the refusal
        raise NotAnswered(wrong(_write_it_yourself(function, used[0])))
    return result


class KitSwitchedOff(RuntimeError):
    """Raised inside the learner's code when it calls a kit function the exercise asks for."""


def _write_it_yourself(function: Callable, used: str) -> str:
    name = getattr(function, "__name__", "")
    who, where = ((f"`{name}`", f"the cell that defines `{name}`") if name.isidentifier()
                  else ("your function", "the exercise's cell"))
    return (f"{who} calls the kit's own `{used}`, which does what this exercise asks: write "
            f"it yourself, in {where} (the kit's version is switched off while the check "
            "runs)")


#: The kit's versions of the current check's answer, by code object: set by `@check(kit=...)`.
_KIT: contextvars.ContextVar[dict[CodeType, str] | None] = contextvars.ContextVar("kit",
                                                                           default=None)


def _codes(obj: object) -> dict[CodeType, str]:
    """The code objects of a function, a method, or every method of a class, with their names."""
    if inspect.isclass(obj):
        found: dict[CodeType, str] = {}
        for value in vars(obj).values():
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            if isinstance(value, FunctionType | property):
                for part in (value.fget, value.fset) if isinstance(value, property) else (value,):
                    if part is not None:
                        found |= _codes(part)
        return found
    function = inspect.unwrap(getattr(obj, "__func__", obj))
    code = getattr(function, "__code__", None)
    if code is None:
        raise TypeError(f"cannot switch off {obj!r}: expected a Python function, method or class")
    return {code: f"{function.__module__}.{function.__qualname__}"}


def _switched_off() -> dict[CodeType, str]:
    """Everything switched off while a learner's function runs: the check's kit functions
    and every function of the private reference module."""
    from mmkit.exercises import _reference

    references: dict[CodeType, str] = {}
    for value in vars(_reference).values():
        if isinstance(value, FunctionType) and value.__module__ == _reference.__name__:
            references |= _codes(value)
    return references | (_KIT.get() or {})


@contextlib.contextmanager
def _calls_refused(codes: dict[CodeType, str], used: list[str]) -> Iterator[None]:
    """Refuse calls to `codes` in this thread while the block runs; record them in `used`."""

    def refuse(frame, event, _arg):
        if event == "call" and frame.f_code in codes:
            used.append(codes[frame.f_code])
            raise KitSwitchedOff(_write_it_yourself(lambda: None, used[-1]))

    previous = sys.getprofile()
    sys.setprofile(refuse)
    try:
        yield
    finally:
        sys.setprofile(previous)


def _where(error: Exception) -> str:
    """Where the learner's code failed: " (line 3: `x @ W`)", skipping library frames."""
    frames = traceback.extract_tb(error.__traceback__)[1:]  # [0] is attempt() itself
    own = [f for f in frames if not f.filename.startswith(_LIBRARY_PATHS)] or frames
    if not own:
        return ""
    frame = own[-1]
    code = f": `{frame.line.strip()}`" if frame.line and frame.line.strip() else ""
    return f" (line {frame.lineno}{code})"


def check(function: Callable[..., Feedback] | None = None, *, kit: Iterable[object] = ()
          ) -> Callable:
    """Decorator for check functions: `NotAnswered` raised inside becomes the returned feedback.

    `@check` or `@check(kit=[softmax, Linear.backward, ImageNormalizer])`: the kit's own
    functions, methods or classes that do what the exercise asks; `attempt` switches
    them off while the learner's function runs, so calling them is not an answer.
    """
    codes: dict[CodeType, str] = {}
    for obj in kit:
        codes |= _codes(obj)

    def decorate(body: Callable[..., Feedback]) -> Callable[..., Feedback]:
        def wrapper(*args, **kwargs) -> Feedback:
            token = _KIT.set(codes)
            try:
                return body(*args, **kwargs)
            except NotAnswered as failure:
                return failure.feedback
            finally:
                _KIT.reset(token)

        wrapper.__name__, wrapper.__doc__ = body.__name__, body.__doc__
        wrapper.__wrapped__ = body
        wrapper.kit = tuple(codes.values())
        return wrapper

    return decorate if function is None else decorate(function)


def _index(flat: int, shape: tuple[int, ...]) -> list[int]:
    return [int(i) for i in np.unravel_index(flat, shape)] if shape else []


def as_numbers(answer: object) -> object:
    """A PyTorch tensor answer as NumPy numbers (detached, on the CPU); anything else
    unchanged. (Duck-typed, so that the NumPy-only notebooks never import torch.)"""
    if hasattr(answer, "detach") and hasattr(answer, "numpy"):
        return answer.detach().cpu().numpy()
    return answer


def compare(answer: object, expected: np.ndarray, name: str = "your answer",
            rtol: float = 1e-6, atol: float = 1e-8) -> Feedback:
    """Compare an array answer with the expected array and name the mistake if there is one."""
    expected = np.asarray(expected, dtype=float)
    if answer is None:
        return wrong(f"{name} is None: did you forget to `return` it?")
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return wrong(f"{name} should be an array of numbers, got {type(answer).__name__}")
    if got.shape != expected.shape:
        message = f"{name} has shape {got.shape}, expected {expected.shape}"
        if got.T.shape == expected.shape and np.allclose(got.T, expected, rtol, atol):
            message += ": it is the transpose of the right answer (check the order in `@`)"
        elif got.size == expected.size:
            message += ": the right number of values, arranged differently (reshape? axis?)"
        elif got.ndim == expected.ndim - 1:
            message += ": one axis is missing (summed over an axis you should keep? keepdims?)"
        return wrong(message)
    not_finite = ~np.isfinite(got)
    if not_finite.any():
        first = _index(int(np.argmax(not_finite)), got.shape)
        return wrong(f"{name} contains {int(not_finite.sum())} NaN/inf value(s), the first at "
                     f"index {first}: an overflow, or a log/division of 0?")
    if np.allclose(got, expected, rtol, atol):
        return correct()
    everywhere = "" if got.ndim == 0 else " everywhere"
    if np.any(expected) and np.allclose(got, -expected, rtol, atol):
        return wrong(f"{name} has the right size{everywhere} but the opposite sign: "
                     "check the direction (a minus sign, or pred − target vs target − pred)")
    nonzero = np.abs(expected) > atol
    if nonzero.any() and np.allclose(got[~nonzero], 0, atol=atol):
        ratios = got[nonzero] / expected[nonzero]
        # one number is always *some* multiple of another: then name only typical factors
        typical = got.ndim > 0 or np.isclose(ratios[0], SIMPLE_FACTORS, rtol=1e-6).any()
        if np.allclose(ratios, ratios[0], rtol=1e-6) and ratios[0] > 0 and typical:
            return wrong(f"{name} is {ratios[0]:.4g} × the right answer{everywhere}: a "
                         "missing or extra constant factor (dividing by N? a factor of 2?)")
    if got.ndim == 0:
        return wrong(f"{name} is {float(got):.6g}: not the expected value")
    bad = ~np.isclose(got, expected, rtol, atol)
    first = int(np.argmax(bad))
    where = _index(first, got.shape)
    return wrong(f"{int(bad.sum())} of {got.size} values of {name} differ; the first at index "
                 f"{where}: expected {expected.flat[first]:.6g}, got {got.flat[first]:.6g}")


def compare_number(answer: object, expected: float, name: str = "your answer",
                   rtol: float = 1e-6, atol: float = 1e-8) -> Feedback:
    """Compare a single number, with the same hints as `compare` (sign, factor);
    a wrong number is not told the right one, so a by-hand exercise stays one."""
    if answer is not None and np.ndim(answer) != 0:
        return wrong(f"{name} should be a single number, got shape {np.shape(answer)}")
    return compare(answer, np.asarray(expected, dtype=float), name, rtol, atol)


def matches(answer: object, expected: object, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """Whether `answer` is numbers of `expected`'s shape and (closely) its values; never raises."""
    try:
        got = np.asarray(answer, dtype=float)
        want = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol, atol))


def known_mistake(answer: object, mistakes: Iterable[tuple[object, str]], rtol: float = 1e-6,
                  atol: float = 1e-8) -> Feedback | None:
    """The feedback for the first typical mistake whose result `answer` reproduces, or None.

    mistakes: (what that mistake returns, the message that explains it), e.g.
    `(x @ W, "x @ W uses W as (in, out); a layer's W is (out, in): use x @ W.T")`.
    """
    for result, message in mistakes:
        if matches(answer, result, rtol, atol):
            return wrong(message)
    return None


def diagnose(answer: object, expected: np.ndarray, mistakes: Iterable[tuple[object, str]] = (),
             name: str = "your answer", hint: str = "", rtol: float = 1e-6, atol: float = 1e-8
             ) -> Feedback | None:
    """What is wrong with `answer`, or None if it is right (within rtol, atol).

    The right answer first (a typical mistake can give the same result on some
    inputs), then the typical `mistakes` (see `known_mistake`), then `compare`; `hint`
    is appended to compare's message (e.g. the formula and the shape to aim for).
    """
    if matches(answer, expected, rtol, atol):
        return None
    mistake = known_mistake(answer, mistakes, rtol, atol)
    if mistake is not None:
        return mistake
    feedback = compare(answer, expected, name, rtol, atol)
    if feedback.ok:  # within compare's own tolerance but not within rtol, atol
        feedback = wrong(f"{name} is close to the right answer but not within the tolerance")
    if not hint:
        return feedback
    stop = "" if feedback.message.endswith((".", "?", "!")) else "."
    return wrong(f"{feedback.message}{stop} {hint}")


def unpack(answer: object, names: tuple[str, ...]) -> Feedback | None:
    """None if `answer` is a tuple or list of len(names) values, else what is wrong with it."""
    wanted = ", ".join(names)
    if answer is None:
        return wrong(f"your function returned None: did you forget `return {wanted}`?")
    if not isinstance(answer, tuple | list):
        return wrong(f"return {len(names)} values, ({wanted}); got a {type(answer).__name__}")
    if len(answer) != len(names):
        return wrong(f"return {len(names)} values, ({wanted}); got {len(answer)} values")
    return None
