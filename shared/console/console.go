// Package console serves the operator's view of the executions that
// `divinepic serve` runs, as server-rendered pages in the manner of the AWS
// Step Functions console: the executions with filters and paging, one
// execution's graph (each state coloured by outcome), event history, input
// and output, its Map Runs with their item counts and a paginated item
// table linked to each child execution, and Stop and Redrive buttons.
//
// Every page reads the execution store (shared/execstore); the buttons call
// the Step Functions API server (shared/sfnapi) as StopExecution and
// RedriveExecution do. Access takes a token: opening any page with
// ?token=<token> sets a cookie (HttpOnly, SameSite=Strict) that the other
// requests carry; buttons are POST forms that must come from the console's
// own origin.
package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

// cookieName carries the access token.
const cookieName = "divinepic_console"

// Page sizes.
const (
	executionsPage = 50
	itemsPage      = 100
	eventsPage     = 500
)

//go:embed templates/*.html
var templateFS embed.FS

// Options configure a Console.
type Options struct {
	// Token is what a browser must present (required).
	Token string
	// ItemLabel names a Map item from its input JSON (the pipeline: the
	// photo's key); default: the input itself, shortened.
	ItemLabel func(input string) string
}

// Console is an http.Handler serving the pages under Prefix.
type Console struct {
	api   *sfnapi.Server
	store *execstore.Store
	opt   Options
	tmpl  *template.Template
}

// New returns the console of api's executions.
func New(api *sfnapi.Server, opt Options) (*Console, error) {
	if opt.Token == "" {
		return nil, errors.New("console: no access token")
	}
	if opt.ItemLabel == nil {
		opt.ItemLabel = func(in string) string { return shorten(in, 80) }
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"when":     when,
		"duration": duration,
		"short":    shorten,
		"pretty":   pretty,
		"lower":    strings.ToLower,
		"q":        url.QueryEscape,
		"step":     stepOf,
		"detail":   detailOf,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	return &Console{api: api, store: api.Store(), opt: opt, tmpl: t}, nil
}

// JSONField is an ItemLabel that shows one string field of the input, by
// its path of member names (e.g. "image", "key"). A batch (an ItemBatcher's
// {"Items": [...]}) shows its first and last items' and how many.
func JSONField(path ...string) func(string) string {
	field := func(v any) (string, bool) {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			v = m[p]
		}
		s, ok := v.(string)
		return s, ok
	}
	return func(in string) string {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			return shorten(in, 80)
		}
		if m, ok := v.(map[string]any); ok {
			if items, ok := m["Items"].([]any); ok && len(items) > 0 {
				first, ok1 := field(items[0])
				last, ok2 := field(items[len(items)-1])
				switch {
				case !ok1 || !ok2:
				case len(items) == 1:
					return first
				default:
					return fmt.Sprintf("%s … %s (%d items)", first, last, len(items))
				}
			}
		}
		if s, ok := field(v); ok {
			return s
		}
		return shorten(in, 80)
	}
}

// ServeHTTP serves one console request.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin") // "no-referrer" would make the buttons' Origin "null"
	if tok := r.URL.Query().Get("token"); tok != "" {
		if !c.tokenOK(tok) {
			http.Error(w, "wrong console token", http.StatusForbidden)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		q := r.URL.Query()
		q.Del("token")
		r.URL.RawQuery = q.Encode()
		http.Redirect(w, r, r.URL.String(), http.StatusSeeOther)
		return
	}
	if ck, err := r.Cookie(cookieName); err != nil || !c.tokenOK(ck.Value) {
		http.Error(w, "open the console with the URL `divinepic serve` printed (it carries the access token)", http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Prefix, "/"))
	if r.Method == http.MethodPost {
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		switch path {
		case "/stop", "/redrive":
			c.action(w, r, path[1:])
		default:
			http.NotFound(w, r)
		}
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var err error
	switch path {
	case "", "/":
		err = c.executions(w, r)
	case "/execution":
		err = c.execution(w, r)
	case "/maprun":
		err = c.mapRun(w, r)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		var nf notFound
		if errors.As(err, &nf) {
			http.Error(w, string(nf), http.StatusNotFound)
			return
		}
		http.Error(w, "the console could not read the execution store", http.StatusInternalServerError)
	}
}

type notFound string

func (n notFound) Error() string { return string(n) }

func (c *Console) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(c.opt.Token)) == 1
}

