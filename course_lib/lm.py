"""A tiny causal character LM: the frozen "LLM" of the course's audio-LLM.

A 3-layer pre-norm transformer (d = 128, 4 heads) reads lower-case characters (26 letters,
space, apostrophe) and predicts the next one. Characters, not words, so that any held-out word
can be written. It is trained once, on text only, and then frozen: notebook 08 trains adapters
that put audio in front of it, as Ultravox or Qwen-Audio put audio in front of a frozen text LLM.

A big text LLM arrives able to read its context: it copies names, follows quotes, and has read
enough about pronunciation (rhymes, dictionaries, IPA) to connect sounds with spellings. A
3-layer model trained only on next-character prediction has none of that: it never learns to
look at a prompt, and no adapter can then steer it. So three quarters of its training sequences
carry a *smeared pronunciation* prefix: the phones eSpeak NG's front end makes of the sentence,
with their durations and pauses (:func:`spoken_phones`), stretched or squeezed in time by a
random factor, each phone's embedding held for its frames and neighbouring phones mixed where a
frame straddles them (:func:`smear`). The LM learns to write the sentence after it: reading
sounds and spelling them. That task is text only (a synthesizer's front end turns text into
phones and durations, as a pronouncing dictionary would); audio never reaches the LM's
training. Phones have their own embedding table
(``phone_embed``), 59 rows for :data:`course_lib.phones.PHONES`, silence included; they are
read, never written. The prefix enters through the LM's own input (``prefix`` of
:meth:`CharLM.forward`), with its own positions.

Layout of one sequence (prefix optional)::

    [p_0 p_1 ... p_{T'-1}] <bos> t h e _ c a t <eos>
     prefix positions        text positions 0, 1, 2, ...

    a smeared pronunciation of "the cat" at 2 frames per phone (one column per frame):
    sil sil ð ð ə ə k k æ æ t t sil sil   (in training, durations vary phone by phone, and a
                                            frame between two phones mixes their embeddings)

Train: ``python -m course_lib.lm`` (about an hour of CPU time; ``data/README.md``).
Explained in notebook 08, section "A tiny text LM".
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from course_lib import phones, validate
from course_lib.data import CACHE_DIR, TRAINING_CORPORA, WEIGHTS_DIR, build_corpus
from course_lib.text import english_words, training_sentences
from course_lib.threads import limited_threads

PAD, BOS, EOS = 0, 1, 2
CHARACTERS = " '" + "abcdefghijklmnopqrstuvwxyz"
VOCABULARY = ("<pad>", "<bos>", "<eos>") + tuple(CHARACTERS)
MAX_TEXT_LENGTH = 160      # characters per sentence, <bos> and <eos> included
MAX_PREFIX_LENGTH = 512    # prefix vectors (audio tokens) the LM has positions for
WEIGHTS_PATH = WEIGHTS_DIR / "tiny_lm.pt"
FRAMES_PER_SECOND = 50  # the encoder's rate: durations are counted in its frames
N_GENERATED_SENTENCES = 20000  # wide text from course_lib.text, besides the training split's
N_WORD_LIST_PASSES = 3         # times the LM reads every word of the packaged word list
WORDS_PER_LINE = 8


def normalize(text: str) -> str:
    """The LM's spelling of a sentence: lower case, letters, apostrophes and single spaces;
    punctuation dropped. "Hello, World!" -> "hello world".
    Explained in notebook 08, section "A tiny text LM"."""
    text = validate.text(text, "text", non_empty=False).lower()
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split())


def encode_text(text: str) -> list[int]:
    """``normalize(text)`` as token indices between <bos> and <eos>.
    Explained in notebook 08, section "A tiny text LM"."""
    return [BOS] + [VOCABULARY.index(c) for c in normalize(text)] + [EOS]


def decode_text(indices) -> str:
    """Token indices -> text, stopping at the first <eos> and skipping <bos> and padding.
    Explained in notebook 08, section "A tiny text LM"."""
    out = []
    for index in validate.label_indices(indices, "indices", n_labels=len(VOCABULARY)):
        if index == EOS:
            break
        if index > EOS:
            out.append(VOCABULARY[index])
    return "".join(out)


class CharLM(nn.Module):
    """Pre-norm causal transformer over characters, with an optional vector prefix.

    ``forward(tokens (batch, L) int64, prefix (batch, T', d_model) or None, prefix_mask
    (batch, T') bool or None)`` -> logits (batch, L, vocabulary) for the text positions only.
    Padding tokens (index 0) and masked prefix vectors are never attended to.
    Explained in notebook 08, section "A tiny text LM".
    """

    def __init__(self, d_model: int = 128, n_layers: int = 3, n_heads: int = 4):
        super().__init__()
        self.config = {"d_model": d_model, "n_layers": n_layers, "n_heads": n_heads}
        self.d_model = d_model
        self.embed = nn.Embedding(len(VOCABULARY), d_model)
        self.phone_embed = nn.Embedding(len(phones.PHONES), d_model)
        self.text_positions = nn.Embedding(MAX_TEXT_LENGTH, d_model)
        self.prefix_positions = nn.Embedding(MAX_PREFIX_LENGTH, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        for table in (self.embed, self.phone_embed, self.text_positions,
                      self.prefix_positions):
            nn.init.normal_(table.weight, std=0.02)   # tied output: keep the first logits small

    def forward(self, tokens: torch.Tensor, prefix: torch.Tensor | None = None,
                prefix_mask: torch.Tensor | None = None) -> torch.Tensor:
        batch, length = tokens.shape
        if length > MAX_TEXT_LENGTH:
            raise ValueError(f"tokens must have at most {MAX_TEXT_LENGTH} positions, got {length}")
        device = tokens.device
        x, keep = self._inputs(tokens, prefix, prefix_mask)
        n_prefix = 0 if prefix is None else prefix.shape[1]
        total = n_prefix + length
        causal = torch.ones(total, total, dtype=torch.bool, device=device).tril()
        allowed = causal[None] & keep[:, None, :]
        allowed |= torch.eye(total, dtype=torch.bool, device=device)[None]   # padding rows see themselves
        heads = self.layers.layers[0].self_attn.num_heads
        mask = (~allowed).repeat_interleave(heads, dim=0)
        hidden = self.layers(x, mask=torch.zeros_like(mask, dtype=x.dtype).masked_fill(
            mask, float("-inf")))
        return self.norm(hidden[:, n_prefix:]) @ self.embed.weight.T

    def _inputs(self, tokens, prefix, prefix_mask):
        """The embedded sequence [prefix + its positions, tokens + theirs] (batch, T' + L, d)
        and which of its positions may be attended to (batch, T' + L) bool."""
        batch, length = tokens.shape
        device = tokens.device
        x = self.embed(tokens) + self.text_positions(torch.arange(length, device=device))
        keep = tokens != PAD
        if prefix is None:
            return x, keep
        n_prefix = prefix.shape[1]
        if n_prefix > MAX_PREFIX_LENGTH:
            raise ValueError(f"prefix must have at most {MAX_PREFIX_LENGTH} vectors, got "
                             f"{n_prefix}")
        if prefix_mask is None:
            prefix_mask = torch.ones(batch, n_prefix, dtype=torch.bool, device=device)
        x = torch.cat([prefix + self.prefix_positions(torch.arange(n_prefix, device=device)), x],
                      dim=1)
        return x, torch.cat([prefix_mask, keep], dim=1)

    @torch.no_grad()
    def generate(self, prefix: torch.Tensor | None = None, prefix_mask=None, *,
                 n_sequences: int = 1, max_length: int = MAX_TEXT_LENGTH) -> list[str]:
        """Greedy decoding after the prefix (or from <bos> alone), one string per sequence.

        Keeps each layer's keys and values (a KV cache), so each new character costs one
        position, not the whole sequence again; :meth:`forward` gives the same logits.
        Explained in notebook 08, section "The tiny audio-LLM"."""
        batch = prefix.shape[0] if prefix is not None else n_sequences
        device = self.embed.weight.device
        tokens = torch.full((batch, 1), BOS, device=device)
        x, keep = self._inputs(tokens, prefix, prefix_mask)
        cache = [None] * len(self.layers.layers)
        logits = self._cached_step(x, keep, cache, first=True)
        done = torch.zeros(batch, dtype=torch.bool, device=device)
        while True:
            following = torch.where(done, torch.full((batch,), PAD, device=device), logits.argmax(-1))
            tokens = torch.cat([tokens, following[:, None]], dim=1)
            done |= following == EOS
            if tokens.shape[1] >= max_length or bool(done.all()):
                break
            position = torch.tensor([tokens.shape[1] - 1], device=device)
            x = (self.embed(following) + self.text_positions(position))[:, None]
            keep = torch.cat([keep, torch.ones(batch, 1, dtype=torch.bool, device=device)], dim=1)
            logits = self._cached_step(x, keep, cache, first=False)
        return [decode_text(row) for row in tokens[:, 1:].tolist()]

    @torch.no_grad()
    def beam_search(self, prefix: torch.Tensor | None = None, prefix_mask=None, *,
                    beam_width: int = 5, n_sequences: int = 1,
                    max_length: int = MAX_TEXT_LENGTH) -> list[str]:
        """Beam search after the prefix (or from <bos> alone), one string per sequence.

        Each item keeps its ``beam_width`` most probable unfinished texts. At every step each
        of them is extended by every character and the extensions are ranked: going down the
        ranking, a text that takes <eos> is set aside as finished, the others go on, until
        ``beam_width`` go on. An item stops once it has
        ``beam_width`` finished texts (or at ``max_length`` tokens, when its unfinished texts
        count as finished), and returns the one with the highest log-probability per token
        (its characters and <eos>): Whisper's default decoding, with 5 beams. Greedy decoding
        (:meth:`generate`) follows one path and cannot take back a character; the beams can.
        ``beam_width=1`` gives :meth:`generate`'s text. Uses the KV cache, reordered as beams
        swap places. Explained in notebook 08, section "The tiny audio-LLM"."""
        width = validate.integer(beam_width, "beam_width", minimum=1)
        max_length = validate.integer(max_length, "max_length", minimum=2)   # <bos> + one token
        batch = prefix.shape[0] if prefix is not None else n_sequences
        device = self.embed.weight.device
        x, keep = self._inputs(torch.full((batch, 1), BOS, device=device), prefix, prefix_mask)
        cache = [None] * len(self.layers.layers)
        logits = self._cached_step(x, keep, cache, first=True).repeat_interleave(width, 0)
        cache = [(k.repeat_interleave(width, 0), v.repeat_interleave(width, 0)) for k, v in cache]
        shared = keep.shape[1]   # the prefix and <bos>: the same keys and values in every beam
        keep = keep.repeat_interleave(width, 0)
        scores = torch.full((batch, width), -math.inf, device=device)
        scores[:, 0] = 0.0                       # one live beam per item at the start
        texts = [[[] for _ in range(width)] for _ in range(batch)]
        finished = [[] for _ in range(batch)]    # (log-probability per token, text) per item
        for length in range(1, max_length):
            log_probs = F.log_softmax(logits, dim=-1)
            log_probs[:, :EOS] = -math.inf       # never <pad> or <bos>
            n_tokens = log_probs.shape[1]
            totals = (scores.reshape(-1, 1) + log_probs).reshape(batch, width * n_tokens)
            best_totals, best = totals.topk(min(2 * width, width * n_tokens), dim=1)
            scores = torch.full((batch, width), -math.inf, device=device)
            sources = torch.arange(batch * width, device=device).reshape(batch, width)
            following = torch.full((batch, width), EOS, device=device)
            new_texts = [[[] for _ in range(width)] for _ in range(batch)]
            for item in range(batch):
                n_kept = 0
                for total, flat in zip(best_totals[item].tolist(), best[item].tolist()):
                    if total == -math.inf or n_kept == width or len(finished[item]) >= width:
                        break
                    beam, token = divmod(flat, n_tokens)
                    if token == EOS:
                        finished[item].append((total / length, texts[item][beam]))
                    else:
                        scores[item, n_kept] = total
                        sources[item, n_kept] = item * width + beam
                        following[item, n_kept] = token
                        new_texts[item][n_kept] = texts[item][beam] + [token]
                        n_kept += 1
            texts = new_texts
            if all(len(f) >= width for f in finished) or length == max_length - 1:
                break
            order, filled = sources.reshape(-1), keep.shape[1]
            for keys, values in cache:   # each beam takes over its source's text positions
                keys[:, :, shared:filled] = keys[order, :, shared:filled]
                values[:, :, shared:filled] = values[order, :, shared:filled]
            position = torch.tensor([length], device=device)
            x = (self.embed(following.reshape(-1)) + self.text_positions(position))[:, None]
            keep = torch.cat([keep, torch.ones(batch * width, 1, dtype=torch.bool,
                                               device=device)], dim=1)
            logits = self._cached_step(x, keep, cache, first=False)
        out = []
        for item in range(batch):
            unfinished = [(float(scores[item, beam]) / length, texts[item][beam])
                          for beam in range(width) if scores[item, beam] > -math.inf]
            candidates = finished[item] + unfinished[:width - len(finished[item])]
            out.append(decode_text(max(candidates, key=lambda pair: pair[0])[1]))
        return out

    @torch.no_grad()
    def stream(self, prompt: str, max_length: int = MAX_TEXT_LENGTH):
        """Greedy continuation of the text ``prompt``, one character at a time: a generator
        that yields each new character as soon as it is chosen and stops at <eos> (or when the
        sequence reaches ``max_length`` tokens). Uses the KV cache, as :meth:`generate` does.
        Explained in notebook 09, section "The cascade"."""
        tokens = torch.tensor([encode_text(prompt)[:-1]])          # <bos> + prompt, no <eos>
        if tokens.shape[1] >= max_length:
            raise ValueError(f"prompt must be shorter than {max_length - 1} characters, got "
                             f"{tokens.shape[1] - 1}")
        x, keep = self._inputs(tokens, None, None)
        cache = [None] * len(self.layers.layers)
        logits = self._cached_step(x, keep, cache, first=True)
        for position in range(tokens.shape[1], max_length):
            chosen = int(logits[0].argmax())
            if chosen == EOS:
                return
            yield decode_text([chosen])
            x = (self.embed.weight[chosen] + self.text_positions.weight[position])[None, None]
            keep = torch.cat([keep, torch.ones(1, 1, dtype=torch.bool)], dim=1)
            logits = self._cached_step(x, keep, cache, first=False)

    def _cached_step(self, x, keep, cache, first: bool) -> torch.Tensor:
        """Run new positions ``x`` (batch, n_new, d) through every layer, attending to the
        cached keys and values plus their own (causally); returns the last position's logits."""
        n_new = x.shape[1]
        total = keep.shape[1]
        allowed = keep[:, None, :].expand(-1, n_new, -1).clone()
        if first:
            allowed &= torch.ones(n_new, n_new, dtype=torch.bool, device=x.device).tril()[None]
            allowed |= torch.eye(n_new, dtype=torch.bool, device=x.device)[None]
        for index, layer in enumerate(self.layers.layers):
            attention = layer.self_attn
            heads, dim = attention.num_heads, x.shape[2]
            q, k, v = F.linear(layer.norm1(x), attention.in_proj_weight,
                               attention.in_proj_bias).chunk(3, dim=-1)
            q, k, v = (t.reshape(len(x), n_new, heads, dim // heads).transpose(1, 2)
                       for t in (q, k, v))
            if cache[index] is None:   # room for every text position the LM has
                room = (len(x), heads, total + MAX_TEXT_LENGTH, dim // heads)
                cache[index] = (x.new_zeros(room), x.new_zeros(room))
            keys, values = cache[index]
            keys[:, :, total - n_new:total] = k
            values[:, :, total - n_new:total] = v
            mixed = F.scaled_dot_product_attention(q, keys[:, :, :total], values[:, :, :total],
                                                   attn_mask=allowed[:, None])
            x = x + attention.out_proj(mixed.transpose(1, 2).reshape(len(x), n_new, dim))
            x = x + layer.linear2(layer.activation(layer.linear1(layer.norm2(x))))
        return self.norm(x[:, -1]) @ self.embed.weight.T


def smear(durations) -> np.ndarray:
    """Overlap weights that lay units of the given durations (in frames, any positive reals)
    end to end on a time line cut into frames.

    Frame j covers [j, j + 1); its weight on unit i is the share of the frame the unit fills.
    A unit longer than a frame repeats over several frames (a phone at 50 frames/s); units
    shorter than a frame share one (a pooled or stacked adapter). Returns (n_frames, n_units),
    n_frames = ceil(sum of durations), rows summing to 1; ``weights @ embeddings`` is a prefix.
    The same function places the true phones of an utterance on its frames
    (``audio_llm.frame_phones``). Explained in notebook 08, section "A tiny text LM".
    """
    durations = np.asarray(durations, dtype=float)
    if durations.ndim != 1 or len(durations) == 0 or not np.all(durations > 0):
        raise ValueError(f"durations must be a non-empty 1-D sequence of positive frame counts, "
                         f"got {durations!r}")
    edges = np.concatenate([[0.0], np.cumsum(durations)])
    n_frames = max(1, math.ceil(edges[-1] - 1e-9))
    frame_start = np.arange(n_frames)[:, None]
    overlap = (np.minimum(frame_start + 1, edges[None, 1:]) -
               np.maximum(frame_start, edges[None, :-1])).clip(min=0)
    return overlap / overlap.sum(axis=1, keepdims=True).clip(min=1e-12)


def spoken_phones(sentences, cache: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """How eSpeak NG says each sentence (:func:`course_lib.synth.synthesize`, its default voice
    and rate): for each, the phone indices into :data:`course_lib.phones.PHONES` and their
    durations in 20 ms frames, pauses included. The LM reads these smeared, never the audio:
    a speech synthesizer's front end turns text into exactly this (phones, durations), so it
    is text processing. Computed once (about 17 ms a sentence) and cached in ``data/cache/``.
    Explained in notebook 08, section "A tiny text LM"."""
    from course_lib.synth import synthesize

    sentences = list(sentences)
    key = hashlib.sha1("\n".join(sentences).encode()).hexdigest()[:12]
    path = CACHE_DIR / f"spoken-phones-{key}.npz"
    if cache and path.exists():
        saved = np.load(path)
        return [(saved[f"phones{i}"], saved[f"durations{i}"]) for i in range(len(sentences))]
    spoken = []
    for sentence in tqdm(sentences, desc="phones of the LM's text", unit="sentence"):
        said = synthesize(sentence).phones
        spoken.append((np.array([phones.PHONES.index(p.label) for p in said]),
                       np.array([(p.end - p.start) * FRAMES_PER_SECOND for p in said])))
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{f"{name}{i}": array for i, pair in enumerate(spoken)
                          for name, array in zip(("phones", "durations"), pair)})
    return spoken


def word_list_lines(n_passes: int = N_WORD_LIST_PASSES, seed: int = 7) -> list[str]:
    """The packaged 20,000-word list (:func:`course_lib.text.english_words`) read
    ``n_passes`` times, each pass shuffled and cut into lines of :data:`WORDS_PER_LINE`
    words: every word, the held-out sentences' words included, spelled in the LM's text a few
    times. A text LLM has read every common English word; the held-out *sentences* stay unseen.
    Explained in notebook 08, section "A tiny text LM"."""
    n_passes = validate.integer(n_passes, "n_passes", minimum=1)
    rng = np.random.default_rng(seed)
    words = np.array(english_words())
    lines = []
    for _ in range(n_passes):
        shuffled = rng.permutation(words)
        lines += [" ".join(shuffled[i:i + WORDS_PER_LINE])
                  for i in range(0, len(shuffled), WORDS_PER_LINE)]
    return lines


def training_text() -> list[str]:
    """The LM's training text, normalized: the recognizer corpus's training-split sentences,
    :data:`N_GENERATED_SENTENCES` generated sentences (``text.training_sentences``, seed 7)
    and the :func:`word_list_lines`. No held-out sentence is in it; the held-out sentences'
    words are, in the word list's lines only.
    Explained in notebook 08, section "A tiny text LM"."""
    corpus = build_corpus(**TRAINING_CORPORA["recognizer"])
    sentences = ([u.text for u in corpus.train] + training_sentences(N_GENERATED_SENTENCES, seed=7)
                 + word_list_lines())
    return [s for s in (normalize(s) for s in sentences)
            if 0 < len(s) <= MAX_TEXT_LENGTH - 2]


def perplexity(model: CharLM, sentences) -> float:
    """Per-character perplexity (exp of the mean negative log-likelihood over every character
    and the final <eos>) of ``sentences`` with no prefix.
    Explained in notebook 08, section "A tiny text LM"."""
    sentences = validate.labels(sentences, "sentences", min_length=1)
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(sentences), 64):
            tokens = _pad([encode_text(s) for s in sentences[start:start + 64]])
            logits = model(tokens[:, :-1])
            targets = tokens[:, 1:]
            loss = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD,
                                   reduction="sum")
            total += float(loss)
            count += int((targets != PAD).sum())
    return math.exp(total / count)


def _pad(sequences: list[list[int]]) -> torch.Tensor:
    length = max(len(s) for s in sequences)
    return torch.tensor([s + [PAD] * (length - len(s)) for s in sequences])


TIME_SCALES = (1 / 16, 2.0)
"""The range of factors the prefix task stretches eSpeak's phone durations by: 1/16 is about
what a 17-frame window Q-Former makes of fast speech (a quarter frame per phone), 2 is slow
speech read at 50 frames/s (8 frames per phone)."""


def _smeared_batch(model: CharLM, spoken: list[tuple[np.ndarray, np.ndarray]],
                   rng: np.random.Generator, progress: float = 1.0):
    """Prefixes (batch, T', d) and their mask for a batch of :func:`spoken_phones` items:
    each sentence's phones smeared (:func:`smear`) over its durations times a random factor
    shared by the batch (so that no row is padded to another's far longer prefix), every
    phone jittered by up to 30%, plus noise at a tenth of the embeddings' scale. A
    curriculum: at ``progress`` 0 the factor is 1/4 (about a frame per phone) and there is no
    jitter; by ``progress`` 0.5 factors spread log-uniformly over :data:`TIME_SCALES`, and
    stay so."""
    spread = min(1.0, 2 * progress)
    centre = np.log(0.25)
    low, high = (centre + spread * (np.log(bound) - centre) for bound in TIME_SCALES)
    table = model.phone_embed.weight
    scale = float(np.exp(rng.uniform(low, high)))
    rows, lengths = [], []
    for indices, durations in spoken:
        jitter = rng.uniform(1 - 0.3 * spread, 1 + 0.3 * spread, len(durations))
        weights = torch.from_numpy(smear(durations * scale * jitter)[:MAX_PREFIX_LENGTH]).float()
        embedded = weights.to(table.device) @ table[torch.from_numpy(indices).to(table.device)]
        rows.append(embedded + 0.1 * embedded.detach().std() * torch.randn_like(embedded))
        lengths.append(len(weights))
    prefix = nn.utils.rnn.pad_sequence(rows, batch_first=True)
    mask = torch.arange(prefix.shape[1])[None] < torch.tensor(lengths)[:, None]
    return prefix, mask.to(prefix.device)


def load_lm(path: str | Path | None = None) -> CharLM:
    """The trained LM in eval mode with its parameters frozen (``requires_grad`` False): the
    shipped ``data/tiny_lm.pt`` (``path=None``) or the file :func:`train` wrote.
    Explained in notebook 08, section "A tiny text LM"."""
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"path must name a tiny LM weights file, got {path} (none there): run "
                         f"`python -m course_lib.lm`")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = CharLM(**saved["config"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    model.record = saved["record"]
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval()


def train(steps: int = 4000, batch_size: int = 48, learning_rate: float = 3e-3,
          seed: int = 0, *, out: str | Path) -> CharLM:
    """Train the LM on :func:`training_text` for ``steps`` batches: every row is a next-
    character target, three quarters of them after a smeared pronunciation of themselves
    (:func:`_smeared_batch`, rates widening over the first half of training). Writes
    float16 weights and a training record to ``out`` (required) and returns :func:`load_lm`
    of it. One thread; shows a progress bar.
    Explained in notebook 08, section "A tiny text LM".
    """
    steps = validate.integer(steps, "steps", minimum=1)
    batch_size = validate.integer(batch_size, "batch_size", minimum=2)
    learning_rate = validate.real(learning_rate, "learning_rate", above=0)
    seed = validate.integer(seed, "seed", minimum=0)
    out = Path(out)
    with limited_threads(1):
        started = time.process_time()
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        sentences = training_text()
        spoken = spoken_phones(sentences)
        model = CharLM()
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, learning_rate, total_steps=steps,
                                                       pct_start=0.1)
        progress = tqdm(range(steps), desc="tiny LM", unit="batch")
        n_plain = batch_size // 4
        for step in progress:
            chosen = rng.choice(len(sentences), batch_size, replace=False)
            tokens = _pad([encode_text(sentences[i]) for i in chosen])
            plain = model(tokens[:n_plain, :-1])
            prefix, mask = _smeared_batch(model, [spoken[i] for i in chosen[n_plain:]], rng,
                                          step / steps)
            prompted = model(tokens[n_plain:, :-1], prefix, mask)
            plain_loss = F.cross_entropy(plain.transpose(1, 2), tokens[:n_plain, 1:],
                                         ignore_index=PAD)
            prompted_loss = F.cross_entropy(prompted.transpose(1, 2), tokens[n_plain:, 1:],
                                            ignore_index=PAD)
            loss = (plain_loss + 3 * prompted_loss) / 4
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            progress.set_postfix(plain=f"{plain_loss.item():.3f}",
                                 prompted=f"{prompted_loss.item():.3f}")
        record = {"steps": steps, "batch_size": batch_size, "learning_rate": learning_rate,
                  "seed": seed, "n_sentences": len(sentences),
                  "cpu_seconds": time.process_time() - started}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.config, "record": record,
                "state_dict": {k: v.half() for k, v in model.state_dict().items()}}, out)
    return load_lm(out)


def main(argv: list[str] | None = None) -> None:
    """Command line: train (``--out``, by default ``data/tiny_lm.pt``) and print the
    perplexity on the held-out sentences. Explained in notebook 08, section "A tiny text LM"."""
    from course_lib.text import held_out_sentences

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    model = train(args.steps, out=args.out)
    print(f"trained in {model.record['cpu_seconds'] / 60:.1f} min of CPU time; wrote {args.out}")
    held_out = [normalize(s) for s in held_out_sentences()]
    print(f"per-character perplexity on the held-out sentences: {perplexity(model, held_out):.2f}")


if __name__ == "__main__":
    main()
