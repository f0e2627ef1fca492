"""The validation layer: what it accepts, what it refuses, and how it says so."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib import validate


@pytest.mark.parametrize("value", [3, np.int8(3), np.int64(3), np.uint16(3)])
def test_integer_accepts_python_and_numpy_integers(value):
    assert validate.integer(value, "n") == 3 and type(validate.integer(value, "n")) is int


@pytest.mark.parametrize("value", [True, 3.0, "3", None, 3 + 0j, np.float32(3)])
def test_integer_refuses_other_kinds_with_type_error_naming_the_argument(value):
    with pytest.raises(TypeError, match="n_frames must be an integer"):
        validate.integer(value, "n_frames")


def test_integer_range_is_inclusive():
    assert validate.integer(0, "n", minimum=0, maximum=0) == 0
    with pytest.raises(ValueError, match=r"n must be an integer >= 1 and <= 4, got 5"):
        validate.integer(5, "n", minimum=1, maximum=4)


@pytest.mark.parametrize("value", [2.5, np.float32(2.5), np.float64(2.5), np.array(2.5),
                                   torch.tensor(2.5)])
def test_real_accepts_numbers_and_zero_dimensional_arrays(value):
    assert validate.real(value, "x") == 2.5


@pytest.mark.parametrize("value, error", [(float("nan"), ValueError), (float("inf"), ValueError),
                                          ("175", TypeError), (None, TypeError),
                                          (1j, TypeError), (False, TypeError)])
def test_real_refuses_non_finite_and_non_numbers(value, error):
    with pytest.raises(error, match="top_db must be a finite real number"):
        validate.real(value, "top_db")


def test_real_above_is_strict():
    with pytest.raises(ValueError, match="tau must be a finite real number > 0, got 0"):
        validate.real(0, "tau", above=0)


@pytest.mark.parametrize("value", [[0.5, 1.0], (0.5, 1.0), np.array([0.5, 1.0], np.float32),
                                   torch.tensor([0.5, 1.0], dtype=torch.float64)])
def test_array_converts_what_a_learner_passes(value):
    converted = validate.array(value, "x", ndim=1)
    assert converted.dtype == np.float64
    np.testing.assert_array_equal(converted, [0.5, 1.0])


@pytest.mark.parametrize("value, error, fragment", [
    (np.array([1 + 1j]), TypeError, "real numbers"),
    (np.array(["a"]), TypeError, "real numbers"),
    ("abc", TypeError, "real numbers"),
    (None, TypeError, "real numbers"),
    (np.zeros((2, 2)), ValueError, "1-D array"),
    (np.zeros(0), ValueError, "at least 1 entries"),
    ([1.0, np.nan], ValueError, "finite values"),
    ([[1.0], [1.0, 2.0]], ValueError, "rectangular"),
])
def test_array_refusals_name_the_argument(value, error, fragment):
    with pytest.raises(error, match=fragment) as raised:
        validate.array(value, "features", ndim=1)
    assert str(raised.value).startswith("features must")


def test_integer_arrays_refuse_floats_rather_than_truncate():
    with pytest.raises(TypeError, match="integers"):
        validate.array([1.5, 2.0], "codes", dtype=np.int64)
    assert validate.array([], "codes", dtype=np.int64, min_length=0).dtype == np.int64


def test_minus_infinity_allowed_only_where_asked():
    values = [0.0, -np.inf]
    np.testing.assert_array_equal(validate.array(values, "log_probs", allow_inf=True), values)
    with pytest.raises(ValueError, match="log_probs must hold finite values"):
        validate.array(values, "log_probs")


def test_labels_refuse_a_single_string():
    with pytest.raises(TypeError, match=r"wrap it as \['sil'\]"):
        validate.labels("sil", "phone_labels")
    assert validate.labels(np.array(["s", "i"]), "phone_labels") == ["s", "i"]
    with pytest.raises(TypeError, match="phone_labels must be a list of strings"):
        validate.labels(["s", 1], "phone_labels")


def test_label_indices_are_range_checked():
    with pytest.raises(ValueError, match=r"target must hold indices in \[0, 3\)"):
        validate.label_indices([0, 3], "target", n_labels=3)


def test_choice_lists_the_options():
    with pytest.raises(ValueError, match="mode must be one of 'average', 'last'"):
        validate.choice("mean", "mode", ("average", "last"))
    with pytest.raises(ValueError, match="mode must be one of"):
        validate.choice(["unhashable"], "mode", ("average",))


@given(st.integers(min_value=-10**6, max_value=10**6))
def test_integer_round_trips_every_int(value):
    assert validate.integer(value, "n") == value
    assert validate.integer(np.int64(value), "n") == value


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1))
def test_array_keeps_every_finite_float(values):
    np.testing.assert_array_equal(validate.array(values, "x", ndim=1),
                                  np.asarray(values, dtype=np.float64))


@pytest.mark.parametrize("value", [np.array(3), torch.tensor(3), np.uint8(3)])
def test_integer_accepts_zero_dimensional_integer_arrays_and_tensors(value):
    assert validate.integer(value, "n") == 3


@pytest.mark.parametrize("value", [np.array(3.0), torch.tensor(3.0), np.array(True)])
def test_integer_refuses_zero_dimensional_float_and_bool_arrays(value):
    with pytest.raises(TypeError, match="n must be an integer"):
        validate.integer(value, "n")


def test_real_below_is_strict():
    assert validate.real(0.999, "self_loop", minimum=0, below=1) == 0.999
    with pytest.raises(ValueError, match=r"self_loop must be a finite real number < 1 and >= 0"):
        validate.real(1, "self_loop", minimum=0, below=1)


def test_array_converts_half_precision_tensors_and_refuses_complex_tensors():
    np.testing.assert_array_equal(validate.array(torch.ones(2, dtype=torch.bfloat16), "x"),
                                  [1.0, 1.0])
    with pytest.raises(TypeError, match="x must be"):
        validate.array(torch.ones(2, dtype=torch.complex64), "x")


@pytest.mark.parametrize("value, error", [("", ValueError), ("  ", ValueError),
                                          (None, TypeError), (b"hi", TypeError),
                                          (["hi"], TypeError)])
def test_text_refuses_empty_and_non_strings(value, error):
    with pytest.raises(error, match="text must be a non-empty string"):
        validate.text(value, "text")
    assert validate.text("", "text", non_empty=False) == ""


@pytest.mark.parametrize("value", [torch.ones(2, 3, dtype=torch.float64), np.ones((2, 3)),
                                   [[1, 1, 1], [1, 1, 1]], torch.ones(2, 3, dtype=torch.int64)])
def test_tensor_casts_what_a_learner_passes_to_the_module_dtype(value):
    converted = validate.tensor(value, "vectors", dtype=torch.float32)
    assert converted.dtype == torch.float32
    torch.testing.assert_close(converted, torch.ones(2, 3))


def test_tensor_keeps_the_autograd_graph_through_the_cast():
    leaf = torch.ones(3, dtype=torch.float64, requires_grad=True)
    validate.tensor(leaf, "vectors", dtype=torch.float32).sum().backward()
    torch.testing.assert_close(leaf.grad, torch.ones(3, dtype=torch.float64))


@pytest.mark.parametrize("value, error, fragment", [
    (torch.ones(3, dtype=torch.complex64), TypeError, "real tensor"),
    (torch.ones(3, dtype=torch.bool), TypeError, "real tensor"),
    (np.array([1j]), TypeError, "real numbers"),
    ("abc", TypeError, "real tensor"),
    (None, TypeError, "real tensor"),
    (torch.ones(0, 4), ValueError, "no empty axis"),
    (torch.tensor(1.0), ValueError, "at least 1 dimension"),
    (torch.tensor([1.0, float("nan")]), ValueError, "finite values"),
])
def test_tensor_refusals_name_the_argument(value, error, fragment):
    with pytest.raises(error, match=fragment) as raised:
        validate.tensor(value, "vectors")
    assert str(raised.value).startswith("vectors must")


def test_boolean_takes_only_booleans():
    assert validate.boolean(np.True_, "cache") is True
    for value in ("no", 0, None):
        with pytest.raises(TypeError, match="cache must be True or False"):
            validate.boolean(value, "cache")


def test_array_with_no_dtype_keeps_float32_and_float64():
    assert validate.array(np.ones(2, np.float32), "x", dtype=None).dtype == np.float32
    assert validate.array(np.ones(2), "x", dtype=None).dtype == np.float64
    assert validate.array([1, 2], "x", dtype=None).dtype == np.float64


def test_integer_tensors_refuse_floats_rather_than_truncate():
    codes = validate.tensor(np.array([[0, 3]]), "codes", dtype=torch.int64)
    assert codes.dtype == torch.int64 and codes.tolist() == [[0, 3]]
    for floats in (torch.tensor([[0.0, 1.5]]), [[0.5]]):
        with pytest.raises(TypeError, match="codes must be an (integer tensor|array of integers)"):
            validate.tensor(floats, "codes", dtype=torch.int64)


def test_generator_accepts_a_numpy_generator_and_refuses_seeds_and_legacy_state():
    rng = np.random.default_rng(0)
    assert validate.generator(rng, "generator") is rng
    for value in (0, None, "0", np.random.RandomState(0)):
        with pytest.raises(TypeError, match="generator must be a NumPy random Generator"):
            validate.generator(value, "generator")
