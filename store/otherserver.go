package store

import "errors"

// ErrOtherServer: the state file's records belong to another server (exit
// 2). Agreed with cmd, see BRIEF.md.
var ErrOtherServer = errors.New("records of another server")
