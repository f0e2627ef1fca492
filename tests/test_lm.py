"""The tiny character LM (notebook 08): text round trips, smearing, masking, and
the shipped model's perplexity. Nothing here trains long."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_lib import lm
from course_lib.text import held_out_sentences


def test_normalize_and_round_trip():
    assert lm.normalize("Hello, World!  It's  me.") == "hello world it's me"
    assert lm.decode_text(lm.encode_text("Don't stop.")) == "don't stop"
    assert lm.encode_text("")[0] == lm.BOS and lm.encode_text("")[-1] == lm.EOS


@given(durations=st.lists(st.floats(0.05, 8.0), min_size=1, max_size=60))
def test_smear_rows_are_overlaps_that_sum_to_one(durations):
    weights = lm.smear(durations)
    assert weights.shape == (int(np.ceil(sum(durations) - 1e-9)), len(durations))
    np.testing.assert_allclose(weights.sum(1), 1.0)
    assert np.all(weights >= 0)
    # every unit is read by some frame, in order, and a frame's weights are its overlaps
    assert np.all(weights.sum(0) > 0)
    first = np.argmax(weights > 0, axis=1)
    assert np.all(np.diff(first) >= 0)


def test_smear_by_hand():
    np.testing.assert_allclose(lm.smear([2.0, 2.0]), [[1, 0], [1, 0], [0, 1], [0, 1]])
    np.testing.assert_allclose(lm.smear([0.5, 0.5, 0.5, 0.5]),
                               [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    np.testing.assert_allclose(lm.smear([1.5, 0.5]), [[1, 0], [0.5, 0.5]])
    for bad in ([], [1.0, 0.0], [[1.0]]):
        with pytest.raises(ValueError, match="durations"):
            lm.smear(bad)


def test_word_list_lines_spell_every_word_once_a_pass():
    from course_lib.text import english_words
    lines = lm.word_list_lines(n_passes=2, seed=3)
    counts = {}
    for line in lines:
        assert len(line.split()) <= lm.WORDS_PER_LINE
        for word in line.split():
            counts[word] = counts.get(word, 0) + 1
    assert counts == {word: 2 for word in english_words()}
    assert lines == lm.word_list_lines(n_passes=2, seed=3) != lm.word_list_lines(n_passes=2, seed=4)
    with pytest.raises(ValueError, match="n_passes"):
        lm.word_list_lines(n_passes=0)


def test_training_text_holds_no_held_out_sentence():
    training = set(lm.training_text())
    assert not training & {lm.normalize(s) for s in held_out_sentences()}


def test_smeared_batch_reads_the_phone_table_and_masks_padding():
    torch.manual_seed(0)
    model = lm.CharLM()
    spoken = [(np.array([0, 5, 0]), np.array([2.0, 4.0, 2.0])), (np.array([7]), np.array([3.0]))]
    prefix, mask = lm._smeared_batch(model, spoken, np.random.default_rng(0), progress=0.0)
    # at progress 0 the durations are scaled by 1/4 without jitter: 2 frames, then 1
    assert prefix.shape == (2, 2, model.d_model) and mask.tolist() == [[True, True], [True, False]]
    table = model.phone_embed.weight.detach()
    noise_free = torch.stack([0.5 * table[0] + 0.5 * table[5], 0.5 * table[5] + 0.5 * table[0]])
    assert torch.allclose(prefix[0].detach(), noise_free, atol=0.5 * float(noise_free.std()))


def test_padding_and_masked_prefix_change_nothing():
    torch.manual_seed(0)
    model = lm.CharLM().eval()
    tokens = torch.tensor([lm.encode_text("a cat")])
    padded = torch.cat([tokens, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    prefix = torch.randn(1, 4, model.d_model)
    with torch.no_grad():
        alone = model(tokens, prefix)
        with_padding = model(padded, torch.cat([prefix, torch.randn(1, 2, model.d_model)], 1),
                             torch.tensor([[True] * 4 + [False] * 2]))
    torch.testing.assert_close(with_padding[:, :tokens.shape[1]], alone, atol=1e-5, rtol=1e-4)


def test_causal_a_later_character_does_not_change_earlier_predictions():
    torch.manual_seed(0)
    model = lm.CharLM().eval()
    a, b = torch.tensor([lm.encode_text("abc")]), torch.tensor([lm.encode_text("abz")])
    with torch.no_grad():
        torch.testing.assert_close(model(a)[:, :3], model(b)[:, :3])


def test_shipped_lm_is_frozen_and_better_than_a_uniform_guess():
    model = lm.load_lm()
    assert not any(p.requires_grad for p in model.parameters())
    held_out = [lm.normalize(s) for s in held_out_sentences()]
    assert lm.perplexity(model, held_out) < 10    # uniform over 28 characters would be 28
    with pytest.raises(ValueError, match="path must name"):
        lm.load_lm("/nonexistent/lm.pt")


def test_cached_generation_equals_greedy_decoding_with_the_full_forward():
    torch.manual_seed(0)
    model = lm.CharLM().eval()
    prefix = torch.randn(2, 5, model.d_model)
    prefix_mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    generated = model.generate(prefix, prefix_mask, max_length=12)
    for row in range(2):
        n = int(prefix_mask[row].sum())
        tokens = torch.tensor([[lm.BOS]])
        with torch.no_grad():
            while tokens.shape[1] < 12:
                following = model(tokens, prefix[row:row + 1, :n])[:, -1].argmax(-1)
                tokens = torch.cat([tokens, following[:, None]], dim=1)
                if int(following) == lm.EOS:
                    break
        assert generated[row] == lm.decode_text(tokens[0, 1:])


def test_cached_steps_give_the_full_forward_logits_position_by_position():
    torch.manual_seed(1)
    model = lm.CharLM().eval()
    tokens = torch.tensor([lm.encode_text("a cat sat")])
    prefix = torch.randn(1, 6, model.d_model)
    keep = torch.ones(1, 7, dtype=torch.bool)
    with torch.no_grad():
        full = model(tokens, prefix)
        x = torch.cat([prefix + model.prefix_positions(torch.arange(6)),
                       model.embed(tokens[:, :1]) + model.text_positions(torch.tensor([0]))], 1)
        cache = [None] * len(model.layers.layers)
        steps = [model._cached_step(x, keep, cache, first=True)]
        for position in range(1, tokens.shape[1]):
            keep = torch.cat([keep, torch.ones(1, 1, dtype=torch.bool)], 1)
            x = (model.embed(tokens[:, position]) + model.text_positions(
                torch.tensor([position])))[:, None]
            steps.append(model._cached_step(x, keep, cache, first=False))
    torch.testing.assert_close(torch.stack(steps, 1), full, atol=1e-4, rtol=1e-4)


def _plain_beam_search(model, prefix, width, max_length):
    """The reference: the same ranking rule, one item, a full forward pass per step, no cache."""
    beams, finished = [([lm.BOS], 0.0)], []
    for length in range(1, max_length):
        with torch.no_grad():
            logits = model(torch.tensor([t for t, _ in beams]), prefix.expand(len(beams), -1, -1))
        log_probs = torch.log_softmax(logits[:, -1], -1)
        ranked = sorted(((score + float(log_probs[b, c]), b, c) for b, (_, score) in
                         enumerate(beams) for c in range(lm.EOS, len(lm.VOCABULARY))),
                        key=lambda candidate: -candidate[0])
        going_on = []
        for total, b, c in ranked:
            if len(going_on) == width or len(finished) >= width:
                break
            if c == lm.EOS:
                finished.append((total / length, beams[b][0][1:]))
            else:
                going_on.append((beams[b][0] + [c], total))
        beams = going_on
        if len(finished) >= width:
            break
    finished += [(score / (max_length - 1), t[1:]) for t, score in beams][:width - len(finished)]
    return lm.decode_text(max(finished, key=lambda pair: pair[0])[1])


@pytest.fixture(scope="module")
def shipped():
    return lm.load_lm()


def test_beam_search_equals_a_plain_uncached_beam_search(shipped):
    torch.manual_seed(2)
    table = shipped.phone_embed.weight
    prefixes = [table[torch.randint(0, len(table), (n,))] for n in (9, 4)]
    padded = torch.nn.utils.rnn.pad_sequence(prefixes, batch_first=True)
    mask = torch.tensor([[True] * 9, [True] * 4 + [False] * 5])
    searched = shipped.beam_search(padded, mask, beam_width=3, max_length=25)
    for row, prefix in enumerate(prefixes):
        assert searched[row] == _plain_beam_search(shipped, prefix[None], 3, 25)


def test_one_beam_is_greedy_decoding(shipped):
    torch.manual_seed(3)
    prefix = shipped.phone_embed.weight[torch.randint(0, 59, (3, 12))]
    assert shipped.beam_search(prefix, beam_width=1, max_length=40) == shipped.generate(
        prefix, max_length=40)


@given(st.lists(st.integers(1, 8), min_size=1, max_size=3), st.integers(1, 4))
def test_beam_search_of_a_padded_batch_equals_each_item_alone(lengths, width):
    torch.manual_seed(sum(lengths))
    model = lm.CharLM(d_model=32, n_layers=1, n_heads=2).eval()
    prefixes = [torch.randn(n, 32) for n in lengths]
    padded = torch.nn.utils.rnn.pad_sequence(prefixes, batch_first=True)
    mask = torch.arange(max(lengths))[None] < torch.tensor(lengths)[:, None]
    together = model.beam_search(padded, mask, beam_width=width, max_length=8)
    assert together == [model.beam_search(p[None], beam_width=width, max_length=8)[0]
                        for p in prefixes]


def test_bad_beam_width_raises(shipped):
    with pytest.raises(ValueError, match="beam_width"):
        shipped.beam_search(beam_width=0)


def test_too_short_a_beam_search_raises(shipped):
    with pytest.raises(ValueError, match="max_length"):
        shipped.beam_search(max_length=1)
