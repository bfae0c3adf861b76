// Differential oracle for checks/x509 (reads a JSON array of cases on stdin, writes a JSON array of results):
//   verify: Go's crypto/x509 Verify, called the way `linkerd check` calls it (Roots = anchors,
//           Intermediates = rest of the issuer file, DNSName "", KeyUsages empty);
//   pem:    Linkerd's tls.DecodePEMCertificates loop (pkg/tls/codec.go) over encoding/pem.
package main

import (
	"crypto/x509"
	"errors"
	"encoding/json"
	"encoding/pem"
	"os"
	"time"
)

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
		_, err = certs(c.Leaf)[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: now})
		if err != nil {
			results = append(results, err.Error())
		} else {
			results = append(results, "ok")
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(results)
}
