package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/apartado/apartado/"

// forbidden lists, per package (a folder under the module), the imports it
// must not have: a prefix of the module's own packages, or a standard
// library path. The rules are the ones each package's doc states.
var forbidden = map[string][]string{
	// The application layer: rules and steps, no HTTP, no scheduling,
	// nothing of the adapters above it.
	"app": {"net/http", "handlers", "web", "static", "poller", "cmd"},
	// Storage: SQL only.
	"db": {"net/http", "app", "handlers", "web", "poller", "pop3client", "message", "diagnose", "discover", "cmd"},
	// The wire protocol and nothing else.
	"pop3client": {"net/http", "db", "app", "handlers", "web", "poller", "message", "diagnose", "discover", "i18n", "cmd"},
	"smtpclient": {"net/http", "db", "app", "handlers", "web", "poller", "message", "diagnose", "discover", "i18n", "cmd"},
	// Signing in with a provider (OAuth 2.0): an HTTP client only, keeping nothing.
	"oauth": {"db", "app", "handlers", "web", "static", "poller", "pop3client", "smtpclient", "message", "diagnose", "discover", "i18n", "cmd"},
	// Scheduling and syncing: no HTTP, no pages.
	"poller": {"net/http", "handlers", "web", "static", "cmd"},
	// Sending browser notifications: an HTTP client only, no pages, not the poller.
	"push": {"handlers", "web", "static", "poller", "cmd"},
	// Delivering the outbox: no HTTP, no pages, not the poller.
	"sender": {"net/http", "handlers", "web", "static", "poller", "cmd"},
	// Mail parsing and rendering: no storage, no HTTP.
	"message":  {"net/http", "db", "app", "handlers", "web", "poller", "pop3client", "cmd"},
	"diagnose": {"net/http", "db", "app", "handlers", "web", "poller", "cmd"},
	"discover": {"db", "app", "handlers", "web", "poller", "cmd"},
	"export":   {"net/http", "app", "handlers", "web", "poller", "cmd"},
	// Reading other programs' mail files: files in, bytes out.
	"mailfile": {"net/http", "database/sql", "db", "app", "handlers", "web", "poller", "pop3client", "message", "cmd"},
	// Keeping the automatic backups: files and the database, no HTTP.
	"backup": {"net/http", "app", "handlers", "web", "poller", "cmd"},
	"i18n":   {"net/http", "db", "app", "handlers", "web", "poller", "cmd"},
	// Building outgoing mail: bytes in, bytes out.
	"compose": {"net/http", "db", "app", "handlers", "web", "poller", "pop3client", "smtpclient", "cmd"},
	// The query language: pure, no storage, no mail parsing, no HTTP.
	"search": {"net/http", "database/sql", "db", "app", "handlers", "web", "poller", "pop3client", "message", "cmd"},
	// Pages take view models: no database rows, no rules.
	"web": {"db", "app", "handlers", "poller", "pop3client", "cmd"},
	// The HTTP layer is imported by the program alone.
	"handlers": {"cmd"},
}

// TestLayers reads the imports of every non-test Go file of the packages
// above and fails on any import its rule forbids, and on any package but
// cmd/apartado importing handlers.
func TestLayers(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			own := strings.TrimPrefix(p, module)
			if own == "handlers" && pkg != "cmd/apartado" {
				t.Errorf("%s imports handlers: only the program may", relName(root, path))
			}
			for _, bad := range forbidden[pkg] {
				if p == bad || (own != p && (own == bad || strings.HasPrefix(own, bad+"/"))) {
					t.Errorf("%s imports %s, which package %s must not", relName(root, path), p, pkg)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d files read: is the walk broken?", checked)
	}
	for pkg := range forbidden {
		if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
			t.Errorf("package %s has a rule but no folder: %v", pkg, err)
		}
	}
}

func relName(root, path string) string {
	r, _ := filepath.Rel(root, path)
	return filepath.ToSlash(r)
}

// maxFuncLines bounds a function's length outside bench/ and tests: a
// longer one mixes decisions that deserve names (and tests) of their own.
const maxFuncLines = 150

// TestFunctionLength fails on any function of the program longer than
// maxFuncLines lines (generated templ code aside).
func TestFunctionLength(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "bench" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n > maxFuncLines {
				t.Errorf("%s: %s is %d lines long, more than %d", relName(root, path), fn.Name.Name, n, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
