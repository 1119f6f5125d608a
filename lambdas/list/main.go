// Command list is the list step's Lambda: see shared/steps (Steps.List).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepList) }
