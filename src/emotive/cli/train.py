"""``emotive train``: reproduce a shipped model from ../shared/data (extra ``[train]``)."""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer

from emotive.cli._render import err

OUT_HELP = "Model directory to write (the shipped ones live in src/emotive/models/)."
WORK_HELP = "Checkpoints; a rerun with the same settings resumes from here."
DATA_HELP = "Corpora folder (default: $EMOTIVE_DATA or ../shared/data)."
BASE_HELP = "Base encoder directory (default: the packaged all-MiniLM-L6-v2)."

app = typer.Typer(help="Reproduce the shipped models (needs pip install 'emotive\\[train]').",
                  no_args_is_help=True)


@app.command("goemotions")
def goemotions_command(
    out: Annotated[str, typer.Option(help=OUT_HELP)] = "models/goemotions-minilm-v1",
    work_dir: Annotated[str, typer.Option(help=WORK_HELP)] = ".emotive-train/goemotions",
    data: Annotated[Optional[str], typer.Option(help=DATA_HELP)] = None,
    base: Annotated[Optional[str], typer.Option(help=BASE_HELP)] = None,
    epochs: Annotated[int, typer.Option()] = 3,
    batch_size: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option()] = 6e-5,
    emoji: Annotated[bool, typer.Option(help="Read emoji as their names (ships emoji.json).")] = True,
    emoji_only: Annotated[float, typer.Option(
        help="Share of the training texts holding emoji cut to their emoji alone, each epoch.")] = 0.0,
    extra: Annotated[str, typer.Option(
        help="Extra, weakly labelled corpora, comma-separated: empatheticdialogues "
             "(CC BY-NC 4.0: the model is then non-commercial).")] = "",
    soup_seeds: Annotated[str, typer.Option(
        help="More seeds, comma-separated, fine-tuned the same way and averaged into one model.")] = "",
    loss: Annotated[str, typer.Option(
        help="Fine-tuning loss: asl (asymmetric loss, Ridnik et al. 2021) or bce.")] = "asl",
    limit: Annotated[Optional[int], typer.Option(help="Use only the first N rows of each split (smoke test).")] = None,
) -> None:
    """Fine-tune the GoEmotions 28-label model, tune thresholds on dev, export int8 ONNX."""
    recipe = _recipe("goemotions")
    Config, train = recipe.Config, recipe.train
    cfg = Config(epochs=epochs, batch_size=batch_size, lr=lr, limit=limit, base=base, emoji=emoji,
                 emoji_only=emoji_only, loss=loss,
                 extra=tuple(x.strip() for x in extra.split(",") if x.strip()),
                 soup_seeds=tuple(int(x) for x in soup_seeds.split(",") if x.strip()))
    from emotive.cli._render import step_bar

    with step_bar("training") as update:
        metrics = train(out, work_dir=work_dir, data=data, config=cfg,
                        progress=lambda step, total, loss: update(step, total, f"loss {loss:.3f}"))
    err.print(f"wrote {out}: test macro-F1 {metrics['macro_f1']}, micro-F1 {metrics['micro_f1']}")


TASKS_HELP = "Heads to train, from context7,vad,ed32,cause (context7 is required)."


@app.command("conversation")
def conversation_command(
    out: Annotated[str, typer.Option(help=OUT_HELP)] = "models/conversation-minilm-v1",
    work_dir: Annotated[str, typer.Option(help=WORK_HELP)] = ".emotive-train/conversation",
    data: Annotated[Optional[str], typer.Option(help=DATA_HELP)] = None,
    base: Annotated[Optional[str], typer.Option(help=BASE_HELP)] = None,
    epochs: Annotated[int, typer.Option(help="More epochs than a finished run in --work-dir extend it.")] = 2,
    lr: Annotated[float, typer.Option()] = 6e-5,
    window: Annotated[int, typer.Option(help="Preceding turns the model sees (0: no context).")] = 3,
    speakers: Annotated[bool, typer.Option(help="Mark context turns (same)/(other).")] = True,
    tasks: Annotated[str, typer.Option(help=TASKS_HELP)] = "context7,vad,ed32,cause",
    limit: Annotated[Optional[int], typer.Option(help="First N conversations/rows per corpus (smoke test).")] = None,
) -> None:
    """Fine-tune the conversation model: emotion in context, VAD, EmpatheticDialogues-32."""
    recipe = _recipe("conversation")
    Config, train = recipe.Config, recipe.train
    cfg = Config(epochs=epochs, lr=lr, window=window, speakers=speakers, tasks=tasks,
                 limit=limit, base=base)
    from emotive.cli._render import step_bar

    with step_bar("training") as update:
        metrics = train(out, work_dir=work_dir, data=data, config=cfg,
                        progress=lambda step, total, loss: update(step, total, f"loss {loss:.3f}"))
    err.print(f"wrote {out}: {metrics}")


