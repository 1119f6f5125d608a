// Package execstore keeps Step Functions executions in an SQLite database
// (modernc.org/sqlite, pure Go) in the data directory: the executions
// started through the API, their history events, their Distributed Map
// runs and the child executions of those runs, so that they outlive the
// process that ran them. It is the states engine's Recorder (writes are
// batched by one writer goroutine) and what the Step Functions API and the
// console read.
//
// An execution that was running when its process died is marked FAILED with
// ErrInterrupted by Open, and can be redriven: the store keeps what each
// child of a Map Run did, so a redrive reruns only the children that did
// not succeed. Finished executions older than the retention are pruned.
package execstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// FileName is the store's file in the data directory.
const FileName = "executions.db"

// ErrInterrupted is the error of an execution whose process ended while it
// ran (a crash, a kill): Open marks such executions FAILED with it.
const ErrInterrupted = "DivinePic.Interrupted"

// DefaultRetention is how long finished executions are kept (AWS keeps a
// Standard execution's history for 90 days after it closes).
const DefaultRetention = 90 * 24 * time.Hour

// ErrNotFound: no execution or Map Run with that ARN.
var ErrNotFound = errors.New("execstore: not found")

// Record is one execution (a child of a Map Run when MapRun is set).
type Record struct {
	Seq          int64
	ARN          string
	Machine      string // the state machine's ARN
	Name         string
	Status       string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Start, Stop  time.Time
	Input        string
	Output       string
	Error, Cause string
	TraceHeader  string
	RedriveCount int
	RedriveDate  time.Time
	MapRun       string // for a child: its Map Run's ARN
	Item         int    // for a child: its item index
	// Outcomes of a finished child: each state it entered and how that
	// ended (see Outcomes).
	Outcomes map[string]Outcome
}

// MapRun is one Distributed Map run.
type MapRun struct {
	ARN                        string
	Execution                  string // the parent execution's ARN
	State                      string // the Map state's name
	Status                     string // RUNNING, SUCCEEDED, FAILED, ABORTED
	Start, Stop                time.Time
	Total                      int // child executions
	TotalItems                 int // the Map's items (a batch is several); 0 = Total
	MaxConcurrency             int
	ToleratedFailurePercentage float64
	ToleratedFailureCount      int64
	RedriveCount               int
	RedriveDate                time.Time
}

// Counts are a Map Run's children by status (Pending: never started).
type Counts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total int
}

// Store is an open execution store. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
	w    *writer

	mu    sync.Mutex
	bases map[string]int64 // event id offsets of redriven executions
}

// Option configures a Store.
type Option func(*Store)

// WithNow sets the clock used for interruption and pruning times.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

var memSeq atomic.Int64

// Open opens (creating it if needed) the store at path, or an in-memory
// store when path is "". Executions that were left RUNNING by a process
// that ended are marked FAILED (ErrInterrupted).
func Open(path string, opts ...Option) (*Store, error) {
	s := &Store{path: path, now: time.Now, bases: map[string]int64{}}
	for _, o := range opts {
		o(s)
	}
	dsn := fmt.Sprintf("file:mem%d?mode=memory&cache=shared&_pragma=busy_timeout(5000)", memSeq.Add(1))
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("execution store: %w", err)
		}
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_pragma=cache_size(-4096)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("execution store %s: %w", filepath.Base(path), err)
	}
	// One connection for the writer's transactions, a few for readers.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4) // an in-memory database lives as long as a connection
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("execution store %s: %w", filepath.Base(path), err)
	}
	if err := addColumns(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("execution store %s: %w", filepath.Base(path), err)
	}
	s.db = db
	if _, err := s.markInterrupted(); err != nil {
		db.Close()
		return nil, err
	}
	s.w = newWriter(db)
	return s, nil
}

