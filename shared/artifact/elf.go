package artifact

import (
	"debug/elf"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Amazon Linux 2023's versions, which provided.al2023 and the container
// image's base share: glibc 2.34, and GCC 11's libstdc++ (GLIBCXX_3.4.29,
// CXXABI_1.3.13).
var maxVersions = map[string]string{
	"GLIBC":   "2.34",
	"GLIBCXX": "3.4.29",
	"CXXABI":  "1.3.13",
}

// MaxGLIBC is the newest glibc an ELF file may need.
var MaxGLIBC = maxVersions["GLIBC"]

// BaseLibraries are the shared libraries Amazon Linux 2023's Lambda base
// has: glibc's and GCC's run-time libraries. Any other library an ELF
// file loads must be in the zip.
var BaseLibraries = []string{
	"libc.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libpthread.so.0", "libresolv.so.2",
	"ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
	"libstdc++.so.6", "libgcc_s.so.1",
}

// ELFReport is what CheckELF found in one file.
type ELFReport struct {
	Arch      string            // "x86_64" or "arm64"
	Static    bool              // no dynamic libraries at all
	Needed    []string          // DT_NEEDED
	Versions  map[string]string // newest version needed per prefix (GLIBC, GLIBCXX, CXXABI)
	Libraries []string          // Needed that are neither in the base nor bundled: must be empty
}

// Summary is one line for `make package`'s output.
func (r ELFReport) Summary() string {
	if r.Static {
		return r.Arch + ", static (no shared libraries)"
	}
	var v []string
	for _, k := range []string{"GLIBC", "GLIBCXX", "CXXABI"} {
		if r.Versions[k] != "" {
			v = append(v, k+" "+r.Versions[k])
		}
	}
	if len(v) == 0 {
		v = append(v, "no versioned symbols")
	}
	return fmt.Sprintf("%s, needs %s (<= glibc %s)", r.Arch, strings.Join(v, ", "), MaxGLIBC)
}

// CheckELF reads an ELF file and checks that it runs on Amazon Linux 2023
// for arch ("x86_64" or "arm64"): its machine, symbol versions no newer
// than the base's, and every library it loads in the base or in bundled
// (the file names the zip carries).
func CheckELF(path, arch string, bundled []string) (ELFReport, error) {
	f, err := elf.Open(path)
	if err != nil {
		return ELFReport{}, err
	}
	defer f.Close()
	r := ELFReport{Versions: map[string]string{}}
	switch f.Machine {
	case elf.EM_X86_64:
		r.Arch = "x86_64"
	case elf.EM_AARCH64:
		r.Arch = "arm64"
	default:
		r.Arch = f.Machine.String()
	}
	var problems []string
	if r.Arch != arch {
		problems = append(problems, fmt.Sprintf("built for %s, the function runs on %s", r.Arch, arch))
	}
	if r.Needed, err = f.ImportedLibraries(); err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return r, err
	}
	r.Static = len(r.Needed) == 0 && f.Section(".interp") == nil
	syms, err := f.ImportedSymbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return r, err
	}
	for _, s := range syms {
		prefix, version, ok := strings.Cut(s.Version, "_")
		if !ok || maxVersions[prefix] == "" {
			continue
		}
		if compareVersions(version, r.Versions[prefix]) > 0 {
			r.Versions[prefix] = version
		}
	}
	for prefix, version := range r.Versions {
		if compareVersions(version, maxVersions[prefix]) > 0 {
			problems = append(problems, fmt.Sprintf("needs %s_%s, newer than Amazon Linux 2023's %s", prefix, version, maxVersions[prefix]))
		}
	}
	for _, lib := range r.Needed {
		if !slices.Contains(BaseLibraries, lib) && !slices.Contains(bundled, lib) {
			r.Libraries = append(r.Libraries, lib)
		}
	}
	if len(r.Libraries) > 0 {
		problems = append(problems, "loads "+strings.Join(r.Libraries, ", ")+", which neither the zip nor Amazon Linux 2023's base has")
	}
	if len(problems) > 0 {
		return r, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return r, nil
}

// compareVersions compares dotted numeric versions ("" is older than any).
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	if a == "" {
		as = nil
	}
	if b == "" {
		bs = nil
	}
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}
