package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
)

func init() {
	register(command{name: "validate", summary: "validate a States Language definition (default ./statemachine.asl.json)", run: validateCmd})
}

// subFlags collects repeated --sub Name=Value flags.
type subFlags map[string]string

func (s subFlags) String() string { return "" }

func (s subFlags) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want Name=Value, got %q", v)
	}
	s[name] = val
	return nil
}

func validateCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subs := subFlags{}
	fs.Var(subs, "sub", "a DefinitionSubstitutions value, Name=Value (repeatable); the pipeline's placeholders have local defaults")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic validate [--sub Name=Value ...] [FILE]")
		fmt.Fprintln(stderr, "Parses and validates a States Language definition and checks that every Task")
		fmt.Fprintln(stderr, "names a Lambda function the local engine has a handler for (the pipeline's")
		fmt.Fprintln(stderr, "steps, and the built-in test functions of 'divinepic states run').")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	file := "statemachine.asl.json"
	switch len(files) {
	case 0:
	case 1:
		file = files[0]
	default:
		fs.Usage()
		return 2
	}
	def, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic validate: %v\n", err)
		return 2
	}
	e := states.New(states.WithAccount(embedded.Region, embedded.Account))
	registerBuiltins(e)
	for name, h := range (&steps.Steps{}).Handlers() {
		e.Register(names.FunctionName(name), h)
	}
	sm, err := loadDefinition(e, file, def, subs)
	if err != nil {
		var ve *states.ValidationError
		if errors.As(err, &ve) {
			fmt.Fprintf(stderr, "%s: %d problems:\n", file, len(ve.Problems))
			for _, p := range ve.Problems {
				fmt.Fprintf(stderr, "  %s\n", p)
			}
			return 1
		}
		fmt.Fprintf(stderr, "divinepic validate: %s: %v\n", file, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: valid (%s)\n", file, sm.Name)
	return 0
}

// loadDefinition substitutes ${...} placeholders (the pipeline's local
// values, overridden by subs) and parses the definition on e.
func loadDefinition(e *states.Engine, file string, def []byte, subs map[string]string) (*states.StateMachine, error) {
	vars := embedded.Substitutions(4, 5)
	for k, v := range subs {
		vars[k] = v
	}
	def, err := names.Substitute(def, vars)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(strings.TrimSuffix(baseName(file), ".json"), ".asl")
	return e.Parse(name, def)
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
