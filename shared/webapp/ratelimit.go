package webapp

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// rateLimiter is a token bucket per client address: perMinute tokens a
// minute, at most burst at once. It lives in the process: on AWS each
// warm Lambda instance keeps its own (the function's reserved concurrency
// bounds them).
type rateLimiter struct {
	mu        sync.Mutex
	perMinute float64
	burst     float64
	now       func() time.Time
	clients   map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

// maxClients bounds the limiter's memory; beyond it, full buckets are dropped.
const maxClients = 10000

func newRateLimiter(perMinute, burst int, now func() time.Time) *rateLimiter {
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{perMinute: float64(perMinute), burst: float64(burst), now: now, clients: map[string]*tokenBucket{}}
}

// allow takes a token for the client, or says no.
func (l *rateLimiter) allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.clients[client]
	if b == nil {
		if len(l.clients) >= maxClients {
			l.prune(now)
		}
		b = &tokenBucket{tokens: l.burst, at: now}
		l.clients[client] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *rateLimiter) prune(now time.Time) {
	for k, b := range l.clients {
		if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.burst {
			delete(l.clients, k)
		}
	}
}

// clientAddress is the request's source address: the socket's peer here,
// the Function URL's source IP on AWS (lambdaurl puts it in RemoteAddr).
// Forwarding headers are not trusted: anyone can send them.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
