"""course_lib.threads: limits hold inside the block and are restored after it."""

import pytest
import torch
from threadpoolctl import threadpool_info

from course_lib.threads import limited_threads


def test_limits_apply_inside_and_are_restored_even_after_an_error():
    original = torch.get_num_threads()
    torch.set_num_threads(2)
    with limited_threads(1):
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError):
        with limited_threads(1):
            raise RuntimeError("inside")
    assert torch.get_num_threads() == 2
    torch.set_num_threads(original)


def test_thread_count_is_validated():
    with pytest.raises(ValueError, match="n_threads"):
        with limited_threads(0):
            pass
    with pytest.raises(TypeError, match="n_threads"):
        with limited_threads("1"):
            pass
