"""Outgrowing chainrule: train here, continue in PyTorch on 1,000 times the data, come back.

1. micrograd's moons recipe with nn.fit: MLP(2, [16, 16, 1]), 100 points, SVM loss +
   1e-4 L2, SGD decaying from 1.0 to 0.1.
2. nn.to_torch(model): the same network as a float64 torch module. Its outputs and the
   gradients of the loss must equal chainrule's to 1e-12 (relative to the largest).
3. The training continues in PyTorch on 100,000 samples of make_moons (mini-batches of
   1,000, Adam), the same loss, and is judged on 10,000 points neither has seen.
4. One training step, timed in both, alternating, on the same batch: the ratio of the
   two CPU times, of their medians and of their minimums (PyTorch on one CPU thread).
5. nn.load_torch(model, tmodel) brings the trained weights back (checked before anything
   is written); chainrule's outputs must equal PyTorch's again, and draw_dot draws the
   trained model, one box per layer.

Needs PyTorch: pip install "chainrule[torch]" (a CPU build is enough).
"""

from __future__ import annotations

import copy
import gc
import statistics
import time
from typing import Any

from _common import check, install_hint, parse_args, picture

import nn
from autograd import Value, draw_dot
from autograd.render import save

L2 = 1e-4  # micrograd's alpha


def largest_difference(ours: list[float], theirs: list[float]) -> float:
    """max |ours - theirs| over max |theirs|: a norm-wise relative difference."""
    scale = max(abs(t) for t in theirs)
    return max(abs(o - t) for o, t in zip(ours, theirs)) / scale


def torch_loss(torch: Any, tmodel: Any, X: Any, y: Any) -> Any:
    """The same objective as nn.fit's: mean hinge loss plus L2 on every parameter."""
    scores = tmodel(X).squeeze(1)
    data = torch.relu(1 - y * scores).mean()
    return data + L2 * sum((p * p).sum() for p in tmodel.parameters())


def chainrule_step(model: nn.Module, opt: nn.Optimizer, X: list[list[float]],
                   y: list[int]) -> None:
    scores = [model(x) for x in X]
    loss = nn.hinge_loss(scores, y) + nn.l2_penalty(model.parameters(), L2)
    opt.zero_grad()
    loss.backward()
    opt.step()


