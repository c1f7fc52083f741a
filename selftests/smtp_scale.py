#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Hold N SMTP sessions open at once, then finish them all (--serve: the
minimal SMTP server for them, on epoll, without a per-process fd cap).

Each session: banner, HELO, MAIL, RCPT, DATA up to the 354; there it waits
until every session has got that far (the file HOLD is written with the
count) and the file GO appears; then it sends a short message, reads the
250 and aborts with a RST (SO_LINGER 0), so that no TIME_WAIT socket is
left to blur the next slab reading.  Prints "completed K of N".
"""
import argparse
import asyncio
import os
import resource
import socket
import struct
import sys


async def session(i, args, ready, go, sem, results):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(args.server, 25), 60)
        except (OSError, asyncio.TimeoutError):
            results["connect"] += 1
            ready.release()
            return
    try:
        async def expect(code):
            while True:
                line = await asyncio.wait_for(reader.readline(), 120)
                if not line.startswith(code):
                    raise ValueError(line)
                if line[3:4] != b"-":
                    return

        await expect(b"220")
        for cmd, code in ((b"HELO c%d.example" % i, b"250"),
                          (b"MAIL FROM:<s%d@client.example>" % i, b"250"),
                          (b"RCPT TO:<r%d@sink.example>" % i, b"250"),
                          (b"DATA", b"354")):
            writer.write(cmd + b"\r\n")
            await expect(code)
        results["held"] += 1
        ready.release()
        await go.wait()
        writer.write(b"From: s%d@client.example\r\nSubject: scale %d\r\n\r\n"
                     b"held open with %d others\r\n.\r\n" % (i, i, args.n - 1))
        await expect(b"250")
        results["completed"] += 1
    except (OSError, ValueError, asyncio.TimeoutError) as e:
        results["error"] += 1
        if results["error"] <= 5:
            print("session %d: %r" % (i, e), file=sys.stderr)
        ready.release()
    finally:
        sock = writer.get_extra_info("socket")
        try:
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass    # already closed by a reset: nothing to linger
        writer.close()


async def serve_one(reader, writer):
    try:
        writer.write(b"220 sink.example ESMTP\r\n")
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                while (await reader.readline()) not in (b".\r\n", b""):
                    pass
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                break
            else:
                writer.write(b"250 ok\r\n")
    except OSError:
        pass
    writer.close()


async def serve(args):
    server = await asyncio.start_server(serve_one, args.listen, 25, backlog=4096)
    async with server:
        await server.serve_forever()


async def main(args):
    results = {"connect": 0, "held": 0, "completed": 0, "error": 0}
    ready = asyncio.Semaphore(0)
    go = asyncio.Event()
    sem = asyncio.Semaphore(args.ramp)
    tasks = [asyncio.create_task(session(i, args, ready, go, sem, results))
             for i in range(args.n)]
    for _ in range(args.n):
        await ready.acquire()
    with open(args.hold, "w") as f:
        f.write("%d\n" % results["held"])
    while not os.path.exists(args.go):
        await asyncio.sleep(0.2)
    go.set()
    await asyncio.gather(*tasks)
    print("completed %d of %d (held %d, connect failures %d, errors %d)" % (
        results["completed"], args.n, results["held"], results["connect"],
        results["error"]))
    return 0 if results["completed"] == args.n else 1


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--server")
    p.add_argument("--serve", dest="listen", help="be the server, on this address")
    p.add_argument("-n", type=int, default=10000)
    p.add_argument("--ramp", type=int, default=256, help="connects in flight")
    p.add_argument("--hold")
    p.add_argument("--go")
    a = p.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (2 * a.n + 1024, 2 * a.n + 1024))
    sys.exit(asyncio.run(serve(a) if a.listen else main(a)))
