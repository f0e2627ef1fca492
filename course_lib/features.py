"""Classical speech features: framing, power spectrum, mel filterbank, log, DCT, MFCCs, deltas.

Each step is one short function so that notebook 01 can draw what it does; ``mfcc`` chains them.
NumPy outputs are time-major: one row per frame, ``(n_frames, n_dims)``.

This module is the course's one home for spectrograms and the clock of frames:
:data:`SAMPLE_RATE`, :func:`frame_times` and :func:`mel_filterbank` are used everywhere else.
The models and their losses (``recognizer``, ``codec``, ``metrics``) take their spectrograms
from the torch section at the end (:func:`stft_magnitude`, :func:`log_mel_spectrogram_torch`,
:func:`log_stft_magnitude`, :func:`griffin_lim`), which imports torch only when called.

Conventions (notebook 01 shows the settings under which librosa and torchaudio agree):

* frame ``i`` covers samples ``[i * hop_length, i * hop_length + frame_length)``; no padding,
  so a signal gives ``1 + (n_samples - frame_length) // hop_length`` frames;
* a periodic Hann window; the FFT size defaults to the frame length;
* the HTK mel scale ``2595 log10(1 + f / 700)`` with triangles of peak 1 (no area normalization);
* power in decibels, ``10 log10``, floored ``top_db`` below the loudest value of the utterance;
* an orthonormal DCT-II.

Explained in notebook 01, sections "Frames: 25 ms every 10 ms" to "Deltas and double deltas".
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from course_lib import validate

SAMPLE_RATE = 16_000  # the course's one sample rate: every waveform is 16 kHz unless stated
DEFAULT_WINDOW_MS = 25.0
DEFAULT_HOP_MS = 10.0
POWER_FLOOR = 1e-10  # smallest power before the log: digital silence becomes -100 dB, not -inf


def ms_to_samples(milliseconds: float, sample_rate: int = SAMPLE_RATE) -> int:
    """Length in whole samples of ``milliseconds`` at ``sample_rate`` (25 ms at 16 kHz -> 400).

    Explained in notebook 01, section "Frames: 25 ms every 10 ms".
    """
    milliseconds = validate.real(milliseconds, "milliseconds", above=0)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    n_samples = int(round(milliseconds * sample_rate / 1000))
    if n_samples < 1:
        raise ValueError(f"{milliseconds} ms at {sample_rate} Hz is less than one sample")
    return n_samples


def resample(waveform, from_rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling (``scipy.signal.resample_poly``) of a 1-D signal; float32 out.

    The one resampler of the course: ``synth``, ``data.load_audio`` and the models'
    ``sample_rate=`` arguments all use it. Returns shape
    ``(ceil(n_samples * to_rate / from_rate),)``.
    Explained in notebook 00, section "Your own audio".
    """
    from scipy.signal import resample_poly

    from_rate = validate.integer(from_rate, "from_rate", minimum=1)
    to_rate = validate.integer(to_rate, "to_rate", minimum=1)
    waveform = validate.waveform(waveform)
    if from_rate == to_rate:
        return waveform.astype(np.float32)
    ratio = Fraction(to_rate, from_rate)
    return resample_poly(waveform, ratio.numerator, ratio.denominator).astype(np.float32)


MAX_AMPLITUDE = 2.0 ** 15  # the int16 range: no sound file holds louder samples


