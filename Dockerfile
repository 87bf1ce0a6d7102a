# rcrp-router container: build a static-stdlib release binary with the same script CI runs
# (scripts/build-release.sh), then ship it on slim Debian with only libssl, zlib and tcmalloc beside it.
#
#   docker build -t rcrp-router .
#   docker run -d --name rcrp -p 8080:8080 -v rcrp-data:/data \
#       -e RCRP_KEYS='[{id: cad-1, role: control_room, sha256: <rcrp-router hash-key output>}]' rcrp-router
#   docker run --rm -p 8080:8080 rcrp-router serve --dev --host 0.0.0.0   # try it (dev keys!)
#
# Every setting can be given as an RCRP_* environment variable (see config/rcrp-router.yaml).

FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libgoogle-perftools-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest names the test targets too, so SwiftPM wants their folders even for a release build.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts ./scripts
RUN scripts/build-release.sh --output /out

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 zlib1g libtcmalloc-minimal4 libstdc++6 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 rcrp \
 && useradd --system --uid 10001 --gid rcrp --home-dir /data --shell /usr/sbin/nologin rcrp \
 && mkdir -p /data /etc/rcrp-router \
 && chown rcrp:rcrp /data
COPY --from=build /out/rcrp-router /usr/local/bin/rcrp-router
COPY config/rcrp-router.yaml /etc/rcrp-router/rcrp-router.yaml
COPY config/rules /etc/rcrp-router/rules
COPY config/agencies.example.yaml /etc/rcrp-router/agencies.example.yaml

# The image's defaults: listen on every interface of the container, keep the ledger on the volume.
ENV RCRP_LISTEN_HOST=0.0.0.0 \
    RCRP_LISTEN_PORT=8080 \
    RCRP_DATA_DIR=/data \
    RCRP_RULES_PATH=/etc/rcrp-router/rules
WORKDIR /etc/rcrp-router
VOLUME ["/data"]
USER rcrp:rcrp
EXPOSE 8080
# The binary asks its own /readyz (plain HTTP on RCRP_LISTEN_PORT): no curl in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/rcrp-router", "probe"]
# Exec form, so SIGTERM goes to rcrp-router itself (PID 1), which finishes in-flight requests
# within timeouts.shutdown_grace_seconds and exits 0. Give `docker stop` at least that long.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rcrp-router"]
CMD ["serve", "--config", "/etc/rcrp-router/rcrp-router.yaml"]
