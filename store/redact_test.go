package store

import "testing"

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://localhost:8080", "http://localhost:8080"},
		{"https://admin:s3cret@kestra.example.com/", "https://kestra.example.com/"},
		{"https://admin:p@ss@kestra.example.com:8443/api", "https://kestra.example.com:8443/api"},
		{"https://token@kestra.example.com", "https://kestra.example.com"},
		{"https://kestra.example.com/?access_token=abc#frag", "https://kestra.example.com/"},
		{"admin:s3cret@kestra:8080", "kestra:8080"},
		{"http://admin:s3cret@[::1", "http://[::1"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no url here", "no url here"},
		{"mail me at a@b.c", "mail me at a@b.c"},
		{`Get "https://admin:pw@kestra/api/v1/flows": EOF`, `Get "https://kestra/api/v1/flows": EOF`},
		{"http://u:p@ss@h/x and http://v:q@g", "http://h/x and http://g"},
	}
	for _, tt := range tests {
		if got := scrubText(tt.in); got != tt.want {
			t.Errorf("scrubText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
