"""Fuzz course_lib.phones: round trips on random phone lists, phones_at on random timings."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib import phones
from course_lib.synth import Phone

PHONE_LISTS = st.lists(st.sampled_from(phones.PHONES), max_size=30)


@given(PHONE_LISTS, st.booleans())
def test_indices_round_trip_and_never_use_the_blank(labels, as_array):
    indices = phones.phones_to_indices(np.array(labels, dtype=str) if as_array else labels)
    assert all(1 <= i < len(phones.LABELS) for i in indices)
    assert phones.indices_to_phones(indices) == labels
    assert all(phones.phone_class(p) in ("vowel", "consonant", "silence") for p in labels)


@given(st.lists(st.floats(0.001, 0.5), min_size=1, max_size=10), st.data())
def test_phones_at_returns_the_phone_whose_interval_holds_each_time(durations, data):
    ends = np.cumsum(durations)
    starts = np.r_[0.0, ends[:-1]]
    labels = data.draw(st.lists(st.sampled_from(phones.PHONES), min_size=len(durations),
                                max_size=len(durations)))
    alignment = [Phone(label, float(s), float(e)) for label, s, e in zip(labels, starts, ends)]
    times = data.draw(st.lists(st.floats(-1.0, float(ends[-1]) + 1.0), max_size=20))
    found = phones.phones_at(alignment, times)
    assert len(found) == len(times)
    for time, label in zip(times, found):
        holders = [p.label for p in alignment if p.start <= time < p.end]
        expected = holders[0] if holders else (labels[0] if time < 0 else labels[-1])
        assert label == expected


@given(st.sampled_from(["sil", None, 3, [1, 2], ["k", None], ["q"], ["-"]]))
def test_bad_phone_lists_are_refused_naming_them(value):
    with pytest.raises((ValueError, TypeError), match="phones"):
        phones.phones_to_indices(value)


@given(st.sampled_from([[-1], [59], [1.5], "12", None, [[1]]]))
def test_bad_indices_are_refused_naming_them(value):
    with pytest.raises((ValueError, TypeError), match="indices"):
        phones.indices_to_phones(value)


ARPABET = st.sampled_from(sorted(phones.ARPABET_TO_PHONES) + ["ah0", "er0", "iy0", "AA1", "ey2"])


@given(st.lists(st.tuples(ARPABET, st.floats(0.001, 0.3)), min_size=1, max_size=15))
def test_arpabet_to_phones_stays_contiguous_and_within_the_mapping(rows):
    ends = np.cumsum([duration for _, duration in rows])
    starts = np.r_[0.0, ends[:-1]]
    segments = [(float(s), float(e), name) for (name, _), s, e in zip(rows, starts, ends)]
    mapped = phones.arpabet_to_phones(segments)
    assert 1 <= len(mapped) <= len(segments)
    assert mapped[0].start == 0.0 and mapped[-1].end == float(ends[-1])
    assert all(a.end == b.start for a, b in zip(mapped, mapped[1:]))
    known = (set(phones.ARPABET_TO_PHONES.values()) | set(phones.ESPEAK_MERGES.values())
             | {"ə", "ɚ", "i"})
    assert {p.label for p in mapped} <= known
    assert all(not (a.label == b.label == phones.SILENCE) for a, b in zip(mapped, mapped[1:]))


@given(st.sampled_from([None, "aa", 3, [("k",)], [(0, 1, None)], [(0, 1, "zz")],
                        [(float("inf"), 1, "k")], [(0.5, 0.1, "k")], []]))
def test_bad_arpabet_segments_are_refused_naming_them(value):
    with pytest.raises((ValueError, TypeError), match="segments|arpabet"):
        phones.arpabet_to_phones(value)
