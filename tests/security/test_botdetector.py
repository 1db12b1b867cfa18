"""`security/bot-detector` with krakend-botdetector semantics (reference §13)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.security import BotDetector
from trio_gateway.security.bot_detector import BotDetectorConfig

# krakend-ce tests/fixtures/krakend.json "security/bot-detector".
CE_FIXTURE = BotDetectorConfig(
    deny=("a", "b"),
    allow=("c", "Pingdom.com_bot_version_1.1"),
    patterns=("(Pingdom.com_bot_version_).*", "(facebookexternalhit)/.*"),
)


def detector(**kwargs: Any) -> BotDetector:
    result = BotDetector.from_config(BotDetectorConfig(**kwargs))
    assert result is not None
    return result


@pytest.mark.parametrize("cache_size", [0, 3])
@pytest.mark.parametrize(
    ("user_agent", "bot"),
    [
        ("a", True),  # botdetector_1: deny list
        ("b", True),  # botdetector_2: deny list
        ("Pingdom.com_bot_version_1.14", True),  # botdetector_3: pattern
        ("facebookexternalhit/1.2.3", True),  # botdetector_4: pattern
        ("Pingdom.com_bot_version_1.1", False),  # the allow list comes before the patterns
        ("c", False),
        ("some", False),  # the specs' ordinary client
        ("Go-http-client/1.1", False),
        ("A", False),  # exact, case-sensitive matches
        ("ab", False),
        ("facebookexternalhit", False),  # the pattern needs the slash
        ("Mozilla/5.0 (facebookexternalhit/1.1)", True),  # patterns are unanchored
        ("", False),
        (None, False),
    ],
)
def test_ce_fixture(cache_size: int, user_agent: str | None, bot: bool) -> None:
    config = BotDetectorConfig(
        deny=CE_FIXTURE.deny,
        allow=CE_FIXTURE.allow,
        patterns=CE_FIXTURE.patterns,
        cache_size=cache_size,
    )
    layer = BotDetector.from_config(config)
    assert layer is not None
    assert layer.is_bot(user_agent) is bot
    assert layer.is_bot(user_agent) is bot  # the second answer may come from the cache


@pytest.mark.parametrize(
    ("options", "user_agent", "bot"),
    [
        # allow first, then deny, then patterns
        ({"allow": ("x",), "deny": ("x",)}, "x", False),
        ({"allow": ("x",), "patterns": ("x",)}, "x", False),
        ({"deny": ("x",), "patterns": ("^y",)}, "x", True),
        ({"patterns": ("bot",)}, "Googlebot/2.1", True),
        ({"patterns": ("^bot",)}, "Googlebot/2.1", False),
        ({"patterns": ("(?i)CURL",)}, "curl/8.0", True),
        ({"patterns": ("curl", "wget")}, "Wget/1.21", False),
        ({"patterns": ("curl", "wget")}, "wget/1.21", True),
        # the empty User-Agent rule comes before the lists
        ({"empty_user_agent_is_bot": True}, "", True),
        ({"empty_user_agent_is_bot": True}, None, True),
        ({"empty_user_agent_is_bot": True, "allow": ("",)}, "", True),
        ({"empty_user_agent_is_bot": False, "deny": ("",), "patterns": ("",)}, "", False),
        ({"empty_user_agent_is_bot": True}, "x", False),
        # bytes are read as UTF-8
        ({"deny": ("caf\u00e9",)}, "caf\u00e9".encode(), True),
        ({"deny": ("caf\u00e9",)}, b"caf\xe9", False),
        ({"patterns": ("^caf.$",)}, b"caf\xe9", True),
    ],
)
def test_order_and_matching(
    options: dict[str, Any], user_agent: str | bytes | None, bot: bool
) -> None:
    assert detector(**options).is_bot(user_agent) is bot


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"patterns": ("ok", "(unclosed")}, "pattern '(unclosed'"),
        ({"patterns": ("a(?i)b",)}, "pattern 'a(?i)b'"),  # RE2 accepts this, Python does not
        ({"cache_size": -1}, "must provide a positive size"),
    ],
)
def test_unusable_config_installs_no_detector(
    options: dict[str, Any], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="trio_gateway.security.bot_detector")
    assert BotDetector.from_config(BotDetectorConfig(**options)) is None
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "Unable to create the bot detector" in record.getMessage()
    assert message in record.getMessage()


def test_cache_is_a_bounded_lru() -> None:
    layer = detector(deny=("bad",), patterns=("bot",), cache_size=2)
    assert layer.is_bot("bad") is True
    assert layer.is_bot("ok-1") is False
    assert layer.cache_len() == 2
    assert layer.is_bot("bad") is True  # refreshes "bad"
    assert layer.is_bot("a-bot") is True  # evicts "ok-1", the least recently used
    assert layer.cache_len() == 2
    saved = layer._deny, layer._patterns
    layer._deny, layer._patterns = frozenset(), ()  # from now on only cached verdicts say "bot"
    assert layer.is_bot("bad") is True
    assert layer.is_bot("a-bot") is True
    layer._deny, layer._patterns = saved
    for index in range(100):
        layer.is_bot(f"client-{index}")
    assert layer.cache_len() == 2
    assert layer.is_bot("") is False
    assert layer.cache_len() == 2


def test_cached_verdicts_are_kept_and_reused() -> None:
    layer = detector(patterns=("bot",), cache_size=10)
    assert layer.is_bot("a-bot") is True
    layer._patterns = ()  # prove the second answer does not run the patterns again
    assert layer.is_bot("a-bot") is True
    assert layer.is_bot("b-bot") is False


def test_no_cache_when_size_is_zero() -> None:
    layer = detector(patterns=("bot",), cache_size=0)
    assert layer.is_bot("a-bot") is True
    assert layer.cache_len() == 0


@given(
    user_agent=st.none() | st.binary(max_size=60) | st.text(max_size=60),
    cache_size=st.integers(0, 3),
)
def test_arbitrary_user_agents_never_raise(user_agent: str | bytes | None, cache_size: int) -> None:
    layer = detector(
        allow=("ok",),
        deny=("bad",),
        patterns=(r"(?i)bot|crawl", r"^\d+$"),
        empty_user_agent_is_bot=True,
        cache_size=cache_size,
    )
    verdict = layer.is_bot(user_agent)
    assert verdict is layer.is_bot(user_agent)
    if not user_agent:
        assert verdict is True
    assert layer.cache_len() <= cache_size
