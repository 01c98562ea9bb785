#!/usr/bin/env python3
"""Scripted FTP client for the ftpsniff lab.

Runs a plan of data-connection negotiations over one control connection and
records exactly what it sent, what it received and what happened to each data
connection *from the client's point of view* (connect() result, accept() result).
These records are the ground truth the expect files are built from.

usage: ftpclient.py --host ADDR [--port 21] [--tls] --plan PLAN.json --out RECORDS.json
       ftpclient.py --host A --host2 B --plan FXP-PLAN.json --out A.json --out2 B.json

When the control connection itself cannot be established (SYNs dropped, RST, ICMP),
the records say so ("control": {"connect": "connect-timeout" | "ECONNREFUSED" |
"EHOSTUNREACH" ...}, no transfers) and the exit status is still 0.

PLAN.json is a list of steps:
  {"neg": "PASV"|"EPSV"|"PORT"|"EPRT", "cmd": "LIST" | "RETR small.txt" | "STOR incoming/x.bin" | null,
   "size": 2048,                 # STOR: bytes to send
   "addr": "198.51.100.10",      # PORT/EPRT: advertise this address instead of our own
   "port": 40001,                # PORT/EPRT: advertise this port (listen on it when it is ours)
   "no_listen": true,            # PORT/EPRT: do not listen at all (the endpoint is bogus)
   "accept_wait": 60}            # PORT/EPRT: seconds to wait for the server's data connection
cmd null means: negotiate only, never open the data connection (not-attempted).

FXP-PLAN.json (two control connections, to A = --host and B = --host2, both logged in):
  {"fxp": "pasv-src", "src": "small.txt", "dst": "incoming/x.txt"}
        PASV to A (the source), PORT <A's endpoint> to B, RETR src on A, STOR dst on B:
        B connects to A, A sends the file to B.
  {"fxp": "pasv-dst", "src": "small.txt", "dst": "incoming/y.txt"}
        PASV to B (the destination), PORT <B's endpoint> to A, STOR dst on B, RETR src on A:
        A connects to B.
  The client never touches the data connection; each server's 150/226 tell whether it
  worked ("data_conn": "fxp", "fxp_peer": the other server).
"""
import argparse
import errno
import ftplib
import json
import re
import select
import socket
import ssl
import sys
import time

CONNECT_TIMEOUT = 3.0   # passive connect() give-up time (client side)
ACCEPT_WAIT = 9.0       # active: how long we wait for the server's data connection or a reply


