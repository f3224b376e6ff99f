package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
)

// TestMain lets the test binary act as vouch: testscript puts a copy of it
// named "vouch" on the scripts' PATH, and a process started under that name
// runs the real CLI, with the trust stores pointed at a fake file system.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"vouch": func() { os.Exit(testVouch()) },
	})
}

// testVouch is vouch as the scripts run it. It never reaches the machine's
// real trust stores: they are looked for under $VOUCH_TEST_FSROOT, and no
// external command runs (each is logged to $VOUCH_TEST_FSROOT/ran.log and
// fails). $VOUCH_TEST_PLATFORM (GOOS/GOARCH) picks another platform's
// system store. Without $VOUCH_TEST_FSROOT it refuses to run at all.
func testVouch() int {
	root := os.Getenv("VOUCH_TEST_FSROOT")
	if root == "" || !filepath.IsAbs(root) {
		fmt.Fprintln(os.Stderr, "vouch test binary: $VOUCH_TEST_FSROOT is not an absolute path; refusing to run near the real trust stores")
		return 3
	}
	testOnlyFSRoot = root
	testOnlyRunner = refusingRunner{log: filepath.Join(root, "ran.log")}
	testOnlyPlatform = os.Getenv("VOUCH_TEST_PLATFORM")
	if os.Getenv("VOUCH_TEST_RUNNER") == "debian" {
		testOnlyRunner = debianRunner{root: root, log: filepath.Join(root, "ran.log")}
	}
	return run(os.Args[1:], os.Stdout, os.Stderr)
}

// refusingRunner logs each command it is asked to run and runs none.
type refusingRunner struct{ log string }

func (r refusingRunner) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintln(f, c.String())
		f.Close()
	}
	return nil, fmt.Errorf("the test runner does not run commands (%s)", c)
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               setupScript,
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"certinfo":    cmdCertinfo,
			"keyinfo":     cmdKeyinfo,
			"verifychain": cmdVerifychain,
			"signedby":    cmdSignedby,
			"mkcertca":    cmdMkcertca,
			"makecsr":     cmdMakecsr,
			"badcsr":      cmdBadcsr,
			"p12info":     cmdP12info,
			"perm":        cmdPerm,
			"lsdir":       cmdLsdir,
			"vouchonly":   cmdVouchonly,
			"concurrent":  cmdConcurrent,
			"fakedebian":  cmdFakedebian,
			"fpenv":       cmdFpenv,
			"oddroot":     cmdOddroot,
		},
	})
}

// setupScript gives every script its own HOME and data folder, no CA folder
// from the environment (so the default CA lands in $WORK/data/vouch), and
// an empty fake file system for the trust stores.
func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	data := filepath.Join(env.WorkDir, "data")
	fsroot := filepath.Join(env.WorkDir, ".tmp", "fsroot")
	for _, d := range []string{home, data, fsroot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	env.Vars = slices.DeleteFunc(env.Vars, func(kv string) bool {
		return strings.HasPrefix(kv, "VOUCH_CAROOT=") || strings.HasPrefix(kv, "CAROOT=")
	})
	env.Setenv("HOME", home)
	env.Setenv("XDG_DATA_HOME", data)
	env.Setenv("VOUCH_TEST_FSROOT", fsroot)
	return nil
}

// noNeg fails commands whose negation would make a check unable to fail.
func noNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("unsupported: ! %s", name)
	}
}

func readCerts(ts *testscript.TestScript, file string) []*x509.Certificate {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			ts.Fatalf("%s: PEM block %q, want CERTIFICATE", file, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		ts.Check(err)
		out = append(out, c)
	}
	if len(bytes.TrimSpace(data)) != 0 {
		ts.Fatalf("%s: trailing data after the certificates", file)
	}
	if len(out) == 0 {
		ts.Fatalf("%s: no certificate in it", file)
	}
	return out
}

func keyDesc(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ecdsa-" + k.Curve.Params().Name
	case *rsa.PublicKey:
		return "rsa-" + strconv.Itoa(k.N.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}

var ekuNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageServerAuth:      "serverAuth",
	x509.ExtKeyUsageClientAuth:      "clientAuth",
	x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageAny:             "any",
}

