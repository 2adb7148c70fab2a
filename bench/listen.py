# listen.py BASE N: TCP listeners on 0.0.0.0, ports BASE to BASE+N-1, for a
# bench script's target namespace; held (never accepted) until stdin
# closes. Prints "ready" once they all listen.
import socket, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for port in range(base, base + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
