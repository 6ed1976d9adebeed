from __future__ import annotations

import numpy as np
import pytest

from emotive._errors import ConfigError
from emotive._metrics import bradley_terry, preference_bias
from emotive.datasets.esconv import STRATEGIES
from emotive.respond.persona import SUPPORTIVE, EmotionTransition, Persona, persona_from
from emotive.respond.strategy import StrategyPlan, StrategyPlanner, guarded, history_features, sequence_of, step_texts


def test_step_texts_pick_the_last_turn_of_each_role() -> None:
    turns = [("usr", "a"), ("sys", "b"), ("usr", "c"), ("usr", "d")]
    assert step_texts(turns) == ("d", "b", "a b c d")
    assert step_texts([("usr", "x")]) == ("x", "", "x")


def test_history_features_encode_the_last_two_strategies() -> None:
    f = history_features(["Question", "Others"], n_turns=4)
    assert f[STRATEGIES.index("Others")] == 1 and f[9 + STRATEGIES.index("Question")] == 1
    assert f[18 + STRATEGIES.index("Question")] == 0.5
    empty = history_features([], 0)
    assert empty[8] == 1 and empty[17] == 1 and empty[-2] == 1.0


def test_guard_divides_by_the_prior_and_penalizes_repeats() -> None:
    probs = np.array([0.5, 0.3, 0.2] + [0.0] * 5)
    prior = np.array([0.5, 0.25, 0.25] + [1.0] * 5)
    assert np.argmax(guarded(probs, prior, [], prior_power=0.0, repeat_penalty=1.0, repeat_window=0)) == 0
    assert np.argmax(guarded(probs, prior, [], prior_power=1.0, repeat_penalty=1.0, repeat_window=0)) == 1
    hist = [STRATEGIES[1]]
    assert np.argmax(guarded(probs, prior, hist, prior_power=1.0, repeat_penalty=0.5, repeat_window=1)) == 0


def test_preference_bias_is_zero_without_preference_and_grows_with_it() -> None:
    fair = np.full((8, 8), 3) + np.eye(8) * 10
    biased = fair.copy()
    biased[0] += 20  # predicts strategy 0 whatever the gold label
    assert preference_bias(fair) == pytest.approx(0.0, abs=1e-6)
    assert preference_bias(biased) > 0.5
    assert np.argmax(bradley_terry(biased)) == 0


def test_planner_on_a_tiny_model(tiny_encoder) -> None:
    planner = StrategyPlanner(tiny_encoder)
    turns = [("usr", "I lost my job."), ("sys", "I'm sorry. What happened?"), ("usr", "They let me go.")]
    plan = planner.plan(turns, ["Question"])
    assert plan.strategy in STRATEGIES
    assert sum(plan.probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert plan.guard["on"] is True
    off = StrategyPlanner(tiny_encoder, guard=False).plan(turns, ["Question"])
    assert off.strategy == max(off.probs, key=off.probs.get)
    assert planner.fill_history(turns, None)[0] in STRATEGIES  # tagged from the text
    with pytest.raises(ConfigError, match="history has 2 strategies for 1 supporter turns"):
        planner.plan(turns, ["Question", "Others"])


def test_a_sequence_adds_strategies_close_to_the_best_in_score_order() -> None:
    scores = np.array([0.1, 0.5, 0.45, 0.44, 0.0, 0.0, 0.0, 0.0])
    assert sequence_of(scores) == (STRATEGIES[1],)
    assert sequence_of(scores, 2) == (STRATEGIES[1], STRATEGIES[2])
    assert sequence_of(scores, 3, ratio=0.89) == (STRATEGIES[1], STRATEGIES[2])
    assert sequence_of(np.zeros(8), 3) == (STRATEGIES[0],)  # all zero: one strategy, not eight


def test_planner_sequences_start_with_the_chosen_strategy(tiny_encoder) -> None:
    turns = [("usr", "I lost my job."), ("sys", "What happened?"), ("usr", "They let me go.")]
    one = StrategyPlanner(tiny_encoder).plan(turns, ["Question"])
    many = StrategyPlanner(tiny_encoder, max_strategies=3, sequence_ratio=0.0).plan(turns, ["Question"])
    assert one.sequence == (one.strategy,)
    assert many.strategy == one.strategy and many.sequence[0] == one.strategy and len(many.sequence) == 3
    assert many.to_dict()["sequence"] == list(many.sequence)
    with pytest.raises(ConfigError, match="starts with its strategy"):
        StrategyPlan("Question", {}, {}, sequence=("Others",))
    with pytest.raises(ConfigError, match="max_strategies must be at least 1"):
        StrategyPlanner(tiny_encoder, max_strategies=0)


def test_persona_checks_and_presets(tiny_encoder) -> None:
    with pytest.raises(ConfigError, match="big_five must be 5 numbers in 0-1"):
        Persona("x", (1.5, 0, 0, 0, 0))
    et = EmotionTransition(tiny_encoder)
    characters = {"chandler", "joey", "monica", "phoebe", "rachel", "ross"}
    assert "supportive" in et.presets and set(et.presets) - {"supportive"} <= characters
    assert len(et.presets) >= 2
    assert persona_from(None, et.presets) is SUPPORTIVE
    assert persona_from([0.1, 0.2, 0.3, 0.4, 0.5], et.presets).name == "custom"
    with pytest.raises(ConfigError, match="unknown persona 'yoda'"):
        persona_from("yoda", et.presets)
    with pytest.raises(ConfigError, match="unknown emotion"):
        et.predict(None, own="happy", other="joy")


def test_personality_changes_the_predicted_reply_emotion(tiny_encoder) -> None:
    et = EmotionTransition(tiny_encoder)
    name = next(k for k in et.presets if k != "supportive")
    a = et.predict(name, own="neutral", other="sadness")
    b = et.predict([0.0, 1.0, 1.0, 0.0, 1.0], own="neutral", other="sadness")
    assert a.emotion in a.probs and sum(a.probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert a.probs != b.probs
    assert all(1.0 <= x <= 5.0 for x in a.vad)
    assert a.to_dict()["persona"].lower() == name


def test_a_replys_tag_does_not_move_with_the_replies_tagged_beside_it() -> None:
    from emotive.models import SentenceEncoder

    encoder = SentenceEncoder()  # the shipped respond encoder: a dynamic int8 graph
    replies = ["How long have you felt this way?", "ok",
               "I'm so sorry to hear that. Losing a job you cared about after so many years can shake "
               "anyone's confidence, and it makes sense that you feel lost right now.",
               "Have you thought about talking to a career counsellor?", "That sounds really hard."]
    alone = np.concatenate([encoder.encode([r]) for r in replies])
    assert np.abs(encoder.encode(replies) - alone).max() > 1e-3  # batched, the vectors move
    assert np.abs(encoder.encode_each(replies) - alone).max() < 1e-6
    tags = [StrategyPlanner(encoder).tag([r])[0] for r in replies]
    for k in range(len(replies)):  # every reply at every position among the others
        mixed = replies[k:] + replies[:k]
        assert StrategyPlanner(encoder).tag(mixed) == tags[k:] + tags[:k]
