package stack

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want []string
	}{
		{"none", `{"a": "$.b", "c.$": "$$.Execution.Name"}`, nil},
		{"sorted and distinct", `{"x": "${B}", "y": ${A}, "z": "${B}"}`, []string{"A", "B"}},
		{"not a name", `{"x": "${}", "y": "${1a}", "z": "$ {A}"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Placeholders(tt.def))
		})
	}
}

func TestSubstitute(t *testing.T) {
	got := Substitute(`{"n": ${N}, "s": "${S}", "k": "${Kept}"}`, map[string]string{"N": "40", "S": "results/"})
	assert.Equal(t, `{"n": 40, "s": "results/", "k": "${Kept}"}`, got)
}

// fullSubs is a value for every placeholder of the real workflow file.
func fullSubs() map[string]string {
	return map[string]string{
		SubListFunctionARN:      "arn:aws:lambda:eu-west-1:123456789012:function:list",
		SubDetectFunctionARN:    "arn:aws:lambda:eu-west-1:123456789012:function:detect",
		SubEmbedFunctionARN:     "arn:aws:lambda:eu-west-1:123456789012:function:embed",
		SubAggregateFunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:aggregate",
		SubMaxConcurrency:       "40",
		SubToleratedFailurePct:  "5",
		SubResultBucket:         "photos",
		SubResultPrefix:         "results/",
	}
}

func TestCheckDefinition(t *testing.T) {
	root, err := FindRepoRoot(".")
	require.NoError(t, err)
	real, err := ReadDefinition(filepath.Join(root, DefinitionFile))
	require.NoError(t, err)

	tests := []struct {
		name    string
		def     string
		edit    func(map[string]string)
		wantErr []string // substrings of the error; none means no error
	}{
		{name: "the workflow file with every substitution", def: real},
		{name: "a placeholder the stack does not fill", def: real,
			edit:    func(m map[string]string) { delete(m, SubMaxConcurrency) },
			wantErr: []string{"${MaxConcurrency} has no substitution"}},
		{name: "a new placeholder in the file", def: real[:len(real)-2] + `, "Extra": "${NewThing}"}`,
			wantErr: []string{"${NewThing} has no substitution"}},
		{name: "a substitution the file does not use", def: real,
			edit:    func(m map[string]string) { m["Obsolete"] = "x" },
			wantErr: []string{"substitution Obsolete is not used"}},
		{name: "a bare-number placeholder given text", def: real,
			edit:    func(m map[string]string) { m[SubMaxConcurrency] = "forty" },
			wantErr: []string{"not a JSON object"}},
		{name: "token values stand in for their kind", def: real,
			edit: func(m map[string]string) {
				m[SubListFunctionARN] = "${Token[TOKEN.12]}"
				m[SubMaxConcurrency] = "${Token[TOKEN.13]}"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs := fullSubs()
			if tt.edit != nil {
				tt.edit(subs)
			}
			err := CheckDefinition(tt.def, subs)
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		stack, stateMachine, vectorBucket string
	}{
		{"DivinePic", "DivinePic-album", "divinepic-faces"},
		{"Divine-Pic-Prod2", "Divine-Pic-Prod2-album", "divine-pic-prod2-faces"},
		{"Avery-long-stack-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on",
			"Avery-long-stack-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-album",
			"avery-long-stack-name-that-goes-on-and-on-and-on-and-on-a-faces"},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			sm, vb := stateMachineName(tt.stack), vectorBucketName(tt.stack)
			assert.Equal(t, tt.stateMachine, sm)
			assert.Equal(t, tt.vectorBucket, vb)
			assert.LessOrEqual(t, len(sm), 80)
			assert.LessOrEqual(t, len(vb), 63)
			assert.Regexp(t, `^[a-z0-9][a-z0-9-]*[a-z0-9]$`, vb)
		})
	}
}
