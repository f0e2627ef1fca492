"""Every figure puts frame i at features.frame_times(i) and draws spectrograms computed by
course_lib.features: read back from the returned figures."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_lib import features
from course_lib import augment
from course_lib.plots import (draw_frame_labels, draw_spectrogram, draw_unit_row,
                              plot_conditions, plot_mfcc_settings, plot_three_alignments,
                              plot_unit_rows)
from course_lib.plots.common import frame_cells
from course_lib.synth import Phone, synthesize


@pytest.fixture(scope="module")
def utterance():
    return synthesize("The cat sat.")


def test_spectrogram_is_the_features_power_spectrum_at_the_frame_centres():
    waveform = np.random.default_rng(0).normal(size=4000)
    ax = Figure().subplots()
    draw_spectrogram(ax, waveform, 16_000)
    mesh = ax.collections[0]
    frames = features.frame_signal(waveform, 400, 160)
    expected = features.power_to_db(features.power_spectrum(frames), top_db=80.0)
    assert np.allclose(mesh.get_array(), expected.T)
    corners = mesh.get_coordinates()  # cell edges, halfway between the frame centres
    centres = (corners[0, :-1, 0] + corners[0, 1:, 0]) / 2
    assert np.allclose(centres, features.frame_times(len(frames)))
    assert centres[0] == pytest.approx(0.0125)
    assert ax.get_ylim() == (0, 8000)


def test_three_alignments_draws_hmm_frames_at_their_centres(utterance):
    n_phones = len(utterance.phones)
    hmm_path = np.repeat(np.arange(n_phones), 4)
    spikes = np.arange(n_phones) * 2
    weights = np.full((n_phones, 2 * n_phones), 1 / (2 * n_phones))
    figure = plot_three_alignments(utterance, hmm_path, spikes, weights)
    hmm_line = figure.axes[1].lines[0]
    assert np.array_equal(hmm_line.get_ydata(), hmm_path)
    # the aligner's frames: 25 ms windows every 10 ms, frame 0 centred at 12.5 ms (not 5 ms)
    assert np.allclose(hmm_line.get_xdata(), features.frame_times(len(hmm_path)))
    # the recognizer's centred 50 fps frames: frame i at i / 50 s, cells of 20 ms around it
    spike_line = figure.axes[2].lines[0]
    assert np.allclose(spike_line.get_xdata(), features.frame_times(
        2 * n_phones, hop_length=320, center=True)[spikes])
    left, right, _, _ = figure.axes[3].images[0].get_extent()
    assert (left, right) == pytest.approx((-0.01, (2 * n_phones - 0.5) / 50))


def test_mfcc_figure_centres_each_frame_on_its_window(utterance):
    figure = plot_mfcc_settings(utterance.waveform, window_ms=25.0, hop_ms=10.0)
    n_frames = features.frame_signal(utterance.waveform, 400, 160).shape[0]
    centres = features.frame_times(n_frames)
    for ax in figure.axes:
        left, right, _, _ = ax.images[0].get_extent()
        assert (left, right) == pytest.approx((centres[0] - 0.005, centres[-1] + 0.005))


def test_conditions_figure_draws_each_log_mel_on_the_clean_colour_scale(utterance):
    clean = utterance.waveform
    waveforms = {"clean": clean, "0 dB": augment.add_noise(clean, 0.0, seed=1),
                 "room": augment.add_reverb(clean, 0.5)}
    figure = plot_conditions(waveforms, n_columns=2)
    shown = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in shown] == list(waveforms)
    clean_top = features.log_mel_spectrogram(clean, top_db=None).max()
    centres = features.frame_times(features.frame_signal(clean, 400, 160).shape[0])
    for ax, waveform in zip(shown, waveforms.values()):
        image = ax.images[0]
        np.testing.assert_allclose(image.get_array().T,
                                   features.log_mel_spectrogram(waveform, top_db=None))
        assert image.get_clim() == pytest.approx((clean_top - 80, clean_top))
        left, right, _, _ = image.get_extent()
        assert (left, right) == pytest.approx((centres[0] - 0.005, centres[-1] + 0.005))


def test_unit_rows_place_cells_by_their_framing():
    units = np.array([3, 3, 7, 1])
    codec_like = Figure().subplots()
    draw_unit_row(codec_like, units, 50)  # 320-sample blocks side by side: [i, i + 1) / 50
    starts = [path.vertices[:, 0].min() for path in codec_like.collections[0].get_paths()]
    assert np.allclose(starts, np.arange(4) / 50)
    mfcc_like = Figure().subplots()
    draw_unit_row(mfcc_like, units, 100, frame_length=400)  # 25 ms windows every 10 ms
    starts = [path.vertices[:, 0].min() for path in mfcc_like.collections[0].get_paths()]
    assert np.allclose(starts, features.frame_times(4) - 0.005)
    phones = (Phone("sil", 0.0, 0.02), Phone("a", 0.02, 0.05))
    figure = plot_unit_rows(phones, {"units": units}, 100, frame_length=400)
    assert [t.get_text() for t in figure.axes[1].texts] == ["3", "3", "7", "1"]
    assert figure.axes[1].texts[0].get_position()[0] == pytest.approx(0.0125)


def test_frame_labels_centre_each_frame_on_its_time():
    ax = Figure().subplots()
    path = np.array([0, 2, 2, 0, 1])
    cells = frame_cells(5, 50, sample_rate=16_000, center=True)
    draw_frame_labels(ax, path, ["-", "k", "æ"], cells)
    assert [t.get_text() for t in ax.texts] == ["æ", "k"]
    assert [t.get_position()[0] for t in ax.texts] == pytest.approx([0.02, 0.08])


def test_frame_rates_must_divide_the_sample_rate():
    with pytest.raises(ValueError, match="frames_per_second"):
        frame_cells(3, 30, sample_rate=16_000)
    with pytest.raises(ValueError, match="frames_per_second"):
        frame_cells(3, 0, sample_rate=16_000)
