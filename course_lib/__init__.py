"""Companion library of the course "How language models handle audio".

Notebooks derive each mechanism step by step; this package keeps the tested version that later
notebooks import. One module per concept, in course order:

* ``synth``      -- speech from text with eSpeak NG, with the exact phone alignment (notebook 00)
* ``text``       -- the corpus's text: a 20,000-word English list, generated training sentences,
                    hand-written held-out sentences (notebooks 00, 03)
* ``data``       -- a deterministic synthesized corpus with a train/test split, held-out sentences
                    and voices, two human recordings; your own audio
* ``rates``      -- the rate mismatch as token counts per strategy (notebook 00), and the
                    sequential steps of each codebook serialization (notebook 10)
* ``phones``     -- the one phone inventory, silence label, CTC labels and phone classes
* ``features``   -- every spectrogram (NumPy, and torch for the models), the sample rate and
                    the one frame-time rule; the MFCC pipeline, step by step (notebook 01)
* ``augment``    -- noise at a given SNR, synthetic rooms (reverb), speed perturbation and
                    SpecAugment: what an encoder must learn to ignore (notebook 01)
* ``hmm``        -- HMM forward, backward, posteriors and Viterbi in log space (notebook 02)
* ``aligner``    -- phone HMMs trained on MFCCs, and forced alignment (notebook 02)
* ``ctc``        -- CTC in log space: loss, gradient, alignment, decoding, merging (notebook 03)
* ``recognizer`` -- a small CTC phone recognizer, the course's frozen audio encoder (notebook 03)
* ``quantize``   -- k-means, VQ, product/Gumbel quantizers, residual VQ, bitrate (notebooks 05-07)
* ``codec``      -- a tiny neural codec with residual VQ, and its training script (notebook 06)
* ``lm``         -- a tiny causal character LM, the frozen "LLM" (notebooks 08, 09)
* ``adapters``   -- every adapter family between an audio encoder and an LM (notebook 08)
* ``audio_llm``  -- a tiny audio-LLM: frozen recognizer, trained adapter, frozen LM (notebook 08)
* ``world``      -- a small question-answer world that defines a right spoken reply (notebook 09)
* ``native``     -- one transformer over text and audio tokens that answers speech with speech
                    (notebook 09)
* ``pipelines``  -- cascade, hybrid and native pipelines timed stage by stage, and the latency
                    model (notebook 09)
* ``serialize``  -- codebook serialization: five orders of a (T, K) code matrix, their layouts
                    and decode loops (notebook 10)
* ``generate``   -- phone-to-codec generators trained in every serialization order (notebook 10)
* ``metrics``    -- every score: edit distance and PER, boundary errors, SNR, log-mel distance,
                    STOI, purity and PNMI, speaking rate and pitch (notebooks 02-06, 09)
* ``voice``      -- your own voice: a recording through the recognizer and the aligner (notebook 00)
* ``threads``    -- ``limited_threads``: thread limits for one block of code (training)
* ``plots``      -- figures, one module per notebook topic (a package)
* ``widgets``    -- interactive explorers over those figures, one module per topic
"""
