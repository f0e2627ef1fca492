"""Human speech (notebook 03, "Human speech: what transfers"): the CMU ARCTIC recordings and
their HTS labels, the ARPAbet -> eSpeak mapping, boundary errors between alignments whose phones
differ a little, and the Wilson interval of an error rate on few phones."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy.stats import binomtest, norm

from course_lib import data, metrics, phones
from course_lib.plots import draw_log_mel, plot_human_and_synthesized
from course_lib import features
from course_lib.synth import Phone, synthesize

A0009_LABELS = data.REAL_SPEECH_DIR / "arctic_a0009_phone.lab"


# --- the data ---------------------------------------------------------------------------------

def test_every_recording_ships_with_its_licence_and_labels():
    for name, (audio, speaker, text, labels) in data.REAL_RECORDINGS.items():
        assert (data.REAL_SPEECH_DIR / audio).is_file(), name
        assert (data.REAL_SPEECH_DIR / f"COPYING.{speaker}").is_file(), name
        assert labels is None or (data.REAL_SPEECH_DIR / labels).is_file(), name
        assert text.endswith("."), name


def test_the_lab_reader_on_the_real_file():
    segments = data.read_hts_labels(A0009_LABELS)
    lines = A0009_LABELS.read_text().split("\n")
    assert len(segments) == len([line for line in lines if line.strip()]) == 40
    assert segments[0] == (0.0, 0.13, "sil") and segments[1] == (0.13, 0.205, "hh")
    assert segments[-1] == (2.925, 3.075, "sil")
    # contiguous: each segment starts where the previous one ends
    assert all(a[1] == b[0] for a, b in zip(segments, segments[1:]))
    # the phone is the part of the full-context label between '-' and '+'
    for (start, end, phone), line in zip(segments, lines):
        begin, finish, label = line.split()
        assert f"-{phone}+" in label
        assert start == int(begin) / 1e7 and end == int(finish) / 1e7


def test_the_lab_reader_takes_monophone_files_and_skips_blank_lines(tmp_path):
    path = tmp_path / "mono.lab"
    path.write_text("0 1000000 pau\n\n1000000 2500000 k\n")
    assert data.read_hts_labels(path) == [(0.0, 0.1, "pau"), (0.1, 0.25, "k")]


@pytest.mark.parametrize("text, message", [
    ("0 100 sil extra\n", "line 1 must read"), ("0 1.5 sil\n", "line 1 must read"),
    ("0 100 sil\n50 200 k\n", "line 2 must start"), ("100 50 sil\n", "line 1 must start"),
    ("\n\n", "at least one segment"),
])
def test_the_lab_reader_refuses_malformed_files(tmp_path, text, message):
    path = tmp_path / "bad.lab"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        data.read_hts_labels(path)


def test_the_lab_reader_refuses_a_missing_file_and_a_non_path(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        data.read_hts_labels(tmp_path / "none.lab")
    with pytest.raises(TypeError, match="path must be a file path"):
        data.read_hts_labels(3)


def test_load_real_recording_a0009_has_its_reference_in_espeak_labels():
    recording = data.load_real_recording("arctic_a0009")
    assert recording.speaker == "slt" and recording.sample_rate == features.SAMPLE_RATE
    assert recording.waveform.dtype == np.float32 and recording.waveform.ndim == 1
    assert 3.0 < recording.duration < 3.2  # 3.1 s by soundfile's header
    reference = recording.reference_phones
    assert reference[0].start == 0.0 and reference[-1].label == "sil"
    assert all(a.end == b.start for a, b in zip(reference, reference[1:]))
    assert reference[-1].end <= recording.duration
    # the merges: "aa r" of "sharply" is eSpeak's one phone, "ax l" of "table" too
    labels = [p.label for p in reference]
    assert "ɑːɹ" in labels and labels[-2] == "əl" and "ɹ" in labels


def test_load_real_recording_a0007_has_no_reference_and_bad_names_are_refused():
    recording = data.load_real_recording("arctic_a0007")
    assert recording.speaker == "clb" and recording.reference_phones is None
    assert 3.9 < recording.duration < 4.1
    with pytest.raises(ValueError, match="name must be one of 'arctic_a0007'"):
        data.load_real_recording("arctic_b0001")
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        data.load_real_recording(None)


# --- ARPAbet -> eSpeak -----------------------------------------------------------------------

def test_the_mapping_covers_every_arpabet_label_of_the_file():
    names = {arpabet for _, _, arpabet in data.read_hts_labels(A0009_LABELS)}
    assert names <= set(phones.ARPABET_TO_PHONES)


def test_the_mapping_covers_the_39_cmudict_phones_and_lands_in_espeak_labels():
    cmudict = ("aa ae ah ao aw ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh "
               "t th uh uw v w y z zh").split()
    assert len(cmudict) == 39 and set(cmudict) <= set(phones.ARPABET_TO_PHONES)
    # every label the course's inventory holds today is reached, and the new ones eSpeak says
    reached = {phones.arpabet_label(name)[0] for name in phones.ARPABET_TO_PHONES}
    reached |= {phones.arpabet_label(name + "0")[0] for name in ("ah", "er", "iy")}
    reached |= set(phones.ESPEAK_MERGES.values())
    assert {"θ", "dʒ", "ɔɪ", "ʒ"} <= reached
    # eSpeak's reduced ɐ, its short ɔ and its aɪə have no ARPAbet symbol of their own
    no_arpabet = {"aɪə", "ɐ", "ɔ", "iə"}  # and iə ("idea"): eSpeak times it as one phone
    missing = set(phones.PHONES) - reached - no_arpabet
    assert not missing, (f"phones of PHONES that no ARPAbet label maps to: {sorted(missing)}; "
                         f"add them to ARPABET_TO_PHONES or ESPEAK_MERGES, or to no_arpabet here")


def test_arpabet_label_reads_case_and_stress():
    assert phones.arpabet_label("AA1") == ("ɑː", 1)
    assert phones.arpabet_label("ah0") == ("ə", 0) and phones.arpabet_label("ah1") == ("ʌ", 1)
    assert phones.arpabet_label("er") == ("ɜː", 0) and phones.arpabet_label("er0") == ("ɚ", 0)
    assert phones.arpabet_label("iy0") == ("i", 0) and phones.arpabet_label("iy2") == ("iː", 2)
    assert phones.arpabet_label("pau") == ("sil", 0) and phones.arpabet_label("g") == ("ɡ", 0)
    with pytest.raises(ValueError, match="arpabet must be an ARPAbet phone"):
        phones.arpabet_label("qx")
    with pytest.raises(ValueError, match="arpabet must be an ARPAbet phone"):
        phones.arpabet_label("aa3")
    with pytest.raises(TypeError, match="arpabet must be a non-empty string"):
        phones.arpabet_label(7)


def _timed(names):
    return [(0.1 * i, 0.1 * (i + 1), name) for i, name in enumerate(names)]


@pytest.mark.parametrize("arpabet, espeak", [
    ("sh aa1 r p l iy0", "ʃ ɑːɹ p l i"),          # sharply
    ("v eh1 r iy0", "v ɛ ɹ i"),                   # very: a vowel follows the r, no merge
    ("n ih1 r", "n ɪɹ"), ("t uh1 r", "t ʊɹ"), ("m ao1 r", "m ɔːɹ"),
    ("k eh1 r f ah0 l", "k ɛɹ f əl"),             # careful: both merges
    ("ah0 l ow1 n", "ə l oʊ n"),                  # alone: a vowel follows the l
    ("f ay1 er0", "f aɪɚ"), ("t ey1 b ax l pau", "t eɪ b əl sil"),
    ("pau sil hh iy1 pau", "sil h iː sil"),       # adjacent pauses become one
])
def test_arpabet_to_phones_merges_as_espeak_does(arpabet, espeak):
    mapped = phones.arpabet_to_phones(_timed(arpabet.split()))
    assert [p.label for p in mapped] == espeak.split()
    # merged phones span both: the result stays contiguous from the first start to the last end
    assert mapped[0].start == 0.0 and mapped[-1].end == pytest.approx(0.1 * len(arpabet.split()))
    assert all(a.end == b.start for a, b in zip(mapped, mapped[1:]))


@pytest.mark.parametrize("word", ["sharply", "careful", "table", "near", "tour", "more", "fire",
                                  "very", "alone"])
def test_the_merges_agree_with_what_espeak_says(word):
    cmudict = {"sharply": "sh aa1 r p l iy0", "careful": "k eh1 r f ah0 l",
               "table": "t ey1 b ah0 l", "near": "n ih1 r", "tour": "t uh1 r", "more": "m ao1 r",
               "fire": "f ay1 er0", "very": "v eh1 r iy0", "alone": "ah0 l ow1 n"}[word]
    said = [label for label in synthesize(word + ".").phone_labels if label != "sil"]
    mapped = [p.label for p in phones.arpabet_to_phones(_timed(cmudict.split()))]
    if word == "alone":  # eSpeak reduces this schwa to ɐ; the count and the l stay
        said = ["ə" if label == "ɐ" else label for label in said]
    assert mapped == said


def test_the_mapped_a0009_reference_is_close_to_what_espeak_says():
    recording = data.load_real_recording("arctic_a0009")
    reference = [p.label for p in recording.reference_phones]
    said = synthesize(recording.text).phone_labels
    # eSpeak adds a pause at the comma and differs in a few vowels and the d/t of "faced";
    # the mapping must leave no more than that
    assert metrics.edit_distance(reference, said) <= 0.15 * len(said)


@pytest.mark.parametrize("segments, error, message", [
    ("sil", TypeError, "segments must be a sequence"), ([], ValueError, "at least one"),
    ([(0, 1)], TypeError, r"segments\[0\] must be a \(start_s, end_s, arpabet\)"),
    ([(0.2, 0.1, "k")], ValueError, r"segments\[0\] end_s"),
    ([(-1, 0.1, "k")], ValueError, r"segments\[0\] start_s"),
    ([(0, float("nan"), "k")], ValueError, r"segments\[0\] end_s"),
    ([(0, 0.1, "qx")], ValueError, "arpabet must be an ARPAbet phone"),
])
def test_arpabet_to_phones_refuses_bad_segments(segments, error, message):
    with pytest.raises(error, match=message):
        phones.arpabet_to_phones(segments)


# --- edit alignment and matched boundary errors ----------------------------------------------

def _optimal_match_sets(reference, hypothesis):
    """Every set of kept pairs of every cheapest edit script, by enumeration (tiny inputs)."""
    scripts = {}

    def walk(i, j, cost, kept):
        if i == len(reference) and j == len(hypothesis):
            scripts.setdefault(cost, set()).add(tuple(kept))
            return
        if i < len(reference):
            walk(i + 1, j, cost + 1, kept)
        if j < len(hypothesis):
            walk(i, j + 1, cost + 1, kept)
        if i < len(reference) and j < len(hypothesis):
            same = reference[i] == hypothesis[j]
            walk(i + 1, j + 1, cost + (not same), kept + [(i, j)] if same else kept)

    walk(0, 0, 0, [])
    best = min(scripts)
    return best, scripts[best]


@given(st.lists(st.sampled_from("abc"), max_size=5), st.lists(st.sampled_from("abc"), max_size=5))
def test_edit_alignment_is_a_cheapest_script_by_brute_force(reference, hypothesis):
    pairs = metrics.edit_alignment(reference, hypothesis)
    best, match_sets = _optimal_match_sets(reference, hypothesis)
    assert tuple(pairs) in match_sets
    assert best == metrics.edit_distance(reference, hypothesis)


def _phones_at(labels, starts):
    ends = list(starts[1:]) + [starts[-1] + 0.1]
    return [Phone(label, start, end) for label, start, end in zip(labels, starts, ends)]


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=8),
       st.lists(st.floats(0, 1), min_size=16, max_size=16))
def test_matched_boundary_errors_equal_boundary_errors_for_identical_labels(labels, jitter):
    reference = _phones_at(labels, np.arange(len(labels)) * 0.1)
    predicted = _phones_at(labels, np.arange(len(labels)) * 0.1 + np.array(jitter[:len(labels)]))
    assert np.array_equal(metrics.matched_boundary_errors(predicted, reference),
                          metrics.boundary_errors(predicted, reference))


@given(st.lists(st.sampled_from("abc"), min_size=1, max_size=5),
       st.lists(st.sampled_from("abc"), min_size=1, max_size=5))
def test_matched_boundary_errors_by_brute_force(reference_labels, predicted_labels):
    reference = _phones_at(reference_labels, np.arange(len(reference_labels)) * 1.0)
    predicted = _phones_at(predicted_labels, np.arange(len(predicted_labels)) * 10.0 + 0.5)
    errors = metrics.matched_boundary_errors(predicted, reference)
    _, match_sets = _optimal_match_sets(reference_labels, predicted_labels)
    # some cheapest script keeps pairs whose consecutive diagonal steps give exactly these
    # boundaries: reference boundary i = i s, predicted boundary j = 10 j + 0.5 s
    candidates = []
    for kept in match_sets:
        candidates.append(sorted(abs(10.0 * j + 0.5 - 1.0 * i) for (i0, j0), (i, j)
                                 in zip(kept, kept[1:]) if i == i0 + 1 and j == j0 + 1))
    assert sorted(errors.tolist()) in candidates


def test_matched_boundary_errors_skip_the_boundaries_of_a_mismatched_phone():
    reference = _phones_at(["s", "t", "ɡ", "ɹ"], [0.0, 0.1, 0.2, 0.3])
    predicted = _phones_at(["s", "d", "ɡ", "ɹ"], [0.0, 0.12, 0.25, 0.33])
    # s|t and t|ɡ touch the mismatch d/t; only ɡ|ɹ is scored
    assert metrics.matched_boundary_errors(predicted, reference) == pytest.approx([0.03])
    inserted = _phones_at(["s", "sil", "ɡ", "ɹ"], [0.0, 0.1, 0.2, 0.3])
    assert metrics.matched_boundary_errors(inserted, _phones_at(["s", "ɡ", "ɹ"], [0.0, 0.21, 0.3])
                                           ) == pytest.approx([0.0])


def test_matched_boundary_errors_refuse_bad_input():
    good = _phones_at(["a", "b"], [0.0, 0.1])
    with pytest.raises(TypeError, match="predicted must be a sequence of Phone"):
        metrics.matched_boundary_errors("ab", good)
    with pytest.raises(ValueError, match="reference must hold at least one Phone"):
        metrics.matched_boundary_errors(good, [])
    with pytest.raises(TypeError, match="reference must be a sequence of Phone"):
        metrics.matched_boundary_errors(good, [("a", 0.0)])
    with pytest.raises(TypeError, match="reference must be a sequence of labels"):
        metrics.edit_alignment("ab", ["a"])


# --- the Wilson interval ---------------------------------------------------------------------

@pytest.mark.parametrize("n_errors, n_trials", [(0, 1), (1, 1), (0, 38), (5, 38), (30, 38),
                                                (38, 38), (12, 70), (500, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_matches_scipy(n_errors, n_trials, confidence):
    low, high = metrics.wilson_interval(n_errors, n_trials, confidence)
    reference = binomtest(n_errors, n_trials).proportion_ci(confidence, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_bounds_are_where_the_score_statistic_reaches_z(counts):
    n_errors, n_trials = counts
    low, high = metrics.wilson_interval(n_errors, n_trials)
    z, rate = norm.ppf(0.975), n_errors / n_trials
    assert 0 <= low <= rate <= high <= 1
    for bound in (low, high):  # a bound at 0 or 1 holds only when the rate itself is there
        if 0 < bound < 1:
            score = (rate - bound) / math.sqrt(bound * (1 - bound) / n_trials)
            assert abs(score) == pytest.approx(z, rel=1e-6)


def test_wilson_coverage_by_exact_binomial_sum():
    # on 40 phones with a true rate of 0.3, the 95% interval covers it in about 95% of samples
    n_trials, true_rate = 40, 0.3
    coverage = sum(math.comb(n_trials, k) * true_rate ** k * (1 - true_rate) ** (n_trials - k)
                   for k in range(n_trials + 1)
                   if metrics.wilson_interval(k, n_trials)[0] <= true_rate
                   <= metrics.wilson_interval(k, n_trials)[1])
    assert 0.92 < coverage < 0.98


@pytest.mark.parametrize("args, error, message", [
    ((5, 0), ValueError, "n_trials must be an integer >= 1"),
    ((-1, 10), ValueError, "n_errors must be an integer >= 0 and <= 10"),
    ((11, 10), ValueError, "n_errors must be an integer >= 0 and <= 10"),
    ((1.0, 10), TypeError, "n_errors must be an integer"),
    ((1, 10, 1.0), ValueError, "confidence must be"),
    ((1, 10, "95%"), TypeError, "confidence must be"),
])
def test_wilson_interval_refuses_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        metrics.wilson_interval(*args)


# --- the figure ------------------------------------------------------------------------------

def test_draw_log_mel_draws_the_features_log_mel_at_the_frame_centres():
    waveform = np.random.default_rng(0).normal(size=8000)
    ax = Figure().subplots()
    drawn = draw_log_mel(ax, waveform, 16_000)
    image = ax.images[0]
    expected = features.log_mel_spectrogram(waveform, 16_000, n_mels=40, top_db=None)
    assert np.allclose(drawn, expected) and np.allclose(image.get_array(), expected.T)
    centres = features.frame_times(len(expected))
    left, right, _, _ = image.get_extent()
    assert np.isclose(left, centres[0] - 0.005) and np.isclose(right, centres[-1] + 0.005)


def test_plot_human_and_synthesized_has_a_row_per_spectrogram_and_phone_row():
    rng = np.random.default_rng(1)
    human, twin = rng.normal(size=16_000), rng.normal(size=12_000)
    figure = plot_human_and_synthesized(human, twin, title="a0009")
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    assert figure.axes[-1].get_xlim() == pytest.approx((0, 1.0))
    rows = {"reference": [Phone("k", 0, 1)], "aligner": [Phone("k", 0, 0.5), Phone("t", 0.5, 1)]}
    with_phones = plot_human_and_synthesized(human, twin, human_rows=rows,
                                             synthesized_rows={"eSpeak": [Phone("k", 0, 0.75)]})
    assert len(with_phones.axes) == 5
    assert [ax.get_ylabel() for ax in with_phones.axes] == [
        "mel band", "reference", "aligner", "mel band", "eSpeak"]
    assert [t.get_text() for t in with_phones.axes[2].texts] == ["k", "t"]
    with pytest.raises(TypeError, match="title must be a string"):
        plot_human_and_synthesized(human, twin, title=3)
