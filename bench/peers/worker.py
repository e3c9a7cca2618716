#!/usr/bin/env python3
"""One peer implementation of one benchmark row, kept alive across rounds so
that bench.py can interleave it with loom and the other peers.

Usage: worker.py TASK_JSON   (bench.py starts it; not meant for people)

TASK fields: row, kind (gpt_fwd | gpt_train | bert_fwd | vit_fwd | gemm),
impl (torch-eager | torch-compile | onnxruntime | numpy | torch |
torch-onednn | onnx-export), model (gpt2 | tiny_gpt, for GPT rows), inputs
(dir of .npy files, the same ones loom reads), threads, workdir (where the
ONNX file goes), target_s, min_reps, max_reps, M, K, N for GEMMs, export_s
for onnxruntime.

Protocol: lines on stdout starting with "@@ " carry JSON (other output is
ignored). After setup it prints {"ready": true, "compile_s": X or null,
"info": {...}} or {"error": "..."}. Then per "run" line on stdin it does
one untimed call and `reps` timed calls (reps chosen so the batch takes
about target_s) and prints {"times": [seconds, ...]}; "quit" or EOF ends it.
impl onnx-export only writes the row's ONNX file from the PyTorch model and
prints {"export_s": X}: bench.py runs it in a process of its own first, so
that the onnxruntime worker never imports torch (its peak RSS stays its
own), as the numpy GEMM peer does not.
"""
import json
import math
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def say(obj):
    sys.stdout.write("@@ " + json.dumps(obj) + "\n")
    sys.stdout.flush()


def load_inputs(d):
    import numpy as np
    return {f[:-4]: np.load(os.path.join(d, f)) for f in sorted(os.listdir(d))
            if f.endswith(".npy")}


# ---------------------------------------------------------------- GEMMs --
def setup_gemm(task):
    import numpy as np
    M, K, N = task["M"], task["K"], task["N"]
    x = np.load(os.path.join(task["inputs"], "x.npy"))
    assert x.shape == (M, K), x.shape
    w = np.random.default_rng(1).standard_normal((K, N), dtype=np.float32)
    w *= 0.02  # in place: no float64 or temporary copy in the peak RSS
    # A check of a corner of the result against float64, not timed (a
    # corner only: a float64 copy of w would inflate the peak RSS).
    ref = x[:4].astype(np.float64) @ w[:, :64].astype(np.float64)
    info = {}
    if task["impl"] == "numpy":
        out = np.empty((M, N), np.float32)

        def call():
            np.matmul(x, w, out=out)

        call()
        got = out[:4, :64]
        try:
            from threadpoolctl import threadpool_info
            info["blas"] = [{k: p.get(k) for k in ("internal_api", "version",
                                                    "architecture", "num_threads")}
                            for p in threadpool_info() if p.get("user_api") == "blas"]
        except Exception as e:  # threadpoolctl is optional
            info["blas"] = "unknown (%s)" % e
    elif task["impl"] == "torch":
        import torch
        torch.set_num_threads(task["threads"])
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        out = torch.empty(M, N)

        def call():
            torch.mm(tx, tw, out=out)

        with torch.inference_mode():
            call()
        got = out[:4, :64].numpy()
        info["torch_threads"] = torch.get_num_threads()
    elif task["impl"] == "torch-onednn":
        # The oneDNN (MKL-DNN) linear that inductor's freezing uses: PyPI
        # torch's torch.mm goes to MKL, which may not take its AVX-512 path on
        # non-Intel CPUs. Weight prepacked once; dense input in, dense out.
        import torch
        import torch.utils.mkldnn
        torch.set_num_threads(task["threads"])
        lin = torch.nn.Linear(K, N, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w).t())
        lin = torch.utils.mkldnn.to_mkldnn(lin.eval())
        tx = torch.from_numpy(x)
        res = [None]

        def call():
            with torch.inference_mode():
                res[0] = lin(tx.to_mkldnn()).to_dense()

        call()
        got = res[0][:4, :64].numpy()
        info["torch_threads"] = torch.get_num_threads()
    else:
        raise ValueError("unknown impl " + task["impl"])
    err = float(np.max(np.abs(got - ref)) / (np.max(np.abs(ref)) + 1e-30))
    if err > 1e-3:
        raise RuntimeError("wrong GEMM result: relative error %.3g" % err)
    info["rel_err"] = err
    return call, None, info