@app.command("respond")
def respond_command(
    out: Annotated[str, typer.Option(help=OUT_HELP)] = "models/respond-minilm-v1",
    work_dir: Annotated[str, typer.Option(help=WORK_HELP)] = ".emotive-train/respond",
    data: Annotated[Optional[str], typer.Option(help=DATA_HELP)] = None,
    base: Annotated[Optional[str], typer.Option(help=BASE_HELP)] = None,
    limit: Annotated[Optional[int], typer.Option(help="First N dialogues/triples per split (smoke test).")] = None,
) -> None:
    """Export the sentence encoder; fit the ESConv strategy planner and the PELD persona heads."""
    recipe = _recipe("respond")
    Config, train = recipe.Config, recipe.train
    metrics = train(out, work_dir=work_dir, data=data, config=Config(limit=limit, base=base),
                    progress=lambda msg: err.print(f"[dim]{msg}...[/dim]"))
    err.print(f"wrote {out}: {metrics}")


def _recipe(name: str):  # noqa: ANN202 - a training module
    """``emotive.training.<name>``, or the error that names the missing extra; logs at INFO."""
    from importlib import import_module

    from emotive._errors import missing_extra

    try:
        module = import_module(f"emotive.training.{name}")
    except ImportError as exc:
        raise missing_extra("train", exc.name or "torch") from exc
    _logging()
    return module


def _logging() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("emotive").setLevel(logging.INFO)


@app.command("vad-anchors")
def vad_anchors_command(
    model: Annotated[Optional[str], typer.Option(help="Conversation model (its VAD head).")] = None,
    data: Annotated[Optional[str], typer.Option(help="Corpora folder.")] = None,
    out: Annotated[Optional[str], typer.Option(help="Where to write (default: the package's taxonomy).")] = None,
) -> None:
    """Derive each GoEmotions label's VAD anchor from data (GoEmotions train x the VAD head)."""
    from pathlib import Path

    from emotive.training import vad_anchors

    anchors = vad_anchors.derive(model, data)
    path = vad_anchors.write(anchors, Path(out) if out else vad_anchors.OUT)
    err.print(f"wrote {path} ({len(anchors['labels'])} labels)")


@app.command("triggers")
def triggers_command(
    model: Annotated[str, typer.Option(
        help="GoEmotions model directory to add the head to.")] = "models/goemotions-minilm-v1",
    data: Annotated[Optional[str], typer.Option(help=DATA_HELP)] = None,
    texts: Annotated[int, typer.Option(help="GoEmotions train texts whose occlusion drops the head learns.")] = 4000,
    alpha: Annotated[float, typer.Option(help="Ridge penalty.")] = 10.0,
) -> None:
    """Fit the one-pass trigger head of a GoEmotions model (also the last step of
    ``emotive train goemotions``): occlusion drops on train texts, ridge on token states."""
    import numpy as np

    from emotive.datasets import goemotions

    recipe = _recipe("token_states")
    rows = [r.text for r in goemotions.read("train", data)]
    pick = np.random.default_rng(0).permutation(len(rows))[:texts]
    from emotive.cli._render import step_bar

    with step_bar("occlusion targets") as update:
        info = recipe.fit_trigger_head(model, [rows[i] for i in pick], alpha=alpha,
                                       progress=lambda done, total: update(done, total, ""))
    err.print(f"wrote {model}/triggers.npz: {info['units']} words of {info['texts']} texts")


@app.command("safety")
def safety_command(
    model: Annotated[str, typer.Option(help="Model directory that gets the crisis head (its encoder is used).")]
    = "src/emotive/models/respond-minilm-v1",
    work_dir: Annotated[str, typer.Option(help="Cached embeddings.")] = ".emotive-train/safety",
    data: Annotated[Optional[str], typer.Option(help=DATA_HELP)] = None,
    contrast: Annotated[Optional[str], typer.Option(help="Contrast set folder with train/ and eval/ "
                                                         "(default: benchmarks/data/safety).")] = None,
) -> None:
    """Fit the safety classifier (crisis head): C-SSRS Reddit posts, the contrast set and
    GoEmotions negatives; calibrated and thresholded on cross-fitted scores."""
    recipe = _recipe("safety")
    metrics = recipe.train(model, work_dir=work_dir, data=data, config=recipe.Config(contrast=contrast),
                           progress=lambda msg: err.print(f"[dim]{msg}...[/dim]"))
    err.print(f"wrote {model}/crisis.npz: threshold {metrics['threshold']}, L2 {metrics['l2']}")


@app.command("replies")
def replies_command(
    out: Annotated[str, typer.Option(help=OUT_HELP)] = "models/replies-ed-esconv-v1",
    data: Annotated[Optional[str], typer.Option(help=DATA_HELP)] = None,
    per_strategy: Annotated[int, typer.Option(help="ESConv replies kept per gold strategy.")] = 375,
    per_emotion: Annotated[int, typer.Option(help="EmpatheticDialogues replies kept per emotion label.")] = 94,
) -> None:
    """Build the retrieval backend's packaged reply index (filtered, de-duplicated, sampled)."""
    from emotive.cli._render import step_bar
    from emotive.training import replies

    _logging()
    with step_bar("reply index") as update:
        counts = replies.train(out, data=data, per_strategy=per_strategy, per_emotion=per_emotion,
                               progress=lambda what, done, total: update(done, total, what))
    err.print(f"wrote {out}: {counts['candidates']} replies")
