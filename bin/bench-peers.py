#!/usr/bin/python3
"""Peers for the time-to-accuracy benchmark: PyTorch and scikit-learn on the same Fashion-MNIST
files as Sparkprop (Debian's dataset-fashion-mnist), the same network (the config's layers, ReLU) and,
for PyTorch, the same recipe as conf/fashion-mnist.conf (Adam, learning rate, warm-up steps, cosine
floor, epochs and batch from the config, He-normal init), on 2 cores. Trains on all 60,000 images and
samples test accuracy after every epoch, as the Sparkprop rows of bin/bench do. Prints one JSON
object per system: {"system", "points": [[training seconds, test accuracy], ...]}.

Usage: bin/bench-peers.py [torch] [sklearn] [--layers 784,128,128,10] [--epochs N] [--batch B] [--lr R]
[--warmup W] [--min-factor F] (run by bin/bench with the values of conf/fashion-mnist.conf when the Debian
packages python3-torch and python3-sklearn are installed; the defaults here are those values)."""
import gzip, json, math, os, struct, sys, time

import numpy as np

DIR = "/usr/share/datasets/fashion-mnist"


def idx(name):
    path = os.path.join(DIR, name + ".gz")
    opener = gzip.open if os.path.exists(path) else open
    with opener(path if os.path.exists(path) else os.path.join(DIR, name), "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        if magic == 0x803:
            rows, cols = struct.unpack(">II", f.read(8))
            return np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows * cols).astype(np.float32) / 255.0
        return np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64)


def data():
    return (idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte"),
            idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte"))


def torch_run(layers, epochs, batch, lr, warm, floor):
    import torch
    from threadpoolctl import threadpool_limits
    # Two cores, PyTorch at its fastest here (measured 2026-11-30, 784-256-128-10, batch 1024, ms of
    # forward + backward): its matrix products run in OpenBLAS, so OpenBLAS gets both cores and
    # PyTorch's own (OpenMP) ops one thread: 7.4 ms; 2 OpenMP threads and 1 OpenBLAS thread (what
    # OPENBLAS_NUM_THREADS=1 from bin/bench gave before) 12.8 ms; 2 and 2 oversubscribe: 29 ms.
    torch.set_num_threads(1)
    blas = threadpool_limits(limits=2, user_api="blas")
    torch.manual_seed(1)
    xtr, ytr, xte, yte = [torch.from_numpy(np.ascontiguousarray(a)) for a in data()]
    mods = []
    for i in range(len(layers) - 1):
        mods += [torch.nn.Linear(layers[i], layers[i + 1])] + ([torch.nn.ReLU()] if i < len(layers) - 2 else [])
    net = torch.nn.Sequential(*mods)
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    steps_per_epoch = math.ceil(len(xtr) / batch)
    total = steps_per_epoch * epochs
    opt = torch.optim.Adam(net.parameters(), lr=lr)

    def factor(t):
        if t < warm:
            return (t + 1) / warm
        p = min(1.0, (t - warm) / max(1, total - warm))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    points, trained = [], 0.0
    for e in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), batch):
            idx_ = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(net(xtr[idx_]), ytr[idx_]).backward()
            opt.step()
            sched.step()
        trained += time.perf_counter() - t0
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
        points.append([trained, acc])
    blas.restore_original_limits()
    return {"system": "PyTorch %s (same network and recipe, float32, OpenBLAS on 2 threads)" % torch.__version__, "points": points}


def sklearn_run(layers, epochs, batch, lr):
    import sklearn
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits
    xtr, ytr, xte, yte = data()
    clf = MLPClassifier(hidden_layer_sizes=tuple(layers[1:-1]), activation="relu", solver="adam", learning_rate_init=lr,
                        batch_size=batch, random_state=1)
    points, trained = [], 0.0
    with threadpool_limits(2):
        for e in range(epochs):
            t0 = time.perf_counter()
            clf.partial_fit(xtr, ytr, classes=np.arange(10))
            trained += time.perf_counter() - t0
            points.append([trained, float((clf.predict(xte) == yte).mean())])
    return {"system": "scikit-learn %s MLPClassifier (Adam, lr %g, batch %d, float64, 2 threads)" % (sklearn.__version__, lr, batch),
            "points": points}


if __name__ == "__main__":
    def arg(name, default, kind):
        return kind(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default
    layers = [int(n) for n in arg("--layers", "784,128,128,10", str).split(",")]
    if layers[0] != 784 or layers[-1] != 10 or len(layers) < 2:
        sys.exit("--layers %s: Fashion-MNIST needs 784 inputs and 10 outputs, e.g. 784,256,128,10" % ",".join(map(str, layers)))
    epochs = arg("--epochs", 4, int)
    batch = arg("--batch", 128, int)
    lr = arg("--lr", 0.005, float)
    warm = arg("--warmup", 120, int)
    floor = arg("--min-factor", 0.02, float)
    which = [a for a in sys.argv[1:] if a in ("torch", "sklearn")] or ["torch", "sklearn"]
    for w in which:
        r = torch_run(layers, epochs, batch, lr, warm, floor) if w == "torch" else sklearn_run(layers, epochs, batch, lr)
        print(json.dumps(r), flush=True)
