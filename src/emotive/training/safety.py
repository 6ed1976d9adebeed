"""Recipe for the crisis head (``crisis.npz``) of ``emotive.respond-minilm.v1``: the safety
check's classifier layer (``respond.safety``), three classes ``none`` / ``self_harm`` /
``harm_to_others`` on the frozen MiniLM sentence embedding of ``respond.safety.prepare(text)``.

Data (nothing downloads):

- ``cssrs_reddit`` (Gaur et al. 2019, CC BY per the Zenodo record): Reddit posts with expert
  C-SSRS labels. Post labels ideation / behavior / attempt / indicator are ``self_harm``,
  supportive / uninformative are ``none``; a post without its own label takes its user's
  label. Split **by user** (seeded hash): train / dev / test users. The text carries the
  authors' medical-concept normalisation ("Asthenia" for tired) and stripped apostrophes.
- the contrast set in ``benchmarks/data/safety/train`` (ours, Apache-2.0): chat-style risk
  messages (indirect, slang, misspelled, plans, goodbyes, threats to others) and hard
  negatives (idioms, gaming, sports, fiction, clinical and third-person talk, tech). It is
  cross-fitted in ``folds`` seeded folds, so each of its messages gets a score from a
  model that did not see it (these scores calibrate and set the threshold).
  ``benchmarks/data/safety/eval`` is never read for fitting, only for the test metrics.
- GoEmotions train (Apache-2.0) comments without any death, harm or weapon word, as
  everyday negatives (a third as many from GoEmotions dev for the calibration set).

Fit (``respond.safety.CrisisHead``): multinomial logistic regression with per-example
weights (source weight x class balance); the nearest-neighbour margin to the contrast
set's examples (risk vs none, ``k`` closest); the two stacked and calibrated by weighted
Platt scaling on the calibration set (the contrast set's out-of-fold scores, the C-SSRS dev
users, GoEmotions dev); then the threshold on the calibrated risk: the lowest that keeps
the false-positive rate of the rules and the classifier together at or below ``dev_fpr`` on
each group of calibration negatives (contrast, GoEmotions). L2 and ``k`` are chosen by that
threshold's recall on the contrast risk messages. Deterministic from an empty
``work_dir``: seeded splits, full-batch L-BFGS in float64 on one thread; embeddings are
cached there per text.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emotive._errors import ConfigError
from emotive.models import LinearHead, SentenceEncoder, load_manifest, write_manifest
from emotive.respond.safety import CrisisHead, Safety, prepare

LABELS = ("none", "self_harm", "harm_to_others")
CSSRS_RISK = ("ideation", "behavior", "attempt", "indicator")
CSSRS_NONE = ("supportive", "uninformative")
CSSRS_LICENSE = "CC BY (Zenodo doi:10.5281/zenodo.2667859, per OpenAIRE; the GitHub repo states none)"
CONTRAST_LICENSE = "Apache-2.0 (written for emotive)"
# GoEmotions comments with any of these stems are left out of the everyday negatives.
RISKY_WORDS = re.compile(
    r"di(e|es|ed|ing)\b|dead|death|kill|suicid|murder|shoot|shot|stab|hurt|harm|cut|alive|live|"
    r"living|life|pill|overdos|gun|knife|hang|jump|bridge|blood|bleed|better off|goodbye|gone|"
    r"disappear|exist|burden|worthless|hate myself|end it|rope|wrist|funeral|grave|weapon|bomb|"
    r"attack|threat|revenge|choke|strangl|poison|drown|burn|slit|noose|razor|unalive|kms|kys",
    re.IGNORECASE)
DATA = [
    {"name": "Reddit C-SSRS suicide-risk posts (500 users)", "source": "Gaur et al. 2019",
     "license": CSSRS_LICENSE, "commercial_use": True, "used_by": "crisis"},
    {"name": "emotive safety contrast set", "source": "benchmarks/data/safety (emotive)",
     "license": CONTRAST_LICENSE, "commercial_use": True, "used_by": "crisis"},
    {"name": "GoEmotions (everyday negatives)", "source": "Demszky et al. 2020",
     "license": "Apache-2.0", "commercial_use": True, "used_by": "crisis"},
]
CARD_START, CARD_END = "<!-- crisis head: written by emotive train safety -->", "<!-- /crisis head -->"


@dataclass
class Config:
    """Settings; the defaults reproduce the shipped head."""

    seed: int = 13
    contrast: str | None = None  # folder with train/ and eval/ (default: benchmarks/data/safety)
    dev_users: float = 0.1
    test_users: float = 0.2
    folds: int = 5  # cross-fitting folds of the contrast set (its scores for calibration)
    user_posts: int = 10  # posts taken from each user who has user-level labels only
    post_chars: int = 600  # of each Reddit post that is encoded (about 130 tokens)
    goemotions: int = 3000  # everyday negatives from GoEmotions train (0: none)
    weights: dict[str, float] = field(default_factory=lambda: {"contrast": 3.0, "cssrs": 0.2, "goemotions": 0.5})
    l2_grid: tuple[float, ...] = (1e-2, 3e-2, 1e-1)
    knn_k: tuple[int, ...] = (5, 8)
    dev_fpr: float = 0.05  # the threshold keeps rules + classifier at or below this on dev negatives
    iters: int = 300


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # index into LABELS
    source: str  # contrast | cssrs | goemotions
    group: str = ""  # the user (cssrs) or the kind (contrast)


# -- data ------------------------------------------------------------------------------
def default_contrast_dir() -> Path:
    """``benchmarks/data/safety`` of the checkout (looked for from the current directory up,
    then beside the package source)."""
    here = Path(__file__).resolve()
    for base in [Path.cwd(), *Path.cwd().parents, *here.parents]:
        cand = base / "benchmarks" / "data" / "safety"
        if (cand / "train").is_dir():
            return cand
    raise ConfigError("cannot find benchmarks/data/safety (the contrast set); run from the repository "
                      "root or pass Config(contrast=PATH)")


def read_contrast(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(text, kind)`` for each message of a contrast file (``[kind]`` headers, ``#`` comments)."""
    out, kind = [], ""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            kind = line[1:-1]
            continue
        out.append((line, kind))
    return out


