package ftp

import (
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line  string
		want  Command
		notes Notes
		ok    bool
	}{
		{"USER anonymous", Command{"USER", "anonymous"}, 0, true},
		{"PASV", Command{"PASV", ""}, 0, true},
		{"port 1,2,3,4,5,6", Command{"PORT", "1,2,3,4,5,6"}, NoteCmdLowercase, true},
		{"Pasv", Command{"PASV", ""}, NoteCmdLowercase, true},
		{"  RETR file", Command{"RETR", "file"}, NoteCmdLeadingSpace, true},
		{"\tNOOP", Command{"NOOP", ""}, NoteCmdLeadingSpace, true},
		{"RETR   my file  ", Command{"RETR", "my file"}, NoteCmdExtraSpaces, true},
		{"CWD\tdir", Command{"CWD", "dir"}, NoteCmdTabSeparator, true},
		{"PASS  ", Command{"PASS", ""}, 0, true},
		{"XCWD /tmp", Command{"XCWD", "/tmp"}, 0, true},
		{"xmkd d", Command{"XMKD", "d"}, NoteCmdLowercase, true},
		{"CCC", Command{"CCC", ""}, 0, true},
		{"AUTH TLS", Command{"AUTH", "TLS"}, 0, true},
		{"auth tls", Command{"AUTH", "tls"}, NoteCmdLowercase, true},
		{"ZZZZ x", Command{"ZZZZ", "x"}, 0, true},
		{"", Command{}, 0, false},
		{"   ", Command{}, NoteCmdLeadingSpace, false},
		{"CD dir", Command{}, 0, false},
		{"RETRX f", Command{}, 0, false},
		{strings.Repeat("A", 101), Command{}, 0, false},
		{"US3R x", Command{}, 0, false},
		{"PORT,1,2", Command{}, 0, false},
		{"156,77", Command{}, 0, false},
		{"220 hello", Command{}, 0, false},
		{"US\x00ER x", Command{}, 0, false},
		{"\xffUSER", Command{}, 0, false},
	}
	for _, tt := range tests {
		got, notes, ok := ParseCommandNotes([]byte(tt.line))
		if got != tt.want || ok != tt.ok || notes != tt.notes {
			t.Errorf("ParseCommandNotes(%q) = %+v, %v, %v; want %+v, %v, %v", tt.line, got, notes, ok, tt.want, tt.notes, tt.ok)
		}
		got2, ok2 := ParseCommand([]byte(tt.line))
		if got2 != got || ok2 != ok {
			t.Errorf("ParseCommand(%q) differs from ParseCommandNotes", tt.line)
		}
	}
}

func TestParseCommandNoAllocKnownVerb(t *testing.T) {
	line := []byte("pasv")
	n := testing.AllocsPerRun(100, func() { ParseCommand(line) })
	if n != 0 {
		t.Errorf("ParseCommand(%q) allocates %v times", line, n)
	}
}
