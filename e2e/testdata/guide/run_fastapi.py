# Runs the guide's FastAPI webhook handler (fastapi_handler.py, copied
# unchanged from the guide, with its WEBHOOK_SECRET literal) under
# uvicorn on a free loopback port, which it prints first; the handler's
# own print lines follow on stdout (run with python3 -u).
import os
import runpy
import socket

import uvicorn

handler = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fastapi_handler.py"))

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(handler["app"], log_level="warning")).run(sockets=[sock])
