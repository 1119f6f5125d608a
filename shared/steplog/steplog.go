// Package steplog logs every invocation of a step's handler as one JSON
// line (log/slog): the step, the album, the photo's key and the execution's
// name when the payload carries them, the duration, and the error name and
// message of a failed invocation. The Lambdas log through it in the form
// Lambda's JSON log format expects (JSON objects on stdout, level and
// message first), and `divinepic serve` logs the steps it runs in-process.
package steplog

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/divinepic/pipeline/shared/states"
)

// LambdaLogger is the logger a Lambda's process uses: JSON on stdout, at the
// level Lambda's log configuration sets (AWS_LAMBDA_LOG_LEVEL, default
// INFO).
func LambdaLogger() *slog.Logger { return NewLogger(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL")) }

// NewLogger logs JSON to w at level (DEBUG, INFO, WARN, ERROR; "" is INFO).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil || level == "" {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Wrap logs each invocation of h, the handler of step.
func Wrap(step string, h lambda.Handler, log *slog.Logger) lambda.Handler {
	return handler{step: step, h: h, log: log}
}

type handler struct {
	step string
	h    lambda.Handler
	log  *slog.Logger
}

// payload is what the steps' inputs may say about where they are.
type payload struct {
	AlbumID       string `json:"albumId"`
	ExecutionName string `json:"executionName"`
	Image         struct {
		Key string `json:"key"`
	} `json:"image"`
	Input struct {
		AlbumID string `json:"albumId"`
	} `json:"input"`
}

func (h handler) Invoke(ctx context.Context, in []byte) ([]byte, error) {
	start := time.Now()
	out, err := h.h.Invoke(ctx, in)
	var p payload
	json.Unmarshal(in, &p)
	attrs := []any{"step", h.step, "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
	if album := firstOf(p.AlbumID, p.Input.AlbumID); album != "" {
		attrs = append(attrs, "album", album)
	}
	if p.Image.Key != "" {
		attrs = append(attrs, "photo", p.Image.Key)
	}
	if p.ExecutionName != "" {
		attrs = append(attrs, "execution", p.ExecutionName)
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, "requestId", lc.AwsRequestID)
	}
	if err != nil {
		attrs = append(attrs, "error", states.ErrorType(err), "cause", err.Error())
		h.log.Warn("step failed", attrs...)
		return out, err
	}
	h.log.Info("step done", attrs...)
	return out, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