// describeCert prints the fields the scripts assert on, one per line, each
// line starting with prefix so a script can tell the certificates apart.
func describeCert(w *strings.Builder, prefix string, c *x509.Certificate) {
	fmt.Fprintf(w, "%ssubject: %s\n", prefix, c.Subject)
	fmt.Fprintf(w, "%sissuer: %s\n", prefix, c.Issuer)
	fmt.Fprintf(w, "%sca: %v\n", prefix, c.IsCA)
	fmt.Fprintf(w, "%sself-signed: %v\n", prefix, bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil)
	fmt.Fprintf(w, "%skey: %s\n", prefix, keyDesc(c.PublicKey))
	fmt.Fprintf(w, "%ssans: %s\n", prefix, strings.Join(certs.LeafNames(c), " "))
	var kus []string
	for i, name := range []string{"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement", "certSign", "crlSign", "encipherOnly", "decipherOnly"} {
		if c.KeyUsage&(1<<i) != 0 {
			kus = append(kus, name)
		}
	}
	fmt.Fprintf(w, "%sku: %s\n", prefix, strings.Join(kus, " "))
	var ekus []string
	for _, u := range c.ExtKeyUsage {
		ekus = append(ekus, ekuNames[u])
	}
	fmt.Fprintf(w, "%seku: %s\n", prefix, strings.Join(ekus, " "))
	left := time.Until(c.NotAfter)
	fmt.Fprintf(w, "%sexpires-in-minutes: %d\n", prefix, int(math.Round(left.Minutes())))
	fmt.Fprintf(w, "%sexpires-in-hours: %d\n", prefix, int(math.Round(left.Hours())))
	fmt.Fprintf(w, "%sexpires-in-days: %d\n", prefix, int(math.Round(left.Hours()/24)))
	if c.IsCA {
		var ranges []string
		for _, r := range c.PermittedIPRanges {
			ranges = append(ranges, r.String())
		}
		fmt.Fprintf(w, "%sconstraints-critical: %v\n", prefix, c.PermittedDNSDomainsCritical)
		fmt.Fprintf(w, "%spermitted-dns: %s\n", prefix, strings.Join(c.PermittedDNSDomains, " "))
		fmt.Fprintf(w, "%spermitted-ip: %s\n", prefix, strings.Join(ranges, " "))
		fmt.Fprintf(w, "%spermitted-email: %s\n", prefix, strings.Join(c.PermittedEmailAddresses, " "))
		fmt.Fprintf(w, "%spermitted-uri: %s\n", prefix, strings.Join(c.PermittedURIDomains, " "))
	}
}

// certinfo FILE: prints "certs: N", then the fields of each certificate in
// the PEM file, prefixed by its index: "0 sans: …", "1 ca: true".
func cmdCertinfo(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "certinfo")
	if len(args) != 1 {
		ts.Fatalf("usage: certinfo FILE")
	}
	certs := readCerts(ts, args[0])
	var b strings.Builder
	fmt.Fprintf(&b, "certs: %d\n", len(certs))
	for i, c := range certs {
		describeCert(&b, strconv.Itoa(i)+" ", c)
	}
	fmt.Fprint(ts.Stdout(), b.String())
}

func readKey(ts *testscript.TestScript, file string) (block *pem.Block, key crypto.Signer) {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	block, rest := pem.Decode(data)
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		ts.Fatalf("%s: want exactly one PEM block", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		ts.Fatalf("%s: not a PKCS#8 key: %v", file, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		ts.Fatalf("%s: %T is not a signer", file, k)
	}
	return block, s
}

// keyinfo KEY [CERT]: prints the PEM type and key type of a PKCS#8 key and,
// with CERT, whether the first certificate in CERT carries its public key.
func cmdKeyinfo(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "keyinfo")
	if len(args) != 1 && len(args) != 2 {
		ts.Fatalf("usage: keyinfo KEY [CERT]")
	}
	block, key := readKey(ts, args[0])
	fmt.Fprintf(ts.Stdout(), "pem: %s\nkey: %s\n", block.Type, keyDesc(key.Public()))
	if len(args) == 2 {
		c := readCerts(ts, args[1])[0]
		pub := key.Public().(interface{ Equal(crypto.PublicKey) bool })
		fmt.Fprintf(ts.Stdout(), "matches: %v\n", pub.Equal(c.PublicKey))
	}
}

