# sandpit: one image for `serve` (API, worker and a private Redis in one
# container), and for the api and worker services of a larger deployment.
#
#   docker build -t sandpit .                    the image (the last stage)
#   docker build --target full -t sandpit:full . the image with the full Pyodide
#                                                package repository built in
FROM golang:1.26-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY page/package.json page/package-lock.json page/
RUN cd page && npm ci --no-audit --no-fund
COPY . .
RUN cd page && npm run build
RUN CGO_ENABLED=0 go build -o /sandpit ./cmd/sandpit

# Chromium for the workers, redis-server for `serve`'s private Redis, tini as
# PID 1: it reaps the processes Chromium leaves behind, which a Go PID 1
# would not, and passes SIGTERM on so that sandpit drains.
FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends chromium util-linux redis-server tini ca-certificates curl fonts-liberation \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sandpit \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /var/lib/sandpit --shell /usr/sbin/nologin sandpit
COPY --from=build /sandpit /usr/local/bin/sandpit
# 8080: the API; 9090: a worker's metrics and health (--metrics-addr).
EXPOSE 8080 9090
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sandpit"]
# Listening beyond loopback needs SANDPIT_API_KEYS (or --insecure).
CMD ["serve", "--addr", "0.0.0.0:8080"]

# The full Pyodide release of the pinned version (page/package-lock.json),
# downloaded where the network allows. Elsewhere, give a directory that holds
# pyodide-314.0.7.tar.bz2 in place of this stage:
#   docker build --target full --build-context pyodide-archive=DIR -t sandpit:full .
FROM scratch AS pyodide-archive
ARG PYODIDE_VERSION=314.0.7
ADD https://github.com/pyodide/pyodide/releases/download/${PYODIDE_VERSION}/pyodide-${PYODIDE_VERSION}.tar.bz2 /

# The archive unpacked into a package repository and checked against the
# Pyodide that sandpit embeds.
FROM build AS packages
ARG PYODIDE_VERSION=314.0.7
COPY --from=pyodide-archive / /archive/
RUN /sandpit packages --archive /archive/pyodide-${PYODIDE_VERSION}.tar.bz2 --out /packages

FROM runtime AS full
COPY --from=packages /packages /srv/pyodide-packages
ENV SANDPIT_PACKAGES_DIR=/srv/pyodide-packages

# The default target: sandpit with the standard library only; mount a
# package repository and set SANDPIT_PACKAGES_DIR for more.
FROM runtime
