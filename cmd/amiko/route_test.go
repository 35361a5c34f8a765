package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRouteJumpHostsFromConfig(t *testing.T) {
	ct := newCfgTest(t)
	p := ct.write("cfg",
		"Host dest",
		"  HostName dest.internal",
		"  ProxyJump j2user@j2,j3",
		"Host j3",
		"  HostName J3.Real", // lowercased, as ssh does
		"  User j3user",
		"  Port 2203",
		"  IdentityFile ~/.ssh/id_%h_%r_%p",
		"  ProxyJump ignored", // the list before j3 is its ProxyJump
		"Host j2",
		"  ProxyJump j1", // j2 is first in the list: its own ProxyJump applies
		"  Port 2202",
		"  User ignored", // j2user@ comes first
		"Host j1",
		"  ProxyCommand nc %h %p %r %n",
		"  HostKeyAlias j1-alias",
		"Host *",
		"  IdentityFile ~/.ssh/all",
		"  StrictHostKeyChecking accept-new",
	)
	inv, err := ct.load("-F", p, "-i", "~/cli-key", "-l", "cliuser", "-p", "1234", "-o", "StrictHostKeyChecking=yes",
		"-o", "HostKeyAlias=dest-alias", "dest")
	if err != nil {
		t.Fatal(err)
	}
	legs, err := inv.route()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range legs {
		got = append(got, fmt.Sprintf("%s %v -> %s@%s:%d keys %q alias %q strict %s proxy %q", l.name, l.jump,
			l.hop.User, l.hop.Host, portOr22(l.hop.Port), l.cfg.IdentityFiles, l.cfg.HostKeyAlias,
			l.cfg.StrictHostKeyChecking, l.cfg.ProxyCommand))
	}
	h := ct.home
	want := []string{
		// The command line's -i and StrictHostKeyChecking apply to every
		// hop; its user, port and HostKeyAlias to the destination only.
		fmt.Sprintf(`j1 true -> alice@j1:22 keys ["%s/cli-key" "%s/.ssh/all"] alias "j1-alias" strict yes proxy "nc j1 22 alice j1"`, h, h),
		fmt.Sprintf(`j2user@j2 true -> j2user@j2:2202 keys ["%s/cli-key" "%s/.ssh/all"] alias "" strict yes proxy "none"`, h, h),
		fmt.Sprintf(`j3 true -> j3user@j3.real:2203 keys ["%s/cli-key" "%s/.ssh/id_j3.real_j3user_2203" "%s/.ssh/all"] alias "" strict yes proxy "none"`, h, h, h),
		fmt.Sprintf(`dest false -> cliuser@dest.internal:1234 keys ["%s/cli-key" "%s/.ssh/all"] alias "dest-alias" strict yes proxy "none"`, h, h),
	}
	if !slices.Equal(got, want) {
		t.Errorf("legs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// -J on the command line replaces the file's ProxyJump; its hosts
	// are still configured by the file, and j3, now first, takes its
	// own ProxyJump.
	inv, _ = ct.load("-F", p, "-J", "u@j3:22", "dest")
	legs, err = inv.route()
	if err != nil || len(legs) != 3 || legs[0].hop.Host != "ignored" || legs[1].hop != (hop{User: "u", Host: "j3.real", Port: 22}) {
		t.Errorf("-J u@j3:22: %+v, %v", legs, err)
	}
}

func TestRouteErrors(t *testing.T) {
	ct := newCfgTest(t)
	loop := ct.write("loop", "Host a", "  ProxyJump b", "Host b", "  ProxyJump a")
	inv, err := ct.load("-F", loop, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.route(); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("a ProxyJump loop: %v", err)
	}
	// A jump host's bad config is named with the jump host.
	bad := ct.write("bad", "Host dest", "  ProxyJump j", "Host j", "  Tunnel yes")
	inv, _ = ct.load("-F", bad, "dest")
	if _, err := inv.route(); err == nil || !strings.Contains(err.Error(), "jump host j: "+bad+" line 4: Tunnel") {
		t.Errorf("a jump host's refused option: %v", err)
	}
	// An unset environment variable in IdentityFile.
	env := ct.write("env", "IdentityFile ${AMIKO_NOT_SET}/k")
	inv, _ = ct.load("-F", env, "h")
	if _, err := inv.route(); err == nil || !strings.Contains(err.Error(), "AMIKO_NOT_SET") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestRoutePreferredAuthenticationsAndAgent(t *testing.T) {
	ct := newCfgTest(t)
	p := ct.write("cfg", "PreferredAuthentications publickey,keyboard-interactive", "IdentityAgent none", "ForwardAgent yes",
		"GSSAPIAuthentication yes")
	inv, _ := ct.load("-F", p, "h")
	if _, err := inv.route(); err != nil {
		t.Fatal(err)
	}
	c := inv.cfg
	if !c.PubkeyAuth || c.PasswordAuth || !c.KbdInteractiveAuth || c.GSSAPIAuth || c.ForwardAgent {
		t.Errorf("pubkey %v password %v kbd %v gss %v forward agent %v", c.PubkeyAuth, c.PasswordAuth, c.KbdInteractiveAuth, c.GSSAPIAuth, c.ForwardAgent)
	}
	o := (&runner{getenv: func(string) string { return "" }}).connectOptions(c, hop{Host: "h"}, "u", ct.home)
	if !o.DisableAgent {
		t.Error("IdentityAgent none: the agent is still on")
	}
	// IdentityFile none: no file, and no default ones.
	inv, _ = ct.load("-o", "IdentityFile=none", "h")
	o = (&runner{getenv: func(string) string { return "" }}).connectOptions(inv.cfg, hop{Host: "h"}, "u", ct.home)
	if len(o.KeyFilenames) != 0 || !o.DisableKeyDiscovery {
		t.Errorf("IdentityFile none: files %q, discovery off %v", o.KeyFilenames, o.DisableKeyDiscovery)
	}
	p = ct.write("cfg2", "IdentityAgent ~/agent.%h.sock")
	inv, _ = ct.load("-F", p, "h")
	if _, err := inv.route(); err != nil || inv.cfg.IdentityAgent != ct.home+"/agent.h.sock" {
		t.Errorf("IdentityAgent %q, %v", inv.cfg.IdentityAgent, err)
	}
}
