"""TEACHING.md, the teachers' guide, keeps up with the notebooks, the bench table, the
exercise checks and the Makefile.

Each test fails when the guide goes stale: a new notebook without its section, an exercise
missing from its notebook's table, a grade_id or points that changed, a run time measured
again, a notebook that grew (its reading time), a check that now words a mistake
differently, a `make` target renamed. Nothing here executes a notebook.
"""

import math
import re
import statistics
import time
from itertools import pairwise

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DistributedSampler

from benchmarks.notebooks import RESULTS, read_rows
from mmkit.exercises import (
    attention,
    autoencoders,
    backpropagation,
    encoders,
    forward_pass,
    fusion_strategies,
    gans,
    limited_compute,
    loss_functions,
    missing_and_noisy_data,
    multimodal_data,
    multimodal_pipeline,
    optimizers,
    scale,
    transformers,
    welcome,
)
from mmkit.paths import REPO_ROOT
from mmkit.scratch.layers import softmax
from tools.notebooks import course_notebooks

GUIDE = REPO_ROOT / "TEACHING.md"
#: A notebook's section starts with `## 01 · The forward pass (`01_forward_pass.ipynb`)`.
SECTION_HEADING = re.compile(r"^## \d\d · .*\(`(\d\d_\w+\.ipynb)`\)\s*$", re.MULTILINE)
#: A row of a section's exercise table:
#: | # | what | `solution grade_id` | `check grade_id` | points |
EXERCISE_ROW = re.compile(
    r"^\|\s*\d+\s*\|.*\|\s*`(\w+)`\s*\|\s*`(check_\w+)`\s*\|\s*(\d+)\s*\|\s*$", re.MULTILINE)
#: A row of the planning table:
#: | 01_forward_pass.ipynb | 10.3 | 407 | 3,016 | 840 | 47 | 3 | 3 | 90 |
TIME_ROW = re.compile(r"^\|\s*(\d\d_\w+\.ipynb)\s*\|(.*)\|\s*$", re.MULTILINE)
CHECK_CALL = re.compile(r"\b(check_\w+)\(")
#: The rule the guide states for a lab's length (minutes), and how far the word counts it
#: quotes may drift from the notebook before the guide must be updated.
WORDS_PER_MINUTE_TEXT, WORDS_PER_MINUTE_CODE = 100, 50
MINUTES_PER_QUESTION, MINUTES_PER_EXERCISE = 3, 10
WORD_COUNT_TOLERANCE = 0.10


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def flat(text: str) -> str:
    """Whitespace collapsed, so a message wrapped over lines still matches."""
    return " ".join(text.split())


def sections() -> dict[str, str]:
    """Each notebook's section of the guide (up to the next `## ` heading), by file name."""
    text = guide()
    found = {}
    for match in SECTION_HEADING.finditer(text):
        rest = text[match.end():]
        end = re.search(r"^## ", rest, re.MULTILINE)
        found[match.group(1)] = rest[:end.start()] if end else rest
    return found


def exercise_checks() -> set[str]:
    """The names of the exercise checks, as defined in mmkit/exercises/."""
    names: set[str] = set()
    for path in (REPO_ROOT / "mmkit" / "exercises").glob("*.py"):
        names |= set(re.findall(r"^def (check_\w+)\(", path.read_text(), re.MULTILINE))
    return names


def exercises(nb: nbformat.NotebookNode) -> list[tuple[str, str, int]]:
    """(solution grade_id, check grade_id, points) of each exercise, in notebook order.

    From the cells' nbgrader metadata where present; otherwise by the kit's rule: the check
    cell's grade_id is the check's name, 1 point; the solution cell's is the function it
    defines (the last code cell before the check with `BEGIN SOLUTION` in it).
    """
    checks, found, solution = exercise_checks(), [], None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "BEGIN SOLUTION" in cell.source:
            defined = re.search(r"^def (\w+)\(", cell.source, re.MULTILINE)
            solution = cell.metadata.get("nbgrader", {}).get("grade_id", defined and defined[1])
        called = [name for name in CHECK_CALL.findall(cell.source) if name in checks]
        if called:
            grading = cell.metadata.get("nbgrader", {})
            found.append((solution, grading.get("grade_id", called[0]),
                          int(grading.get("points", 1))))
    return found


