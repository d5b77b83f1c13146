# syntax=docker/dockerfile:1
# Build: docker build -t apartado .
# Run:   docker run -d -p 8080:8080 -v apartado-data:/data apartado

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/apartado ./cmd/apartado \
 && mkdir -p /out/data

# distroless/static: CA certificates, time zone data and a non-root user, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/apartado /apartado
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV APARTADO_ADDR=0.0.0.0:8080 \
    APARTADO_DATA=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/apartado", "healthcheck"]
ENTRYPOINT ["/apartado"]
CMD ["serve"]
