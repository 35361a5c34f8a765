package connection

import (
	"strings"
	"testing"
	"time"
)

// TestKeepaliveErrorText: the count of unanswered keepalives, or, where
// none was sent (amiko ssh's ServerAliveCountMax=0), the silence.
func TestKeepaliveErrorText(t *testing.T) {
	for _, tc := range []struct {
		e    KeepaliveError
		want string
	}{
		{KeepaliveError{Interval: time.Second, Count: 3}, "3 keepalives 1s apart went unanswered"},
		{KeepaliveError{Interval: 2 * time.Second}, "nothing came for 2s"},
	} {
		if got := tc.e.Error(); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q in it", tc.e, got, tc.want)
		}
	}
}
