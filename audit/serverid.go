package audit

import (
	"fmt"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// Software names an FTP server implementation recognised from its
// greeting (220) and SYST (215) replies.
type Software string

// Recognised servers. SoftwareUnknown gets a labelled list for every one.
const (
	SoftwareUnknown   Software = ""
	SoftwareVsftpd    Software = "vsftpd"
	SoftwareProFTPD   Software = "proftpd"
	SoftwarePureFTPd  Software = "pure-ftpd"
	SoftwareFileZilla Software = "filezilla-server"
	SoftwareIIS       Software = "iis"
	// SoftwareIIS7 is IIS recognised as version 7 or later (it accepted
	// EPSV or EPRT, which the IIS 5/6 FTP service does not know).
	SoftwareIIS7  Software = "iis-7+"
	SoftwareServU Software = "serv-u"
)

// knownSoftware lists the servers a generic recommendation covers.
var knownSoftware = []Software{SoftwareVsftpd, SoftwareProFTPD, SoftwarePureFTPd, SoftwareFileZilla, SoftwareIIS, SoftwareServU}

// DetectSoftware recognises the server from a session's greeting and SYST
// reply; it returns SoftwareUnknown when neither names one.
func DetectSoftware(greeting, system string) Software {
	g := strings.ToLower(greeting)
	switch {
	case strings.Contains(g, "vsftpd"):
		return SoftwareVsftpd
	case strings.Contains(g, "proftpd"):
		return SoftwareProFTPD
	case strings.Contains(g, "pure-ftpd"):
		return SoftwarePureFTPd
	case strings.Contains(g, "filezilla"):
		return SoftwareFileZilla
	case strings.Contains(g, "microsoft ftp"):
		return SoftwareIIS
	case strings.Contains(g, "serv-u"):
		return SoftwareServU
	}
	if strings.Contains(strings.ToLower(system), "windows_nt") && strings.Contains(g, "microsoft") {
		return SoftwareIIS
	}
	return SoftwareUnknown
}

// Setting is one server-side change: Directive and Value are machine
// readable (a config key, or a command-line option), Text is the line for
// people.
type Setting struct {
	Software  Software `json:"software"`
	Directive string   `json:"directive"`
	Value     string   `json:"value"`
	Text      string   `json:"text"`
}

func setting(sw Software, dir, val, text string) Setting {
	return Setting{Software: sw, Directive: dir, Value: val, Text: text}
}

// forSoftware returns sw's settings from gen, or every known server's,
// each labelled, when sw is unknown.
func forSoftware(sw Software, gen func(Software) []Setting) []Setting {
	if sw != SoftwareUnknown {
		return gen(sw)
	}
	var out []Setting
	for _, k := range knownSoftware {
		out = append(out, gen(k)...)
	}
	return out
}

// rangeSettings pins the passive port range to r.
func rangeSettings(r PortRange) func(Software) []Setting {
	lo, hi := fmt.Sprint(r.Lo), fmt.Sprint(r.Hi)
	return func(sw Software) []Setting {
		switch sw {
		case SoftwareVsftpd:
			return []Setting{
				setting(sw, "pasv_min_port", lo, "vsftpd: pasv_min_port="+lo+" pasv_max_port="+hi),
				setting(sw, "pasv_max_port", hi, ""),
			}
		case SoftwareProFTPD:
			return []Setting{setting(sw, "PassivePorts", lo+" "+hi, "proftpd: PassivePorts "+lo+" "+hi)}
		case SoftwarePureFTPd:
			return []Setting{setting(sw, "-p", lo+":"+hi, fmt.Sprintf("pure-ftpd: -p %s:%s (PassivePortRange %s %s in pure-ftpd.conf)", lo, hi, lo, hi))}
		case SoftwareFileZilla:
			return []Setting{setting(sw, "passive-port-range", lo+"-"+hi, fmt.Sprintf("FileZilla Server: Server listeners / Passive mode: use custom port range %s-%s", lo, hi))}
		case SoftwareIIS7:
			return []Setting{setting(sw, "lowDataChannelPort/highDataChannelPort", lo+"-"+hi, fmt.Sprintf("IIS 7+: appcmd set config /section:system.ftpServer/firewallSupport /lowDataChannelPort:%s /highDataChannelPort:%s (then restart the FTP service)", lo, hi))}
		case SoftwareIIS:
			return []Setting{
				setting(sw, "lowDataChannelPort/highDataChannelPort", lo+"-"+hi, fmt.Sprintf("IIS 7+: appcmd set config /section:system.ftpServer/firewallSupport /lowDataChannelPort:%s /highDataChannelPort:%s (then restart the FTP service)", lo, hi)),
				setting(sw, "PassivePortRange", lo+"-"+hi, fmt.Sprintf("IIS 5/6: adsutil.vbs set /MSFTPSVC/PassivePortRange \"%s-%s\" (metabase; restart the FTP service)", lo, hi)),
			}
		case SoftwareServU:
			return []Setting{setting(sw, "PASV port range", lo+"-"+hi, fmt.Sprintf("Serv-U: Domain Details > Listeners > FTP > PASV port range %s-%s", lo, hi))}
		}
		return nil
	}
}

// addressSettings make the server advertise addr in its 227 replies.
func addressSettings(addr string) func(Software) []Setting {
	return func(sw Software) []Setting {
		switch sw {
		case SoftwareVsftpd:
			return []Setting{setting(sw, "pasv_address", addr, "vsftpd: pasv_address="+addr)}
		case SoftwareProFTPD:
			return []Setting{setting(sw, "MasqueradeAddress", addr, "proftpd: MasqueradeAddress "+addr)}
		case SoftwarePureFTPd:
			return []Setting{setting(sw, "-P", addr, fmt.Sprintf("pure-ftpd: -P %s (ForcePassiveIP %s in pure-ftpd.conf)", addr, addr))}
		case SoftwareFileZilla:
			return []Setting{setting(sw, "external-ip", addr, "FileZilla Server: Passive mode settings: use the following IP "+addr)}
		case SoftwareIIS, SoftwareIIS7:
			return []Setting{setting(sw, "externalIp4Address", addr, "IIS 7+: appcmd set config /section:system.applicationHost/sites /siteDefaults.ftpServer.firewallSupport.externalIp4Address:"+addr)}
		case SoftwareServU:
			return []Setting{setting(sw, "PASV IP", addr, "Serv-U: Listeners > FTP > PASV IP address "+addr)}
		}
		return nil
	}
}

// promiscuousSettings drop the server's check that the data connection
// comes from the control connection's address.
func promiscuousSettings(sw Software) []Setting {
	switch sw {
	case SoftwareVsftpd:
		return []Setting{setting(sw, "pasv_promiscuous", "YES", "vsftpd: pasv_promiscuous=YES (security cost: any host can take over a passive data connection)")}
	case SoftwareProFTPD:
		return []Setting{setting(sw, "AllowForeignAddress", "on", "proftpd: AllowForeignAddress on (security cost: data connections from any host are accepted)")}
	case SoftwareFileZilla:
		return []Setting{setting(sw, "allow-fxp", "on", "FileZilla Server: allow data connections from other IPs than the control connection's (security cost: FXP/hijacking)")}
	}
	return nil
}

// refineIIS marks IIS servers that accepted EPSV or EPRT as IIS 7 or later.
func refineIIS(sw map[string]Software, ts []*session.Transfer) {
	for _, t := range ts {
		k := t.Server.String()
		if sw[k] != SoftwareIIS || (t.Negotiation != session.EPSV && t.Negotiation != session.EPRT) {
			continue
		}
		if r := t.NegotiationReply; r != nil && r.Code >= 200 && r.Code < 300 {
			sw[k] = SoftwareIIS7
		}
	}
}

// settingTexts are the Text lines of ss.
func settingTexts(ss []Setting) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s.Text != "" {
			out = append(out, s.Text)
		}
	}
	return out
}