# --------------------------------------------------------------- models --
def build_model(task):
    sys.path.insert(0, HERE)
    import models
    kind = task["kind"]
    if kind in ("gpt_fwd", "gpt_train", "gpt_decode"):
        cfg = {"gpt2": models.GPT2_SMALL, "tiny_gpt": models.TINY_GPT}[task["model"]]
        return models.GPT(cfg)
    if kind == "bert_fwd":
        return models.Bert()
    if kind == "vit_fwd":
        return models.ViT()
    raise ValueError("unknown kind " + kind)


def forward_arrays(task):
    """The forward's inputs as numpy arrays (names and dtypes the PyTorch
    models and their ONNX exports take), from the .npy files loom reads."""
    arrays = load_inputs(task["inputs"])
    kind = task["kind"]
    if kind == "gpt_fwd":
        return {"tokens": arrays["tokens"].astype("int64")}
    if kind == "bert_fwd":
        return {"tokens": arrays["tokens"].astype("int64"),
                "token_types": arrays["token_types"].astype("int64"),
                "attention_mask": arrays["attention_mask"].astype(bool)}
    if kind == "vit_fwd":
        return {"pixels": arrays["pixels"].astype("float32")}
    raise ValueError(kind)


def onnx_path(task):
    return os.path.join(task["workdir"], "%s.onnx" % task["row"])


def export_onnx(task):
    """Writes the row's model as ONNX (TorchScript exporter, opset 17);
    runs in its own process so that the onnxruntime worker never loads torch."""
    import torch
    torch.set_num_threads(task["threads"])
    torch.manual_seed(0)
    model = build_model(task).eval()
    args = {k: torch.from_numpy(v) for k, v in forward_arrays(task).items()}
    names = list(args)
    t0 = time.perf_counter()
    with torch.inference_mode():
        torch.onnx.export(model, tuple(args[n] for n in names), onnx_path(task),
                          input_names=names, opset_version=17, dynamo=False)
    return time.perf_counter() - t0


