"""Backpropagation: an MLP on scikit-learn's 8x8 digits, trained with funcdiff.

    python examples/mlp_digits.py              # 64-128-10, Adam, a few seconds
    python examples/mlp_digits.py --full       # 64-256-128-10, more epochs
    python examples/mlp_digits.py --optimizer momentum --epochs 30 --out DIR

The model is the lecture's: affine layers ``z = x W + b`` followed by ReLU,
and a softmax cross-entropy loss ``J`` on the last layer's outputs (the
logits). ``fd.grad`` of ``J`` with respect to the parameters *is*
backpropagation: the forward pass is traced once and the backward pass walks
it in reverse, giving ``dJ/dW`` and ``dJ/db`` for every layer (and ``dJ/dx``
when asked). ``fd.jit(fd.value_and_grad(loss))`` compiles the whole step to
straight-line numpy code once per batch shape.

The optimizers (minibatch SGD with momentum, Adam) are a few lines over the
parameter pytree with ``funcdiff.tree.tree_map``. The data set (1797 images,
bundled with scikit-learn, no download) is split 80/20 with a fixed seed;
the script prints one line per epoch with a progress bar and saves the loss
and accuracy curves as a PNG.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import single_threaded_blas

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.progress import progress
from funcdiff.tree import tree_leaves, tree_map

NAME = "mlp_digits"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / NAME


Params = list[dict[str, Any]]


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split 80/20 (stratified) with a fixed seed."""
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    digits = load_digits()
    X = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)
    return X_tr, X_te, y_tr, y_te


# ---------------------------------------------------------------------------
# the model and the loss
# ---------------------------------------------------------------------------


def init_params(sizes: Sequence[int], rng: np.random.Generator) -> Params:
    """He initialization for ReLU layers: W ~ N(0, 2 / fan_in), b = 0."""
    return [
        {"W": rng.normal(0.0, np.sqrt(2.0 / m), (m, n)), "b": np.zeros(n)}
        for m, n in itertools.pairwise(sizes)
    ]


def predict(params: Params, x: Any) -> Any:
    """Logits of a batch ``x`` (batch, 64): affine + ReLU layers, then affine."""
    for layer in params[:-1]:
        x = fd.nn.relu(x @ layer["W"] + layer["b"])
    last = params[-1]
    return x @ last["W"] + last["b"]


def loss(params: Params, x: Any, y_onehot: Any, weight_decay: float = 1e-4) -> Any:
    """Mean softmax cross-entropy, plus a small L2 penalty on the weights."""
    log_p = fd.nn.log_softmax(predict(params, x), axis=-1)
    ce = -fnp.sum(y_onehot * log_p) / x.shape[0]
    l2 = sum(fnp.sum(layer["W"] ** 2) for layer in params)
    return ce + 0.5 * weight_decay * l2


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=-1) == y))


# ---------------------------------------------------------------------------
# optimizers: a few lines over the parameter pytree
# ---------------------------------------------------------------------------


class Momentum:
    """SGD with momentum: ``v <- beta v + g``, ``p <- p - lr v``."""

    def __init__(self, params: Params, lr: float = 0.1, beta: float = 0.9) -> None:
        self.lr, self.beta = lr, beta
        self.v = tree_map(np.zeros_like, params)

    def step(self, params: Params, grads: Params) -> Params:
        self.v = tree_map(lambda v, g: self.beta * v + g, self.v, grads)
        new: Params = tree_map(lambda p, v: p - self.lr * v, params, self.v)
        return new


class Adam:
    """Adam: moving averages of g and g**2, bias-corrected, per parameter."""

    def __init__(
        self, params: Params, lr: float = 3e-3, b1: float = 0.9, b2: float = 0.999
    ) -> None:
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, 1e-8, 0
        self.m = tree_map(np.zeros_like, params)
        self.v = tree_map(np.zeros_like, params)

    def step(self, params: Params, grads: Params) -> Params:
        self.t += 1
        b1, b2 = self.b1, self.b2
        self.m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, self.m, grads)
        self.v = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, self.v, grads)
        lr_t = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        new: Params = tree_map(
            lambda p, m, v: p - lr_t * m / (np.sqrt(v) + self.eps), params, self.m, self.v
        )
        return new


# ---------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------


def bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def within_epoch(items: list[np.ndarray], epoch: int) -> Iterable[np.ndarray]:
    """A live tqdm bar over the batches when tqdm is installed and stdout is a
    terminal; the per-epoch text bar is printed either way."""
    if not sys.stdout.isatty():
        return items
    try:
        from tqdm import tqdm  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return items
    return tqdm(items, desc=f"epoch {epoch}", leave=False, unit="batch")  # type: ignore[no-any-return, unused-ignore]


