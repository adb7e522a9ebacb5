// Package configs holds the files the binary embeds: the annotated default
// configuration and the example flows that `kestra-migrator demo` seeds.
package configs

import "embed"

// Default is the annotated default configuration (configs/default.yaml).
//
//go:embed default.yaml
var Default []byte

// Examples holds examples/flows/**.yml, the demo's fleet.
//
//go:embed examples/flows
var Examples embed.FS
