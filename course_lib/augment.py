"""Room, noise, speed and masks: what an encoder must learn to ignore.

The same words reach a microphone through a room (reverberation), over other sounds (noise)
and at different speeds. These functions put those nuisances into clean synthesized speech, for
notebook 01 to let you hear them and for the recognizer to train on them (data augmentation):

* :func:`add_noise` mixes white or pink noise in at an exact signal-to-noise ratio;
* :func:`room_impulse_response` and :func:`add_reverb` make a synthetic room and play speech
  through it;
* :func:`perturb_speed` changes tempo and pitch together, as Kaldi's speed perturbation does;
* :func:`spec_augment` blanks bands and frames of a log-mel spectrogram (SpecAugment).

Every function is pure and deterministic: randomness comes from a ``seed`` (or, for
:func:`spec_augment`, a NumPy ``Generator`` the caller owns), and waveforms come back float32.
Explained in notebook 01, section "Content buried under speaker, room and noise".
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from course_lib import features, validate

NOISE_COLORS = ("white", "pink")
MAX_SNR_DB = 200.0  # +-: far beyond audible (the float32 noise floor is ~150 dB down)
MAX_RT60 = 10.0  # seconds: longer than any room a learner will model (a cathedral is ~8 s)


# A 3-pole, 3-zero filter whose gain falls 3 dB per octave (within about half a dB from 30 Hz
# to 4 kHz at 16 kHz), the approximation of 1/f noise published by Julius O. Smith III.
_PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
_PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)
_PINK_WARM_UP = 2_000  # samples dropped while the filter settles (slowest pole 0.995: ~200)


def make_noise(n_samples: int, *, color: str = "white", seed: int = 0) -> np.ndarray:
    """Gaussian noise of one colour, shape (n_samples,), float64, mean power 1.

    ``"white"`` has the same power at every frequency; ``"pink"`` is white noise through a
    fixed filter whose power falls as ``1 / f`` (3 dB per octave, to about half a dB), the
    spectrum of much everyday background noise.
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    from scipy.signal import lfilter

    n_samples = validate.integer(n_samples, "n_samples", minimum=1)
    color = validate.choice(color, "color", NOISE_COLORS)
    seed = validate.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    if color == "white":
        noise = rng.standard_normal(n_samples)
    else:
        white = rng.standard_normal(n_samples + _PINK_WARM_UP)
        noise = lfilter(_PINK_B, _PINK_A, white)[_PINK_WARM_UP:]
    return noise / np.sqrt(np.mean(noise ** 2))


def noise_at_snr(waveform, snr_db: float, *, seed: int = 0, color: str = "white") -> np.ndarray:
    """The noise :func:`add_noise` adds: :func:`make_noise` scaled so that
    ``10 log10(sum x^2 / sum n^2) == snr_db`` (float64, exact to rounding; shape of ``waveform``).
    ``snr_db`` lies within +-``MAX_SNR_DB`` (200 dB).

    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    samples = validate.waveform(waveform)
    snr_db = validate.real(snr_db, "snr_db", minimum=-MAX_SNR_DB, maximum=MAX_SNR_DB)
    signal_energy = float(np.sum(samples ** 2))
    if signal_energy == 0:
        raise ValueError("waveform must have non-zero energy (it is the signal of the SNR), "
                         f"got {len(samples)} zeros")
    noise = make_noise(len(samples), color=color, seed=seed)
    target_noise_energy = signal_energy / 10.0 ** (snr_db / 10.0)
    return noise * np.sqrt(target_noise_energy / np.sum(noise ** 2))


def add_noise(waveform, snr_db: float, *, seed: int = 0, color: str = "white") -> np.ndarray:
    """``waveform`` plus white or pink noise at ``snr_db`` dB, float32, same length.

    The noise is :func:`noise_at_snr` (the SNR holds exactly in float64; the cast to float32
    moves it by rounding only). No clipping: at low SNR the peak can exceed 1.
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    samples = validate.waveform(waveform)
    return (samples + noise_at_snr(samples, snr_db, seed=seed, color=color)).astype(np.float32)