def bench() -> dict[str, tuple[str, str]]:
    """(wall time in s, peak memory in MiB) of each notebook, as the bench table prints them."""
    rows = {}
    for name, line in read_rows(RESULTS).items():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[name] = (cells[1], cells[2])
    return rows


def planning_rows() -> dict[str, list[str]]:
    return {name: [cell.strip() for cell in rest.split("|")]
            for name, rest in TIME_ROW.findall(guide())}


def words(nb: nbformat.NotebookNode, cell_type: str) -> int:
    return sum(len(cell.source.split()) for cell in nb.cells if cell.cell_type == cell_type)


def try_it_questions(nb: nbformat.NotebookNode) -> int:
    """Numbered questions in the "**Try it**" cells (their folded answers not counted)."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "**Try it" in cell.source:
            asked = re.sub(r"<details>.*?</details>", "", cell.source, flags=re.DOTALL)
            count += max(1, len(re.findall(r"^\s*\d+\.\s", asked, re.MULTILINE)))
    return count


def test_every_course_notebook_has_its_section():
    missing = [p.name for p in course_notebooks() if p.name not in sections()]
    assert not missing, f"TEACHING.md has no section for {missing}"


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_every_exercise_is_listed_with_its_grade_ids_and_points(path):
    section = sections()[path.name]
    listed = {check: (solution, int(points))
              for solution, check, points in EXERCISE_ROW.findall(section)}
    expected = exercises(nbformat.read(path, as_version=4))
    assert expected, f"{path.name} has no exercise check"
    for solution, check, points in expected:
        assert check in listed, f"{path.name}: `{check}` is not in its TEACHING.md table"
        assert listed[check] == (solution, points), \
            f"{path.name}, `{check}`: the guide says {listed[check]}, " \
            f"the notebook {(solution, points)}"
    assert set(listed) == {check for _, check, _ in expected}, \
        f"{path.name}: the guide lists exercises the notebook does not have"


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_run_times_and_memory_are_the_bench_tables(path):
    seconds, mib = bench()[path.name]
    row = planning_rows()[path.name]
    assert (row[0], row[1]) == (seconds, mib), \
        f"planning table: {path.name} runs in {seconds} s, peak {mib} MiB (make bench)"
    quoted = re.findall(r"Runs in ([\d.]+) s, peak (\d+) MiB", flat(sections()[path.name]))
    assert quoted == [(seconds, mib)], \
        f"{path.name}'s section should say 'Runs in {seconds} s, peak {mib} MiB'"


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_lab_times_follow_the_stated_rule(path):
    nb = nbformat.read(path, as_version=4)
    _, _, text, code, reading, questions, count, lab = planning_rows()[path.name]
    text, code = int(text.replace(",", "")), int(code.replace(",", ""))
    for quoted, actual, kind in ((text, words(nb, "markdown"), "text"),
                                 (code, words(nb, "code"), "code")):
        assert abs(quoted - actual) <= WORD_COUNT_TOLERANCE * actual, \
            f"{path.name} now has {actual:,} words of {kind}; the guide says {quoted:,}"
    assert int(reading) == round(text / WORDS_PER_MINUTE_TEXT + code / WORDS_PER_MINUTE_CODE)
    assert int(questions) == try_it_questions(nb)
    assert int(count) == len(exercises(nb))
    seconds = float(bench()[path.name][0])
    total = (int(reading) + MINUTES_PER_QUESTION * int(questions)
             + MINUTES_PER_EXERCISE * int(count) + seconds / 60)
    assert int(lab) == 5 * math.ceil(total / 5)
    assert re.findall(r"a lab of about (\d+) min", flat(sections()[path.name])) == [lab]


def test_every_make_target_named_exists():
    makefile = (REPO_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.MULTILINE))
    code = re.findall(r"```.*?```|`[^`\n]+`", guide(), re.DOTALL)
    named = {target for snippet in code for target in re.findall(r"\bmake ([\w-]+)", snippet)}
    assert named, "the guide names no make command"
    assert named <= targets, f"not in the Makefile: {sorted(named - targets)}"


# --- The messages the guide quotes: each wrong answer below, and what its check says ----------

def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def _tanh_neuron(x=1.5, w=0.8, b=-0.5):
    return np.tanh(w * x + b)


def _adam(p, g, m, v, t, lr, beta1, beta2, eps):
    m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2
    return m, v, m / (1 - beta1**t), v / (1 - beta2**t)


def _bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def _d_loss(real, fake):
    return _bce(real, 1.0) + _bce(fake, 0.0)


def _d_step(discriminator, optimizer, real, fake, detach=True, zero=True, step=True):
    if zero:
        optimizer.zero_grad()
    loss = _d_loss(discriminator(real), discriminator(fake.detach() if detach else fake))
    loss.backward()
    if step:
        optimizer.step()
    return loss.item()


def _padded(kept, length, value=0.0, dtype=None):
    out = np.full(length, value, dtype=dtype or kept.dtype)
    out[:len(kept)] = kept
    return out


def _noisy(audio, snr_db, noise, signal_power=None):
    power = np.mean(audio**2) if signal_power is None else signal_power
    return audio + noise * np.sqrt(power / (10 ** (snr_db / 10) * np.mean(noise**2)))


def _amplitude_for_power(a, snr, rng):
    noise = rng.standard_normal(a.shape)
    return a + noise * np.sqrt(np.mean(a**2) / np.mean(noise**2)) / 10 ** (snr / 10)


def _global_generator(a, snr, rng):
    return _noisy(a, snr, np.random.standard_normal(a.shape))  # noqa: NPY002 (the mistake)


def _attention(q, k, v, mask=None, scale=None, fill=float("-inf")):
    scores = q @ k.T * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def _attention_masked_after(q, k, v, mask=None):
    weights = torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights


def _top_k(z, k):
    if k is None or k >= len(z):
        return z
    return z.masked_fill(z < torch.topk(z, k).values[-1], float("-inf"))


def _bert_mask(ids, pick, draw, random_words, rate, words=True, label_all=False,
               mask_all=False):
    chosen = (pick < rate) & ((ids >= 5) if words else True)
    inputs = torch.where(chosen & ((draw < 0.8) | mask_all), 4, ids)
    swap = chosen & (draw >= 0.8) & (draw < 0.9) & (not mask_all)
    inputs = torch.where(swap, random_words, inputs)
    return inputs, ids if label_all else torch.where(chosen, ids, -100)


def _f1_per_class(y_true, y_pred, k):
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(k)])
    found, actual = np.bincount(y_pred, minlength=k), np.bincount(y_true, minlength=k)
    return 2 * tp / np.maximum(found + actual, 1)  # = 2PR / (P + R), 0 where 0/0


def _recall_one_if_empty(matrix):
    rows = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), rows, out=np.ones(len(matrix)), where=rows > 0)


def _last_of_tied(val_curve, test_curve):
    epoch = len(val_curve) - 1 - int(np.argmax(val_curve[::-1]))
    return epoch, test_curve[epoch]


def _lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh, swap=False, forget_h=False, cell_tanh=True):
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    gate, candidate = (np.tanh, _sigmoid) if swap else (_sigmoid, np.tanh)
    c_new = gate(f) * (h if forget_h else c) + gate(i) * candidate(g)
    return gate(o) * (np.tanh(c_new) if cell_tanh else c_new), c_new


def _conv_single(image, kernel):
    kh, kw = kernel.shape
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel)
                      for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def _latency(model, batch, repeats, warmup, reduce=statistics.median, gradients=False):
    times = []
    with torch.set_grad_enabled(gradients):
        for _ in range(warmup):
            model(batch)
        for _ in range(repeats):
            start = time.perf_counter()
            model(batch)
            times.append(time.perf_counter() - start)
    return 1000 * reduce(times)


def _shards(n, rank, world_size, epochs, seed, set_epoch=True):
    sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=seed)
    shards = []
    for epoch in range(epochs):
        if set_epoch:
            sampler.set_epoch(epoch)
        shards.append(list(sampler))
    return shards


def _unpadded_shards(n, rank, world_size, epochs, seed):
    return [torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
            [rank::world_size] for epoch in range(epochs)]


#: (check, the wrong answer whose message the guide quotes in that check's notebook section).
WRONG_ANSWERS = [
    (welcome.check_switch_point, lambda w, b: b / w),
    (welcome.check_switch_point, lambda w, b: (0.5 - b) / w),
    (welcome.check_switch_point, lambda w, b: -b / w),
    (forward_pass.check_linear_forward, lambda x, W, b: x @ W.T),
    (forward_pass.check_linear_forward, lambda x, W, b: np.maximum(x @ W.T + b, 0)),
    (forward_pass.check_softmax, lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)),
    (forward_pass.check_softmax,
     lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=1, keepdims=True)),
    (forward_pass.check_softmax, lambda z: _softmax_rows(z.T).T),
    (forward_pass.check_count_parameters, lambda s: sum(a * b for a, b in pairwise(s))),
    (forward_pass.check_count_parameters, lambda s: int(np.prod(s))),
    (forward_pass.check_count_parameters,
     lambda s: sum(a * b + b for a, b in pairwise(s)) - s[-1]),
    (backpropagation.check_sigmoid_backward, lambda dout, y: dout * y),
    (backpropagation.check_sigmoid_backward,
     lambda dout, y: dout * _sigmoid(y) * (1 - _sigmoid(y))),
    (backpropagation.check_sigmoid_backward, lambda dout, y: y * (1 - y)),
    (backpropagation.check_linear_backward, lambda d, x, W: (d @ W, x.T @ d, d.sum(axis=0))),
    (backpropagation.check_linear_backward, lambda d, x, W: (d @ W, d.T @ x, d.sum(axis=1))),
    (backpropagation.check_linear_backward,
     lambda d, x, W: (d @ W, d.T @ x / len(x), d.sum(axis=0))),
    (backpropagation.check_tanh_neuron_gradient,
     lambda: 2 * (_tanh_neuron() - 1) * _tanh_neuron() * (1 - _tanh_neuron()) * 1.5),
    (backpropagation.check_tanh_neuron_gradient,
     lambda: (_tanh_neuron() - 1) * (1 - _tanh_neuron() ** 2) * 1.5),
    (backpropagation.check_tanh_neuron_gradient,
     lambda: 2 * (1 - _tanh_neuron()) * (1 - _tanh_neuron() ** 2) * 1.5),
    (loss_functions.check_mse, lambda p, t: (float(np.sum((p - t) ** 2)), 2 * (p - t) / p.size)),
    (loss_functions.check_mse, lambda p, t: (float(np.mean((p - t) ** 2)), (p - t) / p.size)),
    (loss_functions.check_mse, lambda p, t: (float(np.mean((p - t) ** 2)), 2 * (p - t) / len(p))),
    (loss_functions.check_cross_entropy,
     lambda z, y: float(-np.log((np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
                                [np.arange(len(y)), y]).mean())),
    (loss_functions.check_cross_entropy,
     lambda z, y: float(-np.log(_softmax_rows(z)[np.arange(len(y)), y]).mean())),
    (loss_functions.check_cross_entropy, lambda z, y: -_log_softmax(z)[np.arange(len(y)), y]),
    (loss_functions.check_bce_grad,
     lambda z, y: (_sigmoid(z) - y) * _sigmoid(z) * (1 - _sigmoid(z)) / len(z)),
    (loss_functions.check_bce_grad, lambda z, y: _sigmoid(z) - y),
    (loss_functions.check_bce_grad, lambda z, y: (y - _sigmoid(z)) / len(z)),
    (optimizers.check_momentum_step,
     lambda p, g, velocity, lr, momentum: (p - lr * (momentum * velocity + g), velocity)),
    (optimizers.check_momentum_step,
     lambda p, g, velocity, lr, momentum: (p - lr * g, momentum * velocity + g)),
    (optimizers.check_momentum_step,
     lambda p, g, velocity, lr, momentum: (p - lr * (momentum * velocity + (1 - momentum) * g),
                                           momentum * velocity + (1 - momentum) * g)),
    (optimizers.check_adam_step,
     lambda p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8:
     (lambda m, v, mh, vh: (p - lr * m / (np.sqrt(v) + eps), m, v))(
         *_adam(p, g, m, v, t, lr, beta1, beta2, eps))),
    (optimizers.check_adam_step,
     lambda p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8:
     (lambda m, v, mh, vh: (p - lr * mh / np.sqrt(vh + eps), m, v))(
         *_adam(p, g, m, v, t, lr, beta1, beta2, eps))),
    (optimizers.check_adam_step,
     lambda p, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8:
     (lambda m, v, mh, vh: (p - lr * mh / (np.sqrt(vh) + eps), mh, vh))(
         *_adam(p, g, m, v, t, lr, beta1, beta2, eps))),
    (optimizers.check_bowl_learning_rate, lambda: 0.2),
    (optimizers.check_bowl_learning_rate, lambda: 0.01),
    (optimizers.check_bowl_learning_rate, lambda: 0.1),
    (autoencoders.check_kl_divergence, lambda mu, lv: (mu**2 + lv.exp() - lv - 1).sum(1).mean()),
    (autoencoders.check_kl_divergence, lambda mu, lv: 0.5 * (mu**2 + lv.exp() - lv - 1).sum()),
    (autoencoders.check_kl_divergence,
     lambda mu, lv: 0.5 * (mu**2 + (2 * lv).exp() - 2 * lv - 1).sum(1).mean()),
    (autoencoders.check_reparameterize, lambda mu, lv, eps: mu + lv.exp() * eps),
    (autoencoders.check_reparameterize,
     lambda mu, lv, eps: torch.tensor(mu.detach().numpy()
                                      + np.exp(0.5 * lv.detach().numpy()) * eps.numpy())),
    (autoencoders.check_reparameterize, lambda mu, lv, eps: torch.exp(0.5 * lv) * eps),
    (autoencoders.check_psnr, lambda c, e: 20 * np.log10(1 / np.mean((c - e) ** 2))),
    (autoencoders.check_psnr, lambda c, e: 10 * np.log(1 / np.mean((c - e) ** 2))),
    (autoencoders.check_psnr,
     lambda c, e: np.mean(10 * np.log10(1 / np.mean((c - e) ** 2, axis=1)))),
    (gans.check_discriminator_loss, lambda r, f: _bce(r, 0.0) + _bce(f, 1.0)),
    (gans.check_discriminator_loss, lambda r, f: _bce(r, 1.0)),
    (gans.check_discriminator_loss, lambda r, f: _d_loss(torch.sigmoid(r), torch.sigmoid(f))),
    (gans.check_discriminator_loss,
     lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()),
    (gans.check_generator_loss, lambda f: torch.log(1 - torch.sigmoid(f)).mean()),
    (gans.check_generator_loss, lambda f: _bce(f, 0.0)),
    (gans.check_generator_loss, lambda f: -torch.log(torch.sigmoid(f)).mean()),
    (gans.check_discriminator_step, lambda d, o, r, f: _d_step(d, o, r, f, detach=False)),
    (gans.check_discriminator_step, lambda d, o, r, f: _d_step(d, o, r, f, zero=False)),
    (gans.check_discriminator_step, lambda d, o, r, f: _d_step(d, o, r, f, step=False)),
    (attention.check_attention, lambda q, k, v, mask=None: _attention(q, k, v, mask, 1.0)),
    (attention.check_attention, _attention_masked_after),
    (attention.check_attention, lambda q, k, v, mask=None: _attention(q, k, v, mask, fill=0.0)),
    (attention.check_causal_mask, lambda n: torch.ones(n, n, dtype=torch.bool).tril(1)),
    (attention.check_causal_mask, lambda n: torch.ones(n, n, dtype=torch.bool).tril(-1)),
    (attention.check_causal_mask, lambda n: torch.ones(n, n, dtype=torch.bool).triu(1)),
    (attention.check_split_heads, lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1)),
    (attention.check_split_heads, lambda x, h: x.view(x.shape[0], x.shape[1], h, -1)),
    (attention.check_split_heads,
     lambda x, h: x.view(x.shape[0], x.shape[1], -1, h).permute(0, 3, 1, 2)),
    (transformers.check_next_token_probs,
     lambda z, t, k=None: torch.softmax(_top_k(z, k), -1) / t),
    (transformers.check_next_token_probs,
     lambda z, t, k=None: torch.softmax(_top_k(z / t, None if k is None else k + 1), -1)),
    (transformers.check_next_token_probs, lambda z, t, k=None: _top_k(z / t, k)),
    (transformers.check_next_token_rows,
     lambda ids: (ids[:, :-1], torch.where(ids[:, :-1] == 0, -1, ids[:, :-1]))),
    (transformers.check_next_token_rows,
     lambda ids: (ids[:, 1:], torch.where(ids[:, :-1] == 0, -1, ids[:, :-1]))),
    (transformers.check_next_token_rows, lambda ids: (ids[:, :-1], ids[:, 1:])),
    (transformers.check_bert_mask, lambda *args: _bert_mask(*args, words=False)),
    (transformers.check_bert_mask, lambda *args: _bert_mask(*args, label_all=True)),
    (transformers.check_bert_mask, lambda *args: _bert_mask(*args, mask_all=True)),
    (scale.check_block_parameters, lambda C: 12 * C * C + 9 * C),
    (scale.check_block_parameters, lambda C: 12 * C * C + 4 * C),
    (scale.check_block_parameters, lambda C: 6 * C * C + 10 * C),
    (scale.check_adam_memory, lambda n, b: b * n),
    (scale.check_adam_memory, lambda n, b: 3 * b * n),
    (scale.check_adam_memory, lambda n, b: 16 * n),
    (scale.check_training_flops, lambda n, t: 2 * n * t),
    (scale.check_training_flops, lambda n, t: 3 * n * t),
    (scale.check_training_flops, lambda n, t: 4 * n * t),
    (multimodal_data.check_pad_or_truncate,
     lambda a, n: np.concatenate([np.zeros(n - len(a[:n]), a.dtype), a[:n]])),
    (multimodal_data.check_pad_or_truncate,
     lambda a, n: _padded(a[-n:] if 0 < n < len(a) else a[:n], n)),
    (multimodal_data.check_pad_or_truncate, lambda a, n: _padded(a[:n], n, dtype=np.float64)),
    (multimodal_data.check_add_noise_at_snr, _amplitude_for_power),
    (multimodal_data.check_add_noise_at_snr, _global_generator),
    (multimodal_data.check_add_noise_at_snr,
     lambda a, snr, rng: _noisy(a, snr, rng.standard_normal(a.shape), np.max(np.abs(a)) ** 2)),
    (multimodal_data.check_normalize_with_training_stats,
     lambda train, images: (images - images.mean()) / images.std()),
    (multimodal_data.check_normalize_with_training_stats,
     lambda train, images: (images - train.mean(axis=0)) / (train.std(axis=0) + 1e-8)),
    (multimodal_data.check_normalize_with_training_stats,
     lambda train, images: (images - train.mean()) / train.std(ddof=1)),
    (fusion_strategies.check_fuse_features, lambda t, f: np.concatenate(f, axis=1)),
    (fusion_strategies.check_fuse_features,
     lambda t, f: np.concatenate([(x - x.mean(0)) / x.std(0) for x in f], axis=1)),
    (fusion_strategies.check_fuse_features,
     lambda t, f: (np.concatenate(f, 1) - np.concatenate(t, 1).mean())
     / np.concatenate(t, 1).std()),
    (fusion_strategies.check_mask_features, lambda f, p, w: f * np.repeat(~p, w, axis=1)),
    (fusion_strategies.check_mask_features,
     lambda f, p, w: f * np.repeat(p[:, ::-1], w, axis=1)),
    (fusion_strategies.check_mask_features, lambda f, p, w: f * p.all(axis=1, keepdims=True)),
    (fusion_strategies.check_late_mean, lambda p, m: (p * m[:, :, None]).sum(axis=1) / 3),
    (fusion_strategies.check_late_mean, lambda p, m: p.mean(axis=1)),
    (fusion_strategies.check_late_mean,
     lambda p, m: np.where(m.any(1, keepdims=True), (p * m[:, :, None]).sum(1)
                           / np.maximum(m.sum(1, keepdims=True), 1), 0.0)),
    (multimodal_pipeline.check_macro_f1, lambda t, p, k: float(np.mean(t == p))),
    (multimodal_pipeline.check_macro_f1,
     lambda t, p, k: float(np.mean(_f1_per_class(t, p, k)[np.unique(p)]))),
    (multimodal_pipeline.check_macro_f1,
     lambda t, p, k: float(np.sum(_f1_per_class(t, p, k) * np.bincount(t, minlength=k)) / len(t))),
    (multimodal_pipeline.check_choose_epoch, lambda v, t: (int(np.argmax(t)), max(t))),
    (multimodal_pipeline.check_choose_epoch, lambda v, t: (len(v) - 1, t[-1])),
    (multimodal_pipeline.check_choose_epoch, _last_of_tied),
    (multimodal_pipeline.check_recall_per_class,
     lambda m: np.diag(m) / np.maximum(m.sum(axis=0), 1)),
    (multimodal_pipeline.check_recall_per_class, lambda m: np.diag(m) / m.sum()),
    (multimodal_pipeline.check_recall_per_class, _recall_one_if_empty),
    (encoders.check_conv_output_size, lambda n, k, s, p: (n + p - k) // s + 1),
    (encoders.check_conv_output_size, lambda n, k, s, p: (n + 2 * p - k) // s),
    (encoders.check_conv_output_size, lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1),
    (encoders.check_conv2d_single, lambda image, kernel: _conv_single(image, kernel[::-1, ::-1])),
    (encoders.check_conv2d_single, lambda image, kernel: _conv_single(image, kernel)[:-1, :-1]),
    (encoders.check_conv2d_single,
     lambda image, kernel: _conv_single(np.pad(image, ((kernel.shape[0] // 2,
                                                         (kernel.shape[0] - 1) // 2),
                                                        (kernel.shape[1] // 2,
                                                         (kernel.shape[1] - 1) // 2))), kernel)),
    (encoders.check_lstm_step, lambda *a: _lstm_step(*a, swap=True)),
    (encoders.check_lstm_step, lambda *a: _lstm_step(*a, forget_h=True)),
    (encoders.check_lstm_step, lambda *a: _lstm_step(*a, cell_tanh=False)),
    (encoders.check_last_real_frame, lambda outputs, lengths: outputs[:, -1]),
    (encoders.check_last_real_frame,
     lambda outputs, lengths: outputs[np.arange(len(outputs)), lengths]),
    (encoders.check_last_real_frame, lambda outputs, lengths: outputs[:, lengths - 1]),
    (missing_and_noisy_data.check_impute_training_mean,
     lambda t, x, k: np.where(k, x, np.nanmean(x, axis=0))),
    (missing_and_noisy_data.check_impute_training_mean, lambda t, x, k: np.where(k, x, t.mean())),
    (missing_and_noisy_data.check_modality_dropout,
     lambda m, u, p, training: np.where((m & (u >= p)).any(1, keepdims=True), m & (u >= p), m)),
    (missing_and_noisy_data.check_adaptation_split,
     lambda y, k: (np.sort(np.concatenate([np.flatnonzero(y == d)[:k // 10] for d in range(10)])),
                   np.arange(len(y)))),
    (limited_compute.check_median_latency, lambda m, b, r, w: _latency(m, b, r, 0)),
    (limited_compute.check_median_latency,
     lambda m, b, r, w: _latency(m, b, r, w, reduce=statistics.mean)),
    (limited_compute.check_median_latency, lambda m, b, r, w: _latency(m, b, r, w, gradients=True)),
    (limited_compute.check_epoch_shards, lambda *args: _shards(*args, set_epoch=False)),
    (limited_compute.check_epoch_shards,
     lambda n, rank, w, epochs, seed: _shards(n, rank, w, epochs, seed + rank)),
    (limited_compute.check_epoch_shards, _unpadded_shards),
    (limited_compute.check_scaled_learning_rate, lambda lr, base, b, k: lr / (b * k / base)),
    (limited_compute.check_scaled_learning_rate, lambda lr, base, b, k: lr * k),
]


@pytest.mark.parametrize("check, answer", WRONG_ANSWERS, ids=[
    f"{check.__name__}-{i}" for i, (check, _) in enumerate(WRONG_ANSWERS)])
def test_the_quoted_mistakes_are_what_the_checks_say(check, answer):
    feedback = check(answer)
    assert not feedback.ok
    section = next(text for text in sections().values() if f"`{check.__name__}`" in text)
    assert flat(f"✗ {feedback.message}") in flat(section), \
        f"{check.__name__} now says: ✗ {feedback.message}"


def test_the_general_messages_are_what_the_checks_say():
    def stub(z):
        raise NotImplementedError()

    def my_softmax(z):
        return softmax(z)

    general = flat(guide().split("## How the checks answer")[1].split("\n## ")[0])
    for answer in (stub, softmax, my_softmax):
        feedback = forward_pass.check_softmax(answer)
        assert not feedback.ok
        assert flat(f"✗ {feedback.message}") in general, f"the check now says: {feedback!r}"


def test_the_guide_is_linked_from_the_readme():
    assert "TEACHING.md" in (REPO_ROOT / "README.md").read_text()

