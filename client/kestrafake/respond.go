package kestrafake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
)

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeValue(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, &apiError{status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// writeJSONError writes Kestra's error body (ErrorController).
func writeJSONError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{
		"message": e.message,
		"_links":  map[string]any{"self": map[string]any{"href": "", "templated": false}},
	}
	if e.path != "" {
		body["_embedded"] = map[string]any{"errors": []map[string]string{{"message": e.message, "path": e.path}}}
	}
	b, _ := json.Marshal(body)
	writeJSON(w, e.status, b)
}

// readYAML reads a flow body; Kestra routes only application/x-yaml to the
// YAML endpoints.
func readYAML(w http.ResponseWriter, r *http.Request) (string, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-yaml" && mt != "application/yaml" {
		writeJSONError(w, &apiError{status: http.StatusUnsupportedMediaType,
			message: "Content Type [" + r.Header.Get("Content-Type") + "] not allowed. Allowed types: [application/x-yaml]"})
		return "", false
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSONError(w, &apiError{status: http.StatusBadRequest, message: "read body: " + err.Error()})
		return "", false
	}
	return string(b), true
}
