"""The map of real systems (notebook 11): records, budgets and toys."""

import dataclasses

import numpy as np
import pytest

from course_lib import generate, rates, serialize, systems


def test_there_are_the_ten_systems_of_the_issue():
    assert systems.NAMES == ("Ultravox", "Qwen-Audio", "SALMONN", "SpeechVerse", "VALL-E",
                             "MusicGen", "SoundStorm", "GPT-4o", "Spirit LM", "Moshi")


@pytest.mark.parametrize("name", systems.NAMES)
def test_every_record_validates(name):
    system = systems.get(name)
    assert systems.problems(system) == []
    for path, number in systems.numbers(system).items():
        assert number.source.strip(), path
        assert number.value is None or number.value > 0, path
    for item in system.disagreements:
        assert item.essay and item.source_says and item.source
    if system.input_path is None:
        assert system.input_note.strip()  # says what conditions it instead
    if system.output.serialization is not None:
        assert system.output.serialization in serialize.PATTERNS


def test_a_broken_record_is_caught():
    ultravox = systems.get("Ultravox")
    path = dataclasses.replace(ultravox.input_path,
                               frames_per_second=systems.Sourced(0.0, "nowhere"))
    assert any("not positive" in p for p in
               systems.problems(dataclasses.replace(ultravox, input_path=path)))
    unsourced = dataclasses.replace(ultravox.input_path,
                                    factor=systems.Sourced(8, " "))
    assert any("no source" in p for p in
               systems.problems(dataclasses.replace(ultravox, input_path=unsourced)))
    no_levels = dataclasses.replace(systems.get("MusicGen").output, n_levels=None)
    assert any("n_levels" in p for p in
               systems.problems(dataclasses.replace(systems.get("MusicGen"), output=no_levels)))


def test_gpt4o_marks_what_is_inferred():
    gpt4o = systems.get("GPT-4o")
    assert gpt4o.inferred and gpt4o.output.codec is None and gpt4o.input_path is None
    assert systems.budget(gpt4o, 5.0)["steps_out"] is None


def test_budgets_equal_hand_computed_values():
    # Ultravox, 10 s: 500 Whisper frames, stacked by 8 -> ceil(500 / 8) = 63
    assert systems.lm_input_tokens("Ultravox", 10.0) == 63
    # Qwen-Audio, 30 s: 1500 frames pooled by 2 -> 750
    assert systems.lm_input_tokens("Qwen-Audio", 30.0) == 750
    # VALL-E, 5 s: 375 frames at 75 Hz, 8 levels: 375 AR steps + 7 NAR passes = 382
    assert systems.output_frames("VALL-E", 5.0) == 375
    assert systems.output_tokens("VALL-E", 5.0) == 375 * 8
    assert systems.output_steps("VALL-E", 5.0) == 382
    # MusicGen, 10 s: 500 frames x 4 levels, delay: 500 + 3 steps
    assert systems.output_steps("MusicGen", 10.0) == 503
    # SoundStorm, 30 s, 12 levels: 16 passes + 11 = 27
    assert systems.output_steps("SoundStorm", 30.0) == 27
    # Moshi, 10 s: 125 frames at 12.5 Hz, 8 levels, acoustic delay 1 -> 126 temporal steps
    assert systems.lm_input_tokens("Moshi", 10.0) == 125
    assert systems.output_steps("Moshi", 10.0) == 126
    # text output: the essay's 4 tokens per second
    assert systems.output_steps("SALMONN", 10.0) == 40


def test_the_essays_claims_and_the_corrected_ones():
    assert systems.output_frames("VALL-E", 5.0) == 375          # level 1 at 75 fps, 5 s
    assert systems.get("Moshi").output.frames_per_second.value == 12.5
    assert systems.get("Moshi").input_path.frames_per_second.value == 12.5
    assert systems.lm_input_tokens("SALMONN", 30.0) == 88        # 1500 // 17
    assert systems.lm_input_tokens("Ultravox", 100.0) / 100 == 6.25
    assert systems.lm_input_tokens("SpeechVerse", 10.0) is None  # stride not in the sources


def test_budget_refuses_bad_input():
    with pytest.raises(ValueError, match="duration_s"):
        systems.budget("Ultravox", 0)
    with pytest.raises(ValueError, match="name"):
        systems.get("Whisper")
    with pytest.raises(TypeError, match="system"):
        systems.budget(3, 1.0)


