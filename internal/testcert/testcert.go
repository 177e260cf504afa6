// Package testcert writes a throwaway certificate authority and
// certificates for TLS tests (raftinel nodes, redis-server, clients). The
// keys are generated per call and never leave the test's directory.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are the paths of one CA and one certificate signed by it.
type Files struct {
	CA, Cert, Key string
	Other         struct{ Cert, Key string } // a certificate from another, untrusted CA
}

// Write creates ca.crt, node.crt/node.key (valid for server and client
// use, for 127.0.0.1 and localhost) and, from a second CA,
// stranger.crt/stranger.key in dir.
func Write(dir string) (Files, error) {
	var f Files
	ca, caKey, err := newCA("raftinel test CA")
	if err != nil {
		return f, err
	}
	f.CA = filepath.Join(dir, "ca.crt")
	if err := writePEM(f.CA, "CERTIFICATE", ca.Raw); err != nil {
		return f, err
	}
	f.Cert, f.Key = filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key")
	if err := leaf(ca, caKey, f.Cert, f.Key); err != nil {
		return f, err
	}
	other, otherKey, err := newCA("untrusted CA")
	if err != nil {
		return f, err
	}
	f.Other.Cert, f.Other.Key = filepath.Join(dir, "stranger.crt"), filepath.Join(dir, "stranger.key")
	return f, leaf(other, otherKey, f.Other.Cert, f.Other.Key)
}

// ClientConfig is a tls.Config for Go clients (go-redis) presenting the
// node certificate and trusting the CA.
func ClientConfig(f Files) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}, nil
}

func newCA(name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(keyPath, "PRIVATE KEY", kb)
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