// verifychain [-client] ROOT CHAIN NAME...: verifies the first certificate
// in CHAIN (a file or a glob matching at least one file), with the rest of
// the file as intermediates, up to the roots in ROOT, for each NAME (a host
// name or IP; "-" verifies the chain without a name). With "!" it succeeds
// only if every verification fails.
func cmdVerifychain(ts *testscript.TestScript, neg bool, args []string) {
	usage := x509.ExtKeyUsageServerAuth
	if len(args) > 0 && args[0] == "-client" {
		usage, args = x509.ExtKeyUsageClientAuth, args[1:]
	}
	if len(args) < 3 {
		ts.Fatalf("usage: verifychain [-client] ROOT CHAIN NAME...")
	}
	roots := x509.NewCertPool()
	for _, c := range readCerts(ts, args[0]) {
		roots.AddCert(c)
	}
	files, err := filepath.Glob(ts.MkAbs(args[1]))
	ts.Check(err)
	if len(files) == 0 {
		ts.Fatalf("verifychain: no file matches %s", args[1])
	}
	for _, file := range files {
		chain := readCerts(ts, file)
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		for _, name := range args[2:] {
			opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}
			if name != "-" {
				opts.DNSName = name
			}
			_, err := chain[0].Verify(opts)
			switch {
			case err != nil && !neg:
				ts.Fatalf("%s for %s: %v", filepath.Base(file), name, err)
			case err == nil && neg:
				ts.Fatalf("%s for %s: verified, want failure", filepath.Base(file), name)
			case err != nil:
				ts.Logf("%s for %s: %v (as expected)", filepath.Base(file), name, err)
			}
		}
	}
}

// signedby CERT ISSUER: the first certificate in CERT carries a signature
// by the first certificate in ISSUER.
func cmdSignedby(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: signedby CERT ISSUER")
	}
	c, issuer := readCerts(ts, args[0])[0], readCerts(ts, args[1])[0]
	err := c.CheckSignatureFrom(issuer)
	if neg && err == nil {
		ts.Fatalf("%s is signed by %s", args[0], args[1])
	}
	if !neg && err != nil {
		ts.Fatalf("%s is not signed by %s: %v", args[0], args[1], err)
	}
}

func serial(ts *testscript.TestScript) *big.Int {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	ts.Check(err)
	return s
}

func writeFile(ts *testscript.TestScript, file, typ string, der []byte, mode os.FileMode) {
	ts.Check(os.WriteFile(ts.MkAbs(file), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode))
}

// mkcertca DIR: writes a CA folder as mkcert makes it: a self-signed
// RSA-3072 root without name constraints, rootCA.pem and rootCA-key.pem
// (PKCS#8).
func cmdMkcertca(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "mkcertca")
	if len(args) != 1 {
		ts.Fatalf("usage: mkcertca DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	key, err := rsa.GenerateKey(rand.Reader, 3072)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: serial(ts),
		Subject: pkix.Name{
			Organization:       []string{"mkcert development CA"},
			OrganizationalUnit: []string{"tester@testhost"},
			CommonName:         "mkcert tester@testhost",
		},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ts.Check(err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	writeFile(ts, filepath.Join(dir, "rootCA.pem"), "CERTIFICATE", der, 0o644)
	writeFile(ts, filepath.Join(dir, "rootCA-key.pem"), "PRIVATE KEY", keyDER, 0o400)
}

func newKey(ts *testscript.TestScript, kind string) crypto.Signer {
	var (
		k   crypto.Signer
		err error
	)
	switch kind {
	case "ecdsa":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		ts.Fatalf("unknown key type %q (want ecdsa or rsa2048)", kind)
	}
	ts.Check(err)
	return k
}

func csrDER(ts *testscript.TestScript, key crypto.Signer, names []string) []byte {
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: "test request"}}
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, "CN="):
			tmpl.Subject.CommonName = n[3:]
		case net.ParseIP(n) != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(n))
		case strings.Contains(n, "://"):
			u, err := url.Parse(n)
			ts.Check(err)
			tmpl.URIs = append(tmpl.URIs, u)
		case strings.Contains(n, "@"):
			tmpl.EmailAddresses = append(tmpl.EmailAddresses, n)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	ts.Check(err)
	return der
}

// makecsr KEYTYPE OUT NAMES...: writes a CSR for NAMES to OUT and its
// PKCS#8 key to OUT.key. With no NAMES the CSR has only a common name,
// "test request"; a NAME CN=X makes X the common name instead.
func cmdMakecsr(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "makecsr")
	if len(args) < 2 {
		ts.Fatalf("usage: makecsr KEYTYPE OUT NAMES...")
	}
	key := newKey(ts, args[0])
	der := csrDER(ts, key, args[2:])
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	writeFile(ts, args[1], "CERTIFICATE REQUEST", der, 0o644)
	writeFile(ts, args[1]+".key", "PRIVATE KEY", keyDER, 0o600)
}