def test_rate_table_counts_positions_codes_and_steps():
    rows = systems.rate_table((5.0, 12.5, 25.0, 50.0), n_levels=8, pattern="rq",
                              duration_s=10.0)
    assert [r["positions_per_second"] for r in rows] == [5.0, 12.5, 25.0, 50.0]
    assert [r["tokens_per_second"] for r in rows] == [40.0, 100.0, 200.0, 400.0]
    assert rows[1]["steps_per_second"] == (125 + 1) / 10
    assert rows[0]["positions_per_text_token"] == 50 / 40


@pytest.fixture(scope="module")
def corpus_runs():
    return {name: systems.run_toy(name, "corpus") for name in systems.NAMES}


@pytest.mark.parametrize("name", systems.NAMES)
def test_each_toy_emits_what_its_records_formula_gives_at_50_hz(corpus_runs, name):
    run = corpus_runs[name]
    expected = systems.toy_expected(run)
    assert expected, name
    for key, value in expected.items():
        assert getattr(run, key) == value, (name, key)
        seconds = run.input_s if key == "tokens_in" else run.duration_s
        assert run.per_second(key) == pytest.approx(value / seconds)
    assert run.seconds > 0 and run.output


def test_toy_rates_per_second():
    run = systems.run_toy("Ultravox", "real")
    # 3.1 s at 50 frames/s, stacked by 8: within one token of 6.25 tokens/s
    assert abs(run.tokens_in - 6.25 * run.duration_s) <= 1
    assert run.tokens_in == systems.toy_expected(run)["tokens_in"]
    moshi = systems.run_toy("Moshi", "real")
    n_frames = rates.encoder_frames(moshi.duration_s, 50)
    assert moshi.tokens_out == n_frames * generate.N_LEVELS
    assert moshi.temporal_steps == n_frames + 1
    stream = moshi.extra["inner_monologue"]
    assert stream.ndim == 1 and len(stream) > 0  # one text token per frame
    spirit = systems.run_toy("Spirit LM", "real")
    assert spirit.tokens_in == rates.encoder_frames(spirit.extra["question_seconds"], 50)
    assert spirit.waveform is not None and np.isfinite(spirit.waveform).all()
    # 50 level-1 codes per second in, and 50 per second of reply out: the toy's 50 Hz codec
    assert abs(spirit.per_second("tokens_in") - 50) <= 1 / spirit.input_s
    assert spirit.per_second("tokens_out") == 50


def test_closing_table_puts_essay_and_measurement_side_by_side(corpus_runs):
    rows = systems.closing_table(list(corpus_runs.values()))
    assert [r["system"] for r in rows] == list(systems.NAMES)
    ultravox = rows[0]
    assert "no temporal compression" in ultravox["essay_key"]
    assert "6.25 tokens/s" in ultravox["sources"]
    assert "corpus:" in ultravox["measured"]


def test_budget_figure_and_explorer():
    from matplotlib.figure import Figure

    from course_lib.plots import plot_budgets
    from course_lib.widgets import budget_explorer, budget_view

    curves = systems.budget_curves([1.0, 10.0, 100.0])
    assert curves["tokens_in"]["Ultravox"].tolist() == [7, 63, 625]
    assert "GPT-4o" not in curves["steps_out"]
    figure = plot_budgets(curves, 10.0, systems.budgets(10.0))
    assert isinstance(figure, Figure)
    left, right = figure.axes
    assert left.get_yscale() == right.get_yscale() == "log"
    assert any(line.get_label() == "text tokens" for line in left.get_lines())
    assert isinstance(budget_view(5.0), Figure)
    explorer = budget_explorer()
    explorer.children[0].value = 30.0
    assert "at 30 s" in explorer.result._suptitle.get_text()
    with pytest.raises(ValueError, match="durations"):
        systems.budget_curves([0.0, 1.0])


def test_codes_per_second_of_the_real_codecs():
    # COURSE.md's token rates: MusicGen 200, VALL-E 600, SoundStorm 600, Moshi 100 per stream
    assert systems.output_tokens("MusicGen", 10.0) == 2000
    assert systems.output_tokens("VALL-E", 10.0) == 6000
    assert systems.output_tokens("SoundStorm", 10.0) == 6000
    assert systems.output_tokens("Moshi", 10.0) == 1000
