package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

func init() {
	register(command{name: "people", summary: "list an album's people (face counts, a representative photo); merge or split them", run: peopleCmd})
}

func peopleCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("people", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic people --album ID [--merge P1,P2 | --split FACE | --regroup] [--min-faces N] [--pack P] [--data DIR] [--json]")
		fmt.Fprintln(stderr, "Lists the people `divinepic run` grouped the album's faces into, most photos first.")
		fmt.Fprintln(stderr, "--merge and --split are kept with the album and hold on every later run.")
		fs.PrintDefaults()
	}
	album := fs.String("album", "", "album id (required)")
	pack := fs.String("pack", "", "model pack the album was processed with (default: "+defaultPackName()+")")
	data := fs.String("data", config.DefaultDataDir(), "data directory of `divinepic run`")
	asJSON := fs.Bool("json", false, "print the people record as JSON")
	merge := fs.String("merge", "", "merge two people: their ids, comma-separated")
	split := fs.String("split", "", "take a face (IMAGEID/N, as --json lists them) out of its person")
	regroup := fs.Bool("regroup", false, "group the album's faces from scratch (ids kept where people stay)")
	minFaces := fs.Int("min-faces", 2, "list people with at least this many faces")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 || *album == "" || (*merge != "" && *split != "") {
		fs.Usage()
		return 2
	}
	p, err := embedded.Open(ctx, embedded.Options{DataDir: *data, Pack: *pack, MaxConcurrency: 1})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic people: %v\n", err)
		return 1
	}
	defer p.Close()
	switch {
	case *merge != "":
		a, b, ok := strings.Cut(*merge, ",")
		if !ok {
			fmt.Fprintln(stderr, "divinepic people: --merge takes two person ids, comma-separated")
			return 2
		}
		_, err = p.Steps.CorrectPeople(ctx, steps.PeopleCorrection{AlbumID: *album, Pack: *pack, Merge: [2]string{strings.TrimSpace(a), strings.TrimSpace(b)}})
	case *split != "":
		_, err = p.Steps.CorrectPeople(ctx, steps.PeopleCorrection{AlbumID: *album, Pack: *pack, Split: *split})
	case *regroup:
		_, err = p.Steps.People(ctx, steps.PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: *album, Pack: *pack, Regroup: true}})
	}
	if err != nil {
		fmt.Fprintf(stderr, "divinepic people: %v\n", err)
		return 1
	}
	rec, idx, err := readPeople(ctx, p, *album, *pack)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic people: %v\n", err)
		return 1
	}
	if *asJSON {
		printJSON(stdout, rec)
		return 0
	}
	prefix := names.AlbumPrefix(*album)
	shown, alone := 0, 0
	for _, person := range rec.People {
		if len(person.Faces) < *minFaces {
			alone++
			continue
		}
		shown++
		photo := idx.Images[names.ImageOfFaceID(person.Faces[0])].Key
		fmt.Fprintf(stdout, "%s  %3d faces  %s\n", person.ID, len(person.Faces), names.Printable(strings.TrimPrefix(photo, prefix)))
	}
	fmt.Fprintf(stdout, "%d people of %d faces or more; %d faces of nobody else\n", shown, *minFaces, alone)
	return 0
}

// readPeople reads the album's people record and index.
func readPeople(ctx context.Context, p *embedded.Pipeline, album, packName string) (*domain.PeopleRecord, *domain.AlbumIndex, error) {
	if err := names.ValidateAlbumID(album); err != nil {
		return nil, nil, err
	}
	if packName == "" {
		packName = p.Steps.DefaultPack
	}
	pack, err := p.Steps.Packs.Pack(packName)
	if err != nil {
		return nil, nil, err
	}
	var rec domain.PeopleRecord
	var idx domain.AlbumIndex
	for key, v := range map[string]any{names.PeopleKey(album, pack.Version): &rec, names.IndexKey(album, pack.Version): &idx} {
		body, _, err := p.Bucket.Get(ctx, key)
		if err != nil {
			var missing *domain.ObjectMissing
			if errors.As(err, &missing) {
				return nil, nil, fmt.Errorf("album %s has no people with model pack %s: run it first (`divinepic run`)", album, pack.Name)
			}
			return nil, nil, err
		}
		if err := json.Unmarshal(body, v); err != nil {
			return nil, nil, fmt.Errorf("album %s: %s is not what it should be: %v", album, strings.TrimPrefix(key, names.StatePrefix), err)
		}
	}
	return &rec, &idx, nil
}
