package arm

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Options control how [ParseWith] and [ParseFilesWith] evaluate ARM
// templates; other wrappers are read as [Parse] reads them. The zero Options
// is what Parse and ParseFiles use: the defaults stated on each field.
//
// Options is a plain value; copy it freely. Parameters, if set, is shared.
type Options struct {
	// SubscriptionID and ResourceGroup are the scope the templates are
	// deployed to: what subscription() and resourceGroup() return and
	// where resourceId() and the synthesized resource IDs place resources.
	// When both are empty, a template whose literal resource IDs name its
	// own resources in one resource group (as an export with
	// SkipAllParameterization has) is evaluated in that scope, and other
	// templates in the placeholder scope [TemplateSubscription],
	// [TemplateResourceGroup]. An empty field with the other set takes
	// its placeholder.
	SubscriptionID string
	ResourceGroup  string

	// Location is the region of the resource group: resourceGroup().location
	// (and deployment().location of subscription deployments). Empty means
	// unknown: values that depend on it, such as the location of a
	// resource declared with "[resourceGroup().location]", are unresolved
	// (see [Resource.Unresolved]). Resources with a literal location keep
	// it. Resource groups that nested deployments target other than the
	// deployment's own have an unknown location too.
	Location string

	// DeploymentName is deployment().name of the top-level deployment.
	// Empty means the template file's name without its directory and
	// extension, as the Azure CLI names deployments (az deployment group
	// create --template-file main.json deploys "main").
	DeploymentName string

	// Parameters are values for template parameters, from parameters files
	// and name=value overrides; nil gives every parameter its defaultValue.
	Parameters *Parameters

	// Needed reports whether the caller reads resources of a type, such as
	// "Microsoft.Network/virtualNetworks". A template resource whose name,
	// condition, copy count or scope cannot be evaluated is an error when
	// its type is needed, and is left out when it is not (a virtual
	// machine named by a parameter nobody gave does not stop a network
	// from loading). Nil needs every type.
	Needed func(resourceType string) bool

	// Limits bound the evaluation; zero fields take the defaults.
	Limits Limits

	// KeepDuplicates keeps resources whose IDs repeat, within or across
	// files, instead of reporting them as [ErrDuplicate], for a caller
	// that merges them (see [ParseKeepDuplicates]).
	KeepDuplicates bool
}

// Limits bound the work and the output of evaluating one template file, so
// that no template (a copy loop of 800 copy loops, a string doubled by 60
// variables) can exhaust time or memory. Each limit reached is an *[Error]
// wrapping [ErrLimit] that names the limit; the zero value of a field takes
// the default in its comment. Limits is a plain value.
type Limits struct {
	// MaxCopy is the most iterations of one copy loop: 800, Azure's limit
	// ("Resource iteration in ARM templates", Copy limits).
	MaxCopy int
	// MaxResources is the most resources one template file may declare,
	// with every copy and nested deployment counted: 10,000 (Azure allows
	// 800 a template, "ARM template best practices", Template limits, and
	// nested deployments multiply it).
	MaxResources int
	// MaxNesting is the deepest chain of nested deployments: 32.
	MaxNesting int
	// MaxSteps is the most function calls, property accesses and values
	// evaluated: 20,000,000 (a few seconds on the reference machine; a
	// template of 1,000 resources takes about 200,000).
	MaxSteps int
	// MaxOutput is the most bytes of values evaluation creates, counted
	// as the length of their strings, 64 bytes a value and 80 bytes an
	// element of an array or object: 128 MiB (a template of 1,000
	// resources creates about 10 MB). Memory use peaks at about twice it.
	MaxOutput int
}

// Default limits; see [Limits].
const (
	DefaultMaxCopy      = 800
	DefaultMaxResources = 10000
	DefaultMaxNesting   = 32
	DefaultMaxSteps     = 20_000_000
	DefaultMaxOutput    = 128 << 20
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxCopy, DefaultMaxCopy)
	def(&l.MaxResources, DefaultMaxResources)
	def(&l.MaxNesting, DefaultMaxNesting)
	def(&l.MaxSteps, DefaultMaxSteps)
	def(&l.MaxOutput, DefaultMaxOutput)
	return l
}

