"""Hand-written PyTorch versions of the loom reference models the benchmark
times (no `transformers` dependency): GPT-2 (also tiny_gpt), BERT-base with
its pooler, masked-LM and next-sentence heads, and ViT-B/16. Each follows
its spec in models/ op for op (pre-/post-LN, GELU flavour, epsilons, tied
heads, what the forward returns), each in its fastest eager form (fused
scaled_dot_product_attention). Weights are random: timing does not depend
on their values.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- GPT-2 --
@dataclass
class GPTConfig:
    vocab: int = 50257
    n_ctx: int = 1024
    d: int = 768
    n_layer: int = 12
    n_head: int = 12

    @property
    def d_ff(self):
        return 4 * self.d


GPT2_SMALL = GPTConfig()
# models/tiny_gpt.loom
TINY_GPT = GPTConfig(vocab=256, n_ctx=64, d=64, n_layer=2, n_head=4)


class GPTBlock(nn.Module):
    """Pre-LN block: x + attn(ln_1(x)), then h + mlp(ln_2(h)); causal
    attention, tanh GELU, Conv1D-style fused QKV projection."""

    def __init__(self, c: GPTConfig):
        super().__init__()
        self.n_head = c.n_head
        self.ln_1 = nn.LayerNorm(c.d, eps=1e-5)
        self.c_attn = nn.Linear(c.d, 3 * c.d)
        self.c_proj = nn.Linear(c.d, c.d)
        self.ln_2 = nn.LayerNorm(c.d, eps=1e-5)
        self.c_fc = nn.Linear(c.d, c.d_ff)
        self.mlp_proj = nn.Linear(c.d_ff, c.d)

    def forward(self, x):
        B, T, D = x.shape
        H = self.n_head
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q = q.view(B, T, H, D // H).transpose(1, 2)
        k = k.view(B, T, H, D // H).transpose(1, 2)
        v = v.view(B, T, H, D // H).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        o = o.transpose(1, 2).reshape(B, T, D)
        h = x + self.c_proj(o)
        m = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(h)), approximate="tanh"))
        return h + m

    def step(self, x, past):
        """forward with a KV cache: x holds the new positions; past is this
        layer's (keys, values) [B, H, Tp, Dh] or None. Returns the output
        and the extended cache (torch.cat, as transformers' DynamicCache)."""
        B, T, D = x.shape
        H = self.n_head
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q = q.view(B, T, H, D // H).transpose(1, 2)
        k = k.view(B, T, H, D // H).transpose(1, 2)
        v = v.view(B, T, H, D // H).transpose(1, 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        if past is None:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif T == 1:
            o = F.scaled_dot_product_attention(q, k, v)
        else:  # new query i sees the cache and new keys up to itself
            Tk = k.shape[2]
            mask = torch.ones(T, Tk, dtype=torch.bool).tril(Tk - T)
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        o = o.transpose(1, 2).reshape(B, T, D)
        h = x + self.c_proj(o)
        m = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(h)), approximate="tanh"))
        return h + m, (k, v)


class GPT(nn.Module):
    """GPT-2: token + learned position embeddings, n_layer pre-LN blocks,
    final LayerNorm, LM head tied to wte. forward(tokens) -> logits;
    loss(tokens, targets) -> mean cross entropy (ignore_index -100)."""

    def __init__(self, c: GPTConfig = GPT2_SMALL):
        super().__init__()
        self.wte = nn.Embedding(c.vocab, c.d)
        self.wpe = nn.Embedding(c.n_ctx, c.d)
        self.h = nn.ModuleList(GPTBlock(c) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.d, eps=1e-5)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, tokens):
        T = tokens.shape[1]
        pos = torch.arange(T, device=tokens.device)
        x = self.wte(tokens) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)

    def step(self, tokens, past=None):
        """Incremental decoding: logits of `tokens` (at the positions after
        the cached ones) and the extended per-layer caches."""
        start = 0 if past is None else past[0][0].shape[2]
        pos = torch.arange(start, start + tokens.shape[1], device=tokens.device)
        x = self.wte(tokens) + self.wpe(pos)
        caches = []
        for i, block in enumerate(self.h):
            x, kv = block.step(x, None if past is None else past[i])
            caches.append(kv)
        return F.linear(self.ln_f(x), self.wte.weight), caches

    def loss(self, tokens, targets):
        logits = self.forward(tokens)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(),
                               ignore_index=-100)


# ----------------------------------------------------------------- BERT --
@dataclass
class BertConfig:
    vocab: int = 30522
    n_pos: int = 512
    n_types: int = 2
    d: int = 768
    n_layer: int = 12
    n_head: int = 12

    @property
    def d_ff(self):
        return 4 * self.d


