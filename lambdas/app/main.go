// Command app is the web app's Lambda, behind a Function URL: see
// shared/webapp and shared/webapp/applambda.
package main

import "github.com/divinepic/pipeline/shared/webapp/applambda"

func main() { applambda.Run() }
