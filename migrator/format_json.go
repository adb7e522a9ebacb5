package migrator

import (
	"encoding/json"
	"io"
)

type jsonFormat struct{}

func (jsonFormat) Format(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
