package main

// amiko ssh reads ssh_config(5) files as OpenSSH's ssh does
// (readconf.c): -F's file, or ~/.ssh/config then /etc/ssh/ssh_config;
// Host and Match blocks; Include; the first value obtained for each
// option wins, after the command line's.
//
// It is written here rather than taken from a library because what it
// has to get right is OpenSSH's evaluation, not the file's syntax: the
// options land in amiko's own option table (options.go), with its
// first-value-wins and accumulation rules, and Match needs exec, user,
// final (a second pass over every file) and the HostName known so far.
// github.com/kevinburke/ssh_config, the Go library for the format,
// returns one key's value at a time and, as of v1.6.0, implements
// neither Match exec nor Match final.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The files read without -F. Variables, so that tests (and the test
// binary, through -ldflags -X) never read the machine's own.
var (
	userConfigFile   = "~/.ssh/config"
	systemConfigFile = "/etc/ssh/ssh_config"
)

// maxIncludeDepth is OpenSSH's READCONF_MAX_DEPTH: Include may nest 16
// deep, which also ends a file that includes itself.
const maxIncludeDepth = 16

// configFile is a file to read at the top level.
type configFile struct {
	path      string
	user      bool // a user's file: Include may use ~, and relative paths are in ~/.ssh
	checkPerm bool // refuse it if others may write it, as OpenSSH does for ~/.ssh/config
	required  bool // -F: a missing file is an error
}

// configFiles are the files ssh reads: -F's (none for "-F none"), or
// the user's and then the system's.
func configFiles(flagF string, haveF bool) []configFile {
	if haveF {
		if flagF == "none" {
			return nil
		}
		return []configFile{{path: flagF, user: true, required: true}}
	}
	return []configFile{
		{path: userConfigFile, user: true, checkPerm: true},
		{path: systemConfigFile},
	}
}

// readConfig applies files to c for a connection to host (as named on
// the command line or in ProxyJump), as OpenSSH's ssh does: once, and
// once more if a Match final asked for it (or CanonicalizeHostname is
// on, which amiko does not implement but whose second pass it keeps),
// with Host then matched against the HostName.
func readConfig(c *config, host string, files []configFile, env *localEnv) error {
	if c.unimplemented == nil {
		c.unimplemented = map[string]fileValue{}
	}
	r := &configReader{c: c, env: env, host: host, original: host}
	if err := r.readAll(files); err != nil {
		return err
	}
	if r.wantFinal || canonicalizing(c) {
		r.host = strings.ToLower(host)
		if c.HostName != "" {
			h, err := expandHostName(c.HostName, host)
			if err != nil {
				return err
			}
			r.host = strings.ToLower(h)
		}
		// As ssh.c: the final pass sees the HostName in use, and it is
		// set from then on.
		c.HostName, c.set["hostname"] = r.host, true
		r.final = true
		c.notes = append(c.notes, "amiko: re-reading the configuration for Match final, host "+r.host)
		if err := r.readAll(files); err != nil {
			return err
		}
	}
	if c.HostName != "" {
		if _, err := expandHostName(c.HostName, host); err != nil {
			return err
		}
	}
	if c.ClearAllForwardings {
		c.LocalForwards, c.RemoteForwards, c.DynamicForwards = nil, nil, nil
	}
	return c.checkUnimplemented()
}

// configReader is one pass over the config files for one host.
type configReader struct {
	c         *config
	env       *localEnv
	host      string // what Host matches: the name as given, or the HostName in the final pass
	original  string // the name as given (Match originalhost, %n)
	final     bool   // the second pass (Match final and canonical)
	wantFinal bool   // a Match final was seen
}

// readFlags are what OpenSSH's SSHCONF_* flags say about a file.
type readFlags struct {
	user       bool // SSHCONF_USERCONF
	checkPerm  bool // SSHCONF_CHECKPERM
	neverMatch bool // SSHCONF_NEVERMATCH: included from a block that does not apply
}

func (r *configReader) readAll(files []configFile) error {
	for _, f := range files {
		path := f.path
		if f.user && strings.HasPrefix(path, "~") {
			if r.env.home == "" {
				continue // no home directory, no ~/.ssh/config
			}
			path = expandTilde(path, r.env.home)
		}
		active := true // each file starts outside any block
		found, err := r.readFile(path, readFlags{user: f.user, checkPerm: f.checkPerm}, &active, 0)
		if err != nil {
			return err
		}
		if !found && f.required {
			return &optionError{name: "-F", why: fmt.Sprintf("can't open config file %s: no such file", path)}
		}
	}
	return nil
}

// readFile applies one file. found is false for a file that does not
// exist; a directory reads as empty, as fopen and getline let OpenSSH
// read it.
func (r *configReader) readFile(path string, fl readFlags, active *bool, depth int) (found bool, err error) {
	if depth > maxIncludeDepth {
		return true, &optionError{why: fmt.Sprintf("%s: too many recursive configuration includes (more than %d deep)", path, maxIncludeDepth)}
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil && isDirectory(path):
		return true, nil
	case err != nil:
		return true, &optionError{why: fmt.Sprintf("can't read config file: %v", err)}
	}
	if fl.checkPerm {
		if err := checkConfigPermissions(path); err != nil {
			return true, &optionError{why: err.Error()}
		}
	}
	r.c.notes = append(r.c.notes, "amiko: reading configuration data "+path)
	for i, line := range strings.Split(string(data), "\n") {
		where := fmt.Sprintf("%s line %d", path, i+1)
		if err := r.line(where, line, fl, active, depth); err != nil {
			return true, err
		}
	}
	return true, nil
}

