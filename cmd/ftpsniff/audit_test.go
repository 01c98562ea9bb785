package main

import (
	"strings"
	"testing"
)

func TestAuditCLI(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout []string
		not    []string
	}{
		{"grouped table", []string{"audit", "-r", capture, "--fail-on", "dropped"}, exitFailOn, "",
			[]string{"firewall-drop", "client-host", "hook output", "--fail-on dropped: 1 matching"}, []string{"FINDING DETAIL"}},
		{"verbose", []string{"audit", "-r", capture, "-v"}, exitOK, "", []string{"FINDING DETAIL", "#1 [firewall-drop"}, nil},
		{"input chain named", []string{"audit", "-r", capture, "-F", "nft", "--nft-table", "inet fw", "--nft-input-chain", "in_filter"}, exitOK, "",
			[]string{"insert rule inet fw in_filter ct state related", "add chain inet fw ftpsniff-helper-out"}, []string{"prerouting"}},
		{"json groups", []string{"audit", "-r", capture, "-F", "json"}, exitOK, "",
			[]string{`"type":"group"`, `"place":"client-host"`, `"confidence":"likely"`, `"software":"vsftpd"`}, nil},
		{"fail-on control", []string{"audit", "-r", capture, "--fail-on", "control"}, exitOK, "", []string{"--fail-on control: 0 matching"}, nil},
		{"negative max-rows", []string{"audit", "-r", capture, "--max-rows", "-3"}, exitUsage, "--max-rows", nil, nil},
		{"empty input chain", []string{"audit", "-r", capture, "--nft-input-chain", ""}, exitUsage, "--nft-input-chain", nil, nil},
		{"unknown fail-on", []string{"audit", "-r", capture, "--fail-on", "everything"}, exitUsage, "unknown --fail-on category", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, errs)
			}
			if !strings.Contains(errs, c.stderr) {
				t.Errorf("stderr %q lacks %q", errs, c.stderr)
			}
			for _, w := range c.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.not {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
		})
	}
}