def setup_onnxruntime(task):
    """onnxruntime on the ONNX file bench.py had written beforehand (by this
    script with impl onnx-export, in a process of its own)."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = task["threads"]
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    t1 = time.perf_counter()
    sess = ort.InferenceSession(onnx_path(task), so, providers=["CPUExecutionProvider"])
    session_s = time.perf_counter() - t1
    arrays = forward_arrays(task)
    feeds = {i.name: arrays[i.name] for i in sess.get_inputs()}
    info = {"session_s": round(session_s, 2), "providers": sess.get_providers()}

    def call():
        sess.run(None, feeds)

    return call, task["export_s"] + session_s, info


def setup_forward(task):
    import torch
    torch.set_num_threads(task["threads"])
    torch.manual_seed(0)
    model = build_model(task).eval()
    args = {k: torch.from_numpy(v) for k, v in forward_arrays(task).items()}
    impl = task["impl"]
    info = {"torch_threads": torch.get_num_threads()}
    compile_s = None
    if impl == "torch-eager":
        def call():
            with torch.inference_mode():
                model(**args)
    elif impl == "torch-compile":
        # Inductor's recommended CPU inference setup: frozen weights (constant
        # folding, prepacked GEMM weights).
        import torch._inductor.config as inductor_config
        inductor_config.freezing = True
        mode = task.get("compile_mode", "default")
        cmodel = torch.compile(model, mode=None if mode == "default" else mode)

        def call():
            with torch.inference_mode():
                cmodel(**args)

        t0 = time.perf_counter()
        call()  # compiles
        compile_s = time.perf_counter() - t0
        info["compile"] = "torch.compile mode %s, inductor freezing=True" % mode
    else:
        raise ValueError("unknown impl " + impl)
    return call, compile_s, info


def setup_decode(task):
    """One token of GPT-2 generation with PyTorch's KV cache: the cache
    holds ctx - 1 positions (filled once by a prefill); every call appends
    the new token's keys and values (torch.cat, as transformers' dynamic
    cache does) and returns its logits."""
    import torch
    torch.set_num_threads(task["threads"])
    torch.manual_seed(0)
    model = build_model(task).eval()
    if task["impl"] != "torch-eager":
        raise ValueError("unknown impl " + task["impl"])
    ctx = task["ctx"]
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, 50257, (1, ctx - 1), generator=g)
    token = torch.randint(0, 50257, (1, 1), generator=g)
    with torch.inference_mode():
        _, past = model.step(prompt)

    def call():
        with torch.inference_mode():
            model.step(token, past)

    return call, None, {"torch_threads": torch.get_num_threads(),
                        "cache": "%d positions, torch.cat per step" % (ctx - 1)}


def setup_train(task):
    import torch
    torch.set_num_threads(task["threads"])
    torch.manual_seed(0)
    model = build_model(task).train()
    arrays = load_inputs(task["inputs"])
    tokens = torch.from_numpy(arrays["tokens"].astype("int64"))
    targets = torch.from_numpy(arrays["targets"].astype("int64"))
    # loom's AdamW: decoupled weight decay 0.01 on rank >= 2 parameters only.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.01},
              {"params": no_decay, "weight_decay": 0.0}]
    info = {"torch_threads": torch.get_num_threads()}
    try:
        opt = torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, fused=True)
        info["adamw"] = "fused"
    except Exception:  # older torch: no fused CPU AdamW
        opt = torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, foreach=True)
        info["adamw"] = "foreach"
    loss_fn = model.loss
    compile_s = None
    if task["impl"] == "torch-compile":
        mode = task.get("compile_mode", "default")
        loss_fn = torch.compile(model.loss, mode=None if mode == "default" else mode)
        info["compile"] = "torch.compile(model.loss) mode %s; clipping and AdamW eager" % mode
    elif task["impl"] != "torch-eager":
        raise ValueError("unknown impl " + task["impl"])

    def call():
        loss = loss_fn(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    if task["impl"] == "torch-compile":
        t0 = time.perf_counter()
        call()  # compiles forward and backward
        compile_s = time.perf_counter() - t0
    return call, compile_s, info


def main():
    task = json.loads(sys.argv[1])
    try:
        if task["impl"] == "onnx-export":
            say({"export_s": export_onnx(task)})
            return 0
        if task["kind"] == "gemm":
            call, compile_s, info = setup_gemm(task)
        elif task["kind"] == "gpt_train":
            call, compile_s, info = setup_train(task)
        elif task["kind"] == "gpt_decode":
            call, compile_s, info = setup_decode(task)
        elif task["impl"] == "onnxruntime":
            call, compile_s, info = setup_onnxruntime(task)
        else:
            call, compile_s, info = setup_forward(task)
        # Warm up (at least 3 calls and 0.2 s) and estimate one call's time.
        est = []
        start = time.perf_counter()
        while len(est) < 3 or (time.perf_counter() - start < 0.2 and len(est) < 50):
            t0 = time.perf_counter()
            call()
            est.append(time.perf_counter() - t0)
        estimate = sorted(est[-3:])[1]
    except Exception as e:
        say({"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""),
             "trace": traceback.format_exc()[-4000:]})
        return 1
    say({"ready": True, "compile_s": compile_s, "info": info})
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd != "run":
            continue
        reps = max(task["min_reps"], min(task["max_reps"],
                                         math.ceil(task["target_s"] / max(estimate, 1e-7))))
        call()  # untimed, like loom run's first call
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        estimate = sorted(times)[len(times) // 2]
        say({"times": times})
    return 0


if __name__ == "__main__":
    sys.exit(main())