func isDirectory(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// line applies one line of a file.
func (r *configReader) line(where, text string, fl readFlags, active *bool, depth int) error {
	keyword, rest := splitKeyword(text)
	if keyword == "" || keyword[0] == '#' {
		return nil
	}
	if rest == "" {
		return &optionError{where: where, why: fmt.Sprintf("no argument after keyword %q", keyword)}
	}
	key := strings.ToLower(keyword)
	switch key {
	case "host", "match", "include":
	default:
		return r.c.fileOption(where, keyword, rest, *active)
	}
	args, err := splitArgv(rest)
	if err != nil {
		return &optionError{where: where, why: err.Error()}
	}
	switch key {
	case "host":
		match, err := r.matchHost(args)
		if err != nil {
			return &optionError{where: where, name: keyword, why: err.Error()}
		}
		*active = match && !fl.neverMatch
		if *active {
			r.c.notes = append(r.c.notes, fmt.Sprintf("amiko: %s: applying options for %s", where, r.host))
		}
	case "match":
		match, err := r.matchLine(args)
		if err != nil {
			return &optionError{where: where, name: keyword, why: err.Error()}
		}
		*active = match && !fl.neverMatch
	case "include":
		return r.include(where, args, fl, active, depth)
	}
	return nil
}

// include reads the files each argument's glob names, in order, within
// the current block: their own Host and Match lines apply inside them
// only, and when the block does not apply they are read for errors
// alone.
func (r *configReader) include(where string, args []string, fl readFlags, active *bool, depth int) error {
	for _, arg := range args {
		if arg == "" {
			return &optionError{where: where, name: "Include", why: "empty argument"}
		}
		if arg[0] == '~' && !fl.user {
			return &optionError{where: where, name: "Include", value: arg, why: "~ is for user config files only"}
		}
		pattern := arg
		if !filepath.IsAbs(arg) && arg[0] != '~' {
			dir := "~/.ssh" // ssh's _PATH_SSH_USER_DIR
			if !fl.user {
				dir = filepath.Dir(systemConfigFile)
			}
			pattern = dir + "/" + arg
		}
		pattern = expandTilde(pattern, r.env.home)
		paths, err := globFiles(pattern)
		if r.env.sandboxed {
			paths = nil
		}
		if err != nil {
			return &optionError{where: where, name: "Include", value: arg, why: err.Error()}
		}
		if len(paths) == 0 {
			r.c.notes = append(r.c.notes, fmt.Sprintf("amiko: %s: include %s matched no files", where, pattern))
		}
		outer := *active
		for _, p := range paths {
			sub := readFlags{user: fl.user, checkPerm: true, neverMatch: fl.neverMatch || !outer}
			if _, err := r.readFile(p, sub, active, depth+1); err != nil {
				return err
			}
			// The included file's Host and Match lines end with it.
			*active = outer
		}
	}
	return nil
}

// globFiles is glob(3) as OpenSSH calls it: sorted matches, and no
// hidden file matched by a wildcard (filepath.Glob's * matches a
// leading dot; the shell's and glob(3)'s do not).
func globFiles(pattern string) ([]string, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	want := strings.Split(filepath.Clean(pattern), string(filepath.Separator))
	out := paths[:0]
	for _, p := range paths {
		got := strings.Split(filepath.Clean(p), string(filepath.Separator))
		hidden := false
		for i := range got {
			if i < len(want) && strings.HasPrefix(got[i], ".") && !strings.HasPrefix(want[i], ".") {
				hidden = true
			}
		}
		if !hidden {
			out = append(out, p)
		}
	}
	return out, nil
}

// checkConfigPermissions refuses a file that someone else may write,
// as OpenSSH does for the user's config and every included file: its
// owner must be root or the user, and no group or other write bit set.
func checkConfigPermissions(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 || !ownedByUserOrRoot(fi) {
		return fmt.Errorf("bad owner or permissions on %s (others may write it)", path)
	}
	return nil
}

// fileOption applies an option line from a config file. Unlike -o, a
// file may name options that amiko knows from OpenSSH but does not
// implement: their values are kept for checkUnimplemented, which
// ignores most and refuses those that cannot be. A keyword OpenSSH does
// not know either is an error, unless IgnoreUnknown lists it.
func (c *config) fileOption(where, keyword, rest string, active bool) error {
	key := strings.ToLower(keyword)
	if _, ok := optionTable[key]; ok {
		mode := setFirst
		if !active {
			mode = setCheck
		}
		return c.setLine(where, keyword, rest, mode)
	}
	if _, ok := unimplementedOptions[key]; ok {
		args, err := splitArgv(rest)
		if err != nil {
			return &optionError{where: where, why: err.Error()}
		}
		if _, seen := c.unimplemented[key]; active && !seen && len(args) > 0 {
			c.unimplemented[key] = fileValue{where: where, keyword: keyword, args: args}
		}
		return nil
	}
	if c.ignoredUnknown(key) {
		c.notes = append(c.notes, fmt.Sprintf("amiko: %s: ignored unknown option %q", where, keyword))
		return nil
	}
	return &optionError{where: where, why: "Bad configuration option: " + keyword}
}
