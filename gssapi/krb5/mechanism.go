package krb5

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/amiko-ssh/amiko/gssapi"
	"github.com/jcmturner/gokrb5/v8/config"
)

// Option configures New.
type Option func(*options)

type options struct {
	configFile string
	ccache     string
}

// WithConfigFile reads krb5.conf from path instead of $KRB5_CONFIG or
// /etc/krb5.conf.
func WithConfigFile(path string) Option { return func(o *options) { o.configFile = path } }

// WithCCache uses the credential cache name (a path, or FILE:path)
// instead of $KRB5CCNAME or the default cache.
func WithCCache(name string) Option { return func(o *options) { o.ccache = name } }

// mechanism is the pure-Go Kerberos 5 mechanism.
type mechanism struct {
	cfg        *config.Config
	ccache     string // the cache file's path
	etypes     []int32
	kdcTimeout time.Duration
}

// New returns the Kerberos 5 mechanism. It reads krb5.conf now (from
// $KRB5_CONFIG, the first of its colon-separated files that exists, or
// /etc/krb5.conf; a missing file means built-in defaults) and resolves
// the credential cache's name ($KRB5CCNAME, else krb5.conf's
// default_ccache_name, else /tmp/krb5cc_<uid>). The cache itself is read
// by each InitSecContext, so a kinit in between is seen.
//
// Only FILE caches can be read; for any other type (KCM, KEYRING, DIR,
// MEMORY, API) New fails with an error that matches
// gssapi.ErrNoCredentials and names the system GSS-API library
// mechanism, which reads them all.
func New(opts ...Option) (gssapi.Mechanism, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	confPath, confText, err := readConfig(o.configFile)
	if err != nil {
		return nil, err
	}
	cfg, err := config.NewFromString(confText)
	if err != nil {
		var unsupported config.UnsupportedDirective
		if !errors.As(err, &unsupported) {
			return nil, fmt.Errorf("krb5: %s: %w", confPath, err)
		}
		// gokrb5 reports directives it ignores; the rest is usable.
	}
	name := o.ccache
	if name == "" {
		name = os.Getenv("KRB5CCNAME")
	}
	if name == "" {
		name = defaultCCacheName(confText)
	}
	path, err := ccachePath(name)
	if err != nil {
		return nil, err
	}
	// Without default_tgs_enctypes, MIT's default order rather than
	// gokrb5's, which leaves out the RFC 8009 types.
	etypes := defaultEtypes
	if _, ok := libdefault(confText, "default_tgs_enctypes"); ok {
		etypes = requestEtypes(cfg.LibDefaults.DefaultTGSEnctypeIDs)
	}
	return &mechanism{
		cfg:        cfg,
		ccache:     path,
		etypes:     etypes,
		kdcTimeout: kdcTimeout,
	}, nil
}

// readConfig returns the krb5.conf to use and its text; "" when there
// is none.
func readConfig(path string) (string, string, error) {
	paths := []string{path}
	if path == "" {
		paths = strings.Split(os.Getenv("KRB5_CONFIG"), ":")
		if len(paths) == 1 && paths[0] == "" {
			paths = []string{"/etc/krb5.conf"}
		}
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) && path == "" {
			continue // MIT skips missing files in KRB5_CONFIG
		}
		if err != nil {
			return "", "", fmt.Errorf("krb5: reading krb5.conf: %w", err)
		}
		return p, string(b), nil
	}
	return "", "", nil
}

// libdefault is the value of key in krb5.conf's [libdefaults], if set
// (gokrb5's parsed Config fills in its defaults, which hides that).
func libdefault(conf, key string) (string, bool) {
	section := ""
	value, found := "", false
	for line := range strings.Lines(conf) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] \t")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && section == "libdefaults" && strings.TrimSpace(k) == key {
			value, found = strings.TrimSpace(v), true
		}
	}
	return value, found
}