class Client:
    def __init__(self, host, port, tls, timeout=20):
        self.t0 = time.time()
        self.log = []
        self.tls = tls
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.ftp = ftplib.FTP_TLS(context=ctx, timeout=timeout)
        else:
            self.ftp = ftplib.FTP(timeout=timeout)
        self.host = host
        welcome = self.ftp.connect(host, port)
        self.note("S", welcome)
        sa = self.ftp.sock.getsockname()
        self.local = sa[0]
        self.peer = self.ftp.sock.getpeername()[0]
        self.v6 = ":" in self.local

    def note(self, who, text):
        self.log.append({"t": round(time.time() - self.t0, 3), "dir": who, "line": text})

    def reply(self):
        r = self.ftp.getmultiline()
        self.note("S", r)
        return r

    def cmd(self, line):
        self.note("C", line)
        self.ftp.putcmd(line)
        return self.reply()

    def login(self):
        if self.tls:
            r = self.cmd("AUTH TLS")
            if not r.startswith("234"):
                raise SystemExit("AUTH TLS refused: " + r)
            self.ftp.sock = self.ftp.context.wrap_socket(self.ftp.sock, server_hostname=None)
            self.ftp.file = self.ftp.sock.makefile("r", encoding=self.ftp.encoding)
            self.note("-", "TLS established: %s" % self.ftp.sock.version())
        self.cmd("USER anonymous")
        self.cmd("PASS lab@ftpsniff.test")
        if self.tls:
            self.cmd("PBSZ 0")
            self.cmd("PROT P")
        self.cmd("TYPE I")

    def wrap_data(self, conn):
        if not self.tls:
            return conn
        return self.ftp.context.wrap_socket(conn, server_hostname=None, session=self.ftp.sock.session)

    @staticmethod
    def fmt(addr, port):
        return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)

    def transfer_data(self, conn, rec, step):
        conn = self.wrap_data(conn)
        n = 0
        if rec["command"] == "STOR":
            size = int(step.get("size", 2048))
            payload = bytes((i * 13 + 5) & 0xFF for i in range(size))
            conn.sendall(payload)
            n = size
        else:
            while True:
                b = conn.recv(65536)
                if not b:
                    break
                n += len(b)
        if self.tls:
            try:
                conn.unwrap()
            except (ssl.SSLError, OSError):
                pass
        conn.close()
        rec["bytes"] = n

    def run_step(self, step):
        neg = step["neg"].upper()
        cmdline = step.get("cmd")
        rec = {"negotiation": neg, "mode": "passive" if neg in ("PASV", "EPSV") else "active",
               "command": cmdline.split()[0].upper() if cmdline else None, "command_line": cmdline,
               "t_start": round(time.time() - self.t0, 3), "t_abs": round(time.time(), 6)}
        if rec["mode"] == "passive":
            self.passive(step, rec, neg, cmdline)
        else:
            self.active(step, rec, neg, cmdline)
        return rec

    def passive(self, step, rec, neg, cmdline):
        r = self.cmd(neg)
        rec["negotiation_reply"] = r
        if not r.startswith("2"):
            rec["negotiation_accepted"] = False
            return
        rec["negotiation_accepted"] = True
        if neg == "PASV":
            m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", r)
            h = ".".join(m.group(i) for i in range(1, 5))
            p = int(m.group(5)) * 256 + int(m.group(6))
        else:
            m = re.search(r"\((.)\1\1(\d+)\1\)", r)
            h = self.peer
            p = int(m.group(2))
        rec["endpoint"] = self.fmt(h, p)
        if not cmdline:
            rec["data_conn"] = "not-attempted"
            return
        conn = None
        t = time.time()
        try:
            conn = socket.create_connection((h, p), timeout=CONNECT_TIMEOUT)
            rec["data_conn"] = "connected"
        except socket.timeout:
            rec["data_conn"] = "connect-timeout"
        except OSError as e:
            rec["data_conn"] = errno.errorcode.get(e.errno, str(e.errno))
        rec["connect_elapsed"] = round(time.time() - t, 3)
        r = self.cmd(cmdline)
        rec["command_reply"] = r
        if conn is not None and r.startswith("1"):
            self.transfer_data(conn, rec, step)
            rec["final_reply"] = self.reply()
        elif conn is not None:
            conn.close()

    def active(self, step, rec, neg, cmdline):
        lst = None
        addr = step.get("addr", self.local)
        port = step.get("port", 0)
        if not step.get("no_listen"):
            lst = socket.socket(socket.AF_INET6 if self.v6 else socket.AF_INET, socket.SOCK_STREAM)
            lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lst.bind((self.local, port))
            lst.listen(1)
            port = lst.getsockname()[1]
        if neg == "PORT":
            line = "PORT %s,%d,%d" % (addr.replace(".", ","), port >> 8, port & 0xFF)
        else:
            line = "EPRT |%d|%s|%d|" % (2 if ":" in addr else 1, addr, port)
        rec["endpoint"] = self.fmt(addr, port)
        r = self.cmd(line)
        rec["negotiation_reply"] = r
        rec["negotiation_accepted"] = r.startswith("2")
        if not r.startswith("2") or not cmdline:
            if r.startswith("2"):
                rec["data_conn"] = "not-attempted"
            if lst:
                lst.close()
            return
        self.note("C", cmdline)
        self.ftp.putcmd(cmdline)
        # wait for whichever comes first: the server's data connection or a reply
        deadline = time.time() + float(step.get("accept_wait", ACCEPT_WAIT))
        conn = None
        while time.time() < deadline:
            rd, _, _ = select.select([lst, self.ftp.sock], [], [], max(0.0, deadline - time.time()))
            if lst in rd:
                conn, peer = lst.accept()
                rec["data_conn"] = "accepted"
                rec["data_peer"] = self.fmt(peer[0], peer[1])
                break
            if self.ftp.sock in rd:
                break
        if conn is None:
            rec.setdefault("data_conn", "no-connection")
        rec["accept_elapsed"] = round(time.time() - (deadline - float(step.get("accept_wait", ACCEPT_WAIT))), 3)
        r = self.reply()
        rec["command_reply"] = r
        if conn is not None and r.startswith("1"):
            self.transfer_data(conn, rec, step)
            rec["final_reply"] = self.reply()
        elif conn is not None:
            conn.close()
        lst.close()

    def quit(self):
        try:
            self.cmd("QUIT")
        except (OSError, EOFError, ftplib.Error):
            pass
        self.ftp.close()


