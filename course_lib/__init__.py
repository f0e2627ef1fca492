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
* ``serialize``  -- codebook serialization: five orders of a (T, K) code matrix, their layouts
                    and decode loops (notebook 10)
* ``metrics``    -- every score: edit distance and PER, boundary errors, SNR, log-mel distance,
                    STOI, purity and PNMI (notebooks 02-06)
* ``voice``      -- your own voice: a recording through the recognizer and the aligner (notebook 00)
* ``threads``    -- ``limited_threads``: thread limits for one block of code (training)
* ``plots``      -- figures, one module per notebook topic (a package)
* ``widgets``    -- interactive explorers over those figures, one module per topic
"""