def prepare_waveform(waveform, sample_rate: int = SAMPLE_RATE, *, min_samples: int = 1,
                     name: str = "waveform") -> np.ndarray:
    """Check a waveform given to a model and bring it to :data:`SAMPLE_RATE`, float32.

    The waveform must be 1-D, finite and within ``+-MAX_AMPLITUDE`` (audio scaled by 1e30 is
    refused, not turned into NaN); it is resampled with :func:`resample` and must then hold at
    least ``min_samples`` samples. Errors name ``name``. Returns shape (n_samples_16k,).

    Explained in notebook 03, section "A small CTC phone recognizer" and
    notebook 06, section "A tiny neural codec" (the two models that call it).
    """
    samples = validate.waveform(waveform, name)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    peak = float(np.abs(samples).max()) if len(samples) else 0.0
    if peak > MAX_AMPLITUDE:
        raise ValueError(f"{name} must hold samples within +-{MAX_AMPLITUDE:g} (audio is "
                         f"usually within +-1), got a peak of {peak:.3g}")
    samples = resample(samples, sample_rate, SAMPLE_RATE)
    if len(samples) < min_samples:
        raise ValueError(f"{name} must last at least {min_samples} samples at {SAMPLE_RATE} Hz "
                         f"({1000 * min_samples / SAMPLE_RATE:g} ms), got {len(samples)}")
    return samples


def _milliseconds_to_samples(milliseconds, sample_rate, name: str) -> int:
    """:func:`ms_to_samples` with errors that name the caller's argument (``window_ms``)."""
    milliseconds = validate.real(milliseconds, name, above=0)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    return ms_to_samples(milliseconds, sample_rate)


