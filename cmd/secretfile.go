package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// --secret puts the secret on the command line, where every local user can
// read it in ps; --secret-file reads it from a file only its owner reads.

// secretFileFlag appends the secrets of each --secret-file to the command's
// --secret list, so they rotate and resolve exactly like --secret values.
type secretFileFlag struct {
	dst   *[]string
	files []string
}

func (s *secretFileFlag) Set(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the secret file %s (%v): give a readable file with one secret a line", path, unwrapPathError(err))
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		// Surrounding blanks and a CR are editors' doing, never a secret's.
		if line = strings.TrimSpace(line); line != "" {
			*s.dst = append(*s.dst, line)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("the secret file %s holds no secret: write the signing secret from VideoNest's dashboard in it, one a line", path)
	}
	s.files = append(s.files, path)
	return nil
}

func (s *secretFileFlag) String() string { return strings.Join(s.files, ",") }

func (s *secretFileFlag) Type() string { return "file" }

// addSecretFileFlag registers --secret-file beside a command's --secret.
func addSecretFileFlag(fs *pflag.FlagSet, secrets *[]string) {
	fs.Var(&secretFileFlag{dst: secrets}, "secret-file", "read signing secrets from this file, one a line (kept out of ps, unlike --secret)")
}

// checkSecrets refuses a secret that is only whitespace: it would sign and
// verify, but it is never what VideoNest's dashboard shows, so it is a
// quoting or file mistake that would mark every webhook invalid.
func checkSecrets(secrets []string, from string) error {
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" {
			return usageErrorf("a signing secret from %s is only whitespace: give the secret from VideoNest's dashboard (Settings → Webhooks)", from)
		}
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
