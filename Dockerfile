# raftinel: a static binary on a small base image, run as a non-root user.
#   docker build -t raftinel .
#   docker run -v $PWD/sentinel.conf:/etc/raftinel/sentinel.conf:ro raftinel
# The data dir (`dir` in the config, /var/lib/raftinel here) holds the Raft
# log and the node's identity: give it a volume.

FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/raftinel ./cmd/raftinel

# alpine rather than distroless: its busybox wget serves the HTTP
# healthchecks of docker-compose.yml.
FROM alpine:3.20
RUN addgroup -S -g 10001 raftinel \
 && adduser -S -D -H -u 10001 -G raftinel raftinel \
 && mkdir -p /etc/raftinel /var/lib/raftinel \
 && chown raftinel:raftinel /var/lib/raftinel
COPY --from=build /out/raftinel /usr/local/bin/raftinel
USER 10001:10001
VOLUME ["/var/lib/raftinel"]
# 26379: Sentinel protocol and Raft (one port); 9121: http-port (metrics, health)
EXPOSE 26379 9121
ENTRYPOINT ["/usr/local/bin/raftinel"]
CMD ["/etc/raftinel/sentinel.conf"]
