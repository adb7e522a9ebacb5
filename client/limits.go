package client

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"golang.org/x/sync/semaphore"
)

// sizedBody is an answer's body with its Content-Length (-1: unknown).
type sizedBody struct {
	io.Reader
	size int64
}

// answerLimits bound the memory answers take, whatever the server sends:
// one JSON answer may hold at most max bytes, and the answers being read or
// decoded at once at most budget bytes together (a request waits for room).
type answerLimits struct {
	max    int64
	budget *semaphore.Weighted
}

func newAnswerLimits(maxAnswer, budget int64) *answerLimits {
	return &answerLimits{max: maxAnswer, budget: semaphore.NewWeighted(max(budget, maxAnswer))}
}

// read reads a JSON answer within the limits; release gives its room back
// once the caller has decoded it. An answer over the limit is a permanent
// error (retrying cannot shrink it), refused before it is read when the
// server says its size.
func (l *answerLimits) read(ctx context.Context, body io.Reader) (buf []byte, release func(), err error) {
	size := int64(-1)
	if s, ok := body.(sizedBody); ok {
		size = s.size
	}
	if size > l.max {
		return nil, nil, &permanentError{l.tooLarge(fmt.Sprintf("the answer (%d bytes)", size))}
	}
	held := l.max // unknown size: the worst case
	if size >= 0 {
		held = size
	}
	if err := l.budget.Acquire(ctx, held); err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			l.budget.Release(held)
		}
	}()
	var b bytes.Buffer
	if size >= 0 {
		b.Grow(int(size) + bytes.MinRead) // one allocation; ReadFrom wants MinRead spare
	}
	if _, err := b.ReadFrom(io.LimitReader(body, l.max+1)); err != nil {
		return nil, nil, err
	}
	if int64(b.Len()) > l.max {
		return nil, nil, &permanentError{l.tooLarge("the answer")}
	}
	buf = b.Bytes()
	if used := int64(cap(buf)); used < held {
		l.budget.Release(held - used) // keep what the buffer takes
		held = used
	}
	var once bool
	return buf, func() {
		if !once {
			once = true
			l.budget.Release(held)
		}
	}, nil
}

func (l *answerLimits) tooLarge(what string) error {
	return fmt.Errorf("%s is larger than the limit of %d bytes for one answer (client max-answer-size): refused", what, l.max)
}
