package main

// Pinned dependencies not yet imported by code; removed once every one is used.

import (
	_ "github.com/aymanbagabas/go-udiff"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/mattn/go-isatty"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
	_ "github.com/google/go-cmp/cmp"
)

