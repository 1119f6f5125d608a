package states

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWaitState(t *testing.T) {
	tests := []struct {
		name, state, input string
		want               time.Duration
	}{
		{"Seconds", `"Seconds":10`, `{}`, 10 * time.Second},
		{"SecondsPath", `"SecondsPath":"$.s"`, `{"s":7}`, 7 * time.Second},
		{"Timestamp", `"Timestamp":"2026-01-02T03:05:05Z"`, `{}`, time.Minute},
		{"TimestampPath", `"TimestampPath":"$.t"`, `{"t":"2026-01-02T04:04:05Z"}`, time.Hour},
		{"Timestamp in the past", `"Timestamp":"2020-01-01T00:00:00Z"`, `{}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, clk, _ := testEngine()
			x := run(t, e, `{"StartAt":"W","States":{"W":{"Type":"Wait",`+tc.state+`,"Next":"S"},"S":{"Type":"Succeed"}}}`, tc.input)
			assert.JSONEq(t, tc.input, succeeded(t, x))
			var total time.Duration
			for _, d := range clk.Sleeps() {
				total += d
			}
			assert.Equal(t, tc.want, total)
			assert.Equal(t, t0.Add(tc.want), x.StopTime())
		})
	}
}

func TestWaitBadSecondsPath(t *testing.T) {
	e, _, _ := testEngine()
	failed(t, run(t, e, `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, `{"s":"x"}`), ErrRuntime)
}