def frame_signal(waveform: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Cut a waveform into overlapping frames, one per row.

    Args:
        waveform: samples, shape (n_samples,).
        frame_length: samples per frame (400 = 25 ms at 16 kHz).
        hop_length: samples between the starts of consecutive frames (160 = 10 ms).

    Returns:
        Array of shape (n_frames, frame_length) with
        ``n_frames = 1 + (n_samples - frame_length) // hop_length``; row ``i`` is
        ``waveform[i * hop_length : i * hop_length + frame_length]``. A read-only view.

    Raises:
        ValueError: if the waveform is not 1-D and finite or is shorter than one frame.

    Explained in notebook 01, section "Frames: 25 ms every 10 ms".
    """
    waveform = validate.waveform(waveform, "waveform")
    frame_length = validate.integer(frame_length, "frame_length", minimum=1)
    hop_length = validate.integer(hop_length, "hop_length", minimum=1)
    if len(waveform) < frame_length:
        raise ValueError(f"waveform has {len(waveform)} samples, fewer than one frame "
                         f"of frame_length={frame_length}")
    windows = np.lib.stride_tricks.sliding_window_view(waveform, frame_length)
    return windows[::hop_length]


def frame_times(n_frames: int, *, hop_length: int = 160, frame_length: int = 400,
                sample_rate: int = SAMPLE_RATE, center: bool = False) -> np.ndarray:
    """The course's one rule for where frame ``i`` sits in time: its centre, in seconds.

    Two framings occur in the course:

    * ``center=False`` (this module's :func:`frame_signal`, the codec's 320-sample blocks):
      frame ``i`` covers samples ``[i * hop_length, i * hop_length + frame_length)``, so its
      centre is ``(i * hop_length + frame_length / 2) / sample_rate``;
    * ``center=True`` (``torch.stft(center=True)``, librosa's default, the recognizer): the
      signal is padded by half a window on each side, so frame ``i`` is centred on sample
      ``i * hop_length`` and ``frame_length`` does not matter.

    ::

        center=False, frame_length=4, hop_length=2     center=True, hop_length=2
        samples  0 1 2 3 4 5 6 7                       samples  0 1 2 3 4 5 6 7
        frame 0  [-----]           centre 2             frame 0  ^                centre 0
        frame 1      [-----]       centre 4             frame 1      ^            centre 2
        frame 2          [-----]   centre 6             frame 2          ^        centre 4

    Returns:
        Shape (n_frames,), seconds.
        Explained in notebook 01, section "Frames: 25 ms every 10 ms" (the framing; first used in
        section "A fixed transform").
    """
    n_frames = validate.integer(n_frames, "n_frames", minimum=0)
    hop_length = validate.integer(hop_length, "hop_length", minimum=1)
    frame_length = validate.integer(frame_length, "frame_length", minimum=1)
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    offset = 0.0 if center else frame_length / 2
    return (np.arange(n_frames) * hop_length + offset) / sample_rate


def hann_window(frame_length: int) -> np.ndarray:
    """Periodic Hann window ``0.5 - 0.5 cos(2 pi n / N)``, shape (frame_length,).

    Periodic (the DFT-even form) rather than symmetric: the convention of librosa and torch.

    Explained in notebook 01, section "Window, then FFT".
    """
    frame_length = validate.integer(frame_length, "frame_length", minimum=1)
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame_length) / frame_length)


def power_spectrum(frames: np.ndarray, n_fft: int | None = None) -> np.ndarray:
    """Hann-window each frame and return its power spectrum ``|FFT|^2``.

    Args:
        frames: shape (n_frames, frame_length), e.g. from :func:`frame_signal`.
        n_fft: FFT size, at least ``frame_length`` (frames are zero-padded); defaults to it.

    Returns:
        Shape (n_frames, n_fft // 2 + 1): power at frequencies ``k * sample_rate / n_fft``.

    Explained in notebook 01, section "Window, then FFT".
    """
    frames = validate.array(frames, "frames", ndim=2)
    frame_length = frames.shape[1]
    n_fft = frame_length if n_fft is None else validate.integer(n_fft, "n_fft", minimum=1)
    if n_fft < frame_length:
        raise ValueError(f"n_fft must be at least the frame length {frame_length}, got {n_fft}")
    spectrum = np.fft.rfft(frames * hann_window(frame_length), n=n_fft, axis=1)
    return spectrum.real ** 2 + spectrum.imag ** 2


def hz_to_mel(hertz):
    """HTK mel scale: ``2595 log10(1 + f / 700)``. Roughly linear below 1 kHz, log above.

    Explained in notebook 01, section "Mel filterbank".
    """
    hertz = validate.array(hertz, "hertz", min_length=0)
    return 2595.0 * np.log10(1.0 + hertz / 700.0)


def mel_to_hz(mels):
    """Inverse of :func:`hz_to_mel`.

    Explained in notebook 01, section "Mel filterbank".
    """
    mels = validate.array(mels, "mels", min_length=0)
    return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = 400, n_mels: int = 40,
                   fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular filters evenly spaced on the mel scale, one per row.

    Filter ``m`` rises linearly from 0 at mel point ``m`` to 1 at point ``m + 1`` and falls to 0
    at point ``m + 2``, where the ``n_mels + 2`` points are evenly spaced in mels between
    ``fmin`` and ``fmax``; it is evaluated at the FFT bin frequencies ``k * sample_rate / n_fft``.

    Returns:
        Weights of shape (n_mels, n_fft // 2 + 1); ``power_spectrum @ weights.T`` gives the mel
        band energies, shape (n_frames, n_mels).

    Explained in notebook 01, section "Mel filterbank".
    """
    sample_rate = validate.integer(sample_rate, "sample_rate", minimum=1)
    n_fft = validate.integer(n_fft, "n_fft", minimum=1)
    n_mels = validate.integer(n_mels, "n_mels", minimum=1)
    fmin = validate.real(fmin, "fmin", minimum=0)
    fmax = sample_rate / 2 if fmax is None else validate.real(fmax, "fmax")
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"need 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2}, "
                         f"got fmin={fmin}, fmax={fmax}")
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    bin_hz = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bin_hz - lower) / (centre - lower)
    falling = (upper - bin_hz) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def power_to_db(power: np.ndarray, top_db: float | None = 80.0) -> np.ndarray:
    """``10 log10(power)``, floored at 1e-10 and then at ``top_db`` below the maximum.

    The floor relative to the loudest value keeps digital silence from dominating the
    features; ``top_db=None`` keeps only the absolute floor (-100 dB).

    Explained in notebook 01, section "Log".
    """
    power = validate.array(power, "power", min_length=0)
    decibels = 10.0 * np.log10(np.maximum(power, POWER_FLOOR))
    if top_db is not None:
        top_db = validate.real(top_db, "top_db", above=0)
        decibels = np.maximum(decibels, decibels.max() - top_db)
    return decibels


def log_mel_spectrogram(
    waveform: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    n_mels: int = 40,
    window_ms: float = DEFAULT_WINDOW_MS,
    hop_ms: float = DEFAULT_HOP_MS,
    n_fft: int | None = None,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Log mel spectrogram in dB: frame, window, FFT, mel filterbank, log.

    Args:
        waveform: samples, shape (n_samples,).
        sample_rate: samples per second.
        n_mels: number of mel bands.
        window_ms, hop_ms: frame length and hop in milliseconds (25 and 10: 100 frames/s).
        n_fft: FFT size (defaults to the frame length, 400 samples at 16 kHz).
        top_db: dynamic range kept below the loudest band energy (see :func:`power_to_db`).

    Returns:
        Shape (n_frames, n_mels), decibels.

    Explained in notebook 01, section "Log".
    """
    if top_db is not None:  # checked before the work, not after it
        validate.real(top_db, "top_db", above=0)
    frame_length = _milliseconds_to_samples(window_ms, sample_rate, "window_ms")
    hop_length = _milliseconds_to_samples(hop_ms, sample_rate, "hop_ms")
    if n_fft is not None:
        n_fft = validate.integer(n_fft, "n_fft", minimum=1)
    frames = frame_signal(waveform, frame_length, hop_length)
    power = power_spectrum(frames, n_fft)
    filters = mel_filterbank(sample_rate, n_fft or frame_length, n_mels)
    return power_to_db(power @ filters.T, top_db)


def dct_matrix(n_coefficients: int, n_inputs: int) -> np.ndarray:
    """Orthonormal DCT-II basis, shape (n_coefficients, n_inputs).

    Row ``k`` is ``cos(pi k (2n + 1) / (2 N))``, scaled by ``sqrt(1/N)`` for ``k = 0`` and
    ``sqrt(2/N)`` otherwise: ``x @ dct_matrix(K, N).T`` keeps the first K coefficients of
    ``scipy.fft.dct(x, norm="ortho")``.

    Explained in notebook 01, section "DCT: from 40 correlated bands to 13 cepstral coefficients".
    """
    n_coefficients = validate.integer(n_coefficients, "n_coefficients", minimum=1)
    n_inputs = validate.integer(n_inputs, "n_inputs", minimum=1)
    if n_coefficients > n_inputs:
        raise ValueError(f"n_coefficients ({n_coefficients}) cannot exceed n_inputs ({n_inputs})")
    k = np.arange(n_coefficients)[:, None]
    n = np.arange(n_inputs)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_inputs)) * np.sqrt(2.0 / n_inputs)
    basis[0] /= np.sqrt(2.0)
    return basis


def mfcc(
    waveform: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    n_mfcc: int = 13,
    n_mels: int = 40,
    window_ms: float = DEFAULT_WINDOW_MS,
    hop_ms: float = DEFAULT_HOP_MS,
    n_fft: int | None = None,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients: the DCT of the log mel spectrogram, first ``n_mfcc``.

    Same arguments as :func:`log_mel_spectrogram`, plus ``n_mfcc <= n_mels``.

    Returns:
        Shape (n_frames, n_mfcc). Coefficient 0 is the (scaled) mean log energy of the frame,
        the next few describe the broad shape of the spectral envelope.

    Explained in notebook 01, section "DCT: from 40 correlated bands to 13 cepstral coefficients".
    """
    n_mfcc = validate.integer(n_mfcc, "n_mfcc", minimum=1)
    n_mels = validate.integer(n_mels, "n_mels", minimum=1)
    if n_mfcc > n_mels:
        raise ValueError(f"n_mfcc ({n_mfcc}) cannot exceed n_mels ({n_mels})")
    log_mel = log_mel_spectrogram(waveform, sample_rate, n_mels, window_ms, hop_ms, n_fft, top_db)
    return log_mel @ dct_matrix(n_mfcc, n_mels).T


def deltas(features: np.ndarray, n_context: int = 2) -> np.ndarray:
    """Time derivative of each feature by linear regression over ``+-n_context`` frames.

    ``d[t] = sum_{n=1..N} n (c[t+n] - c[t-n]) / (2 sum_{n=1..N} n^2)`` with the first and last
    frames repeated at the edges (the HTK formula; N = 2 spans 50 ms at a 10 ms hop).

    Returns:
        Shape (n_frames, n_dims), like ``features``.

    Explained in notebook 01, section "Deltas and double deltas: 39 dimensions".
    """
    features = validate.array(features, "features", ndim=2)
    n_context = validate.integer(n_context, "n_context", minimum=1)
    n_frames = features.shape[0]
    padded = np.pad(features, ((n_context, n_context), (0, 0)), mode="edge")
    slope = np.zeros_like(features)
    for n in range(1, n_context + 1):
        later = padded[n_context + n: n_context + n + n_frames]
        earlier = padded[n_context - n: n_context - n + n_frames]
        slope += n * (later - earlier)
    return slope / (2 * sum(n * n for n in range(1, n_context + 1)))


def add_deltas(features: np.ndarray, n_context: int = 2) -> np.ndarray:
    """Append deltas and double deltas (deltas of the deltas): 13 MFCCs become 39 dims.

    Returns:
        Shape (n_frames, 3 * n_dims): ``[features, deltas, double deltas]`` side by side.

    Explained in notebook 01, section "Deltas and double deltas: 39 dimensions".
    """
    features = validate.array(features, "features", ndim=2)
    velocity = deltas(features, n_context)
    return np.hstack([features, velocity,
                      deltas(velocity, n_context)])


# --- the torch path: spectrograms for models and their losses ----------------------------------
#
# Models train on batches of tensors and need gradients, so this section works on torch tensors
# and returns them in torch's layout, frequency before time: (batch, n_bins, n_frames), the
# channels-first shape a Conv1d reads. torch is imported inside each function: importing this
# module (notebooks 00-02) does not load it. Every STFT here is *centred*: the signal is
# reflect-padded by n_fft // 2 on each side, so ``1 + n_samples // hop_length`` frames, frame i
# centred on sample ``i * hop_length`` (``frame_times(..., center=True)``).


def _check_batch(waveforms, name: str, n_fft: int):
    if waveforms.ndim not in (1, 2) or waveforms.shape[-1] <= n_fft // 2:
        raise ValueError(f"{name} must have shape (n_samples,) or (batch, n_samples) with "
                         f"n_samples > n_fft // 2 = {n_fft // 2}, got "
                         f"{validate.describe(waveforms)}")


def stft_magnitude(waveforms, n_fft: int, hop_length: int, *, power: float = 1.0):
    """Centred STFT magnitude ``|STFT|`` (``power=1``) or power ``|STFT|^2`` (``power=2``).

    Args:
        waveforms: tensor (or array) of shape (n_samples,) or (batch, n_samples).
        n_fft: window and FFT length in samples (a periodic Hann window of that length).
        hop_length: samples between frame centres.

    Returns:
        Tensor of shape (..., n_fft // 2 + 1, 1 + n_samples // hop_length), in the input's
        float dtype.

    Explained in notebook 06, section "A tiny neural codec" (the codec's input) and
    notebook 03, section "A small CTC phone recognizer" (under its log-mel front end);
    notebook 01, section "Window, then FFT" computes the same spectrum from uncentred frames.
    """
    import torch

    waveforms = validate.tensor(waveforms, "waveforms")
    n_fft = validate.integer(n_fft, "n_fft", minimum=1)
    hop_length = validate.integer(hop_length, "hop_length", minimum=1)
    power = validate.real(power, "power", above=0)
    _check_batch(waveforms, "waveforms", n_fft)
    window = torch.hann_window(n_fft, dtype=waveforms.dtype, device=waveforms.device)
    magnitude = torch.stft(waveforms, n_fft, hop_length, window=window,
                           return_complex=True).abs()
    return magnitude if power == 1 else magnitude ** power


def log_mel_spectrogram_torch(waveforms, *, sample_rate: int = SAMPLE_RATE, n_fft: int = 400,
                              hop_length: int = 160, n_mels: int = 40, floor: float = 1e-6):
    """Natural log of mel band energies, ``log(mels @ |STFT|^2 + floor)``, on tensors.

    The mel filters are :func:`mel_filterbank`'s (HTK scale, peak 1, 0 Hz to Nyquist); the
    STFT is :func:`stft_magnitude`'s (centred, periodic Hann window of ``n_fft``). The
    recognizer's front end (40 bands, 25 ms / 10 ms) and the codec's log-mel distance (64
    bands) both come from here.

    Returns:
        Tensor (..., n_mels, 1 + n_samples // hop_length).

    Explained in notebook 01, section "Mel filterbank" (the filters) and
    notebook 03, section "A small CTC phone recognizer" (the recognizer's front end).
    """
    import torch

    floor = validate.real(floor, "floor", above=0)
    power = stft_magnitude(waveforms, n_fft, hop_length, power=2.0)
    filters = torch.tensor(_cached_filterbank(sample_rate, n_fft, n_mels), dtype=power.dtype,
                           device=power.device)
    return torch.log(filters @ power + floor)


def log_stft_magnitude(waveforms, n_fft: int, hop_length: int, *, floor: float = 1e-2):
    """``log(|STFT| + floor)``: the codec's spectrum (320-sample window, 80-sample hop).

    Returns:
        Tensor (..., n_fft // 2 + 1, 1 + n_samples // hop_length).
        Explained in notebook 06, section "A tiny neural codec".
    """
    import torch

    floor = validate.real(floor, "floor", above=0)
    return torch.log(stft_magnitude(waveforms, n_fft, hop_length) + floor)


def griffin_lim(magnitude, n_fft: int, hop_length: int, *, n_iter: int = 32):
    """A waveform whose centred STFT magnitude fits ``magnitude``: the inverse of
    :func:`stft_magnitude` up to phase (Griffin-Lim with momentum 0.99, torchaudio's).

    The phase starts at zero rather than at random, so the result is deterministic.

    Args:
        magnitude: tensor (..., n_fft // 2 + 1, n_frames), non-negative.

    Returns:
        Tensor (..., (n_frames - 1) * hop_length).
        Explained in notebook 06, section "A tiny neural codec".
    """
    import torch
    import torchaudio

    n_fft = validate.integer(n_fft, "n_fft", minimum=1)
    hop_length = validate.integer(hop_length, "hop_length", minimum=1)
    n_iter = validate.integer(n_iter, "n_iter", minimum=1)
    magnitude = validate.tensor(magnitude, "magnitude", min_ndim=2)
    if magnitude.ndim < 2 or magnitude.shape[-2] != n_fft // 2 + 1 or magnitude.shape[-1] < 1:
        raise ValueError(f"magnitude must have shape (..., n_fft // 2 + 1 = {n_fft // 2 + 1}, "
                         f"n_frames >= 1), got {validate.describe(magnitude)}")
    window = torch.hann_window(n_fft, dtype=magnitude.dtype, device=magnitude.device)
    return torchaudio.functional.griffinlim(magnitude, window, n_fft, hop_length, n_fft, 1.0,
                                            n_iter, 0.99, None, False)


@lru_cache(maxsize=16)
def _cached_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    filters = mel_filterbank(sample_rate, n_fft, n_mels)
    filters.setflags(write=False)
    return filters
