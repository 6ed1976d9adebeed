"""The HTTP request and response bodies (pydantic lives only at this edge).

Nested library records (scores, causes, guidance) are plain JSON objects whose keys the
library's ``to_dict`` methods define; the top levels are typed here so the OpenAPI schema
says what each endpoint takes and gives.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Json = dict[str, Any]
Text = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# -- errors ----------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    type: str = Field(description="kind: invalid_request_error, authentication_error, timeout_error, ...")
    code: str = Field(description="stable machine-readable code, e.g. too_many_texts, queue_full")
    message: str = Field(description="what happened, the limit or cause, and the fix")
    param: str | None = Field(None, description="OpenAI shape only (on /v1/chat/completions): always null")


class ErrorBody(BaseModel):
    error: ErrorDetail


# -- analyze -----------------------------------------------------------------------------
class AnalyzeRequest(Strict):
    texts: list[Text] = Field(min_length=1, description="texts to analyze (at most --max-texts, "
                                                       "each at most --max-chars characters)")
    scheme: str | None = Field(None, description="goemotions (default), ekman, sentiment, plutchik, dialogue7")
    top_k: int | None = Field(None, ge=1, description="keep only the k best labels and scores")
    threshold: float | None = Field(None, ge=0, le=1, description="one threshold for every label")
    explain: bool = Field(False, description="add the words that trigger each emotion")


class AnalysisOut(BaseModel):
    text: str
    labels: list[str]
    scores: dict[str, float]
    top: str
    truncated: bool = False
    language: str | None = Field(None, description="ISO 639-1 code; null when the text is too short to tell")
    supported: bool = Field(True, description="false for a known language the models were not trained on")
    triggers: list[Json] | None = None


class AnalyzeResponse(BaseModel):
    results: list[AnalysisOut]


class TurnIn(Strict):
    speaker: str = Field(min_length=1, description="who said it, e.g. user, assistant, agent")
    text: Text


class ConversationIn(Strict):
    id: str = "c0"
    turns: list[TurnIn] = Field(min_length=1)


class ConversationsRequest(Strict):
    conversations: list[ConversationIn] = Field(min_length=1)
    top_k: int | None = Field(None, ge=1)
    causes: bool | None = Field(None, description="add each emotional turn's causes (default: when a "
                                                  "cause model is available)")


class ConversationOut(BaseModel):
    id: str
    turns: list[Json]
    speakers: Json
    shifts: list[Json]
    contagion: list[Json]


class ConversationsResponse(BaseModel):
    results: list[ConversationOut]


class CausesRequest(Strict):
    conversations: list[ConversationIn] = Field(min_length=1)
    emotion: str | None = Field(None, description="in-context emotion to explain: anger, disgust, fear, joy, "
                                                  "sadness, surprise (default: every one but neutral)")


class TurnCauses(BaseModel):
    conversation: str
    turn: int
    speaker: str
    emotion: str
    causes: list[Json]


class CausesResponse(BaseModel):
    emotion: str
    turns: list[TurnCauses]


# -- respond -----------------------------------------------------------------------------
class RespondRequest(Strict):
    turns: list[TurnIn] = Field(min_length=1, description="the conversation; the last turn is the user's")
    preset: str = Field("supportive", description="persona/steps preset, as in the chat model names")
    assistant: str | None = Field(None, description="speaker name(s) of the assistant, comma-separated")


class RespondResponse(BaseModel):
    reply: str
    flagged: bool
    backend: str
    emotion_choice: str | None = None
    fallback: str | None = None
    metadata: Json
    guidance: Json


# -- models, health ------------------------------------------------------------------------
class ChatModel(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    description: str


class EmotionModel(BaseModel):
    name: str
    version: str
    heads: list[str]
    metrics: Json
    data: list[Json]
    commercial_use: bool


class ModelsResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[ChatModel] = Field(description="chat model names for /v1/chat/completions (OpenAI shape)")
    emotion_models: list[EmotionModel] = Field(description="the shipped emotion models (as emotive models)")


class Health(BaseModel):
    status: str
    version: str


class Ready(BaseModel):
    status: str
    models_loaded: bool
    upstream: str | None


# -- TEI ------------------------------------------------------------------------------------
class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)  # TEI clients may send truncate, truncation_direction
    inputs: Union[Text, list[Text]] = Field(description="one text or a list of texts")
    raw_scores: bool = Field(False, description="accepted for TEI compatibility; scores are always the "
                                               "model's calibrated per-label probabilities")


class LabelScore(BaseModel):
    label: str
    score: float


# -- OpenAI chat -------------------------------------------------------------------------------
class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: str = Field(description="system, developer, user or assistant")
    content: Union[str, list[Json], None] = None


class EmotiveOptions(Strict):
    include: bool = Field(True, description="add the emotive field and x-emotive-* headers")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)  # other OpenAI parameters are accepted and not used
    model: str = Field(description="emotive/<preset>:<upstream model>, emotive/<preset>, emotive, or an "
                                   "upstream model name (preset supportive)")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=32768)
    max_completion_tokens: int | None = Field(None, ge=1, le=32768)
    emotive: EmotiveOptions | None = Field(None, description="emotive's extension: include=false leaves "
                                                             "the reading and plan out")


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int
    message: ChoiceMessage
    finish_reason: str | None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    emotive: Json | None = Field(None, description="what emotive read and planned: flagged, backend, "
                                                   "fallback, reading, strategy, reply_emotion, safety")
