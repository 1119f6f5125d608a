package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

func init() {
	register(command{name: "repair", summary: "check the local vector store against the face records; rebuild what is damaged or lost", run: repairStore})
}

// repairStore checks every model pack's vector index of the data directory
// against the face records of every album (vectors.Local.Check): a damaged
// log is set aside and rebuilt, a missing one rebuilt, missing vectors put
// back. The same happens by itself when a command first uses an index; this
// does it for every index at once, and says what it found.
func repairStore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("repair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic repair [--data DIR]")
		fmt.Fprintln(stderr, "Checks the vector index of every model pack against the face records of every album: a damaged index")
		fmt.Fprintln(stderr, "file is kept as <index>.vlog.damaged-<time> and the index rebuilt; a lost one is rebuilt; missing faces are put back.")
		fs.PrintDefaults()
	}
	data := fs.String("data", config.DefaultDataDir(), "data directory of `divinepic run`")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return 2
	}
	var repairs []vectors.Repair
	p, err := embedded.Open(ctx, embedded.Options{DataDir: *data, OnRepair: func(r vectors.Repair) { repairs = append(repairs, r) }})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic repair: %v\n", err)
		return 1
	}
	defer p.Close()
	local, ok := p.Deps.Vectors.(*vectors.Local)
	if !ok {
		fmt.Fprintln(stderr, "divinepic repair: the vector store is not the local one; nothing to repair here")
		return 1
	}
	code := 0
	packs := p.Deps.Steps.Packs
	for _, name := range packs.PackNames() {
		pack, err := packs.Pack(name)
		if err != nil {
			continue
		}
		index, err := names.IndexForPack(pack.Version)
		if err != nil {
			continue
		}
		repairs = repairs[:0]
		n, err := local.Check(ctx, index)
		switch {
		case errors.Is(err, vectors.ErrIndexNotFound):
			continue // no album has faces of this pack
		case err != nil:
			fmt.Fprintf(stdout, "%s: cannot be repaired: %v\n", index, err)
			code = 1
			continue
		}
		if len(repairs) == 0 {
			fmt.Fprintf(stdout, "%s: %d faces, as the face records say\n", index, n)
		}
		for _, r := range repairs {
			fmt.Fprintf(stdout, "%s: %d faces now. Repaired: %s\n", index, n, r)
			if r.Err != nil {
				code = 1
			}
		}
	}
	return code
}
