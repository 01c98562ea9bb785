package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// Scan is an FTP bounce scan seen on one control connection: PORT/EPRT
// commands naming many ports, or hosts other than the client's.
type Scan struct {
	SessionID uint64         `json:"session"`
	Scanner   netip.Addr     `json:"scanner"`
	Server    netip.AddrPort `json:"server"`
	// Targets are the hosts named (at most 16), Ports how many distinct
	// ports, Probes how many negotiations, Open how many connected.
	Targets []netip.Addr `json:"targets"`
	Ports   int          `json:"ports"`
	Probes  int          `json:"probes"`
	Open    int          `json:"open"`
}

// Scan thresholds: this many negotiations naming a third host, or this
// many distinct ports with one of them privileged.
const (
	scanThirdHostProbes = 5
	scanPorts           = 10
)

// detectScans finds the sessions whose active negotiations look like an
// nmap -b bounce scan.
func detectScans(ts []*session.Transfer) map[uint64]*Scan {
	type acc struct {
		sc         *Scan
		third      int
		ports      map[uint16]bool
		privileged bool
	}
	by := map[uint64]*acc{}
	for _, t := range ts {
		if t.Mode != session.Active || !t.Endpoint.IsValid() {
			continue
		}
		a := by[t.SessionID]
		if a == nil {
			a = &acc{sc: &Scan{SessionID: t.SessionID, Scanner: t.Client.Addr().Unmap(), Server: t.Server}, ports: map[uint16]bool{}}
			by[t.SessionID] = a
		}
		ep := t.Endpoint.Addr().Unmap()
		a.sc.Probes++
		natted := session.Classify(ep).NonPublic() && !session.Classify(a.sc.Scanner).NonPublic()
		if ep != a.sc.Scanner && !natted {
			a.third++
		}
		if !slices.Contains(a.sc.Targets, ep) && len(a.sc.Targets) < 16 {
			a.sc.Targets = append(a.sc.Targets, ep)
		}
		a.ports[t.Endpoint.Port()] = true
		if t.Endpoint.Port() < 1024 {
			a.privileged = true
		}
		if t.Data != nil && t.Data.Established {
			a.sc.Open++
		}
	}
	out := map[uint64]*Scan{}
	for id, a := range by {
		a.sc.Ports = len(a.ports)
		if a.third >= scanThirdHostProbes || (a.sc.Ports >= scanPorts && a.privileged) {
			slices.SortFunc(a.sc.Targets, func(x, y netip.Addr) int { return x.Compare(y) })
			out[id] = a.sc
		}
	}
	return out
}

// scanFinding rewrites a scan session's finding: a security finding naming
// scanner and targets, never a firewall fault.
func scanFinding(f *Finding, sc *Scan) {
	ks := []Kind{KindBounceScan}
	for _, k := range f.Kinds {
		if k == KindBounce || k == KindPrivilegedPort {
			ks = appendKind(ks, k)
		}
	}
	f.Kind, f.Kinds = KindBounceScan, ks
	f.Firewall = nil
	f.Confidence = Certain
	f.SettleBy = ""
	f.Explanation = fmt.Sprintf("FTP bounce scan: %s used the server %s to probe %d port(s) on %s with %d PORT/EPRT commands (%d connected). A security finding, not a firewall fault: no rule should open anything for it; disable PORT to third hosts on the server (vsftpd port_promiscuous=NO, proftpd AllowForeignAddress off) and block the scanner.",
		sc.Scanner, sc.Server, sc.Ports, targetList(sc.Targets), sc.Probes, sc.Open)
}

func targetList(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
