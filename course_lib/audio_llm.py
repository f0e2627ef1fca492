"""A tiny audio-LLM: frozen encoder -> trained adapter -> frozen tiny LM.

The recognizer of notebook 03 (:func:`course_lib.recognizer.load_recognizer`) is the frozen
audio encoder, as Whisper is for Qwen-Audio and SALMONN; :mod:`course_lib.lm` is the frozen
LLM. Only the adapter (:mod:`course_lib.adapters`) trains, on the recognizer corpus's training
split, to make the LM write the transcript after the audio tokens::

    waveform -> recognizer (frozen) -> hidden (T, 192) at 50 fps
             -> adapter (trained)   -> tokens (T', 128)
             -> [tokens] <bos> t r a n s c r i p t <eos>   tiny LM (frozen)

The encoder's outputs are computed once per split and cached under ``data/cache/``
(:func:`encoded_split`). :func:`train` trains one adapter per family with the same data,
steps and seed; :func:`bake_off` scores them (content and timing, on sets never trained on).

Train all: ``python -m course_lib.audio_llm`` (``data/README.md`` has the CPU time).
Explained in notebook 08, section "The tiny audio-LLM".
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from course_lib import adapters, lm, metrics, rates, validate
from course_lib.data import CACHE_DIR, TRAINING_CORPORA, WEIGHTS_DIR, build_corpus, build_held_out
from course_lib.phones import PHONES
from course_lib.threads import limited_threads

WEIGHTS_PATH = WEIGHTS_DIR / "audio_llm_adapters.pt"
FRAMES_PER_SECOND = 50
SPLITS = ("train", "test split", "held-out sentences")
FAST_WPM, SLOW_WPM = 220, 120
BEAM_WIDTH = 5   # the bake-off's decoding: beam search with 5 beams, as Whisper decodes


def split_utterances(split: str):
    """The utterances of ``split``: ``"train"`` (the recognizer corpus's training split, what
    the adapters train on), ``"test split"`` (the course corpus's test split) or ``"held-out
    sentences"`` (hand-written text, never trained on by anything).
    Explained in notebook 08, section "The tiny audio-LLM"."""
    split = validate.choice(split, "split", SPLITS)
    if split == "train":
        return build_corpus(**TRAINING_CORPORA["recognizer"]).train
    if split == "test split":
        return build_corpus().test
    return build_held_out("sentences")


def encoded_split(split: str, cache: bool = True) -> list[dict]:
    """The frozen recognizer's outputs for every utterance of ``split``, computed once and
    cached in ``data/cache/``: a list of dicts with ``hidden`` (n_frames, 192) and
    ``log_probs`` (n_frames, 59) float32 arrays, ``text`` (normalized), ``words``
    ((n_words, 2) start and end seconds), ``phones`` (n_phones,) indices into
    :data:`course_lib.phones.PHONES` with their ``durations`` in frames, and
    ``words_per_minute``.
    Explained in notebook 08, section "The tiny audio-LLM"."""
    from course_lib.recognizer import load_recognizer

    split = validate.choice(split, "split", SPLITS)
    path = CACHE_DIR / f"encoded-{split.replace(' ', '-')}.npz"
    utterances = split_utterances(split)
    if not (cache and path.exists()):
        recognizer = load_recognizer()
        outputs = {}
        with limited_threads(1):
            for i, u in enumerate(tqdm(utterances, desc=f"encoding {split}")):
                hidden, log_probs = recognizer.encode(u.waveform, u.sample_rate)
                outputs[f"hidden{i}"] = hidden.astype(np.float16)
                outputs[f"log_probs{i}"] = log_probs.astype(np.float16)
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, **outputs)
    else:
        outputs = np.load(path)
    return [{"hidden": outputs[f"hidden{i}"].astype(np.float32),
             "log_probs": _renormalized(outputs[f"log_probs{i}"]),
             "text": lm.normalize(u.text),
             "words": np.array([[w.start, w.end] for w in u.words]),
             "phones": np.array([PHONES.index(p.label) for p in u.phones]),
             "durations": np.array([(p.end - p.start) * FRAMES_PER_SECOND for p in u.phones]),
             "words_per_minute": u.words_per_minute} for i, u in enumerate(utterances)]


def _renormalized(log_probs: np.ndarray) -> np.ndarray:
    """float16 log-probabilities back to float32 rows that are exact log-softmaxes."""
    log_probs = log_probs.astype(np.float32)
    peak = log_probs.max(axis=1, keepdims=True)
    return log_probs - peak - np.log(np.exp(log_probs - peak).sum(axis=1, keepdims=True))


def collate(items: list[dict]):
    """Pad a list of :func:`encoded_split` items: (hidden (batch, T, 192), mask (batch, T),
    log_probs (batch, T, 59), tokens (batch, L) <bos> text <eos> padded with 0).
    Explained in notebook 08, section "The tiny audio-LLM"."""
    hidden = nn.utils.rnn.pad_sequence([torch.from_numpy(i["hidden"]) for i in items],
                                       batch_first=True)
    log_probs = nn.utils.rnn.pad_sequence([torch.from_numpy(i["log_probs"]) for i in items],
                                          batch_first=True)
    lengths = torch.tensor([len(i["hidden"]) for i in items])
    mask = torch.arange(hidden.shape[1])[None] < lengths[:, None]
    texts = [lm.encode_text(i["text"]) for i in items]
    width = max(len(t) for t in texts)
    tokens = torch.tensor([t + [lm.PAD] * (width - len(t)) for t in texts])
    return hidden, mask, log_probs, tokens


def frame_phones(item: dict) -> np.ndarray:
    """Which phones each 20 ms frame of an utterance holds, from the corpus's phone timings:
    (n_frames, n_phones) overlap weights (:func:`course_lib.lm.smear`), rows summing to 1.
    The same smearing the LM learned to read, placed where the phones really are.
    Explained in notebook 08, section "The tiny audio-LLM"."""
    weights = lm.smear(item["durations"])
    n_frames = len(item["hidden"])
    if len(weights) < n_frames:   # the encoder may count one frame more than the phones fill
        weights = np.concatenate([weights, np.repeat(weights[-1:], n_frames - len(weights), 0)])
    return weights[:n_frames]


def phone_targets(model: "AudioLLM", items: list[dict], log_probs: torch.Tensor,
                  n_tokens: int) -> torch.Tensor:
    """The guide for a batch: for each output token, the LM's phone embeddings mixed as the
    token's frames hold them (:func:`frame_phones` through ``adapters.coverage``); for the
    Q-Former, whose queries are tied to places in the clip, not to times, the utterance's
    phones smeared evenly over the queries. Returns (batch, n_tokens, D_llm).
    Explained in notebook 08, section "The tiny audio-LLM"."""
    table = model.lm.phone_embed.weight
    targets = torch.zeros(len(items), n_tokens, table.shape[1])
    for row, item in enumerate(items):
        if model.adapter.family == "qformer":
            durations = item["durations"] * model.adapter.n_queries / item["durations"].sum()
            mix = torch.from_numpy(lm.smear(durations)).float()[:n_tokens]
        else:
            cover = adapters.coverage(model.adapter, torch.from_numpy(item["hidden"]),
                                      log_probs[row, :len(item["hidden"])].numpy())
            mix = cover @ torch.from_numpy(frame_phones(item)).float()
        targets[row, :len(mix)] = mix @ table[torch.from_numpy(item["phones"])]
    return targets


class AudioLLM(nn.Module):
    """A trainable adapter in front of a frozen :class:`course_lib.lm.CharLM`.

    ``loss(hidden, mask, log_probs, tokens)`` is the mean next-character cross-entropy of the
    transcript after the audio tokens; ``transcribe(hidden, mask, log_probs)`` decodes
    with a beam search (``beam_width=1``: greedily). Explained in notebook 08, section "The tiny audio-LLM".
    """

    def __init__(self, adapter: adapters.Adapter, language_model: lm.CharLM):
        super().__init__()
        self.adapter = adapter
        self.lm = language_model
        for parameter in self.lm.parameters():
            parameter.requires_grad_(False)

    def loss(self, hidden, mask, log_probs, tokens):
        """Cross-entropy of ``tokens[:, 1:]`` given the audio and ``tokens[:, :-1]``."""
        prefix, prefix_mask = self.adapter(hidden, mask, log_probs)
        logits = self.lm(tokens[:, :-1], prefix, prefix_mask)
        return F.cross_entropy(logits.transpose(1, 2), tokens[:, 1:], ignore_index=lm.PAD)

    @torch.no_grad()
    def transcribe(self, hidden, mask, log_probs=None, max_length: int = lm.MAX_TEXT_LENGTH,
                   beam_width: int = BEAM_WIDTH) -> list[str]:
        """Transcripts, one per batch item, by :meth:`course_lib.lm.CharLM.beam_search`.
        Explained in notebook 08."""
        prefix, prefix_mask = self.adapter(hidden, mask, log_probs)
        return self.lm.beam_search(prefix, prefix_mask, beam_width=beam_width,
                                   max_length=max_length)


def train(family: str, steps: int = 400, batch_size: int = 12, learning_rate: float = 3e-3,
          seed: int = 0, language_model: lm.CharLM | None = None, guide: float = 1.0
          ) -> tuple[AudioLLM, dict]:
    """Train one adapter of ``family`` (bake-off settings, ``adapters.DEFAULT_SETTINGS``) for
    ``steps`` batches of the training split with the LM and the encoder frozen. Every family
    gets the same batches in the same order for the same ``seed``. Returns the model and a
    record (steps, final loss, CPU seconds).

    The loss is the LM's next-character loss on the transcript plus ``guide`` times the
    squared distance (relative to the targets' size) between the adapter's tokens and
    :func:`phone_targets`: the phones the corpus's timings say each token covers, in the
    LM's own embedding space. Only the adapter moves either way; with ``guide=0`` (the LM's
    loss alone) the linear and MLP adapters were still at the LM's no-audio loss after 130
    of 250 steps (notebook 08).
    Explained in notebook 08, section "The bake-off".
    """
    family = validate.choice(family, "family", rates.ADAPTER_FAMILIES)
    steps = validate.integer(steps, "steps", minimum=1)
    batch_size = validate.integer(batch_size, "batch_size", minimum=1)
    learning_rate = validate.real(learning_rate, "learning_rate", above=0)
    seed = validate.integer(seed, "seed", minimum=0)
    guide = validate.real(guide, "guide", minimum=0)
    items = encoded_split("train")
    with limited_threads(1):
        started = time.process_time()
        torch.manual_seed(seed)
        model = AudioLLM(adapters.make_adapter(family),
                         language_model if language_model is not None else lm.load_lm())
        optimizer = torch.optim.AdamW(model.adapter.parameters(), lr=learning_rate)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate,
                                                       total_steps=steps, pct_start=0.1)
        order = np.random.default_rng(seed).permutation(np.resize(np.arange(len(items)),
                                                                  steps * batch_size))
        progress = tqdm(order.reshape(steps, batch_size), desc=f"adapter {family}", unit="batch")
        losses = []
        for batch in progress:
            chosen = [items[i] for i in batch]
            hidden, mask, log_probs, tokens = collate(chosen)
            prefix, prefix_mask = model.adapter(hidden, mask, log_probs)
            logits = model.lm(tokens[:, :-1], prefix, prefix_mask)
            loss = F.cross_entropy(logits.transpose(1, 2), tokens[:, 1:], ignore_index=lm.PAD)
            if guide > 0:
                targets = phone_targets(model, chosen, log_probs, prefix.shape[1])
                error = ((prefix - targets) ** 2).sum(-1) * prefix_mask
                scale = (targets ** 2).sum(-1).mean().clamp(min=1e-6)
                loss = loss + guide * error.sum() / prefix_mask.sum().clamp(min=1) / scale
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.adapter.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            progress.set_postfix(loss=f"{loss.item():.3f}")
        record = {"family": family, "steps": steps, "batch_size": batch_size, "guide": guide,
                  "learning_rate": learning_rate, "seed": seed,
                  "final_loss": float(np.mean(losses[-20:])),
                  "cpu_seconds": time.process_time() - started}
    return model.eval(), record


# --- saving and loading --------------------------------------------------------------------

def save(models: dict[str, AudioLLM], records: dict[str, dict], out, bake_off_rows=None
         ) -> Path:
    """Write every model's adapter (float16), its settings and training record, and the
    bake-off's rows if given, to ``out``. Explained in notebook 08, section "The bake-off"."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    families = {family: {"settings": adapters.DEFAULT_SETTINGS[family], "record": records[family],
                         "state_dict": {k: v.half() for k, v in
                                        model.adapter.state_dict().items()}}
                for family, model in models.items()}
    torch.save({"families": families, "bake_off": bake_off_rows}, out)
    return out


