// Command reprocess is the nightly job's Lambda: see shared/steps (Steps.Reprocess).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepReprocess) }
