// Differential oracle for checks/x509/verify.ts: Go's crypto/x509 Verify, called the way
// `linkerd check` calls it (Roots = anchors, Intermediates = rest of the issuer file, DNSName "",
// KeyUsages empty). Reads a JSON array of cases on stdin, writes a JSON array of results.
package main

import (
	"crypto/x509"
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

func main() {
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
