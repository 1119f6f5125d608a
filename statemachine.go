// Package pipeline embeds statemachine.asl.json, the one workflow
// definition, so that the local engine runs the very file CDK deploys.
package pipeline

import _ "embed"

// StateMachineJSON is statemachine.asl.json, with its ${...} placeholders.
//
//go:embed statemachine.asl.json
var StateMachineJSON []byte
