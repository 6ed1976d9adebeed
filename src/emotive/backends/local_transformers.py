"""A local causal language model on the CPU through transformers (``pip install 'emotive[local]'``).

The model directory is loaded once, on first use, from local files only. The prompt uses
the tokenizer's chat template when it has one, else a plain ``role: content`` transcript
ending in ``assistant:``. Temperature 0 decodes greedily; anything above samples.

>>> backend = TransformersBackend(path="models/qwen2.5-0.5b-instruct", threads=2)  # doctest: +SKIP
>>> backend.generate([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
'Hello! How can I help you today?'
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from emotive._errors import BackendError, ConfigError, ModelError, missing_extra
from emotive.backends._base import Backend, BackendOptions, GenerateOptions, GenerateResult, Message, message_dicts


class TransformersOptions(BackendOptions):
    """Options of the local transformers backend."""

    path: Path = Field(description="model directory saved with save_pretrained (config.json, weights, tokenizer)")
    max_new_tokens: int | None = Field(None, ge=1, description="new tokens per reply; None uses the call's "
                                                               "GenerateOptions.max_tokens")
    threads: int | None = Field(None, ge=1, description="torch CPU threads (process-wide); None keeps torch's default")


class TransformersBackend(Backend):
    """A local causal language model directory, run on the CPU with transformers."""

    name = "transformers"
    can_stream = True
    Options = TransformersOptions
    options: TransformersOptions

    def __init__(self, **options: Any):
        super().__init__(**options)
        _check_model_dir(self.options.path)  # fail at once, not on the first reply
        _check_installed()
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """Only the newly generated text, stripped; metadata: the model directory and the
        number of new tokens.

        >>> local = TransformersBackend(path="models/tiny-gpt2")  # doctest: +SKIP
        >>> local.generate([{"role": "user", "content": "hi"}]).text  # doctest: +SKIP
        'hello'
        """
        model, tokenizer = self.load()
        inputs = self._inputs(messages)
        try:
            output = model.generate(**inputs, **self._generation_kwargs(options))
        except Exception as exc:
            raise self._failed(exc) from exc
        new = output[0, inputs["input_ids"].shape[1]:]
        text = str(tokenizer.decode(new, skip_special_tokens=True)).strip()
        return GenerateResult(text, {"model": str(self.options.path), "new_tokens": int(new.shape[0])})

    def stream(self, messages: Sequence[Message],
               options: GenerateOptions | None = None) -> Generator[str, None, GenerateResult]:
        """The new text in pieces as it is generated in a background thread; joined, it equals
        :meth:`generate`'s text.

        >>> "".join(TransformersBackend(path="models/tiny-gpt2").stream([]))  # doctest: +SKIP
        'hello'
        """
        model, tokenizer = self.load()
        from transformers import TextIteratorStreamer

        inputs = self._inputs(messages)
        kwargs = self._generation_kwargs(options)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                model.generate(**inputs, **kwargs, streamer=streamer, stopping_criteria=_stop_on(stop))
            except BaseException as exc:  # handed to the caller's thread below
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, name="emotive-transformers-stream", daemon=True)
        thread.start()
        try:
            yield from _stripped(streamer)
        finally:
            stop.set()  # a caller that stops reading early stops the generation too
            thread.join()
        if errors:
            raise self._failed(errors[0]) from errors[0]
        return GenerateResult("", {"model": str(self.options.path)})

    def load(self) -> tuple[Any, Any]:
        """The model and tokenizer, loaded on first use (thread-safe).

        >>> model, tokenizer = TransformersBackend(path="models/tiny-gpt2").load()  # doctest: +SKIP
        """
        with self._lock:
            if self._model is None:
                self._model, self._tokenizer = _load(self.options.path, self.options.threads)
        return self._model, self._tokenizer

    def _inputs(self, messages: Sequence[Message]) -> Any:
        text, templated = prompt_text(self._tokenizer, message_dicts(messages))
        return self._tokenizer(text, return_tensors="pt", add_special_tokens=not templated)

    def _generation_kwargs(self, options: GenerateOptions | None) -> dict[str, Any]:
        gen = options or GenerateOptions()
        kwargs: dict[str, Any] = {"max_new_tokens": self.options.max_new_tokens or gen.max_tokens}
        if gen.temperature > 0:
            kwargs.update(do_sample=True, temperature=gen.temperature)
        else:
            kwargs["do_sample"] = False
        pad = self._tokenizer.pad_token_id
        pad = pad if pad is not None else self._tokenizer.eos_token_id
        if pad is not None:
            kwargs["pad_token_id"] = pad
        kwargs.update(gen.extra)
        return kwargs

    def _failed(self, exc: BaseException) -> BackendError:
        return BackendError(f"generation with the model in {self.options.path} failed: {type(exc).__name__}: {exc}; "
                            "check max_tokens against the model's context length and any GenerateOptions.extra")


def prompt_text(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, bool]:
    """The prompt for ``messages`` and whether it came from the tokenizer's chat template.

    >>> class Plain: chat_template = None
    >>> prompt_text(Plain(), [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}])
    ('system: Be kind.\\nuser: hi\\nassistant:', False)
    """
    if getattr(tokenizer, "chat_template", None):
        try:
            return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)), True
        except Exception as exc:
            raise BackendError(f"the model's chat template rejected the messages ({type(exc).__name__}: {exc}); "
                               "some templates accept no system message or need user/assistant turns "
                               "to alternate") from exc
    lines = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n".join([*lines, "assistant:"]), False


def _load(path: Path, threads: int | None) -> tuple[Any, Any]:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise missing_extra("local", "transformers") from exc
    _check_model_dir(path)
    if threads:
        torch.set_num_threads(threads)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    except Exception as exc:
        raise ModelError(f"cannot load the model in {path}: {type(exc).__name__}: {exc}; is it a causal language "
                         "model with its tokenizer, saved with save_pretrained?") from exc
    model.eval()
    return model, tokenizer


def _check_installed() -> None:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        raise missing_extra("local", "transformers")


def _check_model_dir(path: Path) -> None:
    fix = "pass path= a directory saved with save_pretrained (config.json, weights and tokenizer files)"
    if not path.is_dir():
        why = "it does not exist" if not path.exists() else "it is a file"
        raise ConfigError(f"{path} is not a model directory: {why}; {fix}")
    if not (path / "config.json").is_file():
        raise ConfigError(f"{path} is not a model directory: it has no config.json; {fix}")


def _stop_on(stop: threading.Event) -> Any:
    """Stopping criteria that end generation once ``stop`` is set."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_Stop()])


def _stripped(pieces: Iterable[str]) -> Iterator[str]:
    """``pieces`` without leading or trailing whitespace overall, as ``str.strip`` would leave them.

    >>> list(_stripped(["", "  he", "llo ", " ", "world  "]))
    ['he', 'llo', '  world']
    """
    started, pending = False, ""
    for piece in pieces:
        if not started:
            piece = piece.lstrip()
            if not piece:
                continue
            started = True
        text = pending + piece
        body = text.rstrip()
        pending = text[len(body):]
        if body:
            yield body
