package topology

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology/arm"
)

// MaxFileSize is the largest input file a loader accepts (256 MiB): larger
// files fail with [ErrTooLarge] rather than exhausting memory.
const MaxFileSize = 256 << 20

// LoadNative reads and validates a design in the native YAML format. Every
// problem is reported, with file:line:col; on error no model is returned.
// tags resolves service tags (nil resolves none).
func LoadNative(file string, data []byte, tags route.TagResolver) (*Model, error) {
	m, err := ParseNative(file, data)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(tags); err != nil {
		return nil, err
	}
	return m, nil
}

// readFile reads a whole file, refusing more than MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{Pos: Pos{File: path}, Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d MiB", MaxFileSize>>20)}
	}
	return data, nil
}

// LoadFiles reads one or more files, each either a native YAML design or an
// Azure export in any ARM JSON wrapper (detected from the content), merges
// them into one model and validates it. Every problem of every file is
// reported together; on error no model is returned. ARM templates are
// evaluated with the default deployment context (see [LoadFilesWith]).
func LoadFiles(tags route.TagResolver, paths ...string) (*Model, error) {
	return LoadFilesWith(LoadOptions{Tags: tags}, paths...)
}

// LoadFilesWith is [LoadFiles] with options: the service tags and how ARM
// templates are evaluated (parameters, deployment context, limits).
// Parameters files and overrides that apply to none of the templates are
// errors ([arm.Parameters.Unused]).
func LoadFilesWith(opts LoadOptions, paths ...string) (*Model, error) {
	merged := &Model{}
	var errs []error
	for _, path := range paths {
		data, err := readFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var m *Model
		switch arm.Detect(data) {
		case arm.FormatJSON:
			m, err = ParseARMWith(path, data, opts.Template)
		case arm.FormatYAML:
			m, err = ParseNative(path, data)
		default:
			err = &Error{Pos: Pos{File: path}, Err: ErrSyntax, Detail: "neither JSON nor YAML text (empty, binary or UTF-16): want an ARM export or a native design"}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		merged.merge(m)
	}
	if err := opts.Template.Parameters.Unused(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := merged.Validate(opts.Tags); err != nil {
		return nil, err
	}
	return merged, nil
}

// merge appends o's resources to m. Duplicate IDs are reported by Validate.
func (m *Model) merge(o *Model) {
	m.VNets = append(m.VNets, o.VNets...)
	m.NICs = append(m.NICs, o.NICs...)
	m.RouteTables = append(m.RouteTables, o.RouteTables...)
	m.NSGs = append(m.NSGs, o.NSGs...)
	m.ASGs = append(m.ASGs, o.ASGs...)
	m.PublicIPs = append(m.PublicIPs, o.PublicIPs...)
	m.PublicIPPrefixes = append(m.PublicIPPrefixes, o.PublicIPPrefixes...)
	m.NATGateways = append(m.NATGateways, o.NATGateways...)
	m.LoadBalancers = append(m.LoadBalancers, o.LoadBalancers...)
	m.Gateways = append(m.Gateways, o.Gateways...)
	m.LocalNetworkGateways = append(m.LocalNetworkGateways, o.LocalNetworkGateways...)
	m.Connections = append(m.Connections, o.Connections...)
	m.RouteServers = append(m.RouteServers, o.RouteServers...)
	m.PrivateEndpoints = append(m.PrivateEndpoints, o.PrivateEndpoints...)
	m.Firewalls = append(m.Firewalls, o.Firewalls...)
	m.FirewallPolicies = append(m.FirewallPolicies, o.FirewallPolicies...)
	m.AIAccounts = append(m.AIAccounts, o.AIAccounts...)
	m.IPGroups = append(m.IPGroups, o.IPGroups...)
	m.AdminConfigs = append(m.AdminConfigs, o.AdminConfigs...)
	m.idx = nil
}
