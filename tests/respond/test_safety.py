from __future__ import annotations

import json
import logging
import pickle

import pytest

from emotive._errors import ConfigError, ModelError
from emotive.respond.safety import Safety, SafetyFlag, default_resources, default_rules, normalize, prepare

RISKY = [
    ("I want to kill myself", "self_harm"),
    ("honestly i dont want to live anymore", "self_harm"),
    ("I've been cutting myself again", "self_harm"),
    ("Sometimes I think everyone would be better off if I was gone, I'm better off dead", "self_harm"),
    ("I\u2019m thinking about suicide", "self_harm"),
    ("everyone would be better off without me", "self_harm"),
    ("I've been saving up my pills", "self_harm"),
    ("kms tonight", "self_harm"),
    ("im gonna unalive myself", "self_harm"),
    ("i wanna die fr", "self_harm"),  # "fr" reads "for real": not the "to die for" idiom
    ("i want to die for real this time", "self_harm"),
    ("i'd rather die than live like this", "self_harm"),  # not the "rather die than" idiom
    ("i cut myself with a razor again", "self_harm"),  # a blade is not an accident by itself
    ("i have the rope ready", "self_harm"),
    ("got my \U0001FAA2 ready", "self_harm"),  # emoji that name a means read as the word
    ("the \U0001F52A is on my wrist", "self_harm"),
    ("goodbye everyone, i won't be here tomorrow", "self_harm"),
    ("i won't be alive by tomorrow", "self_harm"),
    ("i took 30 pills an hour ago", "self_harm"),
    ("planning to walk into traffic", "self_harm"),
    ("been sh-ing again", "self_harm"),  # "sh": self-harm
    ("i gave away all my stuff this week, won't need it", "self_harm"),
    ("i bought a gun today, everything will be over soon", "self_harm"),
    ("i'm scared of what i might do to myself", "self_harm"),
    ("i don't trust myself alone around my meds tonight", "self_harm"),
    ("i wrote my note", "self_harm"),
    ("left a suicide note on the desk", "self_harm"),
    ("standing on the roof rn", "self_harm"),
    ("i'm on the ledge of the parking garage", "self_harm"),
    ("i'm planning my exit", "self_harm"),
    ("i've said my goodbyes", "self_harm"),
    ("i can't do this anymore. i'm done. goodbye", "self_harm"),
    ("i can't see a future for myself", "self_harm"),  # passive ideation, under the classifier's threshold
    ("what's the point of anything anymore", "self_harm"),
    ("im so tired of everything, i just want out", "self_harm"),
    ("nothing matters, ill be gone soon", "self_harm"),
    ("soon it won't matter anymore, i've made my decision", "self_harm"),
    ("ctb tonight", "self_harm"),  # "catch the bus": suicide-forum slang
    ("i'm going to be dead by tomorrow", "self_harm"),
    ("i took like 20 pills an hour ago", "self_harm"),  # an overdose taken: the classifier gave 0.84
    ("i just took a handful of sleeping pills", "self_harm"),
    ("the kids are asleep. i've lined up all my pills on the counter", "self_harm"),
    ("sorry for the long rant. anyway i bought rope today and i think this weekend is when", "self_harm"),
    ("writing letters to my family so they understand why", "self_harm"),
    ("this is my last post", "self_harm"),
    ("final message. thank you all for everything", "self_harm"),
    ("which household chemicals can kill you if you mix them, asking for me", "self_harm"),
    ("i dnt wanna liv anymor", "self_harm"),
    ("i cant go on", "self_harm"),
    ("i can't go on like this anymore", "self_harm"),
    ("i stood on a chair with a belt last night", "self_harm"),
    ("i don't see the point anymore", "self_harm"),
    ("I'm going to kill my neighbour", "harm_to_others"),
    ("I will hurt him when he gets home", "harm_to_others"),
    ("thinking of bringing a gun to school", "harm_to_others"),
    ("gonna shoot up the school", "harm_to_others"),
]
SAFE = [
    "kill the process and restart the server",
    "I'm dying to see the new movie",
    "this pizza is to die for",
    "abs to die for fr",
    "I'd rather die than go to that party lol",
    "I cut myself with the knife while cooking",
    "i have the rope ready for the climbing trip",
    "bye guys, i wont be here tomorrow, dentist lol",
    "goodbye everyone, i won't be here tomorrow. see you monday!",
    "I won't be here much longer, my contract ends in May",
    "new \U0001F52A set for the kitchen!",
    "i took 2 pills an hour ago for my headache",
    "bought a gun today for hunting season, can't wait",
    "i almost walked into traffic looking at my phone",
    "been shopping again",
    "gave away my old clothes, don't need them anymore",
    "i hurt myself by not stretching before the run",
    "We were just killing time at the airport",
    "Suicide Squad was a fun film",
    "my boss is killing me with these deadlines",
    "kill all the pods in the namespace",
    "I want to die my hair blue",
    "I'll shoot you the details",
    "I'm going to kill you in fortnite lol",
    "I cut myself shaving this morning",
    "What are the warning signs of suicide?",
    "I'm proud of myself for finishing the project",
    "i'm scared of what i might do to my exam grade",
    "i wrote my note for the teacher",
    "finished writing my notes for the exam",
    "standing on the roof right now, the view is insane",
    "i'm planning my exit from twitter",
    "grandma is in hospice, i said my goodbyes to her yesterday",
    "i can't do this anymore, see you tomorrow",
    "i don't see a future for myself in this company",
    "what's the point of living in a big city if you never go out",
    "i'm tired of everything at work, i want out",
    "nothing matters, i will be here until 5",
    "i've made my decision, i won't be here next year, moving to Berlin",
    "it won't matter anymore, i've made my decision to quit",
    "Well, if you haven't settled down yet, there's no hope for me",
    "i'm going to end this relationship",  # the classifier read it as harm to others (0.97)
    "im gonna be ded after leg day",
    "i'm going to be dead tired tomorrow",
    "i took two pills for my headache",
    "i took 12 pills over the week for my infection",
    "i laid out my pills for the week",
    "i bought rope for the camping trip this weekend",
    "writing a letter to my parents to explain why i am dropping out",
    "this is my last post about politics, promise",
    "final message before i log off: gg everyone",
    "i can't go on the trip this weekend",
    "i can't go on like this, i need a new job",
    "what's the most painless way to get a tattoo",  # the classifier gave 0.98
    "i don't see the point anymore of going to class",
]
# Rewrites of a caught phrase that a filter on the plain text misses (issue #11: 6 of 10 passed).
EVASIONS = [
    "I want to k\u200bi\u200bl\u200bl myself",  # zero-width spaces
    "I want to kill\U000E0020 my\U000E0041self",  # Unicode tag characters
    "I want to \uff4b\uff49\uff4c\uff4c \uff4d\uff59\uff53\uff45\uff4c\uff46",  # fullwidth
    "I want to \u043aill my\u0455elf",  # Cyrillic look-alikes
    "i want to k1ll mys3lf",  # leetspeak
    "I want to k i l l  m y s e l f",  # spaced letters, double space between words
    "i w a n t t o k i l l m y s e l f",  # every letter spaced, no word gaps
    "I want to k-i-l-l m-y-s-e-l-f",  # hyphenated
    "I want to k.i.l.l m.y.s.e.l.f",  # dotted
    "I want to kiiiilll myselffff",  # stretched
    "I want to k\u0336i\u0336l\u0336l\u0336 myself",  # combining strokes
    "I want to " + "".join(chr(0x1D41A + ord(c) - 97) if c != " " else c for c in "kill myself"),  # math bold
    "I WANT TO KILL MYSELF",
]
MULTILINGUAL = [
    ("quiero morir", "es"), ("ya no quiero vivir", "es"), ("me quiero matar", "es"),
    ("je veux mourir", "fr"), ("je vais me suicider", "fr"), ("j'ai envie d'en finir", "fr"),
    ("ich will nicht mehr leben", "de"), ("ich bring mich um", "de"), ("ich habe Suizidgedanken", "de"),
    ("我想死", "zh"), ("我不想活了", "zh"), ("我想自杀", "zh"),
    ("eu quero morrer", "pt"), ("voglio morire", "it"),
]
LOOKALIKE_IDIOMS = ["me muero de risa", "je meurs de faim", "ich sterbe vor Hunger", "笑死我了", "我想死你了",
                    "累死了", "no puedo vivir sin café", "je vais tuer le temps", "这家店跳楼价大甩卖"]