def load_audio_llm(family: str, path=None, language_model: lm.CharLM | None = None
                   ) -> AudioLLM:
    """The trained adapter of ``family`` in front of the frozen LM (``lm.load_lm()`` unless
    given), in eval mode: from the shipped ``data/audio_llm_adapters.pt`` (``path=None``) or
    the file :func:`main` wrote. Explained in notebook 08, section "The tiny audio-LLM"."""
    family = validate.choice(family, "family", rates.ADAPTER_FAMILIES)
    saved = _load(path)
    if family not in saved["families"]:
        raise ValueError(f"family must be one of {sorted(saved['families'])} (the adapters in "
                         f"the file), got {family!r}")
    entry = saved["families"][family]
    adapter = adapters.Adapter(family, **entry["settings"])
    adapter.load_state_dict({k: v.float() for k, v in entry["state_dict"].items()})
    model = AudioLLM(adapter, language_model if language_model is not None else lm.load_lm())
    model.record = entry["record"]
    return model.eval()


def shipped_bake_off(path=None) -> list[dict]:
    """The bake-off rows stored with the adapters (:func:`bake_off` run by :func:`main`).
    Explained in notebook 08, section "The bake-off"."""
    return _load(path)["bake_off"]


def _load(path) -> dict:
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"path must name an adapters file, got {path} (none there): run "
                         f"`python -m course_lib.audio_llm`")
    return torch.load(path, map_location="cpu", weights_only=True)


