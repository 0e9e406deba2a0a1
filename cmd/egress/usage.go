package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// groupAnnotation is the pflag annotation that puts a flag in a group of
// the help: the command's own flags come first, then the shared groups.
const groupAnnotation = "egress_group"

// Flag groups of the help, in the order they print.
const (
	groupInput    = "Input flags"
	groupTemplate = "ARM template flags (for templates among the inputs)"
	groupSim      = "Simulator assumptions"
	groupOutput   = "Output flags"
)

// helpWidth is the width flag help wraps at.
const helpWidth = 100

var groupOrder = []string{"Flags", groupInput, groupTemplate, groupSim, groupOutput}

// inGroup puts the flags that fs has, but that before did not, in group.
func inGroup(fs *pflag.FlagSet, group string, register func()) {
	before := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { before[f.Name] = true })
	register()
	fs.VisitAll(func(f *pflag.Flag) {
		if !before[f.Name] {
			_ = fs.SetAnnotation(f.Name, groupAnnotation, []string{group})
		}
	})
}

// usageFunc writes a command's usage as cobra does, with its flags in
// groups: its own, then input, template, simulator and output flags.
func usageFunc(c *cobra.Command) error {
	w := c.OutOrStderr()
	var b strings.Builder
	b.WriteString("Usage:")
	if c.Runnable() && c.HasParent() && !c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n  %s", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n  %s <command> [flags]", c.CommandPath())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, "\n\nAliases:\n  %s", c.NameAndAliases())
	}
	if c.HasExample() {
		fmt.Fprintf(&b, "\n\nExamples:\n%s", c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\nAvailable Commands:")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s %s", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	groups := map[string]*pflag.FlagSet{}
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := "Flags"
		if a := f.Annotations[groupAnnotation]; len(a) > 0 {
			g = a[0]
		}
		if groups[g] == nil {
			groups[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
			groups[g].SortFlags = false
		}
		groups[g].AddFlag(f)
	})
	for _, g := range groupOrder {
		if fs := groups[g]; fs != nil {
			fmt.Fprintf(&b, "\n\n%s:\n%s", g, flagUsages(fs))
		}
	}
	if c.HasAvailableInheritedFlags() {
		fmt.Fprintf(&b, "\n\nGlobal Flags:\n%s", flagUsages(c.InheritedFlags()))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n\nUse \"%s <command> --help\" for more information about a command.", c.CommandPath())
	}
	b.WriteString("\n")
	_, err := fmt.Fprint(w, b.String())
	return err
}

// flagUsages renders flags as pflag does, wrapped, without the
// "[=true|false]" pflag v1.1 puts after boolean flags (blanked, so that the
// columns stay aligned): a boolean flag is given alone.
func flagUsages(fs *pflag.FlagSet) string {
	s := fs.FlagUsagesWrapped(helpWidth)
	s = strings.ReplaceAll(s, "[=true|false]", strings.Repeat(" ", len("[=true|false]")))
	lines := strings.Split(strings.TrimRight(s, " \n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
