"""`trio-gateway audit`: KrakenD's configuration audit (krakend-audit's rule set).

`audit(config)` returns the `Recommendation`s of `RULES` that apply to a loaded configuration;
`command.run_audit` is the command line (krakend-cobra `audit.go`).
"""

from __future__ import annotations

from trio_gateway.config.audit.table import RULES as RULES
from trio_gateway.config.audit.table import SEVERITIES as SEVERITIES
from trio_gateway.config.audit.table import Recommendation as Recommendation
from trio_gateway.config.audit.table import Rule as Rule
from trio_gateway.config.audit.table import audit as audit

__all__ = ["RULES", "SEVERITIES", "Recommendation", "Rule", "audit"]
