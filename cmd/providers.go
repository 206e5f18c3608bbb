package cmd

import (
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/spf13/pflag"
)

// genericFlags describe a provider hookscope has no scheme for: one header
// carrying an HMAC of the raw body. Four flags rather than one packed
// string, so each says what it is in --help and completes on its own.
type genericFlags struct {
	header   string
	algo     string
	encoding string
	prefix   string
}

func addGenericFlags(fs *pflag.FlagSet, g *genericFlags) {
	fs.StringVar(&g.header, "generic-header", "", "also judge this header as an HMAC of the body (another provider's scheme), e.g. X-Signature")
	fs.StringVar(&g.algo, "generic-algo", "sha256", "HMAC hash for --generic-header: sha1, sha256, sha512")
	fs.StringVar(&g.encoding, "generic-encoding", "hex", "how --generic-header writes the MAC: hex, base64")
	fs.StringVar(&g.prefix, "generic-prefix", "", `text before the MAC in --generic-header, e.g. "sha256="`)
}

// schemes resolves --provider and the generic flags into what the capture
// engine judges with, and the canonical name of a forced provider.
func (g *genericFlags) schemes(fs *pflag.FlagSet, provider string) ([]signature.Scheme, string, error) {
	forced := ""
	if provider != "" {
		name, err := signature.CanonicalName(provider)
		if err != nil {
			return nil, "", usageErrorf("--provider: %v", err)
		}
		forced = name
	}
	if g.header == "" {
		for _, n := range []string{"generic-algo", "generic-encoding", "generic-prefix"} {
			if fs.Changed(n) {
				return nil, "", usageErrorf("--%s needs --generic-header to say which header carries the signature", n)
			}
		}
		if forced == "generic" {
			return nil, "", usageErrorf("--provider generic needs --generic-header (and maybe --generic-algo, --generic-encoding, --generic-prefix)")
		}
		return signature.Default(), forced, nil
	}
	gen, err := signature.NewGeneric(g.header, signature.Algorithm(g.algo), signature.Encoding(g.encoding), g.prefix)
	if err != nil {
		return nil, "", usageError{err}
	}
	return signature.WithGeneric(gen), forced, nil
}