// badcsr OUT NAMES...: writes a well-formed CSR whose signature does not
// verify.
func cmdBadcsr(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "badcsr")
	if len(args) < 1 {
		ts.Fatalf("usage: badcsr OUT NAMES...")
	}
	names := args[1:]
	if len(names) == 0 {
		names = []string{"bad.test"}
	}
	der := csrDER(ts, newKey(ts, "ecdsa"), names)
	der[len(der)-1] ^= 0x01 // the last byte of the signature's s
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		ts.Fatalf("badcsr: the damaged request no longer parses: %v", err)
	}
	if csr.CheckSignature() == nil {
		ts.Fatalf("badcsr: the damaged signature still verifies")
	}
	writeFile(ts, args[0], "CERTIFICATE REQUEST", der, 0o644)
}

// p12info FILE [PASSWORD]: decodes a PKCS#12 file (password "changeit" by
// default) and prints its key, then the leaf's fields prefixed "leaf " and
// each CA certificate's prefixed "ca0 ", "ca1 "…; with "!" it succeeds only
// if decoding fails.
func cmdP12info(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 && len(args) != 2 {
		ts.Fatalf("usage: p12info FILE [PASSWORD]")
	}
	password := "changeit"
	if len(args) == 2 {
		password = args[1]
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if neg {
		if err == nil {
			ts.Fatalf("%s decoded with password %q", args[0], password)
		}
		return
	}
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		ts.Fatalf("%s: key %T is not a signer", args[0], key)
	}
	pub := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	var b strings.Builder
	fmt.Fprintf(&b, "key: %s\nkey-matches-leaf: %v\ncas: %d\n", keyDesc(s.Public()), pub.Equal(leaf.PublicKey), len(cas))
	describeCert(&b, "leaf ", leaf)
	for i, c := range cas {
		describeCert(&b, fmt.Sprintf("ca%d ", i), c)
	}
	fmt.Fprint(ts.Stdout(), b.String())
}

// perm FILE: prints the permission bits in octal, like 0600.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "perm")
	if len(args) != 1 {
		ts.Fatalf("usage: perm FILE")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%04o\n", st.Mode().Perm())
}

// cmdVouchonly makes DIR hold only a link to the vouch the script runs,
// and points PATH at it: no other program (certutil, keytool) can be found.
func cmdVouchonly(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "vouchonly")
	if len(args) != 1 {
		ts.Fatalf("usage: vouchonly DIR")
	}
	var bin string
	for _, d := range filepath.SplitList(ts.Getenv("PATH")) {
		if st, err := os.Stat(filepath.Join(d, "vouch")); err == nil && !st.IsDir() {
			bin = filepath.Join(d, "vouch")
			break
		}
	}
	if bin == "" {
		ts.Fatalf("no vouch on the script's PATH")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(os.Symlink(bin, filepath.Join(dir, "vouch")))
	ts.Setenv("PATH", dir)
}

// lsdir DIR: prints every entry of DIR, hidden ones included, sorted, one a
// line, folders with a trailing slash.
func cmdLsdir(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "lsdir")
	if len(args) != 1 {
		ts.Fatalf("usage: lsdir DIR")
	}
	entries, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	// Ask for stdout even when there is nothing to print, or the script
	// would go on matching the previous command's output.
	w := ts.Stdout()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			name += "/"
		}
		fmt.Fprintln(w, name)
	}
}

