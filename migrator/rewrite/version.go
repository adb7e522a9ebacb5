package rewrite

import (
	"fmt"
	"strconv"
	"strings"
)

// legacyTaskRunnerTypes are the 0.16 names of the task runner types.
const (
	legacyProcessType = "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner"
	legacyDockerType  = "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner"
)

// CheckServer implements ServerChecker. It warns about a server the migration does not suit, and
// says whether apply must refuse it: taskRunner does not exist before 0.16,
// and 0.16 named the types differently (no alias in 0.17).
func (r *RunnerRule) CheckServer(version string) (warn string, refuse bool) {
	processType, dockerType := r.processType, r.dockerType
	if version == "" {
		return "could not read the server version (GET /api/v1/configs): make sure it is 0.17 or later", false
	}
	major, minor, ok := parseVersion(version)
	if !ok {
		return fmt.Sprintf("could not parse the server version %q: make sure it is 0.17 or later", version), false
	}
	switch {
	case major == 0 && minor < 16:
		return fmt.Sprintf("server %s has no taskRunner property (added in 0.16): upgrade Kestra before migrating", version), true
	case major == 0 && minor == 16:
		if processType == legacyProcessType && dockerType == legacyDockerType {
			return fmt.Sprintf("server %s: using the 0.16 task runner type names", version), false
		}
		return fmt.Sprintf("server %s names task runners differently (set process-type %s and docker-type %s, or upgrade to 0.17+)",
			version, legacyProcessType, legacyDockerType), true
	}
	return "", false
}

// parseVersion reads "1.3.4", "0.17.0-SNAPSHOT", "v0.22".
func parseVersion(v string) (major, minor int, ok bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minorText := parts[1]
	if i := strings.IndexFunc(minorText, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorText = minorText[:i]
	}
	minor, err2 := strconv.Atoi(minorText)
	return major, minor, err1 == nil && err2 == nil
}
