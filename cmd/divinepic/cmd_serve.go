package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/console"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/steplog"
)

func init() {
	register(command{name: "serve", summary: "serve the Step Functions API on this machine (the workflow in the local engine)", run: serveAPI})
}

// imports collects repeated --import ID=DIR flags.
type imports [][2]string

func (i *imports) String() string { return fmt.Sprint(*i) }

func (i *imports) Set(v string) error {
	id, dir, ok := strings.Cut(v, "=")
	if !ok || id == "" || dir == "" {
		return fmt.Errorf("want ALBUM=DIR, got %q", v)
	}
	if err := names.ValidateAlbumID(id); err != nil {
		return err
	}
	*i = append(*i, [2]string{id, dir})
	return nil
}

// checkListenAddr refuses an address other machines can reach (a host name
// other than localhost, an unspecified address meaning every interface, a
// non-loopback IP) unless remote is set, and then returns the warning to
// print.
func checkListenAddr(addr string, remote bool) (warning string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8083", addr)
	}
	if sfnclient.IsLoopback(host) {
		return "", nil
	}
	if !remote {
		return "", fmt.Errorf("--addr %s is reachable from other machines: add --allow-remote to mean it", addr)
	}
	return fmt.Sprintf("WARNING: listening on %s, reachable from other machines: anyone with the key of DATA/aws/credentials can run albums, and requests and responses travel unencrypted (plain HTTP)", addr), nil
}

func serveAPI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic serve [--addr HOST:PORT [--allow-remote]] [--data DIR] [--pack P] [--concurrency N] [--import ALBUM=DIR]...")
		fmt.Fprintln(stderr, "Serves the AWS Step Functions API for statemachine.asl.json running in the local engine, so that")
		fmt.Fprintln(stderr, "`divinepic start --endpoint`, the AWS CLI (--endpoint-url) and the SDKs can start and watch album executions.")
		fmt.Fprintln(stderr, "Every request must be signed (AWS Signature Version 4) with the key kept in DATA/aws/credentials, made on")
		fmt.Fprintln(stderr, "the first start; DATA/aws/config is the AWS CLI profile \"divinepic\" that uses it.")
		fmt.Fprintln(stderr, "Stop it with Ctrl-C: running executions end ABORTED.")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8083", "address to listen on (a loopback address unless --allow-remote)")
	remote := fs.Bool("allow-remote", false, "allow --addr to be reachable from other machines (requests are still signed, but travel unencrypted)")
	data := fs.String("data", config.DefaultDataDir(), "data directory: every file the pipeline writes goes below it")
	pack := fs.String("pack", "", "model pack (default: "+defaultPackName()+")")
	tolerated := fs.Int("tolerated-failures", 0, fmt.Sprintf("percent of an album's photos that may fail before the album fails (0: %d)", embedded.DefaultToleratedFailurePercentage))
	conc := fs.Int("concurrency", 0, "photos processed at once per execution (0: one per CPU)")
	retention := fs.Duration("retention", execstore.DefaultRetention, "finished executions older than this are deleted")
	maxRunning := fs.Int("max-running", sfnapi.DefaultMaxRunning, "executions that run at once (the others wait)")
	var imps imports
	fs.Var(&imps, "import", "before serving, make album ALBUM the photos of DIR (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "divinepic serve: %v\n", err)
		return 1
	}
	warning, err := checkListenAddr(*addr, *remote)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic serve: %v\n", err)
		return 2
	}
	if warning != "" {
		fmt.Fprintf(stderr, "divinepic serve: %s\n", warning)
	}
	credDir := filepath.Join(*data, "aws")
	creds, created, err := sfnapi.LoadOrCreateCredentials(credDir)
	if err != nil {
		return fail(err)
	}
	if created {
		fmt.Fprintf(stderr, "divinepic serve: new API key in %s (mode 0600)\n", filepath.Join(credDir, sfnapi.CredentialsFile))
	}

	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	opt := embedded.Options{DataDir: *data, Pack: *pack, MaxConcurrency: *conc, ToleratedFailurePercentage: *tolerated,
		Wrap: func(step string, h lambda.Handler) lambda.Handler { return steplog.Wrap(step, h, logger) }}
	p, err := embedded.Open(ctx, opt)
	if err != nil {
		return fail(err)
	}
	defer p.Close()
	for _, imp := range imps {
		res, err := p.IndexInPlace(ctx, imp[0], imp[1])
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stderr, describeImport(imp[0], imp[1], res))
		for _, f := range res.LeftOut {
			fmt.Fprintf(stderr, "album %s: left out %s: %s\n", imp[0], f.Name, f.Reason)
		}
	}
	def, err := embedded.Definition(opt)
	if err != nil {
		return fail(err)
	}
	srv := sfnapi.New(sfnapi.WithSigV4(creds, embedded.Region), sfnapi.WithStore(p.Store), sfnapi.WithLogger(logger), sfnapi.WithRetention(*retention), sfnapi.WithMaxRunning(*maxRunning))
	if err := srv.AddStateMachine(p.Machine, sfnapi.MachineOptions{Definition: def}); err != nil {
		return fail(err)
	}
	token := console.NewToken()
	cons, err := console.New(srv, console.Options{Token: token, ItemLabel: console.JSONField("image", "key")})
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(err)
	}
	handler, err := frontDoor(p, srv, creds, *data)
	if err != nil {
		return fail(err)
	}
	hs := &http.Server{Handler: console.Handler(handler, cons, logger), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	if err := sfnapi.WriteProfile(credDir, embedded.Region, url); err != nil {
		hs.Close()
		return fail(err)
	}
	arn := p.Machine.ARN
	fmt.Fprintf(stdout, "DivinePic on %s (photographers: sign in with a token from `divinepic token create`)\n", url)
	fmt.Fprintf(stdout, "Step Functions API on %s\n", url)
	fmt.Fprintf(stdout, "console: %s%s?token=%s\n", url, console.Prefix, token)
	fmt.Fprintf(stdout, "state machine %s\n", arn)
	fmt.Fprintf(stdout, "data in %s (album photos go under %s, or use --import ALBUM=DIR)\n\n",
		*data, filepath.Join(config.BlobsDir(*data), config.DefaultBucket, names.AlbumPrefix("ALBUM")))
	fmt.Fprintf(stdout, "  divinepic start --endpoint %s --data %s --album ALBUM --wait\n", url, *data)
	fmt.Fprintf(stdout, "  export AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=%s\n",
		filepath.Join(credDir, sfnapi.ConfigFile), filepath.Join(credDir, sfnapi.CredentialsFile), sfnapi.Profile)
	fmt.Fprintf(stdout, "  aws stepfunctions --endpoint-url %s start-execution --state-machine-arn %s --input '{\"albumId\":\"ALBUM\"}'\n", url, arn)
	fmt.Fprintf(stdout, "  Go (that profile): sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(%q) })\n", url)

	select {
	case <-ctx.Done():
	case err := <-served:
		return fail(err)
	}
	fmt.Fprintln(stderr, "divinepic serve: stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := 0
	if err := srv.Shutdown(sctx, "divinepic serve stopped"); err != nil {
		fmt.Fprintf(stderr, "divinepic serve: %v\n", err)
		code = 1
	}
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "divinepic serve: %v\n", err)
		code = 1
	}
	return code
}
