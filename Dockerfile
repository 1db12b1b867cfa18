# trio-gateway as KrakenD's image is used: mount your configuration at /etc/krakend and run
#   docker build -t trio-gateway .
#   docker run -p 8080:8080 -v "$PWD:/etc/krakend" trio-gateway
# FC_ENABLE, FC_SETTINGS, FC_PARTIALS, FC_TEMPLATES, FC_OUT and KRAKEND_* work as with KrakenD
# (relative paths are relative to /etc/krakend, the working directory).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The package from this checkout (no compiler needed: every dependency ships wheels).
COPY pyproject.toml README.md /src/
COPY trio_gateway /src/trio_gateway
RUN pip install /src && rm -rf /src \
    && useradd --system --uid 1000 --no-create-home --shell /usr/sbin/nologin krakend \
    && mkdir -p /etc/krakend \
    && cp "$(python -c 'import trio_gateway.demo, pathlib; print(pathlib.Path(trio_gateway.demo.__file__).parent / "demo.json")')" /etc/krakend/krakend.json

WORKDIR /etc/krakend
USER krakend
EXPOSE 8080

# /__health answers 200 while the gateway serves (KrakenD's health endpoint). Override the URL
# when your configuration moves the port or the health path.
ENV TRIO_GATEWAY_HEALTHCHECK_URL=http://127.0.0.1:8080/__health
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen(os.environ['TRIO_GATEWAY_HEALTHCHECK_URL'], timeout=2).status != 200)"]

# SIGTERM (docker stop) finishes the requests in flight, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["trio-gateway"]
CMD ["run", "-c", "/etc/krakend/krakend.json"]
