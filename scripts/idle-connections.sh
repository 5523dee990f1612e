#!/usr/bin/env bash
# Opens N idle connections to a fresh chat-server and prints the server's
# resident memory per connection, read from /proc. A measurement, not a test:
# the number goes in docs/SECURITY.md, never in an assertion.
#
#   scripts/idle-connections.sh [N] [--tls]
#
# Uses target/release/chat-server (build it first: cargo build --release -p
# chat-server) or $CHAT_SERVER. Each connection reads its hello (so the server
# has fully set it up) and then stays silent; the login and idle timeouts are
# raised for the run so that the server keeps them all.
set -euo pipefail
N=${1:-10000}
TLS=${2:-}
BIN=${CHAT_SERVER:-target/release/chat-server}
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release -p chat-server, or set CHAT_SERVER" >&2; exit 1; }
# The server and the client each hold N descriptors.
ulimit -n $((N + 4096)) || { echo "cannot raise the fd limit to $((N + 4096)); run as root or raise the hard limit" >&2; exit 1; }

dir=$(mktemp -d)
plain=(--plaintext)
[ "$TLS" = "--tls" ] && plain=()
"$BIN" "${plain[@]}" --listen 127.0.0.1:0 --data-dir "$dir" --bcrypt-cost 4 \
  --max-connections $((N + 100)) --login-timeout 86400 --idle-timeout 86400 \
  >"$dir/stdout" 2>"$dir/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  grep -q '^Server Listening' "$dir/stdout" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/^Server Listening on address .* port \([0-9]*\)$/\1/p' "$dir/stdout")
[ -n "$port" ] || { echo "the server did not start; see its log:" >&2; cat "$dir/server.log" >&2; exit 1; }

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

python3 - "$port" "$N" "$pid" "$TLS" <<'PY'
import socket, ssl, struct, sys, time

port, n, pid, tls = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "--tls"

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def read_exact(s, k):
    buf = b""
    while len(buf) < k:
        chunk = s.recv(k - len(buf))
        if not chunk:
            raise SystemExit("the server closed a connection early")
        buf += chunk
    return buf

ctx = None
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3

# Warm up: one connection, so the baseline includes the runtime's threads.
def connect():
    s = socket.create_connection(("127.0.0.1", port))
    if ctx:
        s = ctx.wrap_socket(s)
    (length,) = struct.unpack(">I", read_exact(s, 4))
    read_exact(s, length)  # hello
    return s

held = [connect()]
time.sleep(0.5)
before = rss_kib()
start = time.time()
for _ in range(n - 1):
    held.append(connect())
opened = time.time() - start
time.sleep(1.0)
after = rss_kib()
per = (after - before) * 1024 / (n - 1)
print(f"connections held: {len(held)} ({'TLS 1.3' if tls else 'plaintext'}), opened in {opened:.1f} s")
print(f"server RSS: {before} KiB with 1 connection, {after} KiB with {len(held)}")
print(f"RSS per idle connection: {per:.0f} bytes ({per / 1024:.1f} KiB)")
PY
