package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/apartado/apartado/app"
)

const signInUsage = `usage:
  apartado signin-provider set --issuer ISSUER --client-id ID [--secret-file FILE | --public]
                               [--name NAME --auth-url URL --token-url URL --device-url URL --scopes S --hosts H]
  apartado signin-provider list
  apartado signin-provider remove --issuer ISSUER
ISSUER: microsoft, microsoft-work, google, yahoo, aol, or custom (with its name, endpoints, scopes and mail servers)`

// signInProviderCmd registers Apartado with a sign-in provider (OAuth), as
// Admin → Sign-in providers does, for a set-up by script:
//
//	apartado signin-provider set --issuer microsoft --client-id ID --secret-file FILE
func signInProviderCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(signInUsage)
	}
	sub := args[0]
	var in app.ClientInput
	var secretFile string
	var public bool
	cfg, fs, err := parseConfig("signin-provider "+sub, args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Issuer, "issuer", "", "the provider: microsoft, microsoft-work, google, yahoo, aol or custom")
		fs.StringVar(&in.ClientID, "client-id", "", "the application (client) ID the provider gave")
		fs.StringVar(&secretFile, "secret-file", "", "read the client secret from this file (none: keep the saved one)")
		fs.BoolVar(&public, "public", false, "a public client: remove the saved secret")
		fs.StringVar(&in.Name, "name", "", "custom: the provider's name on the sign-in button")
		fs.StringVar(&in.AuthURL, "auth-url", "", "custom: the authorization endpoint")
		fs.StringVar(&in.TokenURL, "token-url", "", "custom: the token endpoint")
		fs.StringVar(&in.DeviceAuthURL, "device-url", "", "custom: the device authorization endpoint, if any")
		fs.StringVar(&in.Scopes, "scopes", "", "custom: the scopes POP3 and SMTP need, separated by spaces")
		fs.StringVar(&in.Hosts, "hosts", "", "custom: the mail servers it signs in to, separated by spaces")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 || (sub != "list" && in.Issuer == "") || (secretFile != "" && public) {
		return errors.New(signInUsage)
	}
	d, err := cfg.open(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer d.store.Close()
	s := app.NewSignIns(d.store, d.key)
	switch sub {
	case "set":
		if secretFile != "" {
			if in.Secret, err = readSecret(secretFile, nil); err != nil {
				return fmt.Errorf("client secret: %w", err)
			}
		}
		in.KeepSecret = !public
		var inv *app.Invalid
		if err := s.SaveClient(ctx, in); errors.As(err, &inv) {
			return cliProblems(getenv, inv)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered with %s\n", in.Issuer)
	case "remove":
		if err := s.DeleteClient(ctx, in.Issuer); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registration with %s removed\n", in.Issuer)
	case "list":
		return listSignInProviders(ctx, s, stdout)
	default:
		return errors.New(signInUsage)
	}
	return nil
}

// listSignInProviders prints a line for each provider: registered or not,
// with its client ID and whether a secret is kept (never the secret).
func listSignInProviders(ctx context.Context, s *app.SignIns, stdout io.Writer) error {
	regs, err := s.Registrations(ctx)
	if err != nil {
		return err
	}
	for _, r := range regs {
		if !r.Registered {
			fmt.Fprintf(stdout, "%s\tnot registered\n", r.Issuer.ID)
			continue
		}
		secret := "public client"
		if r.HasSecret {
			secret = "secret saved"
		}
		var flows []string
		if r.Issuer.Code() {
			flows = append(flows, "redirect")
		}
		if r.Issuer.Device() {
			flows = append(flows, "device code")
		}
		fmt.Fprintf(stdout, "%s\t%s\tclient %s\t%s\t%s\n", r.Issuer.ID, r.Issuer.Name, r.ClientID, secret, strings.Join(flows, ", "))
	}
	return nil
}
