package tunnel

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		mode, token string
		want        Mode
		wantErr     error
	}{
		{"auto", "tok", ModeNgrok, nil},
		{"auto", "", ModeNone, nil},
		{"", "tok", ModeNgrok, nil},
		{"", "  ", ModeNone, nil},
		{" AUTO ", "", ModeNone, nil},
		{"ngrok", "tok", ModeNgrok, nil},
		{"Ngrok", "tok", ModeNgrok, nil},
		{"ngrok", "", "", ErrNoAuthtoken},
		{"none", "tok", ModeNone, nil},
		{"none", "", ModeNone, nil},
		{"cloudflare", "tok", "", ErrConfig},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.mode, tt.token)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q, %v", tt.mode, tt.token, got, err, tt.want, tt.wantErr)
		}
	}

	_, err := Resolve("ngrok", "")
	const want = "ngrok needs an authtoken: set NGROK_AUTHTOKEN, run `hookscope config set ngrok-authtoken TOKEN`, or use --tunnel none"
	if err == nil || err.Error() != want {
		t.Errorf("Resolve(ngrok, \"\") error = %v; want %q", err, want)
	}
	_, err = Resolve("cloudflare", "")
	if err == nil || !strings.Contains(err.Error(), `"cloudflare"`) || !strings.Contains(err.Error(), "auto, ngrok or none") {
		t.Errorf("Resolve(cloudflare) error = %v; want it to name the mode and the choices", err)
	}
}

func TestToken(t *testing.T) {
	const yml = "/home/u/.config/ngrok/ngrok.yml"
	tests := []struct {
		flag, env, config, file string
		token                   string
		source                  TokenSource
	}{
		{"f", "e", "c", "n", "f", FromFlag},
		{"", "e", "c", "n", "e", FromEnv},
		{"", "", "c", "n", "c", FromConfig},
		{"", "", "", "n", "n", yml},
		{"", "", "", "", "", ""},
		{" f ", "e", "", "", "f", FromFlag},
		{"  ", "e", "c", "", "e", FromEnv},
		{"", "\t", "c", "", "c", FromConfig},
		{"f", "", "c", "", "f", FromFlag},
		{"", "", " \n", " ", "", ""},
	}
	for _, tt := range tests {
		token, source := Token(tt.flag, tt.env, tt.config, tt.file, yml)
		if token != tt.token || source != tt.source {
			t.Errorf("Token(%q, %q, %q, %q) = %q, %q; want %q, %q", tt.flag, tt.env, tt.config, tt.file, token, source, tt.token, tt.source)
		}
	}
}
