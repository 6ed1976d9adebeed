"""Options shared by ``emotive respond`` and ``emotive chat``: backend, persona, steps."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from emotive._errors import ConfigError

BackendOpt = Annotated[str, typer.Option("--backend", "-b", help=(
    "retrieval (offline default, no LLM: human replies, non-commercial), templates (offline, "
    "commercial-safe: replies written for emotive), openai (any OpenAI-compatible endpoint), "
    "transformers (a local causal LM directory), mock, or a plugin; see: emotive backends"))]
OptionOpt = Annotated[Optional[list[str]], typer.Option("--option", "-O", help=(
    "Backend option KEY=VALUE, repeatable (e.g. -O base_url=http://localhost:11434/v1 -O model=llama3)."))]
PersonaOpt = Annotated[Optional[str], typer.Option(help=(
    "Persona for the reply's emotion: supportive (default), a PELD character (chandler, joey, monica, "
    "phoebe, rachel, ross) or five OCEAN numbers in 0-1, comma-separated."))]
WithoutOpt = Annotated[Optional[str], typer.Option(help=(
    "Steps to switch off, comma-separated: safety, understanding, two_stage, causes, strategy, persona."))]
FallbackOpt = Annotated[Optional[str], typer.Option(help=(
    "Backend that answers when the main one fails (e.g. retrieval); default: fail with the error."))]
AssistantOpt = Annotated[Optional[str], typer.Option(help=(
    "Speaker name(s) of the assistant's turns, comma-separated (e.g. agent); every other speaker but "
    "system is then the user. Default: the assistant is assistant, sys, listener, supporter or bot, the "
    "user is user, usr, seeker, speaker or human, and any other speaker is an error."))]


def backend_options(pairs: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value that parses as JSON is taken as JSON.

    >>> backend_options(["model=llama3", "retries=1", "corpora=[\\"esconv\\"]"])
    {'model': 'llama3', 'retries': 1, 'corpora': ['esconv']}
    """
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"backend option {pair!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def persona_value(text: str | None) -> Any:
    """A preset name, or five comma-separated OCEAN numbers.

    >>> persona_value("0.7,0.6,0.5,0.7,0.3")
    [0.7, 0.6, 0.5, 0.7, 0.3]
    """
    if text is None or "," not in text:
        return text
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ConfigError(f"--persona {text!r}: give a preset name or five numbers in 0-1") from None


def make_responder(backend: str, option: list[str] | None, persona: str | None, without: str | None,
                   fallback: str | None, assistant: str | None) -> Any:
    from emotive.respond import Responder, Steps

    steps = Steps.without([s.strip() for s in without.split(",") if s.strip()]) if without else Steps()
    return Responder(backend, backend_options=backend_options(option), persona=persona_value(persona),
                     steps=steps, fallback=fallback, assistant=assistant)
