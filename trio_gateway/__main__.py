"""`python -m trio_gateway` is `trio-gateway`."""

import sys

from trio_gateway.cli import main

sys.exit(main())
