package transport

import (
	"slices"
	"testing"
)

// pairwiseCases returns test cases, one value per dimension, such that
// every pair of values from two different dimensions that compatible
// allows appears together in at least one case (a pairwise covering set,
// built greedily as AETG does). compatible must allow, for every value,
// at least one partner in every other dimension.
func pairwiseCases(dims [][]string, compatible func(i int, a string, j int, b string) bool) [][]string {
	type pair struct {
		i, j int
		a, b string
	}
	uncovered := map[pair]bool{}
	for i := range dims {
		for j := i + 1; j < len(dims); j++ {
			for _, a := range dims[i] {
				for _, b := range dims[j] {
					if compatible(i, a, j, b) {
						uncovered[pair{i, j, a, b}] = true
					}
				}
			}
		}
	}
	// A deterministic order, so that failures reproduce.
	order := func() []pair {
		var ps []pair
		for i := range dims {
			for j := i + 1; j < len(dims); j++ {
				for _, a := range dims[i] {
					for _, b := range dims[j] {
						if uncovered[pair{i, j, a, b}] {
							ps = append(ps, pair{i, j, a, b})
						}
					}
				}
			}
		}
		return ps
	}
	var cases [][]string
	for len(uncovered) > 0 {
		seed := order()[0]
		c := make([]string, len(dims))
		set := make([]bool, len(dims))
		c[seed.i], c[seed.j] = seed.a, seed.b
		set[seed.i], set[seed.j] = true, true
		for k := range dims {
			if set[k] {
				continue
			}
			best, bestGain := "", -1
			for _, v := range dims[k] {
				ok, gain := true, 0
				for m := range dims {
					if !set[m] {
						continue
					}
					i, a, j, b := m, c[m], k, v
					if i > j {
						i, a, j, b = j, b, i, a
					}
					if !compatible(i, a, j, b) {
						ok = false
						break
					}
					if uncovered[pair{i, j, a, b}] {
						gain++
					}
				}
				if ok && gain > bestGain {
					best, bestGain = v, gain
				}
			}
			c[k], set[k] = best, true
		}
		for i := range dims {
			for j := i + 1; j < len(dims); j++ {
				delete(uncovered, pair{i, j, c[i], c[j]})
			}
		}
		cases = append(cases, c)
	}
	return cases
}

func TestPairwiseCasesCoverEveryPair(t *testing.T) {
	dims := [][]string{{"a", "b", "c"}, {"1", "2"}, {"x", "y", "z", "w"}, {"-", "p", "q"}}
	// "-" pairs only with "a"; "p" and "q" never with "a".
	compatible := func(i int, a string, j int, b string) bool {
		if i == 0 && j == 3 {
			return (a == "a") == (b == "-")
		}
		return true
	}
	cases := pairwiseCases(dims, compatible)
	for _, c := range cases {
		if (c[0] == "a") != (c[3] == "-") {
			t.Fatalf("incompatible case %v", c)
		}
	}
	for i := range dims {
		for j := i + 1; j < len(dims); j++ {
			for _, a := range dims[i] {
				for _, b := range dims[j] {
					if !compatible(i, a, j, b) {
						continue
					}
					if !slices.ContainsFunc(cases, func(c []string) bool { return c[i] == a && c[j] == b }) {
						t.Errorf("pair %s/%s not covered", a, b)
					}
				}
			}
		}
	}
	if full := 3 * 2 * 4 * 3; len(cases) >= full {
		t.Errorf("%d cases, no fewer than the full product %d", len(cases), full)
	}
	t.Logf("%d cases", len(cases))
}
