"""The tiny audio-LLM (notebook 08): training moves only the adapter, saving round-trips, and
the shipped adapters meet the bake-off's baseline criteria on a fixed held-out set."""

import numpy as np
import pytest
import torch

from course_lib import audio_llm, lm, metrics, rates


@pytest.fixture(scope="module")
def language_model():
    return lm.load_lm()


def test_training_changes_the_adapter_only(language_model, tmp_path, monkeypatch):
    from course_lib.recognizer import load_recognizer

    # a few test-split items stand in for the training split: its encoder cache takes minutes
    # to build in a fresh clone, and three steps need only a handful of utterances
    few = audio_llm.encoded_split("test split")[:8]
    monkeypatch.setattr(audio_llm, "encoded_split", lambda split, cache=True: few)

    lm_before = {k: v.clone() for k, v in language_model.state_dict().items()}
    encoder = load_recognizer()
    encoder_before = {k: v.clone() for k, v in encoder.state_dict().items()}
    torch.manual_seed(0)
    initial = audio_llm.adapters.make_adapter("pool").state_dict()
    model, record = audio_llm.train("pool", steps=3, batch_size=4, language_model=language_model)
    assert record["steps"] == 3
    assert all(torch.equal(lm_before[k], v) for k, v in language_model.state_dict().items())
    assert all(torch.equal(encoder_before[k], v)
               for k, v in load_recognizer().state_dict().items())
    assert any(not torch.equal(initial[k], v) for k, v in model.adapter.state_dict().items())
    path = audio_llm.save({"pool": model}, {"pool": record}, tmp_path / "a.pt")
    loaded = audio_llm.load_audio_llm("pool", path, language_model=language_model)
    for key, value in model.adapter.state_dict().items():
        torch.testing.assert_close(loaded.adapter.state_dict()[key], value.half().float())
    with pytest.raises(ValueError, match="family must be one of"):
        audio_llm.load_audio_llm("stack", path, language_model=language_model)


def test_onset_targets_mark_the_bins_where_words_start():
    item = {"hidden": np.zeros((50, 192)), "words": np.array([[0.0, 0.3], [0.34, 0.9]])}
    targets, mask = audio_llm.onset_targets([item])
    assert mask.sum() == 10
    assert targets[0].nonzero().flatten().tolist() == [0, 3]


@pytest.fixture(scope="module")
def fixed_held_out():
    """The fixed held-out set: all 80 held-out sentences (never trained on), as the bake-off
    measures them. With greedy decoding the window Q-Former cleared the first criterion by 20.7
    points on all 80 and by 19.9 on the first 40 alone; with the beam search, by 23.5 on all 80."""
    return audio_llm.encoded_split("held-out sentences")


def test_shipped_adapters_beat_the_prior_by_20_points(language_model, fixed_held_out):
    references = [item["text"] for item in fixed_held_out]
    for family in rates.ADAPTER_FAMILIES:
        model = audio_llm.load_audio_llm(family, language_model=language_model)
        heard = metrics.character_error_rate(
            references, audio_llm.transcribe_items(model, fixed_held_out))
        prior = metrics.character_error_rate(
            references, audio_llm.transcribe_items(model, fixed_held_out, shuffle_audio=True))
        assert prior - heard >= 0.20, f"{family}: {heard:.1%} against the prior's {prior:.1%}"


@pytest.mark.xfail(strict=True, reason="not met: the best adapter (CTC merging) has 28.1% character error on the held-out sentences (beam search, 5 beams; 34.4% greedily); the frozen LM itself, handed the true phones at 50 frames/s, has 19.8% (data/README.md)")
def test_best_shipped_adapter_reaches_20_percent_on_held_out(language_model, fixed_held_out):
    best = min(audio_llm.shipped_bake_off(), key=lambda row: row["cer held-out sentences"])
    model = audio_llm.load_audio_llm(best["family"], language_model=language_model)
    heard = audio_llm.transcribe_items(model, fixed_held_out)
    cer = metrics.character_error_rate([item["text"] for item in fixed_held_out], heard)
    assert cer <= 0.20, f"{best['family']}: {cer:.1%}"


def test_frame_phones_places_each_phone_where_it_is_said():
    # sil for 2 frames, /k/ for 1.5, /æ/ for 1.5: frame 3 holds half /k/, half /æ/
    item = {"hidden": np.zeros((6, 192)), "durations": np.array([2.0, 1.5, 1.5])}
    weights = audio_llm.frame_phones(item)
    assert weights.shape == (6, 3)   # one frame past the phones repeats the last
    np.testing.assert_allclose(weights, [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0.5, 0.5],
                                         [0, 0, 1], [0, 0, 1]])
