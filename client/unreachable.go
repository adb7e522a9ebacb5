package client

import "errors"

// ErrUnreachable: the server could not be reached for a while (the circuit
// breaker opened); the run stops (exit 1). Agreed with cmd, see BRIEF.md.
var ErrUnreachable = errors.New("server unreachable")
