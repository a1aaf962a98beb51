# A fake agent for the local-trust tests (crates/wnet/src/agent_client.rs and
# crates/cli/tests/state_trust.rs), run as another uid: it listens on the Unix socket given as
# its argument, prints READY, accepts one connection and prints RECEIVED, how many bytes it got
# and what they were. A client that refuses it leaves "RECEIVED 0 ".
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
print("READY", flush=True)
s.settimeout(30)
conn, _ = s.accept()
conn.settimeout(5)
data = b""
try:
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as error:
    print("RECV-ERROR", error, flush=True)
print("RECEIVED", len(data), data.decode(errors="replace"), flush=True)
