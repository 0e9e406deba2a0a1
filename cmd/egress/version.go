package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/egresslab/egress/servicetag"
	"github.com/spf13/cobra"
)

// commit is the source commit, for builds whose build info has none
// (-buildvcs=false): go build -ldflags "-X main.commit=$(git rev-parse HEAD)".
var commit string

// versionInfo is what egress version prints.
type versionInfo struct {
	SchemaVersion int    `json:"schemaVersion"`
	Module        string `json:"module"`
	Version       string `json:"version"`
	Commit        string `json:"commit"`
	Modified      bool   `json:"modified,omitempty"`
	Go            string `json:"go"`
	// ServiceTags names the embedded service-tags file.
	ServiceTags        string `json:"serviceTags"`
	ServiceTagsChanges int    `json:"serviceTagsChangeNumber"`
}

// buildVersion reads the build information and the embedded service tags.
func buildVersion() versionInfo {
	v := versionInfo{SchemaVersion: 1, Module: "github.com/egresslab/egress", Version: "(devel)", Commit: commit, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path != "" {
			v.Module = bi.Main.Path
		}
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if v.Commit == "" {
					v.Commit = s.Value
				}
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	if tags, err := servicetag.Default(); err == nil {
		v.ServiceTags = fmt.Sprintf("%s changeNumber %d", tags.Cloud(), tags.ChangeNumber())
		v.ServiceTagsChanges = tags.ChangeNumber()
	}
	return v
}

// String renders the version as egress --version prints it.
func (v versionInfo) String() string {
	c := v.Commit
	if v.Modified {
		c += " (modified)"
	}
	return fmt.Sprintf("egress %s\nmodule: %s\ncommit: %s\ngo: %s\nservice tags: %s (embedded)\n", v.Version, v.Module, c, v.Go, v.ServiceTags)
}

// versionString is a placeholder that makes cobra add --version; run puts
// the real text in when --version is asked for, to spare every other run
// the cost of reading the embedded service tags for it.
func versionString() string { return "egress (devel)\n" }

func cmdVersion(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "The module version, commit and embedded service-tags changeNumber",
		Long: `Print the module version and commit egress was built from, the Go version, and the
changeNumber of the embedded service-tags file (results depend on it: Azure changes the
file weekly).`,
		Example: `  egress version
  egress version -o json`,
		Args: cobra.NoArgs,
	}
	e.outputFlags(cmd, "table", "json", "yaml")
	cmd.RunE = e.runE(func() error {
		v := buildVersion()
		return e.print(v, nil, func(w io.Writer) error {
			_, err := fmt.Fprint(w, v)
			return err
		})
	})
	return cmd
}
