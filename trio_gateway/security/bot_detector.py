"""`security/bot-detector`: krakend-botdetector (`detector.go`, `gin/detector.go`).

Reference §13. Service level, KrakenD registers it with gin's `engine.Use` (so not on
`/__health`); at endpoint level it wraps the endpoint handler. A bot gets **403 with an empty
body** and KrakenD logs `bot rejected` at ERROR; both are the caller's job, this module only
decides.

Rule 1: the order is `detector.go` `IsBot`'s: an empty (or missing) User-Agent answers
`empty_user_agent_is_bot`; then an exact `allow` entry ⇒ not a bot; an exact `deny` entry ⇒ bot;
then any `patterns` entry matching *anywhere* in the User-Agent (unanchored, Go `MatchString` =
Python `re.search`) ⇒ bot.
Rule 2: with `cache_size` > 0 verdicts are kept in an LRU of that many User-Agents
(hashicorp/golang-lru), so a repeated User-Agent costs one dict lookup.

Patterns are **Python** regular expressions, not Go RE2. The common RE2 syntax (classes, `.*`,
alternation, groups, `(?i)` at the start) means the same; what differs: Python rejects inline
flags after the start (`a(?i)b`), `\\z`, `\\pL` and `[[:alpha:]]` (the last is silently read as
a plain class); Python accepts back-references and look-arounds RE2 refuses. Patterns come from
the operator, not from clients, so catastrophic backtracking (`(a+)+$`) is guarded only by this
note: keep patterns linear.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan

import attrs

from trio_gateway.config.diagnostics import Report
from trio_gateway.config.model import ExtraConfig
from trio_gateway.headers import first
from trio_gateway.namespace import Admission, Layer, Level, Namespace, Rejection, Slot, Where
from trio_gateway.types import Headers

__all__ = [
    "ENDPOINT_GUARD",
    "NAMESPACE",
    "SERVICE_GUARD",
    "BotDetector",
    "BotDetectorConfig",
    "user_agent",
]

LOGGER = logging.getLogger(__name__)

_LOG_PREFIX = "[Botdetector]"


class BotDetector:
    """Decides whether a User-Agent belongs to a bot."""

    __slots__ = ("_allow", "_cache", "_cache_size", "_deny", "_empty_is_bot", "_patterns")

    def __init__(
        self,
        *,
        allow: frozenset[str],
        deny: frozenset[str],
        patterns: tuple[re.Pattern[str], ...],
        empty_user_agent_is_bot: bool,
        cache_size: int,
    ) -> None:
        """Use `BotDetector.from_config`, which compiles and checks the configuration."""
        self._allow = allow
        self._deny = deny
        self._patterns = patterns
        self._empty_is_bot = empty_user_agent_is_bot
        self._cache_size = cache_size
        self._cache: OrderedDict[str, bool] = OrderedDict()

    @classmethod
    def from_config(cls, config: BotDetectorConfig) -> BotDetector | None:
        """Compile a `security/bot-detector` configuration.

        Error handling: as KrakenD, a configuration it cannot use installs no detector at all
        (None, and a WARNING "Unable to create the bot detector: …"): a pattern that does not
        compile, or a negative `cache_size` (golang-lru: "must provide a positive size").
        """
        patterns = []
        for pattern in config.patterns:
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                LOGGER.warning(
                    "%s Unable to create the bot detector: pattern %r: %s",
                    _LOG_PREFIX,
                    pattern,
                    exc,
                )
                return None
        if config.cache_size < 0:
            LOGGER.warning(
                "%s Unable to create the bot detector: must provide a positive size", _LOG_PREFIX
            )
            return None
        return cls(
            allow=frozenset(config.allow),
            deny=frozenset(config.deny),
            patterns=tuple(patterns),
            empty_user_agent_is_bot=config.empty_user_agent_is_bot,
            cache_size=config.cache_size,
        )

    def is_bot(self, user_agent: str | bytes | None) -> bool:
        """Whether the request with this User-Agent (its first value) comes from a bot.

        Args:
            user_agent: the first `User-Agent` value; bytes are read as UTF-8 (with
                surrogateescape, so invalid bytes never equal a configured string); None or
                empty when the header is missing.
        """
        if not user_agent:
            return self._empty_is_bot
        if isinstance(user_agent, bytes):
            user_agent = user_agent.decode("utf-8", "surrogateescape")
        if not self._cache_size:
            return self._detect(user_agent)
        cache = self._cache
        verdict = cache.get(user_agent)
        if verdict is not None:
            cache.move_to_end(user_agent)
            return verdict
        verdict = self._detect(user_agent)
        cache[user_agent] = verdict
        if len(cache) > self._cache_size:
            cache.popitem(last=False)  # evict the least recently used
        return verdict

    def cache_len(self) -> int:
        """How many verdicts the LRU holds now (never more than `cache_size`)."""
        return len(self._cache)

    def _detect(self, user_agent: str) -> bool:
        if user_agent in self._allow:
            return False
        if user_agent in self._deny:
            return True
        return any(pattern.search(user_agent) for pattern in self._patterns)


@attrs.frozen(kw_only=True)
class BotDetectorConfig:
    """`extra_config."security/bot-detector"` (service and endpoint)."""

    NAMESPACE: ClassVar[str] = "security/bot-detector"

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    empty_user_agent_is_bot: bool = False
    cache_size: int = 0


def check(config: BotDetectorConfig, where: Where, report: Report) -> None:
    for index, pattern in enumerate(config.patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            report.error(
                (*where.path, "patterns", index),
                f"invalid regular expression: {exc} (KrakenD then installs no bot detector)",
            )


NAMESPACE = Namespace(
    name="security/bot-detector",
    levels=frozenset({Level.SERVICE, Level.ENDPOINT}),
    config=BotDetectorConfig,
    aliases=("github_com/devopsfaith/krakend-botdetector",),
    check=check,
)


def user_agent(headers: Headers) -> bytes | None:
    """The raw User-Agent (the detector decodes it as UTF-8 itself)."""
    return first(headers, b"user-agent")


class ServiceBotGuard:
    """The service-level detector: after the health route, as `security/http` (gin's Use)."""

    __slots__ = ("_bots",)

    covers_health = False

    def __init__(self, bots: BotDetector) -> None:
        self._bots = bots

    def admit(self, scope: dict[str, Any]) -> Rejection | None:
        if self._bots.is_bot(user_agent(scope["headers"])):
            LOGGER.error("bot rejected")  # as KrakenD; the User-Agent is not logged
            return Rejection(403)
        return None

    def response_headers(self, scope: dict[str, Any]) -> Headers:
        return []


class EndpointBotGuard:
    """The endpoint-level detector: 403 with an empty body, before the JWT validator."""

    __slots__ = ("_bots",)

    def __init__(self, bots: BotDetector) -> None:
        self._bots = bots

    async def __call__(self, admission: Admission) -> Rejection | None:
        return Rejection(403) if self._bots.is_bot(user_agent(admission.headers)) else None


def build_service_guard(extra: ExtraConfig, context: Any) -> ServiceBotGuard | None:
    config = extra.get(BotDetectorConfig)
    bots = None if config is None else BotDetector.from_config(config)
    return None if bots is None else ServiceBotGuard(bots)


def build_endpoint_guard(plan: EndpointPlan, context: Any) -> EndpointBotGuard | None:
    config = plan.extra.get(BotDetectorConfig)
    bots = None if config is None else BotDetector.from_config(config)
    return None if bots is None else EndpointBotGuard(bots)


SERVICE_GUARD = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.SERVICE_GUARD, build=build_service_guard
)
ENDPOINT_GUARD = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_endpoint_guard
)
