package execstore

import (
	"database/sql"
	"errors"
	"sync"
)

// Writing: one goroutine commits what the recorder queues, many operations
// per transaction. The queue is bounded: when the database cannot keep up,
// the executions wait (memory stays bounded).
const (
	queueLen = 4096
	maxBatch = 2000
)

type op struct {
	fn   func(*sql.Tx) error
	done chan error // for a synchronous operation or a flush
}

type writer struct {
	db     *sql.DB
	ops    chan op
	closed chan struct{}
	once   sync.Once
	gate   sync.RWMutex // held for writing while closing
	shut   bool
	mu     sync.Mutex
	err    error // the first write error (later writes go on)
}

func newWriter(db *sql.DB) *writer {
	w := &writer{db: db, ops: make(chan op, queueLen), closed: make(chan struct{})}
	go w.loop()
	return w
}

// errClosed: a write after Close.
var errClosed = errors.New("execution store: closed")

// queue adds an operation to the next transaction.
func (w *writer) queue(fn func(*sql.Tx) error) {
	w.gate.RLock()
	defer w.gate.RUnlock()
	if !w.shut {
		w.ops <- op{fn: fn}
	}
}

// do runs fn in the next transaction and waits for it to commit.
func (w *writer) do(fn func(*sql.Tx) error) error {
	done := make(chan error, 1)
	w.gate.RLock()
	if w.shut {
		w.gate.RUnlock()
		return errClosed
	}
	w.ops <- op{fn: fn, done: done}
	w.gate.RUnlock()
	return <-done
}

// flush waits until everything queued before it is committed.
func (w *writer) flush() error { return w.do(nil) }

func (w *writer) close() {
	w.once.Do(func() {
		w.gate.Lock()
		w.shut = true
		close(w.ops)
		w.gate.Unlock()
		<-w.closed
	})
}

// loop commits as soon as something is queued, with everything else queued
// by then (group commit): under load the batches grow, idle it writes at
// once, so a crash loses at most the operations of the last moment.
func (w *writer) loop() {
	defer close(w.closed)
	var batch []op
	for o := range w.ops {
		batch = append(batch[:0], o)
	drain:
		for len(batch) < maxBatch {
			select {
			case o2, ok := <-w.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o2)
			default:
				break drain
			}
		}
		w.commit(batch)
	}
}

func (w *writer) commit(batch []op) {
	if len(batch) == 0 {
		return
	}
	err := w.run(batch)
	if err != nil && len(batch) > 1 {
		// One bad operation loses only itself.
		err = nil
		for _, o := range batch {
			if e := w.run([]op{o}); e != nil && err == nil {
				err = e
			}
		}
	}
	if err != nil {
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
	}
	for _, o := range batch {
		if o.done != nil {
			o.done <- err
		}
	}
}

func (w *writer) run(batch []op) error {
	tx, err := w.db.Begin()
	if err != nil {
		return err
	}
	for _, o := range batch {
		if o.fn == nil {
			continue
		}
		if err := o.fn(tx); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// Err is the first write error, if any.
func (w *writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
