package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

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

// ReadFile reads the file at path for a loader, refusing more than
// MaxFileSize bytes with an [ErrTooLarge] error that says so. Every input
// egress reads goes through it or a tighter limit (an overlay:
// [MaxNativeSize]; service tags: servicetag.MaxSize).
func ReadFile(path string) ([]byte, error) { return readFile(path, MaxFileSize) }

// readFile reads a whole file, refusing more than limit bytes: a regular file
// by its size, before reading it; anything else (a pipe, /dev/zero) while
// reading it, after limit+1 bytes.
func readFile(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		if fi.Size() > int64(limit) {
			return nil, tooLarge(path, limit, fi.Size())
		}
		// Read into a buffer of the file's size (and what ReadFrom asks to
		// have free), not one grown from nothing: a 25 MB export is read
		// in one allocation.
		b := bytes.NewBuffer(make([]byte, 0, int(fi.Size())+bytes.MinRead+1))
		if _, err := b.ReadFrom(io.LimitReader(f, int64(limit)+1)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if b.Len() > limit {
			return nil, tooLarge(path, limit, -1)
		}
		return b.Bytes(), nil
	}
	return readLimited(path, f, limit)
}

// readLimited reads r to its end, refusing more than limit bytes.
func readLimited(name string, r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > limit {
		return nil, tooLarge(name, limit, -1)
	}
	return data, nil
}

// tooLarge is the error for an input of more than limit bytes (size, if
// known).
func tooLarge(name string, limit int, size int64) error {
	detail := fmt.Sprintf("more than %d MiB", limit>>20)
	if size >= 0 {
		detail += fmt.Sprintf(" (%d bytes)", size)
	}
	return &Error{Pos: Pos{File: name}, Kind: ErrTooLarge, Detail: detail}
}

// LoadFiles reads one or more files, each either a native YAML design or an
// Azure export in any ARM JSON wrapper (detected from the content), and
// validates the model they make together. Every problem of every file is
// reported together; on error no model is returned.
//
// The files are one resource set: every ARM file is parsed first, then the
// model is built from all their resources at once ([FromARM]), so a child
// in one file (an az network nsg rule create output) attaches to its parent
// in another, a resource declared in two files merges when both declarations
// say the same, and an association given in one file from the other side
// (a NAT gateway's subnets) reaches the subnet in another. Native designs
// are merged in after, the same way. The model lists the ARM files'
// resources first, then the native designs', each in file order. Warnings
// are kept with the model ([Model.Warnings]). ARM templates are evaluated
// with the default deployment context (see [LoadFilesWith]).
func LoadFiles(tags route.TagResolver, paths ...string) (*Model, error) {
	return LoadFilesWith(LoadOptions{Tags: tags}, paths...)
}

// LoadFilesWith is [LoadFiles] with options: the service tags and how ARM
// templates are evaluated (parameters, deployment context, limits).
// Parameters files and overrides that apply to none of the templates are
// errors ([arm.Parameters.Unused]).
func LoadFilesWith(opts LoadOptions, paths ...string) (*Model, error) {
	m, err := ParseFiles(opts, paths...)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(opts.Tags); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseFiles is [LoadFilesWith] without the validation: it reads, parses and
// merges the files into one model and returns the problems that stop it
// from being built. A caller that wants to go on past resources Azure would
// reject or references outside the input (as the CLI does) calls
// [Model.Check] on the model and decides.
func ParseFiles(opts LoadOptions, paths ...string) (*Model, error) {
	return parseInputs(opts, paths, nil)
}

// parseInputs is ParseFiles for the files at paths, then the inputs.
func parseInputs(opts LoadOptions, paths []string, inputs []Input) (*Model, error) {
	topts := templateOptions(opts.Template)
	var errs []error
	var rs []arm.Resource
	var natives []*Model
	parse := func(path string, data []byte) error {
		switch arm.Detect(data) {
		case arm.FormatJSON:
			if ok, _ := isTerraformJSON(data); ok {
				m, err := ParseTerraform(path, data)
				if m != nil {
					natives = append(natives, m)
				}
				return err
			}
			r, err := arm.ParseWith(path, bytes.NewReader(data), topts)
			rs = append(rs, r...)
			return err
		case arm.FormatYAML:
			m, err := ParseNative(path, data)
			natives = append(natives, m)
			return err
		}
		return &Error{Pos: Pos{File: path}, Kind: ErrSyntax, Detail: "neither JSON nor YAML text (empty, binary or UTF-16): want an ARM export or a native design"}
	}
	for _, path := range paths {
		data, err := readFile(path, MaxFileSize)
		if err == nil {
			err = parse(path, data)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, in := range inputs {
		var err error
		if len(in.Data) > MaxFileSize {
			err = tooLarge(in.Name, MaxFileSize, int64(len(in.Data)))
		} else {
			err = parse(in.Name, in.Data)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := opts.Template.Parameters.Unused(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	merged, p, w := fromARM(rs)
	for _, m := range natives {
		merged.merge(m)
	}
	merged.complete(&p, &w)
	if err := p.err(); err != nil {
		return nil, err
	}
	merged.addWarnings(&w)
	return merged, nil
}

// merge appends o's resources to m, with its warnings and pending
// associations. Duplicates are merged by Model.complete; what remains is
// reported by Validate.
func (m *Model) merge(o *Model) {
	m.addWarnings(&o.warnings)
	m.backrefs = append(m.backrefs, o.backrefs...)
	m.firewallHops = append(m.firewallHops, o.firewallHops...)
	for t, n := range o.Skipped {
		if m.Skipped == nil {
			m.Skipped = map[string]int{}
		}
		m.Skipped[t] += n
	}
	// Every resource list, by reflection: a list added to the model cannot
	// be forgotten here.
	dst, src := reflect.ValueOf(m).Elem(), reflect.ValueOf(o).Elem()
	for i := range dst.NumField() {
		if f := dst.Field(i); f.Kind() == reflect.Slice && dst.Type().Field(i).IsExported() {
			f.Set(reflect.AppendSlice(f, src.Field(i)))
		}
	}
	m.idx = nil
}
