"""The shipped tiny codec: shapes, determinism, per-level quality. Nothing here trains long."""

import numpy as np
import pytest
import torch

from course_lib import codec
from course_lib.data import build_corpus
from course_lib.quantize import rvq_decode, rvq_encode
from course_lib.synth import synthesize


@pytest.fixture(scope="module")
def model():
    return codec.load_codec()


@pytest.fixture(scope="module")
def sentence():
    return synthesize("The cat sat on the mat.")


def test_shipped_weights_are_small():
    for distill in (None, "phones"):
        assert codec.weights_path(distill).stat().st_size < 5_000_000  # float16


def test_encode_gives_one_code_per_level_and_frame(model, sentence):
    codes = model.encode(sentence.waveform)
    n_frames = int(np.ceil(len(sentence.waveform) / codec.SAMPLES_PER_FRAME))
    assert codes.shape == (n_frames, codec.N_CODEBOOKS) and codes.dtype == np.int64
    assert codes.min() >= 0 and codes.max() < codec.CODEBOOK_SIZE
    assert codec.FRAMES_PER_SECOND == 50


def test_encode_and_decode_are_deterministic(model, sentence):
    """The same codes give the same audio from another copy of the model, whatever the global
    random generator holds and whatever was decoded before (Griffin-Lim starts from a fixed
    phase); other codes give other audio."""
    codes = model.encode(sentence.waveform)
    np.testing.assert_array_equal(codes, model.encode(sentence.waveform))
    assert np.array_equal(codes, codec.load_codec().encode(sentence.waveform))
    torch.manual_seed(0)
    audio = model.decode(codes)
    other = model.decode(codes[::-1].copy())
    torch.manual_seed(1)
    np.testing.assert_array_equal(codec.load_codec().decode(codes), audio)
    assert np.abs(audio - other).max() > 0.01


@pytest.mark.parametrize("n_levels", [1, 2, 4, 8])
def test_decode_takes_any_number_of_leading_levels(model, sentence, n_levels):
    codes = model.encode(sentence.waveform)
    audio = model.decode(codes[:, :n_levels])
    assert audio.shape == (len(codes) * codec.SAMPLES_PER_FRAME,) and audio.dtype == np.float32
    assert np.all(np.isfinite(audio))


def test_codes_are_the_numpy_rvq_of_the_latents(model, sentence):
    """The module's quantizer is residual VQ: course_lib.quantize gives the same codes."""
    with torch.no_grad():
        latents = model.latents(torch.from_numpy(sentence.waveform)[None])[0].double().numpy()
    codebooks = [level.codebook.detach().double().numpy() for level in model.quantizer.levels]
    codes = model.encode(sentence.waveform)
    agree = (codes == rvq_encode(latents, codebooks)).mean()
    assert agree > 0.99  # float32 vs float64 distances may flip a rare near-tie
    decoded = rvq_decode(codes, codebooks)
    with torch.no_grad():
        module = model.quantizer.decode(torch.from_numpy(codes)).double().numpy()
    np.testing.assert_allclose(decoded, module, atol=1e-5)


def test_latent_error_and_log_mel_distance_fall_with_levels(model):
    corpus = build_corpus()
    utterances = corpus.test[:5]
    distances = [codec.evaluate(model, utterances, n)[1] for n in (1, 2, 4, 8)]
    assert distances[-1] < distances[0]
    for utterance in utterances:
        with torch.no_grad():
            latents = model.latents(torch.from_numpy(utterance.waveform)[None])
            errors = [float(((latents - model.quantizer(latents, n)[0]) ** 2).mean())
                      for n in range(1, codec.N_CODEBOOKS + 1)]
        assert all(b <= a * (1 + 1e-6) for a, b in zip(errors, errors[1:]))


def test_codec_rejects_bad_input(model):
    with pytest.raises(ValueError, match="waveform"):
        model.encode(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match="n_levels"):
        model.decode(np.zeros((5, 9), np.int64))
    with pytest.raises(ValueError, match="integers"):
        model.decode(np.full((5, 2), 300))


def spectral_l1(model, waveform):
    """L1 between the model's predicted and the true log |STFT| (the training loss), 8 levels."""
    whole_frames = torch.from_numpy(waveform[: len(waveform) // codec.SAMPLES_PER_FRAME
                                             * codec.SAMPLES_PER_FRAME])[None]
    with torch.no_grad():
        predicted, *_ = model(whole_frames, n_levels=codec.N_CODEBOOKS)
    return float((predicted - codec.log_stft_magnitude(whole_frames)).abs().mean())


def test_training_script_lowers_the_loss_and_writes_loadable_weights(tmp_path, sentence):
    """Twelve small steps of the real training loop (the shipped weights come from main()):
    the saved weights load, and predict the spectrum of an unseen sentence better than the
    untrained network train(seed=0) starts from."""
    out = tmp_path / "codec.pt"
    trained_codec = codec.train(12, batch_size=2, crop_frames=4, out=out, n_eval=1, seed=0)
    record = trained_codec.training_record
    assert record["steps"] == 12 and np.isfinite(record["final_spectral_loss"])
    assert not trained_codec.training and trained_codec.phone_head is None
    saved = torch.load(out, weights_only=True)
    assert set(saved["record"]["levels"]) == set(range(1, codec.N_CODEBOOKS + 1))
    assert set(saved["record"]["unquantized"]) == {"stoi", "log_mel_distance"}
    trained = codec.TinyCodec()
    trained.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    torch.manual_seed(0)
    untrained = codec.TinyCodec()
    assert spectral_l1(trained.eval(), sentence.waveform) < \
        0.85 * spectral_l1(untrained.eval(), sentence.waveform)