func (c *Console) render(w http.ResponseWriter, name string, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return c.tmpl.ExecuteTemplate(w, name, data)
}

// Statuses of the filters.
var execStatuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

type executionsPageData struct {
	Machine, MachineName string
	Machines             []string
	Status               string
	Statuses             []string
	Executions           []*execstore.Record
	Next                 int64
	Now                  time.Time
}

func (c *Console) executions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	machines := c.api.Machines()
	d := executionsPageData{Machines: machines, Statuses: execStatuses, Status: q.Get("status"), Now: time.Now()}
	d.Machine = q.Get("machine")
	if d.Machine == "" && len(machines) > 0 {
		d.Machine = machines[0]
	}
	if sm, _ := c.api.Machine(d.Machine); sm != nil {
		d.MachineName = sm.Name
	} else if d.Machine != "" {
		return notFound("no such state machine")
	}
	if d.Status != "" && !contains(execStatuses, d.Status) {
		d.Status = ""
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	recs, more, err := c.store.List(r.Context(), execstore.Query{Machine: d.Machine, Status: d.Status, After: after, Limit: executionsPage})
	if err != nil {
		return err
	}
	d.Executions = recs
	if more {
		d.Next = recs[len(recs)-1].Seq
	}
	return c.render(w, "executions.html", d)
}

type mapRunRow struct {
	*execstore.MapRun
	Counts execstore.Counts
}

type executionPageData struct {
	X          *execstore.Record
	Machine    string // its state machine's name
	Graph      []*node
	Events     []types.HistoryEvent
	MoreEvents int64
	MapRuns    []mapRunRow
	Label      string
	Redrivable bool
	Running    bool
	Now        time.Time
}

func (c *Console) execution(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	x, err := c.store.Execution(ctx, arn)
	if errors.Is(err, execstore.ErrNotFound) {
		return notFound("no such execution")
	}
	if err != nil {
		return err
	}
	if x.Status == string(states.StatusRunning) {
		c.store.Flush()
	}
	d := executionPageData{X: x, Now: time.Now(), Running: x.Status == string(states.StatusRunning)}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	events, more, err := c.store.History(ctx, arn, after, eventsPage, false)
	if err != nil {
		return err
	}
	d.Events = events
	if more {
		d.MoreEvents = events[len(events)-1].Id
	}
	if x.MapRun != "" {
		d.Label = c.opt.ItemLabel(x.Input)
		d.Graph, d.Machine = c.childGraph(x)
		if len(events) > 0 && after == 0 {
			all, err := c.fullHistory(ctx, arn, events, more)
			if err != nil {
				return err
			}
			colour(d.Graph, execstore.Outcomes(all, states.Status(x.Status)))
		}
		return c.render(w, "execution.html", d)
	}
	sm, def := c.api.Machine(x.Machine)
	if sm != nil {
		d.Machine = sm.Name
		if g, err := parseGraph(def); err == nil {
			d.Graph = g
		}
	}
	all, err := c.fullHistory(ctx, arn, events, more || after > 0)
	if err != nil {
		return err
	}
	colour(d.Graph, execstore.Outcomes(all, states.Status(x.Status)))
	runs, err := c.store.MapRuns(ctx, arn)
	if err != nil {
		return err
	}
	for _, run := range runs {
		counts, err := c.store.ItemCounts(ctx, run)
		if err != nil {
			return err
		}
		d.MapRuns = append(d.MapRuns, mapRunRow{run, counts})
		so, err := c.store.StateOutcomes(ctx, run.ARN)
		if err != nil {
			return err
		}
		colourCounts(findInner(d.Graph, run.State), so)
	}
	d.Redrivable = sm != nil && !d.Running && x.Status != string(states.StatusSucceeded)
	return c.render(w, "execution.html", d)
}

// fullHistory is the whole history when the page shows only part of it.
func (c *Console) fullHistory(ctx context.Context, arn string, page []types.HistoryEvent, partial bool) ([]types.HistoryEvent, error) {
	if !partial {
		return page, nil
	}
	var all []types.HistoryEvent
	var after int64
	for {
		p, more, err := c.store.History(ctx, arn, after, 1000, false)
		if err != nil {
			return nil, err
		}
		all = append(all, p...)
		if !more {
			return all, nil
		}
		after = p[len(p)-1].Id
	}
}

