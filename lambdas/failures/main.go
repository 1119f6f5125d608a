// Command failures is the failures step's Lambda: see shared/steps (Steps.Failures).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepFailures) }
