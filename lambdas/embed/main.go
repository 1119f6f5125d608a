// Command embed is the embed step's Lambda: see shared/steps (Steps.Embed).
package main

import (
	"github.com/divinepic/pipeline/shared/lambdamain"
	"github.com/divinepic/pipeline/shared/names"
)

func main() { lambdamain.Run(names.StepEmbed) }