// defaultCCacheName is [libdefaults] default_ccache_name, with MIT's
// %{uid}-style tokens expanded, or MIT's built-in default.
func defaultCCacheName(conf string) string {
	name, ok := libdefault(conf, "default_ccache_name")
	if !ok {
		name = "FILE:/tmp/krb5cc_%{uid}"
	}
	uid := fmt.Sprint(os.Getuid())
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = "/tmp"
	}
	return strings.NewReplacer("%{uid}", uid, "%{USERID}", uid, "%{euid}", fmt.Sprint(os.Geteuid()),
		"%{TEMP}", tmp, "%{null}", "").Replace(name)
}

// ccachePath turns a cache name into the path of a FILE cache.
func ccachePath(name string) (string, error) {
	typ, rest, ok := strings.Cut(name, ":")
	if !ok || strings.Contains(typ, "/") {
		return name, nil // a bare path
	}
	if typ == "FILE" {
		return rest, nil
	}
	return "", fmt.Errorf("krb5: the credential cache %q is of type %s, which the pure-Go Kerberos mechanism cannot read (it reads FILE caches): use the system GSS-API library mechanism, or point KRB5CCNAME at a FILE cache: %w",
		name, typ, gssapi.ErrNoCredentials)
}

// OID is Kerberos 5's.
func (m *mechanism) OID() asn1.ObjectIdentifier { return gssapi.OIDKerberos5 }

// InitSecContext reads the credential cache, gets a ticket for the
// target's service principal from the KDC and, when delegating and the
// TGT is forwardable, a forwarded TGT too. A failure to get the
// forwarded TGT only turns delegation off, as in MIT's library, unless
// ctx ended: then the context is not made.
func (m *mechanism) InitSecContext(ctx context.Context, target string, opts gssapi.ContextOptions) (gssapi.Context, error) {
	b, err := os.ReadFile(m.ccache)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("krb5: no credential cache at %s (run kinit): %w", m.ccache, gssapi.ErrNoCredentials)
	}
	if err != nil {
		return nil, fmt.Errorf("krb5: reading the credential cache: %w: %w", gssapi.ErrNoCredentials, err)
	}
	cc, err := parseCCache(b)
	if err != nil {
		return nil, fmt.Errorf("krb5: %s: %w: %w", m.ccache, gssapi.ErrNoCredentials, err)
	}
	tgt, ok := cc.tgt()
	if !ok {
		return nil, fmt.Errorf("krb5: no ticket-granting ticket for %s in %s: %w", cc.Default, m.ccache, gssapi.ErrNoCredentials)
	}
	if !time.Now().Before(tgt.EndTime) {
		return nil, fmt.Errorf("krb5: the ticket-granting ticket of %s expired at %v: %w", cc.Default, tgt.EndTime, gssapi.ErrExpired)
	}
	server, err := servicePrincipal(target, m.cfg, cc.Default.Realm)
	if err != nil {
		return nil, err
	}
	if server.Realm != cc.Default.Realm {
		return nil, fmt.Errorf("krb5: %s is in realm %s, the credentials in %s: %w", server, server.Realm, cc.Default.Realm, errCrossRealm)
	}
	service, err := m.tgsExchange(ctx, cc.Default, tgt, server, nil, time.Time{})
	if err != nil {
		return nil, err
	}
	c := &secContext{client: cc.Default, service: service, sessionKey: service.Part.Key}
	if opts.Delegate && tgt.Flags&flagForwardable != 0 {
		fwd, err := m.forwardTGT(ctx, cc.Default, tgt)
		if err != nil && ctx.Err() != nil {
			return nil, err
		}
		if err == nil {
			// The checksum's Dlgth is 16 bits: a bigger KRB-CRED (a
			// ticket with a huge PAC) cannot be delegated this way.
			if cred, err := makeKRBCred(fwd, c.sessionKey); err == nil && len(cred) <= 0xffff {
				c.krbCred = cred
			}
		}
	}
	return c, nil
}