# --- measuring -----------------------------------------------------------------------------

def transcribe_items(model: AudioLLM, items: list[dict], batch_size: int = 40,
                     shuffle_audio: bool = False, beam_width: int = BEAM_WIDTH) -> list[str]:
    """Transcripts of :func:`encoded_split` items, in their order, decoded with
    ``beam_width`` beams (1: greedily). With
    ``shuffle_audio`` item i hears item i + 1's audio (the last hears the first): the LM's
    prior with audio that says something else.
    Explained in notebook 08, section "The bake-off"."""
    shuffle_audio = validate.boolean(shuffle_audio, "shuffle_audio")
    audio = items[1:] + items[:1] if shuffle_audio else items
    order = np.argsort([len(i["hidden"]) for i in audio])
    out = [""] * len(items)
    with limited_threads(1):
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            hidden, mask, log_probs, _ = collate([audio[i] for i in chosen])
            texts = model.transcribe(hidden, mask, log_probs,
                                     max_length=_length_cap([items[i] for i in chosen]),
                                     beam_width=beam_width)
            for i, text in zip(chosen, texts):
                out[i] = text
    return out


def transcribe_true_phones(language_model: lm.CharLM, items: list[dict],
                           time_scale: float = 1.0, batch_size: int = 40,
                           beam_width: int = BEAM_WIDTH) -> list[str]:
    """The LM's transcripts (``beam_width`` beams; 1: greedy) when its prefix is the
    utterances' *true* phones, smeared
    over their true durations times ``time_scale`` (1: the encoder's 50 frames/s; 1/4 about
    one vector per phone; 1/8 a stack of 8): what a perfect adapter would hand it, so the
    ceiling of every adapter in front of this LM.
    Explained in notebook 08, section "A tiny text LM"."""
    time_scale = validate.real(time_scale, "time_scale", above=0)
    table = language_model.phone_embed.weight
    out = []
    with torch.no_grad(), limited_threads(1):
        for start in range(0, len(items), batch_size):
            chosen = items[start:start + batch_size]
            rows = [torch.from_numpy(lm.smear(i["durations"] * time_scale)).float()
                    @ table[torch.from_numpy(i["phones"])] for i in chosen]
            prefix = nn.utils.rnn.pad_sequence(rows, batch_first=True)
            mask = torch.arange(prefix.shape[1])[None] < torch.tensor([len(r) for r in rows])[:, None]
            out += language_model.beam_search(prefix, mask, beam_width=beam_width,
                                              max_length=_length_cap(chosen))
    return out


