package stack

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

// fullSubs is a value for every placeholder of the real workflow file.
func fullSubs() map[string]string {
	m := map[string]string{
		names.PlaceholderMaxConcurrency:             "40",
		names.PlaceholderToleratedFailurePercentage: "5",
		names.PlaceholderResultBucket:               "photos",
		names.PlaceholderResultPrefix:               "results/",
	}
	for _, step := range names.WorkflowSteps {
		m[names.FunctionARNPlaceholder(step)] = "arn:aws:lambda:eu-west-1:123456789012:function:" + step
	}
	return m
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
			edit:    func(m map[string]string) { delete(m, names.PlaceholderMaxConcurrency) },
			wantErr: []string{"${MaxConcurrency} has no substitution"}},
		{name: "a new placeholder in the file", def: real[:len(real)-2] + `, "Extra": "${NewThing}"}`,
			wantErr: []string{"${NewThing} has no substitution"}},
		{name: "a substitution the file does not use", def: real,
			edit:    func(m map[string]string) { m["Obsolete"] = "x" },
			wantErr: []string{"substitution Obsolete is not used"}},
		{name: "a bare-number placeholder given text", def: real,
			edit:    func(m map[string]string) { m[names.PlaceholderMaxConcurrency] = "forty" },
			wantErr: []string{"not a JSON object"}},
		{name: "token values stand in for their kind", def: real,
			edit: func(m map[string]string) {
				m[names.FunctionARNPlaceholder(names.StepList)] = "${Token[TOKEN.12]}"
				m[names.PlaceholderMaxConcurrency] = "${Token[TOKEN.13]}"
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