// softwareOf returns the software of the first session of server srv that
// names one; an IIS whose FEAT lists EPSV or EPRT is IIS 7 or later.
func softwareOf(sessions []*session.Session) map[string]Software {
	out := map[string]Software{}
	for _, s := range sessions {
		k := s.Server.String()
		if out[k] != SoftwareUnknown && out[k] != SoftwareIIS {
			continue
		}
		sw := DetectSoftware(s.Greeting, s.System)
		if sw == SoftwareIIS && hasFeature(s.Features, "EPSV", "EPRT") {
			sw = SoftwareIIS7
		}
		if sw != SoftwareUnknown {
			out[k] = sw
		}
	}
	return out
}

// software fills in, for servers sw does not name yet, the software the
// folded sessions' greetings name.
func (fd *Folded) software(sw map[string]Software) {
	if fd == nil {
		return
	}
	for srv, x := range fd.Servers {
		k := srv.String()
		if sw[k] != SoftwareUnknown && sw[k] != SoftwareIIS {
			continue
		}
		s := DetectSoftware(x.Greeting, x.System)
		if s == SoftwareIIS && hasFeature(x.Features, "EPSV", "EPRT") {
			s = SoftwareIIS7
		}
		if s != SoftwareUnknown && (sw[k] == SoftwareUnknown || s == SoftwareIIS7) {
			sw[k] = s
		}
	}
}

// hasFeature reports whether the FEAT list names one of the features.
func hasFeature(list string, names ...string) bool {
	for _, l := range strings.Split(list, "\n") {
		f, _, _ := strings.Cut(strings.TrimSpace(l), " ")
		for _, n := range names {
			if strings.EqualFold(f, n) {
				return true
			}
		}
	}
	return false
}
