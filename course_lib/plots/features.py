"""Figures of notebook 01, "Classical features": what the MFCC settings do, and what room and
noise do to the log mel spectrogram. Imports no torch.

Explained in notebook 01, sections "Explore the settings" and
"Content buried under speaker, room and noise".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from course_lib import features


def draw_frame_matrix(ax, values: np.ndarray, *, hop_length: int, frame_length: int,
                      sample_rate: int = features.SAMPLE_RATE, **image) -> None:
    """``values`` (n_frames, n_rows) as an image on ``ax``: frame ``i`` is one hop wide and
    centred at its time from :func:`course_lib.features.frame_times` (12.5 ms for the first
    25 ms frame), row 0 at the bottom. ``image`` goes to ``ax.imshow`` (cmap, vmin, ...).
    Used for the log mel spectrogram and the MFCCs of notebook 01.

    Explained in notebook 01, section "Explore the settings".
    """
    centres = features.frame_times(len(values), hop_length=hop_length,
                                   frame_length=frame_length, sample_rate=sample_rate)
    half_hop = hop_length / sample_rate / 2
    extent = (centres[0] - half_hop, centres[-1] + half_hop, 0, values.shape[1])
    ax.imshow(values.T, extent=extent, aspect="auto", origin="lower", interpolation="nearest",
              **image)


def plot_mfcc_settings(waveform: np.ndarray, sample_rate: int = 16_000, window_ms: float = 25.0,
                       hop_ms: float = 10.0, n_mels: int = 40, n_mfcc: int = 13) -> Figure:
    """What the MFCC settings do to one utterance: log mel spectrogram, MFCCs, and the log mel
    spectrogram rebuilt from the MFCCs alone (the smooth envelope the kept coefficients
    describe). ``n_mfcc`` is clipped to ``n_mels``. The figure of notebook 01's explorer.

    Explained in notebook 01, section "Explore the settings".
    """
    n_mfcc = min(n_mfcc, n_mels)
    log_mel = features.log_mel_spectrogram(waveform, sample_rate, n_mels, window_ms, hop_ms)
    basis = features.dct_matrix(n_mfcc, n_mels)
    coefficients = log_mel @ basis.T
    rebuilt = coefficients @ basis
    framing = dict(hop_length=features.ms_to_samples(hop_ms, sample_rate),
                   frame_length=features.ms_to_samples(window_ms, sample_rate),
                   sample_rate=sample_rate)
    figure = Figure(figsize=(11, 7), layout="constrained")
    axes = figure.subplots(3, 1, sharex=True, gridspec_kw=dict(height_ratios=[2, 1.4, 2]))
    shown = dict(cmap="magma", vmin=log_mel.max() - 80, vmax=log_mel.max())
    draw_frame_matrix(axes[0], log_mel, **framing, **shown)
    axes[0].set_ylabel("mel band")
    axes[0].set_title(f"log mel spectrogram: {len(log_mel)} frames x {n_mels} bands "
                      f"({1000 / hop_ms:.0f} frames/s, {window_ms:g} ms windows)", loc="left")
    limit = np.abs(coefficients[:, 1:]).max() if n_mfcc > 1 else 1.0
    draw_frame_matrix(axes[1], coefficients, **framing, cmap="coolwarm", vmin=-limit, vmax=limit)
    axes[1].set_ylabel("coefficient")
    axes[1].set_title(f"{n_mfcc} MFCCs per frame (colour scale set by coefficients 1+)",
                      loc="left")
    draw_frame_matrix(axes[2], rebuilt, **framing, **shown)
    axes[2].set_ylabel("mel band")
    axes[2].set_xlabel("time (s)")
    error = np.sqrt(np.mean((rebuilt - log_mel) ** 2))
    axes[2].set_title(f"rebuilt from the {n_mfcc} MFCCs: rms error {error:.1f} dB", loc="left")
    return figure


def draw_log_mel(ax, waveform: np.ndarray, sample_rate: int = features.SAMPLE_RATE, *,
                 n_mels: int = 40, vmax: float | None = None, top_db: float = 80.0) -> np.ndarray:
    """The log mel spectrogram of ``waveform`` (n_samples,) on ``ax``, from
    :func:`course_lib.features.log_mel_spectrogram` (25 ms / 10 ms frames), with the colour
    scale from ``vmax - top_db`` to ``vmax`` dB (``vmax`` defaults to its own loudest band:
    pass a shared one to compare loudness). Returns the spectrogram, (n_frames, n_mels).

    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    log_mel = features.log_mel_spectrogram(waveform, sample_rate, n_mels, top_db=None)
    vmax = float(log_mel.max()) if vmax is None else vmax
    draw_frame_matrix(ax, log_mel, hop_length=features.ms_to_samples(10.0, sample_rate),
                      frame_length=features.ms_to_samples(25.0, sample_rate),
                      sample_rate=sample_rate, cmap="magma", vmin=vmax - top_db, vmax=vmax)
    return log_mel


def plot_conditions(waveforms: dict[str, np.ndarray], sample_rate: int = features.SAMPLE_RATE,
                    *, n_columns: int = 4, n_mels: int = 40) -> Figure:
    """One sentence heard in several conditions (``{name: waveform}``), each log mel spectrogram
    drawn by :func:`draw_log_mel` in a grid of ``n_columns``, all on the colour scale of the
    first (the clean one), so added noise shows as a brighter floor.

    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    names = list(waveforms)
    n_rows = -(-len(names) // n_columns)
    figure = Figure(figsize=(3.2 * n_columns, 2.6 * n_rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(n_rows, n_columns, sharex=True, sharey=True)).ravel()
    reference = features.log_mel_spectrogram(waveforms[names[0]], sample_rate, n_mels,
                                             top_db=None)
    for ax, name in zip(axes, names):
        draw_log_mel(ax, waveforms[name], sample_rate, n_mels=n_mels, vmax=float(reference.max()))
        ax.set_title(name, loc="left", fontsize=10)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax in axes[::n_columns]:
        ax.set_ylabel("mel band")
    for ax in axes[-n_columns:]:
        ax.set_xlabel("time (s)")
    return figure


def plot_room_and_noise(waveform: np.ndarray, sample_rate: int = features.SAMPLE_RATE, *,
                        snr_db: float | None = 10.0, rt60: float = 0.0, color: str = "pink",
                        seed: int = 0) -> Figure:
    """``waveform`` (n_samples,) clean, and in a room of reverberation time ``rt60`` s
    (0: no room; :func:`course_lib.augment.add_reverb`) with ``color`` noise at ``snr_db`` dB
    added after it (None: no noise; :func:`course_lib.augment.add_noise`): their log mel
    spectrograms, one above the other on the clean one's colour scale. The figure of notebook
    01's room-and-noise explorer; the degraded waveform is
    :func:`course_lib.augment.room_and_noise`.

    Explained in notebook 01, section "Content buried under speaker, room and noise".
    """
    from course_lib import augment

    degraded = augment.room_and_noise(waveform, snr_db=snr_db, rt60=rt60, color=color,
                                      seed=seed, sample_rate=sample_rate)
    figure = plot_conditions({"clean": waveform, _condition_name(snr_db, rt60, color): degraded},
                             sample_rate, n_columns=1)
    figure.set_size_inches(10, 5)
    return figure


def _condition_name(snr_db, rt60, color) -> str:
    room = f"room RT60 {rt60:g} s" if rt60 else "no room"
    noise = f"{color} noise at {snr_db:g} dB SNR" if snr_db is not None else "no noise"
    return f"{room}, {noise}"
