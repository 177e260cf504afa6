// Package tlsconf turns Redis's tls-* directives into crypto/tls
// configurations, so that a node configured like redis-sentinel speaks TLS
// like it: clients on tls-port (certificates required or not per
// tls-auth-clients), and, with tls-replication yes, every outgoing link
// (to Redis instances, to other nodes' Sentinel port, Raft and forwarding
// streams) over TLS with this node's certificate.
//
// Peer certificates are verified against tls-ca-cert-file/-dir without a
// host name check, as Redis (OpenSSL with SSL_VERIFY_PEER and no host
// verification) does: deployments that work with Redis's TLS work here,
// including certificates without IP SANs.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftinel/raftinel/config"
)

// Errors worded as Redis words them where Redis has a word for it.
var (
	ErrNoCA = errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	// ErrNoCert: a TLS listener or a TLS link without a certificate.
	ErrNoCert = errors.New("tls-cert-file and tls-key-file must be set for tls-port or tls-replication")
)

// Server returns the configuration of the tls-port listener. Warnings
// list directives accepted but not applied (Go chooses TLS 1.3 suites).
func Server(c config.TLS) (*tls.Config, []string, error) {
	cert, err := keyPair(c.CertFile, c.KeyFile, c.KeyFilePass)
	if err != nil {
		return nil, nil, err
	}
	cfg, warns, err := common(c)
	if err != nil {
		return nil, nil, err
	}
	cfg.Certificates = []tls.Certificate{cert}
	switch strings.ToLower(c.AuthClients) {
	case "no":
		cfg.ClientAuth = tls.NoClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if cfg.ClientAuth != tls.NoClientCert {
		pool, err := caPool(c)
		if err != nil {
			return nil, nil, err
		}
		cfg.ClientCAs = pool
	}
	return cfg, warns, nil
}

// Client returns the configuration of outgoing TLS links: this node's
// certificate (tls-client-cert-file, else tls-cert-file) and the peer's
// chain checked against the CA, without a host name check.
func Client(c config.TLS) (*tls.Config, []string, error) {
	certFile, keyFile, pass := c.ClientCertFile, c.ClientKeyFile, c.ClientKeyFilePass
	if certFile == "" {
		certFile, keyFile, pass = c.CertFile, c.KeyFile, c.KeyFilePass
	}
	cert, err := keyPair(certFile, keyFile, pass)
	if err != nil {
		return nil, nil, err
	}
	pool, err := caPool(c)
	if err != nil {
		return nil, nil, err
	}
	cfg, warns, err := common(c)
	if err != nil {
		return nil, nil, err
	}
	cfg.Certificates = []tls.Certificate{cert}
	cfg.InsecureSkipVerify = true // replaced by verifyChain: chain yes, host name no (as Redis)
	cfg.VerifyPeerCertificate = verifyChain(pool)
	return cfg, warns, nil
}

// verifyChain checks the presented chain against roots, for any name.
func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("tls: the peer presented no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, b := range raw {
			c, err := x509.ParseCertificate(b)
			if err != nil {
				return fmt.Errorf("tls: peer certificate: %w", err)
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err
	}
}

// common applies tls-protocols and tls-ciphers.
func common(c config.TLS) (*tls.Config, []string, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var warns []string
	if c.Protocols != "" {
		lo, hi, err := protocols(c.Protocols)
		if err != nil {
			return nil, nil, err
		}
		cfg.MinVersion, cfg.MaxVersion = lo, hi
	}
	if c.Ciphers != "" {
		ids, skipped := ciphers(c.Ciphers)
		if len(ids) == 0 {
			return nil, nil, fmt.Errorf("tls-ciphers %q: no cipher suite raftinel supports (use names like ECDHE-RSA-AES128-GCM-SHA256)", c.Ciphers)
		}
		cfg.CipherSuites = ids
		if len(skipped) > 0 {
			warns = append(warns, "tls-ciphers: ignored "+strings.Join(skipped, ":"))
		}
	}
	if c.Ciphersuites != "" {
		warns = append(warns, "tls-ciphersuites is ignored: Go chooses the TLS 1.3 cipher suites")
	}
	return cfg, warns, nil
}

var versions = map[string]uint16{
	"tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11, "tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13,
}

// protocols parses tls-protocols ("TLSv1.2 TLSv1.3") into a version range.
func protocols(s string) (lo, hi uint16, err error) {
	for _, p := range strings.Fields(s) {
		v, ok := versions[strings.ToLower(p)]
		if !ok {
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if lo == 0 {
		return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
	}
	return lo, hi, nil
}

// openSSLNames maps OpenSSL cipher names to the suites Go implements.
var openSSLNames = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

// ciphers parses an OpenSSL cipher list (':' or ',' or ' ' separated),
// accepting OpenSSL and IANA names; keywords and names Go lacks are
// skipped, as OpenSSL skips what it does not know.
func ciphers(s string) (ids []uint16, skipped []string) {
	iana := map[string]uint16{}
	for _, cs := range tls.CipherSuites() {
		iana[cs.Name] = cs.ID
	}
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := openSSLNames[strings.ToUpper(name)]; ok {
			ids = append(ids, id)
		} else if id, ok := iana[strings.ToUpper(name)]; ok {
			ids = append(ids, id)
		} else {
			skipped = append(skipped, name)
		}
	}
	return ids, skipped
}

// caPool reads tls-ca-cert-file and every PEM file of tls-ca-cert-dir.
func caPool(c config.TLS) (*x509.CertPool, error) {
	if c.CACertFile == "" && c.CACertDir == "" {
		return nil, ErrNoCA
	}
	pool := x509.NewCertPool()
	files := []string{}
	if c.CACertFile != "" {
		files = append(files, c.CACertFile)
	}
	if c.CACertDir != "" {
		ents, err := os.ReadDir(c.CACertDir)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert-dir %s: %w", c.CACertDir, err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
				files = append(files, filepath.Join(c.CACertDir, e.Name()))
			}
		}
	}
	n := 0
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert: %w", err)
		}
		if pool.AppendCertsFromPEM(b) {
			n++
		} else if i == 0 && c.CACertFile != "" {
			return nil, fmt.Errorf("tls-ca-cert-file %s: no PEM certificate", f)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("tls-ca-cert-dir %s: no PEM certificate", c.CACertDir)
	}
	return pool, nil
}

// keyPair loads a certificate and its key; a legacy PEM-encrypted key is
// decrypted with pass (tls-key-file-pass).
func keyPair(certFile, keyFile, pass string) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, ErrNoCert
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls-cert-file: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls-key-file: %w", err)
	}
	encrypted := false
	if block, _ := pem.Decode(keyPEM); block != nil {
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return tls.Certificate{}, fmt.Errorf("tls-key-file %s: encrypted PKCS#8 keys are not supported; use an unencrypted key or a PEM-encrypted (Proc-Type) one", keyFile)
		case x509.IsEncryptedPEMBlock(block): //nolint:staticcheck // legacy PEM encryption is what tls-key-file-pass protects
			der, err := x509.DecryptPEMBlock(block, []byte(pass)) //nolint:staticcheck
			if err != nil {
				return tls.Certificate{}, fmt.Errorf("tls-key-file %s: %w (check tls-key-file-pass)", keyFile, err)
			}
			keyPEM = pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
			encrypted = true
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil && encrypted {
		// Legacy PEM encryption has no integrity check: a wrong pass may
		// "decrypt" into garbage instead of failing.
		return tls.Certificate{}, fmt.Errorf("tls-key-file %s: %w (check tls-key-file-pass)", keyFile, err)
	}
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls-cert-file %s / tls-key-file %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}