def fxp_step(a, b, step):
    """One server-to-server transfer: src on a (RETR), dst on b (STOR); see the docstring."""
    src, dst, kind = step["src"], step["dst"], step["fxp"]
    lis, con = (a, b) if kind == "pasv-src" else (b, a)
    now = time.time()
    rl = {"negotiation": "PASV", "mode": "passive", "t_start": round(now - lis.t0, 3), "t_abs": round(now, 6)}
    r = lis.cmd("PASV")
    rl["negotiation_reply"] = r
    rl["negotiation_accepted"] = r.startswith("2")
    m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", r)
    h = ".".join(m.group(i) for i in range(1, 5))
    p = int(m.group(5)) * 256 + int(m.group(6))
    rl["endpoint"] = lis.fmt(h, p)
    now = time.time()
    rc = {"negotiation": "PORT", "mode": "active", "t_start": round(now - con.t0, 3), "t_abs": round(now, 6),
          "endpoint": con.fmt(h, p)}
    r = con.cmd("PORT %s,%d,%d" % (h.replace(".", ","), p >> 8, p & 0xFF))
    rc["negotiation_reply"] = r
    rc["negotiation_accepted"] = r.startswith("2")
    if not (rl["negotiation_accepted"] and rc["negotiation_accepted"]):
        raise SystemExit("FXP negotiation refused: %r %r" % (rl, rc))
    lcmd, ccmd = ("RETR " + src, "STOR " + dst) if lis is a else ("STOR " + dst, "RETR " + src)
    for rec, line, other in ((rl, lcmd, con), (rc, ccmd, lis)):
        rec.update({"command": line.split()[0], "command_line": line, "data_conn": "fxp",
                    "fxp_peer": other.peer, "bytes": None})
    # the listener first (it waits in accept()), then the connector, which connects and answers 150
    lis.note("C", lcmd)
    lis.ftp.putcmd(lcmd)
    rc["command_reply"] = con.cmd(ccmd)
    rl["command_reply"] = lis.reply()
    for rec, c in ((rl, lis), (rc, con)):
        if rec["command_reply"].startswith("1"):
            rec["final_reply"] = c.reply()
    return (rl, rc) if lis is a else (rc, rl)


def local_addr(host, port):
    """The source address the kernel picks for host (a UDP socket sends nothing)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.connect((host, port))
        return s.getsockname()[0]
    finally:
        s.close()


def connect(host, port, tls, timeout):
    """Client(...) or, when the control connection fails, a record of why."""
    t = time.time()
    try:
        return Client(host, port, tls, timeout=timeout), None
    except socket.timeout:
        err = "connect-timeout"
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
    fmt = Client.fmt
    return None, {"control": {"client": local_addr(host, port), "server": fmt(host, port), "tls": tls,
                              "connect": err, "connect_elapsed": round(time.time() - t, 3)},
                  "transfers": [], "transcript": []}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--plan", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--host2", help="FXP: the second server")
    ap.add_argument("--out2", help="FXP: records of the control connection to --host2")
    ap.add_argument("--connect-timeout", type=float, default=20,
                    help="control connection: give up after this many seconds")
    a = ap.parse_args()
    plan = json.load(open(a.plan))
    if a.host2:
        ca, cb = Client(a.host, a.port, a.tls), Client(a.host2, a.port, a.tls)
        ca.login()
        cb.login()
        ra, rb = [], []
        for step in plan:
            x, y = fxp_step(ca, cb, step)
            ra.append(x)
            rb.append(y)
        for c, recs, out in ((ca, ra, a.out), (cb, rb, a.out2)):
            c.quit()
            json.dump({"control": {"client": c.local, "server": c.fmt(c.host, a.port), "tls": a.tls,
                                   "connect": "connected"},
                       "transfers": recs, "transcript": c.log}, open(out, "w"), indent=1)
            for r in recs:
                print("%s %-4s %-22s %-5s fxp peer %s: %s" % (c.host, r["negotiation"], r["endpoint"], r["command"],
                                                             r["fxp_peer"], (r.get("final_reply") or r.get("command_reply")).splitlines()[0]),
                      file=sys.stderr)
        return
    c, failed = connect(a.host, a.port, a.tls, a.connect_timeout)
    if failed:
        json.dump(failed, open(a.out, "w"), indent=1)
        print("control connection to %s: %s" % (failed["control"]["server"], failed["control"]["connect"]),
              file=sys.stderr)
        return
    c.login()
    recs = []
    for step in plan:
        recs.append(c.run_step(step))
    c.quit()
    out = {"control": {"client": c.local, "server": c.fmt(a.host, a.port),
                       "tls": a.tls, "connect": "connected"},
           "transfers": recs, "transcript": c.log}
    json.dump(out, open(a.out, "w"), indent=1)
    for r in recs:
        print("%-4s %-28s %-5s %-16s %s" % (r["negotiation"], r.get("endpoint"), r["command"],
                                           r.get("data_conn"), (r.get("final_reply") or r.get("command_reply")
                                                                or r.get("negotiation_reply") or "").splitlines()[0]),
              file=sys.stderr)


if __name__ == "__main__":
    main()
