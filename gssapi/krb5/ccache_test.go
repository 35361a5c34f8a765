package krb5

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"
)

func TestParseCCache(t *testing.T) {
	end := time.Now().Add(time.Hour).Truncate(time.Second)
	tgt := testTGT(t, end, flagForwardable|flagRenewable)
	tgt.RenewTill = end.Add(time.Hour)
	conf := credential{Client: testClient, Server: principal{Realm: "X-CACHECONF:", Name: types.PrincipalName{NameString: []string{"krb5_ccache_conf_data", "pa_type"}}},
		Ticket: []byte("2")}
	service := credential{Client: testClient, Server: testServer, Key: randomKey(t, 17), EndTime: end, Ticket: []byte{0x61, 0}}
	cc, err := parseCCache(makeCCache(testClient, conf, service, tgt))
	if err != nil {
		t.Fatal(err)
	}
	if cc.Default.String() != "alice@EXAMPLE.ORG" {
		t.Errorf("default principal %s", cc.Default)
	}
	if len(cc.Credentials) != 2 {
		t.Errorf("%d credentials, want 2 (the configuration entry skipped)", len(cc.Credentials))
	}
	got, ok := cc.tgt()
	if !ok {
		t.Fatal("no TGT found")
	}
	if !got.EndTime.Equal(end) || !got.RenewTill.Equal(tgt.RenewTill) || got.Flags != tgt.Flags ||
		!bytes.Equal(got.Key.KeyValue, tgt.Key.KeyValue) || got.Key.KeyType != 18 || !bytes.Equal(got.Ticket, tgt.Ticket) {
		t.Errorf("TGT %+v, want %+v", got, tgt)
	}
	if _, ok := (&ccache{Default: testClient, Credentials: []credential{service}}).tgt(); ok {
		t.Error("a service ticket taken for the TGT")
	}
}

// Version 3 writes the key's type twice.
func TestParseCCacheVersion3(t *testing.T) {
	w := &ccacheWriter{b: []byte{5, 3}}
	w.principal(testClient)
	tgt := testTGT(t, time.Now().Add(time.Hour), 0)
	w.principal(tgt.Client)
	w.principal(tgt.Server)
	w.u16(18)
	w.u16(18)
	w.data(tgt.Key.KeyValue)
	for range 4 {
		w.u32(1)
	}
	w.u8(0)
	w.u32(0)
	w.u32(0)
	w.u32(0)
	w.data(tgt.Ticket)
	w.data(nil)
	cc, err := parseCCache(w.b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cc.tgt(); !ok {
		t.Fatal("no TGT")
	}
}

// Every truncation of a cache, and a few corruptions, give an error,
// never a panic (kinit may be rewriting the file as it is read).
func TestParseCCacheDamaged(t *testing.T) {
	full := makeCCache(testClient, testTGT(t, time.Now().Add(time.Hour), 0))
	empty := len(makeCCache(testClient)) // a cache with no tickets yet is fine
	for n := 0; n < len(full); n++ {
		if n == empty {
			continue
		}
		if _, err := parseCCache(full[:n]); !errors.Is(err, errCCacheFormat) {
			t.Fatalf("%d of %d bytes: err = %v", n, len(full), err)
		}
	}
	for name, b := range map[string][]byte{
		"version 2":  append([]byte{5, 2}, full[2:]...),
		"keytab":     append([]byte{5, 2}, full[2:]...),
		"not 5":      append([]byte{4}, full[1:]...),
		"huge count": append(append(append([]byte(nil), full[:18]...), 0xff, 0xff, 0xff, 0xff), full[22:]...),
	} {
		if _, err := parseCCache(b); !errors.Is(err, errCCacheFormat) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