// concurrent N ARGS...: starts N vouch processes at once, with "{i}" in
// ARGS replaced by each one's number, waits for all, and prints how many
// ended with each exit code ("exit 0: 32"); every process's stderr goes to
// stderr, each line prefixed with its number.
func cmdConcurrent(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "concurrent")
	if len(args) < 2 {
		ts.Fatalf("usage: concurrent N ARGS...")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		ts.Fatalf("concurrent: bad count %q", args[0])
	}
	bin := lookPath(ts, "vouch")
	var env []string
	for _, k := range []string{"PATH", "HOME", "XDG_DATA_HOME", "TMPDIR", "VOUCH_TEST_FSROOT", "VOUCH_CAROOT", "CAROOT", "GOCOVERDIR", "GORACE", "GOTRACEBACK"} {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	cmds := make([]*exec.Cmd, n)
	stderrs := make([]bytes.Buffer, n)
	for i := range cmds {
		argv := make([]string, len(args)-1)
		for j, a := range args[1:] {
			argv[j] = strings.ReplaceAll(a, "{i}", strconv.Itoa(i))
		}
		cmd := exec.Command(bin, argv...)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = env
		cmd.Stderr = &stderrs[i]
		cmds[i] = cmd
	}
	// Start them all before waiting for any, so they race for the CA.
	start := make(chan struct{})
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := cmd.Run()
			var exit *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &exit):
				codes[i] = exit.ExitCode()
			default:
				codes[i] = -1
				fmt.Fprintf(&stderrs[i], "failed to run: %v\n", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for i, c := range codes {
		count[c]++
		for line := range strings.Lines(stderrs[i].String()) {
			fmt.Fprintf(ts.Stderr(), "%d: %s", i, line)
		}
	}
	var keys []int
	for c := range count {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	for _, c := range keys {
		fmt.Fprintf(ts.Stdout(), "exit %d: %d\n", c, count[c])
	}
}

func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	ts.Fatalf("%s not found in $PATH", name)
	return ""
}

// debianRunner plays a Debian system store under root, for scripts that
// set VOUCH_TEST_RUNNER=debian (after fakedebian): it logs each command,
// carries out install(1), rm(1) and update-ca-certificates (the bundle
// becomes the anchors, concatenated) on the fake file system, and fails
// any other command.
type debianRunner struct{ root, log string }

func (r debianRunner) Run(ctx context.Context, c platform.Cmd) ([]byte, error) {
	refusingRunner{log: r.log}.Run(ctx, c)
	argv := c.Argv
	switch {
	case filepath.Base(argv[0]) == "update-ca-certificates":
		return nil, rebuildDebianBundle(r.root)
	case argv[0] == "install" && len(argv) == 5:
		data, err := os.ReadFile(argv[3])
		if err != nil {
			return nil, err
		}
		return nil, os.WriteFile(filepath.Join(r.root, argv[4]), data, 0o644)
	case argv[0] == "rm" && len(argv) > 3:
		for _, p := range argv[3:] {
			os.Remove(filepath.Join(r.root, p))
		}
		return nil, nil
	}
	return nil, fmt.Errorf("the test runner does not run %s", c)
}

// fakedebian: makes $VOUCH_TEST_FSROOT a Debian system store (anchor
// folder, update-ca-certificates, an empty bundle) and has vouch use
// debianRunner.
func cmdFakedebian(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "fakedebian")
	ts.Check(makeDebianRoot(ts.Getenv("VOUCH_TEST_FSROOT")))
	ts.Setenv("VOUCH_TEST_RUNNER", "debian")
}

// fpenv NAME FILE: sets $NAME to the SHA-256 fingerprint of the first
// certificate in FILE as hex, $NAME_VOICE in voice hex and $NAME_WORDS in
// words.
func cmdFpenv(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "fpenv")
	if len(args) != 2 {
		ts.Fatalf("usage: fpenv NAME FILE")
	}
	fp := certs.FingerprintOf(readCerts(ts, args[1])[0])
	ts.Setenv(args[0], fp.Hex())
	ts.Setenv(args[0]+"_VOICE", fp.Voice())
	ts.Setenv(args[0]+"_WORDS", fp.Words())
}

// oddroot KIND FILE: writes a self-signed certificate that is not fit to
// be trusted as a root: KIND is expired (a constrained CA that expired
// yesterday) or notca (no CA basic constraint).
func cmdOddroot(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "oddroot")
	if len(args) != 2 {
		ts.Fatalf("usage: oddroot expired|notca FILE")
	}
	key := newKey(ts, "ecdsa")
	tmpl := &x509.Certificate{
		SerialNumber:          serial(ts),
		Subject:               pkix.Name{CommonName: "odd root " + args[0]},
		NotBefore:             time.Now().AddDate(-1, 0, 0),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		PermittedDNSDomains:   []string{"odd.test"},
		PermittedIPRanges:     []*net.IPNet{{IP: net.IP{10, 0, 0, 0}, Mask: net.CIDRMask(8, 32)}},
	}
	switch args[0] {
	case "expired":
		tmpl.NotAfter = time.Now().AddDate(0, 0, -1)
	case "notca":
		tmpl.IsCA, tmpl.KeyUsage = false, x509.KeyUsageDigitalSignature
	default:
		ts.Fatalf("oddroot: unknown kind %q", args[0])
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ts.Check(err)
	writeFile(ts, args[1], "CERTIFICATE", der, 0o644)
}