class BertLayer(nn.Module):
    """Post-LN encoder layer: LN(x + attn(x)), LN(h + ffn(h)); separate
    Q, K, V projections, padding mask, erf GELU, epsilon 1e-12."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.n_head = c.n_head
        self.query = nn.Linear(c.d, c.d)
        self.key = nn.Linear(c.d, c.d)
        self.value = nn.Linear(c.d, c.d)
        self.attn_out = nn.Linear(c.d, c.d)
        self.attn_ln = nn.LayerNorm(c.d, eps=1e-12)
        self.intermediate = nn.Linear(c.d, c.d_ff)
        self.output = nn.Linear(c.d_ff, c.d)
        self.out_ln = nn.LayerNorm(c.d, eps=1e-12)

    def forward(self, x, mask):
        B, T, D = x.shape
        H = self.n_head

        def heads(t):
            return t.view(B, T, H, D // H).transpose(1, 2)

        o = F.scaled_dot_product_attention(heads(self.query(x)), heads(self.key(x)),
                                           heads(self.value(x)), attn_mask=mask)
        h = self.attn_ln(x + self.attn_out(o.transpose(1, 2).reshape(B, T, D)))
        i = F.gelu(self.intermediate(h))
        return self.out_ln(h + self.output(i))


class Bert(nn.Module):
    """BERT-base uncased as models/bert_base_uncased.loom: embeddings (word +
    position + token type, LayerNorm), 12 post-LN layers, pooler, MLM head
    (transform + decoder tied to the word embeddings with its own bias), NSP
    head. forward returns (last_hidden_state, pooler_output, mlm_logits,
    nsp_logits), the spec's four outputs."""

    def __init__(self, c: BertConfig = BertConfig()):
        super().__init__()
        self.word = nn.Embedding(c.vocab, c.d)
        self.pos = nn.Embedding(c.n_pos, c.d)
        self.types = nn.Embedding(c.n_types, c.d)
        self.emb_ln = nn.LayerNorm(c.d, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(c) for _ in range(c.n_layer))
        self.pooler = nn.Linear(c.d, c.d)
        self.transform = nn.Linear(c.d, c.d)
        self.transform_ln = nn.LayerNorm(c.d, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(c.vocab))
        self.nsp = nn.Linear(c.d, c.n_types)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, tokens, token_types, attention_mask):
        T = tokens.shape[1]
        pos = torch.arange(T, device=tokens.device)
        x = self.emb_ln(self.word(tokens) + self.pos(pos) + self.types(token_types))
        mask = attention_mask[:, None, None, :]  # [B, 1, 1, T], True = keep
        for layer in self.layers:
            x = layer(x, mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        t = self.transform_ln(F.gelu(self.transform(x)))
        mlm_logits = F.linear(t, self.word.weight, self.mlm_bias)
        nsp_logits = self.nsp(pooled)
        return x, pooled, mlm_logits, nsp_logits


# ------------------------------------------------------------------ ViT --
@dataclass
class ViTConfig:
    image: int = 224
    patch: int = 16
    channels: int = 3
    d: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_classes: int = 1000

    @property
    def d_ff(self):
        return 4 * self.d

    @property
    def n_patches(self):
        return (self.image // self.patch) ** 2


class ViTLayer(nn.Module):
    """Pre-LN encoder layer (epsilon 1e-12, erf GELU, separate Q, K, V)."""

    def __init__(self, c: ViTConfig):
        super().__init__()
        self.n_head = c.n_head
        self.ln_before = nn.LayerNorm(c.d, eps=1e-12)
        self.query = nn.Linear(c.d, c.d)
        self.key = nn.Linear(c.d, c.d)
        self.value = nn.Linear(c.d, c.d)
        self.attn_out = nn.Linear(c.d, c.d)
        self.ln_after = nn.LayerNorm(c.d, eps=1e-12)
        self.intermediate = nn.Linear(c.d, c.d_ff)
        self.output = nn.Linear(c.d_ff, c.d)

    def forward(self, x):
        B, T, D = x.shape
        H = self.n_head

        def heads(t):
            return t.view(B, T, H, D // H).transpose(1, 2)

        h = self.ln_before(x)
        o = F.scaled_dot_product_attention(heads(self.query(h)), heads(self.key(h)),
                                           heads(self.value(h)))
        x1 = x + self.attn_out(o.transpose(1, 2).reshape(B, T, D))
        return x1 + self.output(F.gelu(self.intermediate(self.ln_after(x1))))


class ViT(nn.Module):
    """ViT-B/16 as models/vit_b16.json: Conv2d patch embedding, class token,
    learned positions, 12 pre-LN layers, final LayerNorm, 1000-class head on
    the class token. forward(pixels) -> logits [B, n_classes]."""

    def __init__(self, c: ViTConfig = ViTConfig()):
        super().__init__()
        self.patch_embed = nn.Conv2d(c.channels, c.d, c.patch, stride=c.patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.d))
        self.pos = nn.Parameter(torch.zeros(1, c.n_patches + 1, c.d))
        self.layers = nn.ModuleList(ViTLayer(c) for _ in range(c.n_layer))
        self.ln = nn.LayerNorm(c.d, eps=1e-12)
        self.classifier = nn.Linear(c.d, c.n_classes)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, pixels):
        p = self.patch_embed(pixels).flatten(2).transpose(1, 2)  # [B, N, d]
        x = torch.cat([self.cls_token.expand(p.shape[0], -1, -1), p], dim=1) + self.pos
        for layer in self.layers:
            x = layer(x)
        return self.classifier(self.ln(x)[:, 0])


def param_count(model):
    """Distinct parameters (a tied tensor counts once)."""
    return sum(p.numel() for p in model.parameters())


def _self_check():
    """Parameter counts against models/README.md (run: python models.py)."""
    assert param_count(GPT(GPT2_SMALL)) == 124_439_808, param_count(GPT(GPT2_SMALL))
    assert param_count(GPT(TINY_GPT)) == 120_576
    assert param_count(Bert()) == 110_106_428, param_count(Bert())
    assert param_count(ViT()) == 86_567_656, param_count(ViT())
    print("parameter counts match models/README.md")


if __name__ == "__main__":
    _self_check()
