package main

import (
	"errors"

	"github.com/vouchdev/vouch/certs"
)

// --only makes a CA for a server other people reach: it may vouch for the
// --permit names and nothing else, not even the default local names and
// private ranges, which on a friend's machine would cover their own
// router and NAS.

const onlyUsage = "when this command makes the CA, permit exactly the --permit names, without the defaults"

// onlyConstraints are the constraints for --only: the --permit values alone.
// At least one must be a domain: with no permitted DNS subtree, host names,
// email and URI names would be left unconstrained. With no IP address among
// them, the CA permits no IP address (certs excludes both families).
func onlyConstraints(permit []string, unconstrained bool) (*certs.Constraints, error) {
	if unconstrained {
		return nil, errors.New("give --only or --unconstrained, not both")
	}
	if len(permit) == 0 {
		return nil, errors.New("--only needs at least one --permit NAME: the CA would permit exactly those names")
	}
	c := &certs.Constraints{}
	for _, p := range permit {
		if err := c.Permit(p); err != nil {
			return nil, err
		}
	}
	if len(c.Domains) == 0 {
		return nil, errors.New("--only needs at least one domain among the --permit values: a CA limited to IP addresses would leave host names unconstrained")
	}
	return c, nil
}

// onlyMatches reports whether an existing CA permits exactly what --only
// asks; when it does not, it says so (the caller adds the hint).
func (a *app) onlyMatches(dir string, ca *certs.CA, planned *certs.Constraints) bool {
	if !ca.Unconstrained() && ca.Constraints.Covers(planned) && planned.Covers(ca.Constraints) {
		return true
	}
	a.errorf("the CA in %s already exists and permits more than --only asks (it permits: %s); its constraints can't change", dir, ca.Constraints)
	return false
}
