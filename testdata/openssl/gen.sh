#!/usr/bin/env bash
# Regenerates the OpenSSL known-answer data used by chat-proto's tests.
# Run by hand only when the data must change; the outputs are checked in.
set -euo pipefail
cd "$(dirname "$0")"
openssl genrsa -traditional -out pkcs1.pem 2048 2>/dev/null     # BEGIN RSA PRIVATE KEY
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pkcs8.pem 2>/dev/null
openssl rsa -in pkcs8.pem -pubout -out pkcs8.pub.pem 2>/dev/null
openssl rsa -in pkcs1.pem -pubout -out pkcs1.pub.pem 2>/dev/null
openssl pkey -in pkcs1.pem -pubout -outform DER | sha256sum | cut -d' ' -f1 > pkcs1.fingerprint
openssl genrsa -out weak1024.pem 1024 2>/dev/null
openssl rsa -in weak1024.pem -pubout -out weak1024.pub.pem 2>/dev/null
rm weak1024.pem
# Just short of 2048 bits: 256 bytes of modulus, but too weak (count bits).
for bits in 2041 2047; do
  openssl genrsa "$bits" 2>/dev/null | openssl rsa -pubout -out "short$bits.pub.pem" 2>/dev/null
done
printf 'a session key of 32 bytes.......' > message.bin
openssl pkeyutl -encrypt -pubin -inkey pkcs8.pub.pem -in message.bin -out oaep.bin \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
openssl dgst -sha256 -sign pkcs8.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -sigopt rsa_mgf1_md:sha256 -out pss.sig message.bin
# AES-256-GCM known answer: key, nonce, aad, plaintext -> ciphertext||tag (Python's
# cryptography is OpenSSL underneath; the openssl CLI cannot do GCM with AAD).
python3 - <<'PY'
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = bytes(range(32)); nonce = bytes(range(12)); aad = b"associated"; pt = b"hello gcm"
open("gcm.txt", "w").write("\n".join(x.hex() for x in (key, nonce, aad, pt, AESGCM(key).encrypt(nonce, pt, aad))) + "\n")
PY
