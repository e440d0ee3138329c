# The ledger and the projector, each in an image of its own:
#   docker build --target ledger -t lexledger/ledger .
#   docker build --target projector -t lexledger/projector .
# docker-compose.yml builds both.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/ledger ./cmd/ledger \
 && go build -trimpath -ldflags="-s -w" -o /out/projector ./cmd/projector

# Alpine rather than distroless: the health checks need busybox's wget.
FROM alpine:3.22 AS runtime
# /var/lib/lexledger/nats and .../seeds/ROLE are where docker-compose.yml
# mounts the volumes of NATS configurations and of each role's seed: a new
# named volume takes its directory's owner and mode, so that the user below
# can write seeds there (0600). /var/lib/lexledger/witness is the witness's
# directory, its key and state; .../witness-vkey where it writes its public
# verifier key for the projector; .../checkpoint the signing projector's
# checkpoint key.
RUN addgroup -S -g 10001 lex \
 && adduser -S -D -H -u 10001 -G lex -h /var/lib/lexledger lex \
 && install -d -o lex -g lex /var/lib/lexledger /var/lib/lexledger/seeds \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/nats \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/seeds/ledger \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/seeds/projector \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/seeds/admin \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/seeds/clients \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/witness \
 && install -d -o lex -g lex -m 0755 /var/lib/lexledger/witness-vkey \
 && install -d -o lex -g lex -m 0700 /var/lib/lexledger/checkpoint
WORKDIR /var/lib/lexledger
USER 10001:10001

FROM runtime AS projector
COPY --from=build /out/projector /usr/local/bin/projector
EXPOSE 8081
ENTRYPOINT ["/usr/local/bin/projector"]
CMD ["serve", "--help"]

FROM runtime AS ledger
COPY --from=build /out/ledger /usr/local/bin/ledger
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ledger"]
CMD ["serve", "--help"]