def test_codec_level_explorer_shows_the_chosen_level(model, sentence):
    from course_lib.widgets import codec_level_explorer
    codes = model.encode(sentence.waveform)
    decoded = {n: model.decode(codes[:, :n]) for n in (1, 8)}
    explorer = codec_level_explorer(sentence.waveform, decoded)
    assert explorer.result.axes[1].get_ylabel() == "1 level"
    explorer.children[0].value = 8
    assert explorer.result.axes[1].get_ylabel() == "8 levels"


# --- validation findings of issue 9 (2, 3, 10, 11) ---------------------------------------------

def test_nan_and_absurdly_loud_audio_is_refused_not_encoded(model):
    with pytest.raises(ValueError, match="waveform"):
        model.encode(np.full(16_000, np.nan))
    with pytest.raises(ValueError, match="waveform must hold samples within"):
        model.encode(np.random.default_rng(0).normal(size=16_000) * 1e30)


def test_encode_resamples_other_sample_rates_like_load_audio(model, sentence):
    from course_lib.features import resample
    at_48k = resample(sentence.waveform, 16_000, 48_000)
    codes = model.encode(at_48k, sample_rate=48_000)
    at_16k = resample(at_48k.astype(np.float64), 48_000, 16_000)
    assert np.array_equal(codes, model.encode(at_16k))
    assert abs(len(codes) - len(model.encode(sentence.waveform))) <= 1


def test_decode_refuses_zero_frames_and_out_of_range_codes(model):
    with pytest.raises(ValueError, match="codes"):
        model.decode(np.zeros((0, 2), np.int64))
    with pytest.raises(ValueError, match="codes must be integers in"):
        model.decode(np.array([[3, -1]]))
    with pytest.raises(ValueError, match="codes must be integers in"):
        model.decode(np.array([[256]]))
    with pytest.raises(TypeError, match="codes"):
        model.decode(np.array([[1.5]]))
    with pytest.raises(ValueError, match="utterances"):
        codec.evaluate(model, [], 2)


def test_torch_methods_take_float64_tensors_and_arrays(model, sentence):
    waveform = sentence.waveform[None, :16_000].astype(np.float32)
    with torch.no_grad():
        expected = model.latents(torch.from_numpy(waveform))
        for given in (torch.from_numpy(waveform).double(), waveform, waveform.astype(np.float64)):
            assert torch.allclose(model.latents(given), expected, atol=1e-5)
        waveform_back = model.synthesize(expected.double())
        assert waveform_back.dtype == torch.float32 and waveform_back.shape == (1, 16_000)
    with pytest.raises(TypeError, match="waveforms"):
        model.latents(torch.zeros(1, 16_000, dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"waveforms must have shape \(batch, n_samples\)"):
        model.latents(torch.zeros(16_000))
    with pytest.raises(ValueError, match="quantized"):
        model.synthesize(torch.zeros(1, 5, 7))


def test_load_codec_takes_a_path(tmp_path):
    import shutil
    copy = tmp_path / "distilled.pt"
    shutil.copy(codec.weights_path("phones"), copy)
    loaded = codec.load_codec(copy)
    assert loaded.phone_head is not None
    assert loaded.phone_inventory == sorted(loaded.phone_inventory)
    with pytest.raises(ValueError, match="distill"):
        codec.load_codec(distill="words")
    with pytest.raises(TypeError, match="out"):
        codec.train(2)


# --- issue 11: the targets the shipped codec must meet -------------------------------------------

N_QUALITY = 8  # the first 8 utterances of the course corpus's test split: never trained on


@pytest.fixture(scope="module")
def quality(model):
    """STOI and log-mel distance unquantized and at 1..8 levels, and the 8-level audio."""
    utterances = build_corpus().test[:N_QUALITY]
    scores = {n: codec.evaluate(model, utterances, n) for n in (None, *range(1, 9))}
    decoded = [codec.reconstruct(model, u.waveform, codec.N_CODEBOOKS) for u in utterances]
    return utterances, scores, decoded


def test_shipped_codec_is_intelligible_and_its_levels_add_up(quality):
    _, scores, _ = quality
    stoi_unquantized, stoi_all = scores[None][0], scores[codec.N_CODEBOOKS][0]
    assert stoi_unquantized >= 0.90, f"unquantized STOI {stoi_unquantized:.3f}"
    assert stoi_all >= 0.87, f"8-level STOI {stoi_all:.3f}"
    assert stoi_unquantized - stoi_all <= 0.03
    distances = [scores[n][1] for n in range(1, codec.N_CODEBOOKS + 1)]
    assert all(later < earlier for earlier, later in zip(distances, distances[1:])), distances


def test_the_recognizer_reads_8_level_speech_almost_as_well_as_the_original(quality):
    from course_lib import recognizer
    from course_lib.metrics import phone_error_rate
    utterances, _, decoded = quality
    model = recognizer.load_recognizer()
    references = [u.phone_labels for u in utterances]
    original = phone_error_rate(references, [model.transcribe(u.waveform) for u in utterances])
    coded = phone_error_rate(references, [model.transcribe(audio) for audio in decoded])
    assert coded - original <= 0.05, f"PER {coded:.3f} on decoded speech, {original:.3f} before"
