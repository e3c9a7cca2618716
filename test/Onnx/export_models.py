#!/usr/bin/env python3
"""Exports GPT-2-, BERT- and ViT-shaped PyTorch models (random weights, small
configs) to ONNX and records ONNX Runtime's outputs on fixed inputs: the
fixtures of test/onnx (loomc compiles each model.onnx, `loom run` must match
onnxruntime.npy outputs).

    /usr/bin/python3 test/onnx/export_models.py OUT_DIR

Run with a Python that lacks torch, it creates its own virtual environment
($LOOM_ONNX_VENV, default build/onnx-venv: torch's CPU wheel from
download.pytorch.org, or PyPI's where that index is unreachable, onnx,
onnxruntime) and runs itself there. OUT_DIR/<model>/ gets model.onnx,
dims (loomc's --dim flags), in_<name>.npy and out_<name>.npy.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ensure_venv():
    try:
        import torch  # noqa: F401
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        return
    except ImportError:
        pass
    venv = os.environ.get("LOOM_ONNX_VENV", os.path.join(ROOT, "build", "onnx-venv"))
    py = os.path.join(venv, "bin", "python")
    # The venv's python is a link to the system one: tell them apart by prefix.
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        sys.exit("export_models.py: the venv " + venv + " lacks torch, onnx or onnxruntime")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    pip = [py, "-m", "pip", "install", "-q"]
    if subprocess.call([py, "-c", "import torch"], stderr=subprocess.DEVNULL) != 0:
        # One quick try (no retries): where the index is unreachable, pip's
        # default five retries with back-off only delay the fallback.
        cpu = subprocess.call(pip + ["--retries", "0", "--timeout", "15", "--index-url",
                                     "https://download.pytorch.org/whl/cpu", "torch"])
        if cpu != 0:
            print("export_models.py: the CPU wheel index is unreachable; torch from PyPI", file=sys.stderr)
            subprocess.check_call(pip + ["torch"])
    subprocess.check_call(pip + ["onnx", "onnxruntime", "numpy"])
    os.execv(py, [py] + sys.argv)


ensure_venv()

import math  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def randomize_norms(model):
    """Layer norms away from (1, 0): equal initializers would be merged by
    the exporter into one, and the test would not see their names."""
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, 1.0, 0.1)
            nn.init.normal_(m.bias, 0.0, 0.1)


# ---- GPT-2: Conv1D weights [in, out] (so the initializers keep their names),
# pre-LN, causal mask from a buffer, GELU tanh, tied output projection.
class Conv1D(nn.Module):
    def __init__(self, nin, nout):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nin, nout) * 0.05)
        self.bias = nn.Parameter(torch.randn(nout) * 0.05)

    def forward(self, x):
        return x @ self.weight + self.bias


class GPTAttention(nn.Module):
    def __init__(self, d, n_head, n_ctx):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)
        self.register_buffer("bias", torch.tril(torch.ones(n_ctx, n_ctx)).view(1, 1, n_ctx, n_ctx))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        hd = C // self.n_head
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class GPTMLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = Conv1D(d, 4 * d)
        self.c_proj = Conv1D(4 * d, d)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class GPTBlock(nn.Module):
    def __init__(self, d, n_head, n_ctx):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = GPTAttention(d, n_head, n_ctx)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = GPTMLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab=100, d=64, n_head=4, n_layer=2, n_ctx=32):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(n_ctx, d)
        self.h = nn.ModuleList([GPTBlock(d, n_head, n_ctx) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        randomize_norms(self)

    def forward(self, input_ids):
        T = input_ids.size(1)
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)


# ---- BERT: nn.Linear (torch layout: the exporter stores W^T under
# onnx::MatMul_* names), post-LN, padding mask, GELU erf, pooler on x[:, 0].
class BertLayer(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)
        self.output = nn.Linear(d, d)
        self.ln_attn = nn.LayerNorm(d, eps=1e-12)
        self.intermediate = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.ln_out = nn.LayerNorm(d, eps=1e-12)

    def heads(self, x):
        B, T, C = x.size()
        return x.view(B, T, self.n_head, C // self.n_head).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask):
        B, T, C = x.size()
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(C // self.n_head)
        probs = F.softmax(scores + ext_mask, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(B, T, C)
        x = self.ln_attn(x + self.output(ctx))
        return self.ln_out(x + self.out(F.gelu(self.intermediate(x))))


class BertEncoder(nn.Module):
    def __init__(self, d, n_head, n_layer):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(d, n_head) for _ in range(n_layer)])

    def forward(self, x, ext_mask):
        for layer in self.layer:
            x = layer(x, ext_mask)
        return x


class Bert(nn.Module):
    def __init__(self, vocab=100, d=64, n_head=4, n_layer=2, max_pos=32):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(max_pos, d)
        self.token_type_embeddings = nn.Embedding(2, d)
        self.register_buffer("position_ids", torch.arange(max_pos).unsqueeze(0))
        self.ln_emb = nn.LayerNorm(d, eps=1e-12)
        self.encoder = BertEncoder(d, n_head, n_layer)
        self.pooler = nn.Linear(d, d)
        randomize_norms(self)

    def forward(self, input_ids, token_type_ids, attention_mask):
        T = input_ids.size(1)
        x = (self.word_embeddings(input_ids)
             + self.position_embeddings(self.position_ids[:, :T])
             + self.token_type_embeddings(token_type_ids))
        x = self.ln_emb(x)
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        x = self.encoder(x, ext)
        return x, torch.tanh(self.pooler(x[:, 0]))


# ---- ViT: Conv2d patch embedding, class token (expand + cat), learned
# positions, pre-LN blocks with one qkv Linear split by unbind, head on x[:, 0].
class ViTAttention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, C = x.shape
        hd = C // self.n_head
        qkv = self.qkv(x).reshape(B, N, 3, self.n_head, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        att = (q @ k.transpose(-2, -1)) * hd ** -0.5
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(y)


class ViTBlock(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = ViTAttention(d, n_head)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, image=32, patch=8, channels=3, d=64, n_head=4, n_layer=2, classes=10):
        super().__init__()
        n = (image // patch) ** 2
        self.patch_embed = nn.Conv2d(channels, d, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.1)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, d) * 0.1)
        self.blocks = nn.ModuleList([ViTBlock(d, n_head) for _ in range(n_layer)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, classes)
        randomize_norms(self)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def export(name, model, inputs, dynamic_axes, outputs, dims, out_dir):
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    model.eval()
    names = list(inputs)
    path = os.path.join(d, "model.onnx")
    with torch.no_grad():
        args = tuple(torch.from_numpy(inputs[n]) for n in names)
        kwargs = dict(input_names=names, output_names=outputs, opset_version=17,
                      dynamic_axes=dynamic_axes, do_constant_folding=True)
        try:
            torch.onnx.export(model, args, path, dynamo=False, **kwargs)
        except TypeError:  # torch < 2.5 has no dynamo flag
            torch.onnx.export(model, args, path, **kwargs)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    results = sess.run(outputs, dict(inputs))
    for n, v in inputs.items():
        np.save(os.path.join(d, "in_" + n + ".npy"), v)
    for n, v in zip(outputs, results):
        np.save(os.path.join(d, "out_" + n + ".npy"), v)
    with open(os.path.join(d, "dims"), "w") as f:
        f.write(" ".join("--dim %s=%d" % kv for kv in dims.items()) + "\n")
    print("export_models.py: %s: %d bytes, outputs %s" % (
        path, os.path.getsize(path), ", ".join("%s%s" % (n, list(v.shape)) for n, v in zip(outputs, results))))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_models.py OUT_DIR")
    out = sys.argv[1]
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    B, T = 2, 16
    bt = {0: "batch", 1: "seq"}
    export("gpt", GPT(), {"input_ids": rng.randint(0, 100, (B, T)).astype(np.int64)},
           {"input_ids": bt, "logits": bt}, ["logits"], {"batch": B, "seq": T}, out)
    mask = np.ones((B, T), np.int64)
    mask[1, 11:] = 0
    export("bert", Bert(), {
        "input_ids": rng.randint(0, 100, (B, T)).astype(np.int64),
        "token_type_ids": (np.arange(T)[None, :] >= 8).repeat(B, 0).astype(np.int64),
        "attention_mask": mask},
        {"input_ids": bt, "token_type_ids": bt, "attention_mask": bt,
         "last_hidden_state": bt, "pooler_output": {0: "batch"}},
        ["last_hidden_state", "pooler_output"], {"batch": B, "seq": T}, out)
    export("vit", ViT(), {"pixel_values": rng.randn(B, 3, 32, 32).astype(np.float32)},
           {"pixel_values": {0: "batch"}, "logits": {0: "batch"}}, ["logits"], {"batch": B}, out)


if __name__ == "__main__":
    main()
