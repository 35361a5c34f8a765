package krb5

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"
)

// servicePrincipal maps a GSS_C_NT_HOSTBASED_SERVICE name,
// "service@host", to the Kerberos principal service/host@REALM the way
// MIT's krb5_sname_to_principal does with dns_canonicalize_hostname =
// false: the host is lower-cased and used as given (amiko canonicalises
// by DNS itself when asked, before the name gets here), and the realm
// comes from [domain_realm], else default_realm, else the client's own
// realm.
func servicePrincipal(target string, cfg *config.Config, clientRealm string) (principal, error) {
	service, host, ok := strings.Cut(target, "@")
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if !ok || service == "" || host == "" || strings.ContainsAny(target, "/\x00") || strings.Contains(host, "@") {
		return principal{}, fmt.Errorf("krb5: target %q is not a host-based service name (service@host)", target)
	}
	realm := cfg.ResolveRealm(host)
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		realm = clientRealm
	}
	return principal{
		Realm: realm,
		Name:  types.PrincipalName{NameType: nametype.KRB_NT_SRV_HST, NameString: []string{service, host}},
	}, nil
}

// errCrossRealm: the service is in another realm than the user's TGT.
// Following the chain of cross-realm TGTs is not implemented here.
var errCrossRealm = errors.New("cross-realm authentication is not supported by the pure-Go Kerberos mechanism; use the system GSS-API library mechanism")
