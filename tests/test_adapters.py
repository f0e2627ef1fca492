"""Adapters (notebook 08): T' on random lengths, padding invariance, clear errors, and that
training moves only the adapter. Nothing here trains long."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib import adapters, ctc, lm, rates

FAMILIES = rates.ADAPTER_FAMILIES


def _batch(lengths, seed=0):
    generator = torch.Generator().manual_seed(seed)
    n_frames = max(lengths)
    hidden = torch.randn(len(lengths), n_frames, adapters.D_ENCODER, generator=generator)
    log_probs = torch.randn(len(lengths), n_frames, 59, generator=generator).log_softmax(-1)
    mask = torch.arange(n_frames)[None] < torch.tensor(lengths)[:, None]
    return hidden, mask, log_probs


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {family: adapters.make_adapter(family).eval() for family in FAMILIES}


@pytest.mark.parametrize("family", FAMILIES)
@given(lengths=st.lists(st.integers(1, 90), min_size=1, max_size=4))
def test_shapes_and_token_counts_follow_rates(models, family, lengths):
    adapter = models[family]
    hidden, mask, log_probs = _batch(lengths)
    with torch.no_grad():
        tokens, token_mask = adapter(hidden, mask, log_probs)
    assert tokens.shape[0] == len(lengths) and tokens.shape[2] == adapters.D_LLM
    assert tokens.shape[1] == token_mask.shape[1]
    for item, n in enumerate(lengths):
        segments = None
        if family == "ctc_merge":
            segments = len(ctc.ctc_segments(log_probs[item, :n].numpy()))
        assert int(token_mask[item].sum()) == adapter.n_tokens(n, segments)
        assert torch.all(tokens[item][~token_mask[item]] == 0)


def test_token_counts_by_hand():
    # 10 s at 50 fps: Ultravox's stack of 8 -> 63, Qwen-Audio's pool of 2 -> 250
    assert rates.adapter_tokens("stack", 500, factor=8) == 63
    assert rates.adapter_tokens("pool", 500, factor=2) == 250
    assert rates.adapter_tokens("qformer", 7, n_queries=32) == 32
    assert rates.adapter_tokens("window_qformer", 1) == 1
    assert rates.adapter_tokens("window_qformer", 18) == 2
    assert rates.window_tokens(1500, 17, keep_partial=False) == 88   # SALMONN, 30 s
    assert rates.adapter_tokens("linear", 1) == 1
    assert rates.adapter_tokens("ctc_merge", 40, n_segments=0) == 1
    assert rates.attention_pairs(500, 40) == 540 ** 2


@given(n_frames=st.integers(1, 3000), factor=st.integers(1, 12))
def test_conv_tokens_equal_the_ceiling_for_the_adapters_kernel(n_frames, factor):
    kernel = 2 * (factor // 2) + 1
    conv = torch.nn.Conv1d(1, 1, kernel, stride=factor, padding=factor // 2)
    expected = conv(torch.zeros(1, 1, n_frames)).shape[-1]
    assert rates.conv_tokens(n_frames, kernel, factor, factor // 2) == expected
    assert rates.adapter_tokens("conv", n_frames, factor=factor) == expected


@pytest.mark.parametrize("family", FAMILIES)
def test_a_padded_batch_equals_its_items_one_by_one(models, family):
    lengths = [1, 8, 17, 23, 50]
    hidden, mask, log_probs = _batch(lengths, seed=1)
    with torch.no_grad():
        tokens, token_mask = models[family](hidden, mask, log_probs)
        for item, n in enumerate(lengths):
            alone, alone_mask = models[family](hidden[item:item + 1, :n], mask[item:item + 1, :n],
                                               log_probs[item:item + 1, :n])
            k = int(alone_mask.sum())
            assert int(token_mask[item].sum()) == k
            torch.testing.assert_close(tokens[item, :k], alone[0, :k], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("family", FAMILIES)
def test_bad_input_raises_a_clear_error(models, family):
    hidden, mask, log_probs = _batch([5, 3])
    adapter = models[family]
    with pytest.raises(ValueError, match="hidden must have shape"):
        adapter(hidden[..., :10], mask, log_probs)
    with pytest.raises(ValueError, match="hidden must have shape"):
        adapter(hidden[0], mask, log_probs)
    with pytest.raises(ValueError, match="mask must have shape"):
        adapter(hidden, mask[:, :3], log_probs)
    with pytest.raises(TypeError, match="mask must be a bool"):
        adapter(hidden, torch.as_tensor(mask, dtype=torch.float32), log_probs)
    with pytest.raises(ValueError, match="at least one real frame"):
        adapter(hidden, torch.zeros_like(mask), log_probs)
    with pytest.raises(ValueError, match="real frames first"):
        adapter(hidden, mask.flip(1), log_probs)
    with pytest.raises(ValueError, match="finite"):
        adapter(hidden.masked_fill(mask[..., None], float("nan")), mask, log_probs)
    with pytest.raises(TypeError, match="hidden"):
        adapter("frames", mask, log_probs)


def test_ctc_merge_needs_log_probs(models):
    hidden, mask, _ = _batch([4])
    with pytest.raises(ValueError, match="log_probs must be given"):
        models["ctc_merge"](hidden, mask)


def test_unknown_family_and_bad_settings_are_refused():
    with pytest.raises(ValueError, match="family"):
        adapters.make_adapter("perceiver")
    with pytest.raises(ValueError, match="factor"):
        adapters.make_adapter("stack", factor=0)
    with pytest.raises(ValueError, match="n_segments must be given"):
        rates.adapter_tokens("ctc_merge", 10)


def test_ctc_merge_averages_the_frames_of_each_run():
    adapter = adapters.make_adapter("ctc_merge").eval()
    hidden, mask, _ = _batch([6])
    path = [0, 0, 5, 5, 5, 0]
    log_probs = torch.full((1, 6, 59), -20.0)
    log_probs[0, torch.arange(6), torch.tensor(path)] = 0.0
    with torch.no_grad():
        tokens, token_mask = adapter(hidden, mask, log_probs)
        runs = [hidden[0, 0:2].mean(0), hidden[0, 2:5].mean(0), hidden[0, 5:6].mean(0)]
        expected = adapter.project(torch.stack(runs))
    assert token_mask.tolist() == [[True, True, True]]
    torch.testing.assert_close(tokens[0], expected)


@pytest.mark.parametrize("family", FAMILIES)
def test_gradients_reach_only_the_adapter(family):
    torch.manual_seed(0)
    from course_lib.audio_llm import AudioLLM

    model = AudioLLM(adapters.make_adapter(family), lm.CharLM())
    hidden, mask, log_probs = _batch([12, 30])
    hidden.requires_grad_(True)
    tokens = torch.tensor([lm.encode_text("the cat"), lm.encode_text("a dog") + [lm.PAD] * 2])
    model.loss(hidden, mask, log_probs, tokens).backward()
    assert all(p.grad is None for p in model.lm.parameters())
    assert all(p.grad is not None for p in model.adapter.parameters() if p.requires_grad)
    assert any(float(p.grad.abs().sum()) > 0 for p in model.adapter.parameters())


def test_coverage_and_the_explorer():
    from course_lib.widgets import adapter_explorer, adapter_view

    hidden, _, log_probs = _batch([40])
    for family in FAMILIES:
        weights = adapters.coverage(adapters.make_adapter(family).eval(), hidden[0],
                                    log_probs[0].numpy())
        torch.testing.assert_close(weights.sum(1), torch.ones(len(weights)))
    stack = adapters.coverage(adapters.make_adapter("stack"), hidden[0])
    assert stack.shape == (5, 40) and torch.all(stack[0, :8] == 1 / 8)
    figure = adapter_view("pool", 2, 32, 0.5, hidden[0], log_probs[0].numpy())
    assert "T' = 13" in figure.axes[0].get_title()
    explorer = adapter_explorer(hidden[0].numpy(), log_probs[0].numpy())
    explorer.children[0].value = "qformer"
    assert "T' = 32" in explorer.result.axes[0].get_title()


def test_qformers_read_the_order_of_their_frames():
    """Without place codes cross-attention reads a bag of frames: one window's frames
    reversed would give the same tokens."""
    torch.manual_seed(0)
    hidden = torch.randn(1, 17, adapters.D_ENCODER)
    mask = torch.ones(1, 17, dtype=torch.bool)
    for family in ("qformer", "window_qformer"):
        adapter = adapters.make_adapter(family).eval()
        with torch.no_grad():
            forward, _ = adapter(hidden, mask)
            backward, _ = adapter(hidden.flip(1), mask)
        assert not torch.allclose(forward, backward, atol=1e-3), family


def test_place_code_is_a_sinusoid_of_the_place():
    code = adapters.place_code(torch.tensor([0.0, 0.5, 1.0]), 8)
    assert code.shape == (3, 8)
    np.testing.assert_allclose(code[0].numpy(), [0, 0, 0, 0, 1, 1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(code[1, :4].numpy(), np.sin(np.pi * 0.5 * np.arange(1, 5)), atol=1e-6)


def test_untrained_qformer_queries_tile_the_clip_in_order():
    torch.manual_seed(0)
    adapter = adapters.make_adapter("qformer").eval()
    for n_frames in (40, 150, 400):
        peaks = adapters.coverage(adapter, torch.randn(n_frames, adapters.D_ENCODER)).argmax(1)
        assert peaks[0] < n_frames / 8 and peaks[-1] > 7 * n_frames / 8
        assert (peaks.diff() >= -2).all(), peaks   # in order, up to a frame or two
