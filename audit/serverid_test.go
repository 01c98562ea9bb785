package audit

import (
	"net/netip"
	"testing"

	"github.com/ftpsniff/ftpsniff/session"
)

func TestDetectSoftware(t *testing.T) {
	cases := []struct {
		greeting, system string
		want             Software
	}{
		{"220 (vsFTPd 3.0.3)", "215 UNIX Type: L8", SoftwareVsftpd},
		{"220 ProFTPD Server (Debian) [::ffff:203.0.113.20]", "215 UNIX Type: L8", SoftwareProFTPD},
		{"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\n220-You are user number 1 of 50 allowed.", "", SoftwarePureFTPd},
		{"220-FileZilla Server 1.8.0\n220 Please visit https://filezilla-project.org/", "215 UNIX emulated by FileZilla.", SoftwareFileZilla},
		{"220 Microsoft FTP Service", "215 Windows_NT", SoftwareIIS},
		{"220 Serv-U FTP Server v15.4 ready...", "215 UNIX Type: L8", SoftwareServU},
		{"220 ftp.example.net ready", "215 UNIX Type: L8", SoftwareUnknown},
		{"", "", SoftwareUnknown},
	}
	for _, c := range cases {
		if got := DetectSoftware(c.greeting, c.system); got != c.want {
			t.Errorf("%q / %q: %q, want %q", c.greeting, c.system, got, c.want)
		}
	}
}

func TestIISVersionSettings(t *testing.T) {
	cases := []struct {
		neg      string
		code     int
		want     Software
		settings int
	}{
		{"EPSV", 229, SoftwareIIS7, 1},
		{"PASV", 227, SoftwareIIS, 2},
		{"EPSV", 500, SoftwareIIS, 2},
	}
	for _, c := range cases {
		x := pasv(c.neg, "reply", "203.0.113.20:5001")
		x.NegotiationReply.Code = c.code
		sw := map[string]Software{"203.0.113.20:21": SoftwareIIS}
		refineIIS(sw, []*session.Transfer{x})
		if sw["203.0.113.20:21"] != c.want {
			t.Errorf("%s %d: %s, want %s", c.neg, c.code, sw["203.0.113.20:21"], c.want)
		}
		if n := len(rangeSettings(PortRange{5000, 5100})(sw["203.0.113.20:21"])); n != c.settings {
			t.Errorf("%s %d: %d range settings, want %d", c.neg, c.code, n, c.settings)
		}
	}
}

// TestIISVersionFromFEAT: an IIS whose FEAT lists EPSV is IIS 7 or later,
// from a kept session or a folded one.
func TestIISVersionFromFEAT(t *testing.T) {
	s := &session.Session{ID: 1, Server: netip.MustParseAddrPort("203.0.113.20:21"), Greeting: "Microsoft FTP Service", Features: "EPRT\nEPSV\nUTF8"}
	if got := softwareOf([]*session.Session{s})["203.0.113.20:21"]; got != SoftwareIIS7 {
		t.Errorf("kept session: %s", got)
	}
	fd := newFolded()
	fd.foldSession(s)
	sw := map[string]Software{}
	fd.software(sw)
	if sw["203.0.113.20:21"] != SoftwareIIS7 || fd.Servers[s.Server].Sessions != 1 {
		t.Errorf("folded session: %s, %+v", sw["203.0.113.20:21"], fd.Servers[s.Server])
	}
	s.Features = "UTF8"
	if got := softwareOf([]*session.Session{s})["203.0.113.20:21"]; got != SoftwareIIS {
		t.Errorf("without EPSV: %s", got)
	}
}
