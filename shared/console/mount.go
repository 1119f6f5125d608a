package console

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// NewToken returns a random access token.
func NewToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Handler routes one server's requests: the console's pages under Prefix,
// everything else to next (the Step Functions API, the web app). Each
// request is logged (JSON through log): method, path, status, duration.
func Handler(next http.Handler, c *Console, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if r.Header.Get("X-Amz-Target") == "" && (strings.HasPrefix(r.URL.Path, Prefix) || r.URL.Path == strings.TrimSuffix(Prefix, "/")) {
			c.ServeHTTP(sw, r)
		} else {
			next.ServeHTTP(sw, r)
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if op := r.Header.Get("X-Amz-Target"); op != "" {
			attrs = append(attrs, "operation", strings.TrimPrefix(op, "AWSStepFunctions."))
		}
		log.Info("request", attrs...)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
