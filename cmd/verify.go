package cmd

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/spf13/cobra"
)

type verifyOptions struct {
	secrets []string
	sig     string
}

func newVerifyCmd(f *Factory) *cobra.Command {
	o := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify --secret S --signature SIG [FILE | -]",
		Short: "Check an X-VideoNest-Signature against a body, and say why it fails",
		Long: `verify computes the HMAC-SHA256 of the body (FILE, or stdin) with the secret
and compares it with SIG, the hex value of X-VideoNest-Signature, the way
listen judges captures. It says why a signature does not match: wrong length,
not hex, or a different digest (the body or the secret differs), and tries the
usual mistakes to name the one that fits: a trailing newline added to or lost
from the body, a sha256= prefix, the whsec_ prefix dropped or kept, a body
re-serialised (pretty-printed or compacted JSON).

Exit status: 0 valid, 1 invalid, 2 bad flags or arguments.`,
		Example: `  hookscope verify --secret "$SECRET" --signature d13d1302… body.json
  hookscope show 0k3m --raw | hookscope verify --secret "$SECRET" --signature "$SIG"
  hookscope verify --secret new --secret old --signature "$SIG" body.json   # rotation`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return verifyRun(c, f, o, args) },
	}
	c.Flags().StringArrayVar(&o.secrets, "secret", nil, "signing secret; repeat to try several (env VIDEONEST_WEBHOOK_SECRET)")
	addSecretFileFlag(c.Flags(), &o.secrets)
	c.Flags().StringVar(&o.sig, "signature", "", "the X-VideoNest-Signature value (hex)")
	return c
}

func verifyRun(c *cobra.Command, f *Factory, o *verifyOptions, args []string) error {
	if !c.Flags().Changed("signature") {
		return usageErrorf("verify needs the signature to check: --signature <hex value of X-VideoNest-Signature>")
	}
	secrets, _, err := f.Secrets(o.secrets)
	if err != nil {
		return err
	}
	if len(secrets) == 0 {
		return usageErrorf("verify needs the signing secret: pass --secret or set VIDEONEST_WEBHOOK_SECRET")
	}
	var body []byte
	switch {
	case len(args) == 1 && args[0] != "-":
		if body, err = os.ReadFile(args[0]); err != nil {
			return fmt.Errorf("cannot read the body: %v", err)
		}
	case len(args) == 0 && f.IO.InTTY:
		return usageErrorf("give the body as a FILE, or pipe it in (e.g. hookscope show ID --raw | hookscope verify …)")
	default:
		if body, err = io.ReadAll(f.IO.In); err != nil {
			return fmt.Errorf("cannot read the body from stdin: %v", err)
		}
	}
	h := http.Header{}
	h.Set(signature.VideoNestHeader, o.sig)
	v := signature.VideoNest{}.Verify(h, body, secrets)
	fmt.Fprintf(f.IO.Out, "%s: %s\n", v.Status, v.Detail)
	if v.Status != signature.Valid {
		if hint := signature.Diagnose(body, o.sig, secrets); hint != "" {
			fmt.Fprintln(f.IO.Out, "likely cause: "+hint)
		}
		return exitError{exitFail}
	}
	if strings.ToLower(o.sig) != o.sig {
		fmt.Fprintln(f.IO.Out, "note: the hex is upper-case; hookscope accepts it, but a handler comparing strings (not bytes) would not")
	}
	return nil
}
