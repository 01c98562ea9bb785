#!/usr/bin/env python3
"""Turn the `curl -v` log of one FTP invocation into ftpclient.py-style records.

usage: curl2rec.py --log curl.err --rc EXITCODE --server HOST --client ADDR --out records.json

Only curl's own debug output is used: the commands it sent ("> "), the replies it
received ("< "), and its info lines ("* Connection accepted from server",
"* Failed to connect to ...").
"""
import argparse
import json
import re

NEG = ("PASV", "EPSV", "PORT", "EPRT")
DATA_CMDS = ("LIST", "NLST", "MLSD", "RETR", "STOR", "APPE", "STOU")


def fmt(h, p):
    return ("[%s]:%d" if ":" in h else "%s:%d") % (h, p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--rc", type=int, required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    recs, cur, state = [], None, None
    transcript = []
    for raw in open(a.log, errors="replace"):
        line = raw.rstrip("\r\n")
        if line.startswith("> "):
            sent = line[2:]
            transcript.append({"dir": "C", "line": sent})
            verb = sent.split()[0].upper() if sent.split() else ""
            if verb in NEG:
                cur = {"negotiation": verb, "mode": "passive" if verb in ("PASV", "EPSV") else "active",
                       "command": None, "command_line": None, "data_conn": None}
                recs.append(cur)
                state = "neg"
                if verb == "PORT":
                    n = [int(x) for x in sent.split()[1].split(",")]
                    cur["endpoint"] = fmt(".".join(map(str, n[:4])), n[4] * 256 + n[5])
                elif verb == "EPRT":
                    d = sent.split()[1][0]
                    _, _, h, p, _ = sent.split()[1].split(d)
                    cur["endpoint"] = fmt(h, int(p))
            elif verb in DATA_CMDS and cur is not None and cur["command"] is None and cur.get("negotiation_accepted"):
                cur["command"] = verb
                cur["command_line"] = sent
                state = "cmd"
            continue
        if line.startswith("< "):
            rep = line[2:]
            transcript.append({"dir": "S", "line": rep})
            if cur is None:
                continue
            if state == "neg":
                cur["negotiation_reply"] = rep
                cur["negotiation_accepted"] = rep.startswith("2")
                if rep.startswith("227"):
                    m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", rep)
                    cur["endpoint"] = fmt(".".join(m.group(i) for i in range(1, 5)),
                                          int(m.group(5)) * 256 + int(m.group(6)))
                elif rep.startswith("229"):
                    m = re.search(r"\((.)\1\1(\d+)\1\)", rep)
                    cur["endpoint"] = fmt(a.server, int(m.group(2)))
                state = "negdone"
            elif state == "cmd":
                if "command_reply" not in cur:
                    cur["command_reply"] = rep
                    if not rep.startswith("1"):
                        state = "done"
                else:
                    cur["final_reply"] = rep
                    state = "done"
            continue
        if line.startswith("* ") and cur is not None:
            info = line[2:]
            if "Connection accepted from server" in info:
                cur["data_conn"] = "accepted"
            m = re.search(r"Failed to connect to .* port (\d+).*?: (.*)", info)
            if m and cur["mode"] == "passive":
                err = m.group(2)
                cur["data_conn"] = ("connect-timeout" if "Timeout" in err or "timed out" in err else
                                    "ECONNREFUSED" if "refused" in err else
                                    "EHOSTUNREACH" if "No route" in err else err)
    for r in recs:
        if r.get("negotiation_accepted") and r["command"] is None:
            r["data_conn"] = "not-attempted"
        elif r["mode"] == "passive" and r["data_conn"] is None and r["command"]:
            # curl connects before sending the command; a 150 means the connection was up
            r["data_conn"] = "connected" if (r.get("command_reply") or "").startswith("1") else "unknown"
        elif r["mode"] == "active" and r["data_conn"] is None and r["command"]:
            r["data_conn"] = "no-connection"
    out = {"control": {"client": a.client, "server": fmt(a.server, 21), "tls": False},
           "curl_exit": a.rc, "transfers": recs, "transcript": transcript}
    json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
