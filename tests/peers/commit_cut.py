#!/usr/bin/python3
"""A MariaDB proxy that breaks connections during COMMIT, for t_commit_cut.

  commit_cut.py PORT SOCKET MODE EVERY MAX LOG

Listens on 127.0.0.1:PORT and joins each client to the server's unix
SOCKET. It reads the MariaDB client/server protocol only as far as packet
boundaries (3-byte little-endian length, 1-byte sequence number) and the
command byte: every EVERY-th COM_QUERY "COMMIT" it sees, at most MAX times,
it breaks that connection:

  after   the COMMIT reaches the server and is made; the server's OK is
          dropped and both sides are closed: the client cannot tell.
  before  the COMMIT never reaches the server; both sides are closed and
          the server rolls the transaction back.

Each break is appended to LOG as "cut N MODE". Stopped with SIGTERM.
"""
import asyncio
import signal
import sys

COM_QUERY = 3


class Cutter:
    def __init__(self, mode, every, most, log):
        self.mode, self.every, self.most, self.log = mode, every, most, log
        self.commits = 0
        self.cuts = 0

    def should_cut(self):
        self.commits += 1
        if self.cuts >= self.most or self.commits % self.every != 0:
            return False
        self.cuts += 1
        with open(self.log, "a") as f:
            f.write(f"cut {self.cuts} {self.mode}\n")
        return True


async def packets(reader):
    """Yield (header, payload) for each protocol packet until EOF."""
    while True:
        head = await reader.readexactly(4)
        size = head[0] | head[1] << 8 | head[2] << 16
        yield head, await reader.readexactly(size)


def is_commit(payload):
    return (len(payload) > 1 and payload[0] == COM_QUERY and
            payload[1:].strip().upper() == b"COMMIT")


async def join(cutter, sock, creader, cwriter):
    try:
        sreader, swriter = await asyncio.open_unix_connection(sock)
    except OSError:
        cwriter.close()
        return
    drop_next = asyncio.Event()  # "after": the server's next packet

    def close():
        cwriter.close()
        swriter.close()

    async def upstream():
        async for head, payload in packets(creader):
            if is_commit(payload) and cutter.should_cut():
                if cutter.mode == "before":
                    close()
                    return
                drop_next.set()
            swriter.write(head + payload)
            await swriter.drain()

    async def downstream():
        async for head, payload in packets(sreader):
            if drop_next.is_set():
                close()
                return
            cwriter.write(head + payload)
            await cwriter.drain()

    try:
        await asyncio.gather(upstream(), downstream())
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    finally:
        close()


async def main():
    port, sock, mode, every, most, log = sys.argv[1:7]
    if mode not in ("after", "before"):
        sys.exit("mode: after or before")
    cutter = Cutter(mode, int(every), int(most), log)
    server = await asyncio.start_server(
        lambda r, w: join(cutter, sock, r, w), "127.0.0.1", int(port))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
