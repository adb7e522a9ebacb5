// Package deploy holds the deployment files of kestra-migrator: the
// Dockerfile, Kubernetes manifests, a systemd unit and a Kestra flow that
// runs the migrator (see README.md). It has no Go code; its tests check
// that the files parse and agree with the binary's defaults.
package deploy
