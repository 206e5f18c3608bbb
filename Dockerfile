# syntax=docker/dockerfile:1
# The release image, built by goreleaser's dockers_v2 from the binaries it
# has already built: the context holds linux/amd64/hookscope and
# linux/arm64/hookscope, nothing is compiled here.
#
#   docker run --rm -it -v hookscope:/data -e HOOKSCOPE_DB=/data/hookscope.db \
#     ghcr.io/hookscope/hookscope listen --host 0.0.0.0
#
# --host 0.0.0.0: inside a container 127.0.0.1 is the container's own
# loopback, which `docker run -p` never forwards to.

# A fresh named volume takes the owner of the directory it is mounted on:
# /data must exist and belong to the non-root user, or the store cannot be
# created. Made on the build machine's platform, so arm64 needs no emulation.
FROM --platform=$BUILDPLATFORM busybox:1.37 AS data
RUN mkdir -p /out/data && chown 65532:65532 /out/data

# distroless static: CA certificates (ngrok, https forward targets), tzdata,
# a nonroot user (65532), no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG TARGETPLATFORM
COPY --from=data --chown=65532:65532 /out/ /
COPY $TARGETPLATFORM/hookscope /usr/bin/hookscope
ENV HOOKSCOPE_DB=/data/hookscope.db
USER 65532:65532
VOLUME ["/data"]
EXPOSE 7717
ENTRYPOINT ["hookscope"]