def room_impulse_response(rt60: float, *, sample_rate: int = features.SAMPLE_RATE,
                          seed: int = 0) -> np.ndarray:
    """A synthetic room impulse response, shape (max(2, round(rt60 * sample_rate)),), float32.

    Sample 0 is the direct path; from sample 1 on, Gaussian noise under the envelope
    ``exp(-3 ln(10) t / rt60)``, whose energy falls 60 dB in ``rt60`` seconds (the
    reverberation time). The tail holds as much energy as the direct path (a
    direct-to-reverberant ratio of 0 dB, a speaker a few metres away), and the whole response
    has unit energy, so reverberation keeps the loudness of the speech about the same.
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    rt60 = validate.real(rt60, "rt60", above=0, maximum=MAX_RT60)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    seed = validate.integer(seed, "seed", minimum=0)
    n_samples = max(2, round(rt60 * sample_rate))
    times = np.arange(n_samples - 1) / sample_rate  # from the first tail sample, which keeps
    tail = np.random.default_rng(seed).standard_normal(n_samples - 1)  # a very short room finite
    tail *= np.exp(-3.0 * np.log(10.0) * times / rt60)
    tail /= np.sqrt(np.sum(tail ** 2))  # tail energy 1 == direct-path energy
    response = np.concatenate([[1.0], tail]) / np.sqrt(2.0)
    return response.astype(np.float32)


def add_reverb(waveform, rt60: float, *, sample_rate: int = features.SAMPLE_RATE,
               seed: int = 0) -> np.ndarray:
    """``waveform`` played in a room of reverberation time ``rt60``: float32, same length.

    The convolution with :func:`room_impulse_response` (``scipy.signal.fftconvolve``) is cut to
    the input's length (the tail after the last sample is dropped). If its peak exceeds 1 the
    whole output is divided by that peak, so it stays within [-1, 1]; otherwise it is left as is.
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    from scipy.signal import fftconvolve

    samples = validate.waveform(waveform)
    response = room_impulse_response(rt60, sample_rate=sample_rate, seed=seed)
    reverberant = fftconvolve(samples, response.astype(np.float64))[: len(samples)]
    peak = float(np.max(np.abs(reverberant)))
    if peak > 1.0:
        reverberant /= peak
    return reverberant.astype(np.float32)


def room_and_noise(waveform, *, snr_db: float | None, rt60: float, color: str = "pink",
                   seed: int = 0, sample_rate: int = features.SAMPLE_RATE) -> np.ndarray:
    """``waveform`` in a room of ``rt60`` seconds (0: no room; :func:`add_reverb`), then with
    ``color`` noise at ``snr_db`` dB of the reverberant speech (None: no noise;
    :func:`add_noise`), as a far microphone hears it. Float32, same length as ``waveform``.
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    degraded = validate.waveform(waveform).astype(np.float32)
    rt60 = validate.real(rt60, "rt60", minimum=0, maximum=MAX_RT60)
    validate.choice(color, "color", NOISE_COLORS)  # checked before the work, used by add_noise
    validate.integer(seed, "seed", minimum=0)
    if rt60 > 0:
        degraded = add_reverb(degraded, rt60, sample_rate=sample_rate, seed=seed)
    if snr_db is not None:
        degraded = add_noise(degraded, snr_db, seed=seed, color=color)
    return degraded


def perturb_speed(waveform, factor: float) -> np.ndarray:
    """Speed perturbation: play ``waveform`` ``factor`` times faster, pitch and tempo together.

    The samples are read as if recorded at ``factor * rate`` and resampled to the rate
    (:func:`course_lib.features.resample`), as Kaldi's speed perturbation (0.9, 1.0, 1.1) does.
    ``factor`` in [0.5, 2] is used as the nearest fraction with a denominator up to 1000 (exact
    for three decimals). Returns float32 of shape (round(n_samples / factor),); factor 1 returns
    the input unchanged (as float32).
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    samples = validate.waveform(waveform, min_samples=2)
    factor = validate.real(factor, "factor", minimum=0.5, maximum=2.0)
    ratio = Fraction(factor).limit_denominator(1000)
    resampled = features.resample(samples, ratio.numerator, ratio.denominator)
    return resampled[: round(len(samples) / ratio)]


def spec_augment(log_mels, *, n_freq_masks: int, max_freq_width: int, n_time_masks: int,
                 max_time_width: int, generator: np.random.Generator):
    """SpecAugment's masks on a log-mel spectrogram: a new float32 torch tensor, same shape.

    ``log_mels`` has shape (..., n_frames, n_mels); the same masks apply to every leading entry.
    Each frequency mask draws a width ``w`` uniformly in ``[0, max_freq_width]`` (at most
    ``n_mels``) and then a first band uniformly in ``[0, n_mels - w]``; then each time mask does
    the same over frames. Masked entries are set to the mean of the whole input (not zero: in
    dB, zero is a loudness, while the mean is no information). The input is not changed.
    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    import torch

    values = validate.tensor(log_mels, "log_mels", dtype=torch.float32, min_ndim=2)
    counts = {name: validate.integer(value, name, minimum=0) for name, value in [
        ("n_freq_masks", n_freq_masks), ("max_freq_width", max_freq_width),
        ("n_time_masks", n_time_masks), ("max_time_width", max_time_width)]}
    generator = validate.generator(generator, "generator")
    masked, fill = values.clone(), values.mean()
    n_frames, n_mels = values.shape[-2:]
    for start, width in _mask_spans(generator, counts["n_freq_masks"],
                                    counts["max_freq_width"], n_mels):
        masked[..., start:start + width] = fill
    for start, width in _mask_spans(generator, counts["n_time_masks"],
                                    counts["max_time_width"], n_frames):
        masked[..., start:start + width, :] = fill
    return masked


def _mask_spans(generator: np.random.Generator, n_masks: int, max_width: int, size: int):
    """``n_masks`` (start, width) pairs: width uniform in [0, min(max_width, size)], then the
    start uniform in [0, size - width]."""
    spans = []
    for _ in range(n_masks):
        width = int(generator.integers(0, min(max_width, size) + 1))
        spans.append((int(generator.integers(0, size - width + 1)), width))
    return spans
