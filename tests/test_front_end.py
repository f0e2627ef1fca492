"""One front end and one clock: features' torch spectrograms, the frame-time rule checked
against torch's centred STFT and the uncentred framing, and no STFT outside features."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio
from hypothesis import given
from hypothesis import strategies as st

from course_lib import features

PACKAGE = Path(features.__file__).parent


def test_importing_features_does_not_import_torch():
    code = "import sys, course_lib.features; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=PACKAGE.parent)
    assert result.stdout.strip() == "False"


@given(st.integers(0, 3999), st.sampled_from([80, 160]), st.sampled_from([320, 400]))
def test_an_impulse_peaks_in_the_centred_frame_that_frame_times_puts_nearest(position, hop,
                                                                             n_fft):
    """torch.stft(center=True): frame i is centred on sample i * hop (frame_length irrelevant)."""
    impulse = torch.zeros(4000, dtype=torch.float64)
    impulse[position] = 1.0
    energy = features.stft_magnitude(impulse, n_fft, hop, power=2.0).sum(0).numpy()
    centres = features.frame_times(len(energy), hop_length=hop, frame_length=n_fft,
                                   sample_rate=16_000, center=True)
    assert len(energy) == 1 + 4000 // hop
    nearest = np.abs(centres * 16_000 - position)
    # the Hann window peaks at its centre: the loudest frame is one centred nearest the impulse
    assert nearest[np.argmax(energy)] == nearest.min()


@given(st.integers(400, 3000), st.sampled_from([160, 320]), st.sampled_from([320, 400]))
def test_uncentred_frame_times_are_the_middles_of_frame_signal_rows(n_samples, hop, length):
    samples = np.arange(n_samples, dtype=np.float64)
    rows = features.frame_signal(samples, length, hop)
    centres = features.frame_times(len(rows), hop_length=hop, frame_length=length,
                                   sample_rate=16_000)
    assert len(rows) == 1 + (n_samples - length) // hop
    # sample n spans [n, n + 1) / sample_rate: row i spans [first, first + length) samples
    np.testing.assert_allclose(centres * 16_000, rows[:, 0] + length / 2)
    np.testing.assert_allclose(centres * 16_000, rows.mean(axis=1) + 0.5)


def test_stft_magnitude_is_torch_stft_and_batches():
    rng = np.random.default_rng(0)
    batch = torch.from_numpy(rng.normal(size=(3, 5000)).astype(np.float32))
    expected = torch.stft(batch, 400, 160, window=torch.hann_window(400),
                          return_complex=True).abs()
    assert torch.equal(features.stft_magnitude(batch, 400, 160), expected)
    single = features.stft_magnitude(batch[1], 400, 160, power=2.0)
    assert torch.allclose(single, expected[1] ** 2)
    assert features.stft_magnitude(batch.numpy(), 400, 160).shape == (3, 201, 1 + 5000 // 160)


def test_torch_log_mel_matches_torchaudio_and_the_numpy_filterbank():
    rng = np.random.default_rng(1)
    signal = torch.from_numpy(rng.normal(size=8000).astype(np.float32))
    for n_mels in (40, 64):
        mel = torchaudio.transforms.MelSpectrogram(16_000, n_fft=400, hop_length=160,
                                                   n_mels=n_mels)
        expected = torch.log(mel(signal) + 1e-6)
        mine = features.log_mel_spectrogram_torch(signal, n_mels=n_mels)
        assert mine.shape == expected.shape == (n_mels, 1 + 8000 // 160)
        assert torch.allclose(mine, expected, atol=1e-4)


def test_log_mel_gradient_flows_and_float64_stays_float64():
    signal = torch.randn(2, 3000, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                         requires_grad=True)
    log_mels = features.log_mel_spectrogram_torch(signal)
    assert log_mels.dtype == torch.float64
    log_mels.sum().backward()
    assert signal.grad is not None and torch.isfinite(signal.grad).all()


def test_griffin_lim_recovers_a_magnitude_it_can_fit():
    t = torch.arange(8000, dtype=torch.float32) / 16_000
    tone = torch.sin(2 * torch.pi * 440 * t)[None]
    magnitude = features.stft_magnitude(tone, 320, 80)
    rebuilt = features.griffin_lim(magnitude, 320, 80)
    assert rebuilt.shape == (1, 8000)
    again = features.stft_magnitude(rebuilt, 320, 80)
    # 32 iterations from zero phase: within 15% on average, the 440 Hz peak in place
    assert (again - magnitude).abs().mean() < 0.15 * magnitude.mean()
    assert torch.equal(again.sum(-1).argmax(-1), magnitude.sum(-1).argmax(-1))


def test_torch_path_refuses_bad_input_naming_it():
    with pytest.raises(TypeError, match="waveforms"):
        features.stft_magnitude(torch.zeros(1000, dtype=torch.complex64), 400, 160)
    with pytest.raises(ValueError, match="waveforms"):
        features.stft_magnitude(torch.zeros(2, 2, 1000), 400, 160)
    with pytest.raises(ValueError, match="waveforms"):
        features.stft_magnitude([np.nan] * 1000, 400, 160)
    with pytest.raises(ValueError, match="magnitude"):
        features.griffin_lim(torch.zeros(1, 100, 10), 320, 80)


def test_prepare_waveform_resamples_and_refuses_nan_and_absurd_levels():
    waveform = np.sin(np.arange(8000) / 10)
    assert features.prepare_waveform(waveform, 8000).shape == (16_000,)
    assert features.prepare_waveform(waveform).dtype == np.float32
    with pytest.raises(ValueError, match="waveform"):
        features.prepare_waveform(np.full(100, np.nan))
    with pytest.raises(ValueError, match="within"):
        features.prepare_waveform(waveform * 1e30)
    with pytest.raises(ValueError, match="sample_rate"):
        features.prepare_waveform(waveform, 0)
    with pytest.raises(ValueError, match="at least 400 samples"):
        features.prepare_waveform(waveform[:100], min_samples=400)


# What computes an analysis spectrogram or builds a mel filterbank. Only features may.
_SPECTROGRAM_CALLS = re.compile(
    r"torch\.stft|scipy\.signal\.stft|signal\.stft|\bstft\(|librosa\.stft|melscale_fbanks|"
    r"MelSpectrogram|\bSpectrogram\(|GriffinLim|np\.fft\.rfft|numpy\.fft\.rfft|"
    r"torch\.fft\.rfft|librosa\.filters\.mel|from scipy\.signal import stft")


def _modules_outside_features():
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "features.py"]


@pytest.mark.parametrize("path", _modules_outside_features(),
                         ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_outside_features_computes_a_spectrogram(path):
    relative = path.relative_to(PACKAGE)
    hits = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if _SPECTROGRAM_CALLS.search(line) and not line.lstrip().startswith("#")]
    assert hits == [], f"{relative} computes a spectrogram itself: {hits}"
