// Package models embeds models/manifest.json, the list of model packs and the
// files they are made of (sha256, size, upstream source, licence). It holds
// data only: shared/modelpack parses it and finds the files.
//
// Model weights are never stored here: they are read from ../shared/models,
// the project's cache, or downloaded by checksum (see shared/modelpack).
package models

import _ "embed"

// ManifestJSON is the content of manifest.json.
//
//go:embed manifest.json
var ManifestJSON []byte
