// Command detect is the detect step's Lambda: see shared/steps (Steps.Detect).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepDetect) }
