// Command list is the list step's Lambda: see shared/steps (Steps.List).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/steps"
)

func main() { lambdamain.Run(steps.StepList) }
