"""Notebook 09's exercise checks accept the solutions and name the typical mistakes."""

import pytest
import torch

from mmkit.demos.scale import size_report
from mmkit.exercises import _reference
from mmkit.exercises.scale import (
    BLOCK_KIT,
    FLOPS_KIT,
    MEMORY_KIT,
    check_adam_memory,
    check_block_parameters,
    check_training_flops,
)
from mmkit.models.scale import gpt_parameters, parameter_breakdown, training_flops, training_memory
from mmkit.models.transformer import Block, GPTConfig


def stub(*args):
    raise NotImplementedError()


def assert_wrong(feedback, *fragments):
    assert not feedback.ok, feedback
    for fragment in fragments:
        assert fragment in feedback.message, feedback.message


# --- exercise 1: one block's parameters ---------------------------------------------------------

def block_solution(C):
    return 4 * (C * C + C) + (4 * C * C + 4 * C) + (4 * C * C + C) + 4 * C


def test_block_solution_and_a_pytorch_count_pass():
    assert check_block_parameters(block_solution).ok
    assert check_block_parameters(
        lambda C: sum(p.numel() for p in torch.nn.TransformerEncoderLayer(
            C, 1, 4 * C).parameters())).ok


@pytest.mark.parametrize("answer, fragment", [
    (lambda C: 12 * C * C, "weight matrices only"),
    (lambda C: 12 * C * C + 9 * C, "left out the two layer norms"),
    (lambda C: 12 * C * C + 4 * C, "left out the biases"),
    (lambda C: 12 * C * C + 11 * C, "a scale (weight) and a shift (bias)"),
    (lambda C: 6 * C * C + 10 * C, "widens to 4C"),
    (lambda C: 11 * C * C + 12 * C, "output projection"),
    (lambda C: 12 * C * C + 13 * C + 1, "Count each part"),
])
def test_block_mistakes_are_named(answer, fragment):
    assert_wrong(check_block_parameters(answer), fragment)


def test_block_check_refuses_the_kit():
    assert_wrong(check_block_parameters(gpt_parameters), "kit's own")
    assert_wrong(check_block_parameters(
        lambda C: parameter_breakdown(GPTConfig(1, 1, 1, 1, C))["mlp"]), "write it yourself")
    assert_wrong(check_block_parameters(
        lambda C: sum(p.numel() for p in Block(GPTConfig(1, 1, 1, 1, C)).parameters())),
        "write it yourself")
    assert_wrong(check_block_parameters(
        lambda C: _reference.scale_block_parameters(C)), "write it yourself")
    assert_wrong(check_block_parameters(stub), "Not answered yet")
    assert "mmkit.models.scale.gpt_parameters" in check_block_parameters.kit
    assert len(BLOCK_KIT) >= 5


# --- exercise 2: Adam's memory -----------------------------------------------------------------

def test_memory_solution_passes():
    assert check_adam_memory(lambda n, b: 4 * b * n).ok


@pytest.mark.parametrize("answer, fragment", [
    (lambda n, b: b * n, "weights alone"),
    (lambda n, b: 2 * b * n, "Adam's states are missing"),
    (lambda n, b: 3 * b * n, "One value per weight short"),
    (lambda n, b: 16 * n, "ignored bytes_per_value"),
    (lambda n, b: 32 * b * n, "counted bits"),
    (lambda n, b: 5 * b * n, "Count the values kept per weight"),
])
def test_memory_mistakes_are_named(answer, fragment):
    assert_wrong(check_adam_memory(answer), fragment)


def test_memory_check_refuses_the_kit():
    assert_wrong(check_adam_memory(training_memory), "kit's own")
    assert_wrong(check_adam_memory(lambda n, b: training_memory(n, b)["total"]),
                 "write it yourself")
    assert_wrong(check_adam_memory(
        lambda n, b: size_report(1, 4, 1, 1, 1).memory["total"]), "write it yourself")
    assert len(MEMORY_KIT) == 2


# --- exercise 3: training compute --------------------------------------------------------------

def test_flops_solution_passes():
    assert check_training_flops(lambda n, t: 6 * n * t).ok


@pytest.mark.parametrize("answer, fragment", [
    (lambda n, t: 2 * n * t, "forward pass alone"),
    (lambda n, t: 4 * n * t, "backward pass alone"),
    (lambda n, t: 3 * n * t, "multiply-add as one operation"),
    (lambda n, t: n * t, "One operation per weight and token"),
    (lambda n, t: 6 * n + t, "forward pass and the backward pass"),
])
def test_flops_mistakes_are_named(answer, fragment):
    assert_wrong(check_training_flops(answer), fragment)


def test_flops_check_refuses_the_kit():
    assert_wrong(check_training_flops(training_flops), "kit's own")
    assert_wrong(check_training_flops(lambda n, t: training_flops(n, t)), "write it yourself")
    assert_wrong(check_training_flops(stub), "Not answered yet")
    assert len(FLOPS_KIT) == 2
