"""Micro-benchmark: CPU per `JWTValidator.validate()` of a valid token, by algorithm.

Keys are generated here, the JWK set is a local file, and the token is the same for every
call (the gateway verifies the signature each time: there is no token cache).

Usage (from the repository root, with the package installed):
    .venv/bin/python benchmarks/bench_jwt.py [-n 2000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import jwt
import trio
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, RSAAlgorithm

from trio_gateway.auth.jwt import JWTValidator
from trio_gateway.auth.validator import JWTValidatorConfig

SECRET = b"benchmark-secret-of-32-bytes!!!!"


def _keys() -> dict[str, tuple[Any, dict[str, Any]]]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "HS256": (SECRET, json.loads(HMACAlgorithm.to_jwk(SECRET))),
        "RS256": (rsa_key, json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key()))),
        "ES256": (ec_key, json.loads(ECAlgorithm.to_jwk(ec_key.public_key()))),
    }


async def run(n: int) -> None:
    claims = {"sub": "u1", "aud": "api", "roles": ["admin"], "exp": int(time.time()) + 3600}
    with tempfile.TemporaryDirectory() as folder:
        for alg, (private, jwk) in _keys().items():
            path = Path(folder) / f"{alg}.json"
            path.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "alg": alg}]}))
            validator = JWTValidator.from_config(
                JWTValidatorConfig(
                    alg=alg, jwk_local_path=str(path), audience=("api",), roles=("admin",)
                )
            )
            token = jwt.encode(claims, private, algorithm=alg, headers={"kid": "k1"})
            headers = [(b"authorization", b"Bearer " + token.encode())]
            await validator.validate(headers)  # warm: keys prepared once
            started = time.process_time()
            for _ in range(n):
                await validator.validate(headers)
            per_call = (time.process_time() - started) / n * 1e6
            print(f"{alg}: {per_call:.1f} µs of CPU per valid token")
            await validator.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    trio.run(run, parser.parse_args().n)


if __name__ == "__main__":
    main()
