# sandpit: one image for the api and worker services.
FROM golang:1.26-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY page/package.json page/package-lock.json page/
RUN cd page && npm ci --no-audit --no-fund
COPY . .
RUN CGO_ENABLED=0 go build -o /sandpit ./cmd/sandpit

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends chromium util-linux ca-certificates curl fonts-liberation \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/sandpit --shell /usr/sbin/nologin sandpit
COPY --from=build /sandpit /usr/local/bin/sandpit
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/sandpit"]
# Listening beyond loopback needs SANDPIT_API_KEYS (or --insecure).
CMD ["serve", "--addr", "0.0.0.0:8080"]