def time_steps(torch: Any, model: nn.Module, batch: int, pairs: int,
               X: list[list[float]], y: list[int]) -> list[tuple[float, float]]:
    """(chainrule s, PyTorch s) for one step on the same batch, alternating, ``pairs`` times.

    The time is the process's CPU time (PyTorch runs on this one thread), so other
    programs on a shared machine do not stretch it as they stretch wall-clock time, the
    long chainrule step more than the short PyTorch one. Copies are trained, not the
    demo's model. A PyTorch step is short, so each of its timings is the mean of 20
    steps. Garbage is collected, untimed, before each timing.
    """
    ours = copy.deepcopy(model)
    opt = nn.SGD(ours.parameters(), lr=1e-3)
    tmodel = nn.to_torch(model)
    topt = torch.optim.SGD(tmodel.parameters(), lr=1e-3)
    Xb, yb = X[:batch], y[:batch]
    Xt = torch.tensor(Xb, dtype=torch.float64)
    yt = torch.tensor(yb, dtype=torch.float64)
    repeats = 20

    def torch_steps() -> None:
        for _ in range(repeats):
            loss = torch_loss(torch, tmodel, Xt, yt)
            topt.zero_grad()
            loss.backward()
            topt.step()

    torch_steps()  # warm-up: the first call pays for torch's one-time set-up
    gc.freeze()  # what exists now is never garbage: the collections below skip it
    times = []
    for _ in range(pairs):
        gc.collect()
        start = time.process_time()
        chainrule_step(ours, opt, Xb, yb)
        ours_s = time.process_time() - start
        gc.collect()
        start = time.process_time()
        torch_steps()
        times.append((ours_s, (time.process_time() - start) / repeats))
    gc.unfreeze()
    return times


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args("torch_handoff", __doc__.splitlines()[0], argv)
    try:
        import torch
    except ImportError:
        raise SystemExit(f"this demo needs PyTorch: {install_hint('torch')}") from None
    torch.set_num_threads(1)  # a fair contender on a shared machine, and steadier timings
    quick = args.quick
    n_small, steps = (40, 40) if quick else (100, 100)
    n_big, n_test, epochs = (20_000, 5_000, 2) if quick else (100_000, 10_000, 5)
    results: dict[str, float] = {}

    # 1. Train here, as micrograd's demo does.
    X, labels = nn.data.make_moons(n_small, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]
    model = nn.MLP(2, [16, 16, 1], seed=1)
    optimizer = nn.SGD(model, lr=1.0)
    schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    started = time.perf_counter()
    history = nn.fit(model, X, y, loss="hinge", l2=L2, optimizer=optimizer, scheduler=schedule,
                     epochs=steps, verbose=False)
    print(f"chainrule: {steps} steps on {n_small} points, loss (SVM + L2) "
          f"{history['loss'][-1]:.4f}, accuracy {history['accuracy'][-1]:.0%} "
          f"({time.perf_counter() - started:.1f} s)")

    # 2. Export, and check that the torch module computes the same thing.
    tmodel = nn.to_torch(model)
    print(f"\nnn.to_torch(model):\n{tmodel}")
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    loss = torch_loss(torch, tmodel, Xt, yt)
    loss.backward()
    theirs_out = tmodel(Xt).squeeze(1).tolist()
    names = nn.torch_names(model)
    theirs_grad = [tmodel.get_parameter(key).grad[index].item()
                   for key, index in names.values()]
    scores = [model(x) for x in X]
    ours_loss = nn.hinge_loss(scores, y) + nn.l2_penalty(model.parameters(), L2)
    model.zero_grad()
    ours_loss.backward()
    out_diff = largest_difference([s.data for s in scores], theirs_out)
    grad_diff = largest_difference([p.grad for p in model.parameters()], theirs_grad)
    print(f"largest difference (outputs): {out_diff:.2e}")
    print(f"largest difference (gradients): {grad_diff:.2e}")
    results["export_output_difference"] = out_diff
    check(out_diff <= 1e-12 and grad_diff <= 1e-12,
          "the exported model's outputs and gradients equal chainrule's to 1e-12")

    # 3. Continue in PyTorch on far more data than a scalar engine would take.
    X_big, labels_big = nn.data.make_moons(n_big, noise=0.1, seed=2)
    X_test, labels_test = nn.data.make_moons(n_test, noise=0.1, seed=3)
    Xb = torch.tensor(X_big, dtype=torch.float64)
    yb = torch.tensor([2 * t - 1 for t in labels_big], dtype=torch.float64)
    Xtest = torch.tensor(X_test, dtype=torch.float64)
    ytest = torch.tensor([2 * t - 1 for t in labels_test], dtype=torch.float64)

    def test_accuracy() -> float:
        with torch.no_grad():
            return float(((tmodel(Xtest).squeeze(1) > 0) == (ytest > 0)).double().mean())

    before = test_accuracy()
    print(f"\nPyTorch: {n_big:,} samples; accuracy on {n_test:,} new points before: {before:.2%}")
    topt = torch.optim.Adam(tmodel.parameters(), lr=3e-3)
    shuffle = torch.Generator().manual_seed(0)  # its own generator: the global one is left
    started = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(n_big, generator=shuffle)
        total = 0.0
        for i in range(0, n_big, 1000):
            idx = order[i:i + 1000]
            loss = torch_loss(torch, tmodel, Xb[idx], yb[idx])
            topt.zero_grad()
            loss.backward()
            topt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch}  loss (SVM + L2) {total / n_big:.4f}  test accuracy "
              f"{test_accuracy():.2%}  ({time.perf_counter() - started:.1f} s)")
    after = test_accuracy()
    results["accuracy_before"], results["accuracy_after"] = before, after
    print(f"after training in PyTorch: test accuracy {100 * after:.2f}%")
    check(after >= before and after >= 0.95,
          f"PyTorch's training keeps or raises the test accuracy ({before:.2%} -> {after:.2%})")

    # 4. The timing difference, measured now, on this machine.
    print("\none training step on the same batch, chainrule / PyTorch CPU time "
          "(alternating, PyTorch on one thread):")
    for batch, pairs in ([(100, 3)] if quick else [(100, 15), (1000, 5)]):
        times = time_steps(torch, model, batch, pairs, X_big, [int(v) for v in yb.tolist()])
        ours_s, theirs_s = [a for a, _ in times], [b for _, b in times]
        median = statistics.median(ours_s) / statistics.median(theirs_s)
        fastest = min(ours_s) / min(theirs_s)
        print(f"batch {batch:>5}: ratio of medians {median:.0f}x, of minimums {fastest:.0f}x "
              f"over {pairs} pairs (chainrule median {statistics.median(ours_s) * 1e3:.1f} ms, "
              f"min {min(ours_s) * 1e3:.1f} ms; PyTorch median "
              f"{statistics.median(theirs_s) * 1e3:.2f} ms, min {min(theirs_s) * 1e3:.2f} ms)")
        results[f"ratio_{batch}"] = median
    check(results["ratio_100"] > 1, "a PyTorch step is faster than a chainrule step")

    # 5. Back to chainrule: weights checked, then copied; the same outputs again.
    nn.load_torch(model, tmodel)
    sample = X_test[:500]
    with torch.no_grad():
        theirs = tmodel(Xtest[:500]).squeeze(1).tolist()
    ours = nn.predict(model, sample)
    back_diff = largest_difference(ours, theirs)
    ours_accuracy = nn.accuracy(ours, [2 * t - 1 for t in labels_test[:500]])
    print(f"\nnn.load_torch(model, tmodel): largest difference (outputs) {back_diff:.2e}, "
          f"accuracy on 500 new points {ours_accuracy:.2%}")
    check(back_diff <= 1e-12, "the model brought back computes what PyTorch's does, to 1e-12")

    score = model([Value(X[0][0], label="x0"), Value(X[0][1], label="x1")])
    score.label = "score"
    score.backward()
    print("wrote", save(draw_dot(score, collapse=1), picture(args, "model_graph")))
    try:
        from nn.plots import plot_decision_boundary
    except ImportError:
        print(f"(install the plot extra for the decision boundary: {install_hint('plot')})")
    else:
        print("wrote", plot_decision_boundary(
            model, X_test[:300], [2 * t - 1 for t in labels_test[:300]],
            picture(args, "decision_boundary"), resolution=25 if quick else 100,
            title=f"after PyTorch, back in chainrule: {after:.1%} on new points"))
    return results


if __name__ == "__main__":
    main()
