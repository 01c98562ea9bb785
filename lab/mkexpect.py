#!/usr/bin/env python3
"""Build a lab-<scenario>.expect.json from what the lab knows.

Inputs are the ftpclient.py records of each control session (what the client sent
and received, and what its own connect()/accept() calls returned), the firewall
ruleset the lab applied and the nft rule counters read after the run, and the
vsftpd configuration.  The capture is never read.

Verdict rules:
  negotiation reply not 2xx ............................. refused
  negotiation accepted, client never used it ............ not-attempted
  passive: client connect() succeeded + 2xx final ....... ok
  passive: connect() timed out .......................... dropped
  passive: connect() ECONNREFUSED ....................... reset
  passive: connect() EHOSTUNREACH/ENETUNREACH/EACCES .... unreachable
  active: server connected to our listener + 2xx final .. ok
  active: no connection, server 425 ..................... what the firewall does to
          inbound SYNs to the client LAN (--active-block drop|rst|icmp), checked
          against the nft counter of that rule (--need-counter) being > 0
  --hide-negotiation: negotiation recorded as "hidden" and command as null (control
          channel under TLS); what was really sent is kept in client_view
"""
import argparse
import json
import sys

PASSIVE_ERR = {
    "connect-timeout": "dropped",
    "ECONNREFUSED": "reset",
    "EHOSTUNREACH": "unreachable",
    "ENETUNREACH": "unreachable",
    "EACCES": "unreachable",
    "EHOSTDOWN": "unreachable",
}
ACTIVE_BLOCK = {"drop": "dropped", "rst": "reset", "icmp": "unreachable"}


def first(r):
    return (r or "").splitlines()[0] if r else None


def verdict(t, active_block):
    if not t.get("negotiation_accepted"):
        return "refused"
    dc = t.get("data_conn")
    if dc == "not-attempted":
        return "not-attempted"
    final = t.get("final_reply") or ""
    if t["mode"] == "passive":
        if dc == "connected":
            return "ok" if final.startswith("2") else "unknown"
        return PASSIVE_ERR.get(dc, "unknown")
    if dc == "accepted":
        return "ok" if final.startswith("2") else "unknown"
    if (t.get("command_reply") or "").startswith("425") and active_block in ACTIVE_BLOCK:
        return ACTIVE_BLOCK[active_block]
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--description", required=True)
    ap.add_argument("--session", action="append", default=[],
                    help="records.json[:vsftpd-conf.json] of one control session, in order")
    ap.add_argument("--active-block", default="none")
    ap.add_argument("--ruleset", help="nft ruleset file applied in ftpl-fw")
    ap.add_argument("--counters", help="nft counters JSON after the run")
    ap.add_argument("--need-counter", action="append", default=[],
                    help="rule comment whose counter must be > 0 if any transfer failed")
    ap.add_argument("--hide-negotiation", action="store_true")
    ap.add_argument("--capture", required=True)
    ap.add_argument("--capture-if", default="f1")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    counters = json.load(open(a.counters)) if a.counters else {}
    transfers, sessions = [], []
    for si, spec in enumerate(a.session):
        rec_file, _, conf_file = spec.partition(":")
        rec = json.load(open(rec_file))
        conf = json.load(open(conf_file)) if conf_file else None
        sessions.append({"client": rec["control"]["client"], "server": rec["control"]["server"],
                         "tls": rec["control"]["tls"], "vsftpd": conf})
        for t in rec["transfers"]:
            v = verdict(t, a.active_block)
            out = {
                "mode": t["mode"],
                "negotiation": "hidden" if a.hide_negotiation else t["negotiation"],
                "endpoint": t.get("endpoint"),
                "command": (t.get("command") if t.get("data_conn") not in (None, "not-attempted")
                            and not a.hide_negotiation else None),
                "verdict": v,
                "session": si,
                "client_view": {
                    "negotiation_sent": t["negotiation"],
                    "command_sent": t.get("command_line") if t.get("data_conn") not in (None, "not-attempted") else None,
                    "negotiation_reply": first(t.get("negotiation_reply")),
                    "data_conn": t.get("data_conn"),
                    "command_reply": first(t.get("command_reply")),
                    "final_reply": first(t.get("final_reply")),
                    "bytes": t.get("bytes"),
                },
            }
            if v == "unknown":
                print("mkexpect: %s: transfer %s gives verdict unknown: %r" % (a.scenario, out["endpoint"], t),
                      file=sys.stderr)
                sys.exit(1)
            transfers.append(out)

    failed = [t for t in transfers if t["verdict"] in ("dropped", "reset", "unreachable")]
    for name in a.need_counter:
        if failed and counters.get(name, 0) <= 0:
            print("mkexpect: %s: counter %r is %r but %d transfers failed" % (
                a.scenario, name, counters.get(name), len(failed)), file=sys.stderr)
            sys.exit(1)

    doc = {
        "scenario": a.scenario,
        "description": a.description,
        "capture": {"file": a.capture, "interface": a.capture_if,
                    "point": "router ftpl-fw, interface %s (%s side)" % (
                        a.capture_if, {"f1": "server-facing", "f0": "client-facing"}.get(a.capture_if, "?")),
                    "linktype": "ether"},
        "label_sources": ["ftpclient.py records (client's own commands, replies, connect/accept results)",
                          "nftables ruleset applied by the lab and its rule counters",
                          "vsftpd configuration generated by the lab"],
        "firewall": open(a.ruleset).read() if a.ruleset else None,
        "fw_counters": counters or None,
        "sessions": sessions,
        "transfers": transfers,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
