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
  FXP (data_conn "fxp": the other server connected / was connected to): both servers'
          final replies 2xx ....................................... ok

Control connections (sessions[].verdict): "" when the client logged in; when its
connect() to port 21 failed: timeout -> dropped, ECONNREFUSED -> reset,
EHOSTUNREACH/ENETUNREACH/EACCES -> unreachable (the rule's counter must be > 0).

Flags (transfers[].flags, sorted; [] = none expected), from what the lab knows:
  nat-mismatch ........ advertised address != the control peer's (client for PORT/EPRT,
                        server for PASV/EPSV)
  private-address ..... ...and it is private/unspecified/loopback/link-local
  third-party ......... ...and it is any other (public) address (FXP, foreign EPRT)
  privileged-port ..... advertised port < 1024
  active-source-not-20  active, the server connected or tried to (the command was sent,
                        not refused) and vsftpd had connect_from_port_20=NO (or the client's
                        accept() saw a source port other than 20)
  superseded .......... accepted, never used, and another negotiation followed in the
                        same session
  tls ................. the session did AUTH TLS
  multiline-reply ..... the negotiation reply had more than one line
  229-for-pasv / 227-for-epsv  the reply code did not match the command
  synack-not-captured, one-sided
                        --one-way connector: the capture keeps only the connector's
                        packets of each data connection; both added to every established one.
                        --one-way client: only the client's packets: one-sided on every
                        established one, synack-not-captured on the passive ones (where the
                        client connects; in active mode the client's SYN-ACK is captured)
  duplicate-frames .... --duplicates-counter: every packet the router forwarded is captured
                        twice; added to every established data connection and every
                        established control connection (sessions[].flags)
Session flags: tls; blocked (+ control-reset when the router answered with a RST) for a
control connection that was never established; duplicate-frames (see above).
Summary (only what applies): "counts": {"one_sided": N data connections captured one way,
"one_sided_pairs": "1", "duplicates": N frames captured twice (the nft counter of forwarded
TCP packets), "blocked_sessions": N, "superseded": N} (values: exact, or ">=N"), "flags":
run-wide flags (one-sided, duplicate-frames), "data_bytes_exact": true (every ok transfer's
data bytes must be client_view.bytes: duplicates not counted twice).
Evidence (transfers[].evidence): substrings the verdict's reason must contain:
  the final reply code for ok ("226"; nothing under TLS), "425" when the server said so,
  "RST" for reset, "ICMP" for unreachable, the reply code for refused, and
  "SYN-ACK not captured" where synack-not-captured is expected.
"""
import argparse
import ipaddress
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


DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]


def split_ep(ep):
    """'1.2.3.4:21' / '[v6]:21' -> (ip_address, port)."""
    h, _, p = ep.rpartition(":")
    return ipaddress.ip_address(h.strip("[]")), int(p)


def is_private(ip):
    """Non-public in ftpsniff's sense; the RFC 5737/3849 documentation ranges are the lab's
    "public" addresses."""
    if any(ip in n for n in DOC_NETS):
        return False
    return ip.is_private or ip.is_unspecified or ip.is_loopback or ip.is_link_local


def flags_for(t, ctl, conf, later_neg, one_way, dup_forwarded):
    fl = set()
    if ctl.get("tls"):
        fl.add("tls")
    reply = t.get("negotiation_reply") or ""
    if len(reply.splitlines()) > 1:
        fl.add("multiline-reply")
    neg = t["negotiation"]
    if neg == "PASV" and reply.startswith("229"):
        fl.add("229-for-pasv")
    if neg == "EPSV" and reply.startswith("227"):
        fl.add("227-for-epsv")
    if t.get("endpoint"):
        ip, port = split_ep(t["endpoint"])
        if t["mode"] == "active":
            peer = ipaddress.ip_address(ctl["client"])
        else:
            peer = split_ep(ctl["server"])[0]
        if ip != peer:
            fl.add("nat-mismatch")
            fl.add("private-address" if is_private(ip) else "third-party")
        if port < 1024:
            fl.add("privileged-port")
    dc = t.get("data_conn")
    if t["mode"] == "active" and t.get("negotiation_accepted") and dc not in (None, "not-attempted"):
        if dc == "accepted":
            if split_ep(t["data_peer"])[1] != 20:
                fl.add("active-source-not-20")
        elif (conf or {}).get("connect_from_port_20", "NO") != "YES":
            fl.add("active-source-not-20")
    if dc == "not-attempted" and later_neg:
        fl.add("superseded")
    established = dc in ("connected", "accepted", "fxp") and (t.get("final_reply") or "").startswith("2")
    if one_way and established:
        fl.add("one-sided")
        if one_way == "connector" or (one_way == "client" and t["mode"] == "passive"):
            fl.add("synack-not-captured")
    if dup_forwarded and established:
        fl.add("duplicate-frames")
    return sorted(fl)


def evidence_for(t, v, ctl, one_way):
    ev = []
    code = lambda r: (r or "")[:3]
    if v == "ok":
        if not ctl.get("tls"):
            ev.append(code(t.get("final_reply")))
        if one_way == "connector" or (one_way == "client" and t["mode"] == "passive"):
            ev.append("SYN-ACK not captured")
    elif v == "refused":
        ev.append(code(t.get("negotiation_reply")))
    elif v in ("dropped", "reset", "unreachable"):
        if v == "reset":
            ev.append("RST")
        if v == "unreachable":
            ev.append("ICMP")
        if code(t.get("command_reply")) == "425" and not ctl.get("tls"):
            ev.append("425")
    return ev


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
        if dc in ("connected", "fxp"):
            return "ok" if final.startswith("2") else "unknown"
        return PASSIVE_ERR.get(dc, "unknown")
    if dc in ("accepted", "fxp"):
        return "ok" if final.startswith("2") else "unknown"
    if (t.get("command_reply") or "").startswith("425") and active_block in ACTIVE_BLOCK:
        return ACTIVE_BLOCK[active_block]
    return "unknown"


def linktype_of(path):
    """The link type in a classic pcap file header (the packets are not read)."""
    import struct
    h = open(path, "rb").read(24)
    magic = h[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    lt = struct.unpack(order + "I", h[20:24])[0] & 0xFFFF
    return {1: "ether", 113: "linux-sll", 276: "linux-sll2"}.get(lt, str(lt))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--linktype-of":
        print(linktype_of(sys.argv[2]))
        return
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
    ap.add_argument("--capture-point", help="where the capture was taken (default: router ftpl-fw, interface ...)")
    ap.add_argument("--capture-linktype", default="ether")
    ap.add_argument("--interleaved", action="store_true",
                    help="sessions ran at the same time: order transfers by the client's clock")
    ap.add_argument("--one-way", choices=["connector", "client"],
                    help="the capture keeps only the connector's (or the client's) packets of every "
                    "data connection")
    ap.add_argument("--duplicates-counter", help="nft rule comment counting forwarded packets that the "
                    "capture holds twice: summary counts.duplicates")
    ap.add_argument("--bytes-exact", action="store_true",
                    help="summary.data_bytes_exact: every ok transfer's data bytes must be client_view.bytes "
                    "(duplicated frames must not be counted twice)")
    ap.add_argument("--add-evidence", action="append", default=[], metavar="N=TEXT",
                    help="transfer N (0-based, final order) must also have TEXT in its reason (e.g. a SYN "
                    "count the firewall counters prove)")
    ap.add_argument("--require-counter", action="append", default=[],
                    help="rule comment whose counter must be > 0 in any case")
    a = ap.parse_args()

    counters = json.load(open(a.counters)) if a.counters else {}
    transfers, sessions = [], []
    for si, spec in enumerate(a.session):
        rec_file, _, conf_file = spec.partition(":")
        rec = json.load(open(rec_file))
        conf = json.load(open(conf_file)) if conf_file else None
        ctl = rec["control"]
        conn = ctl.get("connect", "connected")
        sv = "" if conn == "connected" else PASSIVE_ERR.get(conn, "unknown")
        if sv == "unknown":
            print("mkexpect: %s: control connection %s: %r" % (a.scenario, ctl["server"], conn), file=sys.stderr)
            sys.exit(1)
        sfl = set(["tls"] if ctl["tls"] else [])
        if sv:
            sfl.add("blocked")
            if sv == "reset":
                sfl.add("control-reset")
        elif a.duplicates_counter:
            sfl.add("duplicate-frames")
        sessions.append({"client": ctl["client"], "server": ctl["server"],
                         "tls": ctl["tls"], "vsftpd": conf, "verdict": sv,
                         "flags": sorted(sfl), "transfers": len(rec["transfers"]),
                         "client_view": {"connect": conn, "connect_elapsed": ctl.get("connect_elapsed")}})
        for ti, t in enumerate(rec["transfers"]):
            v = verdict(t, a.active_block)
            out = {
                "mode": t["mode"],
                "negotiation": "hidden" if a.hide_negotiation else t["negotiation"],
                "endpoint": t.get("endpoint"),
                "command": (t.get("command") if t.get("data_conn") not in (None, "not-attempted")
                            and not a.hide_negotiation else None),
                "verdict": v,
                "flags": flags_for(t, ctl, conf, ti + 1 < len(rec["transfers"]), a.one_way,
                                   bool(a.duplicates_counter)),
                "evidence": evidence_for(t, v, ctl, a.one_way),
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
            transfers.append((t.get("t_abs", 0) if a.interleaved else 0, len(transfers), out))
    transfers = [x[2] for x in sorted(transfers, key=lambda x: (x[0], x[1]))]

    for spec in a.add_evidence:
        i, _, text = spec.partition("=")
        transfers[int(i)]["evidence"].append(text)
    failed = [t for t in transfers if t["verdict"] in ("dropped", "reset", "unreachable")]
    failed += [s for s in sessions if s["verdict"]]
    for name in a.require_counter:
        if counters.get(name, 0) <= 0:
            print("mkexpect: %s: counter %r is %r, must be > 0" % (a.scenario, name, counters.get(name)),
                  file=sys.stderr)
            sys.exit(1)
    # summary in the form the expectation harness reads: counts (exact, or ">=N") and
    # run-wide flags; data_bytes_exact is a lab note for the duplicate scenarios
    counts, sflags = {}, set()
    if a.one_way:
        counts["one_sided"] = str(sum(1 for t in transfers if "one-sided" in t["flags"]))
        counts["one_sided_pairs"] = "1"   # one client, one server: all data connections one-sided
        sflags.add("one-sided")
    if a.duplicates_counter:
        n = counters.get(a.duplicates_counter, 0)
        if n <= 0:
            print("mkexpect: %s: duplicates counter %r is %r" % (a.scenario, a.duplicates_counter, n), file=sys.stderr)
            sys.exit(1)
        counts["duplicates"] = str(n)     # each forwarded TCP packet is in the capture exactly twice
        sflags.add("duplicate-frames")
    blocked = sum(1 for x in sessions if x["verdict"])
    if blocked:
        counts["blocked_sessions"] = str(blocked)
    superseded = sum(1 for t in transfers if "superseded" in t["flags"])
    if superseded:
        counts["superseded"] = str(superseded)
    summary = {}
    if counts:
        summary["counts"] = counts
    if sflags:
        summary["flags"] = sorted(sflags)
    if a.bytes_exact:
        summary["data_bytes_exact"] = True
    for name in a.need_counter:
        if failed and counters.get(name, 0) <= 0:
            print("mkexpect: %s: counter %r is %r but %d transfers failed" % (
                a.scenario, name, counters.get(name), len(failed)), file=sys.stderr)
            sys.exit(1)

    doc = {
        "scenario": a.scenario,
        "description": a.description,
        "capture": {"file": a.capture, "interface": a.capture_if,
                    "point": a.capture_point or "router ftpl-fw, interface %s (%s side)" % (
                        a.capture_if, {"f1": "server-facing", "f0": "client-facing"}.get(a.capture_if, "?")),
                    "linktype": a.capture_linktype},
        "label_sources": ["ftpclient.py records (client's own commands, replies, connect/accept results)",
                          "nftables ruleset applied by the lab and its rule counters",
                          "vsftpd configuration generated by the lab"],
        "firewall": open(a.ruleset).read() if a.ruleset else None,
        "fw_counters": counters or None,
        "sessions": sessions,
        "transfers": transfers,
    }
    if summary:
        doc["summary"] = summary
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