# Someone else hurting or threatening the person (written for these tests, not taken from an
# evaluation set), and everyday look-alikes of the same words.
ABUSED = ["My partner hit me again last night and said he'd kill me if I tell anyone.",
          "he said he'd kill me if i told anyone", "I'm scared he's gonna kill me",
          "my bf keeps choking me when he's drunk", "I'm not safe at home", "my stepdad beats me when mom isn't home",
          "he put a knife to my throat", "my husband threatened to kill me",
          "i dont feel safe with my boyfriend anymore", "she slapped me and locked me in the room",
          "i keep getting hit by my dad",
          "he said if i leave he'll kill me", "i'm 14 and my teacher keeps touching me",
          "my mom locks me in my room without food", "i'm scared to go home, dad is drunk again and he hits",
          "my stepdad touches me at night and told me not to tell", "my coach touched me inappropriately",
          "my mom burns me with cigarettes", "my dad says he'll kill me if i come out"]
NOT_ABUSED = ["my friend hit me up last night", "she said if i win she will kill me lol",
              "this song keeps touching me deeply", "my sister locked me out of the house lol",
              "my ex gets drunk and she hits the wall", "my brother beat me at chess again", "my boss beat me to it",
              "my dad kicked me out of the car to walk", "this song hits me hard", "the ball hit me in the face lol",
              "my sister hit me with a pillow", "she beat me in the race", "my coach pushed me to do better",
              "he told me he would kill me if i ate his fries lol", "my boyfriend threw me a surprise party",
              "my teacher hit me with a pop quiz", "my mom will kill me if i forget her birthday haha",
              "i was hit by a car on my bike", "my dad touched me on the shoulder and said well done",
              "the ending really touched me", "my dad says he'll kill me if i dent the car lol",
              "my sister burned me with the curling iron by accident", "my coach whipped me into shape"]


