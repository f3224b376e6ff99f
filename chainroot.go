package main

import "github.com/vouchdev/vouch/certs"

// --chain-with-root puts the root at the end of the chain a server sends,
// so a friend can take it from the server itself (vouch trust host:port)
// and check its fingerprint. It is off by default: clients never use a root
// that arrives in a handshake (trust comes only from their own stores), so
// it costs every handshake a few hundred bytes for nothing.

const chainWithRootUsage = "also put the root in the certificate file (and .p12), after the intermediate, so friends can fetch it from the server"

// withRoot appends the CA's root to the leaf's chain, once.
func withRoot(leaf *certs.Leaf, ca *certs.CA) {
	for _, c := range leaf.Chain {
		if c.Equal(ca.Root) {
			return
		}
	}
	leaf.Chain = append(leaf.Chain, ca.Root)
}
