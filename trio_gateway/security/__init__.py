"""Edge security layers, in KrakenD CE's order: CORS → security headers → bot detector.

Each is a pure, per-request object compiled once from its configuration (reference §1.3, §11–13):

* `CORS` (`security/cors`) wraps the whole server, before routing: it answers preflights and
  names the headers to add to the other responses.
* `SecurityHeaders` (`security/http`) may answer early (500 `Bad Host`, 301 to HTTPS) and names
  the headers to add to every routed response (not `/__health`).
* `BotDetector` (`security/bot-detector`) says whether a User-Agent is a bot (403, empty body).
"""

from __future__ import annotations

from trio_gateway.security.bot_detector import BotDetector as BotDetector
from trio_gateway.security.cors import CORS as CORS
from trio_gateway.security.cors import PreflightAnswer as PreflightAnswer
from trio_gateway.security.http import EarlyAnswer as EarlyAnswer
from trio_gateway.security.http import SecurityHeaders as SecurityHeaders

__all__ = ["CORS", "BotDetector", "EarlyAnswer", "PreflightAnswer", "SecurityHeaders"]