def contrast_examples(folder: str | os.PathLike[str]) -> list[Example]:
    """Every message of ``folder/{none,self_harm,harm_to_others}*.txt``, labelled by the
    file name's prefix."""
    rows = []
    for label in LABELS:
        for path in sorted(Path(folder).glob(f"{label}*.txt")):
            rows += [Example(t, LABELS.index(label), "contrast", k) for t, k in read_contrast(path)]
    if not rows:
        raise ConfigError(f"no contrast files in {folder} (expected none*.txt, self_harm*.txt, harm_to_others*.txt)")
    return rows


def cssrs_posts(root: str | os.PathLike[str] | None = None, *, user_posts: int | None = 10,
                post_labels_only: bool = False) -> list[Example]:
    """Reddit C-SSRS posts as examples (``group`` = the user): post-level labels where the
    post has one, else the user's label; users of the 500-user CSV without annotated posts
    give their first ``user_posts`` posts with the user's label."""
    from emotive.datasets import corpus_dir

    folder = corpus_dir("cssrs_reddit", root)
    out: list[Example] = []
    seen = set()
    for line in (folder / "posts.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        seen.add(row["user_id"])
        label = row.get("label") or (None if post_labels_only else str(row["user_label"]).lower())
        if label is None or not str(row.get("text") or "").strip():
            continue
        out.append(Example(row["text"], _cssrs_label(label), "cssrs", row["user_id"]))
    if post_labels_only:
        return out
    for line in (folder / "users.jsonl").read_text(encoding="utf-8").splitlines():
        user = json.loads(line)
        if user["user_id"] in seen:
            continue
        posts = [p for p in user["posts"] if str(p).strip()][:user_posts]
        out += [Example(p, _cssrs_label(str(user["label"]).lower()), "cssrs", user["user_id"]) for p in posts]
    return out


def _cssrs_label(label: str) -> int:
    if label in CSSRS_RISK:
        return LABELS.index("self_harm")
    if label in CSSRS_NONE:
        return LABELS.index("none")
    raise ConfigError(f"unknown C-SSRS label {label!r}; expected one of {CSSRS_RISK + CSSRS_NONE}")


def goemotions_negatives(split: str, n: int, seed: int, root: str | os.PathLike[str] | None = None) -> list[Example]:
    """``n`` GoEmotions comments of ``split`` with no risky word (seeded choice)."""
    from emotive.datasets import goemotions

    if n <= 0:
        return []
    rows = [r.text for r in goemotions.read(split, root) if not RISKY_WORDS.search(r.text)]
    rows = sorted(set(rows), key=lambda t: _hash(seed, t))[:n]
    return [Example(t, 0, "goemotions", "everyday") for t in rows]


def split_of(key: str, seed: int, dev: float, test: float = 0.0) -> str:
    """``train``, ``dev`` or ``test`` for a user or a text, by a seeded hash."""
    u = _hash(seed, key) / 2**64
    return "test" if u < test else "dev" if u < test + dev else "train"


def _hash(seed: int, text: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}\x00{text}".encode()).digest()[:8], "big")


def datasets(cfg: Config, data: str | None) -> dict[str, list[Example]]:
    """The train and dev examples, the held-out test users and the contrast eval set."""
    contrast_dir = Path(cfg.contrast) if cfg.contrast else default_contrast_dir()
    sets: dict[str, list[Example]] = {"train": [], "dev": [], "cssrs_test": [], "contrast_eval": []}
    sets["train"] += contrast_examples(contrast_dir / "train")
    for ex in cssrs_posts(data, user_posts=cfg.user_posts):
        part = split_of(ex.group, cfg.seed, cfg.dev_users, cfg.test_users)
        ex = Example(ex.text[:cfg.post_chars], ex.label, ex.source, ex.group)
        sets["cssrs_test" if part == "test" else part].append(ex)
    sets["cssrs_test"] = [e for e in cssrs_posts(data, post_labels_only=True)
                          if split_of(e.group, cfg.seed, cfg.dev_users, cfg.test_users) == "test"]
    sets["train"] += goemotions_negatives("train", cfg.goemotions, cfg.seed, data)
    sets["dev"] += goemotions_negatives("dev", cfg.goemotions // 3, cfg.seed, data)
    if (contrast_dir / "eval").is_dir():
        sets["contrast_eval"] = contrast_examples(contrast_dir / "eval")
    return sets


# -- fitting ---------------------------------------------------------------------------
def sample_weights(examples: Sequence[Example], source_weights: dict[str, float]) -> np.ndarray:
    """Source weight times a class factor that gives every class the same total weight."""
    w = np.array([source_weights.get(e.source, 1.0) for e in examples], dtype=np.float64)
    y = np.array([e.label for e in examples])
    for k in range(len(LABELS)):
        total = w[y == k].sum()
        if total > 0:
            w[y == k] *= w.sum() / (len(LABELS) * total)
    return w / w.mean()


def fit_weighted_softmax(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, iters: int = 300) -> LinearHead:
    """Weighted multinomial logistic regression, full-batch L-BFGS in float64 on one thread."""
    from emotive.training._base import torch

    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) < 1e-6, 1.0, x.std(axis=0))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        xt = torch.tensor((x - mean) / scale, dtype=torch.float64)
        yt, wt = torch.tensor(y, dtype=torch.long), torch.tensor(w, dtype=torch.float64)
        weight = torch.zeros(x.shape[1], len(LABELS), dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(len(LABELS), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=iters, line_search_fn="strong_wolfe")

        def closure():  # type: ignore[no-untyped-def]
            opt.zero_grad()
            nll = torch.nn.functional.cross_entropy(xt @ weight + bias, yt, reduction="none")
            loss = (nll * wt).mean() + l2 * (weight * weight).sum()
            loss.backward()
            return loss

        opt.step(closure)
    finally:
        torch.set_num_threads(threads)
    return LinearHead(weight.detach().numpy().copy(), bias.detach().numpy().copy(), mean, scale, LABELS, True)


def platt(features: np.ndarray, risk: np.ndarray, w: np.ndarray, iters: int = 200) -> np.ndarray:
    """Weighted logistic regression of ``risk`` on ``features`` (Platt scaling, stacked):
    the coefficients, then the intercept."""
    from emotive.training._base import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        f = torch.tensor(features, dtype=torch.float64)
        y, wt = torch.tensor(risk, dtype=torch.float64), torch.tensor(w, dtype=torch.float64)
        coef = torch.zeros(features.shape[1] + 1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([coef], lr=1.0, max_iter=iters, line_search_fn="strong_wolfe")

        def closure():  # type: ignore[no-untyped-def]
            opt.zero_grad()
            logits = f @ coef[:-1] + coef[-1]
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none") * wt).mean()
            loss.backward()
            return loss

        opt.step(closure)
    finally:
        torch.set_num_threads(threads)
    return coef.detach().numpy().copy()


def choose_threshold(scores: np.ndarray, risk: np.ndarray, rules: np.ndarray, negatives: dict[str, np.ndarray],
                     max_fpr: float) -> float:
    """The lowest threshold on ``scores`` (most recall) whose flags, together with the rules'
    (``rules``), keep the false-positive rate on every negative group at or below ``max_fpr``.

    >>> choose_threshold(np.array([.9, .2, .6, .1]), np.array([1, 0, 1, 0]), np.zeros(4, bool),
    ...                  {"neg": np.array([False, True, False, True])}, 0.0)
    0.6
    """
    groups = [g for g in negatives.values() if g.any()]
    if any(rules[g].mean() > max_fpr + 1e-12 for g in groups):
        rules = np.zeros_like(rules)  # the rules alone break the bound: bound the classifier alone
    candidates = np.unique(np.round(scores, 4))
    best = 0.99
    for t in sorted(candidates, reverse=True):
        flags = rules | (scores >= t)
        if any(flags[g].mean() > max_fpr + 1e-12 for g in groups):
            break
        best = float(t)
    return float(min(max(best, 0.05), 0.99))


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95% interval of a proportion ``k / n``.

    >>> [round(v, 3) for v in wilson(9, 10)]
    [0.596, 0.982]
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(flags: Iterable[bool]) -> dict[str, Any]:
    """``k``, ``n``, the rate and its Wilson 95% interval."""
    f = list(flags)
    k, n = int(sum(f)), len(f)
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": round(k / n, 4) if n else None, "ci95": [round(lo, 4), round(hi, 4)]}


# -- the recipe ------------------------------------------------------------------------
def encode_cached(encoder: SentenceEncoder, texts: Sequence[str], work: Path, say: Callable[[str], None]) -> np.ndarray:
    """Embeddings of ``prepare(text)``, cached per text in ``work`` (keyed by the graph's hash)."""
    graph = hashlib.sha256(encoder.manifest.file("model").read_bytes()).hexdigest()[:16]
    path = work / f"embeddings-{graph}.npz"
    store: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as f:
            store = dict(zip((str(k) for k in f["keys"]), f["vectors"]))
    keys = [hashlib.sha256(prepare(t).encode("utf-8")).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in store}.items())
    if todo:
        say(f"encoding {len(todo)} texts")
        vecs = encoder.encode([prepare(t) for _, t in todo])
        store.update({k: v for (k, _), v in zip(todo, vecs)})
        tmp = work / f".{path.name}.tmp.npz"
        np.savez(tmp, keys=np.array(sorted(store)), vectors=np.stack([store[k] for k in sorted(store)]))
        os.replace(tmp, path)
    return np.stack([store[k] for k in keys]).astype(np.float64)


def train(model_dir: str | os.PathLike[str], *, work_dir: str | os.PathLike[str], data: str | None = None,
          config: Config | None = None, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit the crisis head and write it into ``model_dir`` (a sentence-encoder model
    directory: its manifest gains ``files.crisis`` and a ``crisis`` section, its card a section)."""
    cfg = config or Config()
    say = progress or (lambda msg: None)
    folder, work = Path(model_dir), Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    encoder = SentenceEncoder(folder)
    sets = datasets(cfg, data)
    x = {k: encode_cached(encoder, [e.text for e in v], work, say) for k, v in sets.items() if v}
    y = {k: np.array([e.label for e in v]) for k, v in sets.items() if v}
    rules = Safety(model=False)
    flags = {k: np.array([rules.rules_match(e.text) is not None for e in v]) for k, v in sets.items() if v}
    say("fitting")
    fit = _fit(cfg, x, y, sets, flags)
    head, threshold = fit["head"], fit["threshold"]
    metrics = {"calibration": _scored(fit["scores"] >= threshold, fit["flags"], fit["risk"])}
    for split in ("cssrs_test", "contrast_eval"):
        if split in x:
            metrics[split] = _scored(head.scores(x[split])[0] >= threshold, flags[split], y[split] > 0)
    head.save(folder / "crisis.npz")
    spec = {"labels": list(LABELS), "threshold": round(threshold, 4), "l2": fit["l2"], "knn_k": fit["k"],
            "exemplars": int(len(head.exemplars)),
            "input": "emotive.respond.safety.prepare(text)",
            "score": "sigmoid(a * logit(1 - p(none)) + b * nearest-neighbour margin + c), Platt-scaled on the "
                     "calibration set (contrast set out of fold, C-SSRS dev users, GoEmotions dev)",
            "stack": [round(float(v), 6) for v in head.stack],
            "training": {**asdict(cfg), "counts": {k: _counts(v) for k, v in sets.items()}},
            "metrics": metrics}
    _register(folder, spec)
    return {"threshold": spec["threshold"], "l2": fit["l2"], "knn_k": fit["k"], **metrics}


def _fit(cfg: Config, x: dict[str, np.ndarray], y: dict[str, np.ndarray], sets: dict[str, list[Example]],
         flags: dict[str, np.ndarray]) -> dict[str, Any]:
    """The best (L2, k) by recall on the calibration set at its threshold: the contrast set's
    scores come from ``cfg.folds`` models that did not see them (cross-fitting), the dev
    users' and GoEmotions dev scores from the model fitted on all the training data."""
    tr = sets["train"]
    w = sample_weights(tr, cfg.weights)
    is_c = np.array([e.source == "contrast" for e in tr])
    idx_c = np.flatnonzero(is_c)
    fold = np.array([_hash(cfg.seed + 1, e.text) % cfg.folds if c else -1 for e, c in zip(tr, is_c)])
    cal_ex = [tr[i] for i in idx_c] + list(sets["dev"])
    risk = np.concatenate([y["train"][idx_c], y["dev"]]) > 0
    cal_flags = np.concatenate([flags["train"][idx_c], flags["dev"]])
    cal_w, negatives = sample_weights(cal_ex, cfg.weights), _negative_groups(cal_ex)
    best: dict[str, Any] | None = None
    for l2 in cfg.l2_grid:
        full = fit_weighted_softmax(x["train"], y["train"], w, l2, cfg.iters)
        parts = [fit_weighted_softmax(x["train"][fold != f], y["train"][fold != f], w[fold != f], l2, cfg.iters)
                 for f in range(cfg.folds)]
        for k in cfg.knn_k:
            feats = np.zeros((len(idx_c), 2))
            for f, linear in enumerate(parts):
                keep, sel = is_c & (fold != f), fold[idx_c] == f
                part = CrisisHead(linear, x["train"][keep], y["train"][keep] > 0, k, np.zeros(3))
                feats[sel] = part.features(x["train"][idx_c[sel]])[1]
            head = CrisisHead(full, x["train"][is_c], y["train"][is_c] > 0, k, np.zeros(3))
            cal = np.concatenate([feats, head.features(x["dev"])[1]])
            head.stack = platt(cal, risk.astype(float), cal_w)
            scores = 1.0 / (1.0 + np.exp(-(cal @ head.stack[:2] + head.stack[2])))
            t = choose_threshold(scores, risk, cal_flags, negatives, cfg.dev_fpr)
            recall = _recall(scores >= t, cal_flags, cal_ex)
            if best is None or recall > best["recall"] + 1e-9:
                best = {"recall": recall, "l2": l2, "k": k, "head": head, "threshold": t, "scores": scores,
                        "flags": cal_flags, "risk": risk}
    assert best is not None
    return best


def _negative_groups(examples: Sequence[Example]) -> dict[str, np.ndarray]:
    none = np.array([e.label == 0 for e in examples])
    src = np.array([e.source for e in examples])
    return {s: none & (src == s) for s in ("contrast", "goemotions")}


def _recall(flags: np.ndarray, rules: np.ndarray, examples: Sequence[Example]) -> float:
    risk = np.array([e.label > 0 and e.source == "contrast" for e in examples])
    return float((flags | rules)[risk].mean()) if risk.any() else 0.0


def _scored(classifier: np.ndarray, rules: np.ndarray, risk: np.ndarray) -> dict[str, Any]:
    """Recall on risk and false-positive rate on the rest: classifier, rules, both."""
    return {name: {"recall": rate(f[risk]), "fpr": rate(f[~risk])}
            for name, f in (("classifier", classifier), ("rules", rules), ("both", classifier | rules))}


def _counts(examples: Sequence[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        key = f"{e.source}:{LABELS[e.label]}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _register(folder: Path, spec: dict[str, Any]) -> None:
    """Add the head to the manifest (files, sha256, data, the ``crisis`` section) and the card."""
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw.pop("sha256", None)
    raw["files"]["crisis"] = "crisis.npz"
    raw["crisis"] = spec
    names = {d["name"] for d in raw.get("data", [])}
    raw["data"] = raw.get("data", []) + [d for d in DATA if d["name"] not in names]
    write_manifest(folder, raw)
    load_manifest(folder)  # the result must read back
    _card(folder, spec)


def _card(folder: Path, spec: dict[str, Any]) -> None:
    path = folder / "README.md"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {folder.name}\n"
    start, end = text.find(CARD_START), text.find(CARD_END)
    if start >= 0 and end > start:
        text = text[:start].rstrip("\n") + "\n\n" + text[end + len(CARD_END):].lstrip("\n")
    rows = []
    for split, m in spec["metrics"].items():
        for layer in ("rules", "classifier", "both"):
            r, f = m[layer]["recall"], m[layer]["fpr"]
            rows.append(f"| {split} | {layer} | {r['rate']} [{r['ci95'][0]}, {r['ci95'][1]}] (n={r['n']}) | "
                        f"{f['rate']} [{f['ci95'][0]}, {f['ci95'][1]}] (n={f['n']}) |")
    counts = spec["training"]["counts"]
    section = f"""{CARD_START}
## Crisis head (`crisis.npz`, the safety check's classifier)
Three classes ({', '.join(spec['labels'])}) from the frozen embedding of
`respond.safety.prepare(text)`: a linear softmax head (L2 {spec['l2']}) and the
nearest-neighbour margin to {spec['exemplars']} contrast-set examples (k = {spec['knn_k']}), stacked
and calibrated by Platt scaling on the calibration set (the contrast set's cross-fitted scores,
C-SSRS dev users, GoEmotions dev); threshold {spec['threshold']} on the calibrated risk, chosen there:
rules and classifier together keep each negative group's false-positive rate at or below
{spec['training']['dev_fpr']}. The calibration rows are in-sample for the threshold.
Training data: Reddit C-SSRS posts (Gaur et al. 2019; {CSSRS_LICENSE};
split by user), the emotive contrast set (benchmarks/data/safety/train, {CONTRAST_LICENSE}) and
GoEmotions everyday negatives (Apache-2.0). Counts: {', '.join(f'{k} {v}' for k, v in counts['train'].items())}.

| split | layer | recall [95% CI] | false-positive rate [95% CI] |
|---|---|---|---|
{chr(10).join(rows)}

The encoder reads English: Spanish, French, German, Chinese, Portuguese and Italian crisis
phrases rest on the rules. More sets (OpenAI moderation, XSTest, evasions, multi-turn) and
latency: benchmarks/results/safety.md. Reproduce: `emotive train safety`.
{CARD_END}
"""
    path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
