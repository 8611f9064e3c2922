# Skydd's container image: `skydd serve` as a non-root user, with everything it writes in the
# /data volume, so the container runs with a read-only root filesystem.
#
#   docker build -t skydd .
#   docker run --read-only --tmpfs /tmp -v skydd-data:/data -p 8080:8080 skydd
#
# The first start prints the admin token once (`docker logs`). Mount your register and point
# SKYDD_REGISTER at it (`-v ./register.yaml:/etc/skydd/register.yaml:ro -e
# SKYDD_REGISTER=/etc/skydd/register.yaml`); without it the bundled example register is served.
# The runtime image has no shell and no curl, so it declares no HEALTHCHECK: let the
# orchestrator probe GET /healthz (liveness) and GET /readyz (readiness) over HTTP.

# -- Build -----------------------------------------------------------------------------------
# Debian 12 on both sides: the binary links only glibc and libgcc, which the runtime has.
FROM rust:1.94-slim-bookworm AS build
WORKDIR /src
COPY . .
# The binary, and the data volume's mount point owned by the runtime's non-root user (65532).
RUN cargo build --release --locked -p skydd-cli \
 && install -D -m 0755 target/release/skydd /out/skydd \
 && install -d -m 0700 -o 65532 -g 65532 /out/data

# -- Run -------------------------------------------------------------------------------------
# Distroless: glibc, CA certificates and a `nonroot` user; no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/skydd /usr/local/bin/skydd
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV SKYDD_DATA_DIR=/data \
    SKYDD_BIND=0.0.0.0:8080 \
    SKYDD_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/skydd"]
CMD ["serve"]