@pytest.fixture(scope="module")
def rules() -> Safety:
    return Safety(model=False)


@pytest.fixture(scope="module")
def shipped() -> Safety:
    return Safety()


@pytest.mark.parametrize(("text", "category"), RISKY)
def test_risky_messages_are_flagged_by_the_rules(rules: Safety, text: str, category: str) -> None:
    flag = rules.check(text)
    assert flag is not None and flag.category == category and flag.layer == "rules"
    assert flag.matched and flag.matched in prepare(text) or flag.matched in rules.prepare(text)
    assert "988" in flag.reply and "findahelpline.com" in flag.reply


@pytest.mark.parametrize("text", SAFE)
def test_everyday_idioms_gaming_and_developer_phrases_are_not_flagged(shipped: Safety, text: str) -> None:
    assert shipped.check(text) is None


@pytest.mark.parametrize("text", EVASIONS)
def test_evasions_of_a_caught_phrase_are_caught(rules: Safety, text: str) -> None:
    flag = rules.check(text)
    assert flag is not None and flag.category == "self_harm", normalize(text)


def test_normalize_undoes_evasions_and_keeps_numbers() -> None:
    assert normalize("ｓ\u200bｕｉｃｉｄｅ") == "suicide"
    assert normalize("I have 2 kids, 3 cats, 10mg at 5pm on my ps5") == "i have 2 kids, 3 cats, 10mg at 5pm on my ps5"
    assert normalize("Café ÉTÉ") == "cafe ete"
    assert prepare("im gonna kms tn") == "i am going to kill myself tonight"


@pytest.mark.parametrize(("text", "language"), MULTILINGUAL)
def test_crisis_phrases_in_other_languages_are_caught(shipped: Safety, text: str, language: str) -> None:
    flag = shipped.check(text)
    assert flag is not None and flag.category == "self_harm" and flag.language == language


@pytest.mark.parametrize("text", LOOKALIKE_IDIOMS)
def test_idioms_in_other_languages_pass_and_the_model_reads_them(shipped: Safety, text: str) -> None:
    assert shipped.check(text) is None
    [score] = shipped.score([text])
    assert 0.0 <= score <= 1.0


def test_a_reply_in_the_language_of_the_message_with_the_locales_lines(shipped: Safety) -> None:
    flag = shipped.check("quiero morir")
    assert "988" in flag.reply and "llama" in flag.reply.lower()
    de = Safety(model=False, locale="de-DE").check("ich will nicht mehr leben")
    assert "0800 111 0 111" in de.reply and "112" in de.reply and "Notruf" in de.reply


