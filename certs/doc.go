// Package certs owns vouch's certificate authority and everything it signs:
// creating, loading and adopting a CA folder, parsing and constraining the
// names a certificate may carry, issuing leaves (from names or a CSR),
// PKCS#12 bundles, fingerprints, and writing files atomically with the right
// permissions.
//
// It knows nothing of trust stores and must not import truststore or
// platform: trusting the root is someone else's job.
package certs
