package states

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The specification's Map example (ItemsPath, ItemSelector with the context
// object, ResultPath).
func TestMapInlineSpecExample(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("ship", func(in map[string]any) (map[string]any, error) {
		return map[string]any{"shipped": in["parcel"], "index": in["index"]}, nil
	})
	x := run(t, e, `{"StartAt":"Validate-All","States":{"Validate-All":{"Type":"Map","InputPath":"$.detail","ItemsPath":"$.shipped",
		"MaxConcurrency":0,"ItemSelector":{"parcel.$":"$$.Map.Item.Value","courier.$":"$.delivery-partner","index.$":"$$.Map.Item.Index"},
		"ItemProcessor":{"StartAt":"Validate","States":{"Validate":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:ship","End":true}}},
		"ResultPath":"$.detail.shipped","End":true}}}`,
		`{"ship-date":"2016-03-14T01:59:00Z","detail":{"delivery-partner":"UQS","shipped":[{"prod":"R31","dest-code":9511,"quantity":1344},{"prod":"S39","dest-code":9511,"quantity":40}]}}`)
	// ResultPath applies to the raw input, not to the InputPath selection.
	assert.JSONEq(t, `{"ship-date":"2016-03-14T01:59:00Z","detail":{"delivery-partner":"UQS",
		"shipped":[{"shipped":{"prod":"R31","dest-code":9511,"quantity":1344},"index":0},{"shipped":{"prod":"S39","dest-code":9511,"quantity":40},"index":1}]}}`,
		succeeded(t, x))
}

func TestMapInlineMaxConcurrency(t *testing.T) {
	for _, maxConc := range []int{1, 3} {
		t.Run(fmt.Sprint(maxConc), func(t *testing.T) {
			e, _, _ := testEngine()
			var inFlight, peak atomic.Int64
			e.RegisterFunc("f", func(n int) (int, error) {
				c := inFlight.Add(1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				inFlight.Add(-1)
				return n * n, nil
			})
			x := run(t, e, sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":%d,"End":true,
				"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}}}}`, maxConc),
				`[1,2,3,4,5,6,7,8,9,10]`)
			assert.JSONEq(t, `[1,4,9,16,25,36,49,64,81,100]`, succeeded(t, x))
			assert.LessOrEqual(t, peak.Load(), int64(maxConc))
			if maxConc > 1 {
				assert.Greater(t, peak.Load(), int64(1), "iterations should overlap")
			}
		})
	}
}

func TestMapInlineIterationFailure(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func(n int) (int, error) {
		if n == 3 {
			return 0, &domain.ImageUnreadable{Reason: "3"}
		}
		return n, nil
	})
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}}}}`
	x := run(t, e, def, `[1,2,3,4]`)
	failed(t, x, "ImageUnreadable")
	var types []string
	for _, ev := range x.History() {
		if ev.MapIterationStartedEventDetails != nil || ev.MapIterationFailedEventDetails != nil || ev.MapIterationSucceededEventDetails != nil {
			types = append(types, string(ev.Type))
		}
	}
	assert.Equal(t, []string{"MapIterationStarted", "MapIterationSucceeded", "MapIterationStarted", "MapIterationSucceeded", "MapIterationStarted", "MapIterationFailed"}, types)
}

func TestMapItemsPathNotArray(t *testing.T) {
	e, _, _ := testEngine()
	failed(t, run(t, e, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.a","End":true,
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`, `{"a":1}`), ErrRuntime)
}

func TestMapInlineListenerSeesItems(t *testing.T) {
	e, _, _ := testEngine()
	var items atomic.Int64
	sm, err := e.Parse("m", []byte(`{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`))
	require.NoError(t, err)
	x, err := sm.Run(context.Background(), []byte(`[1,2,3]`), WithListener(func(ev Event) {
		if ev.Kind == MapItemSucceeded {
			items.Add(1)
			assert.Equal(t, 3, ev.Total)
		}
	}))
	require.NoError(t, err)
	succeeded(t, x)
	assert.Equal(t, int64(3), items.Load())
}

func TestMapMaxConcurrencyPathAndWithoutHistory(t *testing.T) {
	e, _, _ := testEngine()
	var inFlight, peak atomic.Int64
	e.RegisterFunc("f", func(n int) (int, error) {
		c := inFlight.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		return n + 1, nil
	})
	x := run(t, e, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrencyPath":"$.conc","End":true,
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}}}}`,
		`{"conc":2,"items":[1,2,3,4,5,6]}`, WithoutHistory())
	assert.JSONEq(t, `[2,3,4,5,6,7]`, succeeded(t, x))
	assert.LessOrEqual(t, peak.Load(), int64(2))
	assert.Empty(t, x.History())
}