def test_an_earlier_risk_turn_still_flags_unless_clearly_retracted(shipped: Safety) -> None:
    flag = shipped.check_turns(["I want to kill myself tonight", "whatever"])
    assert flag is not None and flag.category == "self_harm" and flag.turn == 1
    for minimizing in (["nvm"], ["jk"], ["im fine", "lol"]):
        assert shipped.check_turns(["kms tonight", *minimizing]) is not None
    assert shipped.check_turns(["I'm going to kill him", "lol I meant in the game, he keeps stealing my loot"]) is None
    assert shipped.check_turns(["hi", "work was long", "my team won"]) is None
    assert shipped.check_turns([]) is None
    old = ["I want to kill myself tonight", "a", "b", "c"]  # beyond the last three turns
    assert Safety(model=False).check_turns(old) is None and Safety(model=False, turns=4).check_turns(old)


def test_the_classifier_catches_indirect_risk_and_says_so(shipped: Safety) -> None:
    for text in ("I want to disappear forever and never come back", "i dont see a way out except dying",
                 "there's no point anymore, I've made my peace and tonight it ends"):
        assert shipped.rules_match(text) is None
        flag = shipped.check(text)
        assert flag is not None and flag.category == "self_harm" and flag.layer == "classifier"
        assert flag.score is not None and flag.score >= shipped.classifier.threshold and flag.matched == ""
    assert shipped.check("I took a lot of pills and I feel sleepy now").layer == "rules"
    # an exception for everyday strain ("hurt myself by not stretching") keeps starving in view
    assert "hurting myself by not eating" in prepare("i keep hurting myself by not eating, on purpose")
    assert shipped.check("i keep hurting myself by not eating, on purpose") is not None
    for text in ("I lost my job today and I feel awful", "Honestly I'm furious and I can't stop shaking.",
                 "can you recommend a good book", "My manager yelled at me in front of everyone today."):
        assert shipped.check(text) is None, text


def test_flag_to_dict_is_json_and_names_layer_and_score(shipped: Safety) -> None:
    d = shipped.check("I want to end my life").to_dict()
    assert json.loads(json.dumps(d))["layer"] == "rules" and d["category"] == "self_harm"
    assert set(d) == {"category", "matched", "reply", "layer", "score", "turn", "language"}
    assert SafetyFlag("self_harm", "", "r", "classifier", 0.91234567).to_dict()["score"] == 0.9123


@pytest.mark.parametrize(("locale", "needles"), [
    ("en-US", ["988", "911"]), ("en-GB", ["116 123", "999"]), ("en-IE", ["116 123", "112"]),
    ("en-CA", ["9-8-8", "911"]), ("en-AU", ["13 11 14", "000"]), ("es-ES", ["024", "112"]),
    ("fr-FR", ["3114", "112"]), ("de-DE", ["0800 111 0 111", "0800 111 0 222", "112"]),
    ("de-AT", ["findahelpline.com"]), ("zh", ["findahelpline.com"]), ("en_gb", ["116 123"]),
])
def test_safe_replies_name_the_locales_current_resources(locale: str, needles: list[str]) -> None:
    s = Safety(model=False, locale=locale)
    for text in ("I want to kill myself", "I'm going to stab my stepdad"):
        reply = s.check(text).reply
        assert all(n in reply for n in needles), (locale, reply)
        assert "1-800-273" not in reply and "{" not in reply


def test_resources_are_data_and_checked() -> None:
    res = default_resources()
    res["locales"]["en-NZ"] = {"language": "en", "emergency": "111", "lines": [
        {"name": "Need to talk?", "call": ["1737"], "text": ["1737"]}]}
    reply = Safety(model=False, locale="en-NZ", resources=res).check("kms").reply
    assert "call or text 1737" in reply and "111" in reply
    with pytest.raises(ConfigError, match="no safety resources for locale"):
        Safety(model=False, locale="xx-YY")
    with pytest.raises(ConfigError, match="malformed safety resources"):
        Safety(model=False, resources={"languages": {}})


