import re

import pytest
from matplotlib.figure import Figure

from course_lib.plots import plot_alignments, plot_token_rows, plot_utterance
from course_lib.synth import synthesize
from course_lib.widgets import rate_explorer


@pytest.fixture(scope="module")
def utterance():
    return synthesize("The cat sat on the mat.")


def figure_texts(figure):
    return [t.get_text() for ax in figure.axes for t in ax.texts]


def token_counts(figure):
    """{row name: token count} read back from the row labels of a token-rows figure."""
    counts = {}
    for text in figure_texts(figure):
        match = re.match(r"(.+)\n(\d+) tokens", text)
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


def test_plot_utterance_shows_wave_spectrogram_and_phones(utterance):
    figure = plot_utterance(utterance)
    assert isinstance(figure, Figure) and len(figure.axes) == 3
    labels = figure_texts(figure)
    assert labels.count("æ") == 3 and "k" in labels
    assert figure.axes[2].get_xlim() == pytest.approx((0, utterance.duration))


def test_plot_token_rows_labels_every_strategy(utterance):
    counts = token_counts(plot_token_rows(utterance.text, utterance.phones, 5.0))
    assert counts == {
        "text tokens": 7, "encoder frames (50 fps)": 250, "pooled, k=5": 50,
        "CTC-merged phones": len(utterance.phones), "Q-Former, 32 queries": 32,
        "codec, 4 levels x 25 fps": 500,
    }


def test_rate_explorer_sliders_redraw_the_figure(utterance):
    explorer = rate_explorer(utterance)
    duration, fps, pool, queries, levels, codec_fps = explorer.children[:6]
    assert isinstance(explorer.result, Figure)
    assert explorer.auto_display, "interactive shows nothing unless told to display the result"
    duration.value = 10.0
    assert token_counts(explorer.result)["encoder frames (50 fps)"] == 500
    levels.value = 8
    codec_fps.value = 75
    assert token_counts(explorer.result)["codec, 8 levels x 75 fps"] == 8 * 75 * 10
    queries.value = 64
    pool.value = 2
    counts = token_counts(explorer.result)
    assert counts["Q-Former, 64 queries"] == 64 and counts["pooled, k=2"] == 250


def test_plot_alignments_stacks_one_row_per_utterance():
    slow = synthesize("The cat sat.", words_per_minute=100)
    fast = synthesize("The cat sat.", words_per_minute=300)
    figure = plot_alignments([slow, fast], ["slow", "fast"])
    assert [ax.get_ylabel() for ax in figure.axes] == ["slow", "fast"]
    assert figure.axes[0].get_xlim()[1] == pytest.approx(slow.duration)
    with pytest.raises(ValueError, match="names"):
        plot_alignments([slow, fast], ["slow"])


def test_plot_rate_distortion_draws_one_line_per_codec_and_its_ceiling():
    from course_lib.plots import plot_rate_distortion
    curves = {"plain": ([400, 800, 1600], [0.8, 0.85, 0.9], [0.5, 0.4, 0.3]),
              "distilled": ([400, 800, 1600], [0.78, 0.84, 0.9], [0.55, 0.42, 0.31])}
    figure = plot_rate_distortion(curves, unquantized={"plain": (0.93, 0.25)})
    stoi_ax, distance_ax = figure.axes
    assert [line.get_label() for line in stoi_ax.lines] == ["plain", "plain, unquantized",
                                                            "distilled"]
    assert list(stoi_ax.lines[0].get_ydata()) == [0.8, 0.85, 0.9]
    assert list(distance_ax.lines[-1].get_ydata()) == [0.55, 0.42, 0.31]
    assert stoi_ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="curves"):
        plot_rate_distortion({"bad": ([1, 2], [0.5], [0.1, 0.2])})


def test_plot_probe_accuracy_has_a_panel_per_codec_and_a_line_per_label():
    from course_lib.plots import plot_probe_accuracy
    accuracy = {"plain": {"phone": [0.5, 0.3, 0.2], "voice": [0.4, 0.2, 0.1]},
                "distilled": {"phone": [0.8, 0.3, 0.2], "voice": [0.2, 0.3, 0.1]}}
    figure = plot_probe_accuracy(accuracy, chance={"phone": 0.1, "voice": 0.12})
    assert [ax.get_title() for ax in figure.axes] == ["plain", "distilled"]
    solid = [line for line in figure.axes[1].lines if line.get_linestyle() == "-"]
    assert [list(line.get_ydata()) for line in solid] == [[0.8, 0.3, 0.2], [0.2, 0.3, 0.1]]
    dashed = [line for line in figure.axes[0].lines if line.get_linestyle() == "--"]
    assert sorted(line.get_ydata()[0] for line in dashed) == [0.1, 0.12]
