#!/bin/sh
# Regenerates the TLS fixtures of the test PostgreSQL cluster
# (crates/test-support/src/postgres.rs runs it with ssl=on and these):
# a CA, a server certificate it signed for localhost and 127.0.0.1, and
# an unrelated CA a client must refuse. Valid for a century: fixtures
# for tests on loopback, never for a deployment.
set -eu
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days $days -subj "/CN=SecureChat test PostgreSQL CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out server.crt -days $days -extfile server.ext
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout other-ca.key -out other-ca.pem -days $days -subj "/CN=Some other CA"
rm -f server.csr server.ext ca.srl ca.key other-ca.key