// childGraph is the item processor of a child execution's Map state, and
// the name of the children's state machine (<parent>/<label>).
func (c *Console) childGraph(x *execstore.Record) ([]*node, string) {
	m, err := arn.ParseStateMachine(x.Machine)
	if err != nil {
		return nil, ""
	}
	parent, label, ok := strings.Cut(m.Name, "/")
	if !ok {
		return nil, m.Name
	}
	if i := strings.LastIndexByte(label, '/'); i >= 0 { // a Map inside a Map's children
		label = label[i+1:]
	}
	m.Name = parent
	_, def := c.api.Machine(m.String())
	g, err := parseGraph(def)
	if err != nil {
		return nil, m.Name
	}
	return findInner(g, label), parent + "/" + label
}

type mapRunPageData struct {
	Run      *execstore.MapRun
	Parent   *execstore.Record
	Counts   execstore.Counts
	Status   string
	Statuses []string
	Items    []itemRow
	Next     int64
	Prev     bool
	From     int64
	Now      time.Time
}

type itemRow struct {
	*execstore.Record
	Label string
}

func (c *Console) mapRun(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	c.store.Flush()
	run, err := c.store.MapRun(ctx, q.Get("arn"))
	if errors.Is(err, execstore.ErrNotFound) {
		return notFound("no such Map Run")
	}
	if err != nil {
		return err
	}
	d := mapRunPageData{Run: run, Statuses: execStatuses, Status: q.Get("status"), Now: time.Now()}
	if d.Status != "" && !contains(execStatuses, d.Status) {
		d.Status = ""
	}
	if d.Parent, err = c.store.Execution(ctx, run.Execution); err != nil {
		return err
	}
	if d.Counts, err = c.store.ItemCounts(ctx, run); err != nil {
		return err
	}
	d.From, _ = strconv.ParseInt(q.Get("from"), 10, 64)
	d.Prev = d.From > 0
	recs, more, err := c.store.List(ctx, execstore.Query{MapRun: run.ARN, Status: d.Status, After: d.From, Limit: itemsPage})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		d.Items = append(d.Items, itemRow{rec, c.opt.ItemLabel(rec.Input)})
	}
	if more {
		d.Next = int64(recs[len(recs)-1].Item) + 1
	}
	return c.render(w, "maprun.html", d)
}

func (c *Console) action(w http.ResponseWriter, r *http.Request, what string) {
	arn := r.FormValue("arn")
	var err error
	if what == "stop" {
		err = c.api.Stop(r.Context(), arn, "Console", "stopped from the console")
	} else {
		err = c.api.Redrive(r.Context(), arn)
	}
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, "%s failed: %s\n", what, strings.TrimPrefix(err.Error(), "sfnapi: "))
		return
	}
	http.Redirect(w, r, Prefix+"execution?arn="+url.QueryEscape(arn), http.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func when(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("Jan 2, 2006, 15:04:05.000 UTC")
}

func duration(start, stop, now time.Time) string {
	if start.IsZero() {
		return "–"
	}
	if stop.IsZero() {
		stop = now
	}
	d := stop.Sub(start)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Truncate(time.Second).String()
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// pretty indents JSON (anything else as it is).
func pretty(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return s
	}
	return string(b)
}

// stepOf is the state an event is about, when it says.
func stepOf(ev types.HistoryEvent) string {
	switch {
	case ev.StateEnteredEventDetails != nil:
		return *ev.StateEnteredEventDetails.Name
	case ev.StateExitedEventDetails != nil:
		return *ev.StateExitedEventDetails.Name
	}
	return ""
}

// detailOf is an event's details as indented JSON.
func detailOf(ev types.HistoryEvent) string {
	ev.Id, ev.PreviousEventId, ev.Timestamp, ev.Type = 0, 0, nil, ""
	b, err := json.Marshal(ev)
	if err != nil {
		return ""
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for k, v := range m {
		if v == nil || k == "Id" || k == "PreviousEventId" || k == "Timestamp" || k == "Type" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return ""
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	return string(out)
}
