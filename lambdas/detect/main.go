// Command detect is the detect step's Lambda: see shared/steps (Steps.Detect).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/steps"
)

func main() { lambdamain.Run(steps.StepDetect) }
