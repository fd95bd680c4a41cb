#!/usr/bin/env python3
"""Open N keep-alive connections to HOST:PORT, make one small HTTP request
on each, keep them open until stdin closes or a line is read.

Prints "ready <n>" when all are open. Used to measure memory per idle
connection of a proxy."""
import socket
import sys

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
req = f"GET /small.html HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit(f"connection {i} closed early")
        data += chunk
    socks.append(s)
print(f"ready {len(socks)}", flush=True)
sys.stdin.readline()
