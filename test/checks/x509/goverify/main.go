// Differential oracle for checks/x509 (reads a JSON array of cases on stdin, writes a JSON array of results):
//   verify:    Go's crypto/x509 Verify, called the way `linkerd check` calls it (Roots = anchors,
//              Intermediates = rest of the issuer file, DNSName "", KeyUsages empty);
//   crtverify: the same, with the annotation Linkerd's Crt.Verify (pkg/tls/cred.go) adds to an expiry
//              error, at a fixed current time;
//   pem:       Linkerd's tls.DecodePEMCertificates loop (pkg/tls/codec.go) over encoding/pem;
//   key:       Linkerd's tls.DecodePEMKey (pkg/tls/codec.go): which key types it keeps, and its errors.
package main

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"reflect"
	"time"
)

// decodePEMKey: the first PEM block as SEC1, PKCS#1 or PKCS#8; PKCS#8 keys other than ECDSA and
// RSA are refused with the Go type that x509 parsed them to.
func decodePEMKey(txt string) error {
	block, _ := pem.Decode([]byte(txt))
	if block == nil {
		return errors.New("not PEM-encoded")
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		_, err := x509.ParseECPrivateKey(block.Bytes)
		return err
	case "RSA PRIVATE KEY":
		_, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		return err
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return err
		}
		switch k.(type) {
		case *ecdsa.PrivateKey, *rsa.PrivateKey:
			return nil
		}
		return fmt.Errorf("unsupported PKCS#8 encoded private key type: '%s', linkerd2 only supports ECDSA and RSA private keys", reflect.TypeOf(k))
	}
	return fmt.Errorf("unsupported block type: '%s'", block.Type)
}

type verifyCase struct {
	Roots         string `json:"roots"`
	Intermediates string `json:"intermediates"`
	Leaf          string `json:"leaf"`
	Now           string `json:"now"`
}

func certs(text string) []*x509.Certificate {
	var out []*x509.Certificate
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return out
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			panic(err)
		}
		out = append(out, c)
	}
}

type pemResult struct {
	Certs int    `json:"certs"`
	Error string `json:"error"`
}

// decodePEMCertificates is Linkerd's loop: certificates while they come, a non-CERTIFICATE block ends
// parsing, and bytes left over with no block in them are "not a PEM certificate".
func decodePEMCertificates(txt string) (int, error) {
	buf := []byte(txt)
	n := 0
	for len(buf) > 0 {
		var block *pem.Block
		block, buf = pem.Decode(buf)
		if block == nil {
			return n, errors.New("not a PEM certificate")
		}
		if block.Type != "CERTIFICATE" {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "key" {
		var texts []string
		if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
			panic(err)
		}
		out := make([]string, 0, len(texts))
		for _, t := range texts {
			if err := decodePEMKey(t); err != nil {
				out = append(out, err.Error())
			} else {
				out = append(out, "ok")
			}
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "pem" {
		var texts []string
		if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
			panic(err)
		}
		out := make([]pemResult, 0, len(texts))
		for _, t := range texts {
			n, err := decodePEMCertificates(t)
			r := pemResult{Certs: n}
			if err != nil {
				r.Error = err.Error()
			}
			out = append(out, r)
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	var cases []verifyCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	results := make([]string, 0, len(cases))
	for _, c := range cases {
		roots := x509.NewCertPool()
		for _, r := range certs(c.Roots) {
			roots.AddCert(r)
		}
		inters := x509.NewCertPool()
		for _, i := range certs(c.Intermediates) {
			inters.AddCert(i)
		}
		now, err := time.Parse(time.RFC3339, c.Now)
		if err != nil {
			panic(err)
		}
		leaf := certs(c.Leaf)[0]
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: now})
		var invalid x509.CertificateInvalidError
		if len(os.Args) > 1 && os.Args[1] == "crtverify" && errors.As(err, &invalid) && invalid.Reason == x509.Expired {
			err = fmt.Errorf("%w - Current Time : %s - Invalid before %s - Invalid After %s", err, now, leaf.NotBefore, leaf.NotAfter)
		}
		if err != nil {
			results = append(results, err.Error())
		} else {
			results = append(results, "ok")
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(results)
}
