package kestrafake

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strconv"
)

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	f, e := searchFilter(r.URL.Query())
	if e != nil {
		writeJSONError(w, e)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	s.mu.Lock()
	var err error
	s.each(f, func(rec *record) {
		if err == nil {
			err = s.zipEntry(zw, rec)
			s.maybeEdit(rec, true)
		}
	})
	s.mu.Unlock()
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		writeJSONError(w, &apiError{status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="flows.zip"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) zipEntry(zw *zip.Writer, rec *record) error {
	sep := "-"
	if s.opts.ExportNaming == NamingDot || s.opts.ExportNaming == NamingAuto && !s.version.atLeast(1, 0) {
		sep = "."
	}
	fw, err := zw.Create(rec.ns + sep + rec.id + ".yml")
	if err != nil {
		return err
	}
	_, err = io.WriteString(fw, rec.current().source)
	return err
}
