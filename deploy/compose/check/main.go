// Command compose-check loads a compose file the way Docker Compose does (with compose-go, its
// loader: schema validation, interpolation, merges, relative paths) and prints the resolved
// project as JSON, or the loader's errors and exit status 1. It needs no Docker engine.
//
//	compose-check [-env-file FILE] docker-compose.yml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	envFile := flag.String("env-file", "", "read variables from this file as well (like --env-file)")
	flag.Parse()
	options := []cli.ProjectOptionsFn{cli.WithOsEnv}
	if *envFile != "" {
		options = append(options, cli.WithEnvFiles(*envFile), cli.WithDotEnv)
	}
	if err := check(flag.Args(), options); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func check(files []string, options []cli.ProjectOptionsFn) error {
	projectOptions, err := cli.NewProjectOptions(files, options...)
	if err != nil {
		return err
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		return err
	}
	resolved, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(resolved)
	return err
}