def _length_cap(items: list[dict]) -> int:
    """The most tokens a batch's transcripts may take: 20 more than its longest reference,
    so that a reading that loops stops there."""
    return min(lm.MAX_TEXT_LENGTH, max(len(i["text"]) for i in items) + 20)


def onset_targets(items: list[dict], bin_s: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """The timing task's answers: for each 0.1 s bin of each utterance, whether a word starts
    in it. Returns (targets (batch, n_bins) float, bin_mask (batch, n_bins) bool).
    Explained in notebook 08, section "The bake-off"."""
    n_bins = [int(np.ceil(len(i["hidden"]) / FRAMES_PER_SECOND / bin_s)) for i in items]
    targets = torch.zeros(len(items), max(n_bins))
    for row, item in enumerate(items):
        starts = np.minimum((item["words"][:, 0] / bin_s).astype(int), n_bins[row] - 1)
        targets[row, starts] = 1.0
    return targets, torch.arange(max(n_bins))[None] < torch.tensor(n_bins)[:, None]


class OnsetProbe(nn.Module):
    """The timing probe: one learned query per 0.1 s bin cross-attends to the adapter's tokens
    (with an embedding of each token's index, all a token-order LM knows of position) and says
    whether a word starts in that bin. Explained in notebook 08, section "The bake-off"."""

    def __init__(self, d_llm: int = adapters.D_LLM, dim: int = 64, max_bins: int = 160):
        super().__init__()
        self.tokens_in = nn.Linear(d_llm, dim)
        self.token_index = nn.Embedding(lm.MAX_PREFIX_LENGTH, dim)
        self.bins = nn.Embedding(max_bins, dim)
        self.attention = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.out = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, 1))

    def forward(self, tokens, token_mask, n_bins: int):
        keys = self.tokens_in(tokens) + self.token_index(torch.arange(tokens.shape[1]))
        queries = self.bins(torch.arange(n_bins)).expand(len(tokens), -1, -1)
        attended = self.attention(queries, keys, keys, key_padding_mask=~token_mask)[0]
        return self.out(attended + queries)[..., 0]


