//go:build linux

package e2e

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// server is a real TLS server on 127.0.0.1 presenting one leaf chain and a
// page carrying a marker no other server serves, so a client that shows the
// marker proves it completed the handshake with this server.
type server struct {
	port   string
	marker string
}

func serve(t *testing.T, l *leaf) *server {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	marker := "vouch-e2e-" + l.name + "-" + hex.EncodeToString(b)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Connection", "close")
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%s</title></head><body><p>%s</p></body></html>\n", marker, marker)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{l.pair}}
	// Clients that reject the certificate make the server log a handshake
	// error; that is the expected outcome, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return &server{port: port, marker: marker}
}
