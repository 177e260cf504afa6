package tlsconf

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/internal/testcert"
)

func files(t *testing.T) testcert.Files {
	t.Helper()
	f, err := testcert.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// serve accepts one TLS connection and echoes one line; it returns the
// listener address and the server-side handshake error.
func serve(t *testing.T, cfg *tls.Config) (string, <-chan error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	errs := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errs <- err
			return
		}
		defer c.Close()
		if err := c.(*tls.Conn).Handshake(); err != nil {
			errs <- err
			return
		}
		errs <- nil
		_, _ = io.Copy(c, c)
	}()
	return ln.Addr().String(), errs
}

func TestMutualTLS(t *testing.T) {
	f := files(t)
	base := config.TLS{Port: 1, CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA, AuthClients: "yes"}
	srv, _, err := Server(base)
	if err != nil {
		t.Fatal(err)
	}
	cli, _, err := Client(base)
	if err != nil {
		t.Fatal(err)
	}
	addr, errs := serve(t, srv)
	c, err := WrapDial(nil, cli)(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("mutual TLS: %v", err)
	}
	defer c.Close()
	if err := <-errs; err != nil {
		t.Fatalf("server side: %v", err)
	}
	_, _ = c.Write([]byte("PING\r\n"))
	buf := make([]byte, 6)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "PING\r\n" {
		t.Fatalf("echo: %q %v", buf, err)
	}

	// A client certificate from another CA is refused (auth-clients yes).
	stranger := base
	stranger.CertFile, stranger.KeyFile = f.Other.Cert, f.Other.Key
	scli, _, _ := Client(stranger)
	addr, errs = serve(t, srv)
	if c, err := WrapDial(nil, scli)(context.Background(), "tcp", addr); err == nil {
		// TLS 1.3: the client learns of the refusal on its first read.
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		if err == nil {
			t.Error("a certificate of another CA was accepted")
		}
	}
	if err := <-errs; err == nil {
		t.Error("server accepted a stranger")
	}

	// No client certificate: refused with yes, accepted with optional and no.
	for _, mode := range []string{"yes", "optional", "no"} {
		sc := base
		sc.AuthClients = mode
		s, _, err := Server(sc)
		if err != nil {
			t.Fatal(err)
		}
		addr, errs := serve(t, s)
		anon := cli.Clone()
		anon.Certificates = nil
		c, err := WrapDial(nil, anon)(context.Background(), "tcp", addr)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Write([]byte("x"))
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		serr := <-errs
		if (mode == "yes") != (serr != nil) {
			t.Errorf("auth-clients %s, no client certificate: server %v, client %v", mode, serr, err)
		}
	}

	// The client checks the server's chain (any name, as Redis).
	bad, _, _ := Server(config.TLS{CertFile: f.Other.Cert, KeyFile: f.Other.Key, AuthClients: "no"})
	addr, _ = serve(t, bad)
	if c, err := WrapDial(nil, cli)(context.Background(), "tcp", addr); err == nil {
		c.Close()
		t.Error("a server certificate of another CA was accepted")
	}
}

func TestConfigErrors(t *testing.T) {
	f := files(t)
	cases := []struct {
		c    config.TLS
		want string
	}{
		{config.TLS{CertFile: f.Cert, KeyFile: f.Key, AuthClients: "yes"}, ErrNoCA.Error()},
		{config.TLS{AuthClients: "no"}, ErrNoCert.Error()},
		{config.TLS{CertFile: f.Cert, KeyFile: f.Key, AuthClients: "no", Protocols: "TLSv1.2 SSLv3"}, "Invalid tls-protocols specified"},
		{config.TLS{CertFile: f.Cert, KeyFile: f.Key, AuthClients: "no", Ciphers: "NOPE:ALSO-NOPE"}, "no cipher suite raftinel supports"},
		{config.TLS{CertFile: f.Cert, KeyFile: "/nonexistent", AuthClients: "no"}, "tls-key-file"},
		{config.TLS{CertFile: f.Cert, KeyFile: f.Other.Key, AuthClients: "no"}, "private key does not match"},
	}
	for _, c := range cases {
		if _, _, err := Server(c.c); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.c, err, c.want)
		}
	}
	if _, _, err := Client(config.TLS{CertFile: f.Cert, KeyFile: f.Key}); !errors.Is(err, ErrNoCA) {
		t.Errorf("client without CA: %v", err)
	}
}

func TestProtocolsAndCiphers(t *testing.T) {
	f := files(t)
	cfg, warns, err := Server(config.TLS{CertFile: f.Cert, KeyFile: f.Key, AuthClients: "no", Protocols: "tlsv1.3 TLSv1.2",
		Ciphers: "ECDHE-RSA-AES128-GCM-SHA256:HIGH:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Ciphersuites: "TLS_AES_128_GCM_SHA256"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.MaxVersion != tls.VersionTLS13 {
		t.Errorf("versions %x-%x", cfg.MinVersion, cfg.MaxVersion)
	}
	if len(cfg.CipherSuites) != 2 || cfg.CipherSuites[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ||
		cfg.CipherSuites[1] != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("suites %x", cfg.CipherSuites)
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "HIGH") || !strings.Contains(warns[1], "tls-ciphersuites") {
		t.Errorf("warnings %q", warns)
	}
}

// tls-key-file-pass decrypts a PEM-encrypted key.
func TestEncryptedKey(t *testing.T) {
	f := files(t)
	kb, _ := os.ReadFile(f.Key)
	block, _ := pem.Decode(kb)
	enc, err := x509.EncryptPEMBlock(rand.Reader, block.Type, block.Bytes, []byte("secret"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "enc.key")
	_ = os.WriteFile(path, pem.EncodeToMemory(enc), 0o600)
	c := config.TLS{CertFile: f.Cert, KeyFile: path, AuthClients: "no"}
	if _, _, err := Server(c); err == nil || !strings.Contains(err.Error(), "tls-key-file-pass") {
		t.Errorf("without the pass: %v", err)
	}
	c.KeyFilePass = "secret"
	if _, _, err := Server(c); err != nil {
		t.Errorf("with the pass: %v", err)
	}
}

func TestWrapDialTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts and never speaks TLS
		c, err := ln.Accept()
		if err == nil {
			time.Sleep(2 * time.Second)
			c.Close()
		}
	}()
	f := files(t)
	cli, _, _ := Client(config.TLS{CertFile: f.Cert, KeyFile: f.Key, CACertFile: f.CA})
	start := time.Now()
	if _, err := WrapDialTimeout(nil, cli)("tcp", ln.Addr().String(), 200*time.Millisecond); err == nil {
		t.Fatal("handshake with a silent server succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the handshake is not bounded by the timeout: %v", d)
	}
}