def _adapter_tokens(model: AudioLLM, items: list[dict], batch_size: int = 64):
    with torch.no_grad():
        for start in range(0, len(items), batch_size):
            batch = items[start:start + batch_size]
            hidden, mask, log_probs, _ = collate(batch)
            tokens, token_mask = model.adapter(hidden, mask, log_probs)
            yield batch, tokens, token_mask


def onset_f1(model: AudioLLM, train_items: list[dict], test_items: list[dict],
             steps: int = 200, seed: int = 0) -> float:
    """Train an :class:`OnsetProbe` on the frozen adapter's tokens of ``train_items`` for
    ``steps`` batches of 32, then return its F1 at finding the 0.1 s bins where a word starts
    in ``test_items``. Explained in notebook 08, section "The bake-off"."""
    with limited_threads(1):
        torch.manual_seed(seed)
        probe = OnsetProbe()
        optimizer = torch.optim.Adam(probe.parameters(), lr=3e-3)
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            chosen = [train_items[i] for i in rng.choice(len(train_items), 32, replace=False)]
            (batch, tokens, token_mask), = _adapter_tokens(model, chosen, 32)
            targets, bin_mask = onset_targets(batch)
            logits = probe(tokens, token_mask, targets.shape[1])
            loss = F.binary_cross_entropy_with_logits(logits[bin_mask], targets[bin_mask])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        hits = predicted = actual = 0
        with torch.no_grad():
            for batch, tokens, token_mask in _adapter_tokens(model, test_items):
                targets, bin_mask = onset_targets(batch)
                guess = (probe(tokens, token_mask, targets.shape[1]) > 0) & bin_mask
                truth = targets.bool() & bin_mask
                hits += int((guess & truth).sum())
                predicted += int(guess.sum())
                actual += int(truth.sum())
    return 2 * hits / max(1, predicted + actual)


