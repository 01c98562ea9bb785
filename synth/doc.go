// Package synth builds deterministic packet captures of FTP conversations
// for testing and benchmarking ftpsniff.
//
// A Capture holds an explicit clock and a list of frames. Conn scripts one
// TCP connection on it (handshake, data in segments with correct sequence
// and acknowledgement numbers, retransmissions, reordering, gaps, FIN or RST
// close) and the failure shapes of FTP data connections (unanswered SYNs,
// SYN answered by RST, SYN answered by an ICMP error quoting it). What the
// capture point sees can differ from what was sent: one side of a
// connection missing (Conn.SetHidden), frames not captured at all
// (Capture.Mute), skewed clocks of a merged capture (Conn.SetSkew with
// Options.SortByTime), every frame twice (Capture.SetDuplicate). Frames are
// serialized with gopacket (lengths and checksums computed) on one of several
// link types and written as pcap (either byte order, micro- or nanosecond
// timestamps), pcapng (one or two interfaces) or gzip-compressed.
//
// Cases lists hand-written scenarios with their expected ftpsniff results;
// Generate streams large interleaved captures for benchmarks.
//
// # Expect files
//
// ftpsynth -cases writes synth-<name>.expect.json beside each capture (the
// lab's lab/mkexpect.py writes lab-<name>.expect.json with the same keys,
// plus keys of its own that the tests ignore):
//
//	{
//	  "scenario": "onesided-drop",
//	  "description": "...",
//	  "transfers": [            // in negotiation order
//	    {"mode": "passive", "negotiation": "PASV", "endpoint": "203.0.113.20:50104",
//	     "command": "LIST", "verdict": "dropped",
//	     "flags": ["one-sided"],             // exact set, sorted; [] = none
//	     "evidence": ["4 SYNs", "425"]}      // substrings of the reason
//	  ],
//	  "sessions": [             // optional; in start order; [] = no FTP session
//	    {"client": "198.51.100.10", "server": "203.0.113.20:21",
//	     "verdict": "",                      // "" or dropped/reset/unreachable (blocked control connection)
//	     "flags": [], "transfers": 2,
//	     "anomalies": ["227"]}               // optional substrings of anomaly notes
//	  ],
//	  "summary": {              // optional
//	    "counts": {"state_limit_drops": "0", "duplicates": ">0"},  // "N", ">N", ">=N", "<=N"
//	    "flags": ["clock-jump"]              // exact set; [] none, null not stated
//	  }
//	}
//
// In a synth file every transfer states endpoint, command, flags and
// evidence, and every session verdict, flags and transfers: "" and [] mean
// none. In a lab file a key that is absent (or null) is not stated and not
// checked. FlagGlossary defines the flag names beyond docs/output.md.
package synth
