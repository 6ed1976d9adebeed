"""Settings every training recipe shares (torch-free: benchmarks read recipes' configs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    """Fine-tuning settings; each recipe subclasses it with its own defaults and fields."""

    epochs: int = 3
    batch_size: int = 32
    lr: float = 6e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 128
    seed: int = 13
    limit: int | None = None  # use only the first N rows / conversations (smoke tests)
    checkpoint_every: int = 200
    base: str | None = None  # base encoder directory (default: the packaged MiniLM)
