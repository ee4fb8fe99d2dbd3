# syntax=docker/dockerfile:1
# hookflow's image: one static binary on distroless, run as a non-root user.
# Every hookflow command is in it; compose picks one per service.
#   docker build -t hookflow:local --build-arg HOOKFLOW_VERSION=1.2.3 .
#   docker run --rm hookflow:local version

FROM golang:1.26 AS build
# The image pins GOTOOLCHAIN=local; let an older cached golang:1.26 fetch the
# patch release go.mod asks for instead of failing.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY . .
ARG HOOKFLOW_VERSION=dev
# The same script CI runs (.ci/run), so CI proves this step builds.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    ./.ci/build-binary /out/hookflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookflow /hookflow
# distroless's "nonroot" user, by number so runAsNonRoot checks can verify it.
USER 65532:65532
# HOOKFLOW_DATA_DIR (default .hookflow) is relative to this writable home.
WORKDIR /home/nonroot
EXPOSE 8080
ENTRYPOINT ["/hookflow"]
CMD ["server"]