def batches(n: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled index batches of exactly ``size`` (the remainder is dropped, so
    every step has the same shape and the jitted step compiles once)."""
    order = rng.permutation(n)
    return [order[i : i + size] for i in range(0, n - size + 1, size)]


def save_curves(out: Path, losses: list[float], test_acc: list[float]) -> Path:
    """Training loss (log scale) and test accuracy per epoch, in one PNG."""
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(losses) + 1)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    ax.semilogy(epochs, losses, "o-", ms=3, color="C0", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean over the epoch)", color="C0")
    ax.grid(True, which="both", alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(epochs, test_acc, "s-", ms=3, color="C1", label="test accuracy")
    ax2.set_ylabel("test accuracy", color="C1")
    ax2.set_ylim(min(test_acc) - 0.02, 1.0)
    ax.set_title("MLP on digits: softmax cross-entropy and test accuracy")
    path = out / "loss_curve.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------


def gradient_check(params: Params, x: np.ndarray, y1: np.ndarray) -> None:
    """Backprop's three derivatives on a small batch, and a finite-difference check."""
    (gW, gx) = fd.grad(lambda p, xb: loss(p, xb, y1), argnums=(0, 1))(params, x)
    shapes = ", ".join(
        f"dJ/dW{i + 1} {layer['W'].shape}, dJ/db{i + 1} {layer['b'].shape}"
        for i, layer in enumerate(gW)
    )
    print(f"backprop on a batch of {x.shape[0]}: {shapes}, dJ/dx {gx.shape}")
    fd.check_grads(lambda p: loss(p, x, y1), (params,), order=1, modes=("rev",))
    print("  gradients agree with central finite differences (check_grads, reverse mode)")


def main(argv: Sequence[str] | None = None) -> int:
    with single_threaded_blas():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the pictures")
    parser.add_argument("--full", action="store_true", help="a bigger net, more epochs")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--optimizer", choices=("adam", "momentum"), default="adam")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar over each epoch's batches (tqdm when installed)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sizes = [64, 256, 128, 10] if args.full else [64, 128, 10]
    epochs = args.epochs or (40 if args.full else 15)

    X_tr, X_te, y_tr, y_te = load_data(args.seed)
    Y_tr = np.eye(10)[y_tr]
    rng = np.random.default_rng(args.seed)
    params = init_params(sizes, rng)
    n_params = sum(a.size for a in tree_leaves(params))
    print(
        f"digits: {X_tr.shape[0]} training and {X_te.shape[0]} test images of 8x8 pixels; "
        f"MLP {'-'.join(map(str, sizes))} ({n_params} parameters), {args.optimizer}, "
        f"batch {args.batch_size}, {epochs} epochs"
    )
    gradient_check(params, X_tr[:8], Y_tr[:8])

    step_fn = fd.jit(fd.value_and_grad(loss))  # compiled once per batch shape
    logits_fn = fd.jit(predict)
    if args.optimizer == "adam":
        opt: Adam | Momentum = Adam(params, lr=args.lr or 3e-3)
    else:
        opt = Momentum(params, lr=args.lr or 0.05)

    losses: list[float] = []
    test_acc: list[float] = [accuracy(logits_fn(params, X_te), y_te)]
    t_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total, count = 0.0, 0
        epoch_batches = list(within_epoch(batches(X_tr.shape[0], args.batch_size, rng), epoch))
        with progress(len(epoch_batches), f"epoch {epoch}", enabled=args.progress) as pbar:
            for idx in epoch_batches:
                value, grads = step_fn(params, X_tr[idx], Y_tr[idx])
                params = opt.step(params, grads)
                total += float(value)
                count += 1
                pbar.update()
                pbar.set_postfix(f"loss {total / count:.4f}")
        losses.append(total / count)
        train_acc = accuracy(logits_fn(params, X_tr), y_tr)
        test_acc.append(accuracy(logits_fn(params, X_te), y_te))
        print(
            f"epoch {epoch:3d}/{epochs} {bar(epoch, epochs)} loss {losses[-1]:.4f}  "
            f"train acc {train_acc:.4f}  test acc {test_acc[-1]:.4f}  "
            f"({time.perf_counter() - t_start:.1f} s)",
            flush=True,
        )
    final = test_acc[-1]
    print(f"test accuracy: {final:.4f} ({round(final * X_te.shape[0])}/{X_te.shape[0]})")
    print(f"loss curve: {save_curves(out, losses, test_acc[1:])}")
    if final < 0.95:
        print("test accuracy below 0.95", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