// ParameterFile is one parsed ARM parameters file
// (https://learn.microsoft.com/azure/azure-resource-manager/templates/parameter-files):
//
//	{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
//	 "contentVersion": "1.0.0.0",
//	 "parameters": {"name": {"value": ...}, "secret": {"reference": {"keyVault": {"id": ...}, "secretName": ...}}}}
//
// or the bare "parameters" object alone, which the Azure CLI also accepts.
// Values are literal, as ARM reads them: a "[...]" string in a parameters
// file is not an expression. A Key Vault reference cannot be read offline;
// values that depend on it are unresolved.
//
// A ParameterFile is immutable and safe for concurrent use.
type ParameterFile struct {
	name   string
	pos    Pos
	params []fileParam // in document order
}

type fileParam struct {
	name string
	v    *Value // the "value" member, or the "reference" object when ref
	ref  bool
}

// Names returns the names of the file's parameters, in document order.
func (f *ParameterFile) Names() []string {
	out := make([]string, len(f.params))
	for i, p := range f.params {
		out[i] = p.name
	}
	return out
}

// ParseParameterFile reads an ARM parameters file from r; file names it in
// positions. Problems are *[Error]s with positions, wrapping [ErrSyntax],
// [ErrLimit] or [ErrParameter]; all of them are reported.
func ParseParameterFile(file string, r io.Reader) (*ParameterFile, error) {
	if r == nil {
		return nil, &Error{Pos: Pos{File: file}, Detail: "nil reader", Kind: ErrParameter}
	}
	root, err := ParseValue(file, r)
	if err != nil {
		return nil, err
	}
	var errs errList
	f := &ParameterFile{name: file, pos: root.Pos()}
	ps := root.Get("parameters")
	schema, _ := root.Get("$schema").Str()
	switch {
	case root.Kind() != KindObject:
		errs.addf(root.Pos(), "", "", ErrParameter, "a parameters file is a JSON object, found %s", root.Kind())
	case ps == nil && has(root, "resources"):
		errs.addf(root.Pos(), "", "", ErrParameter, "this is a template, not a parameters file: give it as a topology")
	case ps == nil && schema != "":
		errs.addf(root.Pos(), "", "parameters", ErrParameter, "parameters file has no \"parameters\" object")
	case ps == nil:
		ps = root // the bare form: {"name": {"value": ...}}
	case ps.Kind() != KindObject:
		errs.addf(ps.Pos(), "", "parameters", ErrParameter, "expected an object of parameters, found %s", ps.Kind())
	}
	if ps.Kind() == KindObject {
		seen := map[string]string{}
		for name, p := range ps.Members() {
			field := "parameters." + name
			if prev, ok := seen[strings.ToLower(name)]; ok {
				errs.addf(p.Pos(), "", field, ErrParameter, "parameter %q is given twice (also as %q): names are case-insensitive", name, prev)
				continue
			}
			seen[strings.ToLower(name)] = name
			if p.Kind() != KindObject {
				errs.addf(p.Pos(), "", field, ErrParameter, "expected {\"value\": ...} or {\"reference\": ...}, found %s", p.Kind())
				continue
			}
			val, ref := p.Get("value"), p.Get("reference")
			_, hasVal := memberOf(p, "value")
			switch {
			case hasVal && ref != nil:
				errs.addf(p.Pos(), "", field, ErrParameter, "parameter has both \"value\" and \"reference\"")
			case ref != nil:
				if ref.Kind() != KindObject || ref.Get("keyVault").Get("id") == nil || ref.Get("secretName") == nil {
					errs.addf(ref.Pos(), "", field+".reference", ErrParameter, "expected a Key Vault reference {\"keyVault\": {\"id\": ...}, \"secretName\": ...}")
					continue
				}
				f.params = append(f.params, fileParam{name: name, v: ref, ref: true})
			case hasVal:
				if val == nil { // "value": null
					val, _ = memberOf(p, "value")
				}
				f.params = append(f.params, fileParam{name: name, v: val})
			default:
				errs.addf(p.Pos(), "", field, ErrParameter, "parameter has neither \"value\" nor \"reference\"")
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// memberOf returns the member of object v named key (case-insensitively),
// null members included; of an object that holds key twice, the last one, as
// [Value.Get] does.
func memberOf(v *Value, key string) (*Value, bool) {
	if v.Kind() != KindObject {
		return nil, false
	}
	var m *Value
	for i, k := range v.keys {
		if strings.EqualFold(k, key) {
			m = &v.kids[i]
			if !v.dup {
				break
			}
		}
	}
	return m, m != nil
}

// ReadParameterFiles reads and parses parameters files by path, reporting
// the problems of all of them together.
func ReadParameterFiles(paths ...string) ([]*ParameterFile, error) {
	var errs errList
	var out []*ParameterFile
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			errs.add(&Error{Pos: Pos{File: path}, Kind: err})
			continue
		}
		pf, err := ParseParameterFile(path, f)
		f.Close()
		if err != nil {
			errs.merge(err)
			continue
		}
		out = append(out, pf)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Parameters holds values for template parameters: parameters files and
// name=value overrides. A template takes, for each parameter it declares,
// the last override naming it, else the value of the last parameters file
// that applies to it, else its defaultValue. A parameters file applies to a
// template that declares every parameter the file names (ARM rejects a
// parameters file with a parameter its template lacks), so one set of files
// serves several templates. Names match case-insensitively. An override's
// text is read as the declared type: an int, true or false, JSON for arrays
// and objects, and as it is for strings. A null value counts as no value.
// Given values are checked against the declared type, allowedValues,
// minValue, maxValue, minLength and maxLength ([ErrParameter]).
//
// Parameters records which files and overrides applied to some template.
// After evaluating every template of a load, [Parameters.Unused] reports
// the others: a file that fits no template, or an override that names a
// parameter no template declares, is almost certainly a mistake. Use a new
// Parameters for each load. Parameters is safe for concurrent use.
type Parameters struct {
	files     []*ParameterFile
	overrides []override

	mu       sync.Mutex
	usedFile []bool
	usedOver []bool
}

type override struct {
	name, text string
	src        *source
}

// NewParameters returns the parameters of files and of overrides of the form
// name=value, applied in that order (later wins). An override without "=" or
// with an empty name is an error wrapping [ErrParameter].
func NewParameters(files []*ParameterFile, overrides ...string) (*Parameters, error) {
	p := &Parameters{files: slices.Clone(files), usedFile: make([]bool, len(files))}
	var errs errList
	for _, o := range overrides {
		name, val, ok := strings.Cut(o, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			errs.addf(Pos{File: o}, "", "", ErrParameter, "want a parameter override of the form name=value")
			continue
		}
		p.overrides = append(p.overrides, override{name: name, text: val, src: &source{name: o, text: val, whole: true}})
	}
	p.usedOver = make([]bool, len(p.overrides))
	if err := errs.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// given is a value supplied for a parameter: a final value (v), a Key Vault
// reference (ref), or an override's text to convert to the declared type.
type given struct {
	v    *Value
	ref  bool
	text *override
}

// bind returns the values the parameters give a template that declares the
// parameters named in declared (lower-case), and records their use.
func (p *Parameters) bind(declared map[string]*param) map[string]given {
	if p == nil {
		return nil
	}
	out := map[string]given{}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.files {
		fits := len(f.params) > 0
		for _, fp := range f.params {
			if declared[strings.ToLower(fp.name)] == nil {
				fits = false
				break
			}
		}
		if !fits {
			continue
		}
		p.usedFile[i] = true
		for _, fp := range f.params {
			out[strings.ToLower(fp.name)] = given{v: fp.v, ref: fp.ref}
		}
	}
	for i := range p.overrides {
		o := &p.overrides[i]
		if declared[strings.ToLower(o.name)] == nil {
			continue
		}
		p.usedOver[i] = true
		out[strings.ToLower(o.name)] = given{text: o}
	}
	return out
}

// Unused returns an error for each parameters file that applied to no
// template evaluated with p and each override whose parameter no such
// template declares, or nil. The errors are *[Error]s wrapping
// [ErrParameter]: a file's is positioned at the file, an override's names
// the override as given.
func (p *Parameters) Unused() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs errList
	for i, f := range p.files {
		if p.usedFile[i] || len(f.params) == 0 {
			continue
		}
		names := f.Names()
		if len(names) > 8 {
			names = append(names[:8], "...")
		}
		errs.addf(f.pos, "", "", ErrParameter,
			"parameters file applies to no template: none declares all of its parameters (%s); ARM rejects a parameter its template does not declare",
			strings.Join(names, ", "))
	}
	for i, o := range p.overrides {
		if !p.usedOver[i] {
			errs.addf(Pos{File: o.src.name}, "", "", ErrParameter, "no template declares parameter %q", o.name)
		}
	}
	return errs.err()
}

// deploymentName is the default deployment().name for a template file.
func deploymentName(file string) string {
	base := filepath.Base(file)
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" || base == "." || base == string(filepath.Separator) {
		return "deployment"
	}
	return base
}