def bake_off_row(family: str, model: AudioLLM, sets: dict[str, list[dict]],
                 train_items: list[dict]) -> dict:
    """One adapter's measurements on the unseen ``sets`` (name -> :func:`encoded_split`
    items): tokens per second into the LM, attention pairs for 10 s (plus the essay's 40 text
    tokens), character and word error per set, with shuffled audio, on fast (>= 220 wpm) and
    slow (<= 120 wpm) speech of all sets together, and the onset probe's F1.
    Explained in notebook 08, section "The bake-off"."""
    everything = [item for items in sets.values() for item in items]
    n_tokens = [int(mask.sum()) for _, _, masks in _adapter_tokens(model, everything)
                for mask in masks]
    seconds = [len(i["hidden"]) / FRAMES_PER_SECOND for i in everything]
    tokens_per_second = float(np.sum(n_tokens) / np.sum(seconds))
    ten_seconds = (model.adapter.n_tokens(10 * FRAMES_PER_SECOND)
                   if family != "ctc_merge" else round(10 * tokens_per_second))
    row = {"family": family, "tokens_per_second": tokens_per_second,
           "tokens_10s": ten_seconds, "attention_pairs_10s": rates.attention_pairs(
               ten_seconds, 40)}
    transcripts = {}
    for name, items in sets.items():
        hypotheses = transcribe_items(model, items)
        transcripts[name] = hypotheses
        references = [i["text"] for i in items]
        row[f"cer {name}"] = metrics.character_error_rate(references, hypotheses)
        row[f"wer {name}"] = metrics.word_error_rate(references, hypotheses)
        row[f"cer shuffled {name}"] = metrics.character_error_rate(
            references, transcribe_items(model, items, shuffle_audio=True))
    hypotheses = [h for name in sets for h in transcripts[name]]
    for label, keep in (("fast", lambda i: i["words_per_minute"] >= FAST_WPM),
                        ("slow", lambda i: i["words_per_minute"] <= SLOW_WPM)):
        chosen = [n for n, item in enumerate(everything) if keep(item)]
        row[f"n {label}"] = len(chosen)
        row[f"cer {label}"] = metrics.character_error_rate(
            [everything[n]["text"] for n in chosen], [hypotheses[n] for n in chosen])
    row["onset f1"] = onset_f1(model, train_items, everything)
    row["examples"] = {name: transcripts[name][:3] for name in sets}
    return row


def bake_off(models: dict[str, AudioLLM]) -> list[dict]:
    """:func:`bake_off_row` for every model on the test split and the held-out sentences.
    Explained in notebook 08, section "The bake-off"."""
    sets = {name: encoded_split(name) for name in ("test split", "held-out sentences")}
    train_items = encoded_split("train")
    return [bake_off_row(family, model, sets, train_items)
            for family, model in tqdm(models.items(), desc="bake-off")]


def merge(paths, out) -> Path:
    """Join adapter files written by separate runs of :func:`main` (``--families``) into one
    file at ``out``, with their bake-off rows in the order of ``rates.ADAPTER_FAMILIES``.
    Explained in notebook 08, section "The bake-off"."""
    families, rows = {}, []
    for path in paths:
        saved = _load(path)
        families.update(saved["families"])
        rows += saved["bake_off"] or []
    order = list(rates.ADAPTER_FAMILIES)
    rows.sort(key=lambda row: order.index(row["family"]))
    out = Path(out)
    torch.save({"families": {f: families[f] for f in order if f in families},
                "bake_off": rows}, out)
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: train the ``--families`` (all by default; same steps, data and seed),
    run the bake-off on them and write ``--out`` (by default ``data/audio_llm_adapters.pt``);
    ``--merge A B`` joins files of separate runs into ``--out`` instead.
    Explained in notebook 08, section "The bake-off"."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--families", nargs="*", default=list(rates.ADAPTER_FAMILIES))
    parser.add_argument("--merge", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    if args.merge:
        merge(args.merge, args.out)
        return
    language_model = lm.load_lm()
    models, records = {}, {}
    for family in args.families:
        models[family], records[family] = train(family, args.steps,
                                                language_model=language_model)
        print(family, records[family], flush=True)
    started = time.process_time()
    rows = bake_off(models)
    print(f"bake-off: {(time.process_time() - started) / 60:.1f} min of CPU time")
    for row in rows:
        print({k: v for k, v in row.items() if k != "examples"}, flush=True)
    save(models, records, args.out, rows)


if __name__ == "__main__":
    main()
