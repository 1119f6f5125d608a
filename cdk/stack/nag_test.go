package stack

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNag runs cdk-nag's AwsSolutions checks on the stack: no finding may
// be left unsuppressed, and every suppression carries its reason.
func TestNag(t *testing.T) {
	repo := newFakeRepo(t, filepath.Join(t.TempDir(), "repo"))
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	CheckNag(app)
	s, err := New(app, "Nagged", &Props{RepoRoot: repo.root, Placeholders: true, AlarmEmail: "ops@example.com"})
	require.NoError(t, err)
	require.NoError(t, NagErrors(s.Stack))
	// Every suppression says why.
	tmpl := assertions.Template_FromStack(s.Stack, nil).ToJSON()
	count := 0
	for id, r := range (*tmpl)["Resources"].(map[string]any) {
		md, _ := r.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := md["cdk_nag"].(map[string]any)
		rules, _ := nag["rules_to_suppress"].([]any)
		for _, rule := range rules {
			reason, _ := rule.(map[string]any)["reason"].(string)
			assert.GreaterOrEqual(t, len(reason), 40, "%s: %v has a reason", id, rule)
			count++
		}
	}
	assert.Positive(t, count)
}
