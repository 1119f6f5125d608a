// Package secretsserver is a local stand-in for AWS Secrets Manager: an
// http.Handler that answers GetSecretValue in the service's AWS JSON 1.1
// protocol (POST /, X-Amz-Target: secretsmanager.GetSecretValue), as the
// real aws-sdk-go-v2 secretsmanager client sends it, so that a process that
// reads its secrets from Secrets Manager (the web app's Lambda) runs
// unchanged against it: point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER
// or BaseEndpoint.
//
// It keeps secret strings in memory (Put), each with one version labelled
// AWSCURRENT and an ARN as Secrets Manager makes it
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random
// characters>); a secret is found by its ARN or its name. An unknown one is
// AWS's ResourceNotFoundException. Errors have AWS's shape: HTTP 400 and
// {"__type": name, "Message": text}.
//
// Every request must be signed (AWS Signature Version 4, shared/sigv4) by
// the server's one access key for its region and the service
// "secretsmanager"; others get AWS's authentication errors. It answers
// loopback peers only (Listen binds 127.0.0.1). Not served: every other
// operation (creating, rotating, deleting secrets is done in Go with Put),
// binary secrets, version history.
package secretsserver

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sigv4"
)

// signingService is Secrets Manager's name in a credential scope
// (<date>/<region>/secretsmanager/aws4_request) and its X-Amz-Target prefix.
const signingService = "secretsmanager"

// CurrentStage is the staging label of a secret's current version, the
// only version the server keeps.
const CurrentStage = "AWSCURRENT"

const (
	contentType = "application/x-amz-json-1.1"
	maxBody     = 64 << 10 // a GetSecretValue request is a few hundred bytes
)

// Error type names (the shapes of the Secrets Manager API).
const (
	ErrResourceNotFound   = "ResourceNotFoundException"
	ErrInvalidParameter   = "InvalidParameterException"
	errUnknownOperation   = "UnknownOperationException"
	errSerialization      = "SerializationException"
	errAccessDenied       = "AccessDeniedException"
	errInternalFailure    = "InternalFailure"
	errRequestEntityLarge = "RequestEntityTooLargeException"
)

// Options configure a Server.
type Options struct {
	Region      string            // the region requests are signed for and ARNs name
	Account     string            // the account ARNs name (12 digits)
	Credentials sigv4.Credentials // the one access key the server accepts
}

// Server is the local Secrets Manager.
type Server struct {
	opt  Options
	auth *sigv4.Verifier
	now  func() time.Time

	mu      sync.Mutex
	secrets map[string]*secret // by ARN
	calls   int
}

type secret struct {
	arn, name, value, version string
	created                   time.Time
}

// New returns a server with no secrets.
func New(opt Options) *Server {
	return &Server{opt: opt, now: time.Now, secrets: map[string]*secret{},
		auth: &sigv4.Verifier{Creds: opt.Credentials, Region: opt.Region, Service: signingService}}
}

// Put stores value as the secret name's current version (replacing the one
// before, as PutSecretValue does) and returns the secret's ARN, which stays
// the same for the name.
func (s *Server) Put(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.secrets {
		if sec.name == name {
			sec.value, sec.version = value, uuid.NewString()
			return sec.arn
		}
	}
	arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.opt.Region, s.opt.Account, name, randomSuffix())
	s.secrets[arn] = &secret{arn: arn, name: name, value: value, version: uuid.NewString(), created: s.now().UTC()}
	return arn
}

// Reads is how many GetSecretValue requests were answered with a secret.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Listen serves the server on a free loopback port and returns its URL
// (http://127.0.0.1:port) and a function that stops it.
func Listen(s *Server) (string, func() error, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(l)
	return "http://" + l.Addr().String(), hs.Close, nil
}

// ServeHTTP serves one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	if !loopback(r.RemoteAddr) {
		writeError(w, http.StatusForbidden, errAccessDenied, "this local Secrets Manager answers loopback clients only")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, errUnknownOperation, "Secrets Manager takes POST requests")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, errSerialization, "the request body cannot be read")
		return
	}
	if len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, errRequestEntityLarge, fmt.Sprintf("request body over %d bytes", maxBody))
		return
	}
	if refused := s.auth.Verify(r, body, s.now()); refused != nil {
		writeError(w, http.StatusBadRequest, refused.Type, refused.Message)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if target != signingService+".GetSecretValue" {
		writeError(w, http.StatusBadRequest, errUnknownOperation, fmt.Sprintf("operation %q is not served here (GetSecretValue only)", clean(target)))
		return
	}
	out, status, typ, msg := s.getSecretValue(body)
	if typ != "" {
		writeError(w, status, typ, msg)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// getSecretValueInput is the request's members (the SDK's names).
type getSecretValueInput struct {
	SecretID     *string `json:"SecretId"`
	VersionID    *string `json:"VersionId"`
	VersionStage *string `json:"VersionStage"`
}

// getSecretValueOutput is the answer's members, as the SDK reads them.
type getSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  string   `json:"SecretString"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"` // epoch seconds
}

func (s *Server) getSecretValue(body []byte) (getSecretValueOutput, int, string, string) {
	var in getSecretValueInput
	if err := json.Unmarshal(body, &in); err != nil {
		return getSecretValueOutput{}, http.StatusBadRequest, errSerialization, "the request body is not a JSON object of GetSecretValue's members"
	}
	if in.SecretID == nil || *in.SecretID == "" {
		return getSecretValueOutput{}, http.StatusBadRequest, ErrInvalidParameter, "SecretId is required"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[*in.SecretID]
	if sec == nil {
		for _, c := range s.secrets {
			if c.name == *in.SecretID {
				sec = c
			}
		}
	}
	if sec == nil {
		return getSecretValueOutput{}, http.StatusBadRequest, ErrResourceNotFound, "Secrets Manager can't find the specified secret."
	}
	if in.VersionID != nil && *in.VersionID != sec.version {
		return getSecretValueOutput{}, http.StatusBadRequest, ErrResourceNotFound,
			"Secrets Manager can't find the specified secret value for VersionId: " + clean(*in.VersionID)
	}
	if in.VersionStage != nil && *in.VersionStage != CurrentStage {
		return getSecretValueOutput{}, http.StatusBadRequest, ErrResourceNotFound,
			"Secrets Manager can't find the specified secret value for staging label: " + clean(*in.VersionStage)
	}
	s.calls++
	return getSecretValueOutput{ARN: sec.arn, Name: sec.name, VersionID: sec.version, SecretString: sec.value,
		VersionStages: []string{CurrentStage}, CreatedDate: float64(sec.created.UnixMilli()) / 1000}, 0, "", ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"__type": errInternalFailure, "Message": "the answer cannot be encoded"})
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("x-amzn-ErrorType", typ)
	writeJSON(w, status, map[string]string{"__type": typ, "Message": msg})
}

// loopback says whether a peer address (host:port) is on this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clean is what a caller sent, printable and short, for a message.
func clean(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return names.Printable(s)
}

// randomSuffix is the six characters Secrets Manager appends to a
// secret's name in its ARN.
func randomSuffix() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