def test_rules_are_configurable(tmp_path) -> None:
    rules = default_rules()
    rules["categories"]["self_harm"]["patterns"]["en"].append(r"\bgive up on everything\b")
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    assert Safety(model=False).check("I want to give up on everything") is None
    assert Safety.from_file(path, model=False).check("I want to give up on everything").category == "self_harm"
    extra = Safety(model=False, extra_rules={"harm_to_others": [r"\bpunch (him|her)\b"]})
    assert extra.check("I'll punch him").category == "harm_to_others"
    custom = Safety({"categories": {"x": {"patterns": [r"\bbanana\b"], "reply": "custom reply"}}}, model=False)
    assert custom.check("BANANA").reply == "custom reply"


def test_bad_rules_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="bad safety pattern"):
        Safety({"categories": {"x": {"patterns": ["(unclosed"], "reply": "r"}}}, model=False)
    with pytest.raises(ConfigError, match="malformed safety rules"):
        Safety({"categories": {"x": {"reply": "r"}}}, model=False)
    with pytest.raises(ConfigError, match="unknown categories"):
        Safety(model=False, extra_rules={"nope": ["x"]})
    with pytest.raises(ConfigError, match="no safe reply for category"):
        Safety({"categories": {"x": {"patterns": ["y"]}}}, model=False)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read safety rules"):
        Safety.from_file(bad)


def test_a_model_without_a_crisis_head_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelError, match="no crisis head"):
        Safety(model="emotive.goemotions-minilm.v1")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        Safety(threshold=1.5)


def test_safety_pickles_and_logs_no_message_text(shipped: Safety, caplog) -> None:
    twin = pickle.loads(pickle.dumps(shipped))
    assert twin.check("I want to kill myself").category == "self_harm"
    secret = "my secret plan with the pills in the blue bottle"
    with caplog.at_level(logging.DEBUG):
        shipped.check_turns(["hello", secret])
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_a_chats_earlier_turns_are_not_encoded_again(shipped: Safety) -> None:
    from emotive.respond import safety as module

    cache = module._EMBEDDINGS
    cache._items.clear()
    said = ["I had a long day at work.", "My manager yelled at me again."]
    cold = [shipped.check_turns(said[:k]) for k in (1, 2)]
    assert len(cache._items) == 3  # each turn once (the first was cached by the first check), and the join
    said.append("I just want to sleep and forget about it.")
    warm = shipped.check_turns(said)
    assert len(cache._items) == 5  # only the new turn and the new join were encoded
    assert all(k[1] != said[-1].encode() for k in cache._items)  # digests, not message text
    cache._items.clear()
    assert [shipped.check_turns(said[:k]) for k in (1, 2)] == cold and shipped.check_turns(said) == warm


def test_a_messages_risk_does_not_move_with_its_batch_mates(shipped: Safety) -> None:
    from emotive.respond import safety as module

    texts = [prepare(t) for t in ("i can't see a future for myself", "My manager yelled at me again.",
                                  "what a lovely day at the beach with the kids, we stayed until sunset",
                                  "ok", "I just want to sleep and forget about it.")]
    alone = []
    for t in texts:
        module._EMBEDDINGS.clear()
        alone.append(shipped.classifier.scores([t])[0][0])
    for k in range(len(texts)):
        module._EMBEDDINGS.clear()  # or the batch would read the cached vectors
        together = shipped.classifier.scores(texts[k:] + texts[:k])[0]
        assert abs(together[0] - alone[k]) < 1e-6  # float32 sums in the head only (it moved by 0.08)


@pytest.mark.parametrize("text", ABUSED)
def test_someone_hurting_or_threatening_the_person_is_flagged(rules: Safety, text: str) -> None:
    flag = rules.check(text)
    assert flag is not None and flag.category == "abuse", rules.prepare(text)
    assert "not your fault" in flag.reply and "911" in flag.reply and "findahelpline.com" in flag.reply


@pytest.mark.parametrize("text", NOT_ABUSED)
def test_everyday_hits_beats_and_threats_in_jest_are_not_abuse(rules: Safety, text: str) -> None:
    assert rules.check(text) is None


@pytest.mark.parametrize("locale", ["es-ES", "fr-FR", "de-DE", "zh-CN", "pt", "it"])
def test_the_abuse_reply_exists_in_every_language(locale: str) -> None:
    flag = Safety(model=False, locale=locale).check("my husband threatened to kill me")
    assert flag is not None and flag.category == "abuse" and "findahelpline.com" in flag.reply
