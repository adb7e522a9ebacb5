// Package fleettest generates fleets of Kestra flows with known expected
// statuses, for the engine's end-to-end tests, the chaos suite and the
// benchmarks. The expectation of each flow comes from how it was built, not
// from running the rewrite.
package fleettest

import (
	"fmt"
	"strings"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// Kind is a shape of flow.
type Kind int

// Kinds of flows in a fleet.
const (
	UpToDate       Kind = iota // already on task runners
	NoScript                   // no script task at all
	Process                    // runner: PROCESS
	DockerImage                // runner: DOCKER + docker.image + options
	DockerNoRunner             // docker block alone
	Nested                     // legacy tasks inside flowable tasks
	BadRunner                  // runner: docker (lower case): unsupported
	OldCoreTask                // io.kestra.core.tasks.scripts.Bash: unsupported
	Invalid                    // migrates, but the server rejects the result (see Validator)
	Broken                     // YAML that does not parse (a hostile or buggy server): failed
	Duplicate                  // a duplicate runner key, which Jackson accepts (last wins): unsupported
)

// Flow is one generated flow and what a plan must say of it.
type Flow struct {
	Namespace, ID string
	Kind          Kind
	Source        string
	Expect        string // up-to-date, pending, unsupported, invalid, failed
}

// Pending reports whether apply should write it.
func (f Flow) Pending() bool { return f.Expect == "pending" }

// InvalidMarker is in the migrated source of Invalid flows only; Validator
// makes the fake server reject it.
const InvalidMarker = "reject-me-after-migration"

// Validator makes kestratest reject migrated Invalid flows.
func Validator(_, _ string, source []byte) string {
	s := string(source)
	if strings.Contains(s, InvalidMarker) && strings.Contains(s, "taskRunner:") {
		return "tasks[0].taskRunner: " + InvalidMarker
	}
	return ""
}

// Generate builds n flows over the given number of namespaces; pending is
// the share of flows with legacy usage that can be migrated (0 to 1). The
// rest is up-to-date, except that every 20th flow of the legacy share is an
// unsupported, invalid or broken case when withProblems is set.
func Generate(n, namespaces int, pending float64, withProblems bool) []Flow {
	flows := make([]Flow, 0, n)
	legacyKinds := []Kind{Process, DockerImage, DockerNoRunner, Nested}
	problemKinds := []Kind{BadRunner, OldCoreTask, Invalid, Broken, Duplicate}
	cleanKinds := []Kind{UpToDate, NoScript}
	legacyEvery := 0.0
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("company.team%02d", i%namespaces)
		if i%namespaces%3 == 1 {
			ns += ".sub"
		}
		id := fmt.Sprintf("flow-%05d", i)
		legacyEvery += pending
		var k Kind
		switch {
		case legacyEvery >= 1:
			legacyEvery--
			k = legacyKinds[i%len(legacyKinds)]
			if withProblems && i%20 == 7 {
				k = problemKinds[(i/20)%len(problemKinds)]
			}
		default:
			k = cleanKinds[i%len(cleanKinds)]
		}
		flows = append(flows, Make(ns, id, k))
	}
	return flows
}

// Seed stores the flows on a fake server (broken ones raw) and installs the
// validator that rejects Invalid flows once migrated.
func Seed(s *kestratest.Server, flows []Flow) error {
	s.SetValidator(Validator)
	for _, f := range flows {
		var err error
		if f.Kind == Broken || f.Kind == Duplicate {
			_, err = s.AddRaw(f.Namespace, f.ID, f.Source)
		} else {
			_, err = s.AddFlow(f.Source)
		}
		if err != nil {
			return fmt.Errorf("seed %s/%s: %w", f.Namespace, f.ID, err)
		}
	}
	return nil
}

// Make builds one flow of kind k.
func Make(ns, id string, k Kind) Flow {
	head := fmt.Sprintf("id: %s\nnamespace: %s\ndescription: generated %s flow\n\n", id, ns, kindNames[k])
	f := Flow{Namespace: ns, ID: id, Kind: k, Source: head + bodies[k], Expect: expects[k]}
	return f
}

var kindNames = map[Kind]string{UpToDate: "up-to-date", NoScript: "no-script", Process: "process",
	DockerImage: "docker-image", DockerNoRunner: "docker-no-runner", Nested: "nested", BadRunner: "bad-runner",
	OldCoreTask: "old-core-task", Invalid: "invalid", Broken: "broken", Duplicate: "duplicate"}

var expects = map[Kind]string{UpToDate: "up-to-date", NoScript: "up-to-date", Process: "pending",
	DockerImage: "pending", DockerNoRunner: "pending", Nested: "pending", BadRunner: "unsupported",
	OldCoreTask: "unsupported", Invalid: "invalid", Broken: "failed", Duplicate: "unsupported"}

var bodies = map[Kind]string{
	UpToDate: `tasks:
  - id: hello
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
    containerImage: ubuntu:24.04
    commands:
      - echo "hello {{ flow.id }}"
`,
	NoScript: `tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ flow.id }} says hi"
triggers:
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
`,
	Process: `tasks:
  - id: run
    type: io.kestra.plugin.scripts.python.Commands
    runner: PROCESS # legacy
    commands:
      - python main.py > {{ outputDir }}/out.txt
`,
	DockerImage: `tasks:
  - id: extract
    type: io.kestra.plugin.scripts.python.Script
    runner: DOCKER
    docker:
      image: ghcr.io/kestra-io/pydata:latest
      pullPolicy: IF_NOT_PRESENT
      volumes:
        - /data:/data
    script: |
      import pandas as pd
      print(pd.__version__)
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: done
`,
	DockerNoRunner: `tasks:
  - id: node
    type: io.kestra.plugin.scripts.node.Script
    docker:
      image: node:20-alpine
      entryPoint: [""]
    script: console.log("hi")
`,
	Nested: `tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: inner
        type: io.kestra.plugin.scripts.shell.Commands
        runner: PROCESS
        commands:
          - ls
  - id: parallel
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: p1
        type: io.kestra.plugin.scripts.shell.Commands
        runner: DOCKER
        docker:
          image: alpine:3.20
        commands:
          - echo p1
`,
	BadRunner: `tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    runner: docker
    commands:
      - echo hi
`,
	OldCoreTask: `tasks:
  - id: bash
    type: io.kestra.core.tasks.scripts.Bash
    runner: DOCKER
    commands:
      - echo legacy
`,
	Invalid: `tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - echo ` + InvalidMarker + `
`,
	Broken: `tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
   commands: [
`,
	Duplicate: `tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    runner: DOCKER
    runner: PROCESS
    commands:
      - echo duplicate key
`,
}
