package i18n

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file finds the message keys the module's source uses, for the
// catalog tests. A key is used when it is a string literal given to
//
//   - i18n.T(ctx, "key", …), or T(ctx, "key", …) inside this package;
//   - a Locale's method, l.T("key", …) or i18n.FromContext(ctx).T("key", …);
//   - i18n.Key("key"), which marks a key that reaches T through a variable.
//
// Go files are read with go/parser; templ sources (*.templ), which are not
// Go, with regular expressions. The generated *_templ.go files, tests,
// vendor/ and testdata/ are skipped.

const modulePath = "github.com/apartado/apartado"

// srcPos is a place in the module, relative to its root.
type srcPos struct {
	File string // slash-separated, e.g. "handlers/settings.go"
	Line int
}

func (p srcPos) String() string { return p.File + ":" + strconv.Itoa(p.Line) }

func comparePos(a, b srcPos) int {
	return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
}

// keyUse is one use of a message key.
type keyUse struct {
	Key string
	Pos srcPos
}

// sourceKeys is what scanning the module found.
type sourceKeys struct {
	Uses []keyUse
	// Dynamic are the T calls whose key is not a literal: the key reaches T
	// through a variable and must be marked with Key where it is written.
	Dynamic []srcPos
	// BadKey are Key calls whose argument is not a string literal.
	BadKey []srcPos
}

// byKey groups the uses by key, each key's places sorted.
func (s sourceKeys) byKey() map[string][]srcPos {
	m := make(map[string][]srcPos)
	for _, u := range s.Uses {
		m[u.Key] = append(m[u.Key], u.Pos)
	}
	for _, ps := range m {
		slices.SortFunc(ps, comparePos)
	}
	return m
}

// moduleRoot is the module's root: the parent of this package's directory,
// which is the test's working directory.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	if !strings.Contains(string(mod), "module "+modulePath+"\n") {
		return "", fmt.Errorf("module root: %s/go.mod is not %s", root, modulePath)
	}
	return root, nil
}

// scanModule finds every message key used under root.
func scanModule(root string) (sourceKeys, error) {
	var out sourceKeys
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if name == "vendor" || name == "testdata" || name == "node_modules" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		switch {
		case strings.HasSuffix(name, ".templ"):
			return scanTempl(path, rel, &out)
		case !strings.HasSuffix(name, ".go"),
			strings.HasSuffix(name, "_test.go"),
			strings.HasSuffix(name, "_templ.go"):
			return nil
		}
		return scanGo(path, rel, &out)
	})
	return out, err
}

// scanGo records the keys used in one Go file.
func scanGo(path, rel string, out *sourceKeys) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	// How this file names the i18n package: "i18n", an alias, or "." (dot
	// import); inside the package itself, calls are unqualified.
	pkgName := ""
	unqualified := f.Name.Name == "i18n" && filepath.ToSlash(filepath.Dir(rel)) == "i18n"
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == modulePath+"/i18n" {
			pkgName = "i18n"
			if imp.Name != nil {
				pkgName = imp.Name.Name
			}
		}
	}
	if pkgName == "." {
		unqualified, pkgName = true, ""
	}
	isPkg := func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && pkgName != "" && id.Name == pkgName
	}
	pos := func(n ast.Node) srcPos { return srcPos{File: rel, Line: fset.Position(n.Pos()).Line} }

	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var fn string
		keyArg := -1
		switch fun := call.Fun.(type) {
		case *ast.SelectorExpr:
			fn = fun.Sel.Name
			switch {
			case isPkg(fun.X) && fn == "T":
				keyArg = 1 // i18n.T(ctx, key, …)
			case isPkg(fun.X) && fn == "Key":
				keyArg = 0
			case fn == "T":
				keyArg = 0 // a Locale's T(key, …)
			}
		case *ast.Ident:
			fn = fun.Name
			if unqualified && fn == "T" {
				keyArg = 1
			} else if unqualified && fn == "Key" {
				keyArg = 0
			}
		}
		if keyArg < 0 || len(call.Args) <= keyArg {
			return true
		}
		key, ok := stringConst(call.Args[keyArg])
		switch {
		case ok:
			out.Uses = append(out.Uses, keyUse{Key: key, Pos: pos(call.Args[keyArg])})
		case fn == "Key":
			out.BadKey = append(out.BadKey, pos(call))
		default:
			out.Dynamic = append(out.Dynamic, pos(call))
		}
		return true
	})
	return nil
}

// stringConst evaluates a string literal, or a sum of them.
func stringConst(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return stringConst(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, ok1 := stringConst(e.X)
		y, ok2 := stringConst(e.Y)
		return x + y, ok1 && ok2
	}
	return "", false
}

// In templ sources: a Go string literal, interpreted or raw.
const templLit = `("(?:[^"\\\n]|\\.)*"|` + "`[^`]*`)"

var (
	// i18n.T(ctx, "key" — the context argument is an expression without
	// commas or quotes (ctx, r.Context()).
	templT = regexp.MustCompile(`\bi18n\.T\(\s*[^,"` + "`" + `]+?,\s*` + templLit)
	// i18n.Key("key"
	templKey = regexp.MustCompile(`\bi18n\.Key\(\s*` + templLit)
	// A Locale's method: .T("key"
	templMethod = regexp.MustCompile(`\.T\(\s*` + templLit)
	// Any i18n.T call, to find those whose key is not a literal.
	templAnyT = regexp.MustCompile(`\bi18n\.T\(`)
)

// scanTempl records the keys used in one templ source.
func scanTempl(path, rel string, out *sourceKeys) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	src := string(b)
	line := func(off int) int { return 1 + strings.Count(src[:off], "\n") }
	literal := map[int]bool{} // offsets of i18n.T calls with a literal key
	for _, re := range []*regexp.Regexp{templT, templKey, templMethod} {
		for _, m := range re.FindAllStringSubmatchIndex(src, -1) {
			key, err := strconv.Unquote(src[m[2]:m[3]])
			if err != nil {
				return fmt.Errorf("%s:%d: %w", rel, line(m[2]), err)
			}
			out.Uses = append(out.Uses, keyUse{Key: key, Pos: srcPos{File: rel, Line: line(m[2])}})
			literal[m[0]] = true
		}
	}
	for _, m := range templAnyT.FindAllStringIndex(src, -1) {
		if !literal[m[0]] {
			out.Dynamic = append(out.Dynamic, srcPos{File: rel, Line: line(m[0])})
		}
	}
	return nil
}
