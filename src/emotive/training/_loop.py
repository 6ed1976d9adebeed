"""The training loop every recipe shares: AdamW, warmup + linear decay, checkpoint, resume.

A recipe gives ``step_loss(epoch, pos)`` (the loss of batch ``pos`` of ``epoch``, batches
fixed by the seed so a resumed run sees the same order) and ``on_epoch(epoch)`` (dev
metrics to log). The checkpoint holds model, optimizer, schedule, step and the settings; a
rerun with the same settings resumes from it; a rerun asking only for more epochs extends
the run (the learning-rate schedule becomes the longer run's); other settings are refused.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emotive.training import _base
from emotive.training._base import torch

log = logging.getLogger("emotive.training")


def similar_length_batches(lengths: Sequence[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar-length items (sorted within chunks of 50 batches)."""
    rng = random.Random(seed)
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    batches = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s:s + chunk], key=lambda i: lengths[i])
        batches += [part[j:j + batch_size] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def _schedule(total: int, warmup: float) -> Callable[[int], float]:
    warm = max(1, int(total * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    return factor


def fit(model: Any, *, steps_per_epoch: int, settings: dict[str, Any], work: Path,
        step_loss: Callable[[int, int], Any], on_epoch: Callable[[int], dict] | None = None,
        progress: Callable[[int, int, float], None] | None = None) -> None:
    """Train ``model`` for ``settings["epochs"]`` epochs, checkpointing into ``work``."""
    total = steps_per_epoch * settings["epochs"]
    opt = _optimizer(model, settings)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _schedule(total, settings["warmup"]))
    step = _resume(model, opt, sched, settings, work)
    model.train()
    t0 = time.time()
    while step < total:
        loss = step_loss(*divmod(step, steps_per_epoch))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        step += 1
        if progress is not None:
            progress(step, total, loss.item())
        if step % 50 == 0:
            log.info("step %d/%d loss %.4f (%.2f s/step)", step, total, loss.item(),
                     (time.time() - t0) / 50)
            t0 = time.time()
        if step % settings["checkpoint_every"] == 0 or step % steps_per_epoch == 0:
            _checkpoint(model, opt, sched, step, settings, work)
        if step % steps_per_epoch == 0 and on_epoch is not None:
            _log_epoch(step // steps_per_epoch, model, on_epoch, work)


def _optimizer(model: Any, settings: dict[str, Any]) -> Any:
    named = list(model.named_parameters())
    no_decay = [p for n, p in named if "LayerNorm" in n or "bias" in n]
    decay = [p for n, p in named if not ("LayerNorm" in n or "bias" in n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": settings["weight_decay"]},
                              {"params": no_decay, "weight_decay": 0.0}], lr=settings["lr"])


def _log_epoch(epoch: int, model: Any, on_epoch: Callable[[int], dict], work: Path) -> None:
    model.eval()
    with torch.inference_mode():
        metrics = on_epoch(epoch)
    model.train()
    log.info("epoch %d done: dev %s", epoch, metrics)
    with (work / "epochs.jsonl").open("a") as fh:
        fh.write(json.dumps({"epoch": epoch, **metrics}) + "\n")


def _checkpoint(model: Any, opt: Any, sched: Any, step: int, settings: dict, work: Path) -> None:
    _base.save_atomic({"model": model.state_dict(), "opt": opt.state_dict(),
                       "sched": sched.state_dict(), "step": step, "config": settings},
                      work / "checkpoint.pt")


def _same_run(saved: dict, settings: dict) -> bool:
    """Same settings, or the same run asked for more epochs (extending it continues it)."""
    rest = {k: v for k, v in settings.items() if k != "epochs"}
    return ({k: v for k, v in saved.items() if k != "epochs"} == rest
            and saved.get("epochs", 0) <= settings["epochs"])


def _resume(model: Any, opt: Any, sched: Any, settings: dict, work: Path) -> int:
    path = work / "checkpoint.pt"
    if not path.exists():
        return 0
    state = torch.load(path, weights_only=False)
    if not _same_run(state["config"], settings):
        raise SystemExit(f"{path} was made with other settings {state['config']}; "
                         "delete it or use another --work-dir")
    if state["config"]["epochs"] != settings["epochs"]:
        log.info("extending the run in %s from %d to %d epochs (the schedule follows the longer run)",
                 path.parent, state["config"]["epochs"], settings["epochs"])
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    log.info("resumed from %s at step %d", path, state["step"])
    return int(state["step"])