const schema = `
CREATE TABLE IF NOT EXISTS executions (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	arn TEXT NOT NULL UNIQUE,
	machine TEXT NOT NULL,
	name TEXT NOT NULL,
	status TEXT NOT NULL,
	start_ns INTEGER NOT NULL,
	stop_ns INTEGER NOT NULL DEFAULT 0,
	input TEXT NOT NULL DEFAULT '',
	output TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	cause TEXT NOT NULL DEFAULT '',
	trace TEXT NOT NULL DEFAULT '',
	redrive_count INTEGER NOT NULL DEFAULT 0,
	redrive_ns INTEGER NOT NULL DEFAULT 0,
	map_run TEXT NOT NULL DEFAULT '',
	item INTEGER NOT NULL DEFAULT -1,
	outcomes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS executions_list ON executions(machine, map_run, status, seq);
CREATE INDEX IF NOT EXISTS executions_items ON executions(map_run, item);
CREATE INDEX IF NOT EXISTS executions_item_status ON executions(map_run, status, item);
CREATE INDEX IF NOT EXISTS executions_status ON executions(status);
CREATE INDEX IF NOT EXISTS executions_outcomes ON executions(map_run, outcomes, status);
CREATE TABLE IF NOT EXISTS events (
	arn TEXT NOT NULL,
	id INTEGER NOT NULL,
	body BLOB NOT NULL,
	PRIMARY KEY (arn, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS map_runs (
	arn TEXT PRIMARY KEY,
	execution TEXT NOT NULL,
	state TEXT NOT NULL,
	status TEXT NOT NULL,
	start_ns INTEGER NOT NULL,
	stop_ns INTEGER NOT NULL DEFAULT 0,
	total INTEGER NOT NULL,
	max_concurrency INTEGER NOT NULL DEFAULT 0,
	tol_pct REAL NOT NULL DEFAULT 0,
	tol_count INTEGER NOT NULL DEFAULT 0,
	redrive_count INTEGER NOT NULL DEFAULT 0,
	redrive_ns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS map_runs_execution ON map_runs(execution);
`

// addedColumns are columns added since the first schema: a store written
// by an older version gets them (with their defaults) when it is opened.
var addedColumns = []struct{ table, column, decl string }{
	{"executions", "items", "INTEGER NOT NULL DEFAULT 1"},     // the Map items a child processes (its batch)
	{"map_runs", "total_items", "INTEGER NOT NULL DEFAULT 0"}, // the Map's items (0: one per child)
}

func addColumns(db *sql.DB) error {
	for _, c := range addedColumns {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			// Another process opening the same old store may add it
			// first: then it is there, as wanted.
			if _, err := db.Exec(`ALTER TABLE ` + c.table + ` ADD COLUMN ` + c.column + ` ` + c.decl); err != nil && !strings.Contains(err.Error(), "duplicate column name") {
				return err
			}
		}
	}
	return nil
}

// Close writes what is queued and closes the database.
func (s *Store) Close() error {
	s.w.close()
	return s.db.Close()
}

