"""The Sprig (github.com/Masterminds/sprig/v3 v3.2.3) functions KrakenD's flexible
configuration offers, one registry over modules by group as Sprig's own files are: strings,
lists, dicts, defaults, numeric, regex, encoding, reflect, semver, system. A function
follows Sprig's code; a wrong-typed argument panics there, which the template reports as
`error calling NAME: ...`.

Not offered (each fails as an undefined function): the date functions (our values have no
time.Time), the crypto functions that make keys, certificates, bcrypt/htpasswd and AES
(genPrivateKey, genCA, buildCustomCert, derivePassword, encryptAES...), getHostByName (a DNS
lookup while reading a configuration), urlParse/urlJoin, `hello`."""

from __future__ import annotations

from ..funcs import GoFunc
from .conv import empty, strval
from .defaults import DEFAULTS
from .dicts import DICTS
from .encoding import ENCODING
from .lists import LISTS
from .numeric import NUMERIC
from .reflect import REFLECT
from .regex import REGEX
from .semver import SEMVER
from .strings import STRINGS
from .system import SYSTEM, expand_env

__all__ = ["SPRIG", "empty", "expand_env", "strval"]

SPRIG: dict[str, GoFunc] = {
    **STRINGS,
    **LISTS,
    **DICTS,
    **DEFAULTS,
    **NUMERIC,
    **REGEX,
    **ENCODING,
    **REFLECT,
    **SEMVER,
    **SYSTEM,
}
