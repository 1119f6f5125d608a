package states

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// States.JsonToString writes objects in the order their keys had in the
// execution's input and in task results, even after they went through
// other states; objects the workflow built itself have sorted keys.
func TestJsonToStringKeepsKeyOrder(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func(context.Context) (json.RawMessage, error) {
		return json.RawMessage(`{"zeta":1,"alpha":{"y":true,"x":[{"q":1,"p":2}]},"mid":"m"}`), nil
	})
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","ResultPath":"$.res","Next":"P"},
		"P":{"Type":"Pass","Parameters":{
			"input.$":"States.JsonToString($.order)",
			"result.$":"States.JsonToString($.res)",
			"nested.$":"States.JsonToString($.res.alpha.x[0])",
			"built.$":"States.JsonToString(States.JsonMerge($.order, $.res, false))",
			"literal.$":"States.JsonToString(States.StringToJson('{\"b\":1,\"a\":2}'))"},"End":true}}}`
	x := run(t, e, def, `{"order":{"second":2,"first":1,"third":{"c":3,"b":2,"a":1}}}`)
	var out map[string]string
	assert.NoError(t, json.Unmarshal([]byte(succeeded(t, x)), &out))
	assert.Equal(t, `{"second":2,"first":1,"third":{"c":3,"b":2,"a":1}}`, out["input"])
	assert.Equal(t, `{"zeta":1,"alpha":{"y":true,"x":[{"q":1,"p":2}]},"mid":"m"}`, out["result"])
	assert.Equal(t, `{"q":1,"p":2}`, out["nested"])
	assert.Equal(t, `{"alpha":{"y":true,"x":[{"q":1,"p":2}]},"first":1,"mid":"m","second":2,"third":{"c":3,"b":2,"a":1},"zeta":1}`, out["built"],
		"a merged object is new: sorted keys, its members keep theirs")
	assert.Equal(t, `{"a":2,"b":1}`, out["literal"], "StringToJson's text is not kept")
}

// The raw texts kept for key order stay within their budget.
func TestRawTextsBudget(t *testing.T) {
	var rt rawTexts
	big := make([]byte, keyOrderBytes/3)
	for i := 0; i < 10; i++ {
		rt.add(big)
	}
	assert.LessOrEqual(t, rt.size, keyOrderBytes)
	assert.Len(t, rt.texts, 3)
	rt.add(make([]byte, keyOrderBytes+1))
	assert.Len(t, rt.texts, 3, "a text over the budget is not kept")
}

// A Distributed Map's children write their items, which came from the
// parent's input, in the parent's key order.
func TestJsonToStringInDistributedMapChildren(t *testing.T) {
	e, _, _ := testEngine()
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P",
			"States":{"P":{"Type":"Pass","Parameters":{"s.$":"States.JsonToString($)"},"OutputPath":"$.s","End":true}}}}}}`
	x := run(t, e, def, `{"items":[{"z":1,"a":2},{"y":{"k":1,"c":2},"b":3}]}`)
	assert.JSONEq(t, `["{\"z\":1,\"a\":2}","{\"y\":{\"k\":1,\"c\":2},\"b\":3}"]`, succeeded(t, x))
}