// Flush waits until everything recorded so far is written.
func (s *Store) Flush() error { return s.w.flush() }

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// markInterrupted fails what a dead process left running.
func (s *Store) markInterrupted() (int, error) {
	now := s.now()
	cause := "the divinepic process running this execution ended before it finished (killed or crashed); redrive it to go on"
	rows, err := s.db.Query(`SELECT arn, map_run FROM executions WHERE status = 'RUNNING'`)
	if err != nil {
		return 0, fmt.Errorf("execution store: %w", err)
	}
	var tops []string
	for rows.Next() {
		var arn, run string
		if err := rows.Scan(&arn, &run); err != nil {
			rows.Close()
			return 0, err
		}
		if run == "" {
			tops = append(tops, arn)
		}
	}
	rows.Close()
	tx, err := s.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, arn := range tops {
		var last int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM events WHERE arn = ?`, arn).Scan(&last); err != nil {
			return 0, err
		}
		ts := now
		ev := types.HistoryEvent{Id: last + 1, PreviousEventId: last, Timestamp: &ts, Type: types.HistoryEventTypeExecutionFailed,
			ExecutionFailedEventDetails: &types.ExecutionFailedEventDetails{Error: &[]string{ErrInterrupted}[0], Cause: &cause}}
		body, _ := json.Marshal(ev)
		if _, err := tx.Exec(`INSERT OR REPLACE INTO events(arn, id, body) VALUES (?, ?, ?)`, arn, ev.Id, body); err != nil {
			return 0, err
		}
	}
	if _, err := tx.Exec(`UPDATE executions SET status = 'FAILED', stop_ns = ?, error = ?, cause = ? WHERE status = 'RUNNING'`, ns(now), ErrInterrupted, cause); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`UPDATE map_runs SET status = 'FAILED', stop_ns = ? WHERE status = 'RUNNING'`, ns(now)); err != nil {
		return 0, err
	}
	return len(tops), tx.Commit()
}

const recordCols = `seq, arn, machine, name, status, start_ns, stop_ns, input, output, error, cause, trace, redrive_count, redrive_ns, map_run, item, outcomes`

type scanner interface{ Scan(...any) error }

func scanRecord(sc scanner) (*Record, error) {
	var r Record
	var start, stop, rd int64
	var outcomes string
	if err := sc.Scan(&r.Seq, &r.ARN, &r.Machine, &r.Name, &r.Status, &start, &stop, &r.Input, &r.Output, &r.Error, &r.Cause,
		&r.TraceHeader, &r.RedriveCount, &rd, &r.MapRun, &r.Item, &outcomes); err != nil {
		return nil, err
	}
	r.Start, r.Stop, r.RedriveDate = fromNS(start), fromNS(stop), fromNS(rd)
	r.Outcomes = parseOutcomes(outcomes)
	return &r, nil
}

// Execution returns the execution with that ARN (ErrNotFound if none).
func (s *Store) Execution(ctx context.Context, arn string) (*Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, `SELECT `+recordCols+` FROM executions WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

// Query selects executions: those of a state machine (started through the
// API, newest first) or the children of a Map Run (in item order).
type Query struct {
	Machine string // a state machine's ARN, or
	MapRun  string // a Map Run's ARN
	Status  string // "" for any
	// After continues a listing (0: from the start): for a machine's
	// executions, those with a Seq below it (newest first); for a Map
	// Run's children, those from item After on (before item After when
	// Descending).
	After int64
	// Descending lists a Map Run's children from the last item.
	Descending bool
	Limit      int
}

// List returns one page of executions, and whether more follow.
func (s *Store) List(ctx context.Context, q Query) ([]*Record, bool, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var where []string
	var args []any
	order := ""
	switch {
	case q.MapRun != "":
		where, args = append(where, "map_run = ?"), append(args, q.MapRun)
		if q.Descending {
			order = "item DESC"
			if q.After > 0 {
				where, args = append(where, "item < ?"), append(args, q.After)
			}
		} else {
			order = "item ASC"
			where, args = append(where, "item >= ?"), append(args, q.After)
		}
	default:
		where, args = append(where, "machine = ?", "map_run = ''"), append(args, q.Machine)
		order = "seq DESC"
		if q.After > 0 {
			where, args = append(where, "seq < ?"), append(args, q.After)
		}
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, q.Status)
	}
	index := "" // let SQLite choose
	if q.MapRun != "" {
		index = " INDEXED BY executions_items"
		if q.Status != "" {
			index = " INDEXED BY executions_item_status"
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+recordCols+` FROM executions`+index+` WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// History returns up to limit events of an execution with ids after
// afterID (before it when reverse; 0 = from the start or the end), and
// whether more follow.
func (s *Store) History(ctx context.Context, arn string, afterID int64, limit int, reverse bool) ([]types.HistoryEvent, bool, error) {
	if limit <= 0 {
		limit = 1000
	}
	q := `SELECT body FROM events WHERE arn = ? AND id > ? ORDER BY id ASC LIMIT ?`
	if reverse {
		if afterID == 0 {
			afterID = 1 << 62
		}
		q = `SELECT body FROM events WHERE arn = ? AND id < ? ORDER BY id DESC LIMIT ?`
	}
	rows, err := s.db.QueryContext(ctx, q, arn, afterID, limit+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []types.HistoryEvent
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, false, err
		}
		var ev types.HistoryEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, false, fmt.Errorf("execution store: event of %s: %w", arn, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

const mapRunCols = `arn, execution, state, status, start_ns, stop_ns, total, total_items, max_concurrency, tol_pct, tol_count, redrive_count, redrive_ns`

func scanMapRun(sc scanner) (*MapRun, error) {
	var m MapRun
	var start, stop, rd int64
	if err := sc.Scan(&m.ARN, &m.Execution, &m.State, &m.Status, &start, &stop, &m.Total, &m.TotalItems, &m.MaxConcurrency,
		&m.ToleratedFailurePercentage, &m.ToleratedFailureCount, &m.RedriveCount, &rd); err != nil {
		return nil, err
	}
	m.Start, m.Stop, m.RedriveDate = fromNS(start), fromNS(stop), fromNS(rd)
	return &m, nil
}

// MapRun returns the Map Run with that ARN (ErrNotFound if none).
func (s *Store) MapRun(ctx context.Context, arn string) (*MapRun, error) {
	m, err := scanMapRun(s.db.QueryRowContext(ctx, `SELECT `+mapRunCols+` FROM map_runs WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return m, err
}

// MapRuns returns the Map Runs an execution started, oldest first.
func (s *Store) MapRuns(ctx context.Context, execARN string) ([]*MapRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+mapRunCols+` FROM map_runs WHERE execution = ? ORDER BY start_ns, rowid`, execARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*MapRun
	for rows.Next() {
		m, err := scanMapRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Counts returns a Map Run's children by status.
func (s *Store) Counts(ctx context.Context, m *MapRun) (Counts, error) {
	c, _, err := s.counts(ctx, m)
	return c, err
}

// ItemCounts are a Map Run's items by the status of the child that
// processes them (with an ItemBatcher, a child is several items), as
// DescribeMapRun's itemCounts.
func (s *Store) ItemCounts(ctx context.Context, m *MapRun) (Counts, error) {
	_, c, err := s.counts(ctx, m)
	return c, err
}

func (s *Store) counts(ctx context.Context, m *MapRun) (children, items Counts, err error) {
	children, items = Counts{Total: m.Total}, Counts{Total: m.TotalItems}
	if items.Total == 0 {
		items.Total = m.Total
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*), SUM(items) FROM executions WHERE map_run = ? GROUP BY status`, m.ARN)
	if err != nil {
		return children, items, err
	}
	defer rows.Close()
	started, startedItems := 0, 0
	for rows.Next() {
		var st string
		var n, k int
		if err := rows.Scan(&st, &n, &k); err != nil {
			return children, items, err
		}
		started += n
		startedItems += k
		for _, c := range []struct {
			counts *Counts
			n      int
		}{{&children, n}, {&items, k}} {
			switch st {
			case "RUNNING":
				c.counts.Running = c.n
			case "SUCCEEDED":
				c.counts.Succeeded = c.n
			case "FAILED":
				c.counts.Failed = c.n
			case "TIMED_OUT":
				c.counts.TimedOut = c.n
			case "ABORTED":
				c.counts.Aborted = c.n
			}
		}
	}
	children.Pending = max(0, children.Total-started)
	items.Pending = max(0, items.Total-startedItems)
	return children, items, rows.Err()
}

// StateOutcomes returns, for each state of a Map Run's item processor, how
// many children ended it each way (see Outcome).
func (s *Store) StateOutcomes(ctx context.Context, mapRunARN string) (map[string]map[Outcome]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT outcomes, status, COUNT(*) FROM executions WHERE map_run = ? GROUP BY outcomes, status`, mapRunARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[Outcome]int{}
	for rows.Next() {
		var enc, st string
		var n int
		if err := rows.Scan(&enc, &st, &n); err != nil {
			return nil, err
		}
		for state, o := range parseOutcomes(enc) {
			if out[state] == nil {
				out[state] = map[Outcome]int{}
			}
			out[state][o] += n
		}
	}
	return out, rows.Err()
}

// Prune deletes the executions that finished before cutoff, with their
// histories, Map Runs and child executions, and returns how many top-level
// executions went.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	if err := s.Flush(); err != nil {
		return 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT arn FROM executions WHERE map_run = '' AND status <> 'RUNNING' AND stop_ns > 0 AND stop_ns < ?`, ns(cutoff))
	if err != nil {
		return 0, err
	}
	var arns []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return 0, err
		}
		arns = append(arns, a)
	}
	rows.Close()
	for _, arn := range arns {
		err := s.w.do(func(tx *sql.Tx) error {
			for _, q := range []string{
				`DELETE FROM events WHERE arn IN (SELECT arn FROM executions WHERE map_run IN (SELECT arn FROM map_runs WHERE execution = ?1))`,
				`DELETE FROM executions WHERE map_run IN (SELECT arn FROM map_runs WHERE execution = ?1)`,
				`DELETE FROM map_runs WHERE execution = ?1`,
				`DELETE FROM events WHERE arn = ?1`,
				`DELETE FROM executions WHERE arn = ?1`,
			} {
				if _, err := tx.Exec(q, arn); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return len(arns), nil
}

func (s *Store) lastEventID(arn string) (int64, error) {
	var n int64
	err := s.db.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM events WHERE arn = ?`, arn).Scan(&n)
	return n, err
}
