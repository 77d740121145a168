package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// errUsage marks a command-line mistake; the message has been printed.
var errUsage = errors.New("usage")

// flags is a flag.FlagSet whose flags may also be set by environment
// variables. A flag on the command line wins over its variable.
type flags struct {
	*flag.FlagSet
	env map[string]string // flag name → variable
}

func newFlags(name, synopsis string, w io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	f := &flags{FlagSet: fs, env: make(map[string]string)}
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: sandpit %s\n\nFlags (each may also be set by the environment variable shown):\n", synopsis)
		fs.PrintDefaults()
	}
	return f
}

// envVar declares that the flag name may be set by the variable env.
func (f *flags) envVar(name, env string) {
	fl := f.Lookup(name)
	if fl == nil {
		panic("no flag " + name)
	}
	f.env[name] = env
	fl.Usage += " [$" + env + "]"
}

// parse parses args after applying the environment. A bad value, from
// either, is reported with the flag's usage.
func (f *flags) parse(args []string) error {
	for name, env := range f.env {
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Set(name, v); err != nil {
				fmt.Fprintf(f.Output(), "invalid value %q for $%s: %v\n", v, env, err)
				return errUsage
			}
		}
	}
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// isSet reports whether the flag name was given, on the command line or by
// its variable.
func (f *flags) isSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// parseNoArgs parses args, which must hold flags only.
func (f *flags) parseNoArgs(args []string) error {
	if err := f.parse(args); err != nil {
		return err
	}
	return f.noArgs()
}

// noArgs fails when positional arguments are left over.
func (f *flags) noArgs() error {
	if f.NArg() > 0 {
		fmt.Fprintf(f.Output(), "unexpected arguments: %s\n", strings.Join(f.Args(), " "))
		f.Usage()
		return errUsage
	}
	return nil
}
