package stack

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

// TestDockerfile ties lambdas/Dockerfile to the stack: everything it copies
// is let into the build context by imageExcludes, and the environment it
// sets points at what it copied, under the names the Go code reads.
func TestDockerfile(t *testing.T) {
	root, err := FindRepoRoot(".")
	require.NoError(t, err)
	f, err := os.Open(filepath.Join(root, Dockerfile))
	require.NoError(t, err)
	defer f.Close()

	copies := map[string]string{} // destination -> source
	env := map[string]string{}
	var from string
	var lines []string
	sc := bufio.NewScanner(f)
	var cont string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		lines = append(lines, cont+line)
		cont = ""
	}
	require.NoError(t, sc.Err())
	for _, line := range lines {
		fields := strings.Fields(line)
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			from = fields[1]
		case "COPY":
			require.Len(t, fields, 3, "COPY with one source: %s", line)
			copies[fields[2]] = fields[1]
		case "ENV":
			for _, kv := range fields[1:] {
				k, v, ok := strings.Cut(kv, "=")
				require.True(t, ok, "ENV key=value: %s", line)
				env[k] = v
			}
		}
	}
	assert.Equal(t, "public.ecr.aws/lambda/provided:al2023", from)

	for _, step := range []string{names.StepDetect, names.StepEmbed, names.StepSearch} {
		t.Run(step, func(t *testing.T) {
			allowed, _ := imageInputs(root, step)
			for dst, src := range copies {
				src = strings.TrimSuffix(strings.ReplaceAll(src, "${STEP}", step), "/")
				assert.Contains(t, allowed, src, "COPY %s %s: not in the build context", src, dst)
				assert.Contains(t, imageExcludes(step), "!"+src)
			}
		})
	}
	lib, models := env[names.EnvORTLib], env[names.EnvModels]
	require.NotEmpty(t, lib, "%s is set", names.EnvORTLib)
	require.NotEmpty(t, models, "%s is set", names.EnvModels)
	assert.Equal(t, ImageLibrary, copies[lib], "%s points at the copied library", names.EnvORTLib)
	assert.Equal(t, ImageModels+"/", copies[strings.TrimSuffix(models, "/")+"/"], "%s points at the copied models", names.EnvModels)
}
