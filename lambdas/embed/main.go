// Command embed is the embed step's Lambda: see shared/steps (Steps.Embed).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/steps"
)

func main() { lambdamain.Run(steps.StepEmbed) }
